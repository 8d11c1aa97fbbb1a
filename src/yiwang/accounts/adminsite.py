"""The Django admin (/admin/) is the platform admin's tool: entered only by a staff session whose
active role is a platform_admin RoleAssignment, with its second factor (TOTP) verified. The
``is_staff`` flag alone opens nothing: a department reviewer who has it is refused like anyone."""

from __future__ import annotations

from django.shortcuts import render
from django.utils.translation import gettext as _
from django_otp.admin import OTPAdminSite

from .models import Role


def is_platform_admin_session(request) -> bool:
    actor = getattr(request, "actor", None)
    user = getattr(request, "user", None)
    return bool(
        actor is not None and actor.is_authenticated and actor.otp_verified and actor.role == Role.PLATFORM_ADMIN
        and user is not None and user.is_active and user.is_verified()
    )


class PlatformAdminSite(OTPAdminSite):
    def has_permission(self, request):
        return is_platform_admin_session(request)

    def login(self, request, extra_context=None):
        """Where the admin sends whoever it refuses. A staff member already signed in (with the
        second factor) but in another role is told why: the sign-in form would only send them back
        here. Everyone else signs in as staff."""
        actor = getattr(request, "actor", None)
        if actor is not None and actor.is_authenticated and actor.is_staff_role:
            holds_it = any(a.role == Role.PLATFORM_ADMIN for a in actor.assignments)
            message = (_("管理后台须以“平台管理员”角色进入：请先在工作台切换角色。") if holds_it
                       else _("管理后台仅供平台管理员使用。"))
            return render(request, "403.html", {"message": message, "switch_role": holds_it}, status=403)
        from yiwang.web.views import staff_login_redirect

        return staff_login_redirect(request)
