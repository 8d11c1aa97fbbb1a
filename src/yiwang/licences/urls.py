from django.urls import path

from . import views

urlpatterns = [
    path("licences/verify/", views.verify_upload, name="licence-verify-upload"),
    path("licences/verify/<str:identifier>", views.verify, name="licence-verify"),
    path("licences/mine/", views.wallet, name="licence-wallet"),
    path("licences/root-ca.pem", views.root_certificate, name="licence-root-ca"),
    path("licences/<str:identifier>/show/", views.show, name="licence-show"),
    path("licences/<str:identifier>/pdf", views.download, name="licence-pdf"),
]
