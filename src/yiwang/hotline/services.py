"""Every state change of a work order: one function per business action, in one transaction that
locks the order row, with a history event, an audit event and the notifications it causes.

Who may do what:

* intake — the 12345 operator (phone calls), citizens and enterprise agents (web, mobile, the
  mini-program's API), grid workers (field reports), Open311 clients (with an api_key), and the
  ratings system (差评 → order);
* the operator answers a consultation directly, dispatches, reviews a return, merges duplicates,
  voids spam, calls the caller back, and may open a sealed anonymous reporter (audited);
* the lead department's handlers and head accept, return (within the return window, with a
  reason), reply and ask for an extension; an assisting department adds its opinion;
* supervisors supervise (督办), decide extensions, and re-dispatch or conclude escalated orders;
* the caller (when they filed online) may rate the reply themselves instead of a phone callback.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.accounts.actor import Actor
from yiwang.accounts.models import Role, RoleAssignment
from yiwang.core import audit
from yiwang.core.errors import Conflict, NotFound, PermissionDeniedError, ValidationFailed
from yiwang.core.identity import mask_phone
from yiwang.core.models import Department, Division
from yiwang.core.workdays import add_working_days, working_days_between

from . import classifier, limits, uploads
from .models import (
    ACTION_LABELS,
    Assist,
    Attachment,
    Callback,
    CallbackPreference,
    Category,
    Channel,
    DispatchFeedback,
    Event,
    Extension,
    Kind,
    KnowledgeArticle,
    OrderNumberCounter,
    SealedReporter,
    Status,
    Supervision,
    Urgency,
    WorkOrder,
)

MAX_TEXT = 4000
MAX_REASON = 2000
APPLICANT_ROLES = (Role.CITIZEN, Role.ENTERPRISE_AGENT)
DEPARTMENT_ROLES = (Role.HANDLER, Role.DEPT_HEAD)
UNREACHABLE_LIMIT = 3
DUPLICATE_WINDOW_DAYS = 7
DUPLICATE_RADIUS_M = 300
ANONYMOUS_LABEL = "匿名举报人"


class _SealedActor:
    """Stands in for an anonymous reporter in the audit trail: no user id, no name."""

    pk = None
    display_name = ANONYMOUS_LABEL

    def __str__(self) -> str:
        return ANONYMOUS_LABEL


# -- helpers -----------------------------------------------------------------------------------
def _lock(number: str) -> WorkOrder:
    qs = WorkOrder.objects.select_related("category", "lead_department", "grid", "caller_user")
    if transaction.get_connection().features.has_select_for_update:
        qs = qs.select_for_update(of=("self",))
    order = qs.filter(number=number).first()
    if order is None:
        raise NotFound(_("未找到该工单。"), code="order_not_found")
    return order


def _require(cond: bool, message=None, code: str = "action_forbidden") -> None:
    if not cond:
        raise PermissionDeniedError(message or _("您的角色无权对该工单执行此操作。"), code=code)


def _no_nul(value: str, field: str) -> None:
    """PostgreSQL cannot store NUL; multipart bodies reach the services without the middleware's
    check, so refuse it here with a precise error rather than a 500 at the INSERT."""
    if "\x00" in value:
        message = _("请求中含有不允许的控制字符（NUL）。")
        raise ValidationFailed(message, code="invalid_characters", fields={field: [message]})


def _need_text(value: str | None, field: str, message, *, limit: int = MAX_REASON) -> str:
    value = (value or "").strip()
    _no_nul(value, field)
    if not value:
        raise ValidationFailed(message, code=f"{field}_required", fields={field: [message]})
    if len(value) > limit:
        msg = _("内容过长（最多 %(n)d 字）。") % {"n": limit}
        raise ValidationFailed(msg, code=f"{field}_too_long", fields={field: [msg]})
    return value


def _is_lead(actor: Actor | None, order: WorkOrder) -> bool:
    return (actor is not None and actor.role in DEPARTMENT_ROLES and actor.department_id is not None
            and actor.department_id == order.lead_department_id)


class _SystemActor:
    """The platform itself in the audit trail (a consequence of someone else's action)."""

    pk = None
    display_name = "系统"

    def __str__(self) -> str:
        return self.display_name


def _event(order: WorkOrder, action: str, from_status: str, actor: Actor | None, note: str = "",
           data: dict | None = None, *, sealed: bool = False) -> Event:
    """One history event and its audit event.

    On an anonymous report, whatever its reporter does is sealed (no account, name, role, address
    or request id anywhere), and so is what follows from it (a reopen, a close): the request's
    context would otherwise name the reporter in the audit trail, which supervisors and
    department heads read. A consequence of an applicant's action on any order is the system's,
    not theirs (closing merged duplicates must not carry one caller's name into another's order).
    """
    from yiwang.core.context import current

    ctx = current.get()
    if order.is_anonymous and actor is not None and actor.role in APPLICANT_ROLES:
        sealed, actor = True, None
    by_applicant = actor is None and ctx.role in APPLICANT_ROLES
    untraceable = sealed or (by_applicant and order.is_anonymous)
    dept = actor.assignment.department if actor is not None and actor.department_id else None
    if sealed:
        label, user, role = ANONYMOUS_LABEL, None, "reporter"
    elif actor is not None and actor.user is not None:
        label, user, role = actor.label, actor.user, actor.role
    else:
        label, user, role = (data or {}).get("by") or _("系统"), None, "system"
    event = Event.objects.create(order=order, action=action, from_status=from_status, to_status=order.status,
                                 actor=user, actor_label=label[:128], role=role, department=dept,
                                 note=(note or "")[:4000], data=data or {})
    who: dict = {}
    if sealed:
        who = {"actor": _SealedActor(), "role": "reporter", "department": ""}
    elif by_applicant:
        who = {"actor": _SystemActor(), "role": "system", "department": ""}
    if untraceable:
        who.update(ip="", request_id="")
    audit.record(f"hotline.{action}", ("hotline.workorder", order.number),
                 data={"from": from_status, "to": order.status, **({"note": note[:300]} if note else {}),
                       **(data or {})}, **who)
    return event


def _save(order: WorkOrder, *fields: str) -> None:
    order.save(update_fields=list({"status", "lock_version", "updated_at", *fields}))


def _notify_users(users, subject: str, body: str) -> None:
    from yiwang.notifications.services import notify

    for user in users:
        notify(user, "generic", {"subject": subject, "body": body}, channels=["site"])


def _department_staff(department_id: int, roles=DEPARTMENT_ROLES):
    from yiwang.accounts.models import User

    ids = RoleAssignment.objects.filter(department_id=department_id, role__in=roles).values_list("user_id", flat=True)
    return User.objects.filter(pk__in=ids, is_active=True)


def _role_staff(role: str):
    from yiwang.accounts.models import User

    ids = RoleAssignment.objects.filter(role=role).values_list("user_id", flat=True)
    return User.objects.filter(pk__in=ids, is_active=True)


def _notify_caller(order: WorkOrder, subject: str, body: str) -> None:
    """Tell the person who raised the order: in-site if they filed with an account, by SMS if they
    asked for it (an anonymous reporter through the sealed record; nobody else sees it)."""
    from yiwang.notifications.services import notify

    user, phone = order.caller_user, order.caller_phone
    if order.is_anonymous:
        sealed = SealedReporter.objects.filter(order=order).select_related("user").first()
        user, phone = (sealed.user, sealed.phone) if sealed else (None, "")
    if user is not None:
        notify(user, "generic", {"subject": subject, "body": body}, channels=["site"])
    if phone and order.callback_preference == CallbackPreference.SMS:
        notify(None, "generic", {"subject": subject, "body": body}, channels=["sms"], to=phone, sensitive=True)


def next_order_number(when=None) -> str:
    """``GD<yyyymmdd><5-digit sequence>``, drawn under a row lock."""
    day = timezone.localtime(when or timezone.now()).date()
    with transaction.atomic():
        OrderNumberCounter.objects.get_or_create(day=day)
        qs = OrderNumberCounter.objects.filter(day=day)
        if transaction.get_connection().features.has_select_for_update:
            qs = qs.select_for_update()
        counter = qs.get()
        counter.last += 1
        counter.save(update_fields=["last"])
    return f"GD{day:%Y%m%d}{counter.last:05d}"


_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}$")
_LOCAL = re.compile(r"^\d{7,8}$")


