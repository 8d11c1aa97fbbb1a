"""Fixtures for the exchange: departments, stewards, published resources, signed gateway calls."""

from __future__ import annotations

import itertools
import json
from datetime import timedelta

import pytest

from cases.samples import PDF  # noqa: F401 - re-exported for the exchange tests

_codes = itertools.count(1)


@pytest.fixture
def ex(org, make_staff, make_citizen):
    """Provider (YX-GA) with a steward, requester (org's YX-SCJG) with a steward, a third department
    (org's YX-MZ), the platform department (YX-ZWB) and a supervisor; two citizens."""
    from yiwang.accounts.actor import staff_actor
    from yiwang.core.identity import make_uscc
    from yiwang.core.models import Department

    ga = Department.objects.create(code="YX-GA", name="江东市公安局云溪分局", short_name="云溪公安分局",
                                   uscc=make_uscc("11", "329002", "MB000011"), division=org["district"])
    zwb = Department.objects.create(code="YX-ZWB", name="云溪区政务服务管理办公室", short_name="区政务办",
                                    uscc=make_uscc("11", "329002", "MB000012"), division=org["district"])
    people = {
        "provider_steward": make_staff("data_steward", ga, username="ga_steward"),
        "requester_steward": make_staff("data_steward", org["dept"], username="scjg_steward"),
        "requester_head": make_staff("dept_head", org["dept"], username="scjg_head"),
        "other_steward": make_staff("data_steward", org["other_dept"], username="mz_steward"),
        "provider_reviewer": make_staff("reviewer", ga, username="ga_reviewer"),
        "supervisor": make_staff("supervisor", zwb, username="zwb_supervisor"),
    }
    actors = {k: staff_actor(u) for k, u in people.items()}
    return {"org": org, "provider": ga, "requester": org["dept"], "other": org["other_dept"], "platform": zwb,
            "users": people, "actors": actors,
            "alice": make_citizen(name="王丽"), "bob": make_citizen(name="陈强", phone="13900139000")}


FIELDS = [{"key": "name", "name": "姓名"}, {"key": "gender", "name": "性别"}, {"key": "address", "name": "住址"},
          {"key": "ethnicity", "name": "民族"}]


@pytest.fixture
def make_resource(db):
    """make_resource(provider, code=..., share_class=..., fields=..., subject_kind=...) -> published resource."""
    from django.utils import timezone

    from yiwang.exchange.models import DataResource

    def _make(provider, code=None, *, share_class="conditional", fields=None, subject_kind="resident_id",
              licence_types=None, name="人口户籍信息", status="published"):
        return DataResource.objects.create(
            code=code or f"T-R{next(_codes):03d}", name=name, provider=provider, subject_kind=subject_kind,
            fields=fields or FIELDS, legal_basis="《中华人民共和国户口登记条例》", share_class=share_class,
            share_conditions="" if share_class == "unconditional" else "仅用于政务服务事项办理",
            licence_types=licence_types or [], status=status, published_at=timezone.now())

    return _make


@pytest.fixture
def seed(db):
    """seed(resource, {number: values}) — load records as a full push would."""
    from yiwang.exchange import services

    def _seed(resource, rows: dict, mode="full"):
        return services.store_records(
            resource, mode, [(services.subject_bidx(resource.subject_kind, n), v, None) for n, v in rows.items()])

    return _seed


@pytest.fixture
def grant(db):
    """grant(resource, grantee, fields=None, days=30) -> an active Grant made through request/approve."""
    from django.utils import timezone

    from yiwang.core.workdays import end_of_day
    from yiwang.exchange.models import Grant, ShareRequest

    def _grant(resource, grantee, fields=None, days=30, purpose="测试用途", items=None):
        fields = fields or resource.field_keys
        until = timezone.localdate() + timedelta(days=days)
        req = ShareRequest.objects.create(resource=resource, requester=grantee, purpose=purpose, fields=fields,
                                          requested_until=until, status="approved", decided_at=timezone.now())
        return Grant.objects.create(resource=resource, grantee=grantee, request=req, fields=fields, purpose=purpose,
                                    items=items or [], expires_at=end_of_day(until))

    return _grant


@pytest.fixture
def make_client(db):
    """make_client(department, rate=600) -> (client, secret)."""
    from yiwang.exchange import services

    def _make(department, rate=600):
        return services.create_client(None, department=department, name=f"{department.short_name}业务系统",
                                      rate_per_minute=rate)

    return _make


QUERY = "/api/v1/exchange/gateway/query"


@pytest.fixture
def gw(client):
    """gw(key_id, secret, body, path=QUERY, headers=None, sign=True, **sign_kwargs) -> response of a signed POST."""
    from yiwang.exchange import signing

    def _call(key_id, secret, body, path=QUERY, *, headers=None, sign=True, tamper=None, **kw):
        raw = json.dumps(body, ensure_ascii=False).encode()
        h = signing.sign(key_id, secret, "POST", path, raw, **kw) if sign else {}
        h.update(headers or {})
        return client.post(path, tamper if tamper is not None else raw, content_type="application/json", headers=h)

    return _call


@pytest.fixture
def make_item(make_item):
    """make_item(department, materials=[(key, name, required, source, source_ref)]) -> published item
    (the root fixture, with a form that requires nothing)."""
    def _make(department, materials, name="食品经营许可"):
        return make_item(department, name=name, materials=materials, schema={
            "type": "object", "properties": {"shop_name": {"type": "string", "title": "店铺名称"}}, "required": []})

    return _make


@pytest.fixture
def submit_case(db, upload):
    """submit_case(citizen, item, consent=True) -> a case filed through cases.services.submit."""
    import secrets

    from yiwang.accounts.actor import Actor
    from yiwang.cases import services as case_services

    def _submit(person, item, consent=True, enterprise=None):
        actor = Actor(user=person, enterprise=enterprise)
        uploads = []
        for m in item.current.materials.all():
            if m.source == "applicant" and m.requirement == "required":
                uploads.append({"key": m.key, "upload": upload(actor, key=m.key, name=f"{m.name}.pdf")})
        case, _created = case_services.submit(actor, item_code=item.code, form={"shop_name": "老王面馆"},
                                              materials=uploads, idempotency_key=secrets.token_hex(8),
                                              consent_data_sharing=consent)
        return case

    return _submit
