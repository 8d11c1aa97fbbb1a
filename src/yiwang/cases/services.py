"""Every state change of a case: one function per business action, in one transaction that locks
the case row, with a timeline event, an audit event and a notification to the applicant.

Who may do what (前台综合受理、后台分类审批、统一窗口出件):
* the applicant (citizen, or an enterprise's agent) submits, resubmits after a correction,
  withdraws and pays online;
* a counter clerk (any service place) accepts or refuses any department's application, requests a
  correction, takes payment at the counter and delivers results;
* the implementing department's reviewers accept, request corrections, suspend/resume, review,
  transfer; its head (or the lane's role) decides; a head reassigns tasks;
* parallel-review departments review their own task only.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.accounts.actor import Actor
from yiwang.accounts.models import Role
from yiwang.core import audit
from yiwang.core.errors import Conflict, DomainError, NotFound, PermissionDeniedError, ValidationFailed
from yiwang.core.models import Department

from . import sla, uploads
from .models import (
    ACTION_LABELS,
    Case,
    CaseEvent,
    CaseMaterial,
    CaseNumberCounter,
    CaseTask,
    Channel,
    DeliveryMethod,
    IdempotencyKey,
    Payment,
    ProcessBinding,
    ProcessModel,
    Status,
    SuspensionKind,
    TaskStatus,
)
from .process import TEMPLATE_KEYS, Runtime, parse_model, template_xml

APPLICANT_ROLES = (Role.CITIZEN, Role.ENTERPRISE_AGENT)
_PROCESS_KEY_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
DEFAULT_DIVISION = "329002"


# -- helpers -----------------------------------------------------------------------------------
def _lock(number: str) -> Case:
    qs = Case.objects.select_related("department", "item_version", "process_model", "applicant", "enterprise")
    if transaction.get_connection().features.has_select_for_update:
        qs = qs.select_for_update(of=("self",))
    case = qs.filter(number=number).first()
    if case is None:
        raise NotFound(_("未找到该办件。"), code="case_not_found")
    return case


def _event(case: Case, action: str, from_status: str, actor: Actor | None, opinion: str = "", data: dict | None = None):
    dept = None
    if actor is not None and actor.department_id:
        dept = actor.assignment.department
    CaseEvent.objects.create(
        case=case, action=action, from_status=from_status, to_status=case.status,
        actor=actor.user if actor else None, actor_label=actor.label if actor else _("系统"),
        role=actor.role if actor else "system", department=dept, opinion=opinion[:4000], data=data or {},
    )
    audit.record(f"case.{action}", ("cases.case", case.number or case.pk),
                 data={"from": from_status, "to": case.status, **({"opinion": opinion[:500]} if opinion else {}),
                       **(data or {})})


def _notify(case: Case, template_text: str, *, sms: bool = True) -> None:
    """Tell the applicant about a step (in-site message, and SMS unless ``sms`` is False: a review
    opinion of one department among several is worth a message, not a text)."""
    from yiwang.notifications.services import notify

    channels = None if sms else ["site"]
    with transaction.atomic(savepoint=False):  # the person's messages (in-site + SMS) in one write
        notify(case.applicant, "case_update", {"number": case.number, "title": case.title, "text": template_text,
                                               "status": case.get_status_display()}, channels=channels)


def _require(cond: bool, message=None, code: str = "action_forbidden") -> None:
    if not cond:
        raise PermissionDeniedError(message or _("您的角色无权对该办件执行此操作。"), code=code)


def _is_applicant(actor: Actor, case: Case) -> bool:
    if actor.user is None or actor.role not in APPLICANT_ROLES:
        return False
    if case.enterprise_id:
        return actor.enterprise is not None and actor.enterprise.pk == case.enterprise_id
    return case.applicant_id == actor.user.pk and actor.enterprise is None


def _in_department(actor: Actor, case: Case, *roles: str) -> bool:
    return actor.role in roles and actor.department_id is not None and actor.department_id == case.department_id


def _department_staff(actor: Actor, case: Case) -> bool:
    """Department staff who may hold one of the case's tasks: its own department's, or a
    department reviewing it in parallel. Whether a given task is theirs is :func:`_task_for`'s
    question; the counter, applicants and everybody else are refused before that."""
    if actor.department_id is None:
        return False
    if actor.department_id == case.department_id:
        return True
    return CaseTask.objects.filter(case=case, department_id=actor.department_id).exists()


def _front_desk(actor: Actor) -> bool:
    return actor.role == Role.CLERK


def _need_text(value: str, field: str, message) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationFailed(message, code=f"{field}_required", fields={field: [message]})
    return value


def next_case_number(division: str, when=None) -> str:
    """``<division 6><yyyymmdd><sequence 6>``, e.g. 32900220261121000042 (drawn under a row lock)."""
    when = timezone.localtime(when or timezone.now())
    day = when.date()
    last = _bump_counter(division, day)
    if last is None:  # the day's first number
        CaseNumberCounter.objects.get_or_create(division=division, day=day)
        last = _bump_counter(division, day)
    return f"{division}{day:%Y%m%d}{last:06d}"


def _bump_counter(division: str, day) -> int | None:
    """Increment the day's counter and read it back in one statement (UPDATE … RETURNING, SQLite ≥
    3.35 and PostgreSQL); the row stays locked until the surrounding transaction ends. None if the
    day has no counter yet."""
    connection = transaction.get_connection()
    q = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {q(CaseNumberCounter._meta.db_table)} SET {q('last')} = {q('last')} + 1 "
            f"WHERE {q('division')} = %s AND {q('day')} = %s RETURNING {q('last')}",
            [division, connection.ops.adapt_datefield_value(day)],
        )
        row = cursor.fetchone()
    return row[0] if row else None


# -- process models ----------------------------------------------------------------------------
def ensure_templates() -> None:
    for key in TEMPLATE_KEYS:
        if not ProcessModel.objects.filter(key=key).exists():
            xml = template_xml(key)
            parsed = parse_model(xml)
            ProcessModel.objects.get_or_create(
                key=key, version=1,
                defaults={"name": parsed.name, "process_id": parsed.process_id, "bpmn_xml": xml,
                          "lane_roles": parsed.lane_roles, "task_names": parsed.task_names},
            )


@transaction.atomic
def upload_process_model(actor: Actor, key: str, xml: bytes | str) -> ProcessModel:
    """Add a new version of a process model (platform admin); refused if it does not parse or a
    task has no role. Running cases keep their version."""
    _require(actor.role == Role.PLATFORM_ADMIN, _("只有平台管理员可以上传流程模型。"))
    key = (key or "").strip()
    if not _PROCESS_KEY_RE.match(key):
        raise ValidationFailed(_("流程标识只能由小写字母、数字、连字符和下划线组成。"), code="process_key_invalid",
                               fields={"key": [_("例如 promised、food-licence。")]})
    parsed = parse_model(xml)
    text = xml.decode() if isinstance(xml, bytes) else xml
    last = ProcessModel.objects.filter(key=key).order_by("-version").first()
    ProcessModel.objects.filter(key=key).update(is_active=False)
    model = ProcessModel.objects.create(
        key=key, version=(last.version + 1) if last else 1, name=parsed.name, process_id=parsed.process_id,
        bpmn_xml=text, lane_roles=parsed.lane_roles, task_names=parsed.task_names, uploaded_by=actor.user,
    )
    audit.record("process_model.uploaded", model, data={"key": key, "version": model.version})
    return model


def _process_for(case: Case) -> tuple[ProcessModel, list[str]]:
    ensure_templates()
    binding = ProcessBinding.objects.filter(item_code=case.item_code).first()
    key = binding.process_key if binding else ("immediate" if case.case_type == "1" else "promised")
    model = ProcessModel.objects.filter(key=key, is_active=True).order_by("-version").first()
    if model is None:
        raise Conflict(_("事项配置的流程不存在：%(key)s") % {"key": key}, code="process_missing")
    departments = [case.department.code]
    if binding:
        departments += [d for d in binding.departments if d != case.department.code]
    return model, departments


def _runtime(case: Case) -> Runtime:
    return Runtime.load(case.process_model.bpmn_xml, case.process_model.process_id, case.process_state)


def _sync_tasks(case: Case, runtime: Runtime) -> None:
    """Make the inbox match the engine: one open CaseTask per ready engine task."""
    ready = runtime.ready()
    ready_ids = {t.task_id for t in ready}
    CaseTask.objects.filter(case=case, status__in=[TaskStatus.OPEN, TaskStatus.CLAIMED]).exclude(
        engine_task_id__in=ready_ids).update(status=TaskStatus.CANCELLED, completed_at=timezone.now())
    existing = set(CaseTask.objects.filter(case=case, engine_task_id__in=ready_ids).values_list("engine_task_id", flat=True))
    depts = {d.code: d for d in Department.objects.filter(code__in=[t.department_code for t in ready if t.department_code])}
    for t in ready:
        if t.task_id in existing:
            continue
        CaseTask.objects.create(
            case=case, engine_task_id=t.task_id, step=t.bpmn_id, name=t.name,
            role=case.process_model.lane_roles.get(t.bpmn_id, Role.REVIEWER),
            department=depts.get(t.department_code) or case.department,
        )


# -- submission --------------------------------------------------------------------------------
def _fingerprint(payload: dict) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()


#: (item code, current version pk, its created_at, department pk) → (item, version, materials), for
#: published versions only: a published version is frozen, so what it says cannot change under the
#: cache; publishing, retiring or moving the item changes the key (read by one light query).
_PUBLISHED: dict[tuple, tuple] = {}


def _published_version(item_code: str):
    """The item and its published version, with the version's materials (``version._materials``)."""
    from yiwang.catalog.models import ServiceItem
    from yiwang.catalog.selectors import published_item

    row = (ServiceItem.objects.filter(code=item_code, current__isnull=False, department__is_active=True)
           .values_list("current_id", "current__created_at", "department_id").first())
    key = (item_code, *row) if row else None
    hit = _PUBLISHED.get(key) if key else None
    if hit is None:
        item = published_item(item_code)  # the NotFound with its message when there is none
        version = item.current
        version.item = item  # already loaded: spares a query for version.item
        hit = (item, version, list(version.materials.all()))
        if version.frozen and key and key[1] == version.pk:
            if len(_PUBLISHED) > 2000:
                _PUBLISHED.clear()
            _PUBLISHED[key] = hit
    return hit