def clean_phone(raw: str | None, *, required: bool, field: str = "caller_phone") -> str:
    value = "".join(ch for ch in unicodedata.normalize("NFKC", raw or "") if ch not in " ()（）")
    if value.startswith("+86"):
        value = value[3:]
    if not value:
        if required:
            message = _("请填写联系电话。")
            raise ValidationFailed(message, code="phone_required", fields={field: [message]})
        return ""
    if not (_MOBILE.match(value) or _LANDLINE.match(value) or _LOCAL.match(value)):
        message = _("电话号码格式不正确：手机号为 11 位数字，固定电话如 0529-87612345。")
        raise ValidationFailed(message, code="phone_invalid", fields={field: [message]})
    return value


def _category(code: str | None, *, required: bool = False, field: str = "category") -> Category | None:
    if not code:
        if required:
            message = _("请选择分类。")
            raise ValidationFailed(message, code="category_required", fields={field: [message]})
        return None
    category = Category.objects.filter(code=code, is_active=True).select_related("department", "parent").first()
    if category is None or category.children.filter(is_active=True).exists():
        message = _("分类“%(code)s”不存在或不是末级分类。") % {"code": code}
        raise ValidationFailed(message, code="category_unknown", fields={field: [message]})
    return category


def _department(code: str | None, field: str = "department") -> Department:
    if not code:
        message = _("请选择承办部门。")
        raise ValidationFailed(message, code="department_required", fields={field: [message]})
    dept = Department.objects.filter(code=code, is_active=True).first()
    if dept is None:
        message = _("部门“%(code)s”不存在。") % {"code": code}
        raise ValidationFailed(message, code="department_unknown", fields={field: [message]})
    if dept.code == "YX-12345":
        message = _("不能派给 12345 热线中心自己。")
        raise ValidationFailed(message, code="department_unknown", fields={field: [message]})
    return dept


@dataclass
class Location:
    lng: float | None = None
    lat: float | None = None
    grid_id: int | None = None
    community_id: str | None = None
    street_id: str | None = None


def resolve_location(*, lat=None, lng=None, address: str = "", address_id: str = "", required: bool = False,
                     field: str = "location") -> Location:
    """Coordinates → grid, community and street (refused outside the district). Without coordinates,
    an ``address_id`` (a grid or community code) or a community named in the address places it."""
    from yiwang.grid import selectors as grid_selectors
    from yiwang.grid.models import Grid

    pos = grid_selectors.parse_position(lat, lng)
    if pos is not None:
        grid = grid_selectors.locate_or_fail(*pos)
        return Location(pos[0], pos[1], grid.id, grid.community_id, grid.street_id)
    if address_id:
        grid = Grid.objects.filter(code=address_id, is_active=True).first() or Grid.objects.filter(
            community_id=address_id, is_active=True).order_by("code").first()
        if grid is None:
            message = _("地址编号“%(id)s”不是本区的网格或社区编码。") % {"id": address_id}
            raise ValidationFailed(message, code="address_id_unknown", fields={"address_id": [message]})
        return Location(grid.centre_lng, grid.centre_lat, grid.pk, grid.community_id, grid.street_id)
    if address:
        hit = gazetteer_lookup(address)
        if hit is not None:
            return Location(community_id=hit[0], street_id=hit[1])
        return Location()
    if required:
        message = _("请提供位置：经纬度或地址。")
        raise ValidationFailed(message, code="location_required", fields={field: [message]})
    return Location()


def gazetteer() -> list[tuple[str, str, str]]:
    """Place names → (community code, street code), longest first: residential estates and roads of
    the demo district's communities (a deployment loads its address database instead), then the
    names of communities and streets themselves."""
    from yiwang.core.demo.geo import STREETS

    rows = {code: parent for code, parent in Division.objects.filter(level="community").values_list("code",
                                                                                                  "parent_id")}
    names: dict[str, tuple[str, str]] = {}
    for street in STREETS:
        for c in street.communities:
            if c.code in rows:
                for word in (*c.estates, *c.roads):
                    if len(word) >= 3:
                        names.setdefault(word, (c.code, street.code))
    for code, name, parent in Division.objects.filter(level="community").values_list("code", "name", "parent_id"):
        names[name] = (code, parent)
    for code, name in Division.objects.filter(level="street").values_list("code", "name"):
        names.setdefault(name, ("", code))
    return sorted(((w, c, s) for w, (c, s) in names.items()), key=lambda t: -len(t[0]))


def gazetteer_lookup(address: str) -> tuple[str | None, str] | None:
    for word, community, street in gazetteer():
        if word in address:
            return (community or None, street)
    return None


def _title(text: str, title: str | None) -> str:
    title = (title or "").strip()
    if title:
        return title[:120]
    first = re.split(r"[。！？!?\n]", text.strip(), maxsplit=1)[0]
    return (first[:40] + ("…" if len(first) > 40 else "")) or text[:40]


def _store_photos(order: WorkOrder, photos, kind: str, user, *, strip: bool = False) -> list[Attachment]:
    """Store checked photos; ``strip`` drops their metadata first (an anonymous reporter's)."""
    import hashlib

    rows = []
    for name, data, content_type, digest in photos:
        if strip:
            stripped = uploads.strip_metadata(data, content_type)
            if stripped != data:
                data, digest = stripped, hashlib.sha256(stripped).hexdigest()
            name = "photo"  # a file name can carry a name too
        rows.append(Attachment.objects.create(
            order=order, kind=kind, file=uploads.as_file(data, content_type), name=(name or "photo")[:200],
            content_type=content_type, size=len(data), sha256=digest, uploaded_by=user))
    return rows


def _check_photos(photos, field: str = "photos") -> list[tuple]:
    photos = list(photos or [])
    if len(photos) > uploads.MAX_PHOTOS:
        message = _("最多上传 %(n)d 张照片。") % {"n": uploads.MAX_PHOTOS}
        raise ValidationFailed(message, code="too_many_photos", fields={field: [message]})
    checked = []
    for name, data in photos:
        content_type, digest = uploads.check_photo(data, name or "photo", field)
        checked.append((name, data, content_type, digest))
    return checked


