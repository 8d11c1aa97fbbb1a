"""In the browser (headless Chromium, the shared fixtures of tests/e2e): an operator takes a call,
takes the suggested department and dispatches it; a grid worker reports an incident from a
phone-sized screen with a photo and the browser's location; the map draws the district."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .support import PageWatch, login_staff, run_axe, format_violations

from hotline.conftest import jpeg
from hotline.world import build_district

pytestmark = pytest.mark.e2e


@pytest.fixture
def live_world(transactional_db, make_staff):
    from types import SimpleNamespace

    from yiwang.core.models import ServicePlace
    from yiwang.grid.models import Grid, GridMember
    from yiwang.hotline import classifier

    classifier.reset()
    d = build_district()
    place = ServicePlace.objects.create(code="YX-JB", name="江滨街道便民服务中心", tier="street",
                                        division_id="329002001000", address="滨江路 18 号")
    worker = make_staff("grid_worker", place, name="网格员小王")
    for g in Grid.objects.filter(street_id="329002001000"):
        GridMember.objects.create(grid=g, user=worker)
    yield SimpleNamespace(operator=make_staff("hotline_operator", d.depts["YX-12345"], name="话务员甲"),
                          worker=worker)
    classifier.reset()


def test_operator_dispatches_a_call_with_the_suggestion(page, live_world):
    from yiwang.hotline.models import WorkOrder

    login_staff(page, live_world.operator, live_world.operator.totp())
    page.goto("/hotline/console/")
    expect(page.get_by_role("heading", level=1)).to_have_text("12345 来电登记")
    page.get_by_label("来电号码").fill("13812345678")
    page.get_by_label("来电人称呼").fill("陈先生")
    page.get_by_label("投诉").check()
    page.get_by_label("诉求内容").fill("滨江路工地每天晚上十一点以后还在打桩施工，噪音太大，根本睡不着")
    suggestion = page.get_by_test_id("use-suggestion").first
    expect(suggestion).to_be_visible(timeout=15_000)  # htmx fetched knowledge and suggestions as we typed
    suggestion.click()
    expect(page.locator("#id_department")).to_have_value("YX-STHJ")
    expect(page.locator("#id_category")).to_have_value("HB01")
    page.get_by_label("纬度").fill("32.06")
    page.get_by_label("经度").fill("118.81")
    with page.expect_navigation():
        page.get_by_test_id("dispatch").click()
    expect(page).to_have_url(re.compile(r"/hotline/orders/GD\d{13}/$"))
    expect(page.get_by_test_id("order-status")).to_have_text("待签收")
    expect(page.get_by_test_id("lead-department")).to_contain_text("生态环境")
    expect(page.get_by_test_id("caller")).to_contain_text("138****5678")
    order = WorkOrder.objects.get()
    assert order.status == "dispatched" and order.lead_department.code == "YX-STHJ" and order.grid is not None
    violations = run_axe(page)
    assert not violations, format_violations("the order page", violations)

    # the map: Leaflet from the site's own static files, vector outlines only, nothing fetched from
    # anywhere else (no online tiles: the page works offline)
    from urllib.parse import urlsplit

    from yiwang.grid import selectors as grid_selectors

    own = urlsplit(page.url).netloc
    elsewhere: list[str] = []
    page.on("request", lambda req: elsewhere.append(req.url)
            if urlsplit(req.url).scheme in ("http", "https") and urlsplit(req.url).netloc != own else None)
    page.goto("/grid/map/")
    map_el = page.get_by_test_id("map")
    expect(map_el).to_have_attribute("data-grids", "50", timeout=15_000)
    expect(map_el).to_have_attribute("data-orders-drawn", "1")
    expect(map_el).to_have_attribute("data-outline", str(len(grid_selectors.district_outline()["coordinates"])))
    expect(map_el).to_have_attribute("data-street-outlines", "7")
    assert page.locator("#map .leaflet-tile, #map img.leaflet-tile").count() == 0
    assert page.evaluate("() => typeof L !== 'undefined' && L.version") == "1.9.4"  # the npm package, served locally
    assert page.locator("#map canvas").count() >= 1  # the vector layers, drawn
    assert not elsewhere, f"the map fetched from elsewhere: {elsewhere}"


def test_grid_worker_reports_from_a_phone(new_context, live_world, tmp_path):
    from yiwang.hotline.models import WorkOrder

    context = new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                          device_scale_factor=2, geolocation={"latitude": 32.0612, "longitude": 118.8123},
                          permissions=["geolocation"])
    page = context.new_page()
    watch = PageWatch(page)
    login_staff(page, live_world.worker, live_world.worker.totp())
    page.goto("/grid/report/")
    expect(page.get_by_role("heading", level=1)).to_have_text("上报网格事件")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling
    page.get_by_label("事件描述").fill("滨江花园东门人行道井盖缺失，已用锥桶临时围挡")
    photo = tmp_path / "scene.jpg"
    photo.write_bytes(jpeg(3000))
    page.get_by_label("现场照片").set_input_files(str(photo))
    page.get_by_test_id("geolocate").click()
    expect(page.get_by_test_id("geo-status")).to_contain_text("已定位")
    expect(page.get_by_label("纬度")).to_have_value("32.061200")
    expect(page.get_by_label("经度")).to_have_value("118.812300")
    expect(page.get_by_label("处置情况")).to_be_hidden()  # only when "resolved on site" is ticked
    with page.expect_navigation():
        page.get_by_test_id("submit-grid-report").click()
    expect(page).to_have_url(re.compile(r"/hotline/orders/GD\d{13}/$"))
    expect(page.get_by_test_id("order-status")).to_have_text("待派单")
    order = WorkOrder.objects.get()
    assert order.channel == "grid" and order.grid.code == "329002001001-01"
    assert order.attachments.filter(kind="photo").count() == 1 and order.reporter == live_world.worker
    expect(page.get_by_role("img", name=re.compile("现场照片"))).to_be_visible()
    watch.assert_clean()
