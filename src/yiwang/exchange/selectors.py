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
from yiwang.core.errors import DomainError, NotAuthenticated, NotFound, PermissionDeniedError

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


# -- 免提交 preview on the application form ---------------------------------------------------
def fetch_preview(materials, *, person, enterprise=None, department_id: int | None = None,
                  item_code: str = "", form_fields=None, form: dict | None = None) -> dict[str, dict]:
    """What the case pipeline (:func:`yiwang.exchange.services.fetch_for_case`) would fetch for
    this applicant, per material key, so the application form can show it before submission.

    ``materials`` are the catalog's material dicts (or ``Material`` rows). For each one whose
    source is a licence type or a shared resource: ``{"available": True, "kind": "licence",
    "name", "identifier", "number", "issuer", "valid_until"}`` (the applicant's own licence),
    ``{"available": True, "kind": "shared_data", "resource", "code", "provider"}`` (a department
    holds a record for them and the pipeline has a usable grant), or ``{"available": False,
    "reason", "message"}``. Record values are never read and nothing is logged: the fetch itself,
    made at submission with the applicant's consent, is logged with the case number.

    A material fetched for a person named in the form (``subject_field``: the deceased, a child)
    is ``{"available": True, "kind": "third_party", "subject_field", "subject_title", "filled",
    "resource", "provider", "source_kind"}`` when the source can serve the pipeline at all:
    ``filled`` says whether ``form`` already holds a valid number in that field. Whether the source
    holds a record for that person is not looked up here: another person's data is only ever
    queried by the logged fetch of a submitted case. ``form_fields`` (``[{key, title, ...}]``)
    give the field titles."""
    from . import services

    def get(m, name):
        return m.get(name) if isinstance(m, dict) else getattr(m, name, None)

    lib = services.licence_selectors()
    platform = services._platform_department()
    candidates = services._licence_candidates(person, enterprise)
    subjects = {"uscc": enterprise.uscc if enterprise is not None else None,
                "resident_id": person.id_number if person is not None and person.id_number else None}
    out: dict[str, dict] = {}
    fields = {f.get("key"): f for f in form_fields or [] if isinstance(f, dict)}
    form = form if isinstance(form, dict) else {}

    def servable(resource: DataResource) -> tuple[bool, str, str]:
        """Whether the pipeline may query the resource at all (published, shared, granted)."""
        try:
            services.servable_grant(resource, department_id, item_code, platform)
        except DomainError as exc:
            return False, exc.code, str(exc.message)
        return True, "ok", ""

    def held(resource: DataResource) -> tuple[bool, str, str]:
        number = subjects.get(resource.subject_kind)
        if not number:
            return False, "no_subject", _("该材料须以企业名义申请时才能调取。")
        ok, reason, message = servable(resource)
        if not ok:
            return ok, reason, message
        bidx = services.subject_bidx(resource.subject_kind, number)
        if not resource.records.filter(subject_bidx=bidx).exists():
            return False, "subject_not_found", _("%(provider)s没有申请人的“%(name)s”记录。") % {
                "provider": resource.provider.name, "name": resource.name}
        return True, "ok", ""

    def shared(resource: DataResource, in_place_of: str = "") -> dict:
        return {"available": True, "kind": "shared_data", "resource": resource.name, "code": resource.code,
                "provider": resource.provider.name, "in_place_of": in_place_of}

    def third_party(m, source: str, ref: str, name: str) -> dict:
        field_key = get(m, "subject_field")
        spec = fields.get(field_key) or {}
        title = str(spec.get("title") or get(m, "subject_title") or field_key)
        filled = False
        value = form.get(field_key)
        if value not in (None, "") and spec.get("format") in ("resident_id", "uscc"):
            try:
                services.normalise_subject(spec["format"], value)
                filled = True
            except DomainError:
                filled = False
        entry = {"available": True, "kind": "third_party", "source_kind": source, "subject_field": field_key,
                 "subject_title": title, "filled": filled, "resource": name, "provider": "", "code": ref}
        if source == "shared_data":
            try:
                resource = services.catalogued_resource(ref)
            except DomainError as exc:
                return {"available": False, "reason": exc.code, "message": str(exc.message)}
            ok, reason, message = servable(resource)
            if not ok:
                return {"available": False, "reason": reason, "message": message}
            entry.update(resource=resource.name, provider=resource.provider.name)
            return entry
        if lib is not None:
            return entry
        backing = next((r for r in services.backing_resources(ref) if servable(r)[0]), None)
        if backing is None:
            return {"available": False, "reason": "licence_library_unavailable",
                    "message": _("电子证照库尚未接入，暂不能调取“%(name)s”。") % {"name": name}}
        entry.update(resource=backing.name, provider=backing.provider.name)
        return entry

    for m in materials:
        source, ref, key = get(m, "source"), (get(m, "source_ref") or "").upper(), get(m, "key")
        if source not in ("licence", "shared_data") or not key:
            continue
        name = get(m, "source_name") or get(m, "name") or ref
        if not ref:
            out[key] = {"available": False, "reason": "source_unknown",
                        "message": _("办事指南未指明“%(name)s”的来源，暂不能自动调取。") % {"name": name}}
            continue
        if get(m, "subject_field"):
            out[key] = third_party(m, source, ref, name)
            continue
        if source == "shared_data":
            try:
                resource = services.catalogued_resource(ref)
            except DomainError as exc:
                out[key] = {"available": False, "reason": exc.code, "message": str(exc.message)}
                continue
            ok, reason, message = held(resource)
            out[key] = shared(resource) if ok else {"available": False, "reason": reason, "message": message}
            continue
        found = None
        if lib is not None:
            for _kind, number in candidates:
                found = lib.current_licence(number, ref)
                if found is not None:
                    break
        if found is not None:
            issuer = getattr(found, "issuer", None)
            until = getattr(found, "valid_until", None)
            out[key] = {"available": True, "kind": "licence", "name": services.licence_label(found) or name,
                        "identifier": str(getattr(found, "identifier", "")),
                        "number": str(getattr(found, "number", "") or ""),
                        "issuer": str(getattr(issuer, "name", "") or ""), "valid_until": until}
            continue
        backing = next((r for r in services.backing_resources(ref) if held(r)[0]), None)
        if backing is not None:
            out[key] = shared(backing, in_place_of=name)
            continue
        if lib is None:
            out[key] = {"available": False, "reason": "licence_library_unavailable",
                        "message": _("电子证照库尚未接入，暂不能调取“%(name)s”。") % {"name": name}}
            continue
        reason, message = services.licence_refusal(lib, candidates, ref, name)
        out[key] = {"available": False, "reason": reason, "message": message}
    return out