def _ready_for_detail(order: WorkOrder, events: list, attachments: list) -> None:
    """A new order's related rows are known: give the detail view them without reading them back
    (the intake answer is the hot path of every channel)."""
    from yiwang.grid.models import Grid

    if order.grid_id:
        grid = Grid.objects.select_related("community", "street").get(pk=order.grid_id)
        order.grid, order.community, order.street = grid, grid.community, grid.street
    cache = {}
    for name, rows in (("events", events), ("assists", []), ("attachments", attachments), ("duplicates", []),
                       ("extensions", [])):
        qs = getattr(order, name).all()
        qs._result_cache, qs._prefetch_done = list(rows), True
        cache[name] = qs
    order._prefetched_objects_cache = cache
    order._detail_ready = True


# -- intake ------------------------------------------------------------------------------------
def create_order(actor: Actor | None, *, channel: str, kind: str, text: str, title: str | None = None,
                 category: str | None = None, urgency: str = Urgency.NORMAL, address: str = "", lat=None,
                 lng=None, address_id: str = "", caller_name: str = "", caller_phone: str = "",
                 callback_preference: str = CallbackPreference.PHONE, anonymous: bool = False, photos=(),
                 fix_photos=(), resolve_on_site: bool = False, resolution: str = "", open311_client=None,
                 media_url: str = "", external_id: str = "") -> WorkOrder:
    """One order from any channel. Checks everything before writing anything."""
    role = actor.role if actor is not None else ""
    if channel == Channel.PHONE:
        _require(role == Role.HOTLINE_OPERATOR, _("只有 12345 话务员可以登记来电。"))
    elif channel in (Channel.WEB, Channel.MOBILE, Channel.API):
        _require(role in APPLICANT_ROLES, _("请以市民或企业身份登录后提交诉求。"))
    elif channel == Channel.GRID:
        _require(role == Role.GRID_WORKER, _("只有网格员可以上报网格事件。"))
    elif channel == Channel.OPEN311:
        _require(open311_client is not None, _("Open311 提交需要有效的 api_key。"), code="api_key_invalid")
    elif channel == Channel.RATING:
        _require(actor is None or role in (Role.SUPERVISOR, Role.PLATFORM_ADMIN, Role.HOTLINE_OPERATOR))
    else:
        raise ValidationFailed(_("未知的来源渠道。"), code="channel_unknown", fields={"channel": [channel]})

    if kind not in Kind.values:
        message = _("诉求类型应为咨询、求助、投诉、举报或建议之一。")
        raise ValidationFailed(message, code="kind_invalid", fields={"kind": [message]})
    text = (text or "").strip()
    for field, value in (("text", text), ("title", title or ""), ("address", address or ""),
                         ("caller_name", caller_name or ""), ("resolution", resolution or "")):
        _no_nul(value, field)
    if not text:
        message = _("请填写诉求内容：发生了什么、在哪里、希望怎样解决。")
        raise ValidationFailed(message, code="text_required", fields={"text": [message]})
    if len(text) > MAX_TEXT:
        message = _("诉求内容过长（最多 %(n)d 字）。") % {"n": MAX_TEXT}
        raise ValidationFailed(message, code="text_too_long", fields={"text": [message]})
    if urgency not in Urgency.values:
        raise ValidationFailed(_("紧急程度不正确。"), code="urgency_invalid", fields={"urgency": [urgency]})
    if callback_preference not in CallbackPreference.values:
        raise ValidationFailed(_("回访方式不正确。"), code="callback_preference_invalid",
                               fields={"callback_preference": [callback_preference]})
    if anonymous and kind != Kind.REPORT:
        message = _("只有举报可以匿名。")
        raise ValidationFailed(message, code="anonymous_only_for_reports", fields={"anonymous": [message]})
    if anonymous and channel in (Channel.GRID, Channel.OPEN311, Channel.RATING):
        # a grid worker reports on duty, under their name; Open311 and ratings have no sealed reporter
        message = _("该渠道的上报不能匿名。")
        raise ValidationFailed(message, code="anonymous_not_allowed", fields={"anonymous": [message]})
    cat = _category(category)
    location = resolve_location(lat=lat, lng=lng, address=address, address_id=address_id,
                                required=channel in (Channel.GRID, Channel.OPEN311))
    user = actor.user if actor is not None else None
    if channel == Channel.PHONE:
        phone = clean_phone(caller_phone, required=True)
        name = (caller_name or "").strip()[:64]
    elif channel in (Channel.WEB, Channel.MOBILE, Channel.API):
        phone = clean_phone(caller_phone, required=False) or (user.phone or "")
        name = user.display_name
    elif channel == Channel.GRID:
        phone, name = "", user.display_name
    else:
        phone = clean_phone(caller_phone, required=False)
        name = (caller_name or "").strip()[:64]
    checked = _check_photos(photos)
    checked_fix = _check_photos(fix_photos, "fix_photos")
    if resolve_on_site:
        _require(channel == Channel.GRID, _("只有网格员上报的事件可以现场处置办结。"))
        if not checked_fix:
            message = _("现场处置办结需要上传整改后的照片。")
            raise ValidationFailed(message, code="fix_photo_required", fields={"fix_photos": [message]})
        resolution = _need_text(resolution, "resolution", _("请说明现场处置情况。"))

    # The number is drawn in its own short transaction (when not inside a caller's), so concurrent
    # intakes do not queue behind the counter row for their whole transaction; a failed intake
    # leaves a gap in the day's sequence, as paper registers do.
    number = next_order_number()
    with transaction.atomic():
        order = WorkOrder(
            number=number, kind=kind, channel=channel, category=cat, urgency=urgency,
            title=_title(text, title), text=text, address=(address or "").strip()[:200], lat=location.lat,
            lng=location.lng, grid_id=location.grid_id, community_id=location.community_id,
            street_id=location.street_id, is_anonymous=anonymous, callback_preference=callback_preference,
            reporter=user if channel in (Channel.PHONE, Channel.GRID) else None, open311_client=open311_client,
            media_url=(media_url or "")[:500], external_id=(external_id or "")[:64],
            open311_token=secrets.token_hex(8) if channel == Channel.OPEN311 else "",
        )
        if anonymous:
            order.caller_phone, order.caller_name, order.caller_user = "", "", None
        else:
            order.caller_phone, order.caller_name = phone, name
            order.caller_user = user if channel in (Channel.WEB, Channel.MOBILE, Channel.API) else None
        from yiwang.core.crypto import blind_index

        order.caller_phone_bidx = blind_index(order.caller_phone, "phone") if order.caller_phone else ""
        order.save()
        if anonymous:
            SealedReporter.objects.create(
                order=order, name=name, phone=phone, phone_bidx=blind_index(phone, "phone") if phone else "",
                user=user if channel in (Channel.WEB, Channel.MOBILE, Channel.API) else None)
        stored = _store_photos(order, checked, Attachment.Kind.PHOTO, user if not anonymous else None,
                               strip=anonymous)
        sealed = anonymous and channel in (Channel.WEB, Channel.MOBILE, Channel.API)
        by = open311_client.name if open311_client is not None else ""
        created = _event(order, "create", "", actor if not sealed else None,
                         data={"channel": channel, "kind": kind, **({"by": by} if by else {})}, sealed=sealed)
        events = [created]
        if resolve_on_site:
            stored += _store_photos(order, checked_fix, Attachment.Kind.FIX, user)
            previous = order.resolve_on_site()
            now = timezone.now()
            order.self_resolved, order.reply_text, order.reply_resolved = True, resolution, True
            order.replied_at = order.closed_at = now
            _save(order, "self_resolved", "reply_text", "reply_resolved", "replied_at", "closed_at")
            events.append(_event(order, "resolve_on_site", previous, actor, resolution))
        _ready_for_detail(order, events, stored)
    return order


