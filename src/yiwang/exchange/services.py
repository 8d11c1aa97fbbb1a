"""Every state change of the exchange: one function per business action, in one transaction, with
one audit event. Gateway queries are in :mod:`.gateway`; they write :class:`QueryLog` rows (the
access log) rather than audit events.

Who may do what:
* a department's data steward (数据管理员) publishes and maintains its own resources, answers
  requests for them and revokes grants on them;
* a department's data steward or head asks other departments for data;
* supervisors are told when a conditional request goes unanswered for 10 working days;
* the case pipeline fetches materials for a case under the case department's grant, or else the
  platform's own grant (``EXCHANGE_PLATFORM_DEPARTMENT``, default the 政务办 ``YX-ZWB``).
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.accounts.actor import Actor
from yiwang.accounts.models import Role
from yiwang.core import audit
from yiwang.core.crypto import blind_index
from yiwang.core.errors import Conflict, DomainError, NotFound, PermissionDeniedError, ValidationFailed
from yiwang.core.identity import mask_id_number
from yiwang.core.workdays import add_working_days, end_of_day

from .models import (
    DataRecord,
    DataResource,
    ExchangeClient,
    Grant,
    GrantStatus,
    PushBatch,
    QueryLog,
    RequestStatus,
    ResourceStatus,
    ShareClass,
    ShareRequest,
    SubjectKind,
    UpdateFrequency,
)
from .signing import new_secret

logger = logging.getLogger("yiwang.exchange")

ANSWER_WORKING_DAYS = 10  # 国发〔2016〕51号: a conditional request is answered within 10 working days
MAX_GRANT_DAYS = 3 * 366
CODE_RE = re.compile(r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)*$")
FIELD_KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
REQUESTER_ROLES = (Role.DATA_STEWARD, Role.DEPT_HEAD)


def platform_department_code() -> str:
    return getattr(settings, "EXCHANGE_PLATFORM_DEPARTMENT", "YX-ZWB")


# -- helpers -----------------------------------------------------------------------------------
def _require_steward_of(actor: Actor, department_id: int | None, message=None) -> None:
    if not actor.is_authenticated:
        from yiwang.core.errors import NotAuthenticated

        raise NotAuthenticated(_("请先登录。"))
    if actor.role != Role.DATA_STEWARD or actor.department_id is None or actor.department_id != department_id:
        raise PermissionDeniedError(message or _("只有数据提供部门的数据管理员可以进行此操作。"), code="role_forbidden")


def _text(value, field_name: str, message, *, max_length: int | None = None) -> str:
    value = (value or "").strip() if isinstance(value, str) or value is None else str(value).strip()
    if not value:
        raise ValidationFailed(message, code=f"{field_name}_required", fields={field_name: [message]})
    if max_length and len(value) > max_length:
        msg = _("不能超过 %(n)d 个字符。") % {"n": max_length}
        raise ValidationFailed(msg, code="validation_error", fields={field_name: [msg]})
    return value


def _clean_fields(raw) -> list[dict]:
    if not isinstance(raw, list) or not raw:
        msg = _("请至少列出一个信息项。")
        raise ValidationFailed(msg, code="fields_required", fields={"fields": [msg]})
    out, seen = [], set()
    for i, entry in enumerate(raw):
        if isinstance(entry, str):
            entry = {"key": entry, "name": entry}
        key = str((entry or {}).get("key", "")).strip()
        name = str((entry or {}).get("name", "")).strip() or key
        if not FIELD_KEY_RE.match(key):
            msg = _("信息项标识“%(key)s”应以小写字母开头，只含小写字母、数字和下划线。") % {"key": key}
            raise ValidationFailed(msg, code="field_key_invalid", fields={f"fields.{i}": [msg]})
        if key in seen:
            msg = _("信息项标识“%(key)s”重复。") % {"key": key}
            raise ValidationFailed(msg, code="field_key_duplicate", fields={f"fields.{i}": [msg]})
        seen.add(key)
        out.append({"key": key, "name": name[:64]})
    return out


def _apply_resource_data(resource: DataResource, data: dict, *, creating: bool) -> None:
    if creating or "code" in data:
        code = _text(data.get("code"), "code", _("请填写资源代码。"), max_length=32).upper()
        if not CODE_RE.match(code):
            msg = _("资源代码只能由大写字母、数字和连字符组成，如 GA-HJXX。")
            raise ValidationFailed(msg, code="code_invalid", fields={"code": [msg]})
        if not creating and code != resource.code:
            msg = _("资源代码发布后不能修改。")
            raise ValidationFailed(msg, code="code_immutable", fields={"code": [msg]})
        resource.code = code
    if creating or "name" in data:
        resource.name = _text(data.get("name"), "name", _("请填写资源名称。"), max_length=128)
    if "description" in data:
        resource.description = (data.get("description") or "").strip()
    if creating or "subject_kind" in data:
        kind = data.get("subject_kind") or SubjectKind.RESIDENT_ID
        if kind not in SubjectKind.values:
            msg = _("主体类型应为 resident_id 或 uscc。")
            raise ValidationFailed(msg, code="subject_kind_invalid", fields={"subject_kind": [msg]})
        if not creating and kind != resource.subject_kind and resource.records.exists():
            raise Conflict(_("已有汇聚数据的资源不能修改主体类型。"), code="subject_kind_locked")
        resource.subject_kind = kind
    if creating or "fields" in data:
        resource.fields = _clean_fields(data.get("fields"))
    if creating or "update_frequency" in data:
        freq = data.get("update_frequency") or UpdateFrequency.DAILY
        if freq not in UpdateFrequency.values:
            msg = _("更新周期无效。")
            raise ValidationFailed(msg, code="update_frequency_invalid", fields={"update_frequency": [msg]})
        resource.update_frequency = freq
    if creating or "legal_basis" in data:
        resource.legal_basis = _text(data.get("legal_basis"), "legal_basis", _("请填写共享依据（法律法规或政策文件）。"))
    if creating or "share_class" in data:
        share = data.get("share_class") or ShareClass.CONDITIONAL
        if share not in ShareClass.values:
            msg = _("共享类型应为 unconditional、conditional 或 not_shared。")
            raise ValidationFailed(msg, code="share_class_invalid", fields={"share_class": [msg]})
        resource.share_class = share
    if "share_conditions" in data:
        resource.share_conditions = (data.get("share_conditions") or "").strip()
    if "licence_types" in data:
        types = data.get("licence_types") or []
        if not isinstance(types, list) or not all(isinstance(t, str) and re.match(r"^[A-Z0-9]{2,32}$", t) for t in types):
            msg = _("对应电子证照类型应为证照类型代码列表。")
            raise ValidationFailed(msg, code="licence_types_invalid", fields={"licence_types": [msg]})
        resource.licence_types = types
    if resource.share_class == ShareClass.CONDITIONAL and not resource.share_conditions:
        msg = _("有条件共享的资源须写明共享条件。")
        raise ValidationFailed(msg, code="share_conditions_required", fields={"share_conditions": [msg]})
    if resource.share_class == ShareClass.NOT_SHARED and not resource.share_conditions:
        msg = _("不予共享须写明法律、行政法规或政策依据。")
        raise ValidationFailed(msg, code="share_conditions_required", fields={"share_conditions": [msg]})


def _resource_snapshot(r: DataResource) -> dict:
    return {"code": r.code, "name": r.name, "share_class": r.share_class, "status": r.status,
            "fields": r.field_keys, "subject_kind": r.subject_kind}


def _lock_resource(code: str) -> DataResource:
    qs = DataResource.objects.select_related("provider")
    if transaction.get_connection().features.has_select_for_update:
        qs = qs.select_for_update(of=("self",))
    resource = qs.filter(code=(code or "").upper()).first()
    if resource is None:
        raise NotFound(_("未找到该数据资源。"), code="resource_not_found")
    return resource


# -- the resource catalog ----------------------------------------------------------------------
@transaction.atomic
def create_resource(actor: Actor, data: dict) -> DataResource:
    """A new resource of the steward's own department (a draft until published)."""
    _require_steward_of(actor, actor.department_id, _("只有部门数据管理员可以编制数据资源目录。"))
    resource = DataResource(provider=actor.assignment.department)
    _apply_resource_data(resource, data, creating=True)
    if DataResource.objects.filter(code=resource.code).exists():
        msg = _("资源代码“%(code)s”已被使用。") % {"code": resource.code}
        raise Conflict(msg, code="code_taken", fields={"code": [msg]})
    resource.save()
    audit.record("exchange.resource_created", resource, data=_resource_snapshot(resource))
    return resource


