"""The guide pages citizens read (and print, and open on a phone by QR code), browsing, and the
catalog desk for department staff."""

from __future__ import annotations

import pytest

from yiwang.catalog.models import Bundle, ServiceItem

pytestmark = pytest.mark.django_db


def test_guide_page_answers_the_citizens_questions(demo_catalog, client):
    item = ServiceItem.objects.get(name="出生登记")
    r = client.get(f"/services/items/{item.code}/")
    assert r.status_code == 200
    html = r.content.decode()
    assert "<h1>出生登记</h1>" in html
    assert "只需到现场 1 次" in html  # can I do it online, how many visits
    assert "出生医学证明" in html and "从电子证照库调取" in html and "免提交" in html
    assert "中华人民共和国户口登记条例" in html
    assert 'src="data:image/svg+xml' in html  # QR code, inline, CSP-safe
    assert "<script" not in html.split("</header>")[1]  # no inline scripts in the page body
    assert " style=" not in html


def test_full_online_item_says_zero_visits(demo_catalog, client):
    item = ServiceItem.objects.get(name="无犯罪记录证明开具")
    html = client.get(f"/services/items/{item.code}/").content.decode()
    assert "可以全程网上办理" in html and "到现场 0 次" in html


def test_bundle_page(demo_catalog, client):
    b = Bundle.objects.get(name="开办餐饮店")
    html = client.get(f"/services/bundles/{b.code}/").content.decode()
    assert "开办餐饮店" in html and "食品经营许可" in html and "只交一次" in html


def test_browsing(demo_catalog, client):
    html = client.get("/services/").content.decode()
    assert "出生" in html and "开办企业" in html and "区市场监管局" in html
    assert "出生登记" in client.get("/services/topics/birth/").content.decode()
    assert "食品经营许可" in client.get("/services/departments/YX-SCJG/").content.decode()
    assert "最低生活保障审批" in client.get("/services/tiers/community/").content.decode()
    assert client.get("/services/topics/nope/").status_code == 404
    assert client.get("/services/items/NOPE/").status_code == 404


def test_old_versions_stay_readable(demo_catalog, client):
    from yiwang.catalog import services
    from yiwang.catalog.permissions import SYSTEM

    item = ServiceItem.objects.get(name="养犬登记")
    draft = services.start_revision(SYSTEM, item)
    services.update_draft(SYSTEM, draft, {"summary": "新版说明"})
    assert client.get(f"/services/items/{item.code}/v/2/").status_code == 404  # drafts are not public
    services.submit_for_review(SYSTEM, draft)
    services.publish(SYSTEM, draft)
    old = client.get(f"/services/items/{item.code}/v/1/").content.decode()
    assert "不是现行版本" in old and "每户限养一只" in old
    history = client.get(f"/services/items/{item.code}/history/").content.decode()
    assert "第 2 版" in history and "第 1 版" in history


def test_catalog_desk(demo_catalog, client, make_staff):
    from yiwang.core.models import Department

    dept = Department.objects.get(code="YX-GA")
    head = make_staff("dept_head", dept)
    assert client.get("/services/manage/").status_code == 302
    r = client.post("/accounts/login/staff/", {"username": head.username, "password": "Yiwang#2026",
                                               "otp": head.totp(), "next": "/services/manage/"})
    assert r.status_code == 302, r.content.decode()[:500]
    html = client.get("/services/manage/").content.decode()
    assert "出生登记" in html and "食品经营许可" not in html  # only the own department's items
    item = ServiceItem.objects.get(name="居住证申领")
    r = client.post(f"/services/manage/items/{item.code}/revise/")
    assert r.status_code == 302
    version = item.versions.get(number=2)
    r = client.post(f"/services/manage/versions/{version.pk}/edit/", {
        "name": "居住证申领", "summary": "新的一句话说明", "acceptance_conditions": "条件", "legal_basis": "依据",
        "statutory_limit_days": 15, "promised_limit_days": 99, "visits": 1, "online_depth": 3, "handling_place": "地点",
        "handling_hours": "时间", "consultation": "电话", "complaint": "12345"})
    assert r.status_code == 400 and "承诺时限不能超过法定时限" in r.content.decode()
    other = ServiceItem.objects.get(name="食品经营许可")
    assert client.post(f"/services/manage/items/{other.code}/revise/").status_code == 302
    assert other.versions.count() == 1  # refused: not their department


def test_item_guide_does_not_claim_shared_materials(demo_catalog, client):
    item = ServiceItem.objects.get(name="出生登记")
    assert "只交一次" not in client.get(f"/services/items/{item.code}/").content.decode()
    b = Bundle.objects.get(name="新生儿出生")
    assert "个事项共用，只交一次" in client.get(f"/services/bundles/{b.code}/").content.decode()
