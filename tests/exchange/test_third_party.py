"""Materials about another person named in the application (issue #5's gap): the deceased's death
certificate for a family member who applies for the funeral subsidy. The catalog names the form
field with that person's ID number (``subject_field``); the pipeline fetches for that number —
never the applicant's — logs the query with the case and its purpose, and records that a third
party's data was fetched. A missing or invalid number is a precise form error; the form says
"填写后由系统调取" instead of asking for an upload; the coverage report counts such a material only
when its subject field is a valid ID field and the source has data."""

from __future__ import annotations

import json
import secrets
from datetime import date

import pytest

from yiwang.accounts.actor import Actor
from yiwang.cases import services as case_services
from yiwang.core.errors import ValidationFailed
from yiwang.core.identity import make_resident_id, mask_id_number
from yiwang.core.models import AuditEvent
from yiwang.exchange import coverage, selectors, services
from yiwang.exchange.models import QueryLog

from .conftest import PDF

DECEASED = make_resident_id("320102", date(1941, 5, 2), 31)
FORM = {"type": "object", "x-order": ["deceased_name", "deceased_id", "bank_account"],
        "properties": {"deceased_name": {"type": "string", "title": "逝者姓名", "maxLength": 30},
                       "deceased_id": {"type": "string", "title": "逝者身份证号码", "format": "resident_id"},
                       "bank_account": {"type": "string", "title": "收款银行账号", "maxLength": 24}},
        "required": ["deceased_name"]}
SWZM_FIELDS = [{"key": "name", "name": "死者姓名"}, {"key": "death_date", "name": "死亡日期"},
               {"key": "cause", "name": "死亡原因"}]


@pytest.fixture
def funeral(ex, make_resource, seed, grant, monkeypatch):
    """WJ-SWZM holds the deceased's record — and, to catch a wrong look-up, one for the applicant
    too. The subsidy item fetches the death certificate for the form's ``deceased_id``."""
    from yiwang.catalog.models import ItemVersion, Material, ServiceItem

    monkeypatch.setattr(services, "licence_selectors", lambda: None)
    swzm = make_resource(ex["other"], "WJ-SWZM", name="居民死亡医学证明信息", fields=SWZM_FIELDS)
    seed(swzm, {DECEASED: {"name": "王大海", "death_date": "2026-10-02", "cause": "脑梗死"},
                ex["alice"].id_number: {"name": "王丽", "death_date": "1999-01-01", "cause": "（错误记录）"}})
    grant(swzm, ex["platform"], purpose="身后事办理核验死亡信息")
    item = ServiceItem.objects.create(code="11329002MZ0032", basic_code="00050032", department=ex["other"],
                                      name="惠民殡葬补贴申领")
    version = ItemVersion.objects.create(
        item=item, number=1, status="review", name=item.name, item_type="05", basic_code=item.basic_code,
        legal_basis="《殡葬管理条例》", acceptance_conditions="死者生前为本区户籍居民", service_objects="1",
        promised_limit_days=5, case_type="2", visits=0, online_depth=4, handling_place="网上",
        handling_hours="24 小时", consultation="12345", complaint="12345", result_type="3",
        result_name="基本殡葬服务费用减免", form_schema=FORM)
    Material.objects.create(version=version, order=1, key="death_certificate", name="死亡医学证明（推断）书",
                            source="shared_data", source_ref="WJ-SWZM", source_name="居民死亡医学证明信息",
                            subject_field="deceased_id")
    Material.objects.create(version=version, order=2, key="cremation", name="火化证明", source="applicant")
    ItemVersion.objects.filter(pk=version.pk).update(status="published")
    item.current = ItemVersion.objects.get(pk=version.pk)
    item.save()
    return {"item": item, "resource": swzm}


def _submit(person, item, form, consent=True):
    actor = Actor(user=person)
    upload = case_services.upload_material(actor, name="火化证明.pdf", data=PDF, key="cremation")
    case, _created = case_services.submit(actor, item_code=item.code, form=form,
                                          materials=[{"key": "cremation", "upload": upload.upload_token}],
                                          idempotency_key=secrets.token_hex(8), consent_data_sharing=consent)
    return case