@transaction.atomic
def update_resource(actor: Actor, code: str, data: dict) -> DataResource:
    resource = _lock_resource(code)
    _require_steward_of(actor, resource.provider_id)
    if resource.status == ResourceStatus.RETIRED:
        raise Conflict(_("已停用的资源不能修改，请先重新发布。"), code="resource_retired")
    before = _resource_snapshot(resource)
    _apply_resource_data(resource, data, creating=False)
    resource.updated_at = timezone.now()
    resource.save()
    audit.record("exchange.resource_updated", resource, data={"before": before, "after": _resource_snapshot(resource)})
    return resource


@transaction.atomic
def publish_resource(actor: Actor, code: str) -> DataResource:
    resource = _lock_resource(code)
    _require_steward_of(actor, resource.provider_id)
    if resource.publish():
        resource.save(update_fields=["status", "published_at", "retired_at"])
        audit.record("exchange.resource_published", resource, data={"code": resource.code})
    return resource


@transaction.atomic
def retire_resource(actor: Actor, code: str, reason: str = "") -> DataResource:
    resource = _lock_resource(code)
    _require_steward_of(actor, resource.provider_id)
    if resource.retire():
        resource.save(update_fields=["status", "retired_at"])
        audit.record("exchange.resource_retired", resource, data={"code": resource.code, "reason": reason[:200]})
    return resource


@transaction.atomic
def delete_resource(actor: Actor, code: str) -> None:
    resource = _lock_resource(code)
    _require_steward_of(actor, resource.provider_id)
    if resource.status != ResourceStatus.DRAFT or resource.requests.exists() or resource.grants.exists():
        raise Conflict(_("只能删除从未发布、没有申请的草稿资源；已发布的请停用。"), code="resource_in_use")
    snapshot = _resource_snapshot(resource)
    pk = resource.pk
    resource.delete()
    audit.record("exchange.resource_deleted", ("exchange.dataresource", pk), data=snapshot)


# -- requests and grants -----------------------------------------------------------------------
def _check_until(value, field_name: str = "requested_until") -> date:
    if isinstance(value, datetime):
        value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value)
        except ValueError:
            value = None
    if not isinstance(value, date):
        msg = _("请填写使用期限（日期）。")
        raise ValidationFailed(msg, code=f"{field_name}_required", fields={field_name: [msg]})
    today = timezone.localdate()
    if value < today:
        msg = _("使用期限不能早于今天。")
        raise ValidationFailed(msg, code="expiry_in_past", fields={field_name: [msg]})
    if value > today + timedelta(days=MAX_GRANT_DAYS):
        msg = _("使用期限最长三年，到期可重新申请。")
        raise ValidationFailed(msg, code="expiry_too_far", fields={field_name: [msg]})
    return value


def _check_request_fields(resource: DataResource, fields) -> list[str]:
    if not isinstance(fields, list) or not fields:
        msg = _("请列出需要的信息项（最小必要）。")
        raise ValidationFailed(msg, code="fields_required", fields={"fields": [msg]})
    unknown = [f for f in fields if f not in resource.field_keys]
    if unknown:
        msg = _("该资源没有这些信息项：%(f)s") % {"f": "、".join(map(str, unknown))}
        raise ValidationFailed(msg, code="unknown_fields", fields={"fields": [msg]})
    return list(dict.fromkeys(fields))


def _make_grant(req: ShareRequest, fields: list[str], until: date, by) -> Grant:
    return Grant.objects.create(
        resource=req.resource, grantee=req.requester, request=req, fields=fields, purpose=req.purpose,
        items=req.items, expires_at=end_of_day(until), granted_by=by,
    )


