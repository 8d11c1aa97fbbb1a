"""WCAG 2.1 A and AA, checked with axe-core (npm devDependency) on every page of the shell, in the
standard and the elderly mode, in Chinese and in English. axe is served from the page's own origin,
so the Content-Security-Policy stays on while it runs."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .support import format_violations, login_citizen, login_staff, run_axe

pytestmark = pytest.mark.e2e

PUBLIC = ["/", "/accounts/login/", "/accounts/login/enterprise/", "/accounts/login/staff/",
          "/accounts/register/", "/no-such-page/"]


def check(page, where: str, failures: list[str]) -> None:
    violations = run_axe(page)
    if violations:
        failures.append(format_violations(where, violations))


def set_elderly(page, on: bool) -> None:
    button = page.get_by_role("button", name="长者模式")
    if (button.get_attribute("aria-pressed") == "true") != on:
        with page.expect_navigation():
            button.click()


@pytest.mark.parametrize("elderly", [False, True], ids=["standard", "elderly"])
def test_pages_have_no_wcag21_aa_violations(page, org, make_citizen, make_staff, elderly):
    failures: list[str] = []
    page.goto("/")
    set_elderly(page, elderly)
    mode = "elderly" if elderly else "standard"

    for path in PUBLIC:
        page.goto(path)
        check(page, f"{path} ({mode})", failures)

    # forms showing errors: the error summary, error messages, aria-invalid fields
    page.goto("/accounts/login/")
    page.locator("#id_id_number").fill("110101199003071234")
    page.locator("form[data-login-method] button.primary").click()
    expect(page.get_by_test_id("error-summary")).to_be_visible()
    check(page, f"/accounts/login/ with errors ({mode})", failures)
    page.goto("/accounts/register/")
    page.get_by_role("button", name="注册", exact=True).click()
    expect(page.get_by_test_id("error-summary")).to_be_visible()
    check(page, f"/accounts/register/ with errors ({mode})", failures)

    # the SMS method with its status line (htmx)
    citizen = make_citizen()
    page.goto("/accounts/login/")
    page.locator("#id_id_number").fill(citizen.id_number)
    page.get_by_label("短信验证码").first.check()
    page.get_by_role("button", name="获取短信验证码").click()
    expect(page.locator("#sms-status")).not_to_be_empty()
    check(page, f"/accounts/login/ SMS method ({mode})", failures)

    # signed in as a citizen, before and after revealing the full number
    login_citizen(page, citizen)
    check(page, f"/me/ ({mode})", failures)
    page.get_by_test_id("reveal-id_number").click()
    expect(page.get_by_test_id("revealed")).to_be_visible()
    check(page, f"/me/ revealed ({mode})", failures)

    # signed in as staff: a clerk (with the identity lookup) and an admin (with the audit table)
    page.context.clear_cookies()
    page.goto("/")
    set_elderly(page, elderly)
    clerk = make_staff("clerk", org["centre"])
    login_staff(page, clerk, clerk.totp())
    for number, what in ((citizen.id_number, "a lookup"), ("123", "a lookup error")):
        page.get_by_label("居民身份证号码").fill(number)
        with page.expect_navigation():
            page.get_by_role("button", name="查询").click()
        check(page, f"/staff/ clerk with {what} ({mode})", failures)

    page.context.clear_cookies()
    page.goto("/")
    set_elderly(page, elderly)
    admin = make_staff("platform_admin", org["dept"], username="admin_a11y")
    login_staff(page, admin, admin.totp())
    check(page, f"/staff/ platform admin ({mode})", failures)

    assert not failures, "\n\n".join(failures)


def test_english_pages_have_no_wcag21_aa_violations(page, make_citizen):
    failures: list[str] = []
    page.goto("/")
    with page.expect_navigation():
        page.get_by_role("button", name="English").click()
    for path in PUBLIC:
        page.goto(path)
        check(page, f"{path} (English)", failures)
    login_citizen(page, make_citizen())
    check(page, "/me/ (English)", failures)
    assert not failures, "\n\n".join(failures)
