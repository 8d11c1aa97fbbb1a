"""The demo district: required sizes, valid code formats, idempotent loading and working logins.

The district is loaded once for the whole module inside an outer transaction that is rolled back
at the end, so the other test modules still start from an empty database.
"""

from __future__ import annotations

import json
import time
from base64 import b32decode
from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command

from yiwang.accounts.models import Role

DISTRICT = "329002"
BUREAU_ROLES = {"reviewer", "dept_head", "handler", "data_steward", "editor"}


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    from django.db import transaction

    from yiwang.core.demo.loader import load_demo

    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield load_demo()
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def accounts(demo, db):
    out = StringIO()
    call_command("demo_accounts", "--json", stdout=out)
    return json.loads(out.getvalue())


def _model_counts() -> dict[str, int]:
    from django.contrib.auth import get_user_model
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from yiwang.accounts.models import Enterprise, EnterpriseMember, RoleAssignment
    from yiwang.core.models import CalendarDay, Counter, Department, Division, ServicePlace

    models = [Division, Department, ServicePlace, Counter, get_user_model(), Enterprise, EnterpriseMember,
              RoleAssignment, TOTPDevice, CalendarDay, ServicePlace.departments.through]
    return {m._meta.label: m.objects.count() for m in models}


def test_required_sizes(demo, db):
    from yiwang.accounts.models import Enterprise, RoleAssignment, User
    from yiwang.core.models import Counter, Department, Division, ServicePlace

    streets = Division.objects.filter(level="street", parent_id=DISTRICT)
    communities = Division.objects.filter(level="community", parent__parent_id=DISTRICT)
    assert streets.count() >= 6
    assert communities.count() >= 20
    for street in streets:
        assert street.children.count() >= 3, street
    assert Department.objects.filter(division__code__startswith=DISTRICT, kind="bureau").count() >= 20
    assert User.objects.filter(kind="citizen", division__code__startswith=DISTRICT).count() >= 500
    assert Enterprise.objects.filter(division__code__startswith=DISTRICT).count() >= 100

    centre = ServicePlace.objects.get(tier="district", division_id=DISTRICT)
    assert centre.counters.count() >= 10
    assert {"comprehensive", "department", "delivery", "help"} <= set(centre.counters.values_list("kind", flat=True))
    assert centre.departments.count() >= 20
    assert ServicePlace.objects.filter(tier="street").count() == streets.count()
    assert ServicePlace.objects.filter(tier="community").count() == communities.count()
    for place in ServicePlace.objects.exclude(tier="district"):
        assert place.hours and place.phone and place.address
        assert 1 <= Counter.objects.filter(place=place).count() <= 4

    # Staff for every role in every relevant department.
    for dept in Department.objects.filter(kind="bureau"):
        held = set(RoleAssignment.objects.filter(department=dept).values_list("role", flat=True))
        assert BUREAU_ROLES <= held, dept
    assert set(RoleAssignment.objects.values_list("role", flat=True)) == {
        r for r in Role.values if r not in ("citizen", "enterprise_agent")
    }
    for place in ServicePlace.objects.all():
        assert RoleAssignment.objects.filter(place=place, role="clerk").exists(), place
    for place in ServicePlace.objects.filter(tier="street"):
        assert RoleAssignment.objects.filter(place=place, role="grid_worker").count() == 2
    admin = User.objects.get(roles__role="platform_admin")
    assert admin.is_staff and admin.is_superuser
    assert not User.objects.filter(kind="staff", is_superuser=True).exclude(pk=admin.pk).exists()


def test_identity_numbers_are_valid(demo, db):
    from yiwang.accounts.models import Enterprise, User
    from yiwang.core.crypto import blind_index
    from yiwang.core.identity import validate_resident_id, validate_uscc
    from yiwang.core.models import Department

    citizens = list(User.objects.filter(kind="citizen"))
    born_here = 0
    for user in citizens:
        verdict = validate_resident_id(user.id_number)
        assert verdict.valid, (user.id_number, verdict.error)
        assert user.birth_date == verdict.details["birth_date"] and user.gender == verdict.details["gender"]
        assert date(1940, 1, 1) <= user.birth_date <= date(2010, 12, 31)
        assert user.id_number_bidx == blind_index(user.id_number, "resident_id")
        assert user.phone_bidx == blind_index(user.phone, "phone")
        assert len(user.phone) == 11 and user.phone[:2] in ("13", "15", "17", "18", "19")
        assert user.division.code.startswith(DISTRICT) and user.division.level == "community"
        born_here += user.id_number.startswith(DISTRICT)
    assert born_here > len(citizens) / 2
    assert len({u.phone for u in citizens}) == len(citizens)
    assert User.objects.find_by_id_number(citizens[0].id_number) == citizens[0]

    for number in list(Enterprise.objects.values_list("uscc", flat=True)) + list(
        Department.objects.values_list("uscc", flat=True)
    ):
        verdict = validate_uscc(number)
        assert verdict.valid, (number, verdict.error)
        assert number[2:8] == DISTRICT
    kinds = {e.uscc[:2]: e.subject_type for e in Enterprise.objects.all()}
    assert kinds["91"] in ("2", "5") and kinds["92"] == "9" and kinds["52"] == "4" and kinds["12"] == "3"


