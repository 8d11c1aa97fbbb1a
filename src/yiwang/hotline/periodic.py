"""Periodic jobs of the hotline (yiwang.core.periodic)."""

from datetime import timedelta

from yiwang.core.periodic import register

from .tasks import supervise_overdue

register("hotline.supervision", every=timedelta(minutes=5), task=supervise_overdue,
         description="electronic supervision of overdue work orders, levels 1-3 (manage.py hotline_sweep)")