def _subject_errors(errors: dict, schema, materials, form, uploaded) -> None:
    """A material fetched for a person the form names (the deceased, a child) needs that person's
    number in the form: a precise message on the field, in place of the schema's generic one."""
    if not any(getattr(m, "subject_field", "") for m in materials):
        return
    from yiwang.exchange.services import subject_form_errors

    errors.update(subject_form_errors(schema, materials, form, uploaded))


def _check_form(version, form: dict, materials=(), uploaded=()) -> None:
    from yiwang.catalog.formschema import validate_form

    errors = validate_form(version.form_schema or {}, form)
    _subject_errors(errors, version.form_schema, materials, form, uploaded)
    if errors:
        raise ValidationFailed(_("申请表有 %(n)d 处需要更正。") % {"n": len(errors)}, code="form_invalid",
                               fields={f"form.{k}": v for k, v in errors.items()})


def _check_materials(materials, attached: dict[str, list[CaseMaterial]]) -> None:
    """Every required material the applicant submits (of ``materials``, a version's) is attached."""
    missing = [(m.key, m.name) for m in materials
               if m.requirement == "required" and m.applicant_submits and m.key not in attached]
    if missing:
        raise ValidationFailed(
            _("还缺少 %(n)d 份必要材料：%(names)s") % {"n": len(missing), "names": "、".join(n for _k, n in missing)},
            code="materials_missing",
            fields={f"materials.{k}": [_("请上传“%(name)s”。") % {"name": n}] for k, n in missing},
        )


def _claim_uploads(actor: Actor, materials: list[dict]) -> dict[str, list[CaseMaterial]]:
    """Materials named in a submission: ``[{key, upload}]`` where upload is a token from
    :func:`upload_material`. Each must belong to the submitter and not be used yet; one material
    may have several files (pages), and one file serves one material only."""
    attached: dict[str, list[CaseMaterial]] = {}
    entries = [(str(e.get("key", "")).strip(), str(e.get("upload", ""))) for e in materials or []]
    rows = {r.upload_token: r for r in CaseMaterial.objects.filter(
        upload_token__in=[token for _key, token in entries], uploaded_by=actor.user, case__isnull=True)} if entries else {}
    seen: set[str] = set()
    for key, token in entries:
        if not key or len(key) > 64:
            raise ValidationFailed(_("材料标识无效。"), code="material_key_invalid",
                                   fields={"materials": [_("每份材料须注明 1–64 个字符的材料标识（key）。")]})
        row = rows.get(token)
        if row is None or token in seen:
            raise ValidationFailed(_("材料“%(key)s”的上传凭证无效或已使用。") % {"key": key}, code="upload_invalid",
                                   fields={f"materials.{key}": [_("请重新上传。")]})
        seen.add(token)
        row._loaded_key = row.material_key
        row.material_key = key
        attached.setdefault(key, []).append(row)
    return attached


