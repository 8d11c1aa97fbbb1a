"""Import and export of the whole catalog as JSON and Excel: every problem is reported with its
row and column before anything is saved, and a bad file changes nothing."""

from __future__ import annotations

import io
import json

import pytest
from openpyxl import Workbook, load_workbook

from yiwang.accounts.actor import staff_actor
from yiwang.catalog import services, transfer
from yiwang.catalog.models import Bundle, ItemVersion, ServiceItem
from yiwang.catalog.permissions import SYSTEM

from .factories import item

pytestmark = pytest.mark.django_db


def snapshot():
    return (
        list(ItemVersion.objects.order_by("pk").values_list("pk", "status", "name", "promised_limit_days")),
        list(ServiceItem.objects.order_by("pk").values_list("pk", "current_id")),
        list(Bundle.objects.order_by("pk").values_list("pk", "status", "name")),
    )


@pytest.fixture
def catalog(org):
    second = item(code="329002070001000001", basic_code="0700010000", name="个体工商户设立登记",
                  item_type="07", result_type="1", result_name="营业执照", licence_type="YYZZ",
                  aliases="开店执照、办个体执照", form_schema={})
    second["materials"] = second["materials"][:2] + [
        {"key": "premises_proof", "name": "经营场所使用证明", "requirement": "required", "form": "copy",
         "copies": 1, "source": "applicant"}]
    transfer.import_data(SYSTEM, {"items": [item(), second], "bundles": [
        {"code": "YJS-CYD", "name": "开办餐饮店", "life_event": "startup", "department": "YX-SCJG",
         "aliases": "开饭店", "summary": "一次办好营业执照和食品经营许可",
         "items": [{"item": second["code"]}, {"item": item()["code"], "note": "经营食品时"}]}]}, publish=True)
    return org


def test_json_round_trip_changes_nothing(catalog):
    raw = transfer.export_json()
    data = json.loads(raw)
    assert [i["name"] for i in data["items"]] == ["食品经营许可", "个体工商户设立登记"]
    assert data["items"][0]["materials"][0]["source"] == "licence"
    assert data["bundles"][0]["items"][1] == {"item": "329002010001700001", "note": "经营食品时"}
    before = snapshot()
    report = transfer.import_catalog(SYSTEM, raw, fmt="json", publish=True)
    assert report.ok and report.unchanged == ["329002010001700001", "329002070001000001"]
    assert not report.created and not report.updated and not report.bundles_updated
    assert snapshot() == before


def test_excel_round_trip_changes_nothing(catalog):
    raw = transfer.export_xlsx()
    wb = load_workbook(io.BytesIO(raw))
    assert wb.sheetnames == ["事项", "申请材料", "一件事", "一件事事项", "填写说明"]
    assert wb["事项"]["A1"].value == "实施编码" and wb["事项"]["A2"].value == "329002010001700001"
    before = snapshot()
    report = transfer.import_catalog(SYSTEM, raw, fmt="xlsx", publish=True)
    assert report.ok, [str(p) for p in report.problems]
    assert len(report.unchanged) == 2 and not report.updated
    assert snapshot() == before


def test_a_changed_item_becomes_a_new_published_version(catalog):
    data = transfer.export_data()
    data["items"][0]["promised_limit_days"] = 1
    data["items"].append(item(code="329002010001700002", name="食品经营许可（变更）", basic_code="0100017001"))
    report = transfer.import_data(SYSTEM, {"items": data["items"], "bundles": data["bundles"]}, publish=True)
    assert report.ok
    assert report.updated == ["329002010001700001"] and report.created == ["329002010001700002"]
    food = ServiceItem.objects.get(code="329002010001700001")
    assert food.current.number == 2 and food.current.promised_limit_days == 1
    assert food.versions.get(number=1).status == "retired"


def test_a_bad_json_file_reports_every_problem_and_changes_nothing(catalog):
    data = transfer.export_data()
    data["items"][0]["promised_limit_days"] = 1  # a valid change, but the file is bad elsewhere
    data["items"][1]["name"] = ""
    data["items"][1]["item_type"] = "行政许可证"
    data["items"][1]["materials"][2]["copies"] = -1
    data["bundles"][0]["items"].append({"item": "NOPE-0001"})
    before = snapshot()
    report = transfer.import_data(SYSTEM, {"items": data["items"], "bundles": data["bundles"]}, publish=True)
    assert not report.ok
    found = {(p.sheet, p.row, p.column) for p in report.problems}
    assert ("items", 2, "name") in found
    assert ("items", 2, "item_type") in found
    assert ("items", 2, "materials[3].copies") in found
    assert ("bundles", 1, "items[3].item") in found
    assert snapshot() == before


