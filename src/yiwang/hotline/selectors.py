"""Reads of work orders, scoped to the actor, and what each actor may see of the caller.

* the 12345 centre, supervisors and the platform admin see every order;
* a department's handlers and head see the orders it leads or assists;
* a grid worker sees what they reported and what happened in their grids;
* citizens and enterprise agents see what they filed (an anonymous report too: it is theirs).

The caller's phone number is masked for everyone but the caller; the 12345 centre opens it on an
audited reveal. An anonymous reporter's identity is never part of an order at all: it lives in
:class:`~yiwang.hotline.models.SealedReporter`, which no selector here reads.
"""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.accounts.actor import Actor
from yiwang.accounts.models import Role
from yiwang.core.errors import NotAuthenticated, NotFound
from yiwang.core.identity import mask_phone
from yiwang.core.workdays import working_days_between

from . import text as textmod
from .models import ACTION_LABELS, Attachment, Callback, Extension, Status, WorkOrder

ALL_ORDERS_ROLES = {Role.HOTLINE_OPERATOR, Role.SUPERVISOR, Role.PLATFORM_ADMIN}
DEPARTMENT_ROLES = {Role.HANDLER, Role.DEPT_HEAD}
APPLICANT_ROLES = {Role.CITIZEN, Role.ENTERPRISE_AGENT}


def orders_visible_to(actor: Actor) -> QuerySet[WorkOrder]:
    if not actor.is_authenticated:
        raise NotAuthenticated(_("请先登录。"))
    qs = WorkOrder.objects.select_related("category", "lead_department", "grid", "community", "street")
    role = actor.role
    if role in ALL_ORDERS_ROLES:
        return qs
    if role in DEPARTMENT_ROLES and actor.department_id:
        return qs.filter(Q(lead_department_id=actor.department_id) | Q(assists__department_id=actor.department_id)
                         ).distinct()
    if role == Role.GRID_WORKER:
        return qs.filter(Q(reporter=actor.user) | Q(grid__members__user=actor.user)).distinct()
    if role in APPLICANT_ROLES:
        return qs.filter(Q(caller_user=actor.user) | Q(sealed_reporter__user=actor.user))
    return qs.none()


def order_for(actor: Actor, number: str) -> WorkOrder:
    order = orders_visible_to(actor).filter(number=number).first()
    if order is None:
        raise NotFound(_("未找到该工单，或您无权查看。"), code="order_not_found")
    return order


def light(due, now=None) -> str | None:
    """green (more than one working day left), yellow (due within a working day), red (overdue)."""
    if due is None:
        return None
    now = now or timezone.now()
    if now > due:
        return "red"
    if due - now <= timedelta(hours=24) or working_days_between(now, due) <= 1:
        return "yellow"
    return "green"


def current_due(order: WorkOrder):
    if order.status == Status.DISPATCHED:
        return order.accept_due_at
    if order.status == Status.IN_PROGRESS:
        return order.reply_due_at
    return None


def _mask_name(name: str) -> str:
    if not name:
        return ""
    return name[0] + "*" * max(1, len(name) - 1)


def caller_view(order: WorkOrder, actor: Actor) -> dict:
    """What this actor sees of the person who raised the order."""
    if order.is_anonymous:
        own = actor.role in APPLICANT_ROLES
        return {"anonymous": True, "name": _("匿名举报人"), "phone": "", "sealed": actor.role == Role.HOTLINE_OPERATOR,
                "own": own}
    own = actor.user is not None and order.caller_user_id == actor.user.pk
    full = own
    return {
        "anonymous": False,
        "name": order.caller_name if (full or actor.role in ALL_ORDERS_ROLES) else _mask_name(order.caller_name),
        "phone": order.caller_phone if full else mask_phone(order.caller_phone),
        "sealed": False,
        "own": own,
    }


DETAIL_RELATED = ("category__parent", "lead_department", "grid", "community", "street", "merged_into")
DETAIL_PREFETCH = ("assists__department", "attachments", "events__department", "duplicates", "extensions")


