"""The demo district's grids, locating points in them, and the grid API."""

from __future__ import annotations

import random
import re

import pytest

from yiwang.grid import demo, selectors
from yiwang.grid.models import Grid


def test_every_community_has_grids_that_tile_the_district(district):
    from yiwang.core.models import Division

    assert Grid.objects.count() == 50
    for community in Division.objects.filter(level="community"):
        assert Grid.objects.filter(community=community, street_id=community.parent_id).count() == 2
    rng = random.Random(11)
    for _ in range(400):
        lng, lat = rng.uniform(demo.WEST, demo.EAST), rng.uniform(demo.SOUTH, demo.NORTH)
        hits = [gr.code for gr in Grid.objects.all() if gr.contains(lng, lat)]
        assert len(hits) == 1, (lng, lat, hits)
        assert selectors.locate(lng, lat).code == hits[0]
    for gr in Grid.objects.all():
        assert selectors.locate(gr.centre_lng, gr.centre_lat).code == gr.code
    assert selectors.locate(121.47, 31.23) is None  # Shanghai
    assert selectors.locate(demo.EAST + 0.001, 32.0) is None


def test_index_follows_edits(district):
    assert selectors.locate(118.81, 32.06).code == "329002001001-01"
    grid = Grid.objects.get(code="329002001001-01")
    grid.is_active = False
    grid.save()
    assert selectors.locate(118.81, 32.06) is None


def test_grid_rejects_a_bad_geometry(district):
    from django.core.exceptions import ValidationError

    grid = Grid(code="X", name="X", community_id="329002001001", geometry={"type": "Point", "coordinates": [1, 2]})
    with pytest.raises(ValidationError):
        grid.full_clean()


@pytest.fixture
def tokens(district, make_staff, make_citizen):
    from yiwang.accounts.services import issue_token

    op = make_staff("hotline_operator", district.depts["YX-12345"])
    return {"operator": issue_token(op)[0], "citizen": issue_token(make_citizen())[0]}


def test_locate_api(tokens, api):
    h = {"Authorization": f"Bearer {tokens['operator']}"}
    r = api.get("/api/v1/grid/locate", headers=h, lat="32.06", lng="118.81")
    assert r.status_code == 200 and r.json() == {"grid": "329002001001-01", "name": "滨江社区北片网格",
                                                 "community": "滨江社区", "street": "江滨街道"}
    r = api.get("/api/v1/grid/locate", headers=h, lat="31.23", lng="121.47")
    assert r.status_code == 422 and r.json()["code"] == "location_outside_district"
    r = api.get("/api/v1/grid/locate", headers=h, lat="abc", lng="118.81")
    assert r.status_code == 422 and r.json()["code"] == "location_invalid"
    r = api.get("/api/v1/grid/locate", headers={"Authorization": f"Bearer {tokens['citizen']}"}, lat="32", lng="118.9")
    assert r.status_code == 403
    assert api.get("/api/v1/grid/locate", lat="32", lng="118.9").status_code == 401


def test_grids_geojson(tokens, api):
    r = api.get("/api/v1/grid/grids", headers={"Authorization": f"Bearer {tokens['operator']}"})
    assert r.status_code == 200
    fc = r.json()
    assert fc["type"] == "FeatureCollection" and len(fc["features"]) == 50
    f = fc["features"][0]
    assert f["geometry"]["type"] == "Polygon" and {"code", "name", "community", "street"} <= set(f["properties"])
    assert fc["district_outline"]["type"] == "MultiLineString" and len(fc["street_outlines"]) == 7
    outline_len = sum(abs(a[0] - b[0]) + abs(a[1] - b[1]) for a, b in fc["district_outline"]["coordinates"])
    assert outline_len == pytest.approx(2 * ((demo.EAST - demo.WEST) + (demo.NORTH - demo.SOUTH)), rel=1e-6)


# -- the map works offline: no tile server anywhere ------------------------------------------------
TILE_URL = (r"tileLayer|\{z\}|\{s\}\.|tile\.openstreetmap|openstreetmap\.org|tianditu|amap\.com|autonavi|mapbox"
            r"|arcgisonline|maps\.googleapis|bdimg|map\.baidu")


def test_no_tile_url_anywhere_in_the_source():
    import re
    from pathlib import Path

    src = Path(__file__).resolve().parents[2] / "src" / "yiwang"
    hits = [f"{p.relative_to(src)}:{n}" for p in src.rglob("*") if p.suffix in (".html", ".js", ".py", ".css")
            for n, line in enumerate(p.read_text(encoding="utf-8", errors="replace").splitlines(), 1)
            if re.search(TILE_URL, line, re.I) and "TILE_URL" not in line]
    assert not hits, f"online map tiles referenced: {hits}"


def test_the_map_page_loads_leaflet_locally_and_may_fetch_nothing_elsewhere(district, make_staff):
    from django.test import Client

    op = make_staff("supervisor", district.depts["YX-ZWB"])
    c = Client()
    c.force_login(op, backend="yiwang.accounts.backends.IdentityBackend")
    session = c.session
    session["otp_device_id"] = op.device.persistent_id
    session.save()
    r = c.get("/grid/map/")
    assert r.status_code == 200
    page = r.content.decode()
    assert "/static/vendor/leaflet/leaflet.js" in page and "/static/vendor/leaflet/leaflet.css" in page
    assert "//" not in "".join(re.findall(r'(?:src|href)="([^"]*leaflet[^"]*)"', page))  # same origin
    csp = r["Content-Security-Policy"]
    directives = {d.split()[0]: d.split()[1:] for d in csp.split(";") if d.strip()}
    assert directives["img-src"] == ["'self'", "data:"] and directives["connect-src"] == ["'self'"]
    # the outlines the map draws come from the grids themselves
    fc = c.get("/api/v1/grid/grids").json()
    assert fc["district_outline"]["coordinates"] and set(fc["street_outlines"]) == {
        s.code for s in district.streets}
