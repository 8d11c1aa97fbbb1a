"""Every kind of login on every channel, lock-out, tokens, sessions, CSRF, registration and the
security headers. Bad input always gets a precise 4xx, never a 500, and nothing half-written."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from .conftest import PASSWORD, latest_sms_code, totp_at

TOKEN = "/api/v1/auth/token"


def post_json(client, path, data, **headers):
    return client.post(path, json.dumps(data), content_type="application/json", headers=headers)


def token_for(client, **body):
    r = post_json(client, TOKEN, body)
    assert r.status_code == 200, r.content
    return r.json()


def me(client, token):
    return client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})


def assert_error(r, status, code):
    assert r.status_code == status, (r.status_code, r.content)
    body = r.json()
    assert set(body) == {"code", "message", "fields"} and body["message"], body
    assert body["code"] == code, body


# ---------------------------------------------------------------------------------------------
# Citizens: ID number + password
# ---------------------------------------------------------------------------------------------
def test_citizen_password_login_via_api(anon_client, make_citizen):
    user = make_citizen()
    body = token_for(anon_client, login=user.id_number, password=PASSWORD)
    assert body["role"] == "citizen" and body["name"] == user.name and body["enterprise"] is None
    r = me(anon_client, body["token"])
    assert r.status_code == 200 and r.json()["username"] == user.username


def test_citizen_login_accepts_a_lower_case_check_character(anon_client, make_citizen):
    from datetime import date

    from yiwang.core.identity import make_resident_id

    number = next(n for n in (make_resident_id("320102", date(1990, 1, 1), s) for s in range(1, 999))
                  if n.endswith("X"))
    make_citizen(id_number=number)
    token_for(anon_client, login=number.lower(), password=PASSWORD)


@pytest.mark.parametrize("login,password,code", [
    ("right-id", "wrong password!", "invalid_credentials"),
    ("right-id", None, "credentials_missing"),
    ("110101199003071234", PASSWORD, "invalid_credentials"),  # a bad check digit: nobody
    ("not a number", PASSWORD, "invalid_credentials"),
])
def test_citizen_api_login_refusals(anon_client, make_citizen, login, password, code):
    user = make_citizen()
    body = {"login": user.id_number if login == "right-id" else login}
    if password:
        body["password"] = password
    assert_error(post_json(anon_client, TOKEN, body), 401, code)


@pytest.mark.parametrize("body", [
    {},
    {"password": PASSWORD},
    {"login": ["list"], "password": PASSWORD},
    {"login": "x" * 100_000, "password": PASSWORD},
])
def test_malformed_token_requests_are_4xx(anon_client, db, body):
    r = post_json(anon_client, TOKEN, body)
    assert 400 <= r.status_code < 500, r.status_code
    assert set(r.json()) == {"code", "message", "fields"}


def test_token_request_that_is_not_json_is_4xx(anon_client, db):
    r = anon_client.post(TOKEN, "{not json", content_type="application/json")
    assert 400 <= r.status_code < 500
    r = anon_client.post(TOKEN, {"login": "a", "password": "b"})  # a form post, not JSON
    assert 400 <= r.status_code < 500


def test_citizen_password_login_via_web_form(anon_client, make_citizen):
    user = make_citizen()
    r = anon_client.post("/accounts/login/", {"id_number": user.id_number, "method": "password",
                                              "password": PASSWORD, "next": "/me/"})
    assert r.status_code == 302 and r["Location"] == "/me/"
    page = anon_client.get("/me/")
    assert page.status_code == 200
    assert user.masked_id_number in page.content.decode() and user.id_number not in page.content.decode()


def test_citizen_web_login_refusals_are_precise(anon_client, make_citizen):
    user = make_citizen()
    r = anon_client.post("/accounts/login/", {"id_number": "110101199003071234", "method": "password",
                                              "password": PASSWORD})
    assert r.status_code == 400 and "校验位" in r.content.decode()
    r = anon_client.post("/accounts/login/", {"id_number": user.id_number, "method": "password",
                                              "password": "wrong password"})
    assert r.status_code == 400 and "错误" in r.content.decode()
    r = anon_client.post("/accounts/login/", {"id_number": user.id_number, "method": "password"})
    assert r.status_code == 400
    assert anon_client.get("/me/").status_code == 302


def test_open_redirect_after_login_is_refused(anon_client, make_citizen):
    user = make_citizen()
    r = anon_client.post("/accounts/login/", {"id_number": user.id_number, "method": "password",
                                              "password": PASSWORD, "next": "https://evil.example.com/"})
    assert r.status_code == 302 and r["Location"] == "/me/"


# ---------------------------------------------------------------------------------------------
# Citizens: one-time SMS code
# ---------------------------------------------------------------------------------------------
def request_code(client, user):
    r = post_json(client, "/api/v1/auth/sms-code", {"id_number": user.id_number})
    assert r.status_code == 202, r.content
    return latest_sms_code(user)


def test_sms_code_login_is_single_use(anon_client, make_citizen):
    from yiwang.accounts.models import SmsLoginCode
    from yiwang.notifications.models import Notification

    user = make_citizen()
    code = request_code(anon_client, user)
    sms = Notification.objects.filter(recipient=user, channel="sms").get()
    assert sms.sensitive and sms.to_address == user.phone
    assert not SmsLoginCode.objects.filter(code_hash=code).exists(), "only the code's hash is kept"
    body = token_for(anon_client, login=user.id_number, sms_code=code)
    assert body["role"] == "citizen"
    assert_error(post_json(anon_client, TOKEN, {"login": user.id_number, "sms_code": code}), 401,
                 "invalid_credentials")


def test_sms_code_login_via_web_form(anon_client, make_citizen):
    user = make_citizen()
    r = anon_client.post("/accounts/sms-code/", {"id_number": user.id_number}, headers={"HX-Request": "true"})
    assert r.status_code == 200
    code = latest_sms_code(user)
    r = anon_client.post("/accounts/login/", {"id_number": user.id_number, "method": "sms", "sms_code": code})
    assert r.status_code == 302
    assert anon_client.get("/me/").status_code == 200
    second = Client().post("/accounts/login/", {"id_number": user.id_number, "method": "sms", "sms_code": code})
    assert second.status_code == 400, "a used code is refused"


def test_five_wrong_sms_codes_exhaust_the_code(make_citizen):
    """Even from five different addresses (so the per-address lock-out never trips), the sixth
    try with the right code fails: the code itself is spent."""
    from yiwang.accounts.models import SmsLoginCode

    user = make_citizen()
    code = request_code(Client(), user)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for i in range(5):
        r = post_json(Client(REMOTE_ADDR=f"10.0.0.{i + 1}"), TOKEN, {"login": user.id_number, "sms_code": wrong})
        assert_error(r, 401, "invalid_credentials")
    assert SmsLoginCode.objects.get(user=user).attempts == 5
    r = post_json(Client(REMOTE_ADDR="10.0.1.1"), TOKEN, {"login": user.id_number, "sms_code": code})
    assert_error(r, 401, "invalid_credentials")


def test_expired_sms_code_is_refused(anon_client, make_citizen):
    from yiwang.accounts.models import SmsLoginCode

    user = make_citizen()
    code = request_code(anon_client, user)
    SmsLoginCode.objects.filter(user=user).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert_error(post_json(anon_client, TOKEN, {"login": user.id_number, "sms_code": code}), 401,
                 "invalid_credentials")


def test_a_new_sms_code_replaces_the_old_one(anon_client, make_citizen):
    from yiwang.accounts.models import SmsLoginCode

    user = make_citizen()
    first = request_code(anon_client, user)
    r = post_json(anon_client, "/api/v1/auth/sms-code", {"id_number": user.id_number})
    assert_error(r, 429, "sms_code_too_frequent")
    SmsLoginCode.objects.filter(user=user).update(created_at=timezone.now() - timedelta(minutes=2))
    from django.core.cache import cache

    cache.clear()  # the minute has passed
    second = request_code(anon_client, user)
    if second != first:
        assert_error(post_json(anon_client, TOKEN, {"login": user.id_number, "sms_code": first}), 401,
                     "invalid_credentials")
    token_for(anon_client, login=user.id_number, sms_code=second)


def test_sms_code_request_does_not_tell_who_is_registered(anon_client, make_citizen):
    """The answers for a registered and an unregistered number are the same, also when repeated."""
    from datetime import date

    from yiwang.core.identity import make_resident_id
    from yiwang.notifications.models import Notification

    user = make_citizen()
    stranger = make_resident_id("320102", date(1985, 3, 14), 1)
    answers = {}
    for label, number in (("registered", user.id_number), ("unregistered", stranger)):
        first = post_json(anon_client, "/api/v1/auth/sms-code", {"id_number": number})
        again = post_json(anon_client, "/api/v1/auth/sms-code", {"id_number": number})
        answers[label] = (first.status_code, first.json(), again.status_code, again.json()["code"])
    assert answers["registered"] == answers["unregistered"], answers
    assert Notification.objects.filter(channel="sms").count() == 1


@pytest.mark.parametrize("number,error", [("12345", "invalid_id_number"), ("110101199003071234", "invalid_id_number")])
def test_sms_code_for_an_invalid_number_is_422(anon_client, db, number, error):
    r = post_json(anon_client, "/api/v1/auth/sms-code", {"id_number": number})
    assert_error(r, 422, error)
    assert r.json()["fields"]["id_number"]


def test_sms_codes_need_a_phone(anon_client, make_citizen):
    from yiwang.accounts.models import SmsLoginCode

    user = make_citizen(phone="")
    assert post_json(anon_client, "/api/v1/auth/sms-code", {"id_number": user.id_number}).status_code == 202
    assert not SmsLoginCode.objects.exists()


# ---------------------------------------------------------------------------------------------
# Enterprises: USCC + the legal representative's or an authorised agent's identity
# ---------------------------------------------------------------------------------------------
def test_enterprise_login_as_the_only_legal_rep(anon_client, make_enterprise):
    enterprise = make_enterprise()
    body = token_for(anon_client, login=enterprise.uscc, password=PASSWORD)
    assert body["role"] == "enterprise_agent" and body["enterprise"] == enterprise.name
    data = me(anon_client, body["token"]).json()
    assert data["role"] == "enterprise_agent" and data["enterprise"]["uscc"] == enterprise.uscc


def test_enterprise_login_with_two_legal_reps_needs_the_agent(anon_client, make_enterprise, make_citizen):
    from yiwang.accounts.models import EnterpriseMember

    a, b = make_citizen(name="甲"), make_citizen(name="乙")
    legal = EnterpriseMember.Kind.LEGAL_REP
    enterprise = make_enterprise(members=[(a, legal, None), (b, legal, None)])
    assert_error(post_json(anon_client, TOKEN, {"login": enterprise.uscc, "password": PASSWORD}), 401,
                 "invalid_credentials")
    body = token_for(anon_client, login=enterprise.uscc, password=PASSWORD, agent=b.id_number)
    assert me(anon_client, body["token"]).json()["username"] == b.username


def test_enterprise_login_as_an_authorised_agent(anon_client, make_enterprise, make_citizen):
    from yiwang.accounts.models import EnterpriseMember

    rep, agent = make_citizen(name="陈刚"), make_citizen(name="林经办", password="Agent#Pass2026")
    enterprise = make_enterprise(members=[(rep, EnterpriseMember.Kind.LEGAL_REP, None),
                                          (agent, EnterpriseMember.Kind.AGENT,
                                           timezone.localdate() + timedelta(days=30))])
    body = token_for(anon_client, login=enterprise.uscc, password="Agent#Pass2026", agent=agent.id_number)
    data = me(anon_client, body["token"]).json()
    assert data["username"] == agent.username and data["enterprise"]["uscc"] == enterprise.uscc
    # the agent's password is the agent's own, not the legal rep's
    assert_error(post_json(anon_client, TOKEN, {"login": enterprise.uscc, "password": PASSWORD,
                                                "agent": agent.id_number}), 401, "invalid_credentials")


def test_enterprise_agent_whose_authorisation_ended_is_refused(anon_client, make_enterprise, make_citizen):
    from yiwang.accounts.models import EnterpriseMember

    agent = make_citizen(name="林经办")
    enterprise = make_enterprise(members=[(make_citizen(), EnterpriseMember.Kind.LEGAL_REP, None),
                                          (agent, EnterpriseMember.Kind.AGENT,
                                           timezone.localdate() - timedelta(days=1))])
    assert_error(post_json(anon_client, TOKEN, {"login": enterprise.uscc, "password": PASSWORD,
                                                "agent": agent.id_number}), 401, "invalid_credentials")
    r = anon_client.post("/accounts/login/enterprise/", {"uscc": enterprise.uscc, "agent": agent.id_number,
                                                         "password": PASSWORD})
    assert r.status_code == 400 and "授权" in r.content.decode()


def test_enterprise_login_by_a_non_member_is_refused(anon_client, make_enterprise, make_citizen):
    enterprise = make_enterprise()
    outsider = make_citizen(name="外人")
    assert_error(post_json(anon_client, TOKEN, {"login": enterprise.uscc, "password": PASSWORD,
                                                "agent": outsider.id_number}), 401, "invalid_credentials")
    r = anon_client.post("/accounts/login/enterprise/", {"uscc": enterprise.uscc, "agent": outsider.id_number,
                                                         "password": PASSWORD})
    assert r.status_code == 400


def test_enterprise_login_for_an_inactive_enterprise_is_refused(anon_client, make_enterprise):
    enterprise = make_enterprise()
    enterprise.is_active = False
    enterprise.save()
    assert_error(post_json(anon_client, TOKEN, {"login": enterprise.uscc, "password": PASSWORD}), 401,
                 "invalid_credentials")


def test_staff_account_cannot_skip_totp_through_an_enterprise_login(anon_client, org, make_staff,
                                                                      make_enterprise):
    """A staff account that is (wrongly) a member of an enterprise must not get a token or a
    session from the USCC login, which has no second factor: the token would carry the staff role."""
    from yiwang.accounts.models import EnterpriseMember

    staff = make_staff("platform_admin", org["dept"])
    enterprise = make_enterprise(members=[(staff, EnterpriseMember.Kind.LEGAL_REP, None)])
    assert_error(post_json(anon_client, TOKEN, {"login": enterprise.uscc, "password": PASSWORD}), 401,
                 "invalid_credentials")


def test_enterprise_web_login(anon_client, make_enterprise):
    enterprise = make_enterprise()
    rep = enterprise.members.get().user
    r = anon_client.post("/accounts/login/enterprise/", {"uscc": enterprise.uscc.lower(), "agent": rep.id_number,
                                                         "password": PASSWORD})
    assert r.status_code == 302
    data = anon_client.get("/api/v1/me").json()
    assert data["role"] == "enterprise_agent" and data["enterprise"]["uscc"] == enterprise.uscc
    r = Client().post("/accounts/login/enterprise/", {"uscc": "91329002MA1XY0010", "agent": rep.id_number,
                                                      "password": PASSWORD})
    assert r.status_code == 400


def test_enterprise_session_ends_when_the_authorisation_is_withdrawn(anon_client, make_enterprise, make_citizen):
    """An agent whose authorisation is withdrawn (or ends) no longer acts for the enterprise, on
    any channel, even with a session or token obtained before."""
    from yiwang.accounts.models import EnterpriseMember

    agent = make_citizen(name="林经办")
    enterprise = make_enterprise(members=[(make_citizen(), EnterpriseMember.Kind.LEGAL_REP, None),
                                          (agent, EnterpriseMember.Kind.AGENT, None)])
    token = token_for(anon_client, login=enterprise.uscc, password=PASSWORD, agent=agent.id_number)["token"]
    web = Client()
    assert web.post("/accounts/login/enterprise/", {"uscc": enterprise.uscc, "agent": agent.id_number,
                                                    "password": PASSWORD}).status_code == 302
    EnterpriseMember.objects.filter(user=agent).update(valid_until=timezone.localdate() - timedelta(days=1))
    for response in (me(Client(), token), web.get("/api/v1/me")):
        assert response.status_code == 401 or response.json()["enterprise"] is None, response.content


# ---------------------------------------------------------------------------------------------
# Staff: username + password + TOTP
# ---------------------------------------------------------------------------------------------
def test_staff_login_with_totp_via_api_and_web(anon_client, org, make_staff):
    staff = make_staff("reviewer", org["dept"])
    body = token_for(anon_client, login=staff.username, password=PASSWORD, otp=totp_at(staff.device))
    assert body["role"] == "reviewer"
    web = Client()
    r = web.post("/accounts/login/staff/", {"username": staff.username, "password": PASSWORD,
                                            "otp": totp_at(staff.device, 1)})
    assert r.status_code == 302 and r["Location"] == "/staff/"
    assert web.get("/staff/").status_code == 200
    assert web.get("/api/v1/me").json()["role"] == "reviewer"


def test_staff_login_without_otp_is_refused(anon_client, org, make_staff):
    staff = make_staff("reviewer", org["dept"])
    assert_error(post_json(anon_client, TOKEN, {"login": staff.username, "password": PASSWORD}), 401,
                 "invalid_credentials")
    r = anon_client.post("/accounts/login/staff/", {"username": staff.username, "password": PASSWORD})
    assert r.status_code == 400
    assert anon_client.get("/staff/").status_code == 302


def test_staff_login_with_a_wrong_otp_is_refused(anon_client, org, make_staff):
    staff = make_staff("reviewer", org["dept"])
    right = totp_at(staff.device)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    assert_error(post_json(anon_client, TOKEN, {"login": staff.username, "password": PASSWORD, "otp": wrong}),
                 401, "invalid_credentials")
    r = anon_client.post("/accounts/login/staff/", {"username": staff.username, "password": PASSWORD,
                                                    "otp": "12ab56"})
    assert r.status_code == 400


def test_staff_login_with_a_wrong_password_and_right_otp_is_refused(anon_client, org, make_staff):
    staff = make_staff("reviewer", org["dept"])
    assert_error(post_json(anon_client, TOKEN, {"login": staff.username, "password": "nope-nope",
                                                "otp": totp_at(staff.device)}), 401, "invalid_credentials")


def test_replayed_otp_is_refused(anon_client, org, make_staff):
    """django-otp's TOTPDevice remembers the last accepted time step (last_t) and only accepts
    later ones, so a code seen once (shoulder-surfed, phished) cannot be used again."""
    staff = make_staff("reviewer", org["dept"])
    code = totp_at(staff.device)
    token_for(anon_client, login=staff.username, password=PASSWORD, otp=code)
    assert_error(post_json(anon_client, TOKEN, {"login": staff.username, "password": PASSWORD, "otp": code}),
                 401, "invalid_credentials")
    r = Client().post("/accounts/login/staff/", {"username": staff.username, "password": PASSWORD, "otp": code})
    assert r.status_code == 400


def test_staff_without_a_confirmed_device_cannot_log_in(anon_client, org, make_staff):
    staff = make_staff("reviewer", org["dept"])
    staff.device.confirmed = False
    staff.device.save()
    assert_error(post_json(anon_client, TOKEN, {"login": staff.username, "password": PASSWORD,
                                                "otp": totp_at(staff.device)}), 401, "invalid_credentials")
    r = anon_client.post("/accounts/login/staff/", {"username": staff.username, "password": PASSWORD,
                                                    "otp": totp_at(staff.device, 1)})
    assert r.status_code == 400


def test_staff_cannot_use_the_citizen_login(anon_client, org, make_staff):
    from yiwang.accounts.models import User

    staff = make_staff("reviewer", org["dept"])
    staff.id_number = _valid_id(7)
    staff.kind = User.Kind.STAFF
    staff.save()
    assert_error(post_json(anon_client, TOKEN, {"login": staff.id_number, "password": PASSWORD}), 401,
                 "invalid_credentials")


def test_staff_session_without_otp_is_not_a_session(org, make_staff):
    staff = make_staff("platform_admin", org["dept"])
    client = Client()
    client.force_login(staff)  # authenticated by password only: no verified device in the session
    assert_error(client.get("/api/v1/me"), 401, "not_authenticated")
    assert client.get("/staff/").status_code == 302
    r = client.get("/me/")
    assert r.status_code == 302 and r["Location"].startswith("/accounts/login/")


def test_inactive_accounts_cannot_log_in(anon_client, org, make_citizen, make_staff):
    user = make_citizen()
    token = token_for(anon_client, login=user.id_number, password=PASSWORD)["token"]
    user.is_active = False
    user.save()
    assert_error(post_json(anon_client, TOKEN, {"login": user.id_number, "password": PASSWORD}), 401,
                 "invalid_credentials")
    assert_error(me(anon_client, token), 401, "account_disabled")


# ---------------------------------------------------------------------------------------------
# Lock-out
# ---------------------------------------------------------------------------------------------
def _assert_no_clear_identity(*secrets):
    """Nothing axes keeps (attempts, access log, failure log) holds an ID number or USCC in clear."""
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    for model in (AccessAttempt, AccessFailureLog, AccessLog):
        for row in model.objects.all():
            text = " ".join(str(getattr(row, f.attname)) for f in model._meta.concrete_fields)
            for secret in secrets:
                assert secret.upper() not in text.upper(), f"{model.__name__} holds {secret} in clear: {text}"


def test_api_lockout_after_five_failures(anon_client, make_citizen):
    from axes.models import AccessAttempt

    user = make_citizen()
    statuses = [post_json(anon_client, TOKEN, {"login": user.id_number, "password": f"wrong-{i}"}).status_code
                for i in range(5)]
    assert statuses[:4] == [401] * 4 and statuses[4] in (401, 429), statuses
    r = post_json(anon_client, TOKEN, {"login": user.id_number, "password": PASSWORD})
    assert_error(r, 429, "locked_out")
    assert AccessAttempt.objects.count() >= 1
    _assert_no_clear_identity(user.id_number)


def test_web_lockout_after_five_failures(anon_client, make_citizen):
    from axes.models import AccessAttempt

    user = make_citizen()
    for i in range(5):
        r = anon_client.post("/accounts/login/", {"id_number": user.id_number, "method": "password",
                                                  "password": f"wrong-{i}"})
        assert r.status_code in (400, 429)
    r = anon_client.post("/accounts/login/", {"id_number": user.id_number, "method": "password",
                                              "password": PASSWORD})
    assert r.status_code == 429
    assert "锁定" in r.content.decode()
    assert anon_client.get("/me/").status_code == 302, "locked out: not logged in"
    assert AccessAttempt.objects.exists()
    _assert_no_clear_identity(user.id_number)


def test_enterprise_web_lockout_keeps_numbers_out_of_the_log(anon_client, make_enterprise):
    enterprise = make_enterprise()
    rep = enterprise.members.get().user
    for i in range(6):
        anon_client.post("/accounts/login/enterprise/", {"uscc": enterprise.uscc, "agent": rep.id_number,
                                                         "password": f"wrong-{i}"})
    r = anon_client.post("/accounts/login/enterprise/", {"uscc": enterprise.uscc, "agent": rep.id_number,
                                                         "password": PASSWORD})
    assert r.status_code == 429
    _assert_no_clear_identity(rep.id_number)


def test_staff_lockout_counts_wrong_otps(anon_client, org, make_staff):
    staff = make_staff("reviewer", org["dept"])
    for i in range(5):
        post_json(anon_client, TOKEN, {"login": staff.username, "password": PASSWORD, "otp": "000000"})
    assert_error(post_json(anon_client, TOKEN, {"login": staff.username, "password": PASSWORD,
                                                "otp": totp_at(staff.device)}), 429, "locked_out")
    r = anon_client.post("/accounts/login/staff/", {"username": staff.username, "password": PASSWORD,
                                                    "otp": totp_at(staff.device, 1)})
    assert r.status_code == 429


def test_lockout_is_per_login_and_the_case_of_x_does_not_matter(anon_client, make_citizen):
    from datetime import date

    from yiwang.core.identity import make_resident_id

    number = next(n for n in (make_resident_id("320102", date(1991, 2, 2), s) for s in range(1, 999))
                  if n.endswith("X"))
    user = make_citizen(id_number=number)
    other = make_citizen(name="李四")
    for i in range(5):
        login = number if i % 2 else number.lower()
        post_json(anon_client, TOKEN, {"login": login, "password": f"wrong-{i}"})
    assert_error(post_json(anon_client, TOKEN, {"login": number.lower(), "password": PASSWORD}), 429, "locked_out")
    token_for(anon_client, login=other.id_number, password=PASSWORD)  # someone else is not locked out
    assert user.pk


def test_a_successful_web_login_resets_the_failure_count(anon_client, make_citizen):
    user = make_citizen()
    form = {"id_number": user.id_number, "method": "password"}
    for _round in range(2):
        for i in range(4):
            assert anon_client.post("/accounts/login/", {**form, "password": f"wrong-{i}"}).status_code == 400
        r = anon_client.post("/accounts/login/", {**form, "password": PASSWORD})
        assert r.status_code == 302, f"round {_round}: 4 failures then a success must not lock out"
        anon_client.post("/accounts/logout/")


def test_a_successful_api_login_resets_the_failure_count(anon_client, make_citizen):
    user = make_citizen()
    for _round in range(2):
        for i in range(4):
            assert post_json(anon_client, TOKEN, {"login": user.id_number, "password": f"w{i}"}).status_code == 401
        r = post_json(anon_client, TOKEN, {"login": user.id_number, "password": PASSWORD})
        assert r.status_code == 200, f"round {_round}: 4 failures then a success must not lock out: {r.content}"


# ---------------------------------------------------------------------------------------------
# Tokens
# ---------------------------------------------------------------------------------------------
def test_expired_token(anon_client, make_citizen):
    from yiwang.accounts.models import ApiToken

    user = make_citizen()
    token = token_for(anon_client, login=user.id_number, password=PASSWORD)["token"]
    ApiToken.objects.filter(user=user).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert_error(me(anon_client, token), 401, "token_expired")


def test_revoked_token(anon_client, make_citizen):
    from yiwang.core.models import AuditEvent

    user = make_citizen()
    token = token_for(anon_client, login=user.id_number, password=PASSWORD)["token"]
    r = anon_client.post("/api/v1/auth/logout", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 204
    assert_error(me(anon_client, token), 401, "token_revoked")
    assert_error(anon_client.post("/api/v1/auth/logout", headers={"Authorization": f"Bearer {token}"}), 401,
                 "token_revoked")
    assert AuditEvent.objects.filter(action="auth.token_revoked", actor_id=user.pk).count() == 1


@pytest.mark.parametrize("header,code", [
    ("Bearer garbage", "token_invalid"),
    ("Bearer yw_" + "A" * 43, "token_invalid"),
    ("Bearer ", "token_invalid"),
    ("Basic eHl6Onh5eg==", "token_invalid"),
    ("Token abc", "token_invalid"),
    ("Bearer yw_\u4e2d\u6587", "token_invalid"),
])
def test_bad_authorization_headers(anon_client, db, header, code):
    r = anon_client.get("/api/v1/me", HTTP_AUTHORIZATION=header)
    assert_error(r, 401, code)


def test_tokens_are_stored_hashed(anon_client, make_citizen):
    from yiwang.accounts.models import ApiToken

    user = make_citizen()
    token = token_for(anon_client, login=user.id_number, password=PASSWORD)["token"]
    row = ApiToken.objects.get(user=user)
    assert row.key_hash != token and token not in row.key_hash and row.prefix == token[:8]


def test_forged_session_cookie_is_anonymous(db):
    client = Client()
    client.cookies["sessionid"] = "forged0000000000000000000000000000"
    assert_error(client.get("/api/v1/me"), 401, "not_authenticated")
    r = client.get("/me/")
    assert r.status_code == 302 and r["Location"].startswith("/accounts/login/")
    assert client.get("/").status_code == 200
    client.cookies["sessionid"] = "\x00';--<script>"
    assert client.get("/me/").status_code == 302


def test_session_of_a_deleted_user_is_anonymous(make_citizen):
    user = make_citizen()
    client = Client()
    client.force_login(user)
    user.delete()
    assert_error(client.get("/api/v1/me"), 401, "not_authenticated")


# ---------------------------------------------------------------------------------------------
# CSRF on the session channel
# ---------------------------------------------------------------------------------------------
def test_session_write_to_the_api_needs_the_csrf_token(make_citizen):
    from yiwang.notifications.services import notify

    user = make_citizen()
    note = notify(user, "generic", {"subject": "s", "body": "b"}, channels=["site"])[0]
    login = Client()
    assert login.post("/accounts/login/", {"id_number": user.id_number, "method": "password",
                                           "password": PASSWORD}).status_code == 302
    browser = Client(enforce_csrf_checks=True)
    browser.cookies = login.cookies
    assert browser.get("/me/").status_code == 200  # sets the csrftoken cookie
    r = browser.post(f"/api/v1/notifications/{note.pk}/read")
    assert_error(r, 403, "csrf_failed")
    note.refresh_from_db()
    assert note.read_at is None, "nothing written without the token"
    r = browser.post(f"/api/v1/notifications/{note.pk}/read", headers={"X-CSRFToken": browser.cookies["csrftoken"].value})
    assert r.status_code == 204
    # reads need no token; bearer calls need none either (no ambient credential)
    assert browser.get("/api/v1/me").status_code == 200


def test_web_form_without_csrf_token_is_refused(make_citizen):
    user = make_citizen()
    browser = Client(enforce_csrf_checks=True)
    r = browser.post("/accounts/login/", {"id_number": user.id_number, "method": "password", "password": PASSWORD})
    assert r.status_code == 403
    assert browser.get("/me/").status_code == 302


# ---------------------------------------------------------------------------------------------
# Registration
# ---------------------------------------------------------------------------------------------
def _valid_id(seq=1):
    from datetime import date

    from yiwang.core.identity import make_resident_id

    return make_resident_id("320102", date(1985, 3, 14), seq)


def _register(client, **overrides):
    data = {"id_number": _valid_id(), "name": "周杰", "phone": "13912345678", "password": "Str0ng#Pass"}
    data.update(overrides)
    return client.post("/accounts/register/", data)


@pytest.mark.parametrize("overrides,field_text", [
    ({"id_number": _valid_id()[:17] + ("0" if _valid_id()[17] != "0" else "1")}, "校验位"),
    ({"id_number": "12345"}, "18 位"),
    ({"password": "12345678"}, ""),
    ({"password": "short"}, ""),
    ({"phone": "12345"}, "手机"),
    ({"name": "周"}, "姓名"),
])
def test_registration_refusals_write_nothing(anon_client, db, overrides, field_text):
    from yiwang.accounts.models import User
    from yiwang.core.models import AuditEvent

    before = (User.objects.count(), AuditEvent.objects.count())
    r = _register(anon_client, **overrides)
    assert r.status_code == 400
    assert field_text in r.content.decode()
    assert (User.objects.count(), AuditEvent.objects.count()) == before
    assert anon_client.get("/me/").status_code == 302


def test_registration_and_duplicate(anon_client, db):
    """Registering needs the SMS code; a second registration of the same number gets the same
    answer as a new one, but creates no second account (tests/accounts/test_registration.py)."""
    from yiwang.accounts import services
    from yiwang.accounts.models import User
    from yiwang.core.errors import ValidationFailed

    r = _register(anon_client)
    assert r.status_code == 302 and r["Location"] == "/accounts/register/confirm/"
    code = latest_sms_to("13912345678")
    assert anon_client.post("/accounts/register/confirm/", {"sms_code": code}).status_code == 302
    assert anon_client.get("/me/").status_code == 200
    user = User.objects.get()
    assert user.id_number == _valid_id() and user.kind == "citizen"
    r = _register(Client(), password="Other#Pass99")
    assert r.status_code == 302 and r["Location"] == "/accounts/register/confirm/"
    assert "已注册" not in r.content.decode()
    pending = services.start_registration(id_number=_valid_id(), name="周杰", phone="13912345679",
                                          password="Str0ng#Pass")
    with pytest.raises(ValidationFailed) as exc:
        services.confirm_registration(pending.pk, latest_sms_to("13912345679") or "000000")
    assert exc.value.code == "invalid_sms_code"
    assert User.objects.count() == 1


def latest_sms_to(phone) -> str:
    """The 6-digit code in the newest SMS to ``phone``, or "" when it carries none."""
    from yiwang.notifications.models import Notification

    for message in Notification.objects.filter(channel="sms").order_by("-pk"):
        if message.to_address == phone:
            match = re.search(r"\d{6}", message.body)
            return match.group(0) if match else ""
    raise AssertionError(f"no SMS to {phone}")


# ---------------------------------------------------------------------------------------------
# Security headers and the request id
# ---------------------------------------------------------------------------------------------
def test_security_headers(anon_client, db):
    r = anon_client.get("/accounts/login/")
    csp = r["Content-Security-Policy"]
    directives = {d.split()[0]: d.split()[1:] for d in (p.strip() for p in csp.split(";")) if d}
    assert "'unsafe-inline'" not in directives.get("script-src", directives.get("default-src"))
    assert "'unsafe-eval'" not in directives.get("script-src", [])
    assert directives["frame-ancestors"] == ["'none'"]
    assert r["X-Frame-Options"] == "DENY"
    assert r["X-Content-Type-Options"] == "nosniff"
    assert r["Referrer-Policy"] == "same-origin"


def test_request_id_echoed_or_replaced(anon_client, db):
    r = anon_client.get("/", headers={"X-Request-ID": "kiosk-42.abcdef"})
    assert r["X-Request-ID"] == "kiosk-42.abcdef"
    for bad in ("bad id with spaces", "x" * 200, "<script>", "short"):
        r = anon_client.get("/", headers={"X-Request-ID": bad})
        assert re.fullmatch(r"[0-9a-f]{32}", r["X-Request-ID"]), r["X-Request-ID"]
    r = anon_client.get("/api/v1/me", headers={"X-Request-ID": "kiosk-42.abcdef"})
    assert r.status_code == 401 and r["X-Request-ID"] == "kiosk-42.abcdef"


def test_request_id_is_written_into_the_audit_trail(anon_client, make_citizen):
    from yiwang.core.models import AuditEvent

    user = make_citizen()
    post_json(anon_client, TOKEN, {"login": user.id_number, "password": PASSWORD}, **{"X-Request-ID": "kiosk-7777"})
    assert AuditEvent.objects.get(action="auth.token_issued").request_id == "kiosk-7777"


def test_a_later_citizen_login_does_not_keep_acting_for_the_enterprise(anon_client, make_enterprise):
    """The same person signs in for their company, then as themself: the session now acts for the
    person only (Django keeps a same-user session, so the enterprise choice must be reset)."""
    enterprise = make_enterprise()
    rep = enterprise.members.get().user
    assert anon_client.post("/accounts/login/enterprise/", {"uscc": enterprise.uscc, "agent": rep.id_number,
                                                            "password": PASSWORD}).status_code == 302
    assert anon_client.get("/api/v1/me").json()["role"] == "enterprise_agent"
    assert anon_client.post("/accounts/login/", {"id_number": rep.id_number, "method": "password",
                                                 "password": PASSWORD}).status_code == 302
    data = anon_client.get("/api/v1/me").json()
    assert data["role"] == "citizen" and data["enterprise"] is None


# ---------------------------------------------------------------------------------------------
# Bad input: a precise 4xx, never a 500 (PostgreSQL refuses NUL in text; SQLite does not, so
# these are checked on both)
# ---------------------------------------------------------------------------------------------
def test_nul_in_a_json_body_is_a_precise_422_naming_the_field(anon_client, make_citizen):
    from yiwang.accounts.models import User

    make_citizen()
    before = User.objects.count()
    r = anon_client.post(TOKEN, '{"login": "a\\u0000b", "password": "x"}', content_type="application/json")
    assert_error(r, 422, "invalid_characters")
    assert list(r.json()["fields"]) == ["login"]
    r = anon_client.post("/api/v1/identity/validate", '{"number": ["\\u0000"]}', content_type="application/json")
    assert_error(r, 422, "invalid_characters")
    assert list(r.json()["fields"]) == ["number.0"]
    assert User.objects.count() == before


def test_a_literal_backslash_u0000_is_not_a_nul(anon_client, db):
    r = anon_client.post("/api/v1/identity/validate", '{"number": "\\\\u0000"}', content_type="application/json")
    assert r.status_code == 200 and r.json()["valid"] is False


def test_nul_in_the_path_or_query_is_a_precise_400(anon_client, db):
    assert_error(anon_client.get("/api/v1/org/divisions", {"parent": "32\x0001"}), 400, "invalid_characters")
    assert_error(anon_client.post("/api/v1/people/a%00b/reveal", "{}", content_type="application/json"), 400,
                 "invalid_characters")
    r = anon_client.get("/accounts/login/", {"next": "/me/\x00"})
    assert r.status_code == 400 and r["Content-Security-Policy"], "the refusal keeps the security headers"


def test_nul_in_a_web_form_is_refused(anon_client, make_citizen):
    user = make_citizen()
    r = anon_client.post("/accounts/login/", f"id_number={user.id_number}&method=password&password=a%00b",
                         content_type="application/x-www-form-urlencoded")
    assert r.status_code == 400
    r = anon_client.post("/accounts/register/", {"id_number": user.id_number, "name": "周\x00杰",
                                                 "phone": "13912345678", "password": "Str0ng#Pass"})  # multipart
    assert r.status_code == 400


def test_a_bare_word_as_next_is_not_a_500(anon_client, db):
    r = anon_client.post("/settings/elderly/", {"next": "home"})
    assert r.status_code == 302 and r["Location"] == "/"
    r = anon_client.post("/settings/elderly/", {"next": "//evil.example.com/"})
    assert r.status_code == 302 and r["Location"] == "/"
    r = anon_client.post("/settings/elderly/", {"next": "/services/"})
    assert r.status_code == 302 and r["Location"] == "/services/"


def test_a_nul_session_cookie_is_no_session(make_citizen):
    user = make_citizen()
    client = Client()
    client.force_login(user)
    r = client.get("/api/v1/me", HTTP_COOKIE='sessionid="\\000aaaaaaaaaaaa"')
    assert_error(r, 401, "not_authenticated")
    r = client.get("/me/", HTTP_COOKIE='sessionid="\\000aaaaaaaaaaaa"')
    assert r.status_code == 302