@transaction.atomic
def request_share(actor: Actor, code: str, *, fields: list[str], purpose: str, requested_until, items=None) -> ShareRequest:
    """A department asks for a resource. Unconditional resources are granted at once (the request
    is still kept as the record of purpose and fields); conditional ones wait for the provider,
    who must answer within 10 working days; 不予共享 resources cannot be requested."""
    if not actor.is_authenticated or actor.role not in REQUESTER_ROLES or actor.department_id is None:
        raise PermissionDeniedError(_("只有部门数据管理员或部门负责人可以申请共享数据。"), code="role_forbidden")
    resource = _lock_resource(code)
    if resource.status != ResourceStatus.PUBLISHED:
        raise NotFound(_("该数据资源未发布。"), code="resource_not_found")
    if resource.share_class == ShareClass.NOT_SHARED:
        raise Conflict(_("该数据资源为不予共享类，依据：%(basis)s") % {"basis": resource.share_conditions},
                       code="resource_not_shared")
    if resource.provider_id == actor.department_id:
        raise Conflict(_("本部门的数据资源无需申请。"), code="own_resource")
    purpose = _text(purpose, "purpose", _("请说明用途（用于哪些事项或业务）。"), max_length=500)
    fields = _check_request_fields(resource, fields)
    until = _check_until(requested_until)
    items = [str(i).strip()[:64] for i in (items or []) if str(i).strip()]
    if ShareRequest.objects.filter(resource=resource, requester_id=actor.department_id,
                                   status=RequestStatus.PENDING).exists():
        raise Conflict(_("本部门对该资源已有待审核的申请。"), code="request_pending")
    now = timezone.now()
    req = ShareRequest(resource=resource, requester=actor.assignment.department, requested_by=actor.user,
                       purpose=purpose, items=items, fields=fields, requested_until=until, created_at=now)
    auto = resource.share_class == ShareClass.UNCONDITIONAL
    if auto:
        req.status, req.decided_at = RequestStatus.APPROVED, now
        req.reason = _("无条件共享资源，自动同意。")
    else:
        req.due_at = add_working_days(now, ANSWER_WORKING_DAYS)
    req.save()
    grant = _make_grant(req, fields, until, None) if auto else None
    audit.record("exchange.request_created", req, data={
        "resource": resource.code, "requester": req.requester.code, "fields": fields, "items": items,
        "until": until.isoformat(), "auto_granted": auto, "grant": grant.pk if grant else None})
    return req


def _lock_request(request_id: int) -> ShareRequest:
    qs = ShareRequest.objects.select_related("resource", "requester")
    if transaction.get_connection().features.has_select_for_update:
        qs = qs.select_for_update(of=("self",))
    req = qs.filter(pk=request_id).first()
    if req is None:
        raise NotFound(_("未找到该共享申请。"), code="request_not_found")
    return req


@transaction.atomic
def approve_request(actor: Actor, request_id: int, *, fields: list[str] | None = None, expires_on=None,
                    note: str = "") -> Grant:
    """The provider's steward agrees: a grant for the requested fields (or fewer) until the requested
    date (or sooner)."""
    req = _lock_request(request_id)
    _require_steward_of(actor, req.resource.provider_id)
    if req.status == RequestStatus.APPROVED and hasattr(req, "grant"):
        return req.grant  # idempotent
    granted = _check_request_fields(req.resource, fields) if fields else list(req.fields)
    beyond = [f for f in granted if f not in req.fields]
    if beyond:
        msg = _("不能授权申请之外的信息项：%(f)s") % {"f": "、".join(beyond)}
        raise ValidationFailed(msg, code="fields_not_requested", fields={"fields": [msg]})
    until = _check_until(expires_on, "expires_on") if expires_on else req.requested_until
    if until > req.requested_until:
        msg = _("授权期限不能超过申请的使用期限。")
        raise ValidationFailed(msg, code="expiry_beyond_request", fields={"expires_on": [msg]})
    req.approve()
    req.decided_at, req.decided_by, req.reason = timezone.now(), actor.user, (note or "").strip()[:1000]
    req.save(update_fields=["status", "decided_at", "decided_by", "reason"])
    grant = _make_grant(req, granted, until, actor.user)
    audit.record("exchange.request_approved", req, data={"grant": grant.pk, "fields": granted,
                                                         "until": until.isoformat()})
    return grant


@transaction.atomic
def refuse_request(actor: Actor, request_id: int, reason: str) -> ShareRequest:
    req = _lock_request(request_id)
    _require_steward_of(actor, req.resource.provider_id)
    reason = _text(reason, "reason", _("拒绝共享须说明理由。"), max_length=1000)
    if req.refuse():
        req.decided_at, req.decided_by, req.reason = timezone.now(), actor.user, reason
        req.save(update_fields=["status", "decided_at", "decided_by", "reason"])
        audit.record("exchange.request_refused", req, data={"reason": reason})
    return req


@transaction.atomic
def withdraw_request(actor: Actor, request_id: int) -> ShareRequest:
    req = _lock_request(request_id)
    if actor.role not in REQUESTER_ROLES or actor.department_id != req.requester_id:
        raise PermissionDeniedError(_("只有申请部门可以撤回申请。"), code="role_forbidden")
    if req.withdraw():
        req.decided_at = timezone.now()
        req.save(update_fields=["status", "decided_at"])
        audit.record("exchange.request_withdrawn", req)
    return req


@transaction.atomic
def revoke_grant(actor: Actor, grant_id: int, reason: str) -> Grant:
    qs = Grant.objects.select_related("resource", "grantee")
    if transaction.get_connection().features.has_select_for_update:
        qs = qs.select_for_update(of=("self",))
    grant = qs.filter(pk=grant_id).first()
    if grant is None:
        raise NotFound(_("未找到该授权。"), code="grant_not_found")
    if actor.role != Role.PLATFORM_ADMIN:
        _require_steward_of(actor, grant.resource.provider_id)
    reason = _text(reason, "reason", _("撤销授权须说明理由。"), max_length=1000)
    if grant.revoke():
        grant.revoked_by, grant.revoke_reason = actor.user, reason
        grant.save(update_fields=["status", "revoked_at", "revoked_by", "revoke_reason"])
        audit.record("exchange.grant_revoked", grant, data={"resource": grant.resource.code,
                                                            "grantee": grant.grantee.code, "reason": reason})
    return grant


