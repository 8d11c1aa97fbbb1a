"""Scoped reads for organisations, the calendar and the audit trail."""

from __future__ import annotations

from django.db.models import QuerySet

from yiwang.accounts.actor import Actor
from yiwang.accounts.models import Role
from yiwang.accounts.selectors import require_role

from .models import AuditEvent


def audit_events_for(actor: Actor) -> QuerySet[AuditEvent]:
    """Platform admins and supervisors see the whole trail; a department head sees the events
    done within their department."""
    require_role(actor, Role.PLATFORM_ADMIN, Role.SUPERVISOR, Role.DEPT_HEAD)
    qs = AuditEvent.objects.order_by("-seq")
    if actor.role == Role.DEPT_HEAD:
        qs = qs.filter(department=actor.unit_code)
    return qs
