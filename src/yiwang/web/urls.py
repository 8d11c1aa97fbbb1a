from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/login/", views.citizen_login, name="login"),
    path("accounts/login/enterprise/", views.enterprise_login, name="login-enterprise"),
    path("accounts/login/staff/", views.staff_login, name="login-staff"),
    path("accounts/sms-code/", views.send_sms_code, name="sms-code"),
    path("accounts/logout/", views.logout_view, name="logout"),
    path("accounts/register/", views.register, name="register"),
    path("accounts/register/confirm/", views.register_confirm, name="register-confirm"),
    path("me/", views.me, name="me"),
    path("people/<str:username>/reveal/<str:field>/", views.reveal, name="reveal"),
    path("staff/", views.staff_home, name="staff-home"),
    path("staff/role/", views.switch_role, name="switch-role"),
    path("settings/elderly/", views.toggle_elderly, name="toggle-elderly"),
]