# -- the 12345 centre --------------------------------------------------------------------------
def answer(actor: Actor, number: str, text: str, *, article_id: int | None = None) -> WorkOrder:
    """直接答复: the operator answers a consultation (or a suggestion) on the spot; it is closed and
    counted (the knowledge-base article's use count too)."""
    _require(actor.role == Role.HOTLINE_OPERATOR, _("只有 12345 话务员可以直接答复。"))
    text = _need_text(text, "answer", _("请填写答复内容。"), limit=MAX_TEXT)
    with transaction.atomic():
        order = _lock(number)
        if order.kind not in (Kind.CONSULT, Kind.SUGGESTION) and order.status == Status.NEW:
            message = _("只有咨询和建议可以直接答复；求助、投诉、举报需要派单办理。")
            raise Conflict(message, code="answer_not_allowed", fields={"action": ["answer"]})
        article = None
        if article_id:
            article = KnowledgeArticle.objects.filter(pk=article_id, is_published=True).first()
            if article is None:
                raise ValidationFailed(_("引用的知识条目不存在。"), code="article_unknown",
                                       fields={"article_id": [str(article_id)]})
        if order.channel == Channel.GRID or order.duplicates.filter(channel=Channel.GRID).exists():
            message = _("网格事件须派单处置并上传整改照片后办结，不能直接答复。")
            raise Conflict(message, code="answer_not_allowed", fields={"action": ["answer"]})
        previous = order.answer()
        now = timezone.now()
        order.answer_text, order.answered_from, order.closed_at = text, article, now
        _save(order, "answer_text", "answered_from", "closed_at")
        _close_duplicates(order, actor)
        if article is not None:
            KnowledgeArticle.objects.filter(pk=article.pk).update(use_count=article.use_count + 1)
        _event(order, "answer", previous, actor, text[:500], {"article": article.pk if article else None})
        _notify_caller(order, _("您的咨询已答复"), _("工单 %(n)s：%(t)s") % {"n": order.number, "t": text[:300]})
    return order


def void(actor: Actor, number: str, reason: str) -> WorkOrder:
    _require(actor.role == Role.HOTLINE_OPERATOR, _("只有 12345 话务员可以作废工单。"))
    reason = _need_text(reason, "reason", _("请说明作废原因（如骚扰电话、重复来电、内容无效）。"))
    with transaction.atomic():
        order = _lock(number)
        if order.duplicates.exists():
            raise Conflict(_("已有工单合并到该工单，不能作废。"), code="void_has_duplicates")
        previous = order.void()
        order.closed_at = timezone.now()
        _save(order, "closed_at")
        _event(order, "void", previous, actor, reason)
    return order


def _top_suggestion(text: str) -> tuple[str, str]:
    try:
        best = classifier.suggest(text, 1)
    except Exception:  # noqa: BLE001 - a suggestion must never stop a dispatch
        import logging

        logging.getLogger("yiwang.hotline").exception("dispatch suggestion failed")
        return "", ""
    return (best[0].category, best[0].department) if best else ("", "")


def dispatch(actor: Actor, number: str, *, department: str, category: str | None = None,
             assisting: list[str] | None = None, urgency: str | None = None, note: str = "",
             _reviewed: bool = False) -> WorkOrder:
    """派单 to a lead department (and assisting departments). The operator dispatches new orders and
    returned ones they agreed to move (only through :func:`review_return`, which records the
    review); a supervisor re-dispatches an escalated order. The time limits start now, from the
    rule for the order's category and urgency."""
    _require(actor.role in (Role.HOTLINE_OPERATOR, Role.SUPERVISOR), _("只有 12345 话务员或督查人员可以派单。"))
    lead = _department(department)
    assisting = [c for c in dict.fromkeys(assisting or []) if c and c != lead.code]
    assist_depts = [_department(c, "assisting") for c in assisting]
    if urgency is not None and urgency not in Urgency.values:
        raise ValidationFailed(_("紧急程度不正确。"), code="urgency_invalid", fields={"urgency": [urgency]})
    with transaction.atomic():
        order = _lock(number)
        if order.status == Status.ESCALATED:
            _require(actor.role == Role.SUPERVISOR, _("升级督办的工单由督查人员改派。"))
        elif order.status in (Status.NEW, Status.RETURNED):
            _require(actor.role == Role.HOTLINE_OPERATOR, _("只有 12345 话务员可以派单。"))
        if order.status == Status.RETURNED and not _reviewed:
            message = _("退单须先审核：同意退单并改派，或驳回退单。")
            raise Conflict(message, code="return_review_required", fields={"action": ["approve_return",
                                                                                     "reject_return"]})
        cat = _category(category) if category else order.category
        if cat is None:
            message = _("派单前请选择分类。")
            raise ValidationFailed(message, code="category_required", fields={"category": [message]})
        if order.status == Status.RETURNED and order.lead_department_id == lead.pk:
            message = _("同意退单后应改派其他部门；如退单理由不成立，请驳回退单。")
            raise ValidationFailed(message, code="same_department", fields={"department": [message]})
        previous_dept = order.lead_department.code if order.lead_department_id else None
        previous = order.dispatch()
        now = timezone.now()
        if urgency:
            order.urgency = urgency
        order.category, order.lead_department = cat, lead
        rule = limits.limits_for(cat, order.urgency)
        order.dispatched_at, order.accepted_at, order.replied_at = now, None, None
        order.accept_due_at = rule.accept_due(now)
        order.return_due_at = rule.return_due(now)
        order.reply_due_at = rule.reply_due(now)
        order.extension_days = 0
        order.dispatch_count += 1
        order.return_reason = ""
        suggested = _top_suggestion(order.text)
        if not order.suggested_category:
            order.suggested_category, order.suggested_department = suggested
        _save(order, "urgency", "category", "lead_department", "dispatched_at", "accepted_at", "replied_at",
              "accept_due_at", "return_due_at", "reply_due_at", "extension_days", "dispatch_count", "return_reason",
              "suggested_category", "suggested_department")
        Assist.objects.filter(order=order).exclude(department__in=assist_depts).delete()
        for d in assist_depts:
            Assist.objects.get_or_create(order=order, department=d)
        corrected = bool(suggested[0]) and (suggested[0], suggested[1]) != (cat.code, lead.code)
        DispatchFeedback.objects.create(order=order, text=order.text, category_code=cat.code,
                                        department_code=lead.code, suggested_category=suggested[0],
                                        suggested_department=suggested[1], corrected=corrected)
        classifier.poke()  # this process learns it with its next suggestion
        action = "dispatch" if previous == Status.NEW else "redispatch"
        _event(order, action, previous, actor, note,
               {"department": lead.code, "category": cat.code, "assisting": assisting, "previous": previous_dept,
                "accept_due_at": order.accept_due_at.isoformat(), "reply_due_at": order.reply_due_at.isoformat(),
                "suggested": list(suggested), "corrected": corrected})
        body = _("工单 %(n)s（%(t)s）已派至贵单位，请在 %(due)s 前签收。") % {
            "n": order.number, "t": order.title, "due": timezone.localtime(order.accept_due_at).strftime("%m-%d %H:%M")}
        _notify_users(_department_staff(lead.pk), _("新工单待签收"), body)
        for d in assist_depts:
            _notify_users(_department_staff(d.pk), _("协办工单"), _("工单 %(n)s（%(t)s）请贵单位协办。") % {
                "n": order.number, "t": order.title})
    transaction.on_commit(classifier.poke)
    return order


