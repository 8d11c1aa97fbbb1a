"""Cases end to end in the browser: one online application (一网) and one counter acceptance (一窗),
through to the result being handed out."""

from __future__ import annotations

import re

import pytest
from cases.samples import PDF  # tests/cases/samples.py; make_item comes from tests/conftest.py
from playwright.sync_api import expect

from .support import PageWatch, format_violations, login_citizen, login_staff, run_axe

pytestmark = pytest.mark.e2e

SCHEMA = {
    "type": "object",
    "properties": {
        "applicant_name": {"type": "string", "title": "申请人姓名", "maxLength": 30},
        "applicant_id": {"type": "string", "title": "申请人身份证号码", "format": "resident_id"},
        "phone": {"type": "string", "title": "联系电话", "format": "phone"},
        "shop_name": {"type": "string", "title": "店铺名称", "maxLength": 50},
        "category": {"type": "string", "title": "经营类别", "enum": ["餐饮服务", "食品销售"]},
    },
    "required": ["applicant_name", "applicant_id", "phone", "shop_name", "category"],
}


@pytest.fixture
def food_item(org, make_item):
    return make_item(org["dept"], name="食品经营许可", promised=10, schema=SCHEMA)


def a11y(page, where: str, failures: list[str]) -> None:
    """WCAG 2.1 A/AA with axe-core; problems are collected and reported at the end of the test."""
    violations = run_axe(page)
    if violations:
        failures.append(format_violations(where, violations))


def pdf_upload(name: str) -> dict:
    return {"name": name, "mimeType": "application/pdf", "buffer": PDF}


def test_a_citizen_applies_online_and_follows_the_case(page, make_citizen, food_item):
    from yiwang.cases.models import Case

    failures: list[str] = []
    citizen = make_citizen(name="王秀英")
    login_citizen(page, citizen)
    page.goto(f"/cases/apply/{food_item.code}/")
    a11y(page, "apply form", failures)
    expect(page.get_by_role("heading", level=1)).to_have_text("食品经营许可")
    # pre-filled from the real-name account; the ID number only masked
    expect(page.get_by_label("申请人姓名（必填）")).to_have_value("王秀英")
    expect(page.get_by_test_id("masked-id")).to_have_text(citizen.masked_id_number)
    assert citizen.id_number not in page.content()
    # the guide names no licence type for the ID card, so nothing can be fetched: an upload box says why
    expect(page.get_by_test_id("not-held-id_card")).to_be_visible()

    # a first try without the shop name: 400, error summary focused, the upload kept
    page.get_by_label("申请书").set_input_files(pdf_upload("申请书.pdf"))
    page.get_by_label("经营类别（必填）").select_option("餐饮服务")
    with page.expect_navigation() as nav:
        page.get_by_test_id("submit").click()
    assert nav.value.status == 400
    summary = page.get_by_test_id("error-summary")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link", name=re.compile("店铺名称"))).to_have_attribute("href", "#id_f_shop_name")
    expect(page.get_by_test_id("uploaded-application_form")).to_contain_text("申请书.pdf")
    assert Case.objects.count() == 0
    a11y(page, "apply form with errors", failures)

    page.get_by_label("店铺名称（必填）").fill("望江小吃店")
    with page.expect_navigation():
        page.get_by_test_id("submit").click()
    number = page.get_by_test_id("case-number").inner_text()
    assert re.fullmatch(r"329002\d{8}\d{6}", number)
    expect(page.get_by_test_id("case-status")).to_have_text("待受理")
    a11y(page, "submitted", failures)
    case = Case.objects.get()
    assert case.number == number and case.materials.count() == 1

    # the receipt is a PDF (fetched with the page's session)
    href = page.get_by_test_id("receipt-link").get_attribute("href")
    receipt = page.request.get(href)
    assert receipt.status == 200 and receipt.headers["content-type"] == "application/pdf"
    assert receipt.body().startswith(b"%PDF")

    with page.expect_navigation():
        page.get_by_test_id("case-link").click()
    expect(page.get_by_test_id("case-number")).to_have_text(number)
    timeline = page.get_by_test_id("timeline")
    expect(timeline.locator("li")).to_have_count(1)
    expect(timeline).to_contain_text("提交")
    a11y(page, "case page", failures)

    page.goto("/cases/mine/")
    expect(page.locator(f"[data-testid=case-row][data-number='{number}']")).to_contain_text("待受理")
    a11y(page, "我的办件", failures)
    assert not failures, "\n\n".join(failures)


