"""Background work of the data exchange (django-tasks)."""

from __future__ import annotations

from django_tasks import task


@task(queue_name="default")
def flag_overdue() -> list[str]:
    """Conditional sharing requests unanswered for 10 working days: flag each once and tell the
    supervisors (services.flag_overdue_requests). Returns the flagged requests' ids."""
    from .services import flag_overdue_requests

    return [str(req.pk) for req in flag_overdue_requests()]