def review_return(actor: Actor, number: str, *, approve: bool, note: str = "", department: str | None = None,
                  category: str | None = None, assisting: list[str] | None = None) -> WorkOrder:
    """The operator reviews a return (退单审核): agree and re-dispatch to another department, or
    reject it and send the order back to the same department."""
    _require(actor.role == Role.HOTLINE_OPERATOR, _("只有 12345 话务员可以审核退单。"))
    note = _need_text(note, "note", _("请填写审核意见。"))
    if approve:
        with transaction.atomic():
            order = _lock(number)
            if order.status != Status.RETURNED:
                order._move(order.status, {Status.RETURNED}, "approve_return")
            _event(order, "approve_return", order.status, actor, note)
            return dispatch(actor, number, department=department or "", category=category, assisting=assisting,
                            note=note, _reviewed=True)
    with transaction.atomic():
        order = _lock(number)
        previous = order.reject_return()
        now = timezone.now()
        rule = limits.limits_for(order.category, order.urgency)
        order.accept_due_at = rule.accept_due(now)
        _save(order, "accept_due_at")
        _event(order, "reject_return", previous, actor, note)
        _notify_users(_department_staff(order.lead_department_id), _("退单被驳回"),
                      _("工单 %(n)s 的退单未获同意：%(note)s") % {"n": order.number, "note": note[:200]})
    return order


def merge(actor: Actor, number: str, into: str, note: str = "") -> WorkOrder:
    """合并: the order duplicates ``into`` (same place and problem); it closes when ``into`` closes,
    with the same reply, and its caller is told."""
    _require(actor.role == Role.HOTLINE_OPERATOR, _("只有 12345 话务员可以合并工单。"))
    if number == into:
        raise ValidationFailed(_("不能与自身合并。"), code="merge_into_self", fields={"into": [into]})
    with transaction.atomic():
        master = _lock(into)
        if master.status not in (Status.NEW, Status.DISPATCHED, Status.IN_PROGRESS, Status.REPLIED, Status.RETURNED):
            raise Conflict(_("目标工单 %(n)s 已办结或已合并，不能再合并到它。") % {"n": into}, code="merge_target_closed",
                           fields={"into": [into]})
        order = _lock(number)
        if order.duplicates.exists():
            raise Conflict(_("该工单已有其他工单合并进来，请把它们合并到目标工单。"), code="merge_has_duplicates")
        if order.channel == Channel.GRID and master.status == Status.REPLIED and not master.attachments.filter(
                kind=Attachment.Kind.FIX).exists():
            raise Conflict(_("目标工单已答复但没有整改照片，网格事件不能合并到它（网格事件办结需要整改照片）。"),
                           code="fix_photo_required", fields={"into": [into]})
        previous = order.merge()
        order.merged_into = master
        _save(order, "merged_into")
        _event(order, "merge", previous, actor, note, {"into": master.number})
        _event(master, "merge", master.status, actor, note, {"duplicate": order.number})
    return order


def _close_duplicates(master: WorkOrder, actor: Actor | None) -> None:
    for dup in WorkOrder.objects.filter(merged_into=master, status=Status.MERGED).select_for_update() \
            if transaction.get_connection().features.has_select_for_update else \
            WorkOrder.objects.filter(merged_into=master, status=Status.MERGED):
        previous = dup.close_merged()
        dup.reply_text = master.reply_text or master.answer_text
        dup.reply_resolved = master.reply_resolved if master.reply_text else None
        dup.closed_at, dup.replied_at = timezone.now(), master.replied_at or master.closed_at
        dup.satisfaction = master.satisfaction
        dup.lead_department_id = dup.lead_department_id or master.lead_department_id
        _save(dup, "reply_text", "reply_resolved", "closed_at", "replied_at", "satisfaction", "lead_department")
        _event(dup, "close", previous, actor, _("随合并工单 %(n)s 一并办结。") % {"n": master.number},
               {"master": master.number})
        _notify_caller(dup, _("您反映的问题已办结"), _("工单 %(n)s 与同一问题的工单 %(m)s 合并处理，结果：%(r)s") % {
            "n": dup.number, "m": master.number, "r": dup.reply_text[:300]})


def _close(order: WorkOrder, actor: Actor | None, note: str, data: dict | None = None) -> None:
    previous = order.close()
    order.closed_at = timezone.now()
    _save(order, "closed_at", "satisfaction")
    _event(order, "close", previous, actor, note, data)
    _close_duplicates(order, actor)


def callback(actor: Actor, number: str, *, result: str, resolved: bool | None = None, note: str = "",
             by_caller: bool = False) -> WorkOrder:
    """回访: the caller hears the result and says whether they are satisfied. Satisfied → closed.
    Unsatisfied or unresolved → reopened once with a new reply limit; the second time → escalated
    to the supervisors. Unreachable three times → closed as unreachable."""
    if result not in Callback.Result.values:
        raise ValidationFailed(_("回访结果应为满意、基本满意、不满意或无法联系。"), code="result_invalid",
                               fields={"result": [str(result)]})
    with transaction.atomic():
        order = _lock(number)
        if by_caller:
            _require(_is_caller(actor, order), _("只有诉求人本人可以评价。"))
            _require(result != Callback.Result.UNREACHABLE, _("请选择满意程度。"), code="result_invalid")
        else:
            _require(actor.role == Role.HOTLINE_OPERATOR, _("只有 12345 话务员可以回访。"))
        if order.status != Status.REPLIED:
            order._move(order.status, {Status.REPLIED}, "callback")
        sealed = by_caller and order.is_anonymous  # the reporter's account stays in SealedReporter only
        Callback.objects.create(order=order, by=None if sealed else actor.user, result=result, resolved=resolved,
                                note=(note or "")[:2000], by_caller=by_caller)
        data = {"result": result, "resolved": resolved, "by_caller": by_caller}
        _event(order, "callback", order.status, None if sealed else actor, note, data, sealed=sealed)
        if result == Callback.Result.UNREACHABLE:
            attempts = order.callbacks.filter(result=Callback.Result.UNREACHABLE).count()
            if attempts >= UNREACHABLE_LIMIT:
                order.satisfaction = Callback.Result.UNREACHABLE
                _close(order, actor, _("连续 %(n)d 次无法联系诉求人，按办结处理。") % {"n": attempts})
            return order
        unhappy = result == Callback.Result.UNSATISFIED or resolved is False
        order.satisfaction = result
        closer = None if by_caller else actor  # the caller's rating is their event; the close is the system's
        if not unhappy:
            _close(order, closer, note or _("回访满意，办结。"), {"by": _("回访满意")} if by_caller else None)
            return order
        if order.reopen_count == 0:
            previous = order.reopen()
            now = timezone.now()
            rule = limits.limits_for(order.category, order.urgency)
            order.reopen_count += 1
            order.reply_due_at = rule.reply_due(now)
            order.replied_at = None
            _save(order, "reopen_count", "reply_due_at", "replied_at", "satisfaction")
            _event(order, "reopen", previous, actor if not by_caller else None,
                   _("诉求人不满意，退回承办部门重新办理。"), {"reply_due_at": order.reply_due_at.isoformat(),
                                                     "by": _("回访不满意")})
            _notify_users(_department_staff(order.lead_department_id), _("工单重办"),
                          _("工单 %(n)s 回访不满意，请在 %(due)s 前重新办理并答复。") % {
                              "n": order.number, "due": timezone.localtime(order.reply_due_at).strftime("%m-%d")})
        else:
            previous = order.escalate()
            order.escalation_level = max(order.escalation_level, 2)
            _save(order, "escalation_level", "satisfaction")
            Supervision.objects.create(order=order, level=order.escalation_level, reason="unsatisfied",
                                       note=note or _("重办后仍不满意"), department=order.lead_department,
                                       created_by=None)
            _event(order, "escalate", previous, None, _("重办后仍不满意，升级督办。"), {"level": order.escalation_level,
                                                                           "by": _("回访不满意")})
            _notify_users(_role_staff(Role.SUPERVISOR), _("工单升级督办"),
                          _("工单 %(n)s 重办后诉求人仍不满意，请督办。") % {"n": order.number})
    return order


