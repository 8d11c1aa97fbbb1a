"""Work orders over the JSON API (/api/v1/hotline): the mini-program, the portal's scripts, the
operator console's live search and suggestions, and other systems."""

from __future__ import annotations

from datetime import date, datetime

from django.utils.translation import gettext as _
from ninja import File, Form, Router, Schema, Status as Reply
from ninja.files import UploadedFile

from yiwang.accounts.models import Role
from yiwang.accounts.selectors import require_role
from yiwang.core.apiauth import actor_auth
from yiwang.core.errors import ValidationFailed

from . import analytics, classifier, knowledge, selectors, services, uploads
from .models import Category, Channel, Status

router = Router(tags=["hotline"], auth=actor_auth)

DISPATCH_ROLES = (Role.HOTLINE_OPERATOR, Role.SUPERVISOR, Role.PLATFORM_ADMIN)
ANALYTICS_ROLES = (Role.HOTLINE_OPERATOR, Role.SUPERVISOR, Role.PLATFORM_ADMIN, Role.DEPT_HEAD)


class ErrorOut(Schema):
    code: str
    message: str
    fields: dict


class OrderIn(Schema):
    kind: str
    text: str
    title: str | None = None
    category: str | None = None
    urgency: str = "normal"
    address: str = ""
    lat: float | None = None
    lng: float | None = None
    address_id: str = ""
    caller_name: str = ""
    caller_phone: str = ""
    callback_preference: str = "phone"
    anonymous: bool = False
    channel: str | None = None


class OrderOut(Schema):
    number: str
    title: str
    text: str
    kind: str
    kind_label: str
    channel: str
    status: str
    status_label: str
    urgency: str
    category: str | None
    category_name: str | None
    lead_department: str | None
    lead_department_name: str | None
    assisting: list[dict]
    address: str
    lat: float | None
    lng: float | None
    grid: str | None
    grid_name: str | None
    community: str | None
    street: str | None
    caller: dict
    callback_preference: str
    created_at: datetime
    dispatched_at: datetime | None
    accept_due_at: datetime | None
    return_due_at: datetime | None
    accepted_at: datetime | None
    reply_due_at: datetime | None
    replied_at: datetime | None
    closed_at: datetime | None
    due_at: datetime | None
    light: str | None
    answer: str | None
    reply: str | None
    reply_resolved: bool | None
    return_reason: str | None
    satisfaction: str | None
    satisfaction_label: str | None
    reopen_count: int
    escalation_level: int
    extension_days: int
    pending_extension: dict | None
    merged_into: str | None
    duplicates: list[str]
    self_resolved: bool
    attachments: list[dict]
    history: list[dict]
    lock_version: int


class OrderRow(Schema):
    number: str
    title: str
    kind: str
    status: str
    status_label: str
    urgency: str
    category: str | None
    lead_department: str | None
    grid: str | None
    created_at: datetime
    due_at: datetime | None
    light: str | None


def _channel_for(request, payload: OrderIn) -> str:
    actor = request.auth
    if actor.role == Role.HOTLINE_OPERATOR:
        return Channel.PHONE
    if actor.role == Role.GRID_WORKER:
        return Channel.GRID
    if payload.channel in (Channel.WEB, Channel.MOBILE, Channel.API):
        return payload.channel
    return Channel.API if request.headers.get("Authorization") else Channel.WEB


@router.post("/orders", response={201: OrderOut, 401: ErrorOut, 403: ErrorOut, 409: ErrorOut, 422: ErrorOut},
             summary="提交诉求 / 登记来电（工单）")
def create_order(request, payload: OrderIn):
    """Citizens and enterprise agents file from the portal or the mini-program; the 12345 operator
    registers a phone call (caller_phone required); a grid worker reports an incident (lat/lng
    required). Anonymous only for 举报 (kind=report). Photos: `POST /orders/{number}/photos`."""
    order = services.create_order(
        request.auth, channel=_channel_for(request, payload), kind=payload.kind, text=payload.text,
        title=payload.title, category=payload.category, urgency=payload.urgency, address=payload.address,
        lat=payload.lat, lng=payload.lng, address_id=payload.address_id, caller_name=payload.caller_name,
        caller_phone=payload.caller_phone, callback_preference=payload.callback_preference,
        anonymous=payload.anonymous)
    return Reply(201, selectors.order_detail(order, request.auth))


