"""Pluggable senders, one per channel, chosen by ``settings.NOTIFY_SENDERS``.

A sender's ``send(notification)`` returns a provider reference or raises :class:`SendError`;
the delivery task retries on any exception.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time

from django.conf import settings
from django.core.mail import send_mail

logger = logging.getLogger("yiwang.notifications")


class SendError(Exception):
    pass


class ConsoleSender:
    """Writes the message to the log (the default for SMS on the embedded install)."""

    def send(self, notification) -> str:
        shown = "（验证码已隐去）" if notification.sensitive else notification.body
        logger.info("[%s] to=%s %s %s", notification.channel, notification.to_address[-4:],
                    notification.subject, shown)
        return f"console-{notification.pk}"


class SiteSender:
    """In-site messages are stored, not sent: delivery is the row itself."""

    def send(self, notification) -> str:
        return f"site-{notification.pk}"


class EmailSender:
    """E-mail through Django's mail backend (SMTP in production: EMAIL_HOST etc.)."""

    def send(self, notification) -> str:
        if not notification.to_address:
            raise SendError("no e-mail address")
        sent = send_mail(notification.subject or "一网通办", notification.body, settings.DEFAULT_FROM_EMAIL,
                         [notification.to_address], fail_silently=False)
        if sent != 1:
            raise SendError("mail backend accepted no message")
        return f"email-{notification.pk}"


class HttpSmsSender:
    """An adapter for an HTTP SMS gateway (运营商/政务短信平台).

    POSTs JSON ``{phone, sign, content, ref, timestamp}`` to ``SMS_GATEWAY_URL`` with an
    ``X-Signature`` header: hex HMAC-SHA256 over the body with ``SMS_GATEWAY_KEY``. A 2xx answer
    with ``{"ok": true, "id": ...}`` is success; anything else raises and is retried.
    """

    timeout = 5

    def send(self, notification) -> str:
        import requests

        if not settings.SMS_GATEWAY_URL:
            raise SendError("SMS_GATEWAY_URL is not configured")
        if not notification.to_address:
            raise SendError("no phone number")
        body = json.dumps(
            {
                "phone": notification.to_address,
                "sign": settings.SMS_GATEWAY_SIGN,
                "content": notification.body,
                "ref": f"yw-{notification.pk}",  # stable across retries: the gateway can drop a duplicate
                "timestamp": int(time.time()),
            },
            ensure_ascii=False,
        ).encode()
        signature = hmac.new(settings.SMS_GATEWAY_KEY.encode(), body, hashlib.sha256).hexdigest()
        try:
            response = requests.post(
                settings.SMS_GATEWAY_URL,
                data=body,
                headers={"Content-Type": "application/json; charset=utf-8", "X-Signature": signature},
                timeout=self.timeout,
            )
        except requests.RequestException as exc:
            raise SendError(f"gateway unreachable: {exc.__class__.__name__}") from exc
        if response.status_code // 100 != 2:
            raise SendError(f"gateway answered HTTP {response.status_code}")
        try:
            answer = response.json()
        except ValueError as exc:
            raise SendError("gateway answered no JSON") from exc
        if not answer.get("ok"):
            raise SendError(f"gateway refused: {answer.get('error', 'unknown')}")
        return str(answer.get("id", ""))


_cache: dict[str, object] = {}


def sender_for(channel: str):
    from django.utils.module_loading import import_string

    path = settings.NOTIFY_SENDERS[channel]
    if path not in _cache:
        _cache[path] = import_string(path)()
    return _cache[path]