def test_the_deceaseds_record_is_fetched_by_the_form_field_not_the_applicants(funeral, ex, settings):
    settings.CASE_FETCH_ON_SUBMIT = True
    alice = ex["alice"]
    case = _submit(alice, funeral["item"], {"deceased_name": "王大海", "deceased_id": DECEASED})
    row = case.materials.get(material_key="death_certificate")
    assert row.source == "shared_data"
    doc = json.loads(row.file.read())
    assert {f["key"]: f["value"] for f in doc["fields"]} == {"name": "王大海", "death_date": "2026-10-02",
                                                             "cause": "脑梗死"}
    assert doc["subject"] == mask_id_number(DECEASED) and doc["subject_role"] == "third_party"
    assert doc["subject_field"] == {"key": "deceased_id", "title": "逝者身份证号码"}
    assert doc["case_number"] == case.number

    # one query, for the deceased, logged with the case number and a purpose that says whose data
    [log] = QueryLog.objects.filter(case_number=case.number)
    assert log.subject_bidx == services.subject_bidx("resident_id", DECEASED) and log.outcome == "ok"
    assert not QueryLog.objects.filter(subject_bidx=services.subject_bidx("resident_id", alice.id_number)).exists()
    assert case.number in log.purpose and "“逝者身份证号码”所填人员" in log.purpose
    assert log.channel == "pipeline" and log.department_id == case.department_id

    # the submission's record (with the consent) and the exchange's say a third party's data was fetched
    event = case.events.get(action="submit")
    assert event.data["consent_data_sharing"] is True
    assert event.data["third_party_fetched"] == [{"key": "death_certificate", "subject_field": "deceased_id"}]
    fetched = AuditEvent.objects.filter(action="exchange.case_materials_fetched").latest("id")
    assert fetched.data["third_party"] == [{"key": "death_certificate", "name": "死亡医学证明（推断）书",
                                           "subject_field": "deceased_id", "subject_title": "逝者身份证号码",
                                           "subject": mask_id_number(DECEASED)}]


def test_a_licence_for_a_third_party_is_looked_up_for_that_person_only(funeral, ex, monkeypatch):
    from yiwang.catalog.models import Material

    calls = []

    class Library:
        def current_licence(self, number, type_code):
            calls.append(number)
            return None

        def newest_licence(self, number, type_code):
            return None

    monkeypatch.setattr(services, "licence_selectors", lambda: Library())
    Material.objects.filter(key="death_certificate").update(source="licence", source_ref="SWZM")
    case = _submit(ex["alice"], funeral["item"], {"deceased_name": "王大海", "deceased_id": DECEASED})
    assert calls == [DECEASED]
    [skip] = services.fetch_for_case_report(case).skipped
    assert skip["reason"] == "licence_not_found" and "“逝者身份证号码”所填人员" in skip["message"]
    assert calls == [DECEASED, DECEASED]
    assert QueryLog.objects.filter(case_number=case.number, outcome="licence_not_found").count() == 2


@pytest.mark.parametrize("form, message", [
    ({"deceased_name": "王大海"}, "请填写“逝者身份证号码”：平台据此调取“死亡医学证明（推断）书”，无需您上传。"),
    ({"deceased_name": "王大海", "deceased_id": DECEASED[:-1] + ("0" if DECEASED[-1] != "0" else "1")},
     "“逝者身份证号码”无效：身份证号码校验位错误，请核对后重新输入。"),
])
def test_a_missing_or_invalid_subject_id_is_a_precise_form_error(funeral, ex, form, message):
    with pytest.raises(ValidationFailed) as exc:
        _submit(ex["alice"], funeral["item"], form)
    assert exc.value.code == "form_invalid"
    assert exc.value.fields == {"form.deceased_id": [message]}
    assert not QueryLog.objects.exists() and not ex["alice"].cases.exists()


def test_the_apply_page_shows_it_is_fetched_once_the_number_is_filled_in(funeral, ex, client):
    client.force_login(ex["alice"])
    url = f"/cases/apply/{funeral['item'].code}/"
    page = client.get(url).content.decode()
    assert 'data-testid="third-party-death_certificate" data-filled="0"' in page
    assert "填写后由系统调取" in page and '<a href="#id_f_deceased_id">“逝者身份证号码”</a>' in page
    assert 'name="file_death_certificate"' not in page  # no upload box
    assert 'data-testid="consent-third-party"' in page
    # the submission without the number comes back with the error on the field
    r = client.post(url, {"idempotency_key": "k1", "f_deceased_name": "王大海", "consent_data_sharing": "1",
                          "action": "submit"})
    assert r.status_code == 400
    assert "请填写“逝者身份证号码”：平台据此调取" in r.content.decode()
    preview = selectors.fetch_preview(list(funeral["item"].current.materials.all()), person=ex["alice"],
                                      department_id=funeral["item"].department_id, item_code=funeral["item"].code,
                                      form_fields=[{"key": "deceased_id", "title": "逝者身份证号码",
                                                    "format": "resident_id"}],
                                      form={"deceased_id": DECEASED})
    assert preview["death_certificate"]["kind"] == "third_party" and preview["death_certificate"]["filled"] is True
    assert preview["death_certificate"]["provider"] == ex["other"].name
    assert not QueryLog.objects.exists()  # the preview never looks another person up


