"""Background work of cases (django-tasks).

``sweep_sla`` raises the SLA lights: the periodic beat enqueues it every 15 minutes
(``cases/periodic.py``, docs/deployment.md); ``manage.py sla_sweep`` runs it by hand.
"""

from __future__ import annotations

import logging
from collections import defaultdict

from django.db import transaction
from django.utils import timezone
from django_tasks import task

from . import sla
from .models import Case, Status

logger = logging.getLogger("yiwang.cases")

#: Statuses whose SLA clock runs (once accepted and while not stopped). Not 待缴费: waiting for the
#: applicant's fee stops the clock, as a correction does (services.decide).
CLOCK_STATUSES = (Status.IN_REVIEW,)
#: How many changed cases one transaction locks and saves.
BATCH = 500

LIGHT_LABELS = {sla.GREEN: "绿灯", sla.YELLOW: "黄灯（临近时限）", sla.RED: "红灯（已超时限）"}
_RANK = {sla.GREEN: 0, sla.YELLOW: 1, sla.RED: 2}


def _running():
    return Case.objects.filter(status__in=CLOCK_STATUSES, accepted_at__isnull=False, clock_stopped_at__isnull=True,
                               due_at__isnull=False)


def _raised(old: str, new: str) -> bool:
    """A light goes up: green → yellow, green/yellow → red (paused or unknown counts as green)."""
    return _RANK.get(new, 0) > _RANK.get(old, 0)


def _recipients(department_ids: set[int], red: bool) -> tuple[dict[int, list], list]:
    """Active heads per department, and (for red) every active supervisor."""
    from yiwang.accounts.models import Role, RoleAssignment

    heads: dict[int, list] = defaultdict(list)
    rows = (RoleAssignment.objects.filter(role=Role.DEPT_HEAD, department_id__in=department_ids, user__is_active=True)
            .select_related("user").order_by("id"))
    for a in rows:
        if all(u.pk != a.user.pk for u in heads[a.department_id]):
            heads[a.department_id].append(a.user)
    supervisors = []
    if red:
        seen = set()
        for a in RoleAssignment.objects.filter(role=Role.SUPERVISOR, user__is_active=True).select_related(
                "user").order_by("id"):
            if a.user.pk not in seen:
                seen.add(a.user.pk)
                supervisors.append(a.user)
    return heads, supervisors


class _Lights:
    """The light for a deadline at ``now``, computed once per distinct deadline (many cases share
    one: deadlines are the end of a working day)."""

    def __init__(self, now):
        self.now = now
        self._memo: dict = {}

    def __call__(self, due_at) -> str:
        colour = self._memo.get(due_at)
        if colour is None:
            colour = self._memo[due_at] = sla.light(due_at, now=self.now).colour
        return colour


def _apply(batch: list[int], lights: _Lights, counts: dict) -> None:
    """Lock the batch's rows, recompute their lights from what is stored now (a service or another
    sweep may have moved them since they were read), save the changes in bulk and notify, all in
    one transaction: a light is raised — and announced — exactly once."""
    from yiwang.notifications.services import notify

    with transaction.atomic():
        qs = _running().filter(pk__in=batch).select_related("department").only(
            "id", "number", "title", "due_at", "sla_light", "department_id", "department__name")
        if transaction.get_connection().features.has_select_for_update:
            qs = qs.select_for_update(of=("self",))
        changed, raised = [], []
        for case in qs:
            colour = lights(case.due_at)
            if colour == case.sla_light:
                continue
            if _raised(case.sla_light, colour):
                raised.append((case, colour))
            case.sla_light = colour
            changed.append(case)
        if not changed:
            return
        Case.objects.bulk_update(changed, ["sla_light"], batch_size=BATCH)
        counts["changed"] += len(changed)
        heads, supervisors = _recipients({c.department_id for c, _ in raised if c.department_id},
                                         any(colour == sla.RED for _, colour in raised))
        for case, colour in raised:
            counts[colour] += 1
            recipients = list(heads.get(case.department_id, []))
            if colour == sla.RED:
                recipients += [u for u in supervisors if all(u.pk != r.pk for r in recipients)]
            due = timezone.localtime(case.due_at).strftime("%Y-%m-%d %H:%M")
            context = {"number": case.number, "title": case.title, "light": LIGHT_LABELS[colour], "due": due}
            for user in recipients:
                notify(user, "sla_warning", context, channels=["site"])
                counts["notified"] += 1


def run_sweep(now=None) -> dict[str, int]:
    """Recompute the light of every accepted case whose clock runs; save the changed ones in bulk;
    tell the department's heads about each case that turned yellow or red (and, for red, the
    supervisors), once per change. Paused cases (补正, 特别程序) keep their frozen light."""
    from yiwang.core import audit

    lights = _Lights(now or timezone.now())
    counts = {"checked": 0, "changed": 0, sla.YELLOW: 0, sla.RED: 0, "notified": 0}
    pending: list[int] = []
    for pk, due_at, stored in _running().values_list("id", "due_at", "sla_light").order_by("id").iterator(
            chunk_size=2000):
        counts["checked"] += 1
        if lights(due_at) != stored:
            pending.append(pk)
        if len(pending) >= BATCH:
            _apply(pending, lights, counts)
            pending = []
    if pending:
        _apply(pending, lights, counts)
    if counts["changed"]:
        audit.record("case.sla_swept", ("cases.case", "*"), data=counts, role="system", department="")
    return counts


@task(queue_name="default")
def sweep_sla() -> dict[str, int]:
    return run_sweep()