def conclude(actor: Actor, number: str, note: str) -> WorkOrder:
    """A supervisor concludes an escalated order with the final explanation."""
    _require(actor.role == Role.SUPERVISOR, _("只有督查人员可以对升级督办的工单作出结论。"))
    note = _need_text(note, "note", _("请填写督办结论。"), limit=MAX_TEXT)
    with transaction.atomic():
        order = _lock(number)
        if order.status != Status.ESCALATED:
            order._move(order.status, {Status.ESCALATED}, "close")
        _close(order, actor, note, {"concluded": True})
        _notify_caller(order, _("您反映的问题已办结"), _("工单 %(n)s 督办结论：%(t)s") % {"n": order.number, "t": note[:300]})
    return order


def reveal_reporter(actor: Actor, number: str, purpose: str) -> dict:
    """The operator opens who filed an order (the full phone number; for an anonymous report the
    sealed identity), to call them back. Audited; no department can do this."""
    _require(actor.role == Role.HOTLINE_OPERATOR, _("只有 12345 话务员可以查看诉求人联系方式。"), code="reveal_forbidden")
    purpose = _need_text(purpose, "purpose", _("请说明查看用途（如：回访）。"), limit=200)
    with transaction.atomic():
        order = _lock(number)
        if order.is_anonymous:
            sealed = SealedReporter.objects.filter(order=order).first()
            value = {"name": sealed.name if sealed else "", "phone": sealed.phone if sealed else ""}
            action = "reveal_reporter"
        else:
            value = {"name": order.caller_name, "phone": order.caller_phone}
            action = "reveal_phone"
        Event.objects.create(order=order, action=action, from_status=order.status, to_status=order.status,
                             actor=actor.user, actor_label=actor.label, role=actor.role,
                             department=actor.assignment.department if actor.department_id else None, note=purpose)
        audit.record(f"hotline.{action}", ("hotline.workorder", order.number), data={"purpose": purpose})
    return value


# -- the departments ---------------------------------------------------------------------------
def accept(actor: Actor, number: str) -> WorkOrder:
    with transaction.atomic():
        order = _lock(number)
        _require(_is_lead(actor, order), _("只有主办部门可以签收工单。"))
        previous = order.accept()
        order.accepted_at = timezone.now()
        _save(order, "accepted_at")
        late = order.accept_due_at is not None and order.accepted_at > order.accept_due_at
        _event(order, "accept", previous, actor, data={"late": late})
    return order


def give_back(actor: Actor, number: str, reason: str) -> WorkOrder:
    """退单: within the return window (2 working days of the dispatch by default), with a reason the
    operator reviews."""
    reason = _need_text(reason, "reason", _("请填写退单理由（如：不属于本单位职责，应由哪个部门办理）。"))
    with transaction.atomic():
        order = _lock(number)
        _require(_is_lead(actor, order), _("只有主办部门可以退单。"))
        if order.status in (Status.DISPATCHED, Status.IN_PROGRESS) and order.return_due_at \
                and timezone.now() > order.return_due_at:
            raise Conflict(_("已超过退单时限（派单后 %(n)d 个工作日内），请继续办理或申请协调。") % {
                "n": limits.limits_for(order.category, order.urgency).return_working_days},
                code="return_window_closed", fields={"action": ["return"]})
        previous = order.give_back()
        order.return_reason = reason
        _save(order, "return_reason")
        _event(order, "return", previous, actor, reason)
        _notify_users(_role_staff_in_centre(), _("退单待审核"),
                      _("工单 %(n)s 被 %(d)s 退回：%(r)s") % {"n": order.number, "d": order.lead_department.name,
                                                        "r": reason[:200]})
    return order


def _role_staff_in_centre():
    return _role_staff(Role.HOTLINE_OPERATOR)


def reply(actor: Actor, number: str, text: str, *, resolved: bool = True, fix_photos=()) -> WorkOrder:
    """答复: what was done. A grid incident needs photo evidence of the fix (now or uploaded before).
    If the caller wants no callback, the order closes at once."""
    text = _need_text(text, "reply", _("请填写办理结果：做了什么、结果如何。"), limit=MAX_TEXT)
    checked = _check_photos(fix_photos, "fix_photos")
    with transaction.atomic():
        order = _lock(number)
        _require(_is_lead(actor, order), _("只有主办部门可以答复工单。"))
        if order.status != Status.IN_PROGRESS:
            order._move(order.status, {Status.IN_PROGRESS}, "reply")
        grid_incident = order.channel == Channel.GRID or order.duplicates.filter(channel=Channel.GRID).exists()
        if grid_incident and not checked and not order.attachments.filter(kind=Attachment.Kind.FIX).exists():
            message = _("网格事件办结需要上传整改后的现场照片。")
            raise ValidationFailed(message, code="fix_photo_required", fields={"fix_photos": [message]})
        _store_photos(order, checked, Attachment.Kind.FIX, actor.user)
        previous = order.reply()
        order.reply_text, order.reply_resolved, order.replied_at = text, bool(resolved), timezone.now()
        _save(order, "reply_text", "reply_resolved", "replied_at")
        late = order.reply_due_at is not None and order.replied_at > order.reply_due_at
        _event(order, "reply", previous, actor, text[:1000], {"resolved": bool(resolved), "late": late,
                                                              "fix_photos": len(checked)})
        _notify_caller(order, _("您的诉求已有答复"), _("工单 %(n)s 办理结果：%(t)s") % {
            "n": order.number, "t": text[:300]})
        if order.callback_preference == CallbackPreference.NONE:
            _close(order, None, _("诉求人无需回访，答复后办结。"), {"by": _("系统")})
    return order


