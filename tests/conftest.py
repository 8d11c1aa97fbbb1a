"""Shared fixtures: a small organisation, people of every kind, and API helpers.

Tests run against the real database named by DATABASE_URL (SQLite by default, PostgreSQL in CI).
"""

from __future__ import annotations

import itertools
from datetime import date

import pytest

PASSWORD = "Yiwang#2026"


@pytest.fixture(autouse=True)
def _fresh_cache():
    from django.core.cache import cache

    from yiwang.core import workdays

    cache.clear()
    workdays.invalidate()
    yield


@pytest.fixture(autouse=True)
def _calendar_present(request):
    """Tests with real commits (transactional_db, live_server) empty every table when they end,
    the seeded calendar included: put it back so SLA and deadline arithmetic see the holidays."""
    marker = request.node.get_closest_marker("django_db")
    transactional = ("transactional_db" in request.fixturenames or "live_server" in request.fixturenames
                     or (marker is not None and marker.kwargs.get("transaction")))
    if not transactional:
        yield
        return
    request.getfixturevalue("transactional_db")
    from django.core.management import call_command

    from yiwang.core import workdays
    from yiwang.core.models import CalendarDay

    if not CalendarDay.objects.exists():
        call_command("seed_calendar", verbosity=0)
        workdays.invalidate()
    yield


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Create the cache table and seed the official calendar once per test database."""
    from django.core.management import call_command

    with django_db_blocker.unblock():
        call_command("seed_calendar", verbosity=0)


@pytest.fixture(scope="module")
def module_transaction(django_db_setup, django_db_blocker):
    """Database access for module-scoped fixtures (a demo loaded once per module): everything they
    write is rolled back after the module's last test. Tests still request ``db`` for their own."""
    from django.db import transaction

    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def org(db):
    """One district with a street, a community, a department, a service place and a counter."""
    from yiwang.core.identity import make_uscc
    from yiwang.core.models import Counter, Department, Division, ServicePlace

    city = Division.objects.create(code="329000", name="江东市", level="city")
    district = Division.objects.create(code="329002", name="云溪区", level="district", parent=city)
    street = Division.objects.create(code="329002001000", name="云溪街道", level="street", parent=district)
    community = Division.objects.create(code="329002001001", name="望江社区", level="community", parent=street)
    dept = Department.objects.create(code="YX-SCJG", name="云溪区市场监督管理局", short_name="区市场监管局",
                                     uscc=make_uscc("11", "329002", "MB000001"), division=district)
    other = Department.objects.create(code="YX-MZ", name="云溪区民政局", short_name="区民政局",
                                      uscc=make_uscc("11", "329002", "MB000002"), division=district)
    centre = ServicePlace.objects.create(code="YX-ZWFW", name="云溪区政务服务中心", tier="district",
                                         division=district, address="云溪区江滨大道 1 号")
    station = ServicePlace.objects.create(code="YX-WJ-SQ", name="望江社区便民服务站", tier="community",
                                          division=community, address="望江路 8 号")
    counter = Counter.objects.create(place=centre, number="01", name="综合受理一号窗", kind="comprehensive")
    return {"city": city, "district": district, "street": street, "community": community, "dept": dept,
            "other_dept": other, "centre": centre, "station": station, "counter": counter}


_seq = {"n": 100}


def next_id_number(birth: date = date(1985, 3, 14), division: str = "320102") -> str:
    from yiwang.core.identity import make_resident_id

    _seq["n"] += 2
    return make_resident_id(division, birth, _seq["n"] % 1000)


@pytest.fixture
def make_citizen(db):
    from yiwang.accounts.models import User

    def _make(name="张伟", id_number=None, phone="13800138000", password=PASSWORD, **extra):
        user = User(username=f"c{User.objects.count() + 1:06d}x{_seq['n']}", kind=User.Kind.CITIZEN, name=name,
                    id_number=id_number or next_id_number(), phone=phone, **extra)
        user.set_password(password)
        user.save()
        return user

    return _make