def test_a_conditional_third_party_material_without_the_number_is_not_fetched(funeral, ex, settings):
    from yiwang.catalog.models import Material

    Material.objects.filter(key="death_certificate").update(requirement="conditional", condition="在本市死亡的")
    settings.CASE_FETCH_ON_SUBMIT = True
    case = _submit(ex["alice"], funeral["item"], {"deceased_name": "王大海"})
    assert not case.materials.filter(material_key="death_certificate").exists()
    assert case.events.get(action="submit").data["not_fetched"] == ["death_certificate"]
    assert not QueryLog.objects.exists()  # nobody was looked up: certainly not the applicant
    [skip] = services.fetch_for_case_report(case).skipped
    assert skip["reason"] == "subject_missing" and "申请表未填写“逝者身份证号码”" in skip["message"]


def test_the_report_counts_a_third_party_material_only_with_a_valid_subject_field(funeral, ex, monkeypatch):
    from yiwang.catalog.models import Material
    from yiwang.exchange.models import DataRecord

    monkeypatch.setattr(coverage, "licence_selectors", lambda: None)
    # the registry of the dead holds nobody who can apply: only the deceased's record
    DataRecord.objects.filter(resource=funeral["resource"],
                              subject_bidx=services.subject_bidx("resident_id", ex["alice"].id_number)).delete()

    def mz():
        return {r["department"]: r for r in coverage.compute()["rows"]}[ex["other"].code]

    row = mz()
    assert (row["target"], row["satisfied"], row["gaps"]) == (1, 1, [])
    # without the subject field the pipeline would look the applicant up and find nothing
    Material.objects.filter(key="death_certificate").update(subject_field="")
    row = mz()
    assert row["satisfied"] == 0
    assert [(g["ref"], g["reason"]) for g in row["gaps"]] == [("WJ-SWZM", coverage.NO_APPLICANT_DATA)]
    # a subject field that is not an ID field of the form is no better
    Material.objects.filter(key="death_certificate").update(subject_field="bank_account")
    assert [g["reason"] for g in mz()["gaps"]] == [coverage.SUBJECT_FIELD_INVALID]
    # the field is right, but the source has no data
    Material.objects.filter(key="death_certificate").update(subject_field="deceased_id")
    DataRecord.objects.filter(resource=funeral["resource"]).delete()
    assert [g["reason"] for g in mz()["gaps"]] == ["未汇聚数据"]


def test_a_bundle_asks_for_the_number_once_and_each_part_fetches_for_it(funeral, ex, settings):
    from yiwang.catalog.models import Bundle, BundleItem

    settings.CASE_FETCH_ON_SUBMIT = True
    bundle = Bundle.objects.create(code="YJS-T-SHS", name="身后事", life_event="closure", department=ex["other"],
                                   status="published")
    BundleItem.objects.create(bundle=bundle, item=funeral["item"], order=1)
    actor = Actor(user=ex["alice"])

    def submit(form):
        upload = case_services.upload_material(actor, name="火化证明.pdf", data=PDF, key="cremation")
        return case_services.submit(actor, bundle_code=bundle.code, form=form,
                                    materials=[{"key": "cremation", "upload": upload.upload_token}],
                                    idempotency_key=secrets.token_hex(8), consent_data_sharing=True)[0]

    with pytest.raises(ValidationFailed) as exc:
        submit({"deceased_name": "王大海"})
    assert list(exc.value.fields) == ["form.deceased_id"] and "请填写“逝者身份证号码”" in exc.value.fields["form.deceased_id"][0]
    parent = submit({"deceased_name": "王大海", "deceased_id": DECEASED})
    [part] = parent.children.all()
    doc = json.loads(part.materials.get(material_key="death_certificate").file.read())
    assert doc["subject"] == mask_id_number(DECEASED)
    assert part.events.get(action="submit").data["third_party_fetched"] == [
        {"key": "death_certificate", "subject_field": "deceased_id"}]
    assert QueryLog.objects.get(case_number=part.number).subject_bidx == services.subject_bidx("resident_id", DECEASED)