def assist_reply(actor: Actor, number: str, opinion: str) -> WorkOrder:
    opinion = _need_text(opinion, "opinion", _("请填写协办意见。"), limit=MAX_TEXT)
    with transaction.atomic():
        order = _lock(number)
        assist = Assist.objects.filter(order=order, department_id=actor.department_id).first() \
            if actor.role in DEPARTMENT_ROLES else None
        _require(assist is not None, _("只有协办部门可以填写协办意见。"))
        if order.status not in (Status.DISPATCHED, Status.IN_PROGRESS):
            order._move(order.status, {Status.DISPATCHED, Status.IN_PROGRESS}, "assist_reply")
        assist.opinion, assist.replied_at, assist.replied_by = opinion, timezone.now(), actor.user
        assist.save(update_fields=["opinion", "replied_at", "replied_by"])
        _event(order, "assist_reply", order.status, actor, opinion[:1000])
        _notify_users(_department_staff(order.lead_department_id), _("协办意见"),
                      _("工单 %(n)s 收到 %(d)s 的协办意见。") % {"n": order.number, "d": assist.department.name})
    return order


def request_extension(actor: Actor, number: str, days: int, reason: str) -> Extension:
    """One extension per order, of up to the rule's maximum (10 working days), asked before the
    reply is due; a supervisor decides."""
    reason = _need_text(reason, "reason", _("请说明延期理由。"))
    with transaction.atomic():
        order = _lock(number)
        _require(_is_lead(actor, order), _("只有主办部门可以申请延期。"))
        if order.status != Status.IN_PROGRESS:
            order._move(order.status, {Status.IN_PROGRESS}, "request_extension")
        rule = limits.limits_for(order.category, order.urgency)
        if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= rule.max_extension_days:
            message = _("延期天数应为 1 至 %(n)d 个工作日。") % {"n": rule.max_extension_days}
            raise ValidationFailed(message, code="extension_days_invalid", fields={"days": [message]})
        if order.extensions.exclude(state=Extension.State.REJECTED).exists():
            raise Conflict(_("每张工单只能申请一次延期。"), code="extension_already_used")
        if order.reply_due_at and timezone.now() > order.reply_due_at:
            raise Conflict(_("已超过答复期限，不能再申请延期。"), code="extension_too_late")
        ext = Extension.objects.create(order=order, days=days, reason=reason, requested_by=actor.user)
        order.lock_version += 1
        order.updated_at = timezone.now()
        _save(order)
        _event(order, "request_extension", order.status, actor, reason, {"days": days})
        _notify_users(_role_staff(Role.SUPERVISOR), _("延期申请待审批"),
                      _("工单 %(n)s 申请延期 %(d)d 个工作日。") % {"n": order.number, "d": days})
    return ext


def decide_extension(actor: Actor, number: str, *, approve: bool, note: str = "") -> WorkOrder:
    _require(actor.role == Role.SUPERVISOR, _("只有督查人员可以审批延期。"))
    with transaction.atomic():
        order = _lock(number)
        ext = order.extensions.filter(state=Extension.State.PENDING).first()
        if ext is None:
            raise Conflict(_("该工单没有待审批的延期申请。"), code="no_pending_extension")
        ext.state = Extension.State.APPROVED if approve else Extension.State.REJECTED
        ext.decided_by, ext.decided_at, ext.decision_note = actor.user, timezone.now(), (note or "")[:2000]
        ext.save(update_fields=["state", "decided_by", "decided_at", "decision_note"])
        if approve:
            order.reply_due_at = add_working_days(order.reply_due_at or timezone.now(), ext.days)
            order.extension_days = ext.days
        order.lock_version += 1
        order.updated_at = timezone.now()
        _save(order, "reply_due_at", "extension_days")
        _event(order, "approve_extension" if approve else "reject_extension", order.status, actor, note,
               {"days": ext.days, "reply_due_at": order.reply_due_at.isoformat() if order.reply_due_at else None})
        _notify_users(_department_staff(order.lead_department_id), _("延期审批结果"),
                      _("工单 %(n)s 的延期申请%(r)s。") % {"n": order.number, "r": _("已批准") if approve else _("未获批准")})
    return order


def supervise(actor: Actor | None, number: str, note: str = "", *, reason: str = "manual",
              level: int | None = None) -> Supervision:
    """督办: a supervisor's (or the sweep's) notice to the department holding the order; each
    repeat raises the level (1 department head → 2 supervisors → 3 reported to the leaders)."""
    if actor is not None:
        _require(actor.role == Role.SUPERVISOR, _("只有督查人员可以督办。"))
        note = _need_text(note, "note", _("请填写督办意见。"))
    with transaction.atomic():
        order = _lock(number)
        if order.status not in (Status.DISPATCHED, Status.IN_PROGRESS, Status.RETURNED, Status.REPLIED,
                                Status.ESCALATED):
            order._move(order.status, {Status.DISPATCHED, Status.IN_PROGRESS, Status.RETURNED, Status.REPLIED},
                        "supervise")
        current = order.supervisions.aggregate(m=Max("level"))["m"] or 0
        new_level = min(3, level if level is not None else current + 1)
        sup = Supervision.objects.create(order=order, level=new_level, reason=reason, note=note,
                                         department=order.lead_department, created_by=actor.user if actor else None)
        order.escalation_level = max(order.escalation_level, new_level)
        order.lock_version += 1
        order.updated_at = timezone.now()
        _save(order, "escalation_level")
        _event(order, "supervise", order.status, actor, note, {"level": new_level, "reason": reason,
                                                               **({} if actor else {"by": _("电子督办")})})
        body = _("工单 %(n)s（%(t)s）%(level)s督办：%(note)s") % {
            "n": order.number, "t": order.title, "level": {1: _("一级"), 2: _("二级"), 3: _("三级")}[new_level],
            "note": note[:200]}
        if order.lead_department_id:
            _notify_users(_department_staff(order.lead_department_id, (Role.DEPT_HEAD,)), _("工单督办"), body)
        if new_level >= 2:
            _notify_users(_role_staff(Role.SUPERVISOR), _("工单督办升级"), body)
    return sup


def sweep(now=None) -> dict:
    """The electronic supervisor (run every few minutes, ``manage.py hotline_sweep``): overdue
    acceptance → level-1 supervision; overdue reply → level 1 on the day, level 2 one working day
    later, level 3 after three. Each level is raised once per order."""
    now = now or timezone.now()
    counts = {"accept_overdue": 0, "reply_overdue": 0}
    for order in list(WorkOrder.objects.filter(status=Status.DISPATCHED, accept_due_at__lt=now).only(
            "number", "dispatched_at")[:1000]):
        if order.supervisions.filter(reason="accept_overdue", created_at__gte=order.dispatched_at).exists():
            continue
        supervise(None, order.number, _("超过签收时限未签收。"), reason="accept_overdue", level=1)
        counts["accept_overdue"] += 1
    for order in list(WorkOrder.objects.filter(status=Status.IN_PROGRESS, reply_due_at__lt=now).only(
            "number", "reply_due_at", "escalation_level")[:2000]):
        late_days = working_days_between(order.reply_due_at, now)
        target = 3 if late_days >= 3 else 2 if late_days >= 1 else 1
        reached = order.supervisions.filter(reason="reply_overdue").aggregate(m=Max("level"))["m"] or 0
        if reached >= target:
            continue
        supervise(None, order.number, _("超过答复期限 %(d)d 个工作日。") % {"d": late_days}, reason="reply_overdue",
                  level=max(target, reached + 1) if reached else target)
        counts["reply_overdue"] += 1
    return counts


