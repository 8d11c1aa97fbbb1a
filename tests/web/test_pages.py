"""The web shell without a browser: status codes, messages, redirects and templates."""

from __future__ import annotations

import re

import pytest

PASSWORD = "Yiwang#2026"  # tests/conftest.py's password for every fixture person
ANONYMOUS_PAGES = {
    "/": "一网通办，少跑腿、好办事",
    "/accounts/login/": "个人登录",
    "/accounts/login/enterprise/": "法人登录",
    "/accounts/login/staff/": "工作人员登录",
    "/accounts/register/": "注册个人账号",
}
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
INLINE_STYLE = re.compile(r"<style\b|\sstyle\s*=|\son[a-z]+\s*=", re.I)


def text(response) -> str:
    return response.content.decode()


@pytest.mark.parametrize("path,heading", ANONYMOUS_PAGES.items())
def test_public_pages_render_in_chinese_for_anonymous_visitors(client, db, path, heading):
    r = client.get(path)
    assert r.status_code == 200
    html = text(r)
    assert f"<h1" in html and heading in html
    assert '<html lang="zh-Hans"' in html
    assert "English" in html and "长者模式" in html  # the two tools in every page's header
    assert not INLINE_SCRIPT.search(html) and not INLINE_STYLE.search(html)
    csp = r.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp and "unsafe-inline" not in csp


def test_personal_centre_sends_anonymous_visitors_to_sign_in_and_back(client, db):
    r = client.get("/me/")
    assert r.status_code == 302 and r["Location"] == "/accounts/login/?next=%2Fme%2F"
    r = client.get(r["Location"])
    assert 'name="next" value="/me/"' in text(r)


def test_staff_workbench_sends_anonymous_visitors_to_staff_sign_in(client, db):
    r = client.get("/staff/")
    assert r.status_code == 302 and r["Location"].startswith("/accounts/login/staff/?next=/staff/")


def test_staff_workbench_refuses_a_citizen_with_403(client, make_citizen):
    client.force_login(make_citizen(), backend="yiwang.accounts.backends.IdentityBackend")
    r = client.get("/staff/")
    assert r.status_code == 403
    assert "无权访问" in text(r) and "该页面仅供工作人员使用。" in text(r)
    assert [t.name for t in r.templates][0] == "403.html"


@pytest.mark.parametrize("path,messages", [
    ("/accounts/login/", ["请输入居民身份证号码。", "请输入密码。"]),
    ("/accounts/login/enterprise/", ["请输入统一社会信用代码。", "请输入法定代表人或经办人的身份证号码。", "请输入密码。"]),
    ("/accounts/login/staff/", ["请输入用户名。", "请输入密码。", "请输入动态口令。"]),
    ("/accounts/register/", ["请输入居民身份证号码。", "请输入姓名。", "请输入手机号码。", "请设置密码。"]),
])
def test_posting_a_form_with_missing_fields_is_a_400_with_a_message_per_field(client, db, path, messages):
    r = client.post(path, {})
    assert r.status_code == 400
    html = text(r)
    assert 'class="error-summary"' in html and "<title>错误：" in html
    for message in messages:
        assert message in html
        assert html.count(message) >= 2  # in the summary and next to the field


def test_citizen_login_with_the_sms_method_asks_for_the_code(client, make_citizen):
    user = make_citizen()
    r = client.post("/accounts/login/", {"id_number": user.id_number, "method": "sms", "sms_code": "12"})
    assert r.status_code == 400 and "短信验证码应为 6 位数字。" in text(r)
    r = client.post("/accounts/login/", {"id_number": user.id_number, "method": "sms"})
    assert r.status_code == 400 and "请输入短信验证码。" in text(r)
    r = client.post("/accounts/login/", {"id_number": user.id_number, "method": "fax", "password": PASSWORD})
    assert r.status_code == 400 and "请选择登录方式。" in text(r)


def test_citizen_login_accepts_the_number_as_people_type_it(client, make_citizen):
    user = make_citizen()
    spaced = " ".join([user.id_number[:6], user.id_number[6:14], user.id_number[14:]]).lower()
    r = client.post("/accounts/login/", {"id_number": spaced, "method": "password", "password": PASSWORD})
    assert r.status_code == 302 and r["Location"] == "/me/"


