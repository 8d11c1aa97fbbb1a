"""Point 9: when a case is started, materials held by a department are fetched for the applicant
(with consent, logged as queries with the case number) and attached; nothing without consent."""

from __future__ import annotations

import hashlib
import json
from types import SimpleNamespace

import pytest

from yiwang.exchange import services
from yiwang.exchange.models import QueryLog

from .conftest import PDF

MATERIALS = [
    ("application_form", "申请书", True, "applicant", ""),
    ("household_register", "居民户口簿", True, "shared_data", "GA-HJXX"),
    ("social_security_record", "社会保险参保缴费记录", True, "shared_data", "RS-CBJF"),
    ("marriage_certificate", "结婚证", False, "licence", "JHZ"),
    ("resident_id_card", "申请人居民身份证", True, "licence", "JMSFZ"),
]


class FakeLicences:
    """Stands in for yiwang.licences.selectors: Alice holds a marriage certificate."""

    def __init__(self, holder):
        self.holder = holder
        self.calls = []

    def current_licence(self, number, type_code):
        self.calls.append((number, type_code))
        if number == self.holder and type_code == "JHZ":
            return SimpleNamespace(identifier="1.2.156.3005.2.JHZ.11329002MB0000010X.2026000001.001.K",
                                   name="结婚证", pdf=PDF, status="valid")
        return None


@pytest.fixture(autouse=True)
def _fetch_explicitly(settings):
    """These tests call fetch_for_case themselves; the submission's own fetch is tested below."""
    settings.CASE_FETCH_ON_SUBMIT = False


@pytest.fixture
def world(ex, make_resource, seed, grant, make_item, monkeypatch):
    hj = make_resource(ex["provider"], "GA-HJXX", share_class="unconditional")
    seed(hj, {ex["alice"].id_number: {"name": "王丽", "gender": "女", "address": "望江路 8 号", "ethnicity": "汉族"}})
    grant(hj, ex["platform"], fields=["name", "address"], purpose="办件免提交材料调取")
    rs = make_resource(ex["other"], "RS-CBJF", fields=[{"key": "status", "name": "参保状态"}])
    seed(rs, {ex["alice"].id_number: {"status": "正常参保缴费"}})  # no grant for anyone
    fake = FakeLicences(ex["alice"].id_number)
    monkeypatch.setattr(services, "licence_selectors", lambda: fake)
    item = make_item(ex["requester"], MATERIALS)
    return {"item": item, "fake": fake}


def test_fetch_for_case_attaches_and_logs(world, ex, submit_case):
    case = submit_case(ex["alice"], world["item"])
    assert case.consent_data_sharing
    report = services.fetch_for_case_report(case)
    attached = {m.material_key: m for m in report.attached}
    assert set(attached) == {"household_register", "marriage_certificate"}
    hr = attached["household_register"]
    assert hr.source == "shared_data" and hr.case_id == case.pk and hr.content_type == "application/json"
    data = hr.file.read()
    assert hashlib.sha256(data).hexdigest() == hr.sha256 and hr.size == len(data)
    doc = json.loads(data)
    assert {f["key"]: f["value"] for f in doc["fields"]} == {"name": "王丽", "address": "望江路 8 号"}
    assert "汉族" not in data.decode() and doc["case_number"] == case.number
    mc = attached["marriage_certificate"]
    assert mc.source == "licence" and mc.content_type == "application/pdf" and mc.file.read() == PDF
    skipped = {s["key"]: s["reason"] for s in report.skipped}
    assert skipped == {"social_security_record": "no_grant", "resident_id_card": "licence_not_found"}
    logs = list(QueryLog.objects.filter(case_number=case.number).order_by("id"))
    assert [(log.resource_code, log.outcome) for log in logs] == [
        ("GA-HJXX", "ok"), ("RS-CBJF", "no_grant"), ("JHZ", "ok"), ("JMSFZ", "licence_not_found")]
    assert all(log.channel == "pipeline" and log.department_id == case.department_id for log in logs)
    assert logs[0].fields_returned == ["name", "address"] and logs[0].grant.grantee == ex["platform"]
    assert case.number in logs[0].purpose
    # again: nothing twice
    assert services.fetch_for_case(case) == []
    assert case.materials.filter(source__in=["licence", "shared_data"]).count() == 2