def upload_material(actor: Actor, *, name: str, data: bytes, key: str = "", source: str = "applicant") -> CaseMaterial:
    """Store one uploaded file (not yet attached to a case) and return it with its token.
    Materials are the applicant's: only an applicant can use a token (:func:`_claim_uploads`), and
    at the counter the clerk uploads as the identified citizen, so staff uploading in their own name
    would only fill the store with files nobody can attach."""
    _require(actor.is_authenticated, _("请先登录。"), code="not_authenticated")
    _require(actor.role in APPLICANT_ROLES, _("只有申请人本人或企业经办人可以上传申请材料。"), code="applicant_only")
    content_type, digest = uploads.check(data, name)
    row = CaseMaterial(material_key=key[:64], name=name[:200], source=source, content_type=content_type,
                       size=len(data), sha256=digest, uploaded_by=actor.user, upload_token=secrets.token_urlsafe(24))
    row.file.save(uploads.as_file(data, content_type).name, uploads.as_file(data, content_type), save=False)
    row.save()
    return row


def submit(actor: Actor, *, item_code: str | None = None, bundle_code: str | None = None, form: dict | None = None,
           materials: list[dict] | None = None, idempotency_key: str | None = None,
           channel: str = Channel.WEB, consent_data_sharing: bool = False) -> tuple[Case, bool]:
    """Submit an application. Returns (case, created). The same Idempotency-Key from the same person
    returns the first case and creates nothing; the same key with a different request is a 409."""
    _require(actor.role in APPLICANT_ROLES, _("只有申请人本人或企业经办人可以提交申请。"), code="applicant_only")
    if bool(item_code) == bool(bundle_code):
        raise ValidationFailed(_("请指定一个事项或一件事。"), code="item_or_bundle_required",
                               fields={"item_code": [_("请指定 item_code 或 bundle_code 之一。")]})
    form = form or {}
    key = (idempotency_key or "").strip()[:128]
    if not key:
        raise ValidationFailed(_("请在请求头提供 Idempotency-Key，防止重复提交。"), code="idempotency_key_required")
    fingerprint = _fingerprint({"item": item_code, "bundle": bundle_code, "form": form, "materials": materials or [],
                                "enterprise": actor.enterprise.pk if actor.enterprise else None})
    existing = IdempotencyKey.objects.filter(owner=actor.user, key=key).select_related("case").first()
    if existing is not None:
        return _replay(existing, fingerprint), False
    try:
        prepared = None if bundle_code else _prepare_item(actor, item_code, form, materials)
    except DomainError:
        # a retry whose first attempt took the uploads meanwhile: the key names the answer
        existing = IdempotencyKey.objects.filter(owner=actor.user, key=key).select_related("case").first()
        if existing is None:
            raise
        return _replay(existing, fingerprint), False
    # The number is drawn before the write transaction, in its own short one: the day's counter row
    # is then locked for one statement, not for the whole submission (every submission of the
    # division and day would queue behind it). A submission that fails after this leaves a gap in
    # the day's sequence; numbers stay unique and increasing.
    number = next_case_number(_division_of(prepared[0].department)) if prepared is not None else None
    try:
        with transaction.atomic():
            if bundle_code:
                case = _submit_bundle(actor, bundle_code, form, materials, channel, consent_data_sharing)
                IdempotencyKey.objects.create(key=key, owner=actor.user, fingerprint=fingerprint, case=case)
            else:
                case = _submit_item(actor, prepared, channel, consent_data_sharing, form=form, key=key,
                                    fingerprint=fingerprint, number=number)
    except (IntegrityError, DomainError):
        # A concurrent request with the same key won the race (double click, retry after a timeout):
        # answer with its case. The loser may fail on the key's unique constraint, or earlier, e.g.
        # because the winner already attached the uploads ("upload_invalid"); either way the key
        # now names a case, and that case is the answer.
        existing = IdempotencyKey.objects.filter(owner=actor.user, key=key).select_related("case").first()
        if existing is None:
            raise
        return _replay(existing, fingerprint), False
    return case, True


def _replay(existing: IdempotencyKey, fingerprint: str) -> Case:
    if existing.fingerprint != fingerprint:
        raise Conflict(_("该 Idempotency-Key 已用于另一份不同的申请。"), code="idempotency_key_reused")
    return existing.case


def _division_of(department) -> str:
    return (department.division_id or DEFAULT_DIVISION)[:6] if department else DEFAULT_DIVISION


def _new_case(actor: Actor, *, version, title, department, form, channel, consent, parent=None, bundle_code="",
              number: str | None = None) -> Case:
    applicant_name = actor.enterprise.name if actor.enterprise else actor.user.display_name
    now = timezone.now()
    case = Case(
        number=number or next_case_number(_division_of(department), now), parent=parent, bundle_code=bundle_code,
        item_version=version, item_code=version.item.code if version else "", title=title, department=department,
        applicant=actor.user, enterprise=actor.enterprise, applicant_name=applicant_name, channel=channel,
        status=Status.SUBMITTED, form_data=form, consent_data_sharing=consent,
        case_type=version.case_type if version else "2",
        promised_days=version.promised_limit_days if version else 0,
        statutory_days=version.statutory_limit_days if version else None,
        submitted_at=now, result_name=version.result_name if version else "",
    )
    if version is not None and version.fee_required:
        case.fee_amount = _fee_total(version)
    case.save()
    return case


def _fee_total(version) -> Decimal:
    total = Decimal("0")
    for fee in version.fees or []:
        try:
            total += Decimal(str(fee.get("amount", "0")))
        except Exception:  # noqa: BLE001 - a fee described only in words has no fixed amount
            continue
    return total