def test_counter_acceptance_for_a_walk_in_citizen_then_review_decision_and_delivery(
        page, new_context, org, make_citizen, make_staff, food_item):
    from yiwang.accounts.actor import staff_actor
    from yiwang.cases import services
    from yiwang.cases.models import Case, CaseMaterial, Status

    failures: list[str] = []
    citizen = make_citizen(name="赵强")
    clerk = make_staff("clerk", org["centre"], username="clerk_e2e", name="陈静")
    reviewer = make_staff("reviewer", org["dept"], username="reviewer_e2e", name="周敏")
    head = make_staff("dept_head", org["dept"], username="head_e2e", name="孙海")

    # the hall screen and the kiosk, in the hall
    hall = new_context().new_page()
    hall.watch = PageWatch(hall)
    hall.goto("/counter/YX-ZWFW/screen/")
    expect(hall.get_by_test_id("screen")).to_contain_text("尚未叫号")
    kiosk = new_context().new_page()
    kiosk.watch = PageWatch(kiosk)
    kiosk.goto("/counter/YX-ZWFW/take/")
    kiosk.get_by_label("居民身份证号码").fill(citizen.id_number)
    kiosk.get_by_test_id("take").click()
    expect(kiosk.get_by_test_id("ticket-number")).to_have_text("A001")
    a11y(kiosk, "kiosk ticket", failures)

    # the clerk signs in with the second factor and calls the number
    login_staff(page, clerk, clerk.totp())
    page.goto("/counter/")
    with page.expect_navigation():
        page.get_by_test_id("call-next").click()
    expect(page.get_by_test_id("current-number")).to_have_text("A001")
    # the hall screen picks it up by itself (htmx polling)
    expect(hall.get_by_test_id("latest-number")).to_have_text("A001", timeout=12_000)
    expect(hall.get_by_test_id("latest-counter")).to_have_text("01")
    a11y(hall, "hall screen", failures)
    a11y(page, "counter with a called ticket", failures)
    with page.expect_navigation():
        page.get_by_test_id("start").click()

    # identity check by ID number, then the item by name
    page.get_by_label("办事人居民身份证号码").fill(citizen.id_number)
    with page.expect_navigation():
        page.get_by_test_id("lookup").click()
    expect(page.get_by_test_id("citizen")).to_contain_text(citizen.masked_id_number)
    page.get_by_label("事项名称").fill("食品经营")
    with page.expect_navigation():
        page.get_by_role("button", name="搜索").click()
    with page.expect_navigation():
        page.get_by_test_id("item-results").get_by_role("link", name="食品经营许可").click()

    # the same form, on behalf of the citizen, with a scanned material
    expect(page.get_by_test_id("counter-applicant")).to_contain_text("赵强")
    a11y(page, "counter application form", failures)
    expect(page.get_by_label("申请人姓名（必填）")).to_have_value("赵强")
    page.get_by_label("店铺名称（必填）").fill("赵记面馆")
    page.get_by_label("经营类别（必填）").select_option("餐饮服务")
    page.get_by_label("申请书（扫描件）").set_input_files(pdf_upload("scan-0001.pdf"))
    with page.expect_navigation():
        page.get_by_test_id("submit").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("已受理")
    expect(page.get_by_test_id("case-status")).to_have_text("办理中")
    expect(page.get_by_test_id("due-at")).to_contain_text("正常")
    number = page.get_by_test_id("case-number").inner_text()
    case = Case.objects.get(number=number)
    assert case.applicant == citizen and case.channel == "counter" and case.status == Status.IN_REVIEW
    assert case.place == org["centre"] and case.due_at is not None
    assert CaseMaterial.objects.get(case=case).source == "counter_scan"
    receipt = page.request.get(f"/cases/{number}/receipt.pdf")
    assert receipt.status == 200 and receipt.body().startswith(b"%PDF")

    # back office: the reviewer claims the task in the inbox and reviews, with the process diagram
    back = new_context().new_page()
    back.watch = PageWatch(back)
    login_staff(back, reviewer, reviewer.totp())
    back.goto("/work/")
    row = back.locator(f"[data-testid=task-row][data-number='{number}']")
    expect(row).to_contain_text("审查")
    a11y(back, "workbench", failures)
    with back.expect_navigation():
        row.get_by_test_id("claim").click()
    expect(back.locator(f"[data-testid=task-row][data-number='{number}']")).to_contain_text("周敏（我）")
    back.goto(f"/cases/{number}/")
    diagram = back.get_by_test_id("process-diagram")
    expect(diagram).to_have_attribute("data-ready", "true")
    expect(diagram.locator(".djs-element.yw-current")).to_have_count(1)
    a11y(back, "case page for the reviewer, with the diagram", failures)
    back.get_by_label("审查意见").fill("材料齐全，符合条件")
    with back.expect_navigation():
        back.get_by_test_id("action-review").click()
    expect(back.get_by_test_id("timeline")).to_contain_text("材料齐全，符合条件")

    # the head decides (through the service, to save time) and the counter hands out the result
    services.decide(staff_actor(head), number, True, "")
    page.goto("/counter/")
    deliveries = page.get_by_test_id("deliveries")
    expect(deliveries).to_contain_text(number)
    with page.expect_navigation():
        deliveries.locator(f"tr[data-number='{number}']").get_by_test_id("deliver-pickup").click()
    assert Case.objects.get(number=number).status == Status.DELIVERED
    with page.expect_navigation():
        page.get_by_test_id("finish").click()

    # the citizen sees every step with department, time and opinion, and the result
    mine = new_context().new_page()
    mine.watch = PageWatch(mine)
    login_citizen(mine, citizen)
    mine.goto(f"/cases/{number}/")
    expect(mine.get_by_test_id("case-status")).to_have_text("已出件")
    timeline = mine.get_by_test_id("timeline")
    for step in ("提交", "受理", "审查意见", "准予许可", "出件"):
        expect(timeline).to_contain_text(step)
    expect(timeline).to_contain_text("云溪区市场监督管理局")
    expect(mine.get_by_test_id("delivery")).to_contain_text("窗口领取")
    a11y(mine, "concluded case for the citizen", failures)
    assert not failures, "\n\n".join(failures)
    for p in (hall, kiosk, back, mine):
        p.watch.assert_clean()
        p.close()  # the hall screen polls: stop it before the database is flushed