def for_detail(pk: int) -> WorkOrder:
    """One order with everything its detail shows, in a handful of queries."""
    return (WorkOrder.objects.select_related(*DETAIL_RELATED).prefetch_related(*DETAIL_PREFETCH).get(pk=pk))


def history(order: WorkOrder, actor: Actor) -> list[dict]:
    staff = actor.is_staff_role
    out = []
    for e in sorted(order.events.all(), key=lambda e: (e.at, e.id)):
        if e.action in ("reveal_reporter", "reveal_phone") and actor.role not in ALL_ORDERS_ROLES:
            continue
        who = e.actor_label
        if not staff and e.role not in ("citizen", "enterprise_agent", "reporter", "system"):
            who = e.department.name if e.department_id else _("12345 热线")
        elif e.role in ("citizen", "enterprise_agent") and actor.role not in ALL_ORDERS_ROLES \
                and not (actor.user is not None and e.actor_id == actor.user.pk):
            who = _mask_name(who)  # departments and grid workers see the caller's name masked
        out.append({"at": e.at, "action": e.action, "action_label": str(ACTION_LABELS.get(e.action, e.action)),
                    "from_status": e.from_status, "status": e.to_status, "actor": who,
                    "department": e.department.name if e.department_id else None, "note": e.note})
    return out


def order_detail(order: WorkOrder, actor: Actor) -> dict:
    if not getattr(order, "_detail_ready", False):
        order = for_detail(order.pk)
    due = current_due(order)
    staff = actor.is_staff_role
    pending_ext = next((e for e in order.extensions.all() if e.state == Extension.State.PENDING), None) \
        if staff else None
    return {
        "number": order.number,
        "title": order.title,
        "text": order.text,
        "kind": order.kind,
        "kind_label": str(order.get_kind_display()),
        "channel": order.channel,
        "status": order.status,
        "status_label": str(order.get_status_display()),
        "urgency": order.urgency,
        "category": order.category.code if order.category_id else None,
        "category_name": order.category.path if order.category_id else None,
        "lead_department": order.lead_department.code if order.lead_department_id else None,
        "lead_department_name": order.lead_department.name if order.lead_department_id else None,
        "assisting": [{"department": a.department.code, "name": a.department.name, "opinion": a.opinion}
                      for a in order.assists.all()],
        "address": order.address,
        "lat": order.lat,
        "lng": order.lng,
        "grid": order.grid.code if order.grid_id else None,
        "grid_name": order.grid.name if order.grid_id else None,
        "community": order.community.name if order.community_id else None,
        "street": order.street.name if order.street_id else None,
        "caller": caller_view(order, actor),
        "callback_preference": order.callback_preference,
        "created_at": order.created_at,
        "dispatched_at": order.dispatched_at,
        "accept_due_at": order.accept_due_at,
        "return_due_at": order.return_due_at,
        "accepted_at": order.accepted_at,
        "reply_due_at": order.reply_due_at,
        "replied_at": order.replied_at,
        "closed_at": order.closed_at,
        "due_at": due,
        "light": light(due),
        "answer": order.answer_text or None,
        "reply": order.reply_text or None,
        "reply_resolved": order.reply_resolved,
        "return_reason": order.return_reason or None if staff else None,
        "satisfaction": order.satisfaction or None,
        "satisfaction_label": str(dict(Callback.Result.choices).get(order.satisfaction, order.satisfaction)) or None,
        "reopen_count": order.reopen_count,
        "escalation_level": order.escalation_level,
        "extension_days": order.extension_days,
        "pending_extension": {"days": pending_ext.days, "reason": pending_ext.reason} if pending_ext else None,
        "merged_into": order.merged_into.number if order.merged_into_id else None,
        "duplicates": [d.number for d in order.duplicates.all()],
        "self_resolved": order.self_resolved,
        "attachments": [{"id": a.pk, "kind": a.kind, "name": a.name, "content_type": a.content_type, "size": a.size,
                         "url": f"/hotline/attachments/{a.pk}/"} for a in sorted(order.attachments.all(),
                                                                                  key=lambda a: a.pk)],
        "history": history(order, actor),
        "lock_version": order.lock_version,
    }


