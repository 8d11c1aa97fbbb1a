"""The actor: who is acting, in which role, within which department or service place.

Every selector and service takes an :class:`Actor`. Web requests get ``request.actor`` from
:class:`~yiwang.accounts.middleware.ActorMiddleware`; API requests from the bearer token.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .models import Enterprise, Role, RoleAssignment, User


@dataclass
class Actor:
    user: User | None = None
    enterprise: Enterprise | None = None
    assignment: RoleAssignment | None = None
    channel: str = "web"  # web | api | counter | task
    otp_verified: bool = False
    assignments: list[RoleAssignment] = field(default_factory=list)

    @property
    def is_authenticated(self) -> bool:
        return self.user is not None and self.user.is_active

    @property
    def role(self) -> str:
        if self.assignment is not None:
            return self.assignment.role
        if self.enterprise is not None:
            return Role.ENTERPRISE_AGENT
        if self.user is not None and self.user.kind == User.Kind.CITIZEN:
            return Role.CITIZEN
        return ""

    @property
    def is_staff_role(self) -> bool:
        return self.assignment is not None

    @property
    def department_id(self) -> int | None:
        return self.assignment.department_id if self.assignment else None

    @property
    def place_id(self) -> int | None:
        return self.assignment.place_id if self.assignment else None

    @property
    def unit_code(self) -> str:
        if self.assignment is not None:
            return self.assignment.unit_code
        if self.enterprise is not None:
            return self.enterprise.uscc
        return ""

    def has_role(self, *roles: str) -> bool:
        return self.role in roles

    @property
    def label(self) -> str:
        if self.user is None:
            return ""
        if self.enterprise is not None:
            return f"{self.user.display_name}（{self.enterprise.name}）"
        return self.user.display_name


ANONYMOUS = Actor()


def staff_actor(user: User, assignment_id: int | None = None, **kwargs) -> Actor:
    """An actor for a staff user in one of their roles (the first one if not chosen)."""
    assignments = list(user.roles.select_related("department", "place").order_by("id"))
    chosen = next((a for a in assignments if a.pk == assignment_id), assignments[0] if assignments else None)
    return Actor(user=user, assignment=chosen, assignments=assignments, **kwargs)
