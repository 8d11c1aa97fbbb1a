"""Citizen registration is not an oracle for who is registered, and anyone who may ask without
signing in (registration, SMS codes) is limited per client address and per phone.

The registration form answers the same way for a new and an already registered ID number; the
account exists only once the SMS code sent to the phone is confirmed."""

from __future__ import annotations

import json
import re
from datetime import date

import pytest
from django.test import Client

from .conftest import PASSWORD

REGISTER = "/accounts/register/"
CONFIRM = "/accounts/register/confirm/"
NEW_PASSWORD = "Qingshan#2026"


def new_number(seq: int) -> str:
    from yiwang.core.identity import make_resident_id

    return make_resident_id("330106", date(1992, 8, 8), seq)


def register(client, number, phone="13912345678", name="周杰", password=NEW_PASSWORD):
    return client.post(REGISTER, {"id_number": number, "name": name, "phone": phone, "password": password})


def sms_to(phone):
    from yiwang.notifications.models import Notification

    return [n for n in Notification.objects.filter(channel="sms").order_by("pk") if n.to_address == phone]


def code_in(message) -> str:
    match = re.search(r"\d{6}", message.body)
    assert match, message.body
    return match.group(0)


def page_without_token(response) -> str:
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())
    return re.sub(r'"X-CSRFToken": "[^"]+"', "", html)


def test_the_account_is_created_when_the_sms_code_is_confirmed(db):
    from yiwang.accounts.models import User
    from yiwang.core.models import AuditEvent

    number, browser = new_number(11), Client()
    r = register(browser, number, phone="139 1234 5678")
    assert r.status_code == 302 and r["Location"] == CONFIRM
    assert User.objects.count() == 0, "no account before the phone is confirmed"
    [sms] = sms_to("13912345678")
    assert sms.sensitive and sms.recipient is None and "注册" in sms.body
    page = browser.get(CONFIRM)
    assert page.status_code == 200 and "139****5678" in page.content.decode()
    assert "13912345678" not in page.content.decode() and number not in page.content.decode()

    code = code_in(sms)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    r = browser.post(CONFIRM, {"sms_code": wrong})
    assert r.status_code == 400 and "短信验证码错误。" in r.content.decode()
    assert User.objects.count() == 0
    r = browser.post(CONFIRM, {"sms_code": "12ab"})
    assert r.status_code == 400 and "短信验证码应为 6 位数字。" in r.content.decode()

    r = browser.post(CONFIRM, {"sms_code": code})
    assert r.status_code == 302 and r["Location"] == "/me/"
    assert "注册成功" in browser.get("/me/").content.decode()
    user = User.objects.get()
    assert (user.id_number, user.name, user.phone, user.kind) == (number, "周杰", "13912345678", "citizen")
    assert AuditEvent.objects.filter(action="account.registered", actor_id=user.pk).count() == 1
    # the password chosen in step one is the account's password
    r = Client().post("/api/v1/auth/token", {"login": number, "password": NEW_PASSWORD},
                      content_type="application/json")
    assert r.status_code == 200
    # the code is spent: the same page again starts over
    assert browser.get(CONFIRM)["Location"] == REGISTER
    assert Client().post(CONFIRM, {"sms_code": code})["Location"] == REGISTER


def test_a_registered_number_gets_the_same_answer_as_a_new_one(make_citizen):
    """Same status, same next page, same wording: the form tells nobody who is registered. Only
    whoever holds the phone learns it (by SMS), and the account holder is told of the attempt."""
    from yiwang.accounts.models import PendingRegistration, User
    from yiwang.notifications.models import Notification

    existing = make_citizen(name="张伟", phone="13700137000")
    before = User.objects.count()
    answers = []
    for number in (existing.id_number, new_number(13)):
        browser = Client()
        first = register(browser, number, phone="13612345678")
        page = browser.get(CONFIRM)
        wrong = browser.post(CONFIRM, {"sms_code": "000000"})
        answers.append((first.status_code, first["Location"], page.status_code, page_without_token(page),
                        wrong.status_code, page_without_token(wrong)))
    assert answers[0] == answers[1]
    assert User.objects.count() == before

    to_phone = sms_to("13612345678")
    assert len(to_phone) == 2
    existing_sms = to_phone[0]
    assert "已注册" in existing_sms.body and not re.search(r"\d{6}", existing_sms.body), "no code for it"
    notice = Notification.objects.get(recipient=existing, channel="site")
    assert "注册" in notice.subject
    # nothing can confirm the registration of a registered number, whatever code is tried
    pending = PendingRegistration.objects.get(already_registered=True)
    assert pending.code_hash == ""
    existing.refresh_from_db()
    assert existing.check_password(PASSWORD) and existing.phone == "13700137000" and existing.name == "张伟"


def test_five_wrong_codes_end_the_registration(db):
    from yiwang.accounts.models import User

    browser = Client()
    register(browser, new_number(15))
    code = code_in(sms_to("13912345678")[0])
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(5):
        assert browser.post(CONFIRM, {"sms_code": wrong}).status_code == 400
    r = browser.post(CONFIRM, {"sms_code": code})
    assert r.status_code == 400 and "验证码已失效，请重新填写注册信息。" in r.content.decode()
    assert 'href="/accounts/register/"' in r.content.decode()
    assert User.objects.count() == 0
    assert browser.get(CONFIRM)["Location"] == REGISTER