@pytest.fixture
def make_staff(db):
    """make_staff(role, unit) -> user with a confirmed TOTP device; user.totp() gives a valid code."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from yiwang.accounts.models import RoleAssignment, User
    from yiwang.core.models import Department

    def _make(role, unit, username=None, name="李娜", password=PASSWORD):
        username = username or f"{role}_{unit.code}".lower().replace("-", "_")
        user = User(username=username, kind=User.Kind.STAFF, name=name)
        user.set_password(password)
        user.save()
        scope = {"department": unit} if isinstance(unit, Department) else {"place": unit}
        RoleAssignment.objects.create(user=user, role=role, **scope)
        device = TOTPDevice.objects.create(user=user, name="default", confirmed=True)
        user.totp = lambda: totp_now(device)
        user.device = device
        return user

    return _make


def totp_now(device) -> str:
    """The device's current code, computed as an authenticator app would."""
    import time

    from django_otp.oath import TOTP

    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    return f"{totp.token():0{device.digits}d}"


@pytest.fixture
def api(client):
    """JSON helpers over Django's test client: api.post(path, data, token=None)."""

    class Api:
        def _headers(self, token, headers):
            h = dict(headers or {})
            if token:
                h["Authorization"] = f"Bearer {token}"
            return h

        def get(self, path, token=None, headers=None, **params):
            return client.get(path, params, headers=self._headers(token, headers))

        def post(self, path, data=None, token=None, headers=None):
            return client.post(path, data or {}, content_type="application/json",
                               headers=self._headers(token, headers))

        def delete(self, path, token=None, headers=None):
            return client.delete(path, headers=self._headers(token, headers))

        def token(self, login, password=PASSWORD, **extra):
            r = self.post("/api/v1/auth/token", {"login": login, "password": password, **extra})
            assert r.status_code == 200, r.content
            return r.json()["token"]

    return Api()


# -- published catalog items and uploads for case tests (used by cases, cases_sla, cases_web, e2e,
#    licences; the one definition of these fixtures) ---------------------------------------------
_codes = itertools.count(1)


@pytest.fixture
def make_item(db):
    """make_item(department, case_type="2", promised=10, fee=None, materials=[...], schema=...,
    objects="1,2") -> a published ServiceItem whose ``current`` version is what cases file under.
    ``materials`` are ``(key, name, required, source)`` tuples, optionally with a fifth element, the
    exchange resource / licence type code (``source_ref``, also its ``source_name``); ``objects`` the
    服务对象 codes."""
    from yiwang.catalog.models import ItemVersion, Material, ServiceItem

    def _make(department, *, name="食品经营许可", case_type="2", promised=10, statutory=20, fee=None,
              materials=None, schema=None, licence_type="", objects="1,2"):
        n = next(_codes)
        item = ServiceItem.objects.create(code=f"11329002TEST{n:04d}", basic_code=f"0001{n:04d}",
                                          department=department, name=name)
        version = ItemVersion.objects.create(
            item=item, number=1, status="review", name=name, item_type="01", basic_code=item.basic_code,
            legal_basis="《中华人民共和国食品安全法》第三十五条", acceptance_conditions="申请人具备相应条件",
            service_objects=objects, statutory_limit_days=statutory, promised_limit_days=promised, case_type=case_type,
            visits=0, online_depth=4, fee_required=bool(fee), fees=[{"name": "工本费", "standard": f"{fee}元/件",
                                                                       "amount": str(fee)}] if fee else [],
            handling_place="云溪区政务服务中心", handling_hours="工作日 9:00-17:00", consultation="12345",
            complaint="12345", result_type="1", result_name=f"{name}证", licence_type=licence_type,
            form_schema=schema if schema is not None else {
                "type": "object",
                "properties": {"shop_name": {"type": "string", "title": "店铺名称", "maxLength": 50},
                               "address": {"type": "string", "title": "经营场所"}},
                "required": ["shop_name"],
            },
        )
        for i, (key, mname, required, source, *ref) in enumerate(materials if materials is not None else [
            ("application_form", "申请书", True, "applicant"),
            ("id_card", "法定代表人身份证", True, "licence"),
        ]):
            Material.objects.create(version=version, order=i, key=key, name=mname, source=source,
                                    source_ref=ref[0] if ref else "", source_name=ref[0] if ref else "",
                                    requirement="required" if required else "conditional")
        ItemVersion.objects.filter(pk=version.pk).update(status="published")
        item.current = ItemVersion.objects.get(pk=version.pk)
        item.save()
        return item

    return _make


@pytest.fixture
def upload(db):
    """upload(actor, key) -> token of a stored PDF for that actor."""
    from cases.samples import PDF  # tests/cases/samples.py (tests/ is on sys.path: rootdir conftest)

    from yiwang.cases import services

    def _upload(actor, key="application_form", data=PDF, name="申请书.pdf"):
        return services.upload_material(actor, name=name, data=data, key=key).upload_token

    return _upload