def flag_overdue_requests(now: datetime | None = None) -> list[ShareRequest]:
    """Conditional requests not answered within 10 working days: flag each once and tell every
    supervisor (电子监察). Daily through the periodic beat (exchange/periodic.py), or ``manage.py
    exchange_flag_overdue``."""
    from yiwang.accounts.models import RoleAssignment
    from yiwang.notifications.services import notify

    now = now or timezone.now()
    flagged = []
    due = ShareRequest.objects.filter(status=RequestStatus.PENDING, due_at__lt=now, overdue_flagged_at__isnull=True)
    supervisors = None
    for req_id in list(due.values_list("pk", flat=True)):
        with transaction.atomic():
            req = _lock_request(req_id)
            if req.status != RequestStatus.PENDING or req.overdue_flagged_at is not None:
                continue
            req.overdue_flagged_at = now
            req.save(update_fields=["overdue_flagged_at"])
            if supervisors is None:
                supervisors = list({a.user for a in RoleAssignment.objects.select_related("user")
                                    .filter(role=Role.SUPERVISOR, user__is_active=True)})
            text = _("%(requester)s于 %(at)s 申请共享“%(resource)s”（%(provider)s），已超过 10 个工作日未答复。") % {
                "requester": req.requester.name, "at": timezone.localtime(req.created_at).strftime("%Y-%m-%d"),
                "resource": req.resource.name, "provider": req.resource.provider.name}
            for user in supervisors:
                notify(user, "generic", {"subject": _("共享申请逾期未答复"), "body": text}, channels=["site"])
            audit.record("exchange.request_overdue", req, role="system", department="",
                         data={"due_at": req.due_at.isoformat(), "supervisors": [u.pk for u in supervisors]})
            flagged.append(req)
    return flagged


# -- clients -----------------------------------------------------------------------------------
@transaction.atomic
def create_client(actor: Actor | None, *, department, name: str, key_id: str | None = None,
                  rate_per_minute: int = 600, secret: str | None = None) -> tuple[ExchangeClient, str]:
    """Register a department's system (platform admin, or ``actor=None`` from a management command).
    Returns the client and its secret, shown once."""
    if actor is not None and actor.role != Role.PLATFORM_ADMIN:
        raise PermissionDeniedError(_("只有平台管理员可以登记接入系统。"), code="role_forbidden")
    key_id = key_id or f"{department.code.lower()}-{secrets.token_hex(4)}"
    secret = secret or new_secret()
    client = ExchangeClient.objects.create(key_id=key_id, name=name, department=department, secret=secret,
                                           rate_per_minute=rate_per_minute)
    audit.record("exchange.client_created", client, actor=actor.user if actor else None,
                 role=actor.role if actor else "system", department=actor.unit_code if actor else "",
                 data={"key_id": key_id, "department": department.code})
    return client, secret


# -- records (汇聚) -------------------------------------------------------------------------------
def subject_bidx(kind: str, number: str) -> str:
    return blind_index(number, kind)


def normalise_subject(kind: str, number) -> str:
    """The validated, normalised number, or ValidationFailed ``subject_invalid``."""
    from yiwang.core.identity import validate_resident_id, validate_uscc

    number = str(number or "").strip()
    verdict = validate_resident_id(number) if kind == SubjectKind.RESIDENT_ID else validate_uscc(number)
    if not verdict.valid:
        label = _("居民身份证号码") if kind == SubjectKind.RESIDENT_ID else _("统一社会信用代码")
        msg = _("主体标识不是有效的%(label)s：%(reason)s") % {"label": label, "reason": verdict.message}
        raise ValidationFailed(msg, code="subject_invalid", fields={"subject": [str(verdict.message)]})
    return verdict.number


