"""Reads of people and roles, scoped to the actor. Authorization for these lives here."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from yiwang.core.errors import PermissionDeniedError

from .actor import Actor
from .models import EnterpriseMember, PendingRegistration, Role, RoleAssignment, User

#: Roles whose work needs a person's full ID number or phone, on an explicit, audited reveal.
#: The counter clerk checks a walk-in applicant's identity; the hotline operator calls back.
REVEAL_ROLES = {Role.CLERK, Role.HOTLINE_OPERATOR}

#: Later apps add predicates "may this actor see this subject's data?" (e.g. a reviewer whose
#: department handles the subject's case). Each is called as predicate(actor, subject) -> bool.
REVEAL_GRANTS: list = []


def can_reveal(actor: Actor, subject: User) -> bool:
    if not actor.is_authenticated:
        return False
    if actor.user.pk == subject.pk and actor.assignment is None:
        return True  # one's own data
    if actor.role in REVEAL_ROLES and subject.kind == User.Kind.CITIZEN:
        return True  # the citizens they serve, not their colleagues
    return any(grant(actor, subject) for grant in REVEAL_GRANTS)


def may_act_for(user: User, enterprise) -> bool:
    """Whether the person still holds a current authorisation of the (existing) enterprise: checked
    on every request, so a withdrawn or expired authorisation ends sessions and tokens at once."""
    if enterprise is None or not enterprise.is_active:
        return False
    member = EnterpriseMember.objects.filter(enterprise=enterprise, user=user).first()
    return member is not None and member.is_current()


def require_role(actor: Actor, *roles: str) -> None:
    if not actor.is_authenticated:
        from yiwang.core.errors import NotAuthenticated

        raise NotAuthenticated(_("请先登录。"))
    if actor.role not in roles:
        raise PermissionDeniedError(_("您的角色无权进行此操作。"), code="role_forbidden")


def staff_visible_to(actor: Actor) -> QuerySet[RoleAssignment]:
    """Staff role assignments: all for the platform admin, one's own department for its head."""
    require_role(actor, Role.PLATFORM_ADMIN, Role.DEPT_HEAD)
    qs = RoleAssignment.objects.select_related("user", "department", "place").order_by("user__name", "role")
    if actor.role == Role.DEPT_HEAD:
        qs = qs.filter(department_id=actor.department_id)
    return qs


def citizens_visible_to(actor: Actor) -> QuerySet[User]:
    """Citizens a staff member may look up (masked): the counter and the hotline serve anyone."""
    require_role(actor, Role.CLERK, Role.HOTLINE_OPERATOR, Role.PLATFORM_ADMIN)
    return User.objects.filter(kind=User.Kind.CITIZEN)


def find_citizen(actor: Actor, id_number: str) -> User | None:
    return citizens_visible_to(actor).find_by_id_number(id_number)


def open_registration(pending_id: int | None) -> PendingRegistration | None:
    """The registration a browser session started (its id is kept in that session), while it is
    not completed; None for no id or an unknown one."""
    if not pending_id:
        return None
    return PendingRegistration.objects.filter(pk=pending_id, completed_at__isnull=True).first()