# -- the caller --------------------------------------------------------------------------------
def _is_caller(actor: Actor | None, order: WorkOrder) -> bool:
    if actor is None or actor.user is None or actor.role not in APPLICANT_ROLES:
        return False
    if order.caller_user_id == actor.user.pk:
        return True
    if order.is_anonymous:
        return SealedReporter.objects.filter(order=order, user=actor.user).exists()
    return False


def rate(actor: Actor, number: str, *, result: str, resolved: bool | None = None, note: str = "") -> WorkOrder:
    """The caller rates the reply online (the portal, the mini-program) instead of a phone callback."""
    return callback(actor, number, result=result, resolved=resolved, note=note, by_caller=True)


def add_photos(actor: Actor, number: str, photos, *, kind: str = Attachment.Kind.PHOTO) -> list[Attachment]:
    """More photos: the reporter (their own open order), the lead department (fix evidence), the
    operator."""
    if kind not in Attachment.Kind.values:
        raise ValidationFailed(_("附件类别不正确。"), code="attachment_kind_invalid", fields={"kind": [kind]})
    checked = _check_photos(photos)
    if not checked:
        message = _("请选择要上传的照片。")
        raise ValidationFailed(message, code="photo_required", fields={"photos": [message]})
    with transaction.atomic():
        order = _lock(number)
        allowed = (actor.role == Role.HOTLINE_OPERATOR or _is_lead(actor, order)
                   or (actor.role == Role.GRID_WORKER and order.reporter_id == actor.user.pk)
                   or _is_caller(actor, order))
        _require(allowed, _("您无权为该工单上传照片。"))
        if kind == Attachment.Kind.FIX:
            _require(_is_lead(actor, order) or actor.role == Role.GRID_WORKER, _("整改照片由承办部门或网格员上传。"))
        if not order.is_open:
            raise Conflict(_("工单已办结，不能再上传照片。"), code="order_closed")
        sealed = order.is_anonymous and _is_caller(actor, order)
        rows = _store_photos(order, checked, kind, None if sealed else actor.user, strip=sealed)
        _event(order, "attach", order.status, None if sealed else actor, data={"kind": kind, "count": len(rows)},
               sealed=sealed)
    return rows


# -- one entry point for the API's actions -----------------------------------------------------
ACTIONS = ("answer", "dispatch", "void", "accept", "return", "approve_return", "reject_return", "reply",
           "assist_reply", "request_extension", "approve_extension", "reject_extension", "supervise", "callback",
           "rate", "conclude", "merge")


def perform(actor: Actor, number: str, action: str, data: dict) -> WorkOrder:
    """Run one action by name (the JSON API's ``POST …/actions``)."""
    if action not in ACTIONS:
        raise ValidationFailed(_("未知的操作：%(a)s") % {"a": action}, code="unknown_action",
                               fields={"action": [", ".join(ACTIONS)]})
    expected = data.get("expected_version")
    if expected is not None:
        current = WorkOrder.objects.filter(number=number).values_list("lock_version", flat=True).first()
        if current is not None and current != expected:
            raise Conflict(_("工单已被他人更新，请刷新后重试。"), code="stale_version",
                           fields={"expected_version": [str(expected)], "lock_version": [str(current)]})
    text = data.get("text") or data.get("note") or ""
    if action == "answer":
        return answer(actor, number, text, article_id=data.get("article_id"))
    if action == "dispatch":
        return dispatch(actor, number, department=data.get("department") or "", category=data.get("category"),
                        assisting=data.get("assisting") or [], urgency=data.get("urgency"), note=data.get("note", ""))
    if action == "void":
        return void(actor, number, data.get("reason") or text)
    if action == "accept":
        return accept(actor, number)
    if action == "return":
        return give_back(actor, number, data.get("reason") or text)
    if action in ("approve_return", "reject_return"):
        return review_return(actor, number, approve=action == "approve_return", note=data.get("note") or "",
                             department=data.get("department"), category=data.get("category"),
                             assisting=data.get("assisting"))
    if action == "reply":
        return reply(actor, number, text, resolved=data.get("resolved", True) is not False)
    if action == "assist_reply":
        return assist_reply(actor, number, data.get("opinion") or text)
    if action == "request_extension":
        request_extension(actor, number, data.get("days"), data.get("reason") or text)
        return WorkOrder.objects.get(number=number)
    if action in ("approve_extension", "reject_extension"):
        return decide_extension(actor, number, approve=action == "approve_extension", note=data.get("note") or "")
    if action == "supervise":
        supervise(actor, number, data.get("note") or "")
        return WorkOrder.objects.get(number=number)
    if action == "callback":
        return callback(actor, number, result=data.get("result") or "", resolved=data.get("resolved"),
                        note=data.get("note") or "")
    if action == "rate":
        return rate(actor, number, result=data.get("result") or "", resolved=data.get("resolved"),
                    note=data.get("note") or "")
    if action == "conclude":
        return conclude(actor, number, data.get("note") or text)
    if action == "merge":
        return merge(actor, number, data.get("into") or "", data.get("note") or "")
    raise AssertionError(action)  # pragma: no cover


def label(action: str) -> str:
    return str(ACTION_LABELS.get(action, action))


def masked_phone(order: WorkOrder) -> str:
    return "" if order.is_anonymous else mask_phone(order.caller_phone)


# -- Open311 clients ---------------------------------------------------------------------------
DEMO_OPEN311_KEY = "yx-open311-demo-key"


def _key_hash(raw: str) -> str:
    import hashlib

    return hashlib.sha256(raw.encode()).hexdigest()


def create_open311_client(name: str) -> tuple[str, "Open311Client"]:
    """A new api_key for a system that posts requests (shown once; only its hash is kept)."""
    from .models import Open311Client

    raw = "o311_" + secrets.token_urlsafe(24)
    client = Open311Client.objects.create(name=name, key_hash=_key_hash(raw), prefix=raw[:8])
    audit.record("hotline.open311_client_created", client, data={"name": name, "prefix": raw[:8]})
    return raw, client


def open311_client_for(raw: str | None):
    from .models import Open311Client

    if not raw:
        return None
    return Open311Client.objects.filter(key_hash=_key_hash(raw.strip()), is_active=True).first()


def ensure_demo_open311_client() -> str | None:
    """The demo's public Open311 key (demo mode only; its value is in the docs)."""
    from .models import Open311Client

    if Open311Client.objects.filter(key_hash=_key_hash(DEMO_OPEN311_KEY)).exists():
        return DEMO_OPEN311_KEY
    Open311Client.objects.create(name="演示接入方（开放平台）", key_hash=_key_hash(DEMO_OPEN311_KEY),
                                 prefix=DEMO_OPEN311_KEY[:8])
    return DEMO_OPEN311_KEY