def test_citizen_login_wrong_password_is_400_and_no_session(client, make_citizen):
    user = make_citizen()
    r = client.post("/accounts/login/", {"id_number": user.id_number, "method": "password", "password": "nope-nope"})
    assert r.status_code == 400 and "身份证号码或密码错误。" in text(r)
    assert client.get("/me/").status_code == 302


def test_invalid_id_number_gets_the_validator_message(client, db):
    r = client.post("/accounts/login/", {"id_number": "110101199003071234", "method": "password", "password": "x"})
    assert r.status_code == 400
    assert "身份证号码校验位错误，请核对后重新输入。" in text(r)
    assert 'href="#id_id_number"' in text(r) and 'aria-invalid="true"' in text(r)


def test_login_never_redirects_off_site(client, make_citizen):
    user = make_citizen()
    r = client.post("/accounts/login/?next=https://evil.example/", {
        "id_number": user.id_number, "method": "password", "password": PASSWORD, "next": "https://evil.example/"})
    assert r.status_code == 302 and r["Location"] == "/me/"


def test_staff_login_with_totp_then_the_workbench_shows_the_role(client, org, make_staff):
    clerk = make_staff("clerk", org["centre"], name="李娜")
    r = client.post("/accounts/login/staff/", {"username": clerk.username, "password": PASSWORD, "otp": "000000"})
    assert r.status_code == 400 and "用户名、密码或动态口令错误。" in text(r)
    assert 'value="000000"' not in text(r)
    clerk.device.refresh_from_db()
    clerk.device.throttle_reset()  # django-otp throttles a device for a second after a wrong code
    r = client.post("/accounts/login/staff/", {"username": clerk.username, "password": PASSWORD, "otp": clerk.totp()})
    assert r.status_code == 302 and r["Location"] == "/staff/"
    r = client.get("/staff/")
    assert r.status_code == 200
    assert "李娜" in text(r) and "综合窗口受理员" in text(r) and "核验办事人身份" in text(r)


def test_staff_password_without_totp_is_not_a_session(client, org, make_staff):
    reviewer = make_staff("reviewer", org["dept"])
    client.force_login(reviewer, backend="yiwang.accounts.backends.IdentityBackend")  # no second factor
    assert client.get("/staff/").status_code == 302


def test_staff_lookup_with_a_bad_number_is_a_400_with_the_message(client, org, make_staff, make_citizen):
    clerk = make_staff("clerk", org["centre"])
    client.post("/accounts/login/staff/", {"username": clerk.username, "password": PASSWORD, "otp": clerk.totp()})
    r = client.post("/staff/", {"id_number": "123"})
    assert r.status_code == 400 and "居民身份证号码应为 18 位。" in text(r) and 'value="123"' in text(r)
    citizen = make_citizen(name="赵敏")
    r = client.post("/staff/", {"id_number": citizen.id_number})
    assert r.status_code == 200 and "赵敏" in text(r) and citizen.masked_id_number in text(r)
    assert citizen.id_number not in text(r)  # masked until a reveal, and never in a URL
    r = client.post("/staff/", {"id_number": "110101199003071234"})
    assert r.status_code == 400 and "校验位错误" in text(r)
    r = client.get("/staff/", {"id_number": citizen.id_number})  # a number in the URL is not looked up
    assert r.status_code == 302 and r["Location"] == "/staff/"


def test_switching_to_a_role_one_does_not_hold_is_refused(client, org, make_staff):
    clerk = make_staff("clerk", org["centre"])
    client.post("/accounts/login/staff/", {"username": clerk.username, "password": PASSWORD, "otp": clerk.totp()})
    for value in ("", "abc", "999999", "99999999999999999999999"):
        r = client.post("/staff/role/", {"role_id": value})
        assert r.status_code == 403 and "您没有该角色。" in text(r)


def test_registration(client, db):
    from yiwang.accounts.models import User
    from yiwang.core.identity import make_resident_id
    from yiwang.notifications.models import Notification
    from datetime import date

    number = make_resident_id("320102", date(1990, 5, 17), 421)
    data = {"id_number": number, "name": "周杰", "phone": "138 0013 8000", "password": "Qingshan#2026"}
    r = client.post("/accounts/register/", data)
    assert r.status_code == 302 and r["Location"] == "/accounts/register/confirm/"
    html = text(client.get(r["Location"]))
    assert "<h1>确认手机号码</h1>" in html and "138****8000" in html and 'autocomplete="one-time-code"' in html
    sms = Notification.objects.get(channel="sms")
    code = re.search(r"\d{6}", sms.body).group(0)
    r = client.post("/accounts/register/confirm/", {"sms_code": code})
    assert r.status_code == 302 and r["Location"] == "/me/"
    user = User.objects.find_by_id_number(number)
    assert user.name == "周杰" and user.phone == "13800138000"
    assert "注册成功" in text(client.get("/me/"))