def test_an_expired_code_does_not_register(db):
    from datetime import timedelta

    from django.utils import timezone

    from yiwang.accounts.models import PendingRegistration, User

    browser = Client()
    register(browser, new_number(17))
    PendingRegistration.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    r = browser.post(CONFIRM, {"sms_code": code_in(sms_to("13912345678")[0])})
    assert r.status_code == 400 and "验证码已失效" in r.content.decode()
    assert User.objects.count() == 0


def test_the_confirm_page_without_a_registration_goes_back_to_the_form(db):
    r = Client().get(CONFIRM)
    assert r.status_code == 302 and r["Location"] == REGISTER


# ---------------------------------------------------------------------------------------------
# Limits per client address and per phone
# ---------------------------------------------------------------------------------------------
def test_registrations_are_limited_per_address(db, settings):
    from yiwang.accounts.models import PendingRegistration

    settings.REGISTER_RATE_PER_IP = "3/h"
    here = Client(REMOTE_ADDR="10.1.0.1")
    for i in range(3):
        assert register(here, new_number(21 + 2 * i), phone=f"1391234000{i}").status_code == 302
    r = register(here, new_number(41), phone="13912340009")
    assert r.status_code == 429 and "请求过于频繁，请稍后再试。" in r.content.decode()
    assert PendingRegistration.objects.count() == 3 and not sms_to("13912340009"), "nothing sent"
    assert register(Client(REMOTE_ADDR="10.1.0.2"), new_number(41), phone="13912340009").status_code == 302


def test_sms_codes_to_one_phone_are_limited_and_counted_together(make_citizen):
    """Registrations naming a phone answer 429 once its quota is used; a login code to that phone
    is then silently not sent (its answer must stay the one an unregistered number gets)."""
    citizen = make_citizen(phone="13812340000")
    for i in range(5):
        r = register(Client(REMOTE_ADDR=f"10.2.0.{i + 1}"), new_number(51 + 2 * i), phone="13812340000")
        assert r.status_code == 302, i
    r = register(Client(REMOTE_ADDR="10.2.1.1"), new_number(71), phone="138 1234 0000")
    assert r.status_code == 429
    assert "发往该手机号码的验证码过多，请 1 小时后再试。" in r.content.decode()
    assert len(sms_to("13812340000")) == 5
    assert register(Client(REMOTE_ADDR="10.2.1.1"), new_number(71), phone="13812340001").status_code == 302

    stranger = new_number(73)
    answers = []
    for number in (citizen.id_number, stranger):
        r = Client(REMOTE_ADDR="10.2.2.1").post("/api/v1/auth/sms-code", {"id_number": number},
                                                 content_type="application/json")
        answers.append((r.status_code, r.json()))
    assert answers[0] == answers[1] and answers[0][0] == 202
    assert len(sms_to("13812340000")) == 5, "the phone's quota is used up: no sixth SMS"


def test_sms_code_requests_are_limited_per_address_on_the_web(make_citizen):
    """The web form's "获取短信验证码" had no limit at all: 20 an hour per address now, the same
    answer for registered and unregistered numbers."""
    citizen = make_citizen()
    here = Client(REMOTE_ADDR="10.3.0.1")
    htmx = {"HX-Request": "true"}
    for i in range(20):
        r = here.post("/accounts/sms-code/", {"id_number": new_number(101 + 2 * i)}, headers=htmx)
        assert r.status_code == 200, (i, r.content)
    for number in (citizen.id_number, new_number(301)):
        r = here.post("/accounts/sms-code/", {"id_number": number}, headers=htmx)
        assert r.status_code == 429 and "请求过于频繁，请稍后再试。" in r.content.decode()
    assert not sms_to(citizen.phone)
    r = Client(REMOTE_ADDR="10.3.0.2").post("/accounts/sms-code/", {"id_number": citizen.id_number}, headers=htmx)
    assert r.status_code == 200 and len(sms_to(citizen.phone)) == 1


def test_sms_code_requests_are_limited_per_address_on_the_api(make_citizen, settings):
    settings.SMS_CODE_RATE_PER_IP = "3/h"
    citizen = make_citizen()
    here = Client(REMOTE_ADDR="10.4.0.1")

    def ask(client, number):
        return client.post("/api/v1/auth/sms-code", json.dumps({"id_number": number}), content_type="application/json")

    for i in range(3):
        assert ask(here, new_number(401 + 2 * i)).status_code == 202
    r = ask(here, citizen.id_number)
    assert r.status_code == 429
    body = r.json()
    assert body["code"] == "rate_limited" and body["message"] == "请求过于频繁，请稍后再试。" and body["fields"] == {}
    assert not sms_to(citizen.phone)
    assert ask(Client(REMOTE_ADDR="10.4.0.2"), citizen.id_number).status_code == 202


def test_invalid_input_is_not_counted(db, settings):
    settings.REGISTER_RATE_PER_IP = "1/h"
    here = Client(REMOTE_ADDR="10.5.0.1")
    for _ in range(3):
        assert register(here, "12345").status_code == 400
    assert register(here, new_number(501)).status_code == 302


@pytest.mark.parametrize("code", ["", "1234567", "abcdef"])
def test_confirm_with_a_malformed_code_is_a_precise_400(db, code):
    browser = Client()
    register(browser, new_number(601))
    r = browser.post(CONFIRM, {"sms_code": code})
    assert r.status_code == 400 and 'class="error-summary"' in r.content.decode()
