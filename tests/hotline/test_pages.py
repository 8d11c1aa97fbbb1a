"""The hotline and grid pages through Django's test client: the console, the order page's actions,
the portal, the grid worker's report, the knowledge base, the map data and the analytics page."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from yiwang.hotline import services
from yiwang.hotline.models import KnowledgeArticle, Status, WorkOrder

from .conftest import jpeg
from .world import INSIDE


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user, backend="yiwang.accounts.backends.IdentityBackend")
    device = getattr(user, "device", None)
    if device is not None:
        session = client.session
        session["otp_device_id"] = device.persistent_id
        session.save()
    return client


def html(r) -> str:
    return r.content.decode()


CALL = {"caller_phone": "13812345678", "caller_name": "陈先生", "callback_preference": "phone", "kind": "complaint",
        "urgency": "normal", "text": "滨江路工地夜间施工噪音扰民", "address": "滨江路18号", "lat": "32.06", "lng": "118.81"}


def test_console_dispatches_a_call(people):
    c = signed_in(people.users.operator)
    r = c.get("/hotline/console/")
    assert r.status_code == 200 and 'name="caller_phone"' in html(r)
    r = c.post("/hotline/console/", {**CALL, "intent": "dispatch", "category": "HB01", "department": "YX-STHJ",
                                      "assisting": ["YX-CG"]})
    order = WorkOrder.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/hotline/orders/{order.number}/"
    assert order.status == Status.DISPATCHED and order.lead_department.code == "YX-STHJ"
    page = html(c.get(r["Location"]))
    assert "138****5678" in page and "13812345678" not in page
    assert "云溪生态环境分局" in page or "生态环境" in page


def test_console_errors_are_a_400_summary_and_nothing_is_created(people):
    c = signed_in(people.users.operator)
    r = c.post("/hotline/console/", {**CALL, "text": "", "intent": "dispatch"})
    assert r.status_code == 400
    page = html(r)
    assert 'data-testid="error-summary"' in page and "请填写诉求内容" in page and "派单前请选择分类" in page
    r = c.post("/hotline/console/", {**CALL, "lat": "31.23", "lng": "121.47", "intent": "register"})
    assert r.status_code == 400 and "不在本区范围内" in html(r)
    # a service error after the order was drafted rolls everything back
    r = c.post("/hotline/console/", {**CALL, "intent": "answer", "answer": "答复"})
    assert r.status_code == 400 and "只有咨询和建议可以直接答复" in html(r)
    assert not WorkOrder.objects.exists()


def test_console_answers_a_consultation_from_the_knowledge_base(people):
    article = KnowledgeArticle.objects.create(department=people.cg.assignment.department, title="居住证怎么办理",
                                              answer="携带身份证、居住证明到社区警务室申领。", keywords="居住证,暂住证")
    c = signed_in(people.users.operator)
    r = c.get("/hotline/console/assist/", {"text": "想问一下居住证怎么办"})
    assert r.status_code == 200 and "携带身份证" in html(r) and f'data-use-article="{article.pk}"' in html(r)
    r = c.post("/hotline/console/", {**CALL, "kind": "consult", "text": "想问一下居住证怎么办", "intent": "answer",
                                      "answer": article.answer, "article_id": article.pk})
    assert r.status_code == 302
    order = WorkOrder.objects.get()
    assert order.status == Status.ANSWERED and order.answered_from_id == article.pk


def test_console_is_for_operators_only(people):
    assert signed_in(people.users.cg).get("/hotline/console/").status_code == 403
    r = Client().get("/hotline/console/")
    assert r.status_code == 302 and r["Location"].startswith("/accounts/login/staff/")


def test_department_accepts_and_replies_on_the_order_page(people):
    order = services.create_order(people.operator, channel="phone", kind="complaint", text="路灯不亮",
                                  caller_phone="13800000000", **INSIDE)
    services.dispatch(people.operator, order.number, department="YX-CG", category="CG05")
    c = signed_in(people.users.cg)
    page = html(c.get(f"/hotline/orders/{order.number}/"))
    assert 'data-testid="do-accept"' in page and 'data-testid="do-reply"' not in page
    assert c.post(f"/hotline/orders/{order.number}/act/", {"action": "accept"}).status_code == 302
    r = c.post(f"/hotline/orders/{order.number}/act/", {"action": "reply", "text": ""})
    assert r.status_code == 400 and "请填写办理结果" in html(r)
    r = c.post(f"/hotline/orders/{order.number}/act/", {"action": "accept"})
    assert r.status_code == 409 and "不能执行“签收”" in html(r)
    r = c.post(f"/hotline/orders/{order.number}/act/", {"action": "reply", "text": "已更换灯泡", "resolved": "yes"})
    assert r.status_code == 302 and WorkOrder.objects.get(pk=order.pk).status == Status.REPLIED
    # another department does not even see it
    assert signed_in(people.users.zj).get(f"/hotline/orders/{order.number}/").status_code == 404
    # the operator calls back
    op = signed_in(people.users.operator)
    r = op.post(f"/hotline/orders/{order.number}/act/", {"action": "callback", "result": "satisfied", "resolved": "yes"})
    assert r.status_code == 302 and WorkOrder.objects.get(pk=order.pk).status == Status.CLOSED
    history = html(op.get(f"/hotline/orders/{order.number}/"))
    assert '<dd data-testid="satisfaction">满意</dd>' in history  # the label, not the code
    assert [a for a in re.findall(r'data-action="(\w+)"', history)] == ["create", "dispatch", "accept", "reply",
                                                                         "callback", "close"]


def test_operator_reveals_the_phone_with_an_audit_event(people):
    from yiwang.core.models import AuditEvent

    order = services.create_order(people.operator, channel="phone", kind="complaint", text="路灯不亮",
                                  caller_phone="13800001234")
    c = signed_in(people.users.operator)
    r = c.post(f"/hotline/orders/{order.number}/act/", {"action": "reveal", "purpose": "回访"}, HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and "13800001234" in html(r)
    assert AuditEvent.objects.filter(action="hotline.reveal_phone", object_id=order.number).exists()
    services.dispatch(people.operator, order.number, department="YX-CG", category="CG05")
    r = signed_in(people.users.cg).post(f"/hotline/orders/{order.number}/act/", {"action": "reveal", "purpose": "x"})
    assert r.status_code == 403 and "13800001234" not in html(r)


def test_citizen_portal_with_photo_and_anonymous_report(people):
    c = signed_in(people.users.citizen)
    r = c.post("/hotline/report/", {"kind": "report", "text": "梅林路有人无证经营熟食", "address": "梅林路 5 号",
                                     "anonymous": "on", "callback_preference": "sms",
                                     "photos": [SimpleUploadedFile("a.jpg", jpeg(), content_type="image/jpeg")]})
    assert r.status_code == 302, html(r)
    order = WorkOrder.objects.get()
    assert order.is_anonymous and order.channel == "web" and order.attachments.count() == 1
    assert order.community.name == "梅林社区" and order.street.name == "梅林街道"  # from the road name
    r = c.post("/hotline/report/", {"kind": "complaint", "text": "路灯坏了", "anonymous": "on",
                                     "callback_preference": "sms"})
    assert r.status_code == 400 and "只有举报可以匿名" in html(r)
    r = c.get(f"/hotline/attachments/{order.attachments.get().pk}/")
    assert r.status_code == 200 and r["Content-Type"] == "image/jpeg"
    assert signed_in(people.users.cg).get(f"/hotline/attachments/{order.attachments.get().pk}/").status_code == 404


def test_grid_worker_reports_from_the_phone_page(people, settings):
    c = signed_in(people.users.worker)
    assert c.get("/grid/report/").status_code == 200
    r = c.post("/grid/report/", {"text": "井盖缺失", "lat": "", "lng": ""})
    assert r.status_code == 400 and "请定位或填写经纬度" in html(r)
    r = c.post("/grid/report/", {"text": "井盖缺失", "lat": "31.23", "lng": "121.47"})
    assert r.status_code == 400 and "不在本区范围内" in html(r)
    settings.HOTLINE_PHOTO_MAX_BYTES = 5000
    r = c.post("/grid/report/", {"text": "井盖缺失", **INSIDE,
                                 "photos": [SimpleUploadedFile("big.jpg", jpeg(9000), content_type="image/jpeg")]})
    assert r.status_code == 400 and "超过" in html(r)
    r = c.post("/grid/report/", {"text": "滨江花园东门井盖缺失", **INSIDE, "category": "JS02",
                                 "photos": [SimpleUploadedFile("a.jpg", jpeg(), content_type="image/jpeg")]})
    assert r.status_code == 302
    order = WorkOrder.objects.get()
    assert order.channel == "grid" and order.grid.code == "329002001001-01" and order.reporter == people.users.worker
    r = c.post("/grid/report/", {"text": "楼道堆物", **INSIDE, "resolved": "on", "resolution": "已清理"})
    assert r.status_code == 400 and "整改后的照片" in html(r)
    assert signed_in(people.users.citizen).get("/grid/report/").status_code == 403


def test_map_page_and_orders_json(people):
    services.create_order(people.operator, channel="phone", kind="complaint", text="路灯不亮",
                          caller_phone="13800000000", **INSIDE)
    c = signed_in(people.users.operator)
    page = html(c.get("/grid/map/"))
    assert "vendor/leaflet/leaflet.js" in page and 'data-mode="orders heat"' in page
    data = c.get("/grid/map/orders.json").json()
    assert len(data["orders"]) == 1 and data["orders"][0]["lat"] == 32.06
    assert signed_in(people.users.citizen).get("/grid/map/orders.json").status_code == 403
    assert signed_in(people.users.zj).get("/grid/map/orders.json").json()["orders"] == []  # not theirs


def test_knowledge_base_is_maintained_by_its_department(people):
    c = signed_in(people.users.cg)
    r = c.post("/hotline/knowledge/new/", {"title": "", "answer": ""})
    assert r.status_code == 400 and "请填写问题" in html(r)
    r = c.post("/hotline/knowledge/new/", {"title": "占道经营怎么投诉", "answer": "可拨打 12345 或城管热线。",
                                           "keywords": "摆摊,占道", "is_published": "on"})
    assert r.status_code == 302
    article = KnowledgeArticle.objects.get()
    assert article.department.code == "YX-CG"
    assert signed_in(people.users.zj).get(f"/hotline/knowledge/{article.pk}/edit/").status_code == 404
    r = signed_in(people.users.operator).get("/hotline/knowledge/", {"q": "摆摊"})
    assert "占道经营怎么投诉" in html(r)


def test_analytics_page(people):
    services.create_order(people.operator, channel="phone", kind="complaint", text="滨江路夜间施工噪音扰民",
                          caller_phone="13800000000", **INSIDE)
    services.create_order(people.operator, channel="phone", kind="complaint", text="滨江路夜间施工噪音扰民，吵得睡不着",
                          caller_phone="13800000000", **INSIDE)
    r = signed_in(people.users.supervisor).get("/hotline/analytics/")
    assert r.status_code == 200 and 'data-testid="hot-topics"' in html(r)
    assert re.search(r"<td>(夜间施工|噪音扰民)</td><td>2</td>", html(r))
    assert signed_in(people.users.cg).get("/hotline/analytics/").status_code == 403


def test_order_list_by_role(people):
    order = services.create_order(people.operator, channel="phone", kind="complaint", text="路灯不亮",
                                  caller_phone="13800000000", **INSIDE)
    r = signed_in(people.users.operator).get("/hotline/orders/")
    assert r.status_code == 200 and order.number in html(r)
    assert order.number not in html(signed_in(people.users.cg).get("/hotline/orders/"))
    assert order.number in html(signed_in(people.users.worker).get("/hotline/orders/"))  # in their grid


@pytest.mark.parametrize("path", ["/hotline/orders/", "/hotline/report/", "/grid/report/", "/grid/map/"])
def test_pages_need_a_login(db, path):
    r = Client().get(path)
    assert r.status_code == 302 and "/accounts/login/" in r["Location"]


# -- bad input on the pages: a 400/403/409 page with the precise message, never a 500 ------------
def test_portal_refuses_no_text_a_place_outside_and_an_oversized_photo(people, settings):
    c = signed_in(people.users.citizen)
    base = {"kind": "complaint", "callback_preference": "sms"}
    r = c.post("/hotline/report/", {**base, "text": "  "})
    assert r.status_code == 400 and "请填写诉求内容" in html(r)
    r = c.post("/hotline/report/", {**base, "text": "路灯坏了", "lat": "31.23", "lng": "121.47"})
    assert r.status_code == 400 and "不在本区范围内" in html(r)
    r = c.post("/hotline/report/", {**base, "text": "路灯坏了", "lat": "north", "lng": "118.81"})
    assert r.status_code == 400 and "请输入数字" in html(r)
    settings.HOTLINE_PHOTO_MAX_BYTES = 5000
    r = c.post("/hotline/report/", {**base, "text": "路灯坏了", **INSIDE,
                                     "photos": [SimpleUploadedFile("big.jpg", jpeg(9000), content_type="image/jpeg")]})
    assert r.status_code == 400 and "照片“big.jpg”超过 4.88 KB，请压缩后再上传。" in html(r)
    r = c.post("/hotline/report/", {**base, "text": "路灯坏了", **INSIDE,
                                     "photos": [SimpleUploadedFile("x.jpg", b"MZ\x90\x00 not an image")]})
    assert r.status_code == 400 and "不是 JPG、PNG 或 WebP 照片" in html(r)
    assert not WorkOrder.objects.exists()


def test_forged_moves_on_the_order_page(people):
    order = services.create_order(people.citizen, channel="web", kind="complaint", text="路灯不亮", **INSIDE)
    n = order.number
    citizen, cg, op = signed_in(people.users.citizen), signed_in(people.users.cg), signed_in(people.users.operator)
    r = citizen.post(f"/hotline/orders/{n}/act/", {"action": "dispatch", "department": "YX-CG", "category": "CG05"})
    assert r.status_code == 403 and "只有 12345 话务员或督查人员可以派单" in html(r)
    r = op.post(f"/hotline/orders/{n}/act/", {"action": "close"})
    assert r.status_code == 400 and "未知的操作" in html(r)
    r = op.post(f"/hotline/orders/{n}/act/", {"action": "callback", "result": "satisfied"})
    assert r.status_code == 409 and "不能执行“回访”" in html(r)
    services.dispatch(people.operator, n, department="YX-CG", category="CG05")
    r = cg.post(f"/hotline/orders/{n}/act/", {"action": "reply", "text": "已修复"})  # not accepted yet
    assert r.status_code == 409 and "不能执行“答复”" in html(r)
    r = cg.post(f"/hotline/orders/{n}/act/", {"action": "conclude", "note": "办结"})
    assert r.status_code == 403
    r = cg.post(f"/hotline/orders/{n}/act/", {"action": "request_extension", "days": "ten", "reason": "x"})
    assert r.status_code == 400 and "延期天数应为整数" in html(r)
    assert WorkOrder.objects.get(pk=order.pk).status == Status.DISPATCHED


def test_a_nul_character_in_a_multipart_form_is_a_400_not_a_database_error(people):
    order = services.create_order(people.operator, channel="phone", kind="complaint", text="路灯不亮",
                                  caller_phone="13800000000", **INSIDE)
    services.dispatch(people.operator, order.number, department="YX-CG", category="CG05")
    services.accept(people.cg, order.number)
    c = signed_in(people.users.cg)
    r = c.post(f"/hotline/orders/{order.number}/act/", {"action": "reply", "text": "已修复\x00路灯",
                                                         "fix_photos": [SimpleUploadedFile("f.jpg", jpeg())]})
    assert r.status_code == 400 and "NUL" in html(r)
    assert WorkOrder.objects.get(pk=order.pk).status == Status.IN_PROGRESS
    from urllib.parse import urlencode

    services.ensure_demo_open311_client()
    fields = {"api_key": services.DEMO_OPEN311_KEY, "service_code": "CG05", "description": "路灯\x00不亮",
              "lat": "32.06", "long": "118.81"}
    for body, content_type in ((fields, None), (urlencode(fields), "application/x-www-form-urlencoded")):
        kw = {"content_type": content_type} if content_type else {}
        for fmt in ("json", "xml"):
            r = Client().post(f"/open311/v2/requests.{fmt}", body, **kw)
            assert r.status_code == 400 and r["Content-Type"].startswith("application/json" if fmt == "json"
                                                                          else "text/xml")
            assert "NUL" in (r.json()[0]["description"] if fmt == "json" else r.content.decode())
    assert not WorkOrder.objects.filter(channel="open311").exists()
    with pytest.raises(Exception) as e:
        services.create_order(people.citizen, channel="web", kind="complaint", text="路灯\x00不亮", **INSIDE)
    assert getattr(e.value, "code", "") == "invalid_characters"


def test_a_grid_incident_is_replied_on_the_page_only_with_a_fix_photo(people):
    order = services.create_order(people.worker, channel="grid", kind="report", text="滨江花园东门井盖缺失",
                                  photos=[("scene.jpg", jpeg())], **INSIDE)
    services.dispatch(people.operator, order.number, department="YX-ZJ", category="JS02")
    services.accept(people.zj, order.number)
    c = signed_in(people.users.zj)
    page = html(c.get(f"/hotline/orders/{order.number}/"))
    assert "（网格事件必须上传）" in page
    r = c.post(f"/hotline/orders/{order.number}/act/", {"action": "reply", "text": "已补装井盖"})
    assert r.status_code == 400 and "网格事件办结需要上传整改后的现场照片" in html(r)
    assert WorkOrder.objects.get(pk=order.pk).status == Status.IN_PROGRESS
    r = c.post(f"/hotline/orders/{order.number}/act/", {"action": "reply", "text": "已补装井盖", "resolved": "yes",
                                                         "fix_photos": [SimpleUploadedFile("fixed.jpg", jpeg())]})
    assert r.status_code == 302
    order.refresh_from_db()
    assert order.status == Status.REPLIED and order.attachments.filter(kind="fix").count() == 1


# -- analytics: hot topics with their trend, volumes by category / department / grid, heat by grid --
def test_analytics_figures(people, api):
    from datetime import timedelta

    from django.utils import timezone

    from yiwang.accounts.services import issue_token

    def order(text, lat, lng, dept=None, cat=None, days_ago=0):
        o = services.create_order(people.operator, channel="phone", kind="complaint", text=text, lat=lat, lng=lng,
                                  caller_phone="13800000000")
        if dept:
            services.dispatch(people.operator, o.number, department=dept, category=cat)
        if days_ago:
            WorkOrder.objects.filter(pk=o.pk).update(created_at=timezone.now() - timedelta(days=days_ago))
        return o

    bikes = "共享单车乱停放，堵住了人行道"
    for _ in range(3):
        order(bikes, 32.06, 118.81, "YX-CG", "CG03")  # 滨江社区北片
    order(bikes, 32.06, 118.81, "YX-CG", "CG03", days_ago=7)  # last week, once
    for _ in range(2):
        order("工地夜间施工噪音扰民", 32.04, 118.81, "YX-STHJ", "HB01")  # 滨江社区南片
    order("垃圾", 32.06, 118.81)  # not yet classified

    t = issue_token(people.users.supervisor)[0]
    hot = api.get("/api/v1/hotline/analytics/hot-topics", token=t).json()
    topics = {x["keyword"]: x for x in hot["topics"]}
    assert topics["共享单车"] == {"keyword": "共享单车", "count": 3, "previous": 1, "change": 2, "trend": "up"}
    assert topics["夜间施工"]["trend"] == "new" and topics["夜间施工"]["count"] == 2
    assert "垃圾" not in topics  # once is not a topic

    by_cat = api.get("/api/v1/hotline/analytics/volumes", token=t, by="category").json()
    assert [(i["code"], i["total"], i["open"]) for i in by_cat["items"]][:2] == [("CG03", 4, 4), ("HB01", 2, 2)]
    assert by_cat["total"] == 7 and by_cat["items"][-1]["name"] == "（未确定）"
    by_dept = {i["code"]: i["total"] for i in api.get("/api/v1/hotline/analytics/volumes", token=t,
                                                      by="department").json()["items"]}
    assert by_dept == {"YX-CG": 4, "YX-STHJ": 2, None: 1}
    by_grid = {i["code"]: i["total"] for i in api.get("/api/v1/hotline/analytics/volumes", token=t,
                                                      by="grid").json()["items"]}
    assert by_grid == {"329002001001-01": 5, "329002001001-02": 2}
    heat = api.get("/api/v1/hotline/analytics/heat", token=t).json()
    cells = {f["properties"]["code"]: f["properties"] for f in heat["features"]}
    assert heat["type"] == "FeatureCollection" and len(cells) == 50 and heat["max"] == 5
    assert cells["329002001001-01"]["intensity"] == 1.0 and cells["329002001001-02"]["intensity"] == 0.4
    assert cells["329002002001-01"]["count"] == 0
    r = api.get("/api/v1/hotline/analytics/volumes", token=t, by="weather")
    assert r.status_code == 422 and r.json()["code"] == "dimension_invalid"
    r = api.get("/api/v1/hotline/analytics/volumes", token=t, start="2026-02-01", end="2026-01-01")
    assert r.status_code == 422 and r.json()["code"] == "date_range_invalid"
    r = api.get("/api/v1/hotline/analytics/heat", token=t, start="not-a-date")
    assert r.status_code == 422 and r.json()["code"] == "validation_error"


def test_every_channel_files_an_order(people, api):
    """Phone (the console), the web and mobile portal, the mini-program's API, the grid page,
    Open311, and 差评 from the ratings system: one kind of work order."""
    from yiwang.accounts.services import issue_token

    c = signed_in(people.users.citizen)
    ua = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148 Safari/604.1"
    r = c.post("/hotline/report/", {"kind": "help", "text": "家门口路灯不亮", "callback_preference": "sms", **INSIDE},
               HTTP_USER_AGENT=ua)
    assert r.status_code == 302
    r = c.post("/hotline/report/", {"kind": "suggestion", "text": "建议滨江路增设公交站", "callback_preference": "none"})
    assert r.status_code == 302
    r = api.post("/api/v1/hotline/orders", {"kind": "complaint", "text": "噪音扰民", **INSIDE},
                 token=issue_token(people.users.citizen)[0])
    assert r.status_code == 201
    services.ensure_demo_open311_client()
    r = Client().post("/open311/v2/requests.json", {"api_key": services.DEMO_OPEN311_KEY, "service_code": "CG05",
                                                    "description": "路灯不亮", "lat": "32.06", "long": "118.81"})
    assert r.status_code == 200
    assert signed_in(people.users.operator).post("/hotline/console/", {**CALL, "intent": "register"}).status_code == 302
    r = signed_in(people.users.worker).post("/grid/report/", {"text": "井盖缺失", **INSIDE})
    assert r.status_code == 302
    rated = services.create_order(None, channel="rating", kind="complaint", text="窗口工作人员态度差（差评转办）")
    assert rated.status == Status.NEW
    from yiwang.core.errors import PermissionDeniedError

    with pytest.raises(PermissionDeniedError):
        services.create_order(people.citizen, channel="rating", kind="complaint", text="冒充差评")
    assert sorted(WorkOrder.objects.values_list("channel", flat=True)) == sorted(
        ["mobile", "web", "api", "open311", "phone", "grid", "rating"])