def test_registering_an_already_registered_number_says_nothing_about_it(client, make_citizen):
    from yiwang.accounts.models import User

    existing = make_citizen()
    before = User.objects.count()
    r = client.post("/accounts/register/", {"id_number": existing.id_number, "name": "另一个人",
                                            "phone": "13900139000", "password": "Qingshan#2026"})
    assert r.status_code == 302 and r["Location"] == "/accounts/register/confirm/"
    html = text(client.get(r["Location"]))
    assert "已注册" not in html and "如该身份证号码可以注册，验证码已发送至 139****9000" in html
    assert User.objects.count() == before
    assert client.get("/me/").status_code == 302  # not signed in


def test_registration_confirm_with_a_missing_code_is_a_400_with_the_message(client, db):
    from yiwang.core.identity import make_resident_id
    from datetime import date

    client.post("/accounts/register/", {"id_number": make_resident_id("320102", date(1990, 5, 17), 425),
                                        "name": "周杰", "phone": "13800138000", "password": "Qingshan#2026"})
    r = client.post("/accounts/register/confirm/", {})
    assert r.status_code == 400 and text(r).count("请输入短信验证码。") >= 2


def test_registration_with_a_weak_password_lists_each_problem(client, db):
    from yiwang.core.identity import make_resident_id
    from datetime import date

    r = client.post("/accounts/register/", {"id_number": make_resident_id("320102", date(1990, 5, 17), 423),
                                            "name": "周", "phone": "1234", "password": "12345678"})
    assert r.status_code == 400
    html = text(r)
    assert "请填写证件上的姓名。" in html and "请填写 11 位手机号码。" in html
    assert "这个密码太常见了。" in html and "密码只包含数字。" in html  # Django's own translations


def test_logout_needs_post(client, make_citizen):
    client.force_login(make_citizen(), backend="yiwang.accounts.backends.IdentityBackend")
    r = client.get("/accounts/logout/")
    assert r.status_code == 405 and r["Allow"] == "POST"
    assert "该操作只能通过页面上的按钮提交" in text(r)
    assert client.get("/me/").status_code == 200  # still signed in
    r = client.post("/accounts/logout/")
    assert r.status_code == 302 and r["Location"] == "/"
    assert "您已安全退出。" in text(client.get("/"))
    assert client.get("/me/").status_code == 302


def test_unknown_url_gets_the_chinese_404_page(client, db):
    r = client.get("/no/such/page/")
    assert r.status_code == 404
    assert [t.name for t in r.templates][0] == "404.html"
    assert "页面不存在" in text(r) and "返回首页" in text(r)
    client.cookies["django_language"] = "en"
    r = client.get("/no/such/page/")
    assert r.status_code == 404 and "Page not found" in text(r)


def test_500_page_renders_without_a_request_context(rf):
    from django.views.defaults import server_error

    r = server_error(rf.get("/"))
    assert r.status_code == 500
    assert "系统繁忙，请稍后再试" in text(r) and "12345" in text(r)
    assert not INLINE_SCRIPT.search(text(r)) and not INLINE_STYLE.search(text(r))


def test_csrf_failure_is_a_friendly_403(db):
    from django.test import Client

    r = Client(enforce_csrf_checks=True).post("/accounts/login/", {"id_number": "x"})
    assert r.status_code == 403
    assert "页面已过期或请求来源无效，请刷新页面后重试。" in text(r)


def test_sms_code_with_htmx_and_without(client, make_citizen):
    user = make_citizen()
    htmx = {"HX-Request": "true"}
    r = client.post("/accounts/sms-code/", {"id_number": "123"}, headers=htmx)
    assert r.status_code == 400 and "居民身份证号码应为 18 位。" in text(r) and "<html" not in text(r)
    r = client.post("/accounts/sms-code/", {"id_number": user.id_number}, headers=htmx)
    assert r.status_code == 200 and "验证码已发送" in text(r)
    r = client.post("/accounts/sms-code/", {"id_number": user.id_number}, headers=htmx)
    assert r.status_code == 429 and "请 60 秒后再试" in text(r)
    # without JavaScript the login form's own button posts to the login page
    r = client.post("/accounts/login/", {"id_number": user.id_number, "send_sms": "1"})
    assert r.status_code == 429 and "请 60 秒后再试" in text(r) and "<html" in text(r)
    assert client.get("/accounts/sms-code/").status_code == 405