def _prepare_item(actor, item_code, form, materials) -> tuple:
    """Everything about an item submission that only reads: the published version, the form, the
    named uploads. Done before the write transaction, so the write lock (SQLite's database lock,
    PostgreSQL's audit chain head) is held for the writes alone; the uploads are claimed again,
    conditionally, inside it (:func:`_attach_claimed`)."""
    item, version, version_materials = _published_version(item_code)
    _check_form(version, form, version_materials,
                {str(e.get("key", "")) for e in materials or [] if isinstance(e, dict)})
    attached = _claim_uploads(actor, materials or [])
    _check_materials(version_materials, attached)
    return item, version, version_materials, attached


def _attach_claimed(case: Case, attached: dict[str, list[CaseMaterial]]) -> None:
    """Attach the uploads :func:`_claim_uploads` read, in one statement that only takes rows still
    unattached: if a concurrent submission (or correction) took one first, nothing is attached and
    this one fails with ``upload_invalid``."""
    from django.db.models import Case as Choose, CharField, Value, When

    keys = {row.pk: key for key, rows in attached.items() for row in rows}
    if not keys:
        return
    # the key given at upload time is usually the one the submission names: set it only where not
    relabel = {row.pk: key for key, rows in attached.items() for row in rows if row._loaded_key != key}
    change = {"material_key": Choose(*[When(pk=pk, then=Value(key)) for pk, key in relabel.items()],
                                     default="material_key", output_field=CharField())} if relabel else {}
    taken = CaseMaterial.objects.filter(pk__in=list(keys), case__isnull=True, upload_token__isnull=False).update(
        case=case, upload_token=None, **change)
    if taken != len(keys):
        raise ValidationFailed(_("材料的上传凭证无效或已使用。"), code="upload_invalid",
                               fields={"materials": [_("请重新上传。")]})
    for rows in attached.values():
        for row in rows:
            row.case, row.upload_token = case, None


def _submit_item(actor, prepared, channel, consent, *, form, key: str, fingerprint: str, number: str) -> Case:
    item, version, version_materials, attached = prepared
    case = _new_case(actor, version=version, title=version.name, department=item.department, form=form,
                     channel=channel, consent=consent, number=number)
    _attach_claimed(case, attached)
    # 免提交: what a department already holds is fetched (with consent, each fetch logged) — the
    # applicant uploads only the rest
    fetched_keys, not_fetched, third_party = [], [], []
    if getattr(settings, "CASE_FETCH_ON_SUBMIT", True):
        from yiwang.exchange.services import fetch_for_case_report

        fetched = fetch_for_case_report(case, version_materials)
        fetched_keys, not_fetched = [m.material_key for m in fetched.attached], [s["key"] for s in fetched.skipped]
        # with the consent: which fetched data is a third party's (whose number the applicant gave)
        third_party = [{"key": t["key"], "subject_field": t["subject_field"]} for t in fetched.third_party]
    IdempotencyKey.objects.create(key=key, owner=actor.user, fingerprint=fingerprint, case=case)
    # the messages are written with the case (an outbox: no case without its notice, no notice
    # without its case); their delivery is enqueued when the transaction commits
    _notify(case, _("申请已提交，等待受理。"))
    # last: the audit chain's head stays locked from here to the commit
    _event(case, "submit", Status.DRAFT, actor, data={"channel": channel, "item": item.code,
                                                      "consent_data_sharing": bool(consent),
                                                      "fetched": fetched_keys, "not_fetched": not_fetched,
                                                      "version": version.number, "materials": sorted(attached),
                                                      **({"third_party_fetched": third_party} if third_party else {})})
    return case


def _submit_bundle(actor, bundle_code, form, materials, channel, consent) -> Case:
    from yiwang.catalog.formschema import merge, validate_form
    from yiwang.catalog.selectors import bundle_entries, published_bundle

    bundle = published_bundle(bundle_code)
    entries = bundle_entries(bundle)
    versions = [e.item.current for e in entries if e.item.current_id]
    schema = merge([v.form_schema for v in versions])
    errors = validate_form(schema, form)
    _subject_errors(errors, schema, [m for v in versions for m in v.materials.all()], form,
                    {str(e.get("key", "")) for e in materials or [] if isinstance(e, dict)})
    if errors:
        raise ValidationFailed(_("申请表有 %(n)d 处需要更正。") % {"n": len(errors)}, code="form_invalid",
                               fields={f"form.{k}": v for k, v in errors.items()})
    attached = _claim_uploads(actor, materials or [])
    missing = {}
    for v in versions:
        for m in v.materials.all():
            if m.requirement == "required" and m.applicant_submits and m.key not in attached:
                missing[m.key] = m.name
    if missing:
        raise ValidationFailed(_("还缺少 %(n)d 份必要材料：%(names)s") % {"n": len(missing), "names": "、".join(missing.values())},
                               code="materials_missing",
                               fields={f"materials.{k}": [_("请上传“%(name)s”。") % {"name": n}] for k, n in missing.items()})
    parent = _new_case(actor, version=None, title=bundle.name, department=bundle.department, form=form,
                       channel=channel, consent=consent, bundle_code=bundle.code)
    # the bundle's own promise, or else the slowest item's (as the bundle guide shows it)
    parent.promised_days = bundle.promised_limit_days or max([v.promised_limit_days or 0 for v in versions] or [0])
    parent.save(update_fields=["promised_days"])
    _attach_claimed(parent, attached)
    _event(parent, "submit", Status.DRAFT, actor, data={"channel": channel, "bundle": bundle.code,
                                                        "consent_data_sharing": bool(consent),
                                                        "items": [v.item.code for v in versions]})
    for v in versions:
        props = (v.form_schema or {}).get("properties", {})
        child = _new_case(actor, version=v, title=v.name, department=v.item.department,
                          form={k: val for k, val in form.items() if k in props}, channel=channel, consent=consent,
                          parent=parent, bundle_code=bundle.code)
        third_party = []
        if getattr(settings, "CASE_FETCH_ON_SUBMIT", True):
            from yiwang.exchange.services import fetch_for_case_report

            fetched = fetch_for_case_report(child, list(v.materials.all()))
            third_party = [{"key": t["key"], "subject_field": t["subject_field"]} for t in fetched.third_party]
        _event(child, "submit", Status.DRAFT, actor, data={"bundle": bundle.code, "parent": parent.number,
                                                           **({"third_party_fetched": third_party} if third_party else {})})
    transaction.on_commit(lambda: _notify(parent, _("“一件事”申请已提交，将分送各部门同步办理。")))
    return parent


