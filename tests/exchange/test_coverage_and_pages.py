"""Point 10: the coverage report, and the staff pages render for the roles that use them."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from yiwang.exchange import coverage, services


def test_coverage_counts_per_department(ex, make_resource, seed, grant, make_item, monkeypatch):
    monkeypatch.setattr(services, "licence_selectors", lambda: None)
    monkeypatch.setattr(coverage, "licence_selectors", lambda: None)
    hj = make_resource(ex["provider"], "GA-HJXX", licence_types=["JMSFZ"])
    seed(hj, {ex["alice"].id_number: {"name": "王丽"}})
    grant(hj, ex["platform"])
    make_resource(ex["provider"], "RS-CBJF")  # published, no grant, no data
    make_item(ex["requester"], [
        ("application_form", "申请书", True, "applicant", ""),
        ("household_register", "居民户口簿", True, "shared_data", "GA-HJXX"),
        ("resident_id_card", "身份证", True, "licence", "JMSFZ"),
        ("social", "参保记录", True, "shared_data", "RS-CBJF"),
        ("tax", "完税证明", True, "shared_data", "SW-WSZM"),
        ("cert", "执业资格证书", True, "licence", "ZYZG"),
    ])
    make_item(ex["other"], [("form", "申请表", True, "applicant", "")])
    report = coverage.compute()
    rows = {r["department"]: r for r in report["rows"]}
    scjg = rows["YX-SCJG"]
    assert (scjg["total"], scjg["target"], scjg["satisfied"]) == (6, 5, 2)
    assert scjg["pct_target"] == 40.0 and scjg["pct_total"] == 33.3
    reasons = {g["ref"]: g["reason"] for g in scjg["gaps"]}
    assert reasons == {"RS-CBJF": "无授权", "SW-WSZM": "未编目", "ZYZG": "证照库未接入"}
    assert (rows["YX-MZ"]["total"], rows["YX-MZ"]["target"], rows["YX-MZ"]["satisfied"]) == (1, 0, 0)
    assert report["totals"]["total"] == 7 and report["totals"]["satisfied"] == 2
    md = coverage.as_markdown(report)
    assert "YX-SCJG" in md and "40.0%" in md


def test_coverage_page_and_api(ex, make_item, client):
    make_item(ex["requester"], [("application_form", "申请书", True, "applicant", "")])
    r = client.get("/exchange/coverage/")
    assert r.status_code == 200 and 'data-department="YX-SCJG"' in r.content.decode()
    assert client.get("/api/v1/exchange/coverage").json()["totals"]["total"] == 1


def _staff_session(client, user):
    """A staff session with its second factor, as the staff login leaves it."""
    from django_otp import DEVICE_ID_SESSION_KEY

    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = user.device.persistent_id
    session.save()


def test_staff_pages(ex, make_resource, grant, client):
    resource = make_resource(ex["provider"], "GA-HJXX")
    grant(resource, ex["requester"])
    services.request_share(ex["actors"]["other_steward"], "GA-HJXX", fields=["name"], purpose="低保核验",
                           requested_until=timezone.localdate() + timedelta(days=365))
    _staff_session(client, ex["users"]["provider_steward"])
    assert 'data-code="GA-HJXX"' in client.get("/exchange/").content.decode()
    page = client.get("/exchange/resources/GA-HJXX/").content.decode()
    assert "人口户籍信息" in page and "授权情况" in page
    desk = client.get("/exchange/desk/").content.decode()
    assert desk.count('data-testid="incoming-request"') == 1 and 'data-testid="grant-row"' in desk
    assert client.get("/exchange/log/").status_code == 200
    assert client.get("/exchange/supervision/").status_code == 403
    # refuse through the desk form
    from yiwang.exchange.models import ShareRequest

    req = ShareRequest.objects.get(status="pending")
    r = client.post("/exchange/desk/", {"action": "refuse", "id": req.pk, "reason": "用途不明确"})
    assert r.status_code == 302
    req.refresh_from_db()
    assert req.status == "refused" and req.reason == "用途不明确"
    _staff_session(client, ex["users"]["supervisor"])
    assert client.get("/exchange/supervision/").status_code == 200


def test_steward_creates_a_resource_through_the_page(ex, client):
    _staff_session(client, ex["users"]["provider_steward"])
    r = client.post("/exchange/resources/new/", {
        "code": "GA-JZZ", "name": "居住证信息", "subject_kind": "resident_id", "fields": "name 姓名\naddress 居住地址",
        "update_frequency": "daily", "legal_basis": "《居住证暂行条例》", "share_class": "conditional",
        "share_conditions": "用于积分入学等事项", "licence_types": "JZZ"})
    assert r.status_code == 302
    from yiwang.exchange.models import DataResource

    res = DataResource.objects.get(code="GA-JZZ")
    assert res.field_keys == ["name", "address"] and res.licence_types == ["JZZ"] and res.status == "draft"
    client.post("/exchange/resources/GA-JZZ/", {"action": "publish"})
    res.refresh_from_db()
    assert res.status == "published"
