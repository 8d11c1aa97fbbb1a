"""A small copy of the demo district for hotline and grid tests: its streets, communities,
departments, grids and the 12345 category tree (no people: tests make the staff they need)."""

from __future__ import annotations

import io
from types import SimpleNamespace


def build_district():
    from yiwang.core.demo import DISTRICT
    from yiwang.core.demo.geo import STREETS
    from yiwang.core.demo.orgs import departments
    from yiwang.core.models import Department, Division
    from yiwang.grid import demo as grid_demo
    from yiwang.hotline.demo import categories

    Division.objects.bulk_create([
        Division(code="320000", name="江苏省", level="province"),
        Division(code="329000", name="江东市", level="city", parent_id="320000"),
        Division(code=DISTRICT[0], name=DISTRICT[1], level="district", parent_id="329000"),
    ])
    rows = []
    for s in STREETS:
        rows.append(Division(code=s.code, name=s.name, level="street", parent_id=DISTRICT[0]))
        rows += [Division(code=c.code, name=c.name, level="community", parent_id=s.code) for c in s.communities]
    Division.objects.bulk_create(rows)
    Department.objects.bulk_create([
        Department(code=d.code, name=d.name, short_name=d.short_name, uscc=d.uscc, kind=d.kind,
                   division_id=d.division, phone=d.phone, address=d.address) for d in departments()
    ])
    grid_demo.load(stdout=io.StringIO())
    categories.seed(stdout=io.StringIO())
    depts = {d.code: d for d in Department.objects.all()}
    return SimpleNamespace(depts=depts, streets=STREETS)


# A point in 滨江社区 (江滨街道), inside the district; and one well outside it.
INSIDE = {"lat": 32.06, "lng": 118.81}
OUTSIDE = {"lat": 31.23, "lng": 121.47}  # Shanghai
