"""The service catalog over the JSON API (thin: the work is in selectors, services, search, transfer).

Public: published items and bundles, their guides, version history and search. Staff: drafting,
review, publishing, retiring, import and export — limited to the owning department and the
platform admin.
"""

from __future__ import annotations

from datetime import datetime

from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status

from yiwang.core.apiauth import actor_auth
from yiwang.core.errors import NotFound, ValidationFailed

from . import formschema, search, selectors, services, transfer

router = Router(tags=["catalog"])


class ErrorOut(Schema):
    code: str
    message: str
    fields: dict


# --- schemas ----------------------------------------------------------------------------------
class DepartmentRef(Schema):
    code: str
    name: str


class ItemSummary(Schema):
    code: str
    name: str
    department: DepartmentRef
    item_type: str
    version: int
    online_depth: int
    visits: int
    promised_days: int
    statutory_days: int | None
    tiers: list[str]
    citywide: bool
    life_events: list[str]
    url: str


class MaterialOut(Schema):
    key: str
    name: str
    required: bool
    condition: str
    form: str
    copies: int
    source: str  # applicant | licence | shared_data
    source_ref: str
    source_name: str
    applicant_submits: bool
    subject_field: str = ""  # a form field (resident ID / USCC) naming whose material it is; "" = the applicant
    subject_title: str = ""
    acceptance_standard: str
    blank_form: str | None
    sample: str | None


class TimeLimits(Schema):
    statutory_days: int | None
    promised_days: int
    unit: str


class ResultOut(Schema):
    type: str
    type_label: str
    name: str
    licence_type: str | None


class AnswerOut(Schema):
    online: bool
    visits: int
    depth: int
    text: str
    time: str


class GuideOut(Schema):
    code: str
    basic_code: str
    version: int
    status: str
    published_at: datetime | None
    name: str
    summary: str
    aliases: list[str]
    item_type: str
    item_type_label: str
    department: dict
    subject_nature: str
    power_source: str
    legal_basis: str
    acceptance_conditions: str
    service_objects: list[str]
    time_limits: TimeLimits
    case_type: str
    case_type_label: str
    visits: int
    online_depth: int
    online_depth_label: str
    answer: AnswerOut
    fee_required: bool
    fees: list[dict]
    fee_basis: str
    process: list[dict]
    handling_place: str
    handling_hours: str
    consultation: str
    complaint: str
    special_procedures: list[dict]
    result: ResultOut
    delivery: str
    tiers: list[str]
    citywide: bool
    life_events: list[str]
    materials: list[MaterialOut]
    form_schema: dict


class VersionOut(Schema):
    number: int
    status: str
    name: str
    change_note: str
    created_at: datetime
    published_at: datetime | None
    retired_at: datetime | None
    retired_reason: str


class BundleItemOut(Schema):
    code: str
    name: str
    department: str
    note: str
    published: bool
    promised_days: int | None


class BundleMaterialOut(MaterialOut):
    items: list[str]
    conditions: list[str]


class BundleOut(Schema):
    code: str
    name: str
    summary: str
    description: str
    life_event: str
    department: dict
    departments: list[str]
    items: list[BundleItemOut]
    materials: list[BundleMaterialOut]
    materials_before: int
    materials_after: int
    form_schema: dict
    promised_days: int | None
    visits: int
    answer: str


class BundleSummary(Schema):
    code: str
    name: str
    life_event: str
    department: DepartmentRef
    summary: str
    url: str


class SearchHit(Schema):
    code: str
    name: str
    department: str
    kind: str  # item | bundle
    score: float
    url: str


class SearchOut(Schema):
    query: str
    results: list[SearchHit]


class LifeEventOut(Schema):
    code: str
    label: str
    count: int


class FormCheckIn(Schema):
    item_code: str | None = None
    bundle_code: str | None = None
    form: dict


class FormCheckOut(Schema):
    valid: bool
    errors: dict[str, list[str]]


def _summary(item) -> dict:
    v = item.current
    return {
        "code": item.code, "name": v.name,
        "department": {"code": item.department.code, "name": item.department.name},
        "item_type": v.item_type, "version": v.number, "online_depth": v.online_depth, "visits": v.visits,
        "promised_days": v.promised_limit_days, "statutory_days": v.statutory_limit_days, "tiers": v.tiers,
        "citywide": v.citywide, "life_events": v.life_event_codes, "url": f"/services/items/{item.code}/",
    }


# --- public -----------------------------------------------------------------------------------
@router.get("/items", response=list[ItemSummary], auth=None, summary="已发布的事项")
def list_items(request, department: str | None = None, life_event: str | None = None, tier: str | None = None,
               limit: int = 500, offset: int = 0):
    """Published items, optionally by department code, life event code or tier (district, street,
    community)."""
    qs = selectors.published_items()
    if department:
        qs = qs.filter(department__code=department)
    if tier:
        if tier not in ("district", "street", "community"):
            raise ValidationFailed(_("层级应为 district、street 或 community。"), fields={"tier": [_("不支持的层级。")]})
        qs = qs.filter(**{f"current__tier_{tier}": True})
    items = list(qs)
    if life_event:
        items = [i for i in items if life_event in i.current.life_event_codes]
    limit = max(1, min(limit, 1000))
    return [_summary(i) for i in items[max(offset, 0):max(offset, 0) + limit]]