# -- front desk and department actions ---------------------------------------------------------
def _start_clock(case: Case, now) -> None:
    case.accepted_at = now
    case.due_at = sla.deadline(now, case.promised_days)
    case.statutory_due_at = sla.deadline(now, case.statutory_days) if case.statutory_days else None
    case.sla_light = sla.light(case.due_at, now=now).colour


def _stop_clock(case: Case, now) -> None:
    if case.accepted_at and case.clock_stopped_at is None:
        case.clock_stopped_at = now
        case.sla_light = sla.PAUSED


def _restart_clock(case: Case, now) -> int:
    if case.clock_stopped_at is None:
        return 0
    lost = sla.stopped_working_days(case.clock_stopped_at, now)
    case.stopped_days += lost
    case.due_at = sla.deadline(case.accepted_at, case.promised_days, case.stopped_days)
    if case.statutory_days:
        case.statutory_due_at = sla.deadline(case.accepted_at, case.statutory_days, case.stopped_days)
    case.clock_stopped_at = None
    case.sla_light = sla.light(case.due_at, now=now).colour
    return lost


@transaction.atomic
def accept(actor: Actor, number: str, opinion: str = "") -> Case:
    case = _lock(number)
    _require(_front_desk(actor) or _in_department(actor, case, Role.REVIEWER, Role.DEPT_HEAD))
    before = case.status
    case.accept()
    now = timezone.now()
    if case.is_bundle:
        _start_clock(case, now)
        if actor.role == Role.CLERK and actor.place_id:
            case.place_id = actor.place_id
        case.save()
        _event(case, "accept", before, actor, opinion)
        for child in case.children.filter(status=Status.SUBMITTED):
            _accept_one(actor, child, opinion, now)
        _conclude_bundle(case)  # every part was already refused or withdrawn on its own
        transaction.on_commit(lambda: _notify(case, _("“一件事”已受理，各部门同步办理。")))
        return case
    _accept_one(actor, case, opinion, now, before=before, moved=True)
    return case


def _accept_one(actor, case: Case, opinion: str, now, before: str | None = None, moved: bool = False) -> None:
    if not moved:
        before = case.status
        case.accept()
    _start_clock(case, now)
    if actor.role == Role.CLERK and actor.place_id:
        case.place_id = actor.place_id
    model, departments = _process_for(case)
    case.process_model = model
    case.review_departments = departments
    runtime = Runtime.start(model.bpmn_xml, model.process_id, {"departments": departments,
                                                               "case_number": case.number})
    case.process_state = runtime.dump()
    case.save()
    _sync_tasks(case, runtime)
    _event(case, "accept", before, actor, opinion, data={"due_at": case.due_at.isoformat(),
                                                         "process": f"{model.key} v{model.version}"})
    due = timezone.localtime(case.due_at).strftime("%Y-%m-%d")
    transaction.on_commit(lambda: _notify(case, _("已受理，承诺于 %(due)s 前办结。") % {"due": due}))


@transaction.atomic
def refuse(actor: Actor, number: str, reason: str) -> Case:
    case = _lock(number)
    _require(_front_desk(actor) or _in_department(actor, case, Role.REVIEWER, Role.DEPT_HEAD))
    reason = _need_text(reason, "opinion", _("不予受理必须说明理由。"))
    before = case.status
    case.refuse()
    case.decision_reason = reason
    case.concluded_at = timezone.now()
    case.save()
    _event(case, "refuse", before, actor, reason)
    _cascade_children(actor, case, "refuse", reason)
    _refresh_parent(case, actor)
    transaction.on_commit(lambda: _notify(case, _("不予受理。理由：%(r)s") % {"r": reason}))
    return case


@transaction.atomic
def request_correction(actor: Actor, number: str, items: list[str], opinion: str = "") -> Case:
    """一次性告知: every missing or defective item in one notice; the clock stops."""
    case = _lock(number)
    _require(_front_desk(actor) or _in_department(actor, case, Role.REVIEWER, Role.DEPT_HEAD))
    items = [str(i).strip()[:300] for i in (items or []) if str(i).strip()]
    if not items:
        raise ValidationFailed(_("一次性告知必须列出全部需要补正的内容。"), code="correction_items_required",
                               fields={"items": [_("请至少列出一项。")]})
    before = case.status
    case.request_correction()
    case.correction_items = items
    _stop_clock(case, timezone.now())
    case.save()
    _event(case, "request_correction", before, actor, opinion, data={"items": items})
    text = _("请一次性补正以下材料：") + "；".join(items)
    transaction.on_commit(lambda: _notify(case, text))
    return case


@transaction.atomic
def resubmit(actor: Actor, number: str, form: dict | None = None, materials: list[dict] | None = None) -> Case:
    case = _lock(number)
    _require(_is_applicant(actor, case), _("只有申请人可以补正。"), code="applicant_only")
    before = case.status
    case.resubmit()
    if form:
        if case.item_version:
            _check_form(case.item_version, form)
        case.form_data = form
    attached = _claim_uploads(actor, materials or [])
    for key in attached:  # a corrected material replaces the earlier files of that material
        CaseMaterial.objects.filter(case=case, material_key=key).update(superseded=True)
    _attach_claimed(case, attached)
    lost = _restart_clock(case, timezone.now())
    case.correction_items = []
    case.save()
    _event(case, "resubmit", before, actor, data={"materials": sorted(attached), "stopped_days": lost})
    if case.status == Status.IN_REVIEW:
        due = timezone.localtime(case.due_at).strftime("%Y-%m-%d")
        text = _("补正材料已收到，继续办理，承诺于 %(due)s 前办结。") % {"due": due}
    else:
        text = _("补正材料已收到，等待受理。")
    transaction.on_commit(lambda: _notify(case, text))
    return case


@transaction.atomic
def suspend(actor: Actor, number: str, kind: str, opinion: str) -> Case:
    case = _lock(number)
    _require(_in_department(actor, case, Role.REVIEWER, Role.DEPT_HEAD))
    if kind not in SuspensionKind.values:
        raise ValidationFailed(_("请选择特别程序的类型。"), code="suspension_kind_invalid",
                               fields={"kind": [_("可选：%(v)s") % {"v": "、".join(SuspensionKind.values)}]})
    opinion = _need_text(opinion, "opinion", _("启动特别程序必须说明理由。"))
    before = case.status
    case.suspend()
    case.suspension_kind = kind
    _stop_clock(case, timezone.now())
    case.save()
    _event(case, "suspend", before, actor, opinion, data={"kind": kind})
    label = SuspensionKind(kind).label
    transaction.on_commit(lambda: _notify(case, _("已启动特别程序（%(k)s），该期间不计入办理时限。") % {"k": label}))
    return case