def _canonical_values(values: dict) -> str:
    return json.dumps(values, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def store_records(resource: DataResource, mode: str, rows: list[tuple[str, dict, datetime | None]],
                  deleted_bidx: list[str] | None = None, *, client: ExchangeClient | None = None,
                  audit_actor=None) -> PushBatch:
    """Write one batch into the exchange's copy. ``rows`` are (subject blind index, values, source
    update time). Full mode removes every record not in the batch. One transaction, one audit event."""
    if mode not in PushBatch.Mode.values:
        raise ValidationFailed(_("汇聚方式应为 full 或 incremental。"), code="mode_invalid",
                               fields={"mode": [_("full 或 incremental")]})
    now = timezone.now()
    with transaction.atomic():
        batch = PushBatch.objects.create(resource=resource, mode=mode, client=client, received_at=now)
        existing = {r.subject_bidx: r for r in DataRecord.objects.filter(resource=resource)}
        new, changed, unchanged = [], [], 0
        seen = set()
        for bidx, values, updated in rows:
            seen.add(bidx)
            text = _canonical_values(values)
            old = existing.get(bidx)
            if old is None:
                new.append(DataRecord(resource=resource, subject_bidx=bidx, payload=text, version=1,
                                      source_updated_at=updated or now, received_at=now, batch=batch))
            elif old.payload != text:
                old.payload, old.version = text, old.version + 1
                old.source_updated_at, old.received_at, old.batch = updated or now, now, batch
                changed.append(old)
            else:
                unchanged += 1
        DataRecord.objects.bulk_create(new, batch_size=500)
        if changed:
            DataRecord.objects.bulk_update(changed, ["payload", "version", "source_updated_at", "received_at", "batch"],
                                           batch_size=500)
        if mode == PushBatch.Mode.FULL:
            gone = [bidx for bidx in existing if bidx not in seen]
        else:
            gone = [b for b in (deleted_bidx or []) if b in existing and b not in seen]
        if gone:
            DataRecord.objects.filter(resource=resource, subject_bidx__in=gone).delete()
        batch.upserted, batch.unchanged, batch.deleted = len(new) + len(changed), unchanged, len(gone)
        batch.save(update_fields=["upserted", "unchanged", "deleted"])
        resource.last_push_at = now
        if mode == PushBatch.Mode.FULL:
            resource.last_full_push_at = now
        resource.save(update_fields=["last_push_at", "last_full_push_at"])
        audit.record("exchange.records_pushed", batch, actor=audit_actor,
                     role="system" if client is None and audit_actor is None else None,
                     data={"resource": resource.code, "mode": mode, "upserted": batch.upserted,
                           "unchanged": unchanged, "deleted": batch.deleted,
                           "client": client.key_id if client else None})
    return batch


def push_records(client: ExchangeClient, code: str, payload: dict) -> PushBatch:
    """A provider's system pushes records: ``{mode: "full"|"incremental", records: [{subject, values,
    updated_at?}], deleted: [subject, ...]}``. Only the provider department's clients may push."""
    resource = DataResource.objects.select_related("provider").filter(code=(code or "").upper()).first()
    if resource is None:
        raise NotFound(_("未找到该数据资源。"), code="resource_not_found")
    if resource.provider_id != client.department_id:
        raise PermissionDeniedError(_("只有数据提供部门可以汇聚该资源的数据。"), code="not_provider")
    if resource.status == ResourceStatus.RETIRED:
        raise Conflict(_("该数据资源已停用。"), code="resource_retired")
    mode = payload.get("mode")
    records = payload.get("records") or []
    deleted = payload.get("deleted") or []
    if not isinstance(records, list) or not isinstance(deleted, list):
        raise ValidationFailed(_("records 和 deleted 应为列表。"), code="body_invalid")
    limit = int(getattr(settings, "EXCHANGE_PUSH_MAX_RECORDS", 50000))
    if len(records) + len(deleted) > limit:
        raise ValidationFailed(_("单批最多 %(n)d 条，请分批推送（增量）。") % {"n": limit}, code="batch_too_large")
    keys = set(resource.field_keys)
    rows, seen = [], set()
    for i, entry in enumerate(records):
        if not isinstance(entry, dict) or not isinstance(entry.get("values"), dict):
            raise ValidationFailed(_("第 %(i)d 条记录格式不正确。") % {"i": i + 1}, code="record_invalid",
                                   fields={f"records.{i}": [_("应为 {subject, values}。")]})
        try:
            number = normalise_subject(resource.subject_kind, entry.get("subject"))
        except ValidationFailed as exc:
            raise ValidationFailed(_("第 %(i)d 条记录：%(m)s") % {"i": i + 1, "m": exc.message},
                                   code="subject_invalid", fields={f"records.{i}.subject": [str(exc.message)]}) from None
        unknown = sorted(set(entry["values"]) - keys)
        if unknown:
            raise ValidationFailed(_("第 %(i)d 条记录含目录之外的信息项：%(f)s") % {"i": i + 1, "f": "、".join(unknown)},
                                   code="unknown_fields", fields={f"records.{i}.values": unknown})
        bidx = subject_bidx(resource.subject_kind, number)
        if bidx in seen:
            raise ValidationFailed(_("第 %(i)d 条记录与前面的记录主体重复。") % {"i": i + 1}, code="record_duplicate")
        seen.add(bidx)
        updated = None
        if entry.get("updated_at"):
            try:
                updated = datetime.fromisoformat(str(entry["updated_at"]))
                if timezone.is_naive(updated):
                    updated = timezone.make_aware(updated)
            except ValueError:
                raise ValidationFailed(_("第 %(i)d 条记录的 updated_at 不是 ISO 8601 时间。") % {"i": i + 1},
                                       code="record_invalid") from None
        rows.append((bidx, {k: entry["values"][k] for k in sorted(entry["values"])}, updated))
    deleted_bidx = []
    if mode == PushBatch.Mode.INCREMENTAL:
        for i, number in enumerate(deleted):
            try:
                deleted_bidx.append(subject_bidx(resource.subject_kind, normalise_subject(resource.subject_kind, number)))
            except ValidationFailed as exc:
                raise ValidationFailed(_("deleted 第 %(i)d 项：%(m)s") % {"i": i + 1, "m": exc.message},
                                       code="subject_invalid") from None
    elif deleted:
        raise ValidationFailed(_("全量推送不接受 deleted：未包含的记录即视为删除。"), code="body_invalid")
    return store_records(resource, mode, rows, deleted_bidx, client=client)


# -- grants in force -----------------------------------------------------------------------------
def resolve_grant(resource: DataResource, department_id: int | None, item_code: str = "") -> Grant:
    """The department's usable grant for the resource, or PermissionDenied with the precise reason:
    ``no_grant``, ``grant_revoked`` or ``grant_expired`` (and ``grant_item_mismatch`` when the
    grants in force are limited to other items)."""
    grants = list(Grant.objects.filter(resource=resource, grantee_id=department_id).order_by("-created_at", "-id"))
    usable = [g for g in grants if g.is_usable]
    fitting = [g for g in usable if not g.items or (item_code and item_code in g.items)]
    if fitting:
        return fitting[0]
    if usable:
        raise PermissionDeniedError(_("共享授权限定用于特定事项：请以 item_code 说明所办事项。"),
                                    code="grant_item_mismatch")
    if not grants:
        raise PermissionDeniedError(_("没有该数据资源的共享授权，请先提出共享申请。"), code="no_grant")
    latest = grants[0]
    if latest.status == GrantStatus.REVOKED:
        raise PermissionDeniedError(_("共享授权已于 %(at)s 被撤销：%(reason)s") % {
            "at": timezone.localtime(latest.revoked_at).strftime("%Y-%m-%d %H:%M"), "reason": latest.revoke_reason},
            code="grant_revoked")
    raise PermissionDeniedError(_("共享授权已于 %(at)s 到期，请重新申请。") % {
        "at": timezone.localtime(latest.expires_at).strftime("%Y-%m-%d")}, code="grant_expired")


# -- the case pipeline (免提交) -------------------------------------------------------------------
@dataclass
class FetchReport:
    attached: list = field(default_factory=list)
    skipped: list[dict] = field(default_factory=list)  # {key, name, source, reason, message}
    #: attached materials about a person named in the form, not the applicant:
    #: {key, name, subject_field, subject_title, subject (masked)}
    third_party: list[dict] = field(default_factory=list)


@dataclass(frozen=True)
class Subject:
    """Whose data a material is fetched for: the applicant (or their enterprise), or the person (or
    organisation) whose number the applicant wrote in the form field the catalog names
    (``Material.subject_field``)."""

    kind: str
    number: str
    field: str = ""
    title: str = ""

    @property
    def third_party(self) -> bool:
        return bool(self.field)


def _form_field(case, key: str) -> dict:
    schema = case.item_version.form_schema if case.item_version_id else {}
    spec = ((schema or {}).get("properties") or {}).get(key)
    return spec if isinstance(spec, dict) else {}


def material_subject(case, m, kind: str | None) -> tuple[Subject | None, str, str]:
    """``(subject, "ok", "")`` or ``(None, reason, message)``. ``kind`` is the resource's subject kind
    (None for a licence: then the form field's own format decides). A third party's number is taken
    from the case's form only — never the applicant's own number in its place."""
    key = getattr(m, "subject_field", "") or ""
    if not key:
        number = _subject_for(case, kind or SubjectKind.RESIDENT_ID)
        if not number:
            return None, "no_subject", str(_("该材料须以企业名义申请时才能调取。"))
        return Subject(kind or SubjectKind.RESIDENT_ID, number), "ok", ""
    spec = _form_field(case, key)
    title = str(spec.get("title") or key)
    field_kind = spec.get("format")
    if field_kind not in SubjectKind.values:
        return None, "subject_field_invalid", str(_("办事指南指定的数据主体字段“%(field)s”不是申请表中的身份证号码或统一社会信用代码字段。")
                                                  % {"field": key})
    if kind and field_kind != kind:
        return None, "subject_kind_mismatch", str(_("“%(title)s”填写的号码类型与数据资源的主体类型不符。") % {"title": title})
    value = (case.form_data or {}).get(key)
    if value in (None, ""):
        return None, "subject_missing", str(_("申请表未填写“%(title)s”，无法调取“%(name)s”。") % {
            "title": title, "name": m.name})
    try:
        number = normalise_subject(field_kind, value)
    except ValidationFailed as exc:
        return None, "subject_invalid", str(_("申请表所填“%(title)s”无效：%(reason)s") % {
            "title": title, "reason": (exc.fields.get("subject") or [exc.message])[0]})
    return Subject(field_kind, number, key, title), "ok", ""


def subject_form_errors(schema: dict | None, materials, form: dict | None, uploaded=()) -> dict[str, list[str]]:
    """Precise form errors, before anything is written, for the materials fetched for a person named
    in the form: ``{field: [message]}``. The field must hold a valid number when the material is
    required and the applicant does not hand it in (``uploaded`` material keys)."""
    props = ((schema or {}).get("properties") or {}) if isinstance(schema, dict) else {}
    form = form if isinstance(form, dict) else {}
    errors: dict[str, list[str]] = {}
    for m in materials:
        key, source = getattr(m, "subject_field", ""), getattr(m, "source", "")
        if not key or source not in ("licence", "shared_data") or key in errors:
            continue
        spec = props.get(key) or {}
        title = spec.get("title") or key
        value = form.get(key)
        if value in (None, ""):
            if m.requirement == "required" and m.key not in uploaded:
                errors[key] = [str(_("请填写“%(title)s”：平台据此调取“%(name)s”，无需您上传。") % {
                    "title": title, "name": m.name})]
            continue
        if spec.get("format") in SubjectKind.values:
            try:
                normalise_subject(spec["format"], value)
            except ValidationFailed as exc:
                errors[key] = [str(_("“%(title)s”无效：%(reason)s") % {
                    "title": title, "reason": (exc.fields.get("subject") or [exc.message])[0]})]
    return errors


def fetch_for_case(case, materials=None) -> list:
    """Fetch, for the applicant of ``case``, every material whose source is a licence type or a
    shared data resource, and attach it to the case as a :class:`~yiwang.cases.models.CaseMaterial`.
    Returns the attached rows. Nothing is fetched without the applicant's consent
    (``case.consent_data_sharing``); every fetch is logged as a query with the case number."""
    return fetch_for_case_report(case, materials).attached


def fetch_for_case_report(case, materials=None) -> FetchReport:
    from yiwang.cases.models import CaseMaterial

    report = FetchReport()
    if materials is None:
        materials = list(case.item_version.materials.all()) if case.item_version_id else []
    wanted = [m for m in materials if m.source in ("licence", "shared_data") and m.source_ref]
    if not wanted:
        return report
    if not case.consent_data_sharing:
        report.skipped = [{"key": m.key, "name": m.name, "source": m.source, "reason": "no_consent",
                           "message": str(_("申请人未同意调取共享数据，请本人提交。"))} for m in wanted]
        return report
    # already attached (fetched before, or handed in by the applicant because the preview found
    # nothing to fetch): not fetched again, so no needless query is made and logged
    have = set(CaseMaterial.objects.filter(case=case, superseded=False).values_list("material_key", flat=True))
    platform = _platform_department()
    for m in wanted:
        key = m.key or f"m{m.pk}"
        if key in have:
            continue
        subject = None
        try:
            with transaction.atomic():
                row, reason, message = (_fetch_shared(case, m, key, platform) if m.source == "shared_data"
                                        else _fetch_licence(case, m, key, platform))
                subject = getattr(row, "_subject", None)
        except Exception:  # noqa: BLE001 - one failing source must not stop the application
            logger.exception("fetching material %s for case %s failed", key, case.number)
            row, reason, message = None, "fetch_failed", str(_("调取失败，请本人提交或由窗口补录。"))
        if row is not None:
            report.attached.append(row)
            have.add(key)
            if subject is not None and subject.third_party:
                report.third_party.append({"key": key, "name": m.name, "subject_field": subject.field,
                                           "subject_title": subject.title,
                                           "subject": mask_id_number(subject.number)})
        else:
            report.skipped.append({"key": key, "name": m.name, "source": m.source, "reason": reason,
                                   "message": message})
    # the record of what was fetched for the case; a third party's data (the deceased's death
    # certificate, a child's birth certificate) is named as such, with the form field it came from
    audit.record("exchange.case_materials_fetched", ("cases.case", case.number or case.pk), data={
        "attached": [r.material_key for r in report.attached],
        "skipped": [{"key": s["key"], "reason": s["reason"]} for s in report.skipped],
        "third_party": report.third_party})
    return report


def _platform_department():
    from yiwang.core.models import Department

    return Department.objects.filter(code=platform_department_code()).first()


def _pipeline_log(case, subject: Subject | None = None, **kwargs) -> QueryLog:
    from yiwang.core.context import current

    ctx = current.get()
    if subject is not None and subject.third_party:
        purpose = _("办件 %(number)s“%(title)s”免提交材料调取（申请人已同意；调取的是申请表“%(field)s”所填人员的数据）") % {
            "number": case.number, "title": case.title, "field": subject.title}
    else:
        purpose = _("办件 %(number)s“%(title)s”免提交材料调取（申请人已同意）") % {"number": case.number, "title": case.title}
    return QueryLog(channel=QueryLog.Channel.PIPELINE, department_id=case.department_id,
                    case_number=(case.number or "")[:32], ip=ctx.ip, request_id=ctx.request_id,
                    purpose=purpose[:500], **kwargs)


def _subject_for(case, kind: str) -> str | None:
    if kind == SubjectKind.USCC:
        return case.enterprise.uscc if case.enterprise_id else None
    return case.applicant.id_number or None


def pipeline_grant(resource, department_id: int | None, item_code: str, platform) -> Grant:
    """The department's own grant, else the platform's grant (the pipeline as a caller); else
    PermissionDenied with the department's own reason."""
    try:
        return resolve_grant(resource, department_id, item_code)
    except PermissionDeniedError as exc:
        if platform is None or platform.pk == department_id:
            raise
        try:
            return resolve_grant(resource, platform.pk, item_code)
        except PermissionDeniedError:
            raise exc from None


def servable_grant(resource: DataResource, department_id: int | None, item_code: str, platform) -> Grant:
    """The grant under which the pipeline may query ``resource`` for this department's item; NotFound
    or PermissionDenied (with the reason as its code) when it may not: the resource is unpublished,
    not shared, or granted to neither the department nor the platform. The one rule for both the
    fetch (:func:`_serve_record`) and its preview on the application form."""
    if resource.status != ResourceStatus.PUBLISHED:
        raise NotFound(_("数据资源“%(code)s”未发布。") % {"code": resource.code}, code="resource_not_found")
    if resource.share_class == ShareClass.NOT_SHARED:
        raise PermissionDeniedError(_("该数据资源不予共享。"), code="resource_not_shared")
    return pipeline_grant(resource, department_id, item_code, platform)


def catalogued_resource(code: str) -> DataResource:
    """The data resource a material's ``source_ref`` names (with its provider), or NotFound."""
    resource = DataResource.objects.select_related("provider").filter(code=code.upper()).first()
    if resource is None:
        raise NotFound(_("数据资源“%(code)s”尚未编目。") % {"code": code}, code="resource_not_found")
    return resource


def backing_resources(type_code: str) -> list[DataResource]:
    """Published resources that hold the data of a licence type (证照信息核验 in its place)."""
    return [r for r in DataResource.objects.select_related("provider").filter(status=ResourceStatus.PUBLISHED)
            if type_code in (r.licence_types or [])]


def licence_label(licence) -> str:
    """The licence's type name (a library ``Licence``) or its own ``name`` (another library)."""
    ltype = getattr(licence, "type", None)
    return str(getattr(ltype, "name", "") or getattr(licence, "name", "") or "")


def licence_refusal(lib, candidates: list[tuple[str, str]], type_code: str, name: str,
                    subject_title: str = "") -> tuple[str, str]:
    """Why the library has no valid licence of the type for these holders: ``licence_revoked`` or
    ``licence_expired`` (naming the licence and the date) or ``licence_not_found``."""
    newest = getattr(lib, "newest_licence", None) if lib is not None else None
    for _kind, number in candidates:
        licence = newest(number, type_code) if newest is not None else None
        if licence is None:
            continue
        state = licence.state() if hasattr(licence, "state") else str(getattr(licence, "status", ""))
        label = licence_label(licence) or name
        if state == "revoked":
            at = timezone.localtime(licence.revoked_at).strftime("%Y-%m-%d") if licence.revoked_at else ""
            return "licence_revoked", str(_("“%(name)s”（%(id)s）已于 %(at)s 注销：%(reason)s") % {
                "name": label, "id": licence.identifier, "at": at, "reason": licence.revoke_reason or "-"})
        if state == "expired":
            return "licence_expired", str(_("“%(name)s”（%(id)s）已于 %(at)s 过期。") % {
                "name": label, "id": licence.identifier, "at": licence.valid_until.isoformat()})
    if subject_title:
        return "licence_not_found", str(_("电子证照库中没有申请表“%(field)s”所填人员有效的“%(name)s”。") % {
            "field": subject_title, "name": name})
    return "licence_not_found", str(_("电子证照库中没有申请人有效的“%(name)s”。") % {"name": name})


def _serve_record(case, resource: DataResource, key: str, m, platform, *, kind=QueryLog.Kind.DATA,
                  licence_type: str = ""):
    """Query the exchange's copy for the material's subject (the applicant, or the person the form
    names), log it, attach the record as JSON."""
    name = m.name
    subject, reason, message = material_subject(case, m, resource.subject_kind)
    if subject is None:
        return None, reason, message
    number = subject.number
    log = _pipeline_log(case, subject, resource=resource, resource_code=resource.code, resource_name=resource.name,
                        kind=kind, subject_kind=resource.subject_kind)
    log.subject_bidx = subject_bidx(resource.subject_kind, number)
    try:
        grant = servable_grant(resource, case.department_id, case.item_code, platform)
        log.grant = grant
        served = [f for f in grant.fields if f in resource.field_keys]
        log.fields_requested = served
        record = DataRecord.objects.filter(resource=resource, subject_bidx=log.subject_bidx).first()
        if record is None and subject.third_party:
            raise NotFound(_("%(provider)s没有申请表“%(field)s”所填人员的“%(name)s”记录。")
                           % {"provider": resource.provider.name, "field": subject.title, "name": resource.name},
                           code="subject_not_found")
        if record is None:
            raise NotFound(_("%(provider)s没有申请人的“%(name)s”记录。")
                           % {"provider": resource.provider.name, "name": resource.name}, code="subject_not_found")
    except DomainError as exc:
        log.outcome, log.http_status = exc.code, exc.status
        log.save()
        return None, exc.code, str(exc.message)
    values = record.data()
    names = resource.field_names
    doc = {
        "document": "共享数据调取凭据",
        "material": name,
        "resource": {"code": resource.code, "name": resource.name, "provider": resource.provider.name},
        "in_place_of_licence": licence_type or None,
        "subject": mask_id_number(number),
        "subject_role": "third_party" if subject.third_party else "applicant",
        "subject_field": {"key": subject.field, "title": subject.title} if subject.third_party else None,
        "case_number": case.number,
        "fields": [{"key": k, "name": names.get(k, k), "value": values.get(k)} for k in served],
        "record_version": record.version,
        "source_updated_at": record.source_updated_at.isoformat() if record.source_updated_at else None,
        "fetched_at": timezone.now().isoformat(),
        "grant": grant.pk,
    }
    data = json.dumps(doc, ensure_ascii=False, indent=2).encode()
    log.fields_returned, log.result_size, log.result_bytes = served, len(served), len(data)
    log.save()
    title = name if not licence_type else f"{name}（{resource.name}核验）"
    row = _attach(case, key, title, "shared_data", data, "application/json", "json")
    row._subject = subject
    return row, "ok", ""


def _attach(case, key: str, name: str, source: str, data: bytes, content_type: str, ext: str):
    from yiwang.cases.models import CaseMaterial

    row = CaseMaterial(case=case, material_key=key[:64], name=name[:200], source=source, content_type=content_type,
                       size=len(data), sha256=hashlib.sha256(data).hexdigest(), uploaded_by=None)
    row.file.save(f"{secrets.token_hex(12)}.{ext}", ContentFile(data), save=False)
    row.save()
    return row


def _fetch_shared(case, m, key: str, platform):
    try:
        resource = catalogued_resource(m.source_ref)
    except NotFound as exc:
        return None, exc.code, str(exc.message)
    return _serve_record(case, resource, key, m, platform)


def licence_selectors():
    """``yiwang.licences.selectors`` when the licence library is installed, else None."""
    try:
        from yiwang.licences import selectors as licence_selectors  # noqa: PLC0415
    except ImportError:
        return None
    return licence_selectors if hasattr(licence_selectors, "current_licence") else None


def _licence_pdf(licence) -> bytes | None:
    pdf = getattr(licence, "pdf", None)
    if callable(pdf):
        pdf = pdf()
    if isinstance(pdf, (bytes, bytearray)):
        return bytes(pdf)
    if pdf and hasattr(pdf, "open"):
        try:
            pdf.open("rb")
            try:
                return pdf.read()
            finally:
                pdf.close()
        except (ValueError, OSError):
            return None
    return None


def _licence_candidates(person, enterprise) -> list[tuple[str, str]]:
    """Whose licences serve: the enterprise's (USCC) first for an enterprise case, then the person's."""
    candidates = []
    if enterprise is not None:
        candidates.append((SubjectKind.USCC, enterprise.uscc))
    if person is not None and person.id_number:
        candidates.append((SubjectKind.RESIDENT_ID, person.id_number))
    return candidates


def _fetch_licence(case, m, key: str, platform):
    type_code = m.source_ref.upper()
    lib = licence_selectors()
    subject = None
    if getattr(m, "subject_field", ""):
        subject, reason, message = material_subject(case, m, None)
        if subject is None:
            return None, reason, message
        candidates = [(subject.kind, subject.number)]  # the person the form names, never the applicant
    else:
        candidates = _licence_candidates(case.applicant, case.enterprise if case.enterprise_id else None)
    if lib is not None and candidates:
        for kind, number in candidates:
            licence = lib.current_licence(number, type_code)
            if licence is None:
                continue
            state = str(getattr(licence, "status", "") or "").lower()
            if state in ("revoked", "expired", "void"):
                continue
            label = licence_label(licence) or m.source_name or m.name
            log = _pipeline_log(case, subject, kind=QueryLog.Kind.LICENCE, resource_code=type_code,
                                resource_name=label[:128],
                                subject_kind=kind, subject_bidx=subject_bidx(kind, number),
                                fields_requested=["licence"], fields_returned=["licence"], result_size=1)
            data = _licence_pdf(licence)
            identifier = str(getattr(licence, "identifier", ""))
            if data and data.startswith(b"%PDF-"):
                content_type, ext = "application/pdf", "pdf"
            else:
                issuer = getattr(licence, "issuer", None)
                until = getattr(licence, "valid_until", None)
                data = json.dumps({"document": "电子证照", "identifier": identifier, "name": label,
                                   "number": str(getattr(licence, "number", "") or ""),
                                   "issuer": str(getattr(issuer, "name", "") or ""),
                                   "valid_until": until.isoformat() if until else None,
                                   "verify": f"/licences/verify/{identifier}" if identifier else None,
                                   "case_number": case.number}, ensure_ascii=False, indent=2).encode()
                content_type, ext = "application/json", "json"
            log.result_bytes = len(data)
            log.save()
            title = f"{label}（{identifier}）" if identifier else m.name
            row = _attach(case, key, title, "licence", data, content_type, ext)
            row._subject = subject or Subject(kind, number)
            return row, "ok", ""
    # No licence in the library (or no library yet): a shared resource that holds the licence's data.
    backing = backing_resources(type_code)
    for resource in backing:
        if subject is not None and resource.subject_kind != subject.kind:
            continue
        row, reason, message = _serve_record(case, resource, key, m, platform, licence_type=type_code)
        if row is not None:
            return row, reason, message
    if lib is None and not backing:
        return None, "licence_library_unavailable", str(_("电子证照库尚未接入，暂不能调取“%(name)s”。") % {"name": m.source_name or m.name})
    reason, message = licence_refusal(lib, candidates, type_code, m.source_name or m.name,
                                      subject.title if subject is not None else "")
    if lib is not None and candidates:
        number_kind, number = candidates[-1]
        _pipeline_log(case, subject, kind=QueryLog.Kind.LICENCE, resource_code=type_code, resource_name=m.source_name[:128],
                      subject_kind=number_kind, subject_bidx=subject_bidx(number_kind, number),
                      outcome=reason, http_status=404 if reason == "licence_not_found" else 403).save()
    return None, reason, message
