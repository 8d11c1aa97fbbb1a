"""A material may be about another person named in the application (the deceased's death
certificate, a child's birth certificate): the catalog names the form field that carries that
person's ID number (``subject_field``). The field must be a resident-ID or USCC field of the item's
own form — every channel (services, API, JSON and Excel import) refuses anything else, naming the
material and, in a workbook, the cell; export and import carry the column."""

from __future__ import annotations

import copy
import io
import json

import pytest
from openpyxl import load_workbook

from yiwang.accounts.actor import staff_actor
from yiwang.catalog import services, transfer
from yiwang.catalog.models import Material, ServiceItem
from yiwang.catalog.permissions import SYSTEM
from yiwang.core.errors import ValidationFailed

from .factories import item

pytestmark = pytest.mark.django_db

DEATH_CERTIFICATE = {"key": "death_certificate", "name": "死亡医学证明（推断）书", "requirement": "required",
                     "form": "original", "copies": 1, "source": "shared_data", "source_ref": "WJ-SWZM",
                     "source_name": "居民死亡医学证明信息", "subject_field": "deceased_id"}


def funeral_item(**material_changes) -> dict:
    data = item(code="329002050003200001", basic_code="0500032000", name="惠民殡葬补贴申领", item_type="05",
                result_type="3", result_name="基本殡葬服务费用减免", licence_type="", life_events=["closure"])
    form = copy.deepcopy(data["form_schema"])
    form["properties"]["deceased_name"] = {"type": "string", "title": "逝者姓名", "maxLength": 30}
    form["properties"]["deceased_id"] = {"type": "string", "title": "逝者身份证号码", "format": "resident_id"}
    form["required"] = [*form["required"], "deceased_name", "deceased_id"]
    data["form_schema"] = form
    data["materials"] = [{**DEATH_CERTIFICATE, **material_changes}, *data["materials"][2:]]
    return data


@pytest.fixture
def editor(org, make_staff):
    return staff_actor(make_staff("reviewer", org["dept"]))


def test_a_material_names_the_id_field_of_the_person_it_is_about(editor):
    version = services.create_item(editor, funeral_item())
    m = version.materials.get(key="death_certificate")
    assert m.subject_field == "deceased_id" and m.about_third_party
    assert not version.materials.get(key="food_safety_rules").subject_field


@pytest.mark.parametrize("changes, words", [
    ({"subject_field": "shop_name"}, "不是身份证号码或统一社会信用代码字段"),  # a field, but not an ID
    ({"subject_field": "spouse_id"}, "不是本事项申请表中的字段"),  # no such field in the form
    ({"subject_field": "deceased_id", "source": "applicant", "source_ref": "", "source_name": ""},
     "申请人自备的材料不填写数据主体字段"),
])
def test_the_catalog_refuses_a_subject_field_that_is_not_an_id_field_of_the_form(editor, changes, words):
    with pytest.raises(ValidationFailed) as exc:
        services.create_item(editor, funeral_item(**changes))
    assert exc.value.code == "item_invalid"
    assert words in exc.value.fields["materials[1].subject_field"][0]
    assert ServiceItem.objects.count() == 0


def test_a_draft_cannot_drop_the_field_its_material_is_fetched_by(editor):
    version = services.create_item(editor, funeral_item())
    form = copy.deepcopy(version.form_schema)
    del form["properties"]["deceased_id"]
    form["required"].remove("deceased_id")
    form["x-order"].remove("deceased_id")
    with pytest.raises(ValidationFailed) as exc:
        services.update_draft(editor, version, {"form_schema": form})
    assert "不是本事项申请表中的字段" in exc.value.fields["materials[1].subject_field"][0]
    version.refresh_from_db()
    assert "deceased_id" in version.form_schema["properties"]


def test_export_and_import_carry_the_subject_field(org):
    report = transfer.import_data(SYSTEM, {"items": [funeral_item()], "bundles": []}, publish=True)
    assert report.ok, [str(p) for p in report.problems]
    data = json.loads(transfer.export_json())
    assert data["items"][0]["materials"][0]["subject_field"] == "deceased_id"
    assert transfer.import_catalog(SYSTEM, transfer.export_json(), fmt="json", publish=True).unchanged

    wb = load_workbook(io.BytesIO(transfer.export_xlsx()))
    mats = wb["申请材料"]
    header = [c.value for c in mats[1]]
    col = header.index("数据主体字段") + 1
    assert mats.cell(row=2, column=col).value == "deceased_id"
    assert transfer.import_catalog(SYSTEM, transfer.export_xlsx(), fmt="xlsx", publish=True).unchanged

    # a workbook whose material names a field that is not an ID field: the cell is named, nothing saved
    mats.cell(row=2, column=col, value="shop_name")
    out = io.BytesIO()
    wb.save(out)
    report = transfer.import_catalog(SYSTEM, out.getvalue(), fmt="xlsx", publish=True)
    assert not report.ok
    [problem] = [p for p in report.problems if p.column == "subject_field"]
    letter = mats.cell(row=1, column=col).column_letter
    assert (problem.sheet, problem.row, problem.cell) == ("申请材料", 2, f"{letter}2")
    assert "不是身份证号码或统一社会信用代码字段" in problem.message
    assert Material.objects.get(key="death_certificate").subject_field == "deceased_id"


def test_the_guide_says_whose_number_the_material_is_fetched_by(org, client):
    transfer.import_data(SYSTEM, {"items": [funeral_item()], "bundles": []}, publish=True)
    code = funeral_item()["code"]
    guide = client.get(f"/api/v1/catalog/items/{code}").json()
    death = next(m for m in guide["materials"] if m["key"] == "death_certificate")
    assert (death["subject_field"], death["subject_title"]) == ("deceased_id", "逝者身份证号码")
    page = client.get(f"/services/items/{code}/").content.decode()
    assert "按申请表中填写的“逝者身份证号码”调取" in page
