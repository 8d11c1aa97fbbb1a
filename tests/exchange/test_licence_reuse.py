"""免提交 with the real licence library: a valid licence is reused (and previewed on the form first);
an expired or revoked one is refused with a precise reason, logged as a query with the case number,
and the form asks the applicant to hand the material in instead."""

from __future__ import annotations

import json
from datetime import date

import pytest

from yiwang.exchange import selectors, services
from yiwang.exchange.models import QueryLog


@pytest.fixture(autouse=True)
def _ca_in_tmp(settings, tmp_path):
    from yiwang.licences import signing

    settings.LICENCE_CA_DIR = tmp_path / "ca"
    settings.CASE_FETCH_ON_SUBMIT = False  # these tests call the pipeline themselves
    signing._materials.cache_clear()
    yield
    signing._materials.cache_clear()


@pytest.fixture
def lib(ex, make_item):
    from yiwang.licences.models import LicenceType

    LicenceType.objects.create(code="JHZ", name="结婚证", holder_kind="person", issuer=ex["other"])
    LicenceType.objects.create(code="JMSFZ", name="居民身份证", holder_kind="person", issuer=ex["provider"],
                               validity_years=10)
    item = make_item(ex["requester"], [("application_form", "申请书", True, "applicant", ""),
                                       ("marriage_certificate", "结婚证", True, "licence", "JHZ"),
                                       ("id_card", "申请人居民身份证", True, "licence", "JMSFZ")])
    return {"item": item}


def _preview(ex, person, item):
    return selectors.fetch_preview(list(item.current.materials.all()), person=person,
                                   department_id=ex["requester"].pk, item_code=item.code)


def test_a_valid_licence_is_previewed_then_fetched_as_its_signed_pdf(ex, lib, submit_case):
    from yiwang.licences import services as licences
    from yiwang.licences import signing

    alice = ex["alice"]
    marriage = licences.issue(type_code="JHZ", user=alice, data={"spouse": "陈强"}, valid_from=date(2018, 10, 1))
    preview = _preview(ex, alice, lib["item"])
    assert preview["marriage_certificate"] == {
        "available": True, "kind": "licence", "name": "结婚证", "identifier": marriage.identifier,
        "number": marriage.number, "issuer": ex["other"].name, "valid_until": None}
    assert preview["id_card"]["available"] is False and preview["id_card"]["reason"] == "licence_not_found"
    assert "application_form" not in preview and not QueryLog.objects.exists()  # previewing logs nothing

    # not rendered yet: a JSON reference to the licence; once rendered, the signed PDF itself
    case = submit_case(alice, lib["item"])
    row = services.fetch_for_case_report(case).attached[0]
    assert row.source == "licence" and marriage.identifier in row.name
    doc = json.loads(row.file.read())
    assert doc["identifier"] == marriage.identifier and doc["issuer"] == ex["other"].name
    assert doc["verify"] == f"/licences/verify/{marriage.identifier}" and doc["case_number"] == case.number
    licences.ensure_pdf(marriage, "https://zwfw.example/licences/verify/" + marriage.identifier)
    case2 = submit_case(alice, lib["item"])
    row2 = services.fetch_for_case_report(case2).attached[0]
    data = row2.file.read()
    assert row2.content_type == "application/pdf" and signing.verify_pdf(data).identifier == marriage.identifier


def test_expired_and_revoked_licences_are_refused_precisely_and_logged(ex, lib, submit_case, client):
    from yiwang.licences import services as licences

    alice = ex["alice"]
    marriage = licences.issue(type_code="JHZ", user=alice, data={"spouse": "陈强"})
    id_card = licences.issue(type_code="JMSFZ", user=alice, valid_from=date(2010, 3, 1))  # valid until 2020-03-01
    licences.revoke(_issuer_reviewer(ex), marriage.identifier, "登记错误，依法撤销")

    preview = _preview(ex, alice, lib["item"])
    assert preview["marriage_certificate"]["reason"] == "licence_revoked"
    assert marriage.identifier in preview["marriage_certificate"]["message"]
    assert "登记错误，依法撤销" in preview["marriage_certificate"]["message"]
    assert preview["id_card"]["reason"] == "licence_expired" and "2020-03-01" in preview["id_card"]["message"]

    case = submit_case(alice, lib["item"])
    report = services.fetch_for_case_report(case)
    assert report.attached == []
    assert {s["key"]: s["reason"] for s in report.skipped} == {"marriage_certificate": "licence_revoked",
                                                                 "id_card": "licence_expired"}
    assert id_card.identifier in next(s["message"] for s in report.skipped if s["key"] == "id_card")
    logs = {log.resource_code: log for log in QueryLog.objects.filter(case_number=case.number)}
    assert (logs["JHZ"].outcome, logs["JMSFZ"].outcome) == ("licence_revoked", "licence_expired")
    assert all(log.kind == "licence" and log.fields_returned == [] and log.result_bytes == 0 for log in logs.values())
    assert not case.materials.filter(source="licence").exists()

    # the form says why and asks for the file instead of promising 免提交
    client.force_login(alice)
    html = client.get(f"/cases/apply/{lib['item'].code}/").content.decode()
    assert 'name="file_marriage_certificate"' in html and 'name="file_id_card"' in html
    assert 'data-testid="exempt-marriage_certificate"' not in html and "登记错误，依法撤销" in html
    assert "2020-03-01" in html


def _issuer_reviewer(ex):
    """A reviewer of the department that issues 结婚证 (the only one who may revoke it)."""
    from yiwang.accounts.actor import staff_actor
    from yiwang.accounts.models import RoleAssignment, User

    user = User.objects.create(username="mz_reviewer", kind=User.Kind.STAFF, name="民政审批")
    RoleAssignment.objects.create(user=user, role="reviewer", department=ex["other"])
    return staff_actor(user)


def test_a_material_someone_already_handed_in_is_not_fetched(ex, lib, submit_case):
    """An applicant who uploaded the material (the preview found nothing, or they chose to) is not
    queried for it again: no needless use of their data."""
    from yiwang.accounts.actor import Actor
    from yiwang.cases import services as case_services
    from yiwang.licences import services as licences

    from .conftest import PDF

    alice = ex["alice"]
    licences.issue(type_code="JHZ", user=alice, data={"spouse": "陈强"})
    actor = Actor(user=alice)
    uploads = [{"key": key, "upload": case_services.upload_material(actor, name=f"{key}.pdf", data=PDF,
                                                                    key=key).upload_token}
               for key in ("application_form", "marriage_certificate")]
    case, _ = case_services.submit(actor, item_code=lib["item"].code, form={"shop_name": "老王面馆"},
                                   materials=uploads, idempotency_key="own-copy", consent_data_sharing=True)
    report = services.fetch_for_case_report(case)
    assert report.attached == [] and [s["key"] for s in report.skipped] == ["id_card"]
    assert not QueryLog.objects.filter(case_number=case.number, resource_code="JHZ").exists()
    assert case.materials.get(material_key="marriage_certificate").source == "applicant"
