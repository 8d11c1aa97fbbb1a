"""Background delivery of notifications (django-tasks)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from .models import Notification
from .senders import sender_for

BACKOFF_BASE_SECONDS = 30


def backoff(attempt: int) -> timedelta:
    """30 s, 60 s, 2 min, 4 min, … capped at one hour."""
    return timedelta(seconds=min(BACKOFF_BASE_SECONDS * 2 ** max(attempt - 1, 0), 3600))


@task(queue_name="notifications")
def deliver(notification_id: int) -> str:
    with transaction.atomic():
        qs = Notification.objects.filter(pk=notification_id)
        if transaction.get_connection().features.has_select_for_update:
            qs = qs.select_for_update()
        notification = qs.first()
        if notification is None or notification.status in (Notification.Status.SENT, Notification.Status.FAILED):
            return "skipped"
        notification.attempts += 1
        try:
            ref = sender_for(notification.channel).send(notification)
        except Exception as exc:  # noqa: BLE001 - every failure is recorded and retried
            notification.last_error = f"{exc.__class__.__name__}: {exc}"[:2000]
            if notification.attempts >= settings.NOTIFY_MAX_ATTEMPTS:
                notification.status = Notification.Status.FAILED
                notification.next_attempt_at = None
            else:
                notification.status = Notification.Status.RETRYING
                notification.next_attempt_at = timezone.now() + backoff(notification.attempts)
            notification.save(update_fields=["attempts", "last_error", "status", "next_attempt_at"])
            if notification.status == Notification.Status.RETRYING:
                run_after = notification.next_attempt_at
                transaction.on_commit(lambda: deliver.using(run_after=run_after).enqueue(notification_id))
            return notification.status
        notification.status = Notification.Status.SENT
        notification.sent_at = timezone.now()
        notification.provider_ref = ref[:128]
        notification.next_attempt_at = None
        notification.save(update_fields=["attempts", "status", "sent_at", "provider_ref", "next_attempt_at"])
        return "sent"


def sweep(stale_after: timedelta = timedelta(minutes=10)) -> int:
    """Re-enqueue messages whose delivery task was lost (queue outage, crashed worker)."""
    now = timezone.now()
    ids = list(
        Notification.objects.filter(status__in=[Notification.Status.QUEUED, Notification.Status.RETRYING])
        .filter(created_at__lt=now - stale_after)
        .exclude(next_attempt_at__gt=now - stale_after)
        .values_list("pk", flat=True)[:1000]
    )
    for pk in ids:
        deliver.enqueue(pk)
    return len(ids)


@task(queue_name="notifications")
def sweep_lost() -> int:
    """The periodic form of :func:`sweep` (yiwang.notifications.periodic)."""
    return sweep()
