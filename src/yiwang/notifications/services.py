"""Notify a person by SMS, e-mail or in-site message.

``notify()`` renders the template, stores one :class:`Notification` per channel and, once the
surrounding transaction commits, enqueues its delivery as a background task. Delivery failures
are retried with exponential backoff; nothing is dropped (see ``tasks.deliver``).
"""

from __future__ import annotations

from functools import lru_cache

from django.db import transaction
from django.template import Context, Template as DjangoTemplate
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.core.errors import ValidationFailed

from .models import Channel, Notification, Template
from .templates_default import DEFAULTS


@lru_cache(maxsize=512)
def _compiled(source: str) -> DjangoTemplate:
    """Compiled once per process and text (rendering a compiled template is thread-safe); an edited
    template is new text, so it compiles afresh."""
    return DjangoTemplate(source)


def _template_rows(code: str, channels, language: str) -> dict[tuple[str, str], Template]:
    """The admin's templates for these channels, in the language and in zh-hans, in one query."""
    rows = Template.objects.filter(code=code, channel__in=list(channels), language__in={language, "zh-hans"})
    return {(r.channel, r.language): r for r in rows}


def render(code: str, channel: str, context: dict, language: str = "zh-hans", *,
           rows: dict[tuple[str, str], Template] | None = None) -> tuple[str, str]:
    if rows is None:
        rows = _template_rows(code, [channel], language)
    row = rows.get((channel, language)) or rows.get((channel, "zh-hans"))
    if row is not None:
        subject, body = row.subject, row.body
    elif (code, channel) in DEFAULTS:
        subject, body = DEFAULTS[(code, channel)]
    else:
        raise ValidationFailed(_("消息模板不存在：%(code)s") % {"code": f"{code}/{channel}"}, code="unknown_template")
    ctx = Context(context, autoescape=False)
    return _compiled(subject).render(ctx).strip(), _compiled(body).render(ctx).strip()


def _address(user, channel: str, to: str | None) -> str:
    if to:
        return to
    if user is None:
        return ""
    return {"sms": user.phone, "email": user.email, "site": ""}[channel]


def notify(user, template: str, context: dict | None = None, *, channels: list[str] | None = None,
           to: str | None = None, sensitive: bool = False) -> list[Notification]:
    """Queue a message to ``user`` (or to an address ``to``) on each channel.

    Channels default to in-site plus SMS when the person has a phone. A channel with no address
    for this person is skipped, not failed.
    """
    context = dict(context or {})
    if user is not None:
        context.setdefault("name", user.display_name)
    if channels is None:
        channels = [Channel.SITE] + ([Channel.SMS] if user is not None and user.phone else [])
    language = (getattr(user, "preferred_language", "") or "zh-hans") if user is not None else "zh-hans"
    # Render every channel before storing any: a missing template must not leave the person with
    # half of the message (and the caller's retry with a duplicate of that half).
    rendered = []
    rows = _template_rows(template, channels, language)
    for channel in channels:
        address = _address(user, channel, to)
        if channel != Channel.SITE and not address:
            continue
        if channel == Channel.SITE and user is None:
            continue
        rendered.append((channel, address, *render(template, channel, context, language, rows=rows)))
    now = timezone.now()
    created = [
        Notification(
            recipient=user, channel=channel, to_address=address, template=template, subject=subject,
            body=body, sensitive=sensitive,
            status=Notification.Status.SENT if channel == Channel.SITE else Notification.Status.QUEUED,
            sent_at=now if channel == Channel.SITE else None,
        )
        for channel, address, subject, body in rendered
    ]
    if created:  # one INSERT for all channels (the primary keys come back: SQLite ≥ 3.35, PostgreSQL)
        created = Notification.objects.bulk_create(created)
    pending = [n.pk for n in created if n.status == Notification.Status.QUEUED]
    if pending:
        transaction.on_commit(lambda: _enqueue(pending))
    return created


def _enqueue(ids: list[int]) -> None:
    from .tasks import deliver

    for pk in ids:
        try:
            deliver.enqueue(pk)
        except Exception:  # noqa: BLE001 - the queue is down: the row stays queued for the sweep
            import logging

            logging.getLogger("yiwang.notifications").exception("could not enqueue notification %s", pk)


def mark_read(user, notification_id: int) -> None:
    Notification.objects.filter(pk=notification_id, recipient=user, channel=Channel.SITE, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def resend(notification: Notification) -> None:
    """Put a failed message back in the queue (an operator's action)."""
    Notification.objects.filter(pk=notification.pk).update(
        status=Notification.Status.QUEUED, attempts=0, next_attempt_at=None
    )
    transaction.on_commit(lambda: _enqueue([notification.pk]))
