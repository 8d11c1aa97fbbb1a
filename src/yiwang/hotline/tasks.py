"""Background work of the hotline (django-tasks)."""

from __future__ import annotations

from django_tasks import task


@task(queue_name="default")
def supervise_overdue() -> dict:
    """The electronic supervisor (services.sweep): 督办 for orders past their accept or reply limits."""
    from .services import sweep

    return sweep()