@transaction.atomic
def resume(actor: Actor, number: str, opinion: str = "") -> Case:
    case = _lock(number)
    _require(_in_department(actor, case, Role.REVIEWER, Role.DEPT_HEAD))
    before = case.status
    case.resume()
    lost = _restart_clock(case, timezone.now())
    case.suspension_kind = ""
    case.save()
    _event(case, "resume", before, actor, opinion, data={"stopped_days": lost})
    due = timezone.localtime(case.due_at).strftime("%Y-%m-%d")
    transaction.on_commit(lambda: _notify(case, _("特别程序已结束，恢复办理，承诺于 %(due)s 前办结。") % {"due": due}))
    return case


def _task_for(actor: Actor, case: Case, steps: set[str] | None, task_id: int | None) -> CaseTask:
    qs = CaseTask.objects.select_related("department").filter(case=case, status__in=[TaskStatus.OPEN, TaskStatus.CLAIMED])
    if task_id:
        qs = qs.filter(pk=task_id)
    if steps is not None:
        qs = qs.filter(step__in=steps)
    mine = [t for t in qs if t.department_id == actor.department_id and (t.role == actor.role or actor.role == Role.DEPT_HEAD)]
    if not mine:
        if qs.exists():
            raise PermissionDeniedError(_("该环节不由您的部门或角色办理。"), code="task_not_yours")
        raise Conflict(_("该办件当前没有可办理的此类环节。"), code="no_such_task")
    task = mine[0]
    if task.status == TaskStatus.CLAIMED and task.claimed_by_id != actor.user.pk:
        raise Conflict(_("该任务已由 %(who)s 认领。") % {"who": task.claimed_by.display_name if task.claimed_by else ""},
                       code="task_claimed_by_other")
    return task


def _complete_task(actor: Actor, case: Case, task: CaseTask, opinion: str, data: dict) -> Runtime:
    runtime = _runtime(case)
    runtime.complete(task.engine_task_id, {"opinion": opinion, **data})
    case.process_state = runtime.dump()
    task.status = TaskStatus.DONE
    task.completed_at = timezone.now()
    task.completed_by = actor.user
    task.opinion = opinion
    task.save(update_fields=["status", "completed_at", "completed_by", "opinion"])
    _sync_tasks(case, runtime)
    return runtime


@transaction.atomic
def review(actor: Actor, number: str, opinion: str, task_id: int | None = None) -> Case:
    """A review opinion (审查意见): completes the actor's department's review task. In a parallel
    approval each department reviews its own task; the decision waits for all of them."""
    case = _lock(number)
    _require(_department_staff(actor, case))
    case.require_review_state("review")
    opinion = _need_text(opinion, "opinion", _("请填写审查意见。"))
    open_tasks = CaseTask.objects.filter(case=case, status__in=[TaskStatus.OPEN, TaskStatus.CLAIMED])
    review_steps = set(open_tasks.exclude(step="decide").values_list("step", flat=True))
    decision_pending = open_tasks.filter(step="decide").filter(**({"pk": task_id} if task_id else {})).exists()
    if decision_pending and (task_id or not review_steps):
        # Only the decision is left (for anyone, not just this actor): say so, whatever the role.
        raise Conflict(_("审查已完成，当前是决定环节，请使用“准予许可”或“不予许可”。"), code="use_decision_action")
    task = _task_for(actor, case, steps=review_steps, task_id=task_id)
    _complete_task(actor, case, task, opinion, {"department": task.department.code})
    case.lock_version += 1
    case.save()
    _event(case, "review", case.status, actor, opinion, data={"step": task.step, "department": task.department.code})
    dept = task.department.name
    transaction.on_commit(lambda: _notify(case, _("%(dept)s已提出审查意见。") % {"dept": dept}, sms=False))
    return case


@transaction.atomic
def decide(actor: Actor, number: str, approve: bool, opinion: str, task_id: int | None = None) -> Case:
    case = _lock(number)
    _require(_department_staff(actor, case))
    case.require_review_state("approve" if approve else "reject")
    if approve:
        opinion = (opinion or "").strip() or _("符合法定条件，准予许可。")
    else:
        opinion = _need_text(opinion, "opinion", _("不予许可必须说明理由和法律依据。"))
    task = _task_for(actor, case, steps={"decide"}, task_id=task_id)
    runtime = _complete_task(actor, case, task, opinion, {"approved": approve})
    before = case.status
    payment_due = approve and case.fee_amount > 0 and case.paid_at is None
    if approve:
        case.approve(payment_due=payment_due)
    else:
        case.reject()
    case.decision_reason = opinion
    if not runtime.completed:
        raise Conflict(_("流程尚有未完成的环节。"), code="process_not_complete")
    case.concluded_at = timezone.now()
    case.sla_light = sla.light(case.due_at, now=case.concluded_at).colour if case.due_at else case.sla_light
    if payment_due:
        # 待缴费 is the applicant's turn, like a correction: the department's time limit does not
        # run while the fee is unpaid (the light is frozen, the sweep leaves the case alone).
        _stop_clock(case, case.concluded_at)
    case.save()
    _event(case, "approve" if approve else "reject", before, actor, opinion)
    _refresh_parent(case, actor)
    if payment_due:
        text = _("审批通过，请缴纳费用 %(amount)s 元后领取结果。") % {"amount": case.fee_amount}
    elif approve:
        text = _("已办结（准予许可），结果：%(r)s。") % {"r": case.result_name or _("审批结果")}
    else:
        text = _("已办结（不予许可）。理由：%(r)s") % {"r": opinion}
    transaction.on_commit(lambda: _notify(case, text))
    return case


