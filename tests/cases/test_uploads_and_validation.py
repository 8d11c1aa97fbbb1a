"""Materials and forms: POST /api/v1/cases/uploads sniffs the type from the content (PDF, JPEG and
PNG only), limits the size and runs every file past the virus-scan hook; a submission with a bad
form or missing materials is refused with every problem listed, and leaves nothing half-written."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from yiwang.cases.models import Case, CaseEvent, CaseMaterial, IdempotencyKey
from yiwang.core.audit import AuditEvent

from .flows import EICAR, FORM, JPEG, PDF, PNG

pytestmark = pytest.mark.django_db

SCANNED: list = []


def recording_scanner(data: bytes, name: str) -> None:
    """A stand-in for ClamAV: records what it saw and refuses files containing "MALWARE"."""
    from yiwang.cases.uploads import InfectedFile

    SCANNED.append((name, len(data)))
    if b"MALWARE" in data:
        raise InfectedFile(f"{name} 未通过病毒检查")


def _upload(flow, who, data, name, key="application_form"):
    return flow.client.post("/api/v1/cases/uploads", {"file": SimpleUploadedFile(name, data), "key": key},
                            headers=flow.headers(who))


@pytest.mark.parametrize(("data", "name", "sniffed"), [
    (PDF, "申请书.pdf", "application/pdf"),
    (PNG, "营业执照.png", "image/png"),
    (JPEG, "身份证正面.jpg", "image/jpeg"),
    (PNG, "扫描件.pdf", "image/png"),  # the name lies; the content decides
    (JPEG, "photo", "image/jpeg"),
])
def test_pdf_and_images_are_accepted_by_content(flow, data, name, sniffed):
    r = _upload(flow, "citizen", data, name)
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["content_type"] == sniffed and body["size"] == len(data) and body["name"] == name
    row = CaseMaterial.objects.get(upload_token=body["upload"])
    assert row.case_id is None and row.uploaded_by == flow.user("citizen")
    assert row.file.read() == data


@pytest.mark.parametrize(("data", "name", "code"), [
    (b"just some text, not a PDF", "申请书.pdf", "upload_type_not_allowed"),
    (b"<html><script>alert(1)</script></html>", "photo.jpg", "upload_type_not_allowed"),
    (b"GIF89a\x01\x00\x01\x00", "动图.gif", "upload_type_not_allowed"),
    (b"PK\x03\x04 a zip", "材料.pdf", "upload_type_not_allowed"),
    (b"", "空文件.pdf", "upload_empty"),
    (PDF + b"\n" + EICAR + b"\n", "申请书.pdf", "upload_infected"),
])
def test_bad_files_are_refused_with_a_precise_code(flow, data, name, code):
    r = _upload(flow, "citizen", data, name)
    assert r.status_code == 422, r.content
    assert r.json()["code"] == code and name in r.json()["message"]
    assert not CaseMaterial.objects.exists()


@override_settings(CASE_UPLOAD_MAX_BYTES=2048)
def test_size_limit_is_a_setting(flow):
    ok = _upload(flow, "citizen", PDF + b"0" * (2048 - len(PDF)), "刚好.pdf")
    assert ok.status_code == 201
    r = _upload(flow, "citizen", PDF + b"0" * 2048, "太大.pdf")
    assert r.status_code == 422 and r.json()["code"] == "upload_too_large"
    assert "2 KB" in r.json()["message"]
    assert CaseMaterial.objects.count() == 1


@override_settings(CASE_UPLOAD_SCANNER=f"{__name__}.recording_scanner")
def test_the_virus_scan_hook_is_pluggable(flow):
    SCANNED.clear()
    assert _upload(flow, "citizen", PDF, "干净.pdf").status_code == 201
    r = _upload(flow, "citizen", PDF + b"MALWARE", "有毒.pdf")
    assert r.status_code == 422 and r.json()["code"] == "upload_infected"
    assert SCANNED == [("干净.pdf", len(PDF)), ("有毒.pdf", len(PDF) + 7)]
    # the hook replaces the default: EICAR is this scanner's business now
    assert _upload(flow, "citizen", PDF + EICAR, "eicar.pdf").status_code == 201


def test_uploads_need_a_login(flow):
    r = _upload(flow, None, PDF, "申请书.pdf")
    assert r.status_code == 401
    assert not CaseMaterial.objects.exists()


def test_a_missing_file_part_is_a_422_not_a_500(flow):
    r = flow.client.post("/api/v1/cases/uploads", {"key": "application_form"}, headers=flow.headers("citizen"))
    assert r.status_code == 422 and r.json()["code"] == "validation_error"


# -- submissions ---------------------------------------------------------------------------------
def _submit(flow, who, item, form=None, materials=(), key="s-1"):
    return flow.post(who, "/api/v1/cases", {"item_code": item.code, "form": FORM if form is None else form,
                                             "materials": list(materials)}, headers={"Idempotency-Key": key})


def _nothing_written():
    assert not Case.objects.exists()
    assert not CaseEvent.objects.exists()
    assert not IdempotencyKey.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="case.").exists()


def test_someone_elses_upload_cannot_be_attached(flow):
    item = flow.item()
    theirs = flow.upload("citizen_b")
    r = _submit(flow, "citizen", item, materials=[{"key": "application_form", "upload": theirs}])
    assert r.status_code == 422 and r.json()["code"] == "upload_invalid"
    assert "materials.application_form" in r.json()["fields"]
    _nothing_written()
    assert CaseMaterial.objects.get(upload_token=theirs).case_id is None  # still theirs to use


def test_an_upload_is_attached_once(flow):
    item = flow.item()
    token = flow.upload()
    assert _submit(flow, "citizen", item, materials=[{"key": "application_form", "upload": token}]).status_code == 201
    r = _submit(flow, "citizen", item, materials=[{"key": "application_form", "upload": token}], key="s-2")
    assert r.status_code == 422 and r.json()["code"] == "upload_invalid"
    assert Case.objects.count() == 1


def test_missing_materials_are_listed_all_at_once(flow):
    item = flow.item(materials=[
        ("application_form", "申请书", True, "applicant"),
        ("premises_proof", "经营场所使用证明", True, "applicant"),
        ("health_certificate", "从业人员健康证明", True, "applicant"),
        ("agent_letter", "授权委托书", False, "applicant"),  # conditional: not demanded
        ("business_licence", "营业执照", True, "licence"),  # fetched from the licence library
    ])
    token = flow.upload()
    r = _submit(flow, "citizen", item, materials=[{"key": "application_form", "upload": token}])
    assert r.status_code == 422 and r.json()["code"] == "materials_missing"
    assert set(r.json()["fields"]) == {"materials.premises_proof", "materials.health_certificate"}
    assert "经营场所使用证明" in r.json()["message"] and "从业人员健康证明" in r.json()["message"]
    _nothing_written()
    assert CaseMaterial.objects.get(upload_token=token).case_id is None  # nothing lost: still usable


def test_form_schema_violations_name_every_field(flow):
    schema = {"type": "object", "properties": {
        "shop_name": {"type": "string", "title": "店铺名称", "maxLength": 10},
        "area": {"type": "number", "title": "经营面积", "minimum": 1},
        "legal_id": {"type": "string", "title": "法定代表人身份证号", "format": "resident_id"},
        "category": {"type": "string", "title": "经营类别", "enum": ["餐饮", "零售"]},
    }, "required": ["shop_name", "area", "category"]}
    item = flow.item(schema=schema)
    form = {"shop_name": "一家名字非常非常长的小吃店", "legal_id": "110101199001011234", "category": "批发",
            "colour": "red"}
    r = _submit(flow, "citizen", item, form=form, materials=[{"key": "application_form", "upload": flow.upload()}])
    assert r.status_code == 422 and r.json()["code"] == "form_invalid"
    fields = r.json()["fields"]
    assert set(fields) == {"form.shop_name", "form.area", "form.legal_id", "form.category", "form.colour"}
    assert "店铺名称" in fields["form.shop_name"][0]
    _nothing_written()
    good = {"shop_name": "望江小吃", "area": 35, "category": "餐饮"}
    r = _submit(flow, "citizen", item, form=good, materials=[{"key": "application_form", "upload": flow.upload()}])
    assert r.status_code == 201 and r.json()["status"] == "submitted"


def test_wrong_shapes_are_422_not_500(flow):
    item = flow.item()
    for body in ({"item_code": item.code, "form": "not an object"},
                 {"item_code": item.code, "materials": [{"key": "a"}]},
                 {"form": {}},
                 {"item_code": item.code, "bundle_code": "YJS-X"}):
        r = flow.post("citizen", "/api/v1/cases", body, headers={"Idempotency-Key": "shape"})
        assert r.status_code == 422, (body, r.content)
    r = _submit(flow, "citizen", type("I", (), {"code": "NO-SUCH-ITEM"})())
    assert r.status_code == 404 and r.json()["code"] == "item_not_found"
    _nothing_written()


def test_resubmission_with_a_bad_form_keeps_the_case_in_correction(flow):
    case = flow.drive(flow.submit(flow.item()), "correction+accepted")
    before = flow.snapshot(case)
    r = flow.act("citizen", case.number, "resubmit", form={"address": "缺少店铺名称"})
    assert r.status_code == 422 and r.json()["code"] == "form_invalid"
    assert flow.snapshot(case) == before
    new_scan = flow.upload(key="application_form")
    r = flow.act("citizen", case.number, "resubmit", form={"shop_name": "望江小吃（新）"},
                 materials=[{"key": "application_form", "upload": new_scan}])
    assert r.status_code == 200 and r.json()["status"] == "in_review"
    rows = CaseMaterial.objects.filter(case=case, material_key="application_form").order_by("id")
    assert [r.superseded for r in rows] == [True, False]
    assert Case.objects.get(pk=case.pk).form_data == {"shop_name": "望江小吃（新）"}


def test_correction_requests_list_every_item(flow):
    case = flow.submit(flow.item())
    r = flow.act("clerk", case.number, "request_correction", items=[" ", ""])
    assert r.status_code == 422 and r.json()["code"] == "correction_items_required"
    r = flow.act("clerk", case.number, "request_correction", items=["缺少申请书签字", "场所证明过期"])
    assert r.json()["correction_items"] == ["缺少申请书签字", "场所证明过期"]


def test_nul_characters_are_refused_not_a_database_error(flow):
    """PostgreSQL cannot store NUL in text or JSON: the API says so (a 400 from the platform's NUL
    guard, or the cases API's own 422) instead of answering 500."""
    def refused(r):
        return r.status_code in (400, 422) and r.json()["code"] == "invalid_characters"

    item = flow.item()
    token = flow.upload()
    r = _submit(flow, "citizen", item, form={"shop_name": "望江\x00小吃"},
                materials=[{"key": "application_form", "upload": token}])
    assert refused(r), r.content
    assert refused(flow.post("citizen", "/api/v1/cases", {"item_code": "a\x00b"}, headers={"Idempotency-Key": "n"}))
    _nothing_written()
    case = flow.drive(flow.submit(item), "in_review")
    before = flow.snapshot(case)
    assert refused(flow.act("reviewer", case.number, "suspend", opinion="听证\x00"))
    assert flow.snapshot(case) == before
    assert flow.get("reviewer", "/api/v1/cases/3290\x00").status_code in (400, 404, 422)
    stored = CaseMaterial.objects.count()
    r = flow.client.post("/api/v1/cases/uploads", {"file": SimpleUploadedFile("a.pdf", PDF), "key": "form\x00"},
                         headers=flow.headers("citizen"))
    assert refused(r), r.content
    assert CaseMaterial.objects.count() == stored


def test_a_material_may_have_several_pages_and_none_is_lost(flow):
    item = flow.item()
    pages = [flow.upload(name="申请书第1页.pdf"), flow.upload(name="申请书第2页.pdf")]
    r = _submit(flow, "citizen", item, materials=[{"key": "application_form", "upload": t} for t in pages])
    assert r.status_code == 201, r.content
    case = Case.objects.get(number=r.json()["number"])
    assert sorted(case.materials.values_list("name", flat=True)) == ["申请书第1页.pdf", "申请书第2页.pdf"]


def test_one_file_cannot_stand_for_two_materials(flow):
    item = flow.item(materials=[("application_form", "申请书", True, "applicant"),
                                ("premises_proof", "经营场所使用证明", True, "applicant")])
    token = flow.upload()
    r = _submit(flow, "citizen", item, materials=[{"key": "application_form", "upload": token},
                                                  {"key": "premises_proof", "upload": token}])
    assert r.status_code == 422 and r.json()["code"] == "upload_invalid"
    assert "materials.premises_proof" in r.json()["fields"]
    _nothing_written()


@pytest.mark.parametrize("key", ["", "   ", "k" * 65])
def test_material_keys_are_checked(flow, key):
    r = _submit(flow, "citizen", flow.item(), materials=[{"key": key, "upload": flow.upload()}])
    assert r.status_code == 422 and r.json()["code"] == "material_key_invalid"
    _nothing_written()
