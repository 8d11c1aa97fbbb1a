"""Periodic jobs of cases (yiwang.core.periodic)."""

from datetime import timedelta

from yiwang.core.periodic import register

from .tasks import sweep_sla

register("cases.sla_sweep", every=timedelta(minutes=15), task=sweep_sla,
         description="SLA lights of running cases; warnings to department heads and supervisors (manage.py sla_sweep)")