@transaction.atomic
def pay(actor: Actor, number: str, provider: str, reference: str = "") -> Payment:
    """Record a payment: at the counter (cash/POS, by a clerk) or online (sandbox provider, by the
    applicant after the provider confirmed). See :mod:`yiwang.cases.payments`."""
    from .payments import provider_for

    case = _lock(number)
    impl = provider_for(provider)
    _require(impl.may_record(actor, case), _("您无权为该办件登记缴费。"))
    if case.fee_amount <= 0:
        raise Conflict(_("该办件无需缴费。"), code="no_fee")
    if case.paid_at is not None:
        raise Conflict(_("该办件已缴费，请勿重复支付。"), code="already_paid")
    before = case.status
    # Fees are paid after an approval (待缴费) and only then: never on a refused, withdrawn or
    # rejected application, nor before the decision.
    case.mark_paid()
    reference = impl.confirm(case, reference)
    payment = Payment.objects.create(case=case, provider=provider, amount=case.fee_amount, status=Payment.Status.PAID,
                                     order_no=f"PAY{case.number}{secrets.token_hex(3).upper()}", reference=reference,
                                     paid_at=timezone.now())
    case.paid_at = payment.paid_at
    # The clock stopped at the decision and nothing of the department's is left to time: the case
    # keeps the deadline it had and the light it earned when it was decided.
    case.clock_stopped_at = None
    if case.due_at and case.concluded_at:
        case.sla_light = sla.light(case.due_at, now=case.concluded_at).colour
    case.save()
    _event(case, "pay", before, actor, data={"provider": provider, "amount": str(case.fee_amount),
                                             "reference": reference})
    text = _("已收到缴费 %(amount)s 元，可领取结果：%(r)s。") % {"amount": case.fee_amount,
                                                        "r": case.result_name or _("审批结果")}
    transaction.on_commit(lambda: _notify(case, text))
    return payment


@transaction.atomic
def withdraw(actor: Actor, number: str, reason: str = "") -> Case:
    case = _lock(number)
    _require(_is_applicant(actor, case), _("只有申请人可以撤回申请。"), code="applicant_only")
    before = case.status
    case.withdraw()
    case.concluded_at = timezone.now()
    _stop_clock(case, case.concluded_at)
    case.save()
    CaseTask.objects.filter(case=case, status__in=[TaskStatus.OPEN, TaskStatus.CLAIMED]).update(
        status=TaskStatus.CANCELLED, completed_at=case.concluded_at)
    _event(case, "withdraw", before, actor, reason)
    _cascade_children(actor, case, "withdraw", reason)
    _refresh_parent(case, actor)
    transaction.on_commit(lambda: _notify(case, _("申请已撤回。")))
    return case


@transaction.atomic
def transfer(actor: Actor, number: str, department_code: str, reason: str) -> Case:
    """Move a case that reached the wrong department (移交): its open tasks follow it."""
    case = _lock(number)
    _require((_front_desk(actor) and case.status == Status.SUBMITTED)
             or _in_department(actor, case, Role.REVIEWER, Role.DEPT_HEAD))
    if case.status not in (Status.SUBMITTED, Status.IN_REVIEW):
        case._move(case.status, {Status.SUBMITTED, Status.IN_REVIEW}, "transfer")
    reason = _need_text(reason, "opinion", _("移交必须说明理由。"))
    target = Department.objects.filter(code=department_code, is_active=True).first()
    if target is None:
        raise ValidationFailed(_("目标部门不存在。"), code="department_not_found", fields={"department": [_("请选择部门。")]})
    if target.pk == case.department_id:
        raise Conflict(_("办件已在该部门。"), code="same_department")
    old = case.department
    CaseTask.objects.filter(case=case, department=old, status__in=[TaskStatus.OPEN, TaskStatus.CLAIMED]).update(
        department=target, status=TaskStatus.OPEN, claimed_by=None, claimed_at=None)
    case.department = target
    case.review_departments = [target.code if d == old.code else d for d in case.review_departments]
    case.lock_version += 1
    case.save()
    _event(case, "transfer", case.status, actor, reason, data={"from": old.code, "to": target.code})
    transaction.on_commit(lambda: _notify(case, _("已移交%(dept)s办理。") % {"dept": target.name}))
    return case


@transaction.atomic
def deliver(actor: Actor, number: str, method: str, tracking_number: str = "", address: str = "") -> Case:
    """统一窗口出件: hand over the result at the counter, post it, or make it downloadable."""
    case = _lock(number)
    _require(_front_desk(actor) or _in_department(actor, case, Role.REVIEWER, Role.DEPT_HEAD))
    if method not in DeliveryMethod.values:
        raise ValidationFailed(_("请选择送达方式。"), code="delivery_method_invalid",
                               fields={"method": [_("可选：pickup、post、download")]})
    if method == DeliveryMethod.POST:
        tracking_number = _need_text(tracking_number, "tracking_number", _("邮寄送达须填写邮件单号。"))
    before = case.status
    case.deliver()
    case.delivery_method = method
    case.tracking_number = tracking_number[:64]
    case.delivery_address = address[:200]
    case.delivered_at = timezone.now()
    case.save()
    _event(case, "deliver", before, actor, data={"method": method, "tracking_number": tracking_number})
    label = DeliveryMethod(method).label
    transaction.on_commit(lambda: _notify(case, _("结果已送达（%(m)s）。") % {"m": label}))
    return case


_CASCADE_FROM = {
    # only the parts that can still make the move: a part already decided (or waiting for its fee)
    # keeps its outcome
    "withdraw": [Status.DRAFT, Status.SUBMITTED, Status.CORRECTION, Status.IN_REVIEW, Status.SUSPENDED],
    "refuse": [Status.SUBMITTED],
}


def _cascade_children(actor, case: Case, action: str, reason: str) -> None:
    for child in case.children.filter(status__in=_CASCADE_FROM[action]):
        before = child.status
        getattr(child, action)()
        child.concluded_at = timezone.now()
        _stop_clock(child, child.concluded_at)
        child.decision_reason = reason
        child.save()
        CaseTask.objects.filter(case=child, status__in=[TaskStatus.OPEN, TaskStatus.CLAIMED]).update(
            status=TaskStatus.CANCELLED)
        _event(child, action, before, actor, reason, data={"via_bundle": case.number})


def _refresh_parent(case: Case, actor) -> None:
    """A bundle concludes when every child has: approved if every part not withdrawn by the
    applicant was approved, rejected if any was refused or rejected, withdrawn if all were."""
    if case.parent_id is None:
        return
    qs = Case.objects.filter(pk=case.parent_id)
    if transaction.get_connection().features.has_select_for_update:
        qs = qs.select_for_update()
    _conclude_bundle(qs.get())