def test_a_case_without_consent_fetches_nothing(world, ex, submit_case):
    case = submit_case(ex["alice"], world["item"], consent=False)
    report = services.fetch_for_case_report(case)
    assert report.attached == [] and {s["reason"] for s in report.skipped} == {"no_consent"}
    assert not QueryLog.objects.exists() and world["fake"].calls == []
    assert not case.materials.filter(source__in=["licence", "shared_data"]).exists()


def test_the_case_departments_own_grant_comes_first_and_revocation_stops_the_pipeline(world, ex, submit_case, grant):
    from yiwang.exchange.models import DataResource

    hj = DataResource.objects.get(code="GA-HJXX")
    own = grant(hj, ex["requester"], fields=["name"])
    case = submit_case(ex["alice"], world["item"])
    row = next(r for r in services.fetch_for_case(case) if r.material_key == "household_register")
    assert [f["key"] for f in json.loads(row.file.read())["fields"]] == ["name"]
    assert QueryLog.objects.get(case_number=case.number, resource_code="GA-HJXX").grant == own
    # every grant revoked: refused with the precise reason, logged
    for g in hj.grants.all():
        services.revoke_grant(ex["actors"]["provider_steward"], g.pk, "停止共享")
    case2 = submit_case(ex["alice"], world["item"])
    report = services.fetch_for_case_report(case2)
    assert {s["key"]: s["reason"] for s in report.skipped}["household_register"] == "grant_revoked"
    assert QueryLog.objects.get(case_number=case2.number, resource_code="GA-HJXX").outcome == "grant_revoked"


def test_a_licence_material_falls_back_to_the_resource_that_holds_its_data(ex, make_resource, seed, grant,
                                                                            make_item, submit_case, monkeypatch):
    monkeypatch.setattr(services, "licence_selectors", lambda: None)  # no licence library
    hy = make_resource(ex["other"], "MZ-HYDJ", licence_types=["JHZ"], name="婚姻登记信息",
                       fields=[{"key": "marital_status", "name": "婚姻状况"}, {"key": "spouse_name", "name": "配偶姓名"}])
    seed(hy, {ex["alice"].id_number: {"marital_status": "已婚", "spouse_name": "陈强"}})
    grant(hy, ex["platform"])
    item = make_item(ex["requester"], [("marriage_certificate", "结婚证", True, "licence", "JHZ"),
                                       ("qualification", "执业资格证书", True, "licence", "ZYZG")])
    case = submit_case(ex["alice"], item)
    report = services.fetch_for_case_report(case)
    assert [r.material_key for r in report.attached] == ["marriage_certificate"]
    assert report.attached[0].source == "shared_data" and "婚姻登记信息" in report.attached[0].name
    assert report.skipped[0]["reason"] == "licence_library_unavailable"


def test_guide_and_form_say_no_submission_needed(world, ex, client):
    """The catalog guide and the application form say 免提交 and where each material comes from."""
    item = world["item"]
    page = client.get(f"/services/items/{item.code}/").content.decode()
    assert "免提交" in page and "GA-HJXX" in page
    client.force_login(ex["alice"])
    form = client.get(f"/cases/apply/{item.code}/").content.decode()
    assert 'data-testid="exempt-household_register"' in form and "免提交" in form


def test_submitting_a_case_fetches_what_departments_hold(world, ex, submit_case, settings):
    settings.CASE_FETCH_ON_SUBMIT = True
    case = submit_case(ex["alice"], world["item"])
    fetched = set(case.materials.filter(source__in=["licence", "shared_data"]).values_list("material_key", flat=True))
    assert fetched == {"household_register", "marriage_certificate"}
    event = case.events.get(action="submit")
    assert set(event.data["fetched"]) == fetched and "social_security_record" in event.data["not_fetched"]
    assert QueryLog.objects.filter(case_number=case.number, outcome="ok").count() == 2
