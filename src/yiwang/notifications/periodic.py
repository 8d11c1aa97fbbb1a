"""Periodic jobs of notifications (yiwang.core.periodic)."""

from datetime import timedelta

from yiwang.core.periodic import register

from .tasks import sweep_lost

register("notifications.sweep", every=timedelta(minutes=5), task=sweep_lost,
         description="re-enqueue notifications whose delivery task was lost (manage.py notifications_sweep)")