@router.get("/orders", response={200: list[OrderRow], 401: ErrorOut}, summary="工单列表（按角色范围）")
def list_orders(request, status: str | None = None, queue: str | None = None, limit: int = 100):
    """`queue`: department (本部门待办), new, returned, replied, escalated, extensions, overdue."""
    actor = request.auth
    if queue == "department":
        qs = selectors.department_queue(actor)
    elif queue:
        qs = selectors.centre_queue(actor, queue)
    else:
        qs = selectors.orders_visible_to(actor).order_by("-created_at")
    if status:
        qs = qs.filter(status__in=[s for s in status.split(",") if s in Status.values])
    out = []
    for o in qs[: max(1, min(limit, 500))]:
        due = selectors.current_due(o)
        out.append({"number": o.number, "title": o.title, "kind": o.kind, "status": o.status,
                    "status_label": str(o.get_status_display()), "urgency": o.urgency,
                    "category": o.category.code if o.category_id else None,
                    "lead_department": o.lead_department.code if o.lead_department_id else None,
                    "grid": o.grid.code if o.grid_id else None, "created_at": o.created_at, "due_at": due,
                    "light": selectors.light(due)})
    return out


@router.get("/orders/{number}", response={200: OrderOut, 401: ErrorOut, 404: ErrorOut}, summary="工单详情与全程记录")
def get_order(request, number: str):
    return selectors.order_detail(selectors.order_for(request.auth, number), request.auth)


class ActionIn(Schema):
    action: str
    text: str | None = None
    note: str | None = None
    reason: str | None = None
    opinion: str | None = None
    department: str | None = None
    category: str | None = None
    assisting: list[str] | None = None
    urgency: str | None = None
    article_id: int | None = None
    resolved: bool | None = None
    result: str | None = None
    days: int | None = None
    into: str | None = None
    expected_version: int | None = None