def test_division_codes_are_children_of_their_parent(demo, db):
    from yiwang.core.models import Division

    city = Division.objects.get(code="329000")
    assert city.level == "city" and city.parent_id == "320000"
    assert Division.objects.get(code=DISTRICT).parent_id == "329000"
    for street in Division.objects.filter(level="street", parent_id=DISTRICT):
        assert len(street.code) == 12 and street.code.isdigit()
        assert street.code.startswith(DISTRICT) and street.code.endswith("000")
        for community in street.children.all():
            assert community.level == "community"
            assert len(community.code) == 12 and community.code.startswith(street.code[:9])
            assert community.code[9:] != "000"
            community.full_clean()
        street.full_clean()


def test_enterprise_members(demo, db):
    from yiwang.accounts.models import Enterprise, EnterpriseMember

    for enterprise in Enterprise.objects.prefetch_related("members__user"):
        legal = [m for m in enterprise.members.all() if m.kind == "legal_rep"]
        assert len(legal) == 1 and legal[0].user.name == enterprise.legal_representative
    today = date.today()
    agents = EnterpriseMember.objects.filter(kind="agent")
    assert agents.filter(valid_until__gt=today).count() >= 30
    assert agents.filter(valid_until__lt=today).count() == 1


def test_second_run_creates_nothing(demo, db):
    from yiwang.core.audit import verify_chain
    from yiwang.core.demo.loader import load_demo
    from yiwang.core.models import AuditEvent

    assert AuditEvent.objects.filter(action="demo.loaded").count() == 1
    before = _model_counts()
    counts = load_demo()
    assert set(counts) == set(demo)
    assert all(c["created"] == 0 for c in counts.values()), counts
    out = StringIO()
    call_command("load_demo", stdout=out)
    assert "nothing to create" in out.getvalue()
    assert _model_counts() == before
    assert AuditEvent.objects.filter(action="demo.loaded").count() == 1
    assert verify_chain()[1] is None


def test_demo_accounts_json(accounts):
    assert {a["role"] for a in accounts} == set(Role.values)
    for a in accounts:
        assert {"role", "login", "password", "department", "name"} <= set(a), a
        assert a["password"] == "Yiwang@2026" and a["name"]
    citizens = [a for a in accounts if a["role"] == "citizen"]
    agents = [a for a in accounts if a["role"] == "enterprise_agent"]
    staff = [a for a in accounts if a["role"] not in ("citizen", "enterprise_agent")]
    assert 5 <= len(citizens) <= 20 and all(a["department"] == "" and len(a["login"]) == 18 for a in citizens)
    assert 3 <= len(agents) <= 10 and all(a["agent"] and a["department"] for a in agents)
    assert all(a["login"].isascii() and a["department"] for a in staff)
    assert all(a["totp_secret"] and a["otp_uri"].startswith("otpauth://totp/") for a in staff)
    assert len({a["login"] for a in staff}) == len(staff) >= 200  # every staff member, not a sample


def test_demo_accounts_are_stable_and_cached(accounts, django_assert_max_num_queries):
    from yiwang.core.demo.accounts import demo_accounts

    assert demo_accounts() == accounts
    with django_assert_max_num_queries(0):
        assert demo_accounts() == accounts


def _by_role(accounts, role):
    return next(a for a in accounts if a["role"] == role)


def test_citizen_signs_in_with_printed_credentials(accounts, api):
    citizen = _by_role(accounts, "citizen")
    r = api.post("/api/v1/auth/token", {"login": citizen["login"], "password": citizen["password"]})
    assert r.status_code == 200, r.content
    assert r.json()["role"] == "citizen" and r.json()["name"] == citizen["name"]


def test_enterprise_signs_in_with_printed_credentials(accounts, api):
    for agent in [a for a in accounts if a["role"] == "enterprise_agent"]:
        r = api.post("/api/v1/auth/token", {"login": agent["login"], "password": agent["password"],
                                            "agent": agent["agent"]})
        assert r.status_code == 200, r.content
        body = r.json()
        assert body["role"] == "enterprise_agent" and body["enterprise"] == agent["department"]


def test_expired_agent_cannot_sign_in(demo, api):
    from yiwang.accounts.models import EnterpriseMember

    member = EnterpriseMember.objects.select_related("enterprise", "user").get(
        kind="agent", valid_until__lt=date.today()
    )
    r = api.post("/api/v1/auth/token", {"login": member.enterprise.uscc, "password": "Yiwang@2026",
                                        "agent": member.user.id_number})
    assert r.status_code == 401


def _totp(secret: str) -> str:
    from django_otp.oath import TOTP

    totp = TOTP(b32decode(secret))
    totp.time = time.time()
    return f"{totp.token():06d}"


@pytest.mark.parametrize("role", ["reviewer", "clerk", "platform_admin"])
def test_staff_signs_in_with_printed_credentials_and_totp(accounts, api, role):
    staff = _by_role(accounts, role)
    r = api.post("/api/v1/auth/token", {"login": staff["login"], "password": staff["password"]})
    assert r.status_code == 401  # the second factor is required
    r = api.post("/api/v1/auth/token", {"login": staff["login"], "password": staff["password"],
                                        "otp": _totp(staff["totp_secret"])})
    assert r.status_code == 200, r.content
    me = api.get("/api/v1/me", token=r.json()["token"]).json()
    assert me["role"] == role and me["roles"][0]["unit_name"] == staff["department"]


def test_totp_secret_is_stable(accounts):
    from yiwang.core.demo.loader import demo_totp_key

    staff = _by_role(accounts, "supervisor")
    assert b32decode(staff["totp_secret"]).hex() == demo_totp_key(staff["login"])


def test_home_page_lists_demo_logins(accounts, client, settings):
    settings.DEMO_MODE = True
    page = client.get("/").content.decode()
    assert _by_role(accounts, "clerk")["login"] in page
    assert _by_role(accounts, "citizen")["login"] in page