@pytest.mark.parametrize("raw, fmt, words", [
    (b"", "json", "空"),
    (b"{not json", "json", "JSON"),
    (b'{"format": "other"}', "json", "format"),
    ("不是表格".encode(), "xlsx", "Excel"),
    (b"PK\x03\x04broken zip", "xlsx", "Excel"),
    (b"{}", "csv", "JSON 或 Excel"),
])
def test_malformed_files_are_refused_clearly(catalog, raw, fmt, words):
    before = snapshot()
    report = transfer.import_catalog(SYSTEM, raw, fmt=fmt)
    assert not report.ok and len(report.problems) == 1 and words in report.problems[0].message
    assert snapshot() == before


def _workbook_bytes(wb) -> bytes:
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_excel_problems_name_sheet_row_and_cell(catalog):
    wb = load_workbook(io.BytesIO(transfer.export_xlsx()))
    items = wb["事项"]
    header = [c.value for c in items[1]]
    col = {name: i + 1 for i, name in enumerate(header)}
    items.cell(row=3, column=col["事项类型"], value="许可")  # not a code
    items.cell(row=2, column=col["承诺办结时限（工作日）"], value="三天")  # not a number
    items.cell(row=2, column=col["办理流程"], value="{broken")  # not JSON
    mats = wb["申请材料"]
    mats.cell(row=3, column=4, value="可能需要")  # 必要性
    mats.append(["NO-SUCH-ITEM", "x", "某材料", "必要", "", "原件", 1, "申请人自备"])
    before = snapshot()
    report = transfer.import_catalog(SYSTEM, _workbook_bytes(wb), fmt="xlsx", publish=True)
    assert not report.ok
    cells = {(p.sheet, p.cell): p.message for p in report.problems}
    letter = lambda name: items.cell(row=1, column=col[name]).column_letter  # noqa: E731
    assert ("事项", f"{letter('事项类型')}3") in cells
    assert ("事项", f"{letter('承诺办结时限（工作日）')}2") in cells
    assert ("事项", f"{letter('办理流程')}2") in cells
    assert ("申请材料", "D3") in cells
    assert any(p.sheet == "申请材料" and p.row == mats.max_row and p.column == "item" for p in report.problems)
    assert snapshot() == before


def test_unknown_and_missing_columns(catalog):
    wb = Workbook()
    ws = wb.active
    ws.title = "事项"
    ws.append(["实施编码", "事项名称", "奇怪的列"])
    ws.append(["329002999990000001", "某事项", "x"])
    report = transfer.import_catalog(SYSTEM, _workbook_bytes(wb), fmt="xlsx")
    assert not report.ok
    messages = [str(p) for p in report.problems]
    assert any("未知的列名" in m and "C1" in m for m in messages)
    assert any("缺少必填列“事项类型”" in m for m in messages)
    assert ServiceItem.objects.count() == 2


def test_department_staff_import_only_their_own_items(catalog, make_staff):
    reviewer = staff_actor(make_staff("reviewer", catalog["dept"]))
    other = staff_actor(make_staff("reviewer", catalog["other_dept"], username="mz_reviewer"))
    data = transfer.export_data()
    data["items"][0]["summary"] = "更新后的说明"
    payload = {"items": data["items"][:1], "bundles": []}
    report = transfer.import_data(other, payload)
    assert not report.ok and "无权导入" in report.problems[0].message
    report = transfer.import_data(reviewer, payload, publish=True)
    assert not report.ok and "无权发布" in report.problems[0].message
    report = transfer.import_data(reviewer, payload)  # as a draft for the head to review
    assert report.ok and report.updated == ["329002010001700001"]
    food = ServiceItem.objects.get(code="329002010001700001")
    assert food.current.number == 1 and food.versions.get(number=2).status == "draft"
    # while that draft is open, a different import of the same item is refused
    payload["items"][0]["summary"] = "又一次更新"
    report = transfer.import_data(reviewer, payload)
    assert not report.ok and "尚未发布的第 2 版" in report.problems[0].message


def test_services_and_import_agree_on_bundles(catalog):
    b = Bundle.objects.get(code="YJS-CYD")
    assert b.status == "published" and b.entries.count() == 2
    with pytest.raises(Exception) as exc:
        services.save_bundle(SYSTEM, {"code": "YJS-X", "name": "x", "life_event": "birth",
                                      "department": "YX-SCJG", "items": [{"item": "329002010001700001"}]})
    assert "至少包含两个事项" in str(exc.value.fields)
