"""Case tasks in the staff inbox (yiwang.core.inbox): the open tasks of the actor's department for
their role (selectors.inbox), with the fields the inbox always had (``id`` is the task's, for
``POST /api/v1/inbox/{id}``)."""

from __future__ import annotations

from django.db.models import F
from django.urls import reverse

from yiwang.accounts.actor import Actor
from yiwang.accounts.models import Role
from yiwang.core.inbox import provider

from . import selectors
from .models import ACTION_LABELS, TaskStatus


def _light(case) -> str:
    """The light as the case page shows it: live while the clock runs, frozen while it is stopped."""
    light = selectors.live_light(case) if case.accepted_at else None
    return light.colour if light is not None else case.sla_light


def _actions(actor: Actor, task) -> list[dict]:
    number = task.case.number
    task_url, case_url = f"/api/v1/inbox/{task.pk}", f"/api/v1/cases/{number}/actions"
    free = task.status == TaskStatus.OPEN
    mine = task.status == TaskStatus.CLAIMED and actor.user is not None and task.claimed_by_id == actor.user.pk
    head = actor.role == Role.DEPT_HEAD
    out = []
    if free:
        out.append(("claim", task_url))
    if free or mine:
        out += [(a, case_url) for a in (("approve", "reject") if task.step == "decide" else ("review",))]
    if mine or (head and task.status == TaskStatus.CLAIMED):
        out.append(("release", task_url))
    if head:
        out.append(("reassign", task_url))
    return [{"action": a, "label": str(ACTION_LABELS[a]), "url": url} for a, url in out]


@provider("case")
def items(actor: Actor, limit: int) -> list[dict]:
    tasks = selectors.inbox(actor).order_by(F("case__due_at").asc(nulls_last=True), "created_at")[:limit]
    out = []
    for t in tasks:
        case = t.case
        out.append({
            "kind": "case",
            "number": case.number,
            "title": case.title,
            "department": t.department.name,
            "due_at": case.due_at,
            "light": _light(case),
            "link": reverse("cases-detail", args=[case.number]),
            "actions": _actions(actor, t),
            # the inbox's fields from before work orders joined it
            "id": t.pk,
            "case_number": case.number,
            "case_title": case.title,
            "step": t.step,
            "name": t.name,
            "status": t.status,
            "claimed_by": t.claimed_by.display_name if t.claimed_by_id else None,
            "sla_light": case.sla_light,
        })
    return out
