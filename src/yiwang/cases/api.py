"""Cases over the JSON API: the same pipeline for web, kiosks and the mini-program."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils.translation import gettext as _
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from yiwang.core.apiauth import actor_auth
from yiwang.core.errors import NotAuthenticated, ValidationFailed

from . import selectors, services, uploads
from .models import Channel

router = Router(tags=["cases"], auth=actor_auth)
inbox_router = Router(tags=["cases"], auth=actor_auth)


class ErrorOut(Schema):
    code: str
    message: str
    fields: dict


class MaterialRef(Schema):
    key: str
    upload: str


class CaseIn(Schema):
    item_code: str | None = None
    bundle_code: str | None = None
    form: dict[str, Any] = {}
    materials: list[MaterialRef] = []
    consent_data_sharing: bool = False


class CaseOut(Schema):
    number: str
    title: str
    status: str
    status_label: str
    item_code: str
    item_version: int | None
    bundle_code: str | None
    department: str | None
    applicant: str
    channel: str
    submitted_at: datetime | None
    accepted_at: datetime | None
    due_at: datetime | None
    statutory_due_at: datetime | None
    concluded_at: datetime | None
    sla_light: str | None
    remaining_working_days: int | None
    correction_items: list[str]
    fee_amount: str
    paid: bool
    result: dict | None
    children: list[dict]
    timeline: list[dict]
    open_tasks: list[dict]
    lock_version: int


def _detail(request, case):
    return selectors.case_detail(case, staff=request.auth.is_staff_role)


def _refuse_nul(value, where: str = "_") -> None:
    """NUL characters cannot be stored (PostgreSQL refuses them in text and JSON): a clear 422
    instead of a database error. (Django's HTML forms already refuse them.)"""
    if isinstance(value, str):
        if "\x00" in value:
            message = _("内容中含有不允许的控制字符（NUL），请删除后重试。")
            raise ValidationFailed(message, code="invalid_characters", fields={where: [message]})
    elif isinstance(value, dict):
        for k, v in value.items():
            _refuse_nul(k, where)
            _refuse_nul(v, f"{where}.{k}" if where != "_" else str(k))
    elif isinstance(value, (list, tuple)):
        for v in value:
            _refuse_nul(v, where)


@router.post("", response={200: CaseOut, 201: CaseOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut,
                           422: ErrorOut}, summary="提交申请（需 Idempotency-Key 请求头）")
def create_case(request, payload: CaseIn):
    """The same `Idempotency-Key` again returns the same case (200) instead of creating a second."""
    channel = Channel.API if request.headers.get("Authorization") else Channel.WEB
    _refuse_nul(payload.dict())
    _refuse_nul(request.headers.get("Idempotency-Key", ""), "Idempotency-Key")
    case, created = services.submit(
        request.auth, item_code=payload.item_code, bundle_code=payload.bundle_code, form=payload.form,
        materials=[m.dict() for m in payload.materials], idempotency_key=request.headers.get("Idempotency-Key"),
        channel=channel, consent_data_sharing=payload.consent_data_sharing,
    )
    return Status(201 if created else 200, _detail(request, case))


class UploadOut(Schema):
    upload: str
    name: str
    content_type: str
    size: int
    sha256: str


@router.post("/uploads", response={201: UploadOut, 401: ErrorOut, 403: ErrorOut, 422: ErrorOut},
             summary="上传申请材料（PDF/JPG/PNG，按内容识别类型）")
def upload(request, file: File[UploadedFile], key: Form[str] = ""):
    _refuse_nul([file.name or "", key], "file")
    uploads.check_size(file.size or 0, file.name or "file")  # before reading it into memory
    row = services.upload_material(request.auth, name=file.name or "file", data=file.read(), key=key)
    return Status(201, {"upload": row.upload_token, "name": row.name, "content_type": row.content_type,
                        "size": row.size, "sha256": row.sha256})


@router.get("/{number}", response={200: CaseOut, 401: ErrorOut, 404: ErrorOut}, summary="办件详情、时间线与时限")
def get_case(request, number: str):
    _refuse_nul(number, "number")
    return _detail(request, selectors.case_for(request.auth, number))


class ActionIn(Schema):
    action: str
    opinion: str = ""
    items: list[str] | None = None
    kind: str | None = None
    task_id: int | None = None
    department: str | None = None
    method: str | None = None
    tracking_number: str | None = None
    address: str | None = None
    provider: str | None = None
    reference: str | None = None
    form: dict[str, Any] | None = None
    materials: list[MaterialRef] | None = None
    expected_version: int | None = None


@router.post("/{number}/actions", response={200: CaseOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut,
                                            422: ErrorOut}, summary="办件操作（受理、补正、审查、决定、出件……）")
def act(request, number: str, payload: ActionIn):
    """`action`: accept, refuse, request_correction (items), resubmit (form, materials), suspend (kind),
    resume, review, approve, reject, pay (provider, reference), withdraw, transfer (department),
    deliver (method, tracking_number). A move the case's state does not allow answers 409
    `illegal_transition`."""
    _refuse_nul(number, "number")
    data = payload.dict(exclude_none=True)
    _refuse_nul(data)
    selectors.case_for(request.auth, number)  # 404 for cases outside the caller's scope
    if "materials" in data:
        data["materials"] = [dict(m) for m in data["materials"]]
    case = services.perform(request.auth, number, data.pop("action"), data)
    case.refresh_from_db()
    return _detail(request, case)


class TaskOut(Schema):
    id: int
    case_number: str
    case_title: str
    step: str
    name: str
    status: str
    department: str
    claimed_by: str | None
    due_at: datetime | None
    sla_light: str


class InboxActionOut(Schema):
    action: str
    label: str
    url: str


class InboxItemOut(Schema):
    """One thing waiting for the caller's department: a case task or a 12345 work order."""

    kind: str
    number: str
    title: str
    department: str
    due_at: datetime | None
    light: str | None
    link: str
    actions: list[InboxActionOut]
    step: str
    name: str
    status: str
    sla_light: str | None
    # case tasks only (the inbox's fields from before work orders joined it)
    id: int | None = None
    case_number: str | None = None
    case_title: str | None = None
    claimed_by: str | None = None
    # work orders only
    urgency: str | None = None


@inbox_router.get("", response={200: list[InboxItemOut], 401: ErrorOut, 422: ErrorOut},
                  summary="我的待办（本部门的办件任务与热线工单，按时限排序）")
def inbox(request, kind: str | None = None):
    """Case tasks (`kind` "case": `id` is the task for `POST /inbox/{id}`, `case_number`, `step`,
    `claimed_by`…) and work orders waiting for the department (`kind` "work_order": to accept, to
    reply to, or for an assisting opinion), merged, earliest deadline first. Each item's `actions`
    are POSTed as `{"action": …}` to their `url`; `link` is its web page. `?kind=case` (or
    `work_order`, or both comma-separated) keeps one kind."""
    from yiwang.core import inbox as core_inbox

    if not request.auth.is_authenticated:
        raise NotAuthenticated(_("请先登录。"))
    wanted = None
    if kind is not None:
        _refuse_nul(kind, "kind")
        known = core_inbox.kinds()
        wanted = [k.strip() for k in kind.split(",") if k.strip()]
        unknown = [k for k in wanted if k not in known]
        if not wanted or unknown:
            message = _("待办类别只能是：%(kinds)s。") % {"kinds": "、".join(known)}
            raise ValidationFailed(message, code="inbox_kind_invalid", fields={"kind": [message]})
    return core_inbox.items_for(request.auth, kinds_wanted=wanted)


class TaskActionIn(Schema):
    action: str  # claim | release | reassign
    username: str | None = None


@inbox_router.post("/{task_id}", response={200: TaskOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut,
                                           422: ErrorOut}, summary="认领、退回或改派任务")
def task_action(request, task_id: int, payload: TaskActionIn):
    _refuse_nul(payload.dict())
    if payload.action == "claim":
        task = services.claim(request.auth, task_id)
    elif payload.action == "release":
        task = services.release(request.auth, task_id)
    elif payload.action == "reassign":
        task = services.reassign(request.auth, task_id, payload.username or "")
    else:
        raise ValidationFailed(_("未知的操作。"), code="unknown_action", fields={"action": ["claim、release、reassign"]})
    t = task
    return {"id": t.pk, "case_number": t.case.number, "case_title": t.case.title, "step": t.step, "name": t.name,
            "status": t.status, "department": t.department.name,
            "claimed_by": t.claimed_by.display_name if t.claimed_by_id else None, "due_at": t.case.due_at,
            "sla_light": t.case.sla_light}
