"""Signing out on every channel: the browser session (web page or the API's session channel, both
CSRF-protected POSTs) and a bearer token (revoked on its own)."""

from __future__ import annotations

import json

from django.test import Client

from .conftest import PASSWORD

LOGOUT = "/api/v1/auth/logout"


def browser_session(user) -> Client:
    """A browser that signed in with the web form and enforces CSRF like a real one."""
    login = Client()
    r = login.post("/accounts/login/", {"id_number": user.id_number, "method": "password", "password": PASSWORD})
    assert r.status_code == 302
    browser = Client(enforce_csrf_checks=True)
    browser.cookies = login.cookies
    assert browser.get("/me/").status_code == 200  # also sets the csrftoken cookie
    return browser


def token(user) -> str:
    r = Client().post("/api/v1/auth/token", json.dumps({"login": user.id_number, "password": PASSWORD}),
                      content_type="application/json")
    assert r.status_code == 200
    return r.json()["token"]


def test_session_logout_through_the_api(make_citizen):
    from yiwang.core.models import AuditEvent

    user = make_citizen()
    browser = browser_session(user)
    r = browser.post(LOGOUT, headers={"X-CSRFToken": browser.cookies["csrftoken"].value})
    assert r.status_code == 204, r.content
    r = browser.get("/api/v1/me")
    assert r.status_code == 401 and r.json()["code"] == "not_authenticated"
    assert browser.get("/me/").status_code == 302
    event = AuditEvent.objects.get(action="auth.logout")
    assert event.actor_id == user.pk and event.data == {"channel": "api"}


def test_session_logout_through_the_api_needs_the_csrf_token(make_citizen):
    user = make_citizen()
    browser = browser_session(user)
    r = browser.post(LOGOUT)
    assert r.status_code == 403 and r.json()["code"] == "csrf_failed"
    assert browser.get("/api/v1/me").status_code == 200, "a cross-site POST must not sign anyone out"


def test_session_logout_keeps_the_persons_tokens(make_citizen):
    user = make_citizen()
    kiosk = token(user)
    browser = browser_session(user)
    assert browser.post(LOGOUT, headers={"X-CSRFToken": browser.cookies["csrftoken"].value}).status_code == 204
    assert Client().get("/api/v1/me", headers={"Authorization": f"Bearer {kiosk}"}).status_code == 200


def test_bearer_logout_revokes_only_that_token(make_citizen):
    from yiwang.accounts.models import ApiToken

    user = make_citizen()
    phone_app, kiosk = token(user), token(user)
    browser = browser_session(user)
    r = Client().post(LOGOUT, headers={"Authorization": f"Bearer {phone_app}"})
    assert r.status_code == 204
    r = Client().get("/api/v1/me", headers={"Authorization": f"Bearer {phone_app}"})
    assert r.status_code == 401 and r.json()["code"] == "token_revoked"
    assert Client().get("/api/v1/me", headers={"Authorization": f"Bearer {kiosk}"}).status_code == 200
    assert browser.get("/api/v1/me").status_code == 200, "the browser session is another credential"
    assert ApiToken.objects.filter(user=user, revoked_at__isnull=False).count() == 1


def test_logout_without_any_credential_is_401(db):
    r = Client().post(LOGOUT)
    assert r.status_code == 401 and r.json()["code"] == "not_authenticated"


def test_web_logout_needs_the_csrf_token(make_citizen):
    user = make_citizen()
    browser = browser_session(user)
    assert browser.post("/accounts/logout/").status_code == 403
    assert browser.get("/me/").status_code == 200
    r = browser.post("/accounts/logout/", {"csrfmiddlewaretoken": browser.cookies["csrftoken"].value})
    assert r.status_code == 302 and r["Location"] == "/"
    assert browser.get("/me/").status_code == 302
