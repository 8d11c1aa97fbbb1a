"""The authorization matrix: every role against every endpoint that exists so far.

Each API operation (enumerated from the ninja API object and the OpenAPI schema) and each named
HTML page must have a row in the tables below; a new endpoint without one fails
``test_every_api_operation_is_in_the_matrix`` / ``test_every_page_is_in_the_matrix``. An endpoint
may have more than one row: an API key ``(method, path, "what differs")``, a page name
``"name#what-differs"`` (e.g. the same order page for an anonymous 举报).

Rows of person- and department-scoped apps (cases, the inbox, the hotline, grids, Open311) also
name the outsiders of ``conftest.OUTSIDERS``: another citizen and the same roles in another
department, who must not see or touch the objects of the row (404 where the object exists).

Every request is well formed (valid bodies and parameters), so a 422 never hides an authorization
answer. Where scoping is the point (staff lists, the audit trail, personal data) the content is
checked too, not just the status.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Callable

import pytest
from django.test import Client

from .conftest import AUTHENTICATED, OUTSIDERS, ROLES, STAFF_ROLES, World


def expect(default: int, **overrides: int) -> dict[str, int]:
    table = {role: default for role in ROLES}
    for role, status in overrides.items():
        assert role in table, role
        table[role] = status
    return table


def only(ok: int, roles: tuple[str, ...], *, others: int = 403, anonymous: int = 401) -> dict[str, int]:
    table = {role: (ok if role in roles else others) for role in ROLES}
    table["anonymous"] = anonymous
    return table


PUBLIC = expect(200)
AUTH_ONLY_200 = expect(200, anonymous=401)


# ---------------------------------------------------------------------------------------------
# The JSON API
# ---------------------------------------------------------------------------------------------
@dataclass
class ApiCase:
    expected: dict[str, int]
    #: (world, role) -> (path, query params or JSON body)
    request: Callable[[World, str], tuple[str, dict | None]]
    #: send the role's bearer token (False for the login endpoints, whose body is the credential)
    send_auth: bool = True
    #: (world, role, response) -> None, extra assertions on the content
    check: Callable | None = None
    #: runs before the request, e.g. to create rows the request refers to
    setup: Callable | None = None
    notes: str = ""
    #: (world, role) -> extra request headers (e.g. Idempotency-Key)
    headers: Callable | None = None
    #: send the data as multipart/form-data (file uploads) instead of JSON
    multipart: bool = False
    #: status -> the stable error code (or codes) every answer with that status must carry; without
    #: an entry a 403 must be ``forbidden`` or a specific ``*_forbidden``
    codes: dict[int, str | tuple[str, ...]] = field(default_factory=dict)


def _path(p: str, params: dict | None = None):
    return lambda w, r: (p, params)


# -- checks -----------------------------------------------------------------------------------
def _check_token(w: World, role: str, r):
    body = r.json()
    assert body["token"].startswith("yw_") and body["role"] == ("citizen" if role == "anonymous" else role)


def _check_me(w: World, role: str, r):
    body = r.json()
    assert body["role"] == role
    user = w.user(role)
    if user.id_number:
        assert user.id_number not in r.content.decode(), "the full ID number must never be in /me"
        assert body["masked_id_number"] == user.masked_id_number
    if role in STAFF_ROLES:
        assert [x["unit_code"] for x in body["roles"]] == [w.unit(role).code]


def _check_lookup(w: World, role: str, r):
    text = r.content.decode()
    assert w.subject.id_number not in text and w.subject.phone not in text, "lookup must return masked values only"
    body = r.json()
    assert body["username"] == w.subject.username
    assert body["masked_id_number"] == w.subject.masked_id_number


def _setup_reveal(w: World, role: str):
    w.subject  # noqa: B018 - create the subject before counting events


def _check_reveal(w: World, role: str, r):
    from yiwang.core.models import AuditEvent

    if role == "anonymous":
        assert not AuditEvent.objects.filter(action__startswith="pii.reveal").exists()
        return
    user = w.user(role)
    action = "pii.reveal" if r.status_code == 200 else "pii.reveal_denied"
    events = list(AuditEvent.objects.filter(action__startswith="pii.reveal", object_id=str(w.subject.pk)))
    assert [e.action for e in events] == [action], f"{role}: expected exactly one {action} event"
    event = events[0]
    assert event.actor_id == user.pk
    assert event.role == role
    expected_unit = w.unit(role).code if role in STAFF_ROLES else (w.enterprise.uscc if role == "enterprise_agent"
                                                                   else "")
    assert event.department == expected_unit
    assert event.object_type == "accounts.user"
    assert event.data["field"] == "id_number"
    if r.status_code == 200:
        assert r.json()["value"] == w.subject.id_number
    else:
        assert w.subject.id_number not in r.content.decode()
        assert r.json()["code"] == "reveal_forbidden"


def _setup_staff(w: World, role: str):
    w.others = [w._make_staff("reviewer", w.org["other_dept"], username="reviewer_other_dept", name="外部门"),
                w._make_staff("clerk", w.org["station"], username="clerk_station", name="社区窗口")]
    w.colleague = w._make_staff("handler", w.org["dept"], username="handler_same_dept", name="本部门同事")


def _check_staff(w: World, role: str, r):
    rows = r.json()
    usernames = {row["username"] for row in rows}
    units = {row["unit_code"] for row in rows}
    if role == "dept_head":
        assert units == {w.org["dept"].code}, f"a department head sees only their department, got {units}"
        assert w.colleague.username in usernames and w.user(role).username in usernames
        assert not usernames & {u.username for u in w.others}
    else:  # platform admin: every department and place
        assert {u.username for u in w.others} | {w.colleague.username} <= usernames
        assert {w.org["dept"].code, w.org["other_dept"].code, w.org["station"].code} <= units


def _setup_audit(w: World, role: str):
    from yiwang.core import audit

    audit.record("test.own_department", ("test", "1"), role="reviewer", department=w.org["dept"].code)
    audit.record("test.other_department", ("test", "2"), role="reviewer", department=w.org["other_dept"].code)
    audit.record("test.place", ("test", "3"), role="clerk", department=w.org["centre"].code)


def _check_audit(w: World, role: str, r):
    rows = r.json()
    actions = {row["action"] for row in rows}
    if role == "dept_head":
        assert {row["department"] for row in rows} == {w.org["dept"].code}
        assert "test.own_department" in actions
        assert not actions & {"test.other_department", "test.place"}
    else:
        assert {"test.own_department", "test.other_department", "test.place"} <= actions


def _check_calendar_set(w: World, role: str, r):
    from yiwang.core.models import AuditEvent, CalendarDay

    assert CalendarDay.objects.filter(date=date(2031, 10, 8), kind="holiday").exists()
    assert AuditEvent.objects.filter(action="calendar.day_set", role="platform_admin").exists()


def _check_calendar_not_written(w: World, role: str, r):
    from yiwang.core.models import CalendarDay

    if r.status_code != 201:
        assert not CalendarDay.objects.filter(date=date(2031, 10, 8)).exists(), "nothing half-written"


def _setup_calendar_delete(w: World, role: str):
    from yiwang.core.models import CalendarDay

    CalendarDay.objects.update_or_create(date=date(2031, 10, 9), defaults={"kind": "holiday", "name": "测试"})


def _check_calendar_delete(w: World, role: str, r):
    from yiwang.core.models import CalendarDay

    exists = CalendarDay.objects.filter(date=date(2031, 10, 9)).exists()
    assert exists == (r.status_code != 204)


def _setup_notification(w: World, role: str):
    from yiwang.notifications.services import notify

    user = w.user(role)
    w.notification = notify(user, "generic", {"subject": "测试", "body": "你好"}, channels=["site"])[0] if user else None


def _request_notification_read(w: World, role: str):
    pk = w.notification.pk if getattr(w, "notification", None) else 1
    return f"/api/v1/notifications/{pk}/read", None


def _check_notification_read(w: World, role: str, r):
    if w.notification is not None:
        w.notification.refresh_from_db()
        assert w.notification.read_at is not None


def _check_notifications(w: World, role: str, r):
    assert isinstance(r.json(), list)
    if getattr(w, "notification", None) is not None:
        assert [m["id"] for m in r.json()] == [w.notification.pk]


def _request_token(w: World, role: str):
    return "/api/v1/auth/token", (w.credentials("citizen") if role == "anonymous" else w.credentials(role))


def _check_logout(w: World, role: str, r):
    r2 = Client().get("/api/v1/me", headers=w.auth_headers(role))
    assert r2.status_code == 401 and r2.json()["code"] == "token_revoked"


API: dict[tuple[str, ...], ApiCase] = {
    ("POST", "/api/v1/auth/token"): ApiCase(PUBLIC, _request_token, send_auth=False, check=_check_token,
                                            notes="anonymous logs in as the citizen"),
    ("POST", "/api/v1/auth/sms-code"): ApiCase(
        expect(202), lambda w, r: ("/api/v1/auth/sms-code", {"id_number": w.subject.id_number}), send_auth=False),
    ("POST", "/api/v1/auth/logout"): ApiCase(expect(204, anonymous=401), _path("/api/v1/auth/logout"),
                                             check=lambda w, role, r: role == "anonymous" or _check_logout(w, role, r)),
    ("POST", "/api/v1/identity/validate"): ApiCase(
        PUBLIC, lambda w, r: ("/api/v1/identity/validate", {"number": w.org["dept"].uscc}),
        check=lambda w, role, r: r.json()["valid"] is True),
    ("GET", "/api/v1/me"): ApiCase(AUTH_ONLY_200, _path("/api/v1/me"),
                                   check=lambda w, role, r: role == "anonymous" or _check_me(w, role, r)),
    ("GET", "/api/v1/people/lookup"): ApiCase(
        only(200, ("clerk", "hotline_operator", "platform_admin")),
        lambda w, r: ("/api/v1/people/lookup", {"id_number": w.subject.id_number}),
        check=lambda w, role, r: r.status_code != 200 or _check_lookup(w, role, r)),
    ("POST", "/api/v1/people/{username}/reveal"): ApiCase(
        only(200, ("clerk", "hotline_operator")),
        lambda w, r: (f"/api/v1/people/{w.subject.username}/reveal", {"field": "id_number", "purpose": "核验"}),
        setup=_setup_reveal, check=_check_reveal,
        notes="the subject is another citizen; a citizen's own reveal is tested separately"),
    ("GET", "/api/v1/org/staff"): ApiCase(
        only(200, ("platform_admin", "dept_head")), _path("/api/v1/org/staff"), setup=_setup_staff,
        check=lambda w, role, r: r.status_code != 200 or _check_staff(w, role, r)),
    ("GET", "/api/v1/org/divisions"): ApiCase(PUBLIC, _path("/api/v1/org/divisions", {"parent": "329002"}),
                                              check=lambda w, role, r: len(r.json()) == 1),
    ("GET", "/api/v1/org/departments"): ApiCase(PUBLIC, _path("/api/v1/org/departments"),
                                                check=lambda w, role, r: len(r.json()) == 2),
    ("GET", "/api/v1/org/places"): ApiCase(PUBLIC, _path("/api/v1/org/places"),
                                           check=lambda w, role, r: len(r.json()) == 2),
    ("GET", "/api/v1/calendar/days"): ApiCase(PUBLIC, _path("/api/v1/calendar/days", {"year": 2026})),
    ("POST", "/api/v1/calendar/days"): ApiCase(
        only(201, ("platform_admin",)),
        _path("/api/v1/calendar/days", {"date": "2031-10-08", "kind": "holiday", "name": "国庆节", "source": "测试"}),
        check=lambda w, role, r: (_check_calendar_set if r.status_code == 201 else _check_calendar_not_written)(
            w, role, r)),
    ("DELETE", "/api/v1/calendar/days/{day}"): ApiCase(
        only(204, ("platform_admin",)), _path("/api/v1/calendar/days/2031-10-09"), setup=_setup_calendar_delete,
        check=_check_calendar_delete),
    ("GET", "/api/v1/calendar/deadline"): ApiCase(
        PUBLIC, _path("/api/v1/calendar/deadline", {"start": "2026-03-02T09:00:00+08:00", "days": 5})),
    ("GET", "/api/v1/audit/events"): ApiCase(
        only(200, ("platform_admin", "supervisor", "dept_head")), _path("/api/v1/audit/events", {"limit": 500}),
        setup=_setup_audit, check=lambda w, role, r: r.status_code != 200 or _check_audit(w, role, r)),
    ("GET", "/api/v1/audit/verify"): ApiCase(
        only(200, ("platform_admin", "supervisor")), _path("/api/v1/audit/verify"),
        check=lambda w, role, r: r.status_code != 200 or r.json()["intact"] is True),
    ("GET", "/api/v1/notifications"): ApiCase(AUTH_ONLY_200, _path("/api/v1/notifications"),
                                              setup=_setup_notification,
                                              check=lambda w, role, r: role == "anonymous"
                                              or _check_notifications(w, role, r)),
    ("POST", "/api/v1/notifications/{notification_id}/read"): ApiCase(
        expect(204, anonymous=401), _request_notification_read, setup=_setup_notification,
        check=lambda w, role, r: role == "anonymous" or _check_notification_read(w, role, r)),
}

#: Served by the API but not listed among its operations.
API_EXTRA: dict[tuple[str, str], ApiCase] = {
    ("GET", "/api/v1/openapi.json"): ApiCase(PUBLIC, _path("/api/v1/openapi.json")),
    ("GET", "/api/v1/docs"): ApiCase(PUBLIC, _path("/api/v1/docs")),
}

# -- rows written next to each app's own tests, plugged in here ---------------------------------
from cases.authz_rows import api_rows as _cases_api, page_rows as _cases_pages  # noqa: E402
from catalog.authz_rows import api_rows as _catalog_api, page_rows as _catalog_pages  # noqa: E402
from exchange.authz_rows import api_rows as _exchange_api, page_rows as _exchange_pages  # noqa: E402
from grid.authz_rows import api_rows as _grid_api, page_rows as _grid_pages  # noqa: E402
from hotline.authz_rows import api_rows as _hotline_api, page_rows as _hotline_pages  # noqa: E402
from licences.authz_rows import api_rows as _licences_api, page_rows as _licences_pages  # noqa: E402

for _rows in (_catalog_api, _exchange_api, _licences_api, _cases_api, _hotline_api, _grid_api):
    API.update(_rows(ApiCase, expect, only))

#: API prefixes whose rows must name the outsiders too (person- and department-scoped objects).
SCOPED_API = ("/api/v1/cases", "/api/v1/inbox", "/api/v1/hotline", "/api/v1/grid")

ALL_API = {**API, **API_EXTRA}


def _api_operations_from_routers() -> set[tuple[str, str]]:
    from yiwang.api import api

    ops = set()
    for prefix, router in api._routers:
        for path, view in router.path_operations.items():
            full = re.sub(r"/+", "/", "/api/v1/" + prefix + "/" + path).rstrip("/")
            for op in view.operations:
                for method in op.methods:
                    ops.add((method, full))
    return ops


def test_every_api_operation_is_in_the_matrix(client, db):
    """A new endpoint must be added to the matrix (with every role's expected answer)."""
    schema = client.get("/api/v1/openapi.json").json()
    from_schema = {
        (method.upper(), path)
        for path, item in schema["paths"].items()
        for method in item
        if method in ("get", "post", "put", "patch", "delete", "head", "options")
    }
    from_routers = _api_operations_from_routers()
    assert from_routers == from_schema, "an operation is missing from the OpenAPI schema (or vice versa)"
    covered = {key[:2] for key in API}
    missing = sorted(from_routers - covered)
    assert not missing, f"endpoints without a row in the authorization matrix: {missing}"
    stale = sorted(covered - from_routers)
    assert not stale, f"matrix rows for endpoints that no longer exist: {stale}"
    for key, case in ALL_API.items():
        _check_row_roles(key, case.expected, scoped=key[1].startswith(SCOPED_API))


def _check_row_roles(key, expected: dict, *, scoped: bool) -> None:
    named = set(expected)
    assert set(ROLES) <= named, f"{key} does not name every role: {sorted(set(ROLES) - named)}"
    assert named <= set(ROLES) | set(OUTSIDERS), f"{key} names unknown actors: {sorted(named - set(ROLES))}"
    if scoped:
        assert set(OUTSIDERS) <= named, f"{key} does not name the outsiders: {sorted(set(OUTSIDERS) - named)}"


def _key_id(key) -> str:
    return " ".join(key[:2]) + (f" ({key[2]})" if len(key) > 2 else "")


API_PARAMS = [pytest.param(key, role, id=f"{_key_id(key)} as {role}") for key in ALL_API
              for role in ALL_API[key].expected]


@pytest.mark.parametrize("key,role", API_PARAMS)
def test_api_matrix(world, key, role):
    method = key[0]
    case = ALL_API[key]
    expected = case.expected[role]
    headers = world.auth_headers(role) if case.send_auth else {}
    if case.setup:
        case.setup(world, role)
    path, data = case.request(world, role)
    if case.headers:
        headers = {**headers, **case.headers(world, role)}
    client = Client()
    if method == "GET":
        r = client.get(path, data or {}, headers=headers)
    elif method == "DELETE":
        r = client.delete(path, headers=headers)
    elif case.multipart:
        r = client.post(path, data or {}, headers=headers)
    else:
        r = client.generic(method, path, json.dumps(data or {}), content_type="application/json", headers=headers)
    assert r.status_code == expected, (
        f"{method} {path} as {role}: expected {expected}, got {r.status_code}: {r.content[:400]!r}"
    )
    if r.status_code >= 400 and path.startswith("/api/v1/") and not path.endswith(("openapi.json", "docs")):
        body = r.json()
        assert set(body) == {"code", "message", "fields"}, f"{method} {path} as {role}: error schema {body}"
        if r.status_code == 401:
            assert body["code"] == "not_authenticated"
        if r.status_code in case.codes:
            codes = case.codes[r.status_code]
            assert body["code"] in ((codes,) if isinstance(codes, str) else codes), (role, body)
        elif r.status_code == 403:
            assert body["code"] == "forbidden" or body["code"].endswith("_forbidden"), body  # stable, specific
    if case.check:
        case.check(world, role, r)


def test_citizen_reveals_only_their_own_data(world, api):
    """A citizen may reveal their own number (audited); another citizen's is refused (audited)."""
    from yiwang.core.models import AuditEvent

    me = world.user("citizen")
    token = world.token("citizen")
    r = api.post(f"/api/v1/people/{me.username}/reveal", {"field": "phone"}, token=token)
    assert r.status_code == 200 and r.json()["value"] == me.phone
    r = api.post(f"/api/v1/people/{world.subject.username}/reveal", {"field": "phone"}, token=token)
    assert r.status_code == 403 and world.subject.phone not in r.content.decode()
    own = AuditEvent.objects.get(action="pii.reveal", object_id=str(me.pk))
    assert own.actor_id == me.pk and own.role == "citizen" and own.data["field"] == "phone"
    denied = AuditEvent.objects.get(action="pii.reveal_denied", object_id=str(world.subject.pk))
    assert denied.actor_id == me.pk and denied.role == "citizen"


def test_enterprise_agent_reveals_only_their_own_data(world, api):
    me = world.user("enterprise_agent")
    token = world.token("enterprise_agent")
    assert api.post(f"/api/v1/people/{me.username}/reveal", {"field": "id_number"}, token=token).status_code == 200
    r = api.post(f"/api/v1/people/{world.subject.username}/reveal", {"field": "id_number"}, token=token)
    assert r.status_code == 403


@pytest.mark.parametrize("role", ["clerk", "hotline_operator"])
def test_reveal_roles_cannot_reveal_staff_members(world, api, role):
    """The counter and the hotline serve citizens: their reveal right does not extend to colleagues."""
    colleague = world._make_staff("reviewer", world.org["dept"], username="reviewer_with_phone", name="同事")
    colleague.phone = "13611112222"
    colleague.save()
    r = api.post(f"/api/v1/people/{colleague.username}/reveal", {"field": "phone"}, token=world.token(role))
    assert r.status_code == 403 and "13611112222" not in r.content.decode()


@pytest.mark.parametrize("role", AUTHENTICATED)
def test_same_identity_on_every_channel(world, role):
    """The web session and the bearer token name the same person, role and unit."""
    via_token = Client().get("/api/v1/me", headers=world.auth_headers(role)).json()
    via_session = world.web(role).get("/api/v1/me").json()
    assert via_session == via_token


# ---------------------------------------------------------------------------------------------
# HTML pages
# ---------------------------------------------------------------------------------------------
@dataclass
class PageCase:
    method: str
    expected: dict[str, int]
    request: Callable[[World, str], tuple[str, dict | None]]
    #: role -> the path a redirect must lead to (prefix match)
    redirects: dict[str, str] = field(default_factory=dict)
    check: Callable | None = None
    setup: Callable | None = None


def _page(p: str, data: dict | None = None):
    return lambda w, r: (p, data)


def _check_me_page(w: World, role: str, r):
    if r.status_code == 200:
        user = w.user(role)
        text = r.content.decode()
        if user.id_number:
            assert user.id_number not in text and user.masked_id_number in text
        if user.phone:
            assert user.phone not in text


def _request_staff_lookup(w: World, role: str):
    return "/staff/", {"id_number": w.subject.id_number}


def _check_staff_page(w: World, role: str, r):
    """The lookup answer shows the person masked, and the typed number is not echoed back."""
    text = r.content.decode()
    assert w.subject.id_number not in text and w.subject.phone not in text, "the staff page shows masked values"
    found = re.search(r'<dl class="summary">.*?</dl>', text, re.S)
    if role in ("clerk", "hotline_operator"):  # the page's lookup card is theirs (the admin uses the API)
        assert found, f"{role} may look citizens up"
        assert w.subject.masked_id_number in found.group(0) and w.subject.masked_phone in found.group(0)
    else:
        assert not found and w.subject.name not in text, f"{role} must not find citizens"


def _request_web_reveal(w: World, role: str):
    return f"/people/{w.subject.username}/reveal/id_number/", {"purpose": "窗口核验"}


def _check_web_reveal(w: World, role: str, r):
    from yiwang.core.models import AuditEvent

    events = list(AuditEvent.objects.filter(action__startswith="pii.reveal", object_id=str(w.subject.pk)))
    if role == "anonymous":
        assert events == []
        return
    action = "pii.reveal" if r.status_code == 200 else "pii.reveal_denied"
    assert [e.action for e in events] == [action]
    assert events[0].actor_id == w.user(role).pk and events[0].role == role
    text = r.content.decode()
    assert (w.subject.id_number in text) == (r.status_code == 200)


def _request_switch_role(w: World, role: str):
    user = w.user(role)
    assignment = user.roles.first() if user is not None and role in STAFF_ROLES else None
    return "/staff/role/", {"role_id": assignment.pk if assignment else 1}


HTML_CASES: dict[str, PageCase] = {
    "home": PageCase("GET", PUBLIC, _page("/")),
    "login": PageCase("GET", PUBLIC, _page("/accounts/login/")),
    "login-enterprise": PageCase("GET", PUBLIC, _page("/accounts/login/enterprise/")),
    "login-staff": PageCase("GET", PUBLIC, _page("/accounts/login/staff/")),
    "sms-code": PageCase("POST", PUBLIC, lambda w, r: ("/accounts/sms-code/", {"id_number": w.subject.id_number})),
    "logout": PageCase("POST", expect(302), _page("/accounts/logout/"), redirects={r: "/" for r in ROLES}),
    "register": PageCase("GET", PUBLIC, _page("/accounts/register/")),
    # step two of registering needs a registration started in this session (none here)
    "register-confirm": PageCase("GET", expect(302), _page("/accounts/register/confirm/"),
                                 redirects={r: "/accounts/register/" for r in ROLES}),
    "me": PageCase("GET", expect(200, anonymous=302), _page("/me/"),
                   redirects={"anonymous": "/accounts/login/?next=%2Fme%2F"}, check=_check_me_page),
    "reveal": PageCase("POST", only(200, ("clerk", "hotline_operator"), anonymous=302), _request_web_reveal,
                       redirects={"anonymous": "/accounts/login/?next="}, setup=_setup_reveal,
                       check=_check_web_reveal),
    # the identity lookup (a POST, so the number stays out of URLs); GET /staff/ is test_staff_home_page
    "staff-home": PageCase("POST", only(200, ("clerk", "hotline_operator", "platform_admin"), anonymous=302),
                           _request_staff_lookup, redirects={"anonymous": "/accounts/login/staff/?next=/staff/"},
                           check=lambda w, role, r: role == "anonymous" or _check_staff_page(w, role, r)),
    "switch-role": PageCase("POST", expect(302, anonymous=403, citizen=403, enterprise_agent=403),
                            _request_switch_role, redirects={r: "/staff/" for r in STAFF_ROLES}),
    "toggle-elderly": PageCase("POST", expect(302), _page("/settings/elderly/", {"next": "/"}),
                               redirects={r: "/" for r in ROLES}),
    # top-level named patterns (yiwang.urls)
    "healthz": PageCase("GET", PUBLIC, _page("/healthz")),
    "javascript-catalog": PageCase("GET", PUBLIC, _page("/jsi18n/")),
    "oidc-discovery": PageCase("GET", PUBLIC, _page("/.well-known/openid-configuration")),
    # the admin: only the platform admin with a verified second factor; others go to the staff login
    "admin:index": PageCase("GET", only(200, ("platform_admin",), others=302, anonymous=302), _page("/admin/"),
                            redirects={r: "/admin/login/?next=/admin/" for r in ROLES if r != "platform_admin"}),
}

#: Included URL trees tested elsewhere (every other tree's named pages must have rows above).
DELEGATED = {
    "api/v1/": "test_api_matrix",
    "admin/": "admin:index above; the admin's own permissions are Django's",
    "i18n/": "Django's set_language (no personal data, no authorization)",
    "o/": "tests/accounts/test_oidc.py",
}


# -- rows written next to each app's own tests, plugged in here ---------------------------------

for _rows in (_catalog_pages, _exchange_pages, _licences_pages, _cases_pages, _hotline_pages, _grid_pages):
    HTML_CASES.update(_rows(PageCase, expect, only))

#: URL confs whose pages' rows must name the outsiders too (person- and department-scoped objects).
SCOPED_URLCONFS = ("yiwang.cases.urls", "yiwang.hotline.urls", "yiwang.grid.urls", "yiwang.hotline.open311_urls")


def _page_names(patterns, namespace=""):
    from django.urls import URLPattern, URLResolver

    for p in patterns:
        if isinstance(p, URLPattern):
            yield (f"{namespace}:{p.name}" if namespace and p.name else p.name), str(p.pattern)
        elif isinstance(p, URLResolver):
            ns = ":".join(x for x in (namespace, p.namespace) if x)
            yield from _page_names(p.url_patterns, ns)


def test_every_page_is_in_the_matrix():
    from django.urls import URLResolver

    from yiwang import urls as root

    names, scoped = {}, set()
    for p in root.urlpatterns:
        if isinstance(p, URLResolver) and str(p.pattern) in DELEGATED:
            continue
        for name, route in _page_names([p]):
            assert name, f"unnamed pattern {route}: every page needs a name to be in the matrix"
            names[name] = route
            if isinstance(p, URLResolver) and getattr(p.urlconf_module, "__name__", "") in SCOPED_URLCONFS:
                scoped.add(name)
    covered = {key.split("#")[0] for key in HTML_CASES}
    missing = sorted(f"{n} ({names[n]})" for n in set(names) - covered - {"admin:index"})
    assert not missing, f"pages without a row in the authorization matrix: {missing}"
    stale = sorted(covered - set(names) - {"admin:index"})
    assert not stale, f"matrix rows for pages that no longer exist: {stale}"
    for key, case in HTML_CASES.items():
        _check_row_roles(key, case.expected, scoped=key.split("#")[0] in scoped)


HTML_PARAMS = [pytest.param(name, role, id=f"{name} as {role}") for name in HTML_CASES
               for role in HTML_CASES[name].expected]


@pytest.mark.parametrize("name,role", HTML_PARAMS)
def test_page_matrix(world, name, role):
    case = HTML_CASES[name]
    client = world.web(role)
    if case.setup:
        case.setup(world, role)
    path, data = case.request(world, role)
    r = client.get(path, data or {}) if case.method == "GET" else client.post(path, data or {})
    expected = case.expected[role]
    assert r.status_code == expected, (
        f"{case.method} {path} ({name}) as {role}: expected {expected}, got {r.status_code}: {r.content[:300]!r}"
    )
    if r.status_code == 302 and role in case.redirects:
        assert r["Location"].startswith(case.redirects[role]), f"{name} as {role} redirected to {r['Location']}"
    assert r.status_code < 500
    if case.check:
        case.check(world, role, r)


@pytest.mark.parametrize("role", [r for r in ROLES if r != "platform_admin"])
def test_admin_refusal_ends_at_the_staff_login(world, role):
    """Whoever is not signed in as staff is sent to the staff sign-in; a staff member signed in
    (second factor verified) in another role is told the admin is not theirs (a sign-in form
    would only send them back)."""
    r = world.web(role).get("/admin/", follow=True)
    assert r.redirect_chain, role
    if role in STAFF_ROLES:
        assert r.status_code == 403 and "管理后台仅供平台管理员使用。" in r.content.decode()
        return
    assert r.redirect_chain[-1][0].startswith("/accounts/login/staff/?next="), r.redirect_chain
    assert r.status_code == 200


def test_admin_needs_the_verified_second_factor(world):
    """A platform admin whose session is not OTP-verified is not let into the admin."""
    admin_user = world.user("platform_admin")
    client = Client()
    client.force_login(admin_user)  # a password-only session: no OTP device in it
    r = client.get("/admin/")
    assert r.status_code == 302 and r["Location"].startswith("/admin/login/")
    assert client.get("/api/v1/me").status_code == 401
    assert client.get("/staff/").status_code == 302


@pytest.mark.parametrize("role", ROLES)
def test_staff_home_page(world, role):
    expected = {"anonymous": 302, "citizen": 403, "enterprise_agent": 403}.get(role, 200)
    r = world.web(role).get("/staff/")
    assert r.status_code == expected, f"GET /staff/ as {role}: expected {expected}, got {r.status_code}"
    if role in STAFF_ROLES:
        assert w_unit_name(world, role) in r.content.decode()


def w_unit_name(world, role):
    return world.unit(role).name


def test_staff_lookup_keeps_the_number_out_of_the_url(world):
    """An old-style GET lookup link is redirected to /staff/ without the number (no ID number in
    URLs: history, access logs, Referer)."""
    client = world.web("clerk")
    r = client.get("/staff/", {"id_number": world.subject.id_number})
    assert r.status_code == 302 and world.subject.id_number not in r["Location"]