def test_reveal_is_audited_and_scoped(client, make_citizen):
    from yiwang.core.models import AuditEvent

    me, other = make_citizen(name="甲"), make_citizen(name="乙")
    htmx = {"HX-Request": "true"}
    assert client.post(f"/people/{me.username}/reveal/id_number/", headers=htmx).status_code == 401
    client.force_login(me, backend="yiwang.accounts.backends.IdentityBackend")

    r = client.post(f"/people/{me.username}/reveal/id_number/", headers=htmx)
    assert r.status_code == 200 and me.id_number in text(r)
    assert AuditEvent.objects.filter(action="pii.reveal", object_id=str(me.pk)).count() == 1

    r = client.post(f"/people/{other.username}/reveal/phone/", headers=htmx)
    assert r.status_code == 403 and "您的角色无权查看完整的个人信息。" in text(r) and other.phone not in text(r)
    assert AuditEvent.objects.filter(action="pii.reveal_denied", object_id=str(other.pk)).exists()

    assert client.post(f"/people/{me.username}/reveal/password/", headers=htmx).status_code == 400
    assert client.post("/people/nobody/reveal/phone/", headers=htmx).status_code == 404
    assert client.post("/people/a%00b/reveal/phone/", headers=htmx).status_code in (400, 404)  # never a 500
    assert client.get(f"/people/{me.username}/reveal/phone/").status_code == 405

    # without JavaScript: a page with the value and a way back
    r = client.post(f"/people/{me.username}/reveal/phone/", {"next": "/me/"})
    assert r.status_code == 200 and me.phone in text(r) and 'href="/me/"' in text(r)


def test_elderly_mode_is_a_cookie_and_a_class(client, db):
    r = client.post("/settings/elderly/", {"next": "/accounts/login/"})
    assert r.status_code == 302 and r["Location"] == "/accounts/login/"
    assert r.cookies["yw_elderly"].value == "1" and r.cookies["yw_elderly"]["httponly"]
    html = text(client.get("/accounts/login/"))
    assert '<html lang="zh-Hans" class="elderly">' in html and 'aria-pressed="true"' in html
    r = client.post("/settings/elderly/", {"next": "https://evil.example/"})
    assert r["Location"] == "/"
    assert 'class="elderly"' not in text(client.get("/"))
    assert client.get("/settings/elderly/").status_code == 405


def test_english(client, db):
    r = client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})
    assert r.status_code == 302 and r["Location"] == "/accounts/login/"
    html = text(client.get("/accounts/login/"))
    assert '<html lang="en"' in html and "Sign in as an individual" in html and "Resident ID card number" in html
    assert ">中文</button>" in html
    r = client.post("/accounts/login/", {"id_number": "110101199003071234", "password": "x", "method": "password"})
    assert r.status_code == 400
    assert "The check digit of the ID card number is wrong." in text(r)


def test_home_lists_demo_accounts_by_role_in_demo_mode(client, db, settings, monkeypatch):
    from base64 import b32encode

    from yiwang.core.demo import accounts as demo

    secret = b32encode(b"12345678901234567890").decode()
    monkeypatch.setattr(demo, "demo_accounts", lambda **kw: [
        {"role": "citizen", "login": "320102198503141235", "password": "Demo#2026", "department": "", "name": "张伟"},
        {"role": "clerk", "login": "clerk_yx", "password": "Demo#2026", "department": "云溪区政务服务中心",
         "name": "李娜", "totp_secret": secret, "otp_uri": "otpauth://totp/x"},
    ])
    settings.DEMO_MODE = True
    html = text(client.get("/"))
    assert "演示账号" in html
    assert html.index(">市民（1）<") < html.index(">综合窗口受理员（1）<")
    assert "320102198503141235" in html and "clerk_yx" in html and secret in html
    from yiwang.web.demo import current_totp

    assert re.search(r'class="otp-now">\d{6}<', html) and len(current_totp(secret)) == 6

    settings.DEMO_MODE = False
    html = text(client.get("/"))
    assert "演示账号" not in html and "clerk_yx" not in html
