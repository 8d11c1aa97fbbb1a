"""Who may edit and publish the catalog. Used by services (writes) and selectors (draft reads).

Editing an item is limited to the staff of its owning department and the platform admin; a
version goes live only when the owning department's head (or the platform admin) publishes it.
Management commands act as :data:`SYSTEM`.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from yiwang.accounts.actor import Actor
from yiwang.accounts.models import Role
from yiwang.core.errors import NotAuthenticated, PermissionDeniedError

#: The actor of management commands (load_demo_catalog, import from the command line).
SYSTEM = Actor(channel="system")

PUBLISHER_ROLES = {Role.DEPT_HEAD, Role.PLATFORM_ADMIN}
#: Staff roles that never edit the catalog even within the owning department.
NON_EDITOR_ROLES = {Role.CLERK, Role.GRID_WORKER, Role.HOTLINE_OPERATOR}


def is_system(actor: Actor) -> bool:
    return actor is SYSTEM


def is_admin(actor: Actor) -> bool:
    return is_system(actor) or (actor.is_authenticated and actor.role == Role.PLATFORM_ADMIN)


def can_edit(actor: Actor, department_id: int) -> bool:
    if is_admin(actor):
        return True
    return (actor.is_authenticated and actor.is_staff_role and actor.role not in NON_EDITOR_ROLES
            and actor.department_id == department_id)


def can_publish(actor: Actor, department_id: int) -> bool:
    if is_admin(actor):
        return True
    return can_edit(actor, department_id) and actor.role in PUBLISHER_ROLES


def require_edit(actor: Actor, department_id: int) -> None:
    if not is_system(actor) and not actor.is_authenticated:
        raise NotAuthenticated(_("请先登录。"))
    if not can_edit(actor, department_id):
        raise PermissionDeniedError(_("只有事项所属部门的工作人员和平台管理员可以编辑该事项。"),
                                    code="catalog_edit_forbidden")


def require_publish(actor: Actor, department_id: int) -> None:
    require_edit(actor, department_id)
    if not can_publish(actor, department_id):
        raise PermissionDeniedError(_("只有所属部门负责人或平台管理员可以发布或停用事项。"),
                                    code="catalog_publish_forbidden")


def require_catalog_staff(actor: Actor) -> None:
    """Any staff member who may edit at least one department's items."""
    if not is_system(actor) and not actor.is_authenticated:
        raise NotAuthenticated(_("请先登录。"))
    if not is_admin(actor) and (not actor.is_staff_role or actor.role in NON_EDITOR_ROLES
                                or actor.department_id is None):
        raise PermissionDeniedError(_("您的角色无权管理事项目录。"), code="catalog_edit_forbidden")
