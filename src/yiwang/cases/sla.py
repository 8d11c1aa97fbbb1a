"""The SLA clock of a case, in working days (yiwang.core.workdays).

* On acceptance the promised deadline is ``add_working_days(accepted_at, promised_days)`` and the
  statutory one ``add_working_days(accepted_at, statutory_days)``; an immediate case (即办件,
  0 days) is due at the end of the day it was accepted.
* While the clock is stopped (补正 waiting for the applicant, 特别程序 suspensions) no working day
  counts: on restart both deadlines move later by the working days that passed while stopped.
* An approval with a fee stops the clock too (待缴费: the applicant's turn, as in 补正 — the time a
  fee stays unpaid is not the department's). The decision was the department's last step, so on
  payment the clock does not restart: the deadline stays and the light is the one at the decision.
* The light: red when the deadline has passed; yellow when the working days left are at or below
  the threshold (``SLA_YELLOW_DAYS``, default 2); green otherwise; while stopped the light is
  frozen and the case shows "paused".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.utils import timezone

from yiwang.core import workdays

GREEN, YELLOW, RED, PAUSED = "green", "yellow", "red", "paused"


def yellow_threshold() -> int:
    return int(getattr(settings, "SLA_YELLOW_DAYS", 2))


def deadline(accepted_at: datetime, limit_days: int, stopped_days: int = 0) -> datetime:
    return workdays.add_working_days(accepted_at, max(limit_days, 0) + max(stopped_days, 0))


def stopped_working_days(stopped_at: datetime, restarted_at: datetime) -> int:
    """Working days lost while the clock was stopped (the day of stopping itself does not count
    again if the clock restarts the same day)."""
    return max(workdays.working_days_between(stopped_at, restarted_at), 0)


@dataclass
class Light:
    colour: str
    remaining_days: int | None  # working days left (negative when overdue)


def light(due_at: datetime | None, *, now: datetime | None = None, paused: bool = False) -> Light:
    if due_at is None:
        return Light(GREEN, None)
    now = now or timezone.now()
    if paused:
        return Light(PAUSED, workdays.working_days_between(now, due_at))
    if now > due_at:
        return Light(RED, -workdays.working_days_between(due_at, now))
    remaining = workdays.working_days_between(now, due_at)
    return Light(YELLOW if remaining <= yellow_threshold() else GREEN, remaining)
