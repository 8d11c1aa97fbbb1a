"""Reads of the exchange, scoped to the actor. Authorization for reads lives here.

* staff see the published catalog and their own department's drafts; the platform admin sees all;
* a department's steward and head see the requests and grants their department gave or received,
  and the access log of their own resources and of their own queries;
* supervisors see overdue requests and the whole log;
* citizens and enterprise agents see exactly the uses of their own data (我的数据使用记录).
"""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from yiwang.accounts.actor import Actor
from yiwang.accounts.models import Role
from yiwang.core.crypto import blind_index
from yiwang.core.errors import NotAuthenticated, NotFound, PermissionDeniedError

from .models import DataResource, Grant, QueryLog, RequestStatus, ResourceStatus, ShareRequest

DEPARTMENT_ROLES = (Role.DATA_STEWARD, Role.DEPT_HEAD)
OVERSIGHT_ROLES = (Role.SUPERVISOR, Role.PLATFORM_ADMIN)


def _staff(actor: Actor) -> None:
    if not actor.is_authenticated:
        raise NotAuthenticated(_("请先登录。"))
    if not actor.is_staff_role:
        raise PermissionDeniedError(_("数据资源目录仅供政务部门工作人员查阅。"), code="role_forbidden")


def resources_visible_to(actor: Actor) -> QuerySet[DataResource]:
    _staff(actor)
    qs = DataResource.objects.select_related("provider").annotate(record_count=Count("records"))
    if actor.role == Role.PLATFORM_ADMIN:
        return qs
    return qs.filter(Q(status=ResourceStatus.PUBLISHED) | Q(provider_id=actor.department_id))


def resource_for(actor: Actor, code: str) -> DataResource:
    resource = resources_visible_to(actor).filter(code=(code or "").upper()).first()
    if resource is None:
        raise NotFound(_("未找到该数据资源。"), code="resource_not_found")
    return resource


def requests_incoming(actor: Actor) -> QuerySet[ShareRequest]:
    """Requests for the actor's department's resources."""
    _staff(actor)
    qs = ShareRequest.objects.select_related("resource", "requester", "requested_by", "decided_by")
    if actor.role in OVERSIGHT_ROLES:
        return qs
    if actor.role not in DEPARTMENT_ROLES:
        raise PermissionDeniedError(_("您的角色无权查看共享申请。"), code="role_forbidden")
    return qs.filter(resource__provider_id=actor.department_id)


def requests_outgoing(actor: Actor) -> QuerySet[ShareRequest]:
    _staff(actor)
    if actor.role not in DEPARTMENT_ROLES + OVERSIGHT_ROLES:
        raise PermissionDeniedError(_("您的角色无权查看共享申请。"), code="role_forbidden")
    return ShareRequest.objects.select_related("resource", "resource__provider").filter(requester_id=actor.department_id)


def overdue_requests(actor: Actor) -> QuerySet[ShareRequest]:
    """Conditional requests past their 10-working-day answer date (supervisors, platform admin)."""
    _staff(actor)
    if actor.role not in OVERSIGHT_ROLES:
        raise PermissionDeniedError(_("只有督查人员可以查看逾期申请。"), code="role_forbidden")
    from django.utils import timezone

    return (ShareRequest.objects.select_related("resource", "resource__provider", "requester")
            .filter(status=RequestStatus.PENDING, due_at__lt=timezone.now()).order_by("due_at"))


def grants_visible_to(actor: Actor) -> QuerySet[Grant]:
    _staff(actor)
    qs = Grant.objects.select_related("resource", "resource__provider", "grantee")
    if actor.role in OVERSIGHT_ROLES:
        return qs
    if actor.role not in DEPARTMENT_ROLES:
        raise PermissionDeniedError(_("您的角色无权查看共享授权。"), code="role_forbidden")
    return qs.filter(Q(resource__provider_id=actor.department_id) | Q(grantee_id=actor.department_id))


def department_log(actor: Actor) -> QuerySet[QueryLog]:
    """Queries on the department's resources and queries the department made."""
    _staff(actor)
    qs = QueryLog.objects.select_related("department", "resource", "client")
    if actor.role in OVERSIGHT_ROLES:
        return qs
    if actor.role not in DEPARTMENT_ROLES:
        raise PermissionDeniedError(_("您的角色无权查看数据使用记录。"), code="role_forbidden")
    return qs.filter(Q(resource__provider_id=actor.department_id) | Q(department_id=actor.department_id))


def subject_of(actor: Actor) -> tuple[str, str] | None:
    """(kind, blind index) of whose data the actor may see uses of: the enterprise an agent acts
    for, or the citizen themself."""
    if not actor.is_authenticated:
        raise NotAuthenticated(_("请先登录。"))
    if actor.role == Role.ENTERPRISE_AGENT and actor.enterprise is not None:
        return "uscc", blind_index(actor.enterprise.uscc, "uscc")
    if actor.role == Role.CITIZEN and actor.user.id_number_bidx:
        return "resident_id", actor.user.id_number_bidx
    if actor.role in (Role.CITIZEN, Role.ENTERPRISE_AGENT):
        return None
    raise PermissionDeniedError(_("“我的数据使用记录”供市民和企业查看本人（本单位）的数据被使用情况。"),
                                code="role_forbidden")


def my_data_usage(actor: Actor) -> QuerySet[QueryLog]:
    """Who used my data, when and for what (我的数据使用记录): every query whose subject is me."""
    subject = subject_of(actor)
    if subject is None:
        return QueryLog.objects.none()
    kind, bidx = subject
    return (QueryLog.objects.select_related("department", "resource", "resource__provider")
            .filter(subject_kind=kind, subject_bidx=bidx).order_by("-at", "-id"))


def usage_entry(log: QueryLog) -> dict:
    """One row of 我的数据使用记录, in words a citizen reads; never any value of the data."""
    names = log.resource.field_names if log.resource_id else {}
    return {
        "at": log.at,
        "department": log.department.name if log.department_id else "",
        "resource": log.resource_name or log.resource_code,
        "provider": log.resource.provider.name if log.resource_id else "",
        "kind": log.kind,
        "kind_label": log.get_kind_display(),
        "channel": log.channel,
        "channel_label": log.get_channel_display(),
        "purpose": log.purpose,
        "case_number": log.case_number,
        "fields": [names.get(f, f) for f in (log.fields_returned or [])],
        "ok": log.ok,
        "outcome": log.outcome,
    }
