"""The shell around every page: elderly mode, English, small screens, the Content-Security-Policy."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .support import PageWatch, login_citizen, login_staff

pytestmark = pytest.mark.e2e

ANONYMOUS_PAGES = ["/", "/accounts/login/", "/accounts/login/enterprise/", "/accounts/login/staff/",
                   "/accounts/register/"]


def body_font_px(page) -> float:
    return float(page.evaluate("() => parseFloat(getComputedStyle(document.body).fontSize)"))


def test_elderly_mode_enlarges_type_and_persists_across_pages(page):
    page.goto("/")
    normal = body_font_px(page)
    toggle = page.get_by_role("button", name="长者模式")
    expect(toggle).to_have_attribute("aria-pressed", "false")

    with page.expect_navigation():
        toggle.click()
    expect(page).to_have_url(re.compile(r"/$"))  # back where they were
    large = body_font_px(page)
    assert large >= normal * 1.25, (normal, large)
    expect(page.get_by_role("button", name="长者模式")).to_have_attribute("aria-pressed", "true")
    # headings and buttons grow with the text, not just the body
    h1_px = float(page.evaluate("() => parseFloat(getComputedStyle(document.querySelector('h1')).fontSize)"))
    assert h1_px > large

    page.goto("/accounts/login/")  # another page: still on
    assert body_font_px(page) == large
    button_h = page.locator("form[data-login-method] button.primary").bounding_box()["height"]
    assert button_h >= 56, button_h

    with page.expect_navigation():
        page.get_by_role("button", name="长者模式").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    assert body_font_px(page) == normal
    expect(page.get_by_role("button", name="长者模式")).to_have_attribute("aria-pressed", "false")
    page.goto("/")
    assert body_font_px(page) == normal


def test_english_is_one_click_away_and_back(page):
    page.goto("/accounts/login/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    expect(page.get_by_role("heading", level=1)).to_have_text("个人登录")

    with page.expect_navigation():
        page.get_by_role("button", name="English").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in as an individual")
    expect(page.get_by_label("Resident ID card number")).to_be_visible()
    expect(page).to_have_title("Sign in as an individual · One-Stop Services")

    # errors in English too
    page.locator("#id_id_number").fill("12345")
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_test_id("error-summary")).to_contain_text("A resident ID card number has 18 characters.")

    page.goto("/")  # the choice sticks
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "One-stop government services: fewer trips, easier errands")
    with page.expect_navigation():
        page.get_by_role("button", name="中文").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    expect(page.get_by_role("heading", level=1)).to_have_text("一网通办，少跑腿、好办事")


@pytest.mark.parametrize("elderly", [False, True], ids=["standard", "elderly"])
def test_phone_screen_has_no_sideways_scroll_and_big_tap_targets(new_context, elderly):
    context = new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                          device_scale_factor=2)
    page = context.new_page()
    watch = PageWatch(page)
    if elderly:
        page.goto("/")
        with page.expect_navigation():
            page.get_by_role("button", name="长者模式").click()

    for path in ANONYMOUS_PAGES:
        page.goto(path)
        widths = page.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        assert widths[0] <= widths[1], f"{path}: sideways scroll {widths}"
        targets = page.locator("main button:visible, main .entry, main .tabs a, header button, header nav a, "
                               "main label.radio")
        assert targets.count() >= 3, path
        for i in range(targets.count()):
            box = targets.nth(i).bounding_box()
            name = targets.nth(i).inner_text().strip()
            assert box["height"] >= 44, f"{path}: {name!r} is {box['height']:.0f}px tall"
    watch.assert_clean()


def test_no_csp_violations_on_any_page(page, org, make_citizen, make_staff):
    """The Content-Security-Policy forbids inline scripts and styles; nothing on these pages
    (htmx included) trips it. ``page`` checks the console when the test ends."""
    for path in ANONYMOUS_PAGES + ["/does-not-exist/"]:
        page.goto(path)
    page.goto("/")
    with page.expect_navigation():
        page.get_by_role("button", name="长者模式").click()
    login_citizen(page, make_citizen())
    page.get_by_test_id("reveal-phone").click()  # an htmx swap
    expect(page.get_by_test_id("revealed")).to_be_visible()
    page.context.clear_cookies()
    clerk = make_staff("clerk", org["centre"])
    login_staff(page, clerk, clerk.totp())
    expect(page).to_have_url(re.compile(r"/staff/$"))
    assert not page.watch.csp