def _conclude_bundle(parent: Case) -> None:
    children = list(parent.children.values_list("status", flat=True))
    if not children or any(s in (Status.DRAFT, Status.SUBMITTED, Status.CORRECTION, Status.IN_REVIEW,
                                 Status.SUSPENDED) for s in children):
        return
    if parent.status != Status.IN_REVIEW:
        return
    before = parent.status
    decided = [s for s in children if s != Status.WITHDRAWN]
    if not decided:
        action = "withdraw"
        parent.withdraw()
    elif all(s in (Status.APPROVED, Status.AWAITING_PAYMENT, Status.DELIVERED) for s in decided):
        action = "approve"
        parent.approve(payment_due=False)
    else:
        action = "reject"
        parent.reject()
    parent.concluded_at = timezone.now()
    parent.sla_light = sla.light(parent.due_at, now=parent.concluded_at).colour if parent.due_at else parent.sla_light
    parent.save()
    _event(parent, action, before, None, _("各分项事项均已办结。"), data={"children": children})
    transaction.on_commit(lambda: _notify(parent, _("“一件事”各分项事项均已办结。")))


# -- inbox work --------------------------------------------------------------------------------
def _task_in_scope(actor: Actor, task_id: int) -> CaseTask:
    task = CaseTask.objects.select_related("case", "claimed_by").filter(pk=task_id).first()
    if task is None or task.department_id != actor.department_id:
        raise NotFound(_("未找到该任务。"), code="task_not_found")
    return task


@transaction.atomic
def claim(actor: Actor, task_id: int) -> CaseTask:
    """Claim a task. Two reviewers claiming at once: one UPDATE wins, the other gets a 409 naming
    who has it."""
    task = _task_in_scope(actor, task_id)
    _require(task.role == actor.role or actor.role == Role.DEPT_HEAD, _("该任务不属于您的角色。"))
    won = CaseTask.objects.filter(pk=task.pk, status=TaskStatus.OPEN, claimed_by__isnull=True).update(
        status=TaskStatus.CLAIMED, claimed_by=actor.user, claimed_at=timezone.now())
    task.refresh_from_db()
    if not won:
        if task.status not in (TaskStatus.OPEN, TaskStatus.CLAIMED):
            raise Conflict(_("该任务已完成或取消，不能认领。"), code="task_closed")
        if task.claimed_by_id == actor.user.pk:
            return task
        who = task.claimed_by.display_name if task.claimed_by else ""
        raise Conflict(_("该任务已被 %(who)s 认领。") % {"who": who} if who else _("该任务已不可认领。"),
                       code="task_already_claimed")
    audit.record("case.task_claimed", task, data={"case": task.case.number, "step": task.step})
    return task


@transaction.atomic
def release(actor: Actor, task_id: int) -> CaseTask:
    task = _task_in_scope(actor, task_id)
    if task.status != TaskStatus.CLAIMED:
        raise Conflict(_("该任务未被认领。"), code="task_not_claimed")
    _require(task.claimed_by_id == actor.user.pk or actor.role == Role.DEPT_HEAD, _("只能退回自己认领的任务。"))
    CaseTask.objects.filter(pk=task.pk).update(status=TaskStatus.OPEN, claimed_by=None, claimed_at=None)
    audit.record("case.task_released", task, data={"case": task.case.number})
    task.refresh_from_db()
    return task


@transaction.atomic
def reassign(actor: Actor, task_id: int, username: str) -> CaseTask:
    """A department head gives a task to one of the department's staff."""
    from yiwang.accounts.models import RoleAssignment

    _require(actor.role == Role.DEPT_HEAD, _("只有部门负责人可以改派任务。"))
    task = _task_in_scope(actor, task_id)
    if task.status not in (TaskStatus.OPEN, TaskStatus.CLAIMED):
        raise Conflict(_("该任务已完成或取消。"), code="task_closed")
    target = RoleAssignment.objects.filter(user__username=username, department_id=actor.department_id,
                                          role__in=[task.role, Role.DEPT_HEAD]).select_related("user").first()
    if target is None:
        raise ValidationFailed(_("该人员不在本部门或没有相应角色。"), code="assignee_invalid",
                               fields={"username": [_("请选择本部门的审批人员。")]})
    CaseTask.objects.filter(pk=task.pk).update(status=TaskStatus.CLAIMED, claimed_by=target.user,
                                               claimed_at=timezone.now())
    audit.record("case.task_reassigned", task, data={"case": task.case.number, "to": username})
    task.refresh_from_db()
    return task


# -- one entry point for the API ---------------------------------------------------------------
def perform(actor: Actor, number: str, action: str, payload: dict) -> Case:
    """Dispatch ``POST /api/v1/cases/{number}/actions``. Unknown action → 422; a move the case's
    state does not allow → 409 illegal_transition."""
    p = payload
    handlers = {
        "accept": lambda: accept(actor, number, p.get("opinion", "")),
        "refuse": lambda: refuse(actor, number, p.get("opinion", "")),
        "request_correction": lambda: request_correction(actor, number, p.get("items") or [], p.get("opinion", "")),
        "resubmit": lambda: resubmit(actor, number, p.get("form"), p.get("materials")),
        "suspend": lambda: suspend(actor, number, p.get("kind", ""), p.get("opinion", "")),
        "resume": lambda: resume(actor, number, p.get("opinion", "")),
        "review": lambda: review(actor, number, p.get("opinion", ""), p.get("task_id")),
        "approve": lambda: decide(actor, number, True, p.get("opinion", ""), p.get("task_id")),
        "reject": lambda: decide(actor, number, False, p.get("opinion", ""), p.get("task_id")),
        "pay": lambda: pay(actor, number, p.get("provider", ""), p.get("reference", "")).case,
        "withdraw": lambda: withdraw(actor, number, p.get("opinion", "")),
        "transfer": lambda: transfer(actor, number, p.get("department", ""), p.get("opinion", "")),
        "deliver": lambda: deliver(actor, number, p.get("method", ""), p.get("tracking_number", ""),
                                   p.get("address", "")),
    }
    if action not in handlers:
        raise ValidationFailed(_("未知的操作：%(a)s") % {"a": action[:40]}, code="unknown_action",
                               fields={"action": [_("可选：%(v)s") % {"v": "、".join(handlers)}]})
    expected = p.get("expected_version")
    if expected is not None:
        current = Case.objects.filter(number=number).values_list("lock_version", flat=True).first()
        if current is not None and int(expected) != current:
            raise Conflict(_("办件已被他人更新，请刷新后重试。"), code="stale_version")
    return handlers[action]()


def action_label(action: str) -> str:
    return str(ACTION_LABELS.get(action, action))
