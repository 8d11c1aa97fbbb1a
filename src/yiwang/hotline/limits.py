"""Time limits of work orders: which rule applies, and the deadlines it gives.

Rules are rows of :class:`~yiwang.hotline.models.TimeLimitRule`, per category and urgency; the
most specific one wins (see the model). The defaults, seeded with the category tree, follow common
12345 practice (国办发〔2020〕53号 leaves the numbers to the city):

* accept (签收) within 1 working day; within 30 minutes (natural time) for an urgent order —
  a threat to people's safety — and for water, power, gas or heating outages;
* return (退单) only within 2 working days of the dispatch, with a reason;
* reply (答复) within 5 working days of the dispatch (1 for outages);
* one extension of up to 10 working days, approved by a supervisor.

Working days follow :mod:`yiwang.core.workdays`: counted from the day after the dispatch, the
deadline is the end of the n-th working day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from yiwang.core.workdays import add_working_days

from .models import Category, TimeLimitRule

DEFAULT = {"accept_minutes": None, "accept_working_days": 1, "reply_working_days": 5, "return_working_days": 2,
           "max_extension_days": 10}


@dataclass(frozen=True)
class Limits:
    accept_minutes: int | None
    accept_working_days: int
    reply_working_days: int
    return_working_days: int
    max_extension_days: int
    rule_id: int | None = None

    def accept_due(self, dispatched_at: datetime) -> datetime:
        if self.accept_minutes:
            return dispatched_at + timedelta(minutes=self.accept_minutes)
        return add_working_days(dispatched_at, self.accept_working_days)

    def reply_due(self, start: datetime) -> datetime:
        return add_working_days(start, self.reply_working_days)

    def return_due(self, dispatched_at: datetime) -> datetime:
        return add_working_days(dispatched_at, self.return_working_days)


def limits_for(category: Category | None, urgency: str) -> Limits:
    chain: list[int | None] = []
    if category is not None:
        chain = [category.pk] + [c.pk for c in category.ancestors()]
    chain.append(None)
    rules = list(TimeLimitRule.objects.filter(category_id__in=[c for c in chain if c is not None])
                 | TimeLimitRule.objects.filter(category__isnull=True))
    best = None
    best_key = None
    for rule in rules:
        if rule.urgency and rule.urgency != urgency:
            continue
        level = chain.index(rule.category_id)
        key = (level, 0 if rule.urgency else 1)
        if best_key is None or key < best_key:
            best, best_key = rule, key
    if best is None:
        return Limits(**DEFAULT)
    return Limits(best.accept_minutes, best.accept_working_days, best.reply_working_days, best.return_working_days,
                  best.max_extension_days, best.pk)
