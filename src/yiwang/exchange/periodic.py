"""Periodic jobs of the data exchange (yiwang.core.periodic)."""

from datetime import timedelta

from yiwang.core.periodic import register

from .tasks import flag_overdue

# Daily at 01:00 local time: a request becomes overdue at the end of its 10th working day.
register("exchange.flag_overdue", every=timedelta(days=1), offset=timedelta(hours=1), task=flag_overdue,
         description="conditional sharing requests unanswered for 10 working days, flagged to supervisors "
                     "(manage.py exchange_flag_overdue)")
