"""Rows of the authorization matrix (tests/authz/test_matrix.py) for grids: the grid API and the
pages of yiwang.grid.urls. The matrix owns the harness; plug these in after its tables are defined::

    from grid.authz_rows import api_rows, page_rows  # noqa: E402
    API.update(api_rows(ApiCase, expect, only))
    HTML_CASES.update(page_rows(PageCase, expect, only))

The world's community (望江社区) has two grids: the world's grid worker covers the first, where the
work orders are; the outsider grid worker covers the second. Who may do what (yiwang.grid):
* the grid boundaries, "which grid is this point in" and the map: the 12345 centre, supervisors,
  the platform admin, grid workers and the departments' handlers and heads; nobody else (403
  ``role_forbidden``);
* the map's orders are the actor's own scope of work orders (a department's, a grid's);
* the field report page is the grid workers'.
"""

from __future__ import annotations

from cases.authz_rows import STAFF_LOGIN, outside  # the rows of every app share these

MAP_ROLES = ("hotline_operator", "supervisor", "platform_admin", "grid_worker", "handler", "dept_head")
MAP_OUTSIDERS = ("other_handler", "other_dept_head", "other_grid_worker")

#: 望江社区's two grids (WGS-84 squares); the point the orders are at lies in the first.
GRID_A, GRID_B = "329002001001-01", "329002001001-02"
POINT = {"lat": 32.06, "lng": 118.81}


def _square(x0: float, y0: float, x1: float, y1: float) -> dict:
    return {"type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]}


def setup_grids(w) -> None:
    """The two grids and their workers (the world's grid worker in A, the outsider in B)."""
    from yiwang.grid.models import Grid, GridMember

    if getattr(w, "grids", None) is not None:
        return
    a = Grid.objects.create(code=GRID_A, name="望江一网格", community=w.org["community"], street=w.org["street"],
                            geometry=_square(118.80, 32.05, 118.82, 32.07))
    b = Grid.objects.create(code=GRID_B, name="望江二网格", community=w.org["community"], street=w.org["street"],
                            geometry=_square(118.82, 32.05, 118.84, 32.07))
    GridMember.objects.create(grid=a, user=w.user("grid_worker"))
    GridMember.objects.create(grid=b, user=w.user("other_grid_worker"))
    w.grids = {"a": a, "b": b}


def _map_access(ok: int, *, others: int, anonymous: int, only) -> dict:
    return outside(only(ok, MAP_ROLES, others=others, anonymous=anonymous), others,
                   **{o: ok for o in MAP_OUTSIDERS})


def _check_grids(w, role, r):
    if r.status_code == 200:
        mine = {f["id"] for f in r.json()["features"] if f["properties"]["mine"]}
        assert mine == {"grid_worker": {GRID_A}, "other_grid_worker": {GRID_B}}.get(role, set()), (role, mine)


def _check_map_orders(w, role, r):
    """The map shows the actor's own scope: the order lies in grid A and is led by 市场监管局."""
    from hotline.authz_rows import SEES_ORDER

    if r.status_code == 200:
        numbers = {o["number"] for o in r.json()["orders"]}
        assert (w.hotline_order.number in numbers) == (role in SEES_ORDER), (role, numbers)


def _check_grid_report(w, role, r):
    from yiwang.hotline.models import WorkOrder

    orders = WorkOrder.objects.filter(channel="grid")
    if r.status_code == 302 and role != "anonymous":
        order = orders.get()
        assert order.reporter_id == w.user(role).pk and order.kind == "report"
    else:
        assert not orders.exists(), f"{role}: a refused report must create nothing"


def api_rows(ApiCase, expect, only) -> dict:
    access = _map_access(200, others=403, anonymous=401, only=only)
    return {
        ("GET", "/api/v1/grid/grids"): ApiCase(access, lambda w, r: ("/api/v1/grid/grids", None),
                                               setup=lambda w, r: setup_grids(w), codes={403: "role_forbidden"},
                                               check=_check_grids),
        ("GET", "/api/v1/grid/locate"): ApiCase(
            access, lambda w, r: ("/api/v1/grid/locate", {"lat": "32.06", "lng": "118.81"}),
            setup=lambda w, r: setup_grids(w), codes={403: "role_forbidden"},
            check=lambda w, role, r: r.status_code != 200 or r.json()["grid"] == GRID_A),
    }


def page_rows(PageCase, expect, only) -> dict:
    from hotline.authz_rows import JPEG, setup_order

    def report_post(w, role):
        from django.core.files.uploadedfile import SimpleUploadedFile

        return "/grid/report/", {"text": "望江路井盖缺失，行人容易踩空", "lat": "32.06", "lng": "118.81",
                                 "photos": [SimpleUploadedFile("p.jpg", JPEG, content_type="image/jpeg")]}

    workers = outside(only(200, ("grid_worker",), anonymous=302), 403, other_grid_worker=200)
    return {
        "grid-report": PageCase("GET", workers, lambda w, r: ("/grid/report/", None),
                                setup=lambda w, r: setup_grids(w), redirects=STAFF_LOGIN),
        "grid-report#post": PageCase("POST", outside(only(302, ("grid_worker",), anonymous=302), 403,
                                                     other_grid_worker=302),
                                     report_post, setup=lambda w, r: setup_grids(w),
                                     redirects={**STAFF_LOGIN, "grid_worker": "/hotline/orders/GD",
                                                "other_grid_worker": "/hotline/orders/GD"},
                                     check=_check_grid_report),
        "grid-map": PageCase("GET", _map_access(200, others=403, anonymous=302, only=only),
                             lambda w, r: ("/grid/map/", None), redirects=STAFF_LOGIN),
        "grid-map-orders": PageCase("GET", _map_access(200, others=403, anonymous=401, only=only),
                                    lambda w, r: ("/grid/map/orders.json", None), setup=setup_order(),
                                    check=_check_map_orders),
    }