@router.post("/orders/{number}/actions",
             response={200: OrderOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
             summary="工单操作（派单、签收、退单、答复、回访、督办……）")
def act(request, number: str, payload: ActionIn):
    """`action`: answer (text, article_id), dispatch (department, category, assisting, urgency),
    void (reason), accept, return (reason), approve_return (note, department, category),
    reject_return (note), reply (text, resolved), assist_reply (opinion), request_extension (days,
    reason), approve_extension / reject_extension (note), supervise (note), callback (result,
    resolved, note), rate (result, resolved, note — the caller), conclude (note), merge (into).
    A move the order's state does not allow answers 409 `illegal_transition`; a stale
    `expected_version` 409 `stale_version`."""
    selectors.order_for(request.auth, number)
    order = services.perform(request.auth, number, payload.action, payload.dict(exclude_none=True))
    order.refresh_from_db()
    return selectors.order_detail(order, request.auth)


class PhotoOut(Schema):
    id: int
    kind: str
    name: str
    content_type: str
    size: int


@router.post("/orders/{number}/photos",
             response={201: list[PhotoOut], 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
             summary="上传现场照片或整改照片（JPG/PNG/WebP，每张不超过 5 MB）")
def add_photos(request, number: str, photos: File[list[UploadedFile]], kind: Form[str] = "photo"):
    selectors.order_for(request.auth, number)
    files = []
    for f in photos:
        uploads.check_size(f.size or 0, f.name or "photo")
        files.append((f.name or "photo", f.read()))
    rows = services.add_photos(request.auth, number, files, kind=kind)
    return Reply(201, [{"id": a.pk, "kind": a.kind, "name": a.name, "content_type": a.content_type,
                        "size": a.size} for a in rows])


class DuplicateOut(Schema):
    number: str
    title: str
    status: str
    score: float


@router.get("/orders/{number}/duplicates", response={200: list[DuplicateOut], 401: ErrorOut, 403: ErrorOut,
                                                     404: ErrorOut}, summary="疑似重复工单（同地点、同问题、7 天内）")
def duplicates(request, number: str):
    require_role(request.auth, Role.HOTLINE_OPERATOR, Role.SUPERVISOR)
    order = selectors.order_for(request.auth, number)
    return [{"number": o.number, "title": o.title, "status": o.status, "score": round(s, 3)}
            for o, s in selectors.duplicate_candidates(order)]


class RevealIn(Schema):
    purpose: str


@router.post("/orders/{number}/reveal", response={200: dict, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut,
                                                  422: ErrorOut}, summary="查看诉求人完整联系方式（话务员，留痕）")
def reveal(request, number: str, payload: RevealIn):
    require_role(request.auth, Role.HOTLINE_OPERATOR)
    selectors.order_for(request.auth, number)
    return services.reveal_reporter(request.auth, number, payload.purpose)


class SuggestIn(Schema):
    text: str
    limit: int = 3


class SuggestionOut(Schema):
    department: str
    department_name: str
    category: str
    category_name: str
    score: float


class SuggestOut(Schema):
    results: list[SuggestionOut]


@router.post("/suggest", response={200: SuggestOut, 401: ErrorOut, 403: ErrorOut, 422: ErrorOut},
             summary="智能派单建议：承办部门与分类，按可能性排序")
def suggest(request, payload: SuggestIn):
    require_role(request.auth, *DISPATCH_ROLES)
    text = (payload.text or "").strip()
    if not text:
        message = _("请输入诉求内容。")
        raise ValidationFailed(message, code="text_required", fields={"text": [message]})
    return {"results": suggestions(text, max(1, min(payload.limit, 10)))}


def suggestions(text: str, limit: int = 3) -> list[dict]:
    from yiwang.core.models import Department

    raw = classifier.suggest(text, limit)
    cats = {c.code: c for c in Category.objects.filter(code__in=[s.category for s in raw]).select_related("parent")}
    depts = dict(Department.objects.filter(code__in=[s.department for s in raw]).values_list("code", "name"))
    return [{"department": s.department, "department_name": depts.get(s.department, s.department),
             "category": s.category, "category_name": cats[s.category].path if s.category in cats else s.category,
             "score": round(s.score, 4)} for s in raw]


class CategoryOut(Schema):
    code: str
    name: str
    parent: str | None
    department: str | None
    leaf: bool


@router.get("/categories", response={200: list[CategoryOut], 401: ErrorOut}, summary="工单分类树")
def categories(request):
    rows = list(Category.objects.filter(is_active=True).select_related("parent", "department").order_by("sort", "code"))
    parents = {r.parent_id for r in rows if r.parent_id}
    return [{"code": c.code, "name": c.name, "parent": c.parent.code if c.parent_id else None,
             "department": c.department.code if c.department_id else None, "leaf": c.pk not in parents} for c in rows]


class KnowledgeOut(Schema):
    articles: list[dict]
    guides: list[dict]


@router.get("/knowledge", response={200: KnowledgeOut, 401: ErrorOut, 403: ErrorOut},
            summary="知识库检索（边输入边检索；含办事指南）")
def knowledge_search(request, q: str = "", limit: int = 5):
    require_role(request.auth, Role.HOTLINE_OPERATOR, Role.SUPERVISOR, Role.HANDLER, Role.DEPT_HEAD,
                 Role.PLATFORM_ADMIN, Role.EDITOR)
    return knowledge.search(q, limit=max(1, min(limit, 20)))


class ArticleIn(Schema):
    title: str
    answer: str
    keywords: str = ""
    category: str | None = None
    department: str | None = None
    is_published: bool = True
    valid_until: date | None = None


class ArticleOut(Schema):
    id: int
    title: str
    answer: str
    keywords: str
    department: str
    category: str | None
    is_published: bool
    use_count: int


def _article_out(a):
    return {"id": a.pk, "title": a.title, "answer": a.answer, "keywords": a.keywords, "department": a.department.code,
            "category": a.category.code if a.category_id else None, "is_published": a.is_published,
            "use_count": a.use_count}


@router.post("/knowledge", response={201: ArticleOut, 401: ErrorOut, 403: ErrorOut, 422: ErrorOut},
             summary="新增知识条目（本部门）")
def knowledge_create(request, payload: ArticleIn):
    a = knowledge.save_article(request.auth, **payload.dict())
    return Reply(201, _article_out(a))


@router.put("/knowledge/{article_id}", response={200: ArticleOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut,
                                                 422: ErrorOut}, summary="修改知识条目（本部门）")
def knowledge_update(request, article_id: int, payload: ArticleIn):
    a = knowledge.save_article(request.auth, article_id=article_id, **payload.dict())
    return _article_out(a)


@router.get("/analytics/hot-topics", response={200: dict, 401: ErrorOut, 403: ErrorOut},
            summary="本周热点诉求（关键词及趋势）")
def hot_topics(request, week: date | None = None, limit: int = 20):
    require_role(request.auth, *ANALYTICS_ROLES)
    return analytics.hot_topics(week_of=week, limit=max(1, min(limit, 50)))


@router.get("/analytics/volumes", response={200: dict, 401: ErrorOut, 403: ErrorOut, 422: ErrorOut},
            summary="工单量：按分类、部门、网格")
def volumes(request, by: str = "category", start: date | None = None, end: date | None = None):
    require_role(request.auth, *ANALYTICS_ROLES)
    return analytics.volumes(by=by, start=start, end=end)


@router.get("/analytics/heat", response={200: dict, 401: ErrorOut, 403: ErrorOut},
            summary="网格热力（GeoJSON，按网格统计工单量）")
def heat(request, start: date | None = None, end: date | None = None):
    require_role(request.auth, *ANALYTICS_ROLES)
    return analytics.heat(start=start, end=end)

