"""Messages to people: site messages, SMS and e-mail, delivered by the real django-tasks database
worker, through a real (local) HTTP SMS gateway that checks the signature, with retries and backoff.

Tests that run the worker use real commits (transaction=True): the worker manages its own
transactions and connections exactly as in production.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.conf import settings
from django.core import mail
from django.db import transaction
from django.test import override_settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from yiwang.core.errors import ValidationFailed
from yiwang.core.taskworker import run_pending_tasks
from yiwang.notifications import senders
from yiwang.notifications.models import Notification, Template
from yiwang.notifications.services import notify, resend
from yiwang.notifications.tasks import sweep

DELIVER = "yiwang.notifications.tasks.deliver"
GATEWAY_KEY = "gw-secret-🔑-key"


def pending_tasks():
    return DBTaskResult.objects.filter(task_path=DELIVER, status="READY")


def make_due_now() -> int:
    """Let time pass: every waiting delivery task becomes due."""
    return pending_tasks().update(run_after=timezone.now())


def sms_of(created):
    return next(n for n in created if n.channel == "sms")


# --- a real HTTP SMS gateway on 127.0.0.1 -------------------------------------------------------


class Gateway:
    """Answers with the scripted statuses in order (then 200 OK); records every request."""

    def __init__(self):
        self.requests: list[dict] = []
        self.script: list[int] = []
        self.always: int | None = None
        self.ok_body = {"ok": True, "id": "gw-1"}
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                expected = hmac.new(GATEWAY_KEY.encode(), body, hashlib.sha256).hexdigest()
                signed = hmac.compare_digest(self.headers.get("X-Signature", ""), expected)
                gateway.requests.append({"body": body, "json": json.loads(body), "signed": signed,
                                         "content_type": self.headers.get("Content-Type", "")})
                if not signed:
                    status, answer = 401, {"ok": False, "error": "bad signature"}
                elif gateway.always is not None:
                    status, answer = gateway.always, {"ok": False, "error": "down"}
                elif gateway.script:
                    status, answer = gateway.script.pop(0), {"ok": False, "error": "busy"}
                else:
                    status, answer = 200, gateway.ok_body
                payload = answer if isinstance(answer, bytes) else json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/sms/send"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def gateway():
    gw = Gateway()
    senders._cache.clear()
    with override_settings(
        NOTIFY_SENDERS={**settings.NOTIFY_SENDERS, "sms": "yiwang.notifications.senders.HttpSmsSender"},
        SMS_GATEWAY_URL=gw.url,
        SMS_GATEWAY_KEY=GATEWAY_KEY,
        SMS_GATEWAY_SIGN="云溪区政务",
    ):
        yield gw
    senders._cache.clear()
    gw.close()


@pytest.fixture(autouse=True)
def _fresh_senders():
    senders._cache.clear()
    yield
    senders._cache.clear()


# --- notify() -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_notify_stores_a_site_message_and_queues_an_sms(make_citizen, django_capture_on_commit_callbacks):
    user = make_citizen(name="王芳", phone="13912345678")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        created = notify(user, "welcome")
        assert not pending_tasks().exists()  # nothing is enqueued before the commit
    assert len(callbacks) == 1
    by_channel = {n.channel: n for n in created}
    assert set(by_channel) == {"site", "sms"}
    site, sms = by_channel["site"], by_channel["sms"]
    assert site.status == "sent" and site.sent_at is not None and site.subject == "欢迎使用一网通办"
    assert "王芳，您好" in site.body
    assert sms.status == "queued" and sms.to_address == "13912345678" and sms.sent_at is None
    assert sms.body == "【一网通办】王芳，您好！您的账号已开通。"
    task = pending_tasks().get()
    assert task.queue_name == "notifications"
    # the queue row carries the message id only: no phone number or text in the queue table
    assert task.args_kwargs == {"args": [sms.pk], "kwargs": {}}


@pytest.mark.django_db
def test_no_phone_means_no_sms(make_citizen, django_capture_on_commit_callbacks):
    user = make_citizen(phone="")
    with django_capture_on_commit_callbacks(execute=True):
        created = notify(user, "welcome")
    assert [n.channel for n in created] == ["site"]
    assert not pending_tasks().exists()
    # an explicitly requested channel without an address is skipped, not failed
    with django_capture_on_commit_callbacks(execute=True):
        assert notify(user, "welcome", channels=["email", "sms"]) == []


@pytest.mark.django_db
def test_message_to_an_address_without_an_account(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        created = notify(None, "generic", {"body": "您的证照已可领取。"}, channels=["sms", "site"], to="13700001111")
    assert [(n.channel, n.to_address, n.body) for n in created] == [("sms", "13700001111", "【一网通办】您的证照已可领取。")]


@pytest.mark.django_db
def test_unknown_template_is_refused(make_citizen):
    user = make_citizen()
    with pytest.raises(ValidationFailed) as exc:
        notify(user, "no_such_template")
    assert exc.value.code == "unknown_template"
    assert exc.value.status == 422
    assert not Notification.objects.exists()


@pytest.mark.django_db
def test_a_missing_channel_template_stores_nothing(make_citizen, django_capture_on_commit_callbacks):
    """The site template exists, the SMS one does not: the caller gets the error and the person
    gets no half of the message (a retry by the caller would otherwise duplicate it)."""
    Template.objects.create(code="licence_ready", channel="site", subject="证照已制证", body="{{ name }}，证照已可领取。")
    user = make_citizen(phone="13912345678")
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationFailed) as exc:
        notify(user, "licence_ready")
    assert exc.value.code == "unknown_template"
    assert not Notification.objects.exists()
    assert not pending_tasks().exists()


@pytest.mark.django_db
def test_template_row_overrides_the_default(make_citizen, django_capture_on_commit_callbacks):
    Template.objects.create(code="welcome", channel="sms", body="【云溪区政务】{{ name }}，欢迎！编号{{ no }}")
    Template.objects.create(code="welcome", channel="site", subject="{{ name }}的账号已开通", body="欢迎 {{ name }}")
    user = make_citizen(name="赵敏", phone="13912345678", preferred_language="en")  # falls back to zh-hans rows
    with django_capture_on_commit_callbacks(execute=True):
        created = notify(user, "welcome", {"no": "A-7"})
    by_channel = {n.channel: n for n in created}
    assert by_channel["sms"].body == "【云溪区政务】赵敏，欢迎！编号A-7"
    assert (by_channel["site"].subject, by_channel["site"].body) == ("赵敏的账号已开通", "欢迎 赵敏")


@pytest.mark.django_db
def test_language_specific_template(make_citizen, django_capture_on_commit_callbacks):
    Template.objects.create(code="welcome", channel="site", language="en", subject="Welcome", body="Hello {{ name }}")
    en = make_citizen(name="Li Lei", phone="", preferred_language="en")
    zh = make_citizen(name="韩梅梅", phone="")
    with django_capture_on_commit_callbacks(execute=True):
        assert notify(en, "welcome")[0].body == "Hello Li Lei"
        assert notify(zh, "welcome")[0].subject == "欢迎使用一网通办"


@pytest.mark.django_db
def test_template_text_is_not_html_escaped(make_citizen, django_capture_on_commit_callbacks):
    user = make_citizen(name="O'Neil & 李", phone="13912345678")
    with django_capture_on_commit_callbacks(execute=True):
        sms = sms_of(notify(user, "welcome"))
    assert "O'Neil & 李" in sms.body


@pytest.mark.django_db
def test_site_messages_in_the_api(api, make_citizen, django_capture_on_commit_callbacks):
    user = make_citizen(phone="")
    with django_capture_on_commit_callbacks(execute=True):
        site = notify(user, "generic", {"subject": "材料补正", "body": "请补交营业执照副本。"})[0]
    token = api.token(user.id_number)
    listed = api.get("/api/v1/notifications", token=token).json()
    assert [(m["id"], m["subject"], m["body"], m["read_at"]) for m in listed] == [
        (site.pk, "材料补正", "请补交营业执照副本。", None)]
    assert api.post(f"/api/v1/notifications/{site.pk}/read", token=token).status_code == 204
    assert api.get("/api/v1/notifications", token=token, unread="true").json() == []
    other = make_citizen(phone="")
    assert api.get("/api/v1/notifications", token=api.token(other.id_number)).json() == []


# --- delivery by the real worker ----------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_delivery_after_commit_by_the_worker(make_citizen):
    user = make_citizen(phone="13912345678")
    with pytest.raises(RuntimeError), transaction.atomic():
        notify(user, "welcome")
        raise RuntimeError("the surrounding operation failed")
    assert not Notification.objects.exists() and not pending_tasks().exists()  # rolled back: nothing queued

    with transaction.atomic():
        sms = sms_of(notify(user, "welcome"))
        assert not pending_tasks().exists()
    assert pending_tasks().count() == 1

    run_pending_tasks()
    sms.refresh_from_db()
    assert sms.status == "sent" and sms.provider_ref == f"console-{sms.pk}"
    assert sms.attempts == 1 and sms.sent_at is not None and sms.next_attempt_at is None
    task = DBTaskResult.objects.get(task_path=DELIVER)
    assert task.status == "SUCCESSFUL" and task.return_value == "sent"
    assert not pending_tasks().exists()
    run_pending_tasks()  # nothing left: a second run sends nothing again
    sms.refresh_from_db()
    assert sms.attempts == 1


@pytest.mark.django_db(transaction=True)
def test_email_is_sent_through_the_mail_backend(make_citizen, mailoutbox):
    user = make_citizen(name="孙丽", email="sunli@example.cn", phone="")
    email = notify(user, "welcome", channels=["email"])[0]
    assert email.to_address == "sunli@example.cn" and email.status == "queued"
    assert mail.outbox == []
    run_pending_tasks()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["sunli@example.cn"]
    assert message.subject == "欢迎使用一网通办"
    assert message.body.startswith("孙丽，您好！") and "在线办理政务服务事项" in message.body
    assert message.from_email == settings.DEFAULT_FROM_EMAIL
    email.refresh_from_db()
    assert email.status == "sent" and email.provider_ref == f"email-{email.pk}"


@pytest.mark.django_db(transaction=True)
def test_sms_gateway_retries_with_backoff_until_delivered(make_citizen, gateway):
    gateway.script = [500, 500]
    user = make_citizen(phone="13912345678")
    sms = sms_of(notify(user, "welcome"))

    run_pending_tasks()  # attempt 1: 500
    sms.refresh_from_db()
    assert (sms.status, sms.attempts) == ("retrying", 1)
    assert "HTTP 500" in sms.last_error
    wait = sms.next_attempt_at - timezone.now()
    assert timedelta(seconds=20) < wait <= timedelta(seconds=30)
    retry_task = pending_tasks().get()
    assert retry_task.run_after > timezone.now()
    assert abs(retry_task.run_after - sms.next_attempt_at) < timedelta(seconds=1)

    run_pending_tasks()  # not due yet: nothing happens
    assert len(gateway.requests) == 1

    assert make_due_now() == 1
    run_pending_tasks()  # attempt 2: 500, backoff doubles
    sms.refresh_from_db()
    assert (sms.status, sms.attempts) == ("retrying", 2)
    assert timedelta(seconds=50) < sms.next_attempt_at - timezone.now() <= timedelta(seconds=60)

    assert make_due_now() == 1
    run_pending_tasks()  # attempt 3: accepted
    sms.refresh_from_db()
    assert (sms.status, sms.attempts, sms.provider_ref) == ("sent", 3, "gw-1")
    assert sms.next_attempt_at is None and sms.sent_at is not None
    assert not pending_tasks().exists()

    assert len(gateway.requests) == 3
    for req in gateway.requests:
        assert req["signed"]
        assert req["content_type"].startswith("application/json")
        body = req["json"]
        assert body["phone"] == "13912345678"
        assert body["content"] == "【一网通办】张伟，您好！您的账号已开通。"
        assert body["sign"] == "云溪区政务"
        assert body["ref"] == f"yw-{sms.pk}"  # the same reference on every retry, so the gateway can drop duplicates
        assert abs(body["timestamp"] - timezone.now().timestamp()) < 60
    assert "您好" in gateway.requests[0]["body"].decode("utf-8")  # UTF-8, not \\u escapes


@pytest.mark.django_db(transaction=True)
@override_settings(NOTIFY_MAX_ATTEMPTS=4)
def test_sms_fails_after_the_last_attempt_and_can_be_resent(make_citizen, gateway):
    gateway.always = 500
    user = make_citizen(phone="13912345678")
    sms = sms_of(notify(user, "welcome"))
    run_pending_tasks()
    for _ in range(10):
        if not make_due_now():
            break
        run_pending_tasks()
    sms.refresh_from_db()
    assert sms.status == "failed" and sms.attempts == 4
    assert sms.last_error == "SendError: gateway answered HTTP 500"
    assert sms.next_attempt_at is None
    assert len(gateway.requests) == 4
    assert not pending_tasks().exists()  # no further task

    gateway.always = None
    resend(sms)
    sms.refresh_from_db()
    assert (sms.status, sms.attempts) == ("queued", 0)
    assert pending_tasks().count() == 1
    run_pending_tasks()
    sms.refresh_from_db()
    assert (sms.status, sms.attempts, sms.provider_ref) == ("sent", 1, "gw-1")
    assert len(gateway.requests) == 5


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("answer, error", [
    ((200, b"<html>maintenance</html>"), "no JSON"),
    ((200, {"ok": False, "error": "blacklisted"}), "refused: blacklisted"),
    ((403, {"ok": False}), "HTTP 403"),
])
def test_gateway_answers_that_are_not_success_are_retried(make_citizen, gateway, answer, error):
    status, body = answer
    gateway.ok_body = body
    if status != 200:
        gateway.always = status
    sms = sms_of(notify(make_citizen(phone="13912345678"), "welcome"))
    run_pending_tasks()
    sms.refresh_from_db()
    assert sms.status == "retrying" and error in sms.last_error
    assert pending_tasks().count() == 1


@pytest.mark.django_db(transaction=True)
def test_unreachable_gateway_is_retried(make_citizen, gateway):
    gateway.close()  # nothing listens on that port any more
    sms = sms_of(notify(make_citizen(phone="13912345678"), "welcome"))
    run_pending_tasks()
    sms.refresh_from_db()
    assert sms.status == "retrying" and "gateway unreachable" in sms.last_error


@pytest.mark.django_db(transaction=True)
def test_sweep_requeues_a_message_whose_task_was_lost(make_citizen):
    user = make_citizen(phone="13912345678")
    lost = sms_of(notify(user, "welcome"))
    DBTaskResult.objects.all().delete()  # the queue lost it (outage, restore from backup, …)
    Notification.objects.filter(pk=lost.pk).update(created_at=timezone.now() - timedelta(minutes=15))

    fresh = sms_of(notify(user, "welcome"))  # just queued: its task is simply not run yet
    DBTaskResult.objects.filter(args_kwargs__args=[fresh.pk]).delete()
    waiting = sms_of(notify(user, "welcome"))  # retrying, next attempt still ahead
    DBTaskResult.objects.filter(args_kwargs__args=[waiting.pk]).delete()
    Notification.objects.filter(pk=waiting.pk).update(
        status="retrying", attempts=1, created_at=timezone.now() - timedelta(minutes=30),
        next_attempt_at=timezone.now() + timedelta(minutes=5))

    assert sweep() == 1
    task = pending_tasks().get()
    assert task.args_kwargs["args"] == [lost.pk]
    run_pending_tasks()
    lost.refresh_from_db()
    assert lost.status == "sent"
    assert Notification.objects.get(pk=fresh.pk).status == "queued"
    assert sweep() == 0  # nothing stale left


@pytest.mark.django_db(transaction=True)
def test_sweep_command(make_citizen):
    from io import StringIO

    from django.core.management import call_command

    lost = sms_of(notify(make_citizen(phone="13912345678"), "welcome"))
    DBTaskResult.objects.all().delete()
    Notification.objects.filter(pk=lost.pk).update(created_at=timezone.now() - timedelta(hours=2))
    out = StringIO()
    call_command("notifications_sweep", stdout=out)
    assert "1" in out.getvalue()
    run_pending_tasks()
    assert Notification.objects.get(pk=lost.pk).status == "sent"


@pytest.mark.django_db(transaction=True)
def test_deleted_message_task_is_skipped(make_citizen):
    sms = sms_of(notify(make_citizen(phone="13912345678"), "welcome"))
    Notification.objects.filter(pk=sms.pk).delete()
    run_pending_tasks()
    assert DBTaskResult.objects.get(task_path=DELIVER).return_value == "skipped"


@pytest.mark.django_db(transaction=True)
def test_login_codes_are_not_written_to_the_log(make_citizen, caplog):
    user = make_citizen(phone="13912345678")
    caplog.set_level(logging.DEBUG)
    notify(user, "login_code", {"code": "428613", "minutes": 5}, channels=["sms"], sensitive=True)
    notify(user, "welcome", channels=["sms"])
    run_pending_tasks()
    assert Notification.objects.filter(status="sent").count() == 2
    text = caplog.text
    assert "428613" not in text
    assert "13912345678" not in text  # the log shows the last four digits only
    assert "验证码已隐去" in text
    assert "您的账号已开通" in text  # an ordinary message is logged in full


@pytest.mark.django_db(transaction=True)
def test_login_code_sms_through_the_gateway_reaches_the_phone(make_citizen, gateway, caplog):
    caplog.set_level(logging.DEBUG)
    user = make_citizen(phone="13912345678")
    notify(user, "login_code", {"code": "428613", "minutes": 5}, channels=["sms"], sensitive=True)
    run_pending_tasks()
    assert gateway.requests[0]["json"]["content"] == "【一网通办】您的登录验证码为 428613，5 分钟内有效。请勿告诉他人。"
    assert "428613" not in caplog.text