def attachment_for(actor: Actor, pk: int) -> Attachment:
    att = Attachment.objects.select_related("order").filter(pk=pk).first()
    if att is None or not orders_visible_to(actor).filter(pk=att.order_id).exists():
        raise NotFound(_("未找到该附件，或您无权查看。"), code="attachment_not_found")
    return att


# -- queues ------------------------------------------------------------------------------------
def department_queue(actor: Actor) -> QuerySet[WorkOrder]:
    """The department's open orders, most urgent first."""
    if actor.role not in DEPARTMENT_ROLES or not actor.department_id:
        return WorkOrder.objects.none()
    return (orders_visible_to(actor).filter(status__in=[Status.DISPATCHED, Status.IN_PROGRESS])
            .order_by("reply_due_at", "accept_due_at"))


def centre_queue(actor: Actor, which: str) -> QuerySet[WorkOrder]:
    """The 12345 centre's queues: new (to dispatch), returned (to review), replied (to call back);
    supervisors: escalated and extension requests."""
    qs = orders_visible_to(actor)
    if which == "new":
        return qs.filter(status=Status.NEW).order_by("-urgency", "created_at")
    if which == "returned":
        return qs.filter(status=Status.RETURNED).order_by("updated_at")
    if which == "replied":
        return qs.filter(status=Status.REPLIED).order_by("replied_at")
    if which == "escalated":
        return qs.filter(status=Status.ESCALATED).order_by("updated_at")
    if which == "extensions":
        return qs.filter(extensions__state=Extension.State.PENDING).order_by("reply_due_at").distinct()
    if which == "overdue":
        now = timezone.now()
        return qs.filter(Q(status=Status.DISPATCHED, accept_due_at__lt=now)
                         | Q(status=Status.IN_PROGRESS, reply_due_at__lt=now)).order_by("reply_due_at")
    return qs.none()


# -- duplicates --------------------------------------------------------------------------------
def similarity(a: str, b: str) -> float:
    """Jaccard similarity of the two texts' words and character bigrams."""
    fa, fb = set(textmod.features(a)), set(textmod.features(b))
    if not fa or not fb:
        return 0.0
    return len(fa & fb) / len(fa | fb)


def duplicate_candidates(order: WorkOrder, *, days: int = 7, radius_m: float = 300, threshold: float = 0.2,
                         limit: int = 5) -> list[tuple[WorkOrder, float]]:
    """Open orders that look like the same problem at the same place within ``days``: same category
    (when known), within ``radius_m`` (or the same grid/community without coordinates), and
    similar words. Best first."""
    from yiwang.grid.geometry import distance_m

    since = order.created_at - timedelta(days=days)
    qs = WorkOrder.objects.filter(created_at__gte=since, status__in=[Status.NEW, Status.DISPATCHED,
                                                                     Status.IN_PROGRESS, Status.REPLIED,
                                                                     Status.RETURNED]).exclude(pk=order.pk)
    if order.category_id:
        qs = qs.filter(Q(category_id=order.category_id) | Q(category__isnull=True))
    if order.grid_id:
        qs = qs.filter(Q(grid_id=order.grid_id) | Q(community_id=order.community_id))
    elif order.community_id:
        qs = qs.filter(community_id=order.community_id)
    elif order.address:
        qs = qs.filter(address=order.address)
    else:
        return []
    out = []
    for other in qs.select_related("category", "lead_department")[:200]:
        if order.lat is not None and other.lat is not None:
            if distance_m(order.lng, order.lat, other.lng, other.lat) > radius_m:
                continue
        score = similarity(order.text, other.text)
        if score >= threshold:
            out.append((other, score))
    out.sort(key=lambda t: -t[1])
    return out[:limit]
