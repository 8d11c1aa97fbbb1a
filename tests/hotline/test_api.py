"""The JSON API of work orders: every channel, bad input with precise errors, scoping, and the
anonymous reporter's identity kept from every department."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from yiwang.hotline.models import SealedReporter, Status, WorkOrder

from .conftest import jpeg
from .world import INSIDE, OUTSIDE


@pytest.fixture
def token():
    from yiwang.accounts.services import issue_token

    def _token(user):
        return issue_token(user)[0]

    return _token


def auth(tok):
    return {"Authorization": f"Bearer {tok}"}


def post(api, path, data, tok):
    return api.post(path, data, headers=auth(tok))


def test_citizen_files_from_the_mini_program_and_tracks_it(people, api, token):
    t = token(people.users.citizen)
    r = post(api, "/api/v1/hotline/orders", {"kind": "complaint", "text": "江月路菜市场门口流动摊贩占道经营，晚上堵得车都过不去。",
                                             "lat": 32.06, "lng": 118.83}, t)
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["channel"] == "api" and body["status"] == "new" and body["grid"].startswith("329002001")
    assert body["caller"]["own"] and body["caller"]["phone"] == "13900001111"
    r = api.get(f"/api/v1/hotline/orders/{body['number']}", headers=auth(t))
    assert r.status_code == 200 and r.json()["history"][0]["action"] == "create"
    assert [o["number"] for o in api.get("/api/v1/hotline/orders", headers=auth(t)).json()] == [body["number"]]


@pytest.mark.parametrize("payload,code,field", [
    ({"kind": "complaint", "text": "   "}, "text_required", "text"),
    ({"kind": "complaint", "text": "路灯坏了", **OUTSIDE}, "location_outside_district", "lat"),
    ({"kind": "complaint", "text": "路灯坏了", "lat": 32.06}, "location_incomplete", "lng"),
    ({"kind": "complaint", "text": "路灯坏了", "lat": 132.0, "lng": 118.8}, "location_invalid", "lat"),
    ({"kind": "gossip", "text": "路灯坏了"}, "kind_invalid", "kind"),
    ({"kind": "complaint", "text": "路灯坏了", "anonymous": True}, "anonymous_only_for_reports", "anonymous"),
    ({"kind": "complaint", "text": "路灯坏了", "category": "NOPE"}, "category_unknown", "category"),
    ({"kind": "complaint", "text": "x" * 4001}, "text_too_long", "text"),
])
def test_bad_input_is_a_precise_422(people, api, token, payload, code, field):
    r = post(api, "/api/v1/hotline/orders", payload, token(people.users.citizen))
    assert r.status_code == 422, r.content
    body = r.json()
    assert body["code"] == code and field in body["fields"] and body["message"]
    assert not WorkOrder.objects.exists()


def test_missing_body_fields_are_a_validation_error_not_a_500(people, api, token):
    r = post(api, "/api/v1/hotline/orders", {"text": "没有类型"}, token(people.users.citizen))
    assert r.status_code == 422 and r.json()["code"] == "validation_error" and "kind" in r.json()["fields"]


def test_operator_needs_the_caller_phone(people, api, token):
    t = token(people.users.operator)
    r = post(api, "/api/v1/hotline/orders", {"kind": "help", "text": "家里停水了"}, t)
    assert r.status_code == 422 and r.json()["code"] == "phone_required"
    r = post(api, "/api/v1/hotline/orders", {"kind": "help", "text": "家里停水了", "caller_phone": "12345"}, t)
    assert r.status_code == 422 and r.json()["code"] == "phone_invalid"
    r = post(api, "/api/v1/hotline/orders", {"kind": "help", "text": "家里停水了", "caller_phone": "139 0000 2222",
                                             "address": "滨江社区滨江花园"}, t)
    assert r.status_code == 201 and r.json()["channel"] == "phone" and r.json()["community"] == "滨江社区"
    assert r.json()["caller"]["phone"] == "139****2222"  # masked even for the operator until revealed


def test_photos_oversized_wrong_type_and_ok(people, api, token, settings):
    settings.HOTLINE_PHOTO_MAX_BYTES = 10_000
    t = token(people.users.citizen)
    number = post(api, "/api/v1/hotline/orders", {"kind": "complaint", "text": "井盖丢了", **INSIDE}, t).json()["number"]
    client = Client()
    from django.core.files.uploadedfile import SimpleUploadedFile

    def upload(data, name="p.jpg"):
        return client.post(f"/api/v1/hotline/orders/{number}/photos",
                           {"photos": [SimpleUploadedFile(name, data, content_type="image/jpeg")]}, headers=auth(t))

    r = upload(jpeg(20_000))
    assert r.status_code == 422 and r.json()["code"] == "photo_too_large" and "photos" in r.json()["fields"]
    r = upload(b"%PDF-1.4 not a photo", "p.jpg")
    assert r.status_code == 422 and r.json()["code"] == "photo_type_not_allowed"
    r = upload(jpeg(5000))
    assert r.status_code == 201 and r.json()[0]["content_type"] == "image/jpeg"


def test_forged_status_jump_and_unknown_action(people, api, token):
    t = token(people.users.citizen)
    number = post(api, "/api/v1/hotline/orders", {"kind": "complaint", "text": "噪音扰民", **INSIDE}, t).json()["number"]
    op = token(people.users.operator)
    r = post(api, f"/api/v1/hotline/orders/{number}/actions", {"action": "callback", "result": "satisfied"}, op)
    assert r.status_code == 409 and r.json()["code"] == "illegal_transition"
    r = post(api, f"/api/v1/hotline/orders/{number}/actions", {"action": "close"}, op)
    assert r.status_code == 422 and r.json()["code"] == "unknown_action"
    r = post(api, f"/api/v1/hotline/orders/{number}/actions", {"action": "dispatch", "department": "YX-CG",
                                                                "category": "CG08", "expected_version": 99}, op)
    assert r.status_code == 409 and r.json()["code"] == "stale_version"
    r = post(api, f"/api/v1/hotline/orders/{number}/actions", {"action": "rate", "result": "satisfied"}, t)
    assert r.status_code == 409  # nothing to rate yet
    assert WorkOrder.objects.get(number=number).status == Status.NEW


def test_department_sees_only_its_orders(people, api, token):
    t = token(people.users.citizen)
    number = post(api, "/api/v1/hotline/orders", {"kind": "complaint", "text": "噪音扰民", **INSIDE}, t).json()["number"]
    assert api.get(f"/api/v1/hotline/orders/{number}", headers=auth(token(people.users.cg))).status_code == 404
    op = token(people.users.operator)
    post(api, f"/api/v1/hotline/orders/{number}/actions", {"action": "dispatch", "department": "YX-CG",
                                                           "category": "CG08"}, op)
    cg = token(people.users.cg)
    r = api.get(f"/api/v1/hotline/orders/{number}", headers=auth(cg))
    assert r.status_code == 200
    assert r.json()["caller"]["phone"] == "139****1111" and r.json()["caller"]["name"] == "王**"
    assert "13900001111" not in r.content.decode()
    assert api.get(f"/api/v1/hotline/orders/{number}", headers=auth(token(people.users.zj))).status_code == 404
    queue = api.get("/api/v1/hotline/orders", headers=auth(cg), queue="department").json()
    assert [o["number"] for o in queue] == [number] and queue[0]["light"] in ("green", "yellow")
    r = post(api, f"/api/v1/hotline/orders/{number}/actions", {"action": "accept"}, token(people.users.zj))
    assert r.status_code == 404  # not even visible to another department
    assert api.get("/api/v1/hotline/orders").status_code == 401


def test_anonymous_report_identity_is_sealed_from_every_department(people, api, token):
    from yiwang.core.models import AuditEvent

    t = token(people.users.citizen)
    r = post(api, "/api/v1/hotline/orders", {"kind": "report", "anonymous": True, "caller_phone": "13900001111",
                                             "text": "翠屏路一家小作坊无证生产食品，卫生条件很差。", **INSIDE}, t)
    assert r.status_code == 201, r.content
    number = r.json()["number"]
    order = WorkOrder.objects.get(number=number)
    assert order.is_anonymous and order.caller_user_id is None and order.caller_name == "" and order.caller_phone == ""
    sealed = SealedReporter.objects.get(order=order)
    assert sealed.user_id == people.users.citizen.pk and sealed.phone == "13900001111" and sealed.name == "王秀英"
    create = AuditEvent.objects.get(action="hotline.create", object_id=number)
    assert create.actor_id is None and create.actor_label == "匿名举报人"
    # the reporter still follows their own report
    assert api.get(f"/api/v1/hotline/orders/{number}", headers=auth(t)).status_code == 200

    op = token(people.users.operator)
    detail = api.get(f"/api/v1/hotline/orders/{number}", headers=auth(op)).json()
    assert detail["caller"] == {"anonymous": True, "name": "匿名举报人", "phone": "", "sealed": True, "own": False}
    post(api, f"/api/v1/hotline/orders/{number}/actions", {"action": "dispatch", "department": "YX-CG",
                                                           "category": "CG08", "assisting": ["YX-ZJ"]}, op)
    for user in (people.users.cg, people.users.zj):
        text = json.dumps(api.get(f"/api/v1/hotline/orders/{number}", headers=auth(token(user))).json(),
                          ensure_ascii=False)
        assert "王秀英" not in text and "1111" not in text and "13900001111" not in text
        assert "匿名举报人" in text
        r = post(api, f"/api/v1/hotline/orders/{number}/reveal", {"purpose": "核实"}, token(user))
        assert r.status_code == 403
    r = post(api, f"/api/v1/hotline/orders/{number}/reveal", {"purpose": "回访举报人"}, op)
    assert r.status_code == 200 and r.json() == {"name": "王秀英", "phone": "13900001111"}
    assert AuditEvent.objects.filter(action="hotline.reveal_reporter", object_id=number).count() == 1
    # the department's history does not show who revealed or who reported
    dept_view = api.get(f"/api/v1/hotline/orders/{number}", headers=auth(token(people.users.cg))).json()
    assert "reveal_reporter" not in [h["action"] for h in dept_view["history"]]
    assert dept_view["history"][0]["actor"] == "匿名举报人"


def test_suggest_returns_departments_and_categories_best_first(people, api, token):
    from yiwang.hotline import services

    for text, dept, cat in [("小区门口井盖丢了很危险", "YX-ZJ", "JS02"), ("工地夜间施工打桩噪音", "YX-STHJ", "HB01"),
                            ("老板拖欠工资三个月不发", "YX-RS", "LD01")]:
        o = services.create_order(people.operator, channel="phone", kind="complaint", text=text,
                                  caller_phone="13800000000")
        services.dispatch(people.operator, o.number, department=dept, category=cat)
    op = token(people.users.operator)
    r = post(api, "/api/v1/hotline/suggest", {"text": "包工头欠我们农民工工资不给"}, op)
    assert r.status_code == 200, r.content
    results = r.json()["results"]
    assert len(results) == 3 and results[0]["department"] == "YX-RS" and results[0]["category"] == "LD01"
    assert results[0]["score"] >= results[1]["score"] >= results[2]["score"]
    assert set(results[0]) == {"department", "department_name", "category", "category_name", "score"}
    r = post(api, "/api/v1/hotline/suggest", {"text": " "}, op)
    assert r.status_code == 422 and r.json()["code"] == "text_required"
    assert post(api, "/api/v1/hotline/suggest", {"text": "停水"}, token(people.users.citizen)).status_code == 403


def test_caller_rates_online(people, api, token):
    from yiwang.hotline import services

    t = token(people.users.citizen)
    number = post(api, "/api/v1/hotline/orders", {"kind": "complaint", "text": "路灯不亮", **INSIDE}, t).json()["number"]
    services.dispatch(people.operator, number, department="YX-CG", category="CG05")
    services.accept(people.cg, number)
    services.reply(people.cg, number, "已修复路灯。")
    r = post(api, f"/api/v1/hotline/orders/{number}/actions", {"action": "rate", "result": "satisfied"},
             token(people.users.zj))
    assert r.status_code == 404
    r = post(api, f"/api/v1/hotline/orders/{number}/actions", {"action": "rate", "result": "satisfied",
                                                               "resolved": True}, t)
    assert r.status_code == 200 and r.json()["status"] == "closed" and r.json()["satisfaction"] == "satisfied"
