"""The public catalog API (a public contract: DESIGN.md section 6) and the staff endpoints."""

from __future__ import annotations

import io
import json

import pytest

from yiwang.catalog.models import ServiceItem

pytestmark = pytest.mark.django_db


def code_of(name):
    return ServiceItem.objects.get(name=name).code


def test_items_list_and_filters(demo_catalog, api):
    items = api.get("/api/v1/catalog/items").json()
    assert len(items) >= 80
    first = items[0]
    assert {"code", "name", "department", "promised_days", "online_depth", "visits", "url"} <= set(first)
    police = api.get("/api/v1/catalog/items", department="YX-GA").json()
    assert police and all(i["department"]["code"] == "YX-GA" for i in police)
    births = api.get("/api/v1/catalog/items", life_event="birth").json()
    assert "出生登记" in {i["name"] for i in births}
    community = api.get("/api/v1/catalog/items", tier="community").json()
    assert community and all("community" in i["tiers"] for i in community)
    assert api.get("/api/v1/catalog/items", tier="moon").status_code == 422


def test_item_guide_has_materials_with_sources_and_time_limits(demo_catalog, api):
    r = api.get(f"/api/v1/catalog/items/{code_of('出生登记')}")
    assert r.status_code == 200
    g = r.json()
    assert g["name"] == "出生登记" and g["department"]["code"] == "YX-GA"
    assert g["time_limits"] == {"statutory_days": None, "promised_days": 0, "unit": "working_days"}
    sources = {m["name"]: m["source"] for m in g["materials"]}
    assert sources["出生医学证明"] == "licence"
    assert sources["父母一方的居民户口簿"] == "shared_data"
    assert sources["授权委托书"] == "applicant"
    assert g["form_schema"]["properties"]["mother_id"]["format"] == "resident_id"
    assert g["answer"]["visits"] == 1 and g["answer"]["text"]


def test_unknown_item_is_404(demo_catalog, api):
    r = api.get("/api/v1/catalog/items/NO-SUCH-CODE")
    assert r.status_code == 404 and r.json()["code"] == "item_not_found"


def test_bundle_guide(demo_catalog, api):
    bundles = api.get("/api/v1/catalog/bundles").json()
    birth = next(b for b in bundles if b["name"] == "新生儿出生")
    g = api.get(f"/api/v1/catalog/bundles/{birth['code']}").json()
    assert len(g["items"]) == 5 and g["materials_after"] < g["materials_before"]
    assert all(m["source"] in ("applicant", "licence", "shared_data") for m in g["materials"])


def test_form_validation_endpoint(demo_catalog, api):
    code = code_of("出生登记")
    r = api.post("/api/v1/catalog/forms/validate", {"item_code": code, "form": {"child_name": "小明"}})
    body = r.json()
    assert r.status_code == 200 and body["valid"] is False and "mother_id" in body["errors"]


def test_staff_edit_cycle_over_the_api(demo_catalog, api, make_staff):
    from yiwang.core.models import Department

    dept = Department.objects.get(code="YX-GA")
    reviewer, head = make_staff("reviewer", dept), make_staff("dept_head", dept)
    t_rev = api.token(reviewer.username, otp=reviewer.totp())
    t_head = api.token(head.username, otp=head.totp())
    code = code_of("养犬登记")
    assert api.post(f"/api/v1/catalog/manage/items/{code}/revisions").status_code == 401
    r = api.post(f"/api/v1/catalog/manage/items/{code}/revisions?note=调整时限", token=t_rev)
    assert r.status_code == 201
    vid = r.json()["id"]
    client = api  # PATCH through the test client
    from django.test import Client

    c = Client()
    r = c.patch(f"/api/v1/catalog/manage/versions/{vid}", json.dumps({"data": {"promised_limit_days": 2}}),
                content_type="application/json", headers={"Authorization": f"Bearer {t_rev}"})
    assert r.status_code == 200, r.content
    r = c.patch(f"/api/v1/catalog/manage/versions/{vid}", json.dumps({"data": {"visits": 3}}),
                content_type="application/json", headers={"Authorization": f"Bearer {t_rev}"})
    assert r.status_code == 422 and "visits" in r.json()["fields"]  # Ⅳ 全程网办 means no visit
    r = client.post(f"/api/v1/catalog/manage/versions/{vid}/actions", {"action": "publish"}, token=t_head)
    assert r.status_code == 409 and r.json()["code"] == "illegal_transition"
    assert client.post(f"/api/v1/catalog/manage/versions/{vid}/actions", {"action": "submit"},
                       token=t_rev).json()["status"] == "review"
    r = client.post(f"/api/v1/catalog/manage/versions/{vid}/actions", {"action": "publish"}, token=t_rev)
    assert r.status_code == 403
    r = client.post(f"/api/v1/catalog/manage/versions/{vid}/actions", {"action": "publish"}, token=t_head)
    assert r.status_code == 200 and r.json()["status"] == "published"
    g = client.get(f"/api/v1/catalog/items/{code}").json()
    assert g["version"] == 2 and g["time_limits"]["promised_days"] == 2
    old = client.get(f"/api/v1/catalog/items/{code}/versions/1").json()
    assert old["status"] == "retired" and old["time_limits"]["promised_days"] == 3
    history = client.get(f"/api/v1/catalog/items/{code}/versions").json()
    assert [v["number"] for v in history] == [2, 1]
    # another department's staff cannot touch it
    other = make_staff("dept_head", Department.objects.get(code="YX-MZ"))
    t_other = api.token(other.username, otp=other.totp())
    assert client.post(f"/api/v1/catalog/manage/items/{code}/revisions", token=t_other).status_code == 404


def test_import_over_the_api_reports_problems(demo_catalog, api, make_staff):
    from django.test import Client

    from yiwang.core.models import Department

    admin = make_staff("platform_admin", Department.objects.get(code="YX-ZWB"))
    token = api.token(admin.username, otp=admin.totp())
    c = Client()
    exported = c.get("/api/v1/catalog/manage/export?format=json", headers={"Authorization": f"Bearer {token}"})
    assert exported.status_code == 200
    data = json.loads(exported.content)
    original = data["items"][0]["name"]
    data["items"][0]["name"] = ""
    upload = io.BytesIO(json.dumps(data, ensure_ascii=False).encode())
    upload.name = "catalog.json"
    r = c.post("/api/v1/catalog/manage/import?publish=true", {"file": upload},
               headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 422
    body = r.json()
    assert body["code"] == "import_invalid" and body["problems"][0]["row"] == 1
    assert body["problems"][0]["column"] == "name"
    bad = io.BytesIO(b"\x00\x01garbage")
    bad.name = "catalog.xlsx"
    r = c.post("/api/v1/catalog/manage/import", {"file": bad}, headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 422 and "Excel" in r.json()["problems"][0]["message"]
    # the exported JSON can also be sent as the body itself
    data["items"][0]["name"] = original
    r = c.post("/api/v1/catalog/manage/import", json.dumps(data, ensure_ascii=False), content_type="application/json",
               headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200 and r.json()["ok"] and not r.json()["created"]
    assert c.post("/api/v1/catalog/manage/import", {"file": bad}).status_code == 401
