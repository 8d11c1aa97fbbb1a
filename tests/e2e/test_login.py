"""Signing in, as a person sees it in the browser: citizens (password and SMS code, with and
without JavaScript) and staff with their second factor."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .support import PASSWORD, PageWatch, login_citizen, login_staff

pytestmark = pytest.mark.e2e


def test_citizen_signs_in_and_reveals_their_full_id_number(page, make_citizen):
    from yiwang.core.models import AuditEvent

    user = make_citizen(name="王秀英")
    login_citizen(page, user)

    expect(page).to_have_url(re.compile(r"/me/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("个人中心")
    expect(page.get_by_test_id("display-name")).to_have_text("王秀英")
    masked = user.id_number[:4] + "*" * 10 + user.id_number[-4:]
    expect(page.get_by_test_id("masked-id")).to_have_text(masked)
    assert user.id_number not in page.content()  # the full number is not in the page yet

    page.get_by_test_id("reveal-id_number").click()  # "显示完整号码", via htmx
    expect(page.get_by_test_id("revealed")).to_have_text(user.id_number)
    expect(page).to_have_url(re.compile(r"/me/$"))  # swapped in place, no navigation

    event = AuditEvent.objects.filter(action="pii.reveal", object_id=str(user.pk)).get()
    assert event.actor_id == user.pk and event.data["field"] == "id_number"


def test_invalid_id_number_gets_a_precise_error_summary_and_400(page, make_citizen):
    good = make_citizen().id_number
    wrong_check = good[:17] + ("0" if good[17] != "0" else "1")

    page.goto("/accounts/login/")
    page.locator("#id_id_number").fill(wrong_check)
    page.locator("#id_password").fill(PASSWORD)
    with page.expect_navigation() as nav:
        page.locator("form[data-login-method] button.primary").click()
    assert nav.value.status == 400

    summary = page.get_by_test_id("error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()  # GOV.UK pattern: focus moves to the summary
    expect(summary.get_by_role("heading")).to_have_text("请更正以下问题")
    link = summary.get_by_role("link", name=re.compile("居民身份证号码：身份证号码校验位错误"))
    expect(link).to_have_attribute("href", "#id_id_number")
    expect(page).to_have_title(re.compile(r"^错误："))
    # the same message next to the field, tied to it for screen readers
    expect(page.locator("#id_id_number_error")).to_contain_text("身份证号码校验位错误，请核对后重新输入。")
    expect(page.locator("#id_id_number")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#id_id_number")).to_have_attribute("aria-describedby", re.compile("id_id_number_error"))

    link.click()
    expect(page.locator("#id_id_number")).to_be_focused()
    expect(page.locator("#id_id_number")).to_have_value(wrong_check)  # what they typed is kept


def test_wrong_password_is_refused_without_a_session(page, make_citizen):
    user = make_citizen()
    login_citizen(page, user, password="not-the-password")
    expect(page.get_by_test_id("error-summary")).to_contain_text("身份证号码或密码错误。")
    page.goto("/me/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=%2Fme%2F$"))


def test_staff_signs_in_with_totp_and_sees_their_role(page, org, make_staff):
    clerk = make_staff("clerk", org["centre"], name="李娜")

    # a wrong one-time code: an error, and no session
    good = clerk.totp()
    wrong = f"{(int(good) + 500_000) % 1_000_000:06d}"
    response = login_staff(page, clerk, wrong)
    assert response.status == 400
    expect(page.get_by_test_id("error-summary")).to_contain_text("用户名、密码或动态口令错误。")
    expect(page.get_by_label("动态口令（6 位）")).to_have_value("")
    assert not [c for c in page.context.cookies() if c["name"] == "sessionid"]
    page.goto("/staff/")
    expect(page).to_have_url(re.compile(r"/accounts/login/staff/\?next=/staff/$"))

    # the right one (django-otp refuses any code for a second after a wrong one; a person is slower)
    clerk.device.refresh_from_db()
    clerk.device.throttle_reset()
    login_staff(page, clerk, clerk.totp())
    expect(page).to_have_url(re.compile(r"/staff/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("工作台")
    expect(page.get_by_test_id("staff-name")).to_have_text("李娜")
    expect(page.get_by_test_id("active-role")).to_have_text("综合窗口受理员 @ 云溪区政务服务中心")
    expect(page.get_by_role("link", name="工作台")).to_have_attribute("aria-current", "page")


def test_staff_password_without_second_factor_is_not_a_session(page, org, make_staff):
    reviewer = make_staff("reviewer", org["dept"])
    page.goto("/accounts/login/staff/")
    page.get_by_label("用户名").fill(reviewer.username)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_label("动态口令（6 位）").fill("12ab")
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page.get_by_test_id("error-summary")).to_contain_text("动态口令应为 6 位数字。")
    page.goto("/staff/")
    expect(page).to_have_url(re.compile(r"/accounts/login/staff/"))


def _use_known_sms_code(user, code="246810"):
    from yiwang.accounts.backends import hash_code
    from yiwang.accounts.models import SmsLoginCode

    entry = SmsLoginCode.objects.filter(user=user).latest("created_at")
    SmsLoginCode.objects.filter(pk=entry.pk).update(code_hash=hash_code(code))
    return code


def test_citizen_signs_in_with_an_sms_code_sent_by_htmx(page, make_citizen):
    user = make_citizen(name="陈静")
    page.goto("/accounts/login/")
    page.locator("#id_id_number").fill(user.id_number)
    expect(page.locator("#id_sms_code")).to_be_hidden()  # with JavaScript: only the chosen method
    page.get_by_label("短信验证码").first.check()
    expect(page.locator("#id_password")).to_be_hidden()

    page.get_by_role("button", name="获取短信验证码").click()
    expect(page.locator("#sms-status")).to_contain_text("验证码已发送")
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))  # htmx: no page load

    # asking again at once: a precise message, in place
    page.get_by_role("button", name="获取短信验证码").click()
    expect(page.locator("#sms-status")).to_contain_text("验证码已发送，请 60 秒后再试。")

    page.locator("#id_sms_code").fill(_use_known_sms_code(user))
    with page.expect_navigation():
        page.locator("#id_sms_code").press("Enter")  # Enter signs in; it does not send another code
    expect(page).to_have_url(re.compile(r"/me/$"))
    expect(page.get_by_test_id("display-name")).to_have_text("陈静")


def test_citizen_login_works_without_javascript(new_context, make_citizen):
    user = make_citizen(name="刘洋")
    page = new_context(java_script_enabled=False).new_page()
    watch = PageWatch(page)

    page.goto("/accounts/login/")
    expect(page.locator("#id_password")).to_be_visible()
    expect(page.locator("#id_sms_code")).to_be_visible()  # both methods shown without JavaScript

    # the SMS button is a real submit button: the whole page comes back with the status
    page.locator("#id_id_number").fill(user.id_number)
    with page.expect_navigation() as nav:
        page.get_by_role("button", name="获取短信验证码").click()
    assert nav.value.status == 200
    expect(page.locator("#sms-status")).to_contain_text("验证码已发送")
    expect(page.locator("#id_id_number")).to_have_value(user.id_number)
    expect(page.get_by_label("短信验证码").first).to_be_checked()

    # an invalid number through the same button: the error summary and a 400
    page.locator("#id_id_number").fill("123")
    with page.expect_navigation() as nav:
        page.get_by_role("button", name="获取短信验证码").click()
    assert nav.value.status == 400
    expect(page.get_by_test_id("error-summary")).to_contain_text("居民身份证号码应为 18 位。")

    # signing in with the code
    page.locator("#id_id_number").fill(user.id_number)
    page.get_by_label("短信验证码").first.check()
    page.locator("#id_sms_code").fill(_use_known_sms_code(user))
    with page.expect_navigation():
        page.get_by_role("button", name="登录", exact=True).click()
    expect(page).to_have_url(re.compile(r"/me/$"))

    # revealing the full number without JavaScript: a page with the value and a way back
    with page.expect_navigation():
        page.get_by_test_id("reveal-id_number").click()
    expect(page.get_by_test_id("revealed")).to_have_text(user.id_number)
    with page.expect_navigation():
        page.get_by_role("link", name="返回").click()
    expect(page).to_have_url(re.compile(r"/me/$"))

    # and signing out
    with page.expect_navigation():
        page.get_by_role("button", name="退出").click()
    expect(page.get_by_role("status")).to_contain_text("您已安全退出。")
    watch.assert_clean()