@router.get("/items/{code}", response={200: GuideOut, 404: ErrorOut}, auth=None, summary="事项办事指南")
def item_guide(request, code: str):
    """The current guide of a published item: materials (each with `source`: applicant, licence or
    shared_data), time limits in working days, fees, places, the online/visits answer and the form."""
    item = selectors.published_item(code)
    return selectors.guide(item.current)


@router.get("/items/{code}/versions", response={200: list[VersionOut], 404: ErrorOut}, auth=None,
            summary="事项版本历史")
def item_versions(request, code: str):
    item = selectors.item_by_code(code)
    versions = selectors.history(item, getattr(request, "actor", None))
    if not versions:
        raise NotFound(_("未找到该事项。"), code="item_not_found")
    return versions


@router.get("/items/{code}/versions/{number}", response={200: GuideOut, 404: ErrorOut}, auth=None,
            summary="某一版本的办事指南")
def item_version(request, code: str, number: int):
    """A past (or current) version's guide — the one a case was filed under."""
    return selectors.guide(selectors.item_version(code, number, getattr(request, "actor", None)))


@router.get("/bundles", response=list[BundleSummary], auth=None, summary="一件事")
def list_bundles(request, life_event: str | None = None):
    qs = selectors.published_bundles()
    if life_event:
        qs = qs.filter(life_event=life_event)
    return [{"code": b.code, "name": b.name, "life_event": b.life_event, "summary": b.summary,
             "department": {"code": b.department.code, "name": b.department.name},
             "url": f"/services/bundles/{b.code}/"} for b in qs]


@router.get("/bundles/{code}", response={200: BundleOut, 404: ErrorOut}, auth=None, summary="一件事办事指南")
def bundle_guide(request, code: str):
    return selectors.bundle_guide(selectors.published_bundle(code))


@router.get("/life-events", response=list[LifeEventOut], auth=None, summary="主题分类")
def life_events(request):
    return selectors.life_events_with_counts()


@router.get("/search", response={200: SearchOut, 422: ErrorOut}, auth=None, summary="搜索事项和一件事")
def search_catalog(request, q: str = "", limit: int = 10, mode: str = "hybrid"):
    """Understands everyday wording ("孩子刚出生要上户口"): full text (jieba) + synonyms + an
    offline semantic model. Best first. An empty or over-long (> 200 characters) query is 422."""
    results = search.search(q, mode=mode, limit=limit)
    return {"query": q.strip(), "results": results}


@router.post("/forms/validate", response={200: FormCheckOut, 404: ErrorOut, 422: ErrorOut}, auth=None,
             summary="按事项或一件事的申请表校验表单")
def validate_form(request, payload: FormCheckIn):
    if bool(payload.item_code) == bool(payload.bundle_code):
        raise ValidationFailed(_("请提供 item_code 或 bundle_code 之一。"))
    if payload.item_code:
        schema = selectors.published_item(payload.item_code).current.form_schema
    else:
        schema = selectors.bundle_guide(selectors.published_bundle(payload.bundle_code))["form_schema"]
    errors = formschema.validate_form(schema, payload.form)
    return {"valid": not errors, "errors": errors}


# --- staff ------------------------------------------------------------------------------------
class DraftIn(Schema):
    data: dict
    change_note: str | None = None


class VersionRef(Schema):
    id: int
    code: str
    number: int
    status: str


class ActionIn(Schema):
    action: str  # submit | send_back | publish | discard
    note: str = ""


class RetireIn(Schema):
    reason: str


def _ref(v) -> dict:
    return {"id": v.pk, "code": v.item.code, "number": v.number, "status": v.status}


@router.get("/manage/versions", response=list[VersionRef], auth=actor_auth, summary="待处理的草稿和待审核版本")
def awaiting(request):
    return [_ref(v) for v in selectors.versions_awaiting(request.auth)]


@router.post("/manage/items", response={201: VersionRef, 403: ErrorOut, 409: ErrorOut, 422: ErrorOut},
             auth=actor_auth, summary="新建事项（草稿）")
def create_item(request, payload: DraftIn):
    v = services.create_item(request.auth, payload.data, change_note=payload.change_note or "")
    return Status(201, _ref(v))


@router.post("/manage/items/{code}/revisions", response={201: VersionRef, 403: ErrorOut, 404: ErrorOut},
             auth=actor_auth, summary="创建新版本草稿")
def start_revision(request, code: str, note: str = ""):
    """A new draft copied from the latest version (an open draft is returned as it is)."""
    item = selectors.editable_item(request.auth, code)
    v = services.start_revision(request.auth, item, change_note=note)
    return Status(201, _ref(v))


