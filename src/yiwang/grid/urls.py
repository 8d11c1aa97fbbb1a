from django.urls import path

from . import views

urlpatterns = [
    path("report/", views.report, name="grid-report"),
    path("map/", views.map_page, name="grid-map"),
    path("map/orders.json", views.map_orders, name="grid-map-orders"),
]
