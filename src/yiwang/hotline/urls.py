from django.urls import path

from . import views

urlpatterns = [
    path("console/", views.console, name="hotline-console"),
    path("console/assist/", views.console_assist, name="hotline-console-assist"),
    path("orders/", views.order_list, name="hotline-orders"),
    path("orders/<str:number>/", views.order_detail, name="hotline-order"),
    path("orders/<str:number>/act/", views.order_action, name="hotline-order-action"),
    path("attachments/<int:pk>/", views.attachment, name="hotline-attachment"),
    path("report/", views.report, name="hotline-report"),
    path("knowledge/", views.knowledge_list, name="hotline-knowledge"),
    path("knowledge/new/", views.knowledge_edit, name="hotline-knowledge-new"),
    path("knowledge/<int:pk>/edit/", views.knowledge_edit, name="hotline-knowledge-edit"),
    path("analytics/", views.analytics_page, name="hotline-analytics"),
]