@router.get("/manage/versions/{version_id}", response={200: GuideOut, 404: ErrorOut}, auth=actor_auth,
            summary="查看草稿")
def get_draft(request, version_id: int):
    return selectors.guide(selectors.editable_version(request.auth, version_id))


@router.patch("/manage/versions/{version_id}", response={200: VersionRef, 403: ErrorOut, 404: ErrorOut,
                                                         409: ErrorOut, 422: ErrorOut},
              auth=actor_auth, summary="修改草稿")
def update_draft(request, version_id: int, payload: DraftIn):
    v = selectors.editable_version(request.auth, version_id)
    return _ref(services.update_draft(request.auth, v, payload.data, change_note=payload.change_note))


@router.post("/manage/versions/{version_id}/actions", response={200: VersionRef, 204: None, 403: ErrorOut,
                                                               404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
             auth=actor_auth, summary="提交审核、退回、发布或删除草稿")
def version_action(request, version_id: int, payload: ActionIn):
    v = selectors.editable_version(request.auth, version_id)
    actions = {
        "submit": lambda: services.submit_for_review(request.auth, v),
        "send_back": lambda: services.send_back(request.auth, v, payload.note),
        "publish": lambda: services.publish(request.auth, v),
        "discard": lambda: services.discard_draft(request.auth, v),
    }
    if payload.action not in actions:
        raise ValidationFailed(_("不支持的操作。"), code="unknown_action",
                               fields={"action": [", ".join(actions)]})
    result = actions[payload.action]()
    if result is None:
        return Status(204, None)
    return _ref(result)


@router.post("/manage/items/{code}/retire", response={200: dict, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut,
                                                      422: ErrorOut},
             auth=actor_auth, summary="停用事项")
def retire_item(request, code: str, payload: RetireIn):
    item = selectors.editable_item(request.auth, code)
    services.retire_item(request.auth, item, payload.reason)
    return {"code": item.code, "published": False}


@router.get("/manage/export", auth=actor_auth, summary="导出事项目录（JSON 或 Excel）")
def export(request, format: str = "json"):  # noqa: A002 - the query parameter's public name
    from . import permissions

    permissions.require_catalog_staff(request.auth)
    if format == "xlsx":
        response = HttpResponse(transfer.export_xlsx(),
                                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        response["Content-Disposition"] = 'attachment; filename="catalog.xlsx"'
        return response
    if format != "json":
        raise ValidationFailed(_("格式应为 json 或 xlsx。"), fields={"format": ["json, xlsx"]})
    response = HttpResponse(transfer.export_json(), content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="catalog.json"'
    return response


class ProblemOut(Schema):
    sheet: str
    row: int | None
    column: str
    label: str
    cell: str
    message: str


class ImportOut(Schema):
    ok: bool
    created: list[str]
    updated: list[str]
    unchanged: list[str]
    bundles_created: list[str]
    bundles_updated: list[str]
    problems: list[ProblemOut]


class ImportErrorOut(ErrorOut):
    problems: list[ProblemOut]


_IMPORT_BODY = {
    "requestBody": {"content": {
        "application/json": {"schema": {"type": "object", "description": "an exported catalog (format yiwang-catalog)"}},
        "multipart/form-data": {"schema": {"type": "object", "properties": {
            "file": {"type": "string", "format": "binary", "description": ".json or .xlsx"}}}},
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
            "schema": {"type": "string", "format": "binary"}},
    }},
}


@router.post("/manage/import", response={200: ImportOut, 403: ErrorOut, 422: ImportErrorOut}, auth=actor_auth,
             summary="导入事项目录（先全部校验，有问题则不保存）", openapi_extra=_IMPORT_BODY)
def import_catalog(request, publish: bool = False):
    """Send the exported JSON as the body, an .xlsx body, or a multipart form with `file`. Every row
    is checked first; when any problem is found nothing is saved and the answer (422) lists each
    problem with its sheet, row, cell and column. `?publish=true` publishes new and changed items
    at once (department heads and the platform admin)."""
    from . import permissions

    permissions.require_catalog_staff(request.auth)
    upload = request.FILES.get("file") if request.content_type == "multipart/form-data" else None
    if upload is not None:
        name = (upload.name or "").lower()
        fmt = "xlsx" if name.endswith(".xlsx") else "json" if name.endswith(".json") else ""
        raw = upload.read(transfer.MAX_BYTES + 1)
    else:
        fmt = {"application/json": "json", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":
               "xlsx"}.get(request.content_type, "")
        raw = request.body
    if not fmt:
        raise ValidationFailed(_("只支持 JSON 或 Excel（.xlsx）文件。"), code="import_invalid",
                               fields={"file": [_("文件类型不支持。")]})
    report = transfer.import_catalog(request.auth, raw, fmt=fmt, publish=publish)
    if not report.ok:
        body = report.as_dict()
        return Status(422, {"code": "import_invalid",
                            "message": _("文件有 %(n)d 处问题，未导入任何内容。") % {"n": len(report.problems)},
                            "fields": {}, "problems": body["problems"]})
    return report.as_dict()
