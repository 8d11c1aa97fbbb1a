"""免提交 in the browser: a citizen who holds an electronic licence applies online; the form shows the
licence (and the shared record) that will be fetched instead of an upload box, the materials no
department holds still ask for a file, and the case lists the licence as fetched from the library."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from .support import format_violations, login_citizen, run_axe

pytestmark = pytest.mark.e2e

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

MATERIALS = [
    # key, name, required, source, source_ref
    ("application_form", "公共租赁住房申请表", True, "applicant", ""),
    ("marriage_certificate", "结婚证", True, "licence", "JHZ"),
    ("household_register", "居民户口簿", True, "shared_data", "GA-HJXX"),
    ("residence_permit", "居住证", False, "licence", "JZZ"),
    ("income_proof", "家庭收入证明", True, "applicant", ""),
]


def _published_item(department):
    from yiwang.catalog.models import ItemVersion, Material, ServiceItem

    item = ServiceItem.objects.create(code="11329002E2EL0001", basic_code="00099901", department=department,
                                      name="公共租赁住房资格申请")
    version = ItemVersion.objects.create(
        item=item, number=1, status="review", name=item.name, item_type="20", basic_code=item.basic_code,
        legal_basis="《公共租赁住房管理办法》", acceptance_conditions="本区户籍或持有居住证的住房困难家庭",
        service_objects="1", statutory_limit_days=20, promised_limit_days=15, case_type="2", visits=0,
        online_depth=4, handling_place="云溪区政务服务中心", handling_hours="工作日 9:00-17:00",
        consultation="12345", complaint="12345", result_type="2", result_name="公共租赁住房资格确认书",
        form_schema={"type": "object", "properties": {
            "family_size": {"type": "integer", "title": "家庭人口数", "minimum": 1, "maximum": 20}},
            "required": ["family_size"]})
    for i, (key, name, required, source, ref) in enumerate(MATERIALS):
        Material.objects.create(version=version, order=i, key=key, name=name, source=source, source_ref=ref,
                                source_name={"JHZ": "结婚证", "JZZ": "居住证", "GA-HJXX": "人口户籍信息"}.get(ref, ""),
                                requirement="required" if required else "conditional",
                                condition="" if required else "非本区户籍的提供")
    ItemVersion.objects.filter(pk=version.pk).update(status="published")
    item.current = ItemVersion.objects.get(pk=version.pk)
    item.save()
    return item


@pytest.fixture
def world(org, make_citizen):
    """A citizen with a 结婚证 from the civil affairs bureau and a household record at the police
    bureau (granted to the platform's pipeline); an item that needs both, a residence permit she
    does not have, and two documents only she can provide."""
    from django.utils import timezone

    from yiwang.core.identity import make_uscc
    from yiwang.core.models import Department
    from yiwang.core.workdays import end_of_day
    from yiwang.exchange import services as exchange
    from yiwang.exchange.models import DataResource, Grant, ShareRequest
    from yiwang.licences import services as licences
    from yiwang.licences.models import LicenceType

    police = Department.objects.create(code="YX-GA", name="江东市公安局云溪分局", short_name="云溪公安分局",
                                       uscc=make_uscc("11", "329002", "MB000011"), division=org["district"])
    platform = Department.objects.create(code="YX-ZWB", name="云溪区政务服务管理办公室", short_name="区政务办",
                                         uscc=make_uscc("11", "329002", "MB000012"), division=org["district"])
    LicenceType.objects.create(code="JHZ", name="结婚证", holder_kind="person", issuer=org["other_dept"],
                               fields=[{"key": "spouse", "label": "配偶姓名"}])
    LicenceType.objects.create(code="JZZ", name="江东省居住证", holder_kind="person", issuer=police, validity_years=1)
    citizen = make_citizen(name="李秀兰")
    married_on = date(2019, 5, 20)
    licence = licences.issue(type_code="JHZ", user=citizen, data={"spouse": "陈建国", "registered_on": "2019-05-20"},
                             valid_from=married_on)
    hj = DataResource.objects.create(
        code="GA-HJXX", name="人口户籍信息", provider=police, subject_kind="resident_id",
        fields=[{"key": "name", "name": "姓名"}, {"key": "address", "name": "住址"}],
        legal_basis="《中华人民共和国户口登记条例》", share_class="unconditional", status="published",
        published_at=timezone.now())
    exchange.store_records(hj, "full", [(exchange.subject_bidx("resident_id", citizen.id_number),
                                         {"name": "李秀兰", "address": "望江路 8 号"}, None)])
    until = timezone.localdate() + timedelta(days=365)
    request = ShareRequest.objects.create(resource=hj, requester=platform, purpose="办件免提交材料调取",
                                          fields=["name", "address"], requested_until=until, status="approved",
                                          decided_at=timezone.now())
    Grant.objects.create(resource=hj, grantee=platform, request=request, fields=["name", "address"],
                         purpose=request.purpose, expires_at=end_of_day(until))
    return {"citizen": citizen, "licence": licence, "item": _published_item(org["dept"]),
            "issuer": org["other_dept"], "police": police}


def test_a_licence_holder_sees_it_fetched_instead_of_uploading_it(page, world):
    from yiwang.cases.models import Case, CaseMaterial
    from yiwang.exchange.models import QueryLog

    failures: list[str] = []
    citizen, licence, item = world["citizen"], world["licence"], world["item"]
    login_citizen(page, citizen)
    page.goto(f"/cases/apply/{item.code}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("公共租赁住房资格申请")

    # her marriage certificate: named, identified, its issuing department shown, marked 免提交, no upload box
    marriage = page.locator("#material-marriage_certificate")
    expect(marriage.get_by_test_id("exempt-marriage_certificate")).to_have_text("免提交")
    fetched = page.get_by_test_id("fetched-marriage_certificate")
    expect(fetched).to_contain_text("结婚证")
    expect(fetched).to_contain_text(licence.identifier)
    expect(fetched).to_contain_text(licence.number)
    expect(fetched).to_contain_text("云溪区民政局")
    expect(marriage.locator("input[type=file]")).to_have_count(0)
    # the household register: the police bureau's shared record, also without an upload box
    household = page.locator("#material-household_register")
    expect(household.get_by_test_id("exempt-household_register")).to_be_visible()
    expect(household.get_by_test_id("fetched-household_register")).to_contain_text("江东市公安局云溪分局")
    expect(household.locator("input[type=file]")).to_have_count(0)
    # what no department holds for her still asks for a file: her own documents, and the residence
    # permit the library has no valid one of (saying so)
    expect(page.get_by_label("公共租赁住房申请表")).to_have_attribute("type", "file")
    expect(page.get_by_label("家庭收入证明")).to_have_attribute("type", "file")
    permit = page.locator("#material-residence_permit")
    expect(permit.locator("input[type=file]")).to_have_count(1)
    expect(permit.get_by_test_id("not-held-residence_permit")).to_contain_text("电子证照库中没有申请人有效的“居住证”")
    expect(permit.get_by_test_id("exempt-residence_permit")).to_have_count(0)
    # nothing was fetched or logged just by looking at the form
    assert not QueryLog.objects.exists()
    violations = run_axe(page)
    if violations:
        failures.append(format_violations("apply form with fetched materials", violations))

    page.get_by_label("家庭人口数（必填）").fill("3")
    page.get_by_label("公共租赁住房申请表").set_input_files(
        {"name": "申请表.pdf", "mimeType": "application/pdf", "buffer": PDF})
    page.get_by_label("家庭收入证明").set_input_files(
        {"name": "收入证明.pdf", "mimeType": "application/pdf", "buffer": PDF})
    page.get_by_label("我同意本次办理调取我的电子证照和部门共享数据").check()
    with page.expect_navigation():
        page.get_by_test_id("submit").click()
    number = page.get_by_test_id("case-number").inner_text()
    assert re.fullmatch(r"329002\d{14}", number)

    with page.expect_navigation():
        page.get_by_test_id("case-link").click()
    row = page.get_by_test_id("material-marriage_certificate")
    expect(row).to_have_attribute("data-source", "licence")
    expect(row).to_contain_text("从电子证照库调取")
    expect(row).to_contain_text(licence.identifier)
    expect(page.get_by_test_id("material-household_register")).to_have_attribute("data-source", "shared_data")
    expect(page.get_by_test_id("material-income_proof")).to_contain_text("申请人提交")
    expect(page.get_by_test_id("material-residence_permit")).to_have_attribute("data-source", "not-fetched")
    violations = run_axe(page)
    if violations:
        failures.append(format_violations("case page with fetched materials", violations))

    case = Case.objects.get(number=number)
    assert case.consent_data_sharing and case.events.get(action="submit").data["consent_data_sharing"] is True
    got = {m.material_key: m for m in CaseMaterial.objects.filter(case=case)}
    assert got["marriage_certificate"].source == "licence" and got["marriage_certificate"].uploaded_by is None
    assert got["income_proof"].source == "applicant" and "residence_permit" not in got
    # each fetch logged as a query with the case number, and shown to her under 我的数据使用记录
    logs = {log.resource_code: log for log in QueryLog.objects.filter(case_number=number)}
    assert logs["JHZ"].outcome == "ok" and logs["JHZ"].kind == "licence"
    assert logs["GA-HJXX"].outcome == "ok" and logs["GA-HJXX"].fields_returned == ["name", "address"]
    assert logs["JZZ"].outcome == "licence_not_found"
    page.goto("/exchange/my-data/")
    expect(page.get_by_test_id("usage-row").filter(has_text="结婚证")).to_contain_text(number)
    assert not failures, "\n\n".join(failures)
