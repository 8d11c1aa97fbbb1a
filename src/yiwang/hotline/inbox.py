"""12345 work orders in the staff inbox (yiwang.core.inbox): the orders waiting for the actor's
department (selectors.department_queue) — to accept or to reply to as the lead department, or for
its opinion as an assisting one. Nothing of the caller is part of an item (an anonymous reporter
least of all): what a department may see of the caller is on the order's own page."""

from __future__ import annotations

from django.db.models import Case, F, Q, When
from django.urls import reverse

from yiwang.accounts.actor import Actor
from yiwang.core.inbox import provider

from . import selectors
from .models import ACTION_LABELS, Status

#: what the lead department does next, by status
LEAD_ACTIONS = {Status.DISPATCHED: ("accept", "return"), Status.IN_PROGRESS: ("reply", "request_extension", "return")}
LEAD_STEP = {Status.DISPATCHED: "accept", Status.IN_PROGRESS: "reply"}


@provider("work_order")
def items(actor: Actor, limit: int) -> list[dict]:
    dept = actor.department_id
    orders = (selectors.department_queue(actor)
              .filter(Q(lead_department_id=dept) | Q(assists__department_id=dept, assists__replied_at__isnull=True))
              .annotate(current_due=Case(When(status=Status.DISPATCHED, then=F("accept_due_at")),
                                         default=F("reply_due_at")))
              .order_by(F("current_due").asc(nulls_last=True), "number"))[:limit]
    orders = list(orders)
    if not orders:
        return []
    own_name = None
    out = []
    for o in orders:
        lead = o.lead_department_id == dept
        if lead:
            step, actions, department = LEAD_STEP[o.status], LEAD_ACTIONS[o.status], o.lead_department.name
        else:
            if own_name is None:
                from yiwang.core.models import Department

                own_name = Department.objects.values_list("name", flat=True).get(pk=dept)
            step, actions, department = "assist_reply", ("assist_reply",), own_name
        due = selectors.current_due(o)
        light = selectors.light(due)
        url = f"/api/v1/hotline/orders/{o.number}/actions"
        out.append({
            "kind": "work_order",
            "number": o.number,
            "title": o.title,
            "department": department,
            "due_at": due,
            "light": light,
            "link": reverse("hotline-order", args=[o.number]),
            "actions": [{"action": a, "label": str(ACTION_LABELS[a]), "url": url} for a in actions],
            "step": step,
            "name": str(ACTION_LABELS[step]),
            "status": o.status,
            "urgency": o.urgency,
            "sla_light": light,
        })
    return out
