"""Life-event bundles (一件事一次办): one guide over items of several departments, with materials
asked once and one combined form."""

from __future__ import annotations

import pytest

from yiwang.catalog import formschema, selectors, services, transfer
from yiwang.catalog.models import Bundle
from yiwang.catalog.permissions import SYSTEM
from yiwang.core.errors import Conflict

from .factories import item

pytestmark = pytest.mark.django_db

LICENCE_FORM = {"type": "object", "properties": {
    "applicant_name": {"type": "string", "title": "申请人姓名"},
    "applicant_id": {"type": "string", "title": "身份证号码", "format": "resident_id"},
    "shop_name": {"type": "string", "title": "字号名称"},
    "capital": {"type": "number", "title": "资金数额（万元）"},
}, "required": ["applicant_name", "shop_name"]}


@pytest.fixture
def bundle(org):
    food = item()
    licence = item(code="329002070001000001", basic_code="0700010000", name="个体工商户设立登记",
                   item_type="07", result_name="营业执照", licence_type="YYZZ", form_schema=LICENCE_FORM,
                   promised_limit_days=1, department="YX-MZ")  # a second department
    licence["materials"] = [
        # the same ID card as the food licence, but as a copy from the applicant
        {"key": "resident_id_card", "name": "经营者身份证件", "requirement": "required", "form": "copy",
         "copies": 2, "source": "applicant"},
        {"key": "premises_proof", "name": "经营场所使用证明", "requirement": "required", "form": "copy",
         "copies": 1, "source": "applicant"},
        {"key": "agent_authorisation", "name": "授权委托书", "requirement": "conditional",
         "condition": "委托代理人办理时", "form": "original", "copies": 1, "source": "applicant"},
    ]
    report = transfer.import_data(SYSTEM, {"items": [licence, food], "bundles": [
        {"code": "YJS-CYD", "name": "开办餐饮店", "life_event": "startup", "department": "YX-SCJG",
         "summary": "营业执照和食品经营许可一次申请", "items": [{"item": licence["code"]}, {"item": food["code"]}]}]},
        publish=True)
    assert report.ok, [str(p) for p in report.problems]
    return Bundle.objects.get(code="YJS-CYD")


def test_bundle_guide_merges_and_deduplicates_materials(bundle):
    g = selectors.bundle_guide(bundle)
    assert [i["name"] for i in g["items"]] == ["个体工商户设立登记", "食品经营许可"]
    assert g["departments"] == ["云溪区市场监督管理局", "云溪区民政局"]
    assert g["materials_before"] == 7 and g["materials_after"] == 5
    by_key = {m["key"]: m for m in g["materials"]}
    card = by_key["resident_id_card"]
    # asked once for both items; the licence library has it, so nobody brings it; most copies win
    assert card["items"] == ["个体工商户设立登记", "食品经营许可"]
    assert card["source"] == "licence" and card["applicant_submits"] is False and card["copies"] == 2
    agent = by_key["agent_authorisation"]
    assert agent["required"] is False and agent["conditions"] == ["委托代理人办理时", "委托他人代办时提供"]
    assert g["promised_days"] == 3  # the slowest item
    assert g["visits"] == 0 and "全程网办" in g["answer"]


def test_bundle_has_one_combined_form(bundle):
    g = selectors.bundle_guide(bundle)
    keys = [f["key"] for f in g["form_fields"]]
    assert keys == ["applicant_name", "applicant_id", "shop_name", "capital", "phone", "area", "category"]
    assert set(g["form_schema"]["required"]) == {"applicant_name", "shop_name", "applicant_id", "phone"}
    errors = formschema.validate_form(g["form_schema"], {"applicant_name": "王芳", "shop_name": "王记面馆"})
    assert set(errors) == {"applicant_id", "phone"}
    ok = formschema.validate_form(g["form_schema"], {
        "applicant_name": "王芳", "shop_name": "王记面馆", "applicant_id": "11010519491231002X",
        "phone": "13800138000", "category": "热食类"})
    assert ok == {}


def test_form_validation_messages():
    errors = formschema.validate_form(LICENCE_FORM | {"required": ["applicant_name"]}, {
        "applicant_id": "110105194912310021", "capital": "很多", "extra": 1})
    assert errors["applicant_name"] == ["此项为必填项。"]
    assert "格式不正确" in errors["applicant_id"][0]
    assert "格式不正确" in errors["capital"][0]
    assert errors["extra"] == ["申请表中没有该项。"]
    assert formschema.validate_form(LICENCE_FORM, "not a dict") == {"_": ["申请表内容应为 JSON 对象。"]}


def test_a_bundle_cannot_be_published_with_an_unpublished_item(bundle, org):
    services.retire_bundle(SYSTEM, bundle)
    licence = bundle.entries.first().item
    services.retire_item(SYSTEM, licence, "测试")
    with pytest.raises(Conflict) as exc:
        services.publish_bundle(SYSTEM, bundle)
    assert exc.value.code == "bundle_items_unpublished"
    g = selectors.bundle_guide(bundle)
    assert [i["published"] for i in g["items"]] == [False, True]
