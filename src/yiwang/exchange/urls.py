from django.urls import path

from . import views

app_name = "exchange"

urlpatterns = [
    path("", views.catalog, name="catalog"),
    path("resources/new/", views.new_resource, name="resource-new"),
    path("resources/<str:code>/", views.resource_page, name="resource"),
    path("desk/", views.desk, name="desk"),
    path("supervision/", views.supervision, name="supervision"),
    path("log/", views.access_log, name="log"),
    path("my-data/", views.my_data, name="my-data"),
    path("coverage/", views.coverage_page, name="coverage"),
]
