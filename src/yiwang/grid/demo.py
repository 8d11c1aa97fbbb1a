"""Grids of the demo district 云溪区: a plausible rectangular tiling around a made-up centre.

The district covers 118.80–119.00 E, 31.93–32.07 N (about 19 × 15.5 km). The six urban streets
sit in two rows of three blocks in the north; the town 白沙镇 takes the southern band. Each street's
block is cut into one vertical strip per community, and each strip into two grids (north and
south), so every community has two grids and neighbouring grids share whole edges.

Every street's two grid workers (``yx_<street>_grid_worker1/2``, held at the street's service
centre) split the street's grids between them.
"""

from __future__ import annotations

from dataclasses import dataclass

from yiwang.core.demo.geo import STREETS, Community, Street

from .geometry import rectangle

WEST, EAST = 118.80, 119.00
NORTH, MIDDLE, URBAN_SOUTH, SOUTH = 32.07, 32.03, 31.99, 31.93
CENTRE = (118.90, 32.00)


@dataclass(frozen=True)
class GridSpec:
    code: str
    name: str
    community: str
    street: str
    geometry: dict
    worker: str  # username of the grid worker responsible


def _blocks() -> dict[str, tuple[float, float, float, float]]:
    """Street code → (min_lng, min_lat, max_lng, max_lat)."""
    width = (EAST - WEST) / 3
    blocks = {}
    urban = [s for s in STREETS if not s.is_town]
    for i, street in enumerate(urban[:6]):
        row, col = divmod(i, 3)
        top = NORTH if row == 0 else MIDDLE
        bottom = MIDDLE if row == 0 else URBAN_SOUTH
        blocks[street.code] = (WEST + col * width, bottom, WEST + (col + 1) * width, top)
    for street in STREETS:
        if street.is_town:
            blocks[street.code] = (WEST, SOUTH, EAST, URBAN_SOUTH)
    return blocks


def _worker(street: Street, n: int) -> str:
    return f"yx_{street.slug.lower()}_grid_worker{n}"


def grid_specs() -> list[GridSpec]:
    specs = []
    blocks = _blocks()
    for street in STREETS:
        x0, y0, x1, y1 = blocks[street.code]
        comms: tuple[Community, ...] = street.communities
        step = (x1 - x0) / len(comms)
        mid = (y0 + y1) / 2
        for i, community in enumerate(comms):
            cx0, cx1 = x0 + i * step, x0 + (i + 1) * step
            worker = _worker(street, 1 if i < (len(comms) + 1) // 2 else 2)
            halves = (("01", "北片", mid, y1), ("02", "南片", y0, mid))
            for seq, label, gy0, gy1 in halves:
                specs.append(GridSpec(
                    code=f"{community.code}-{seq}",
                    name=f"{community.name}{label}网格",
                    community=community.code,
                    street=street.code,
                    geometry=rectangle(cx0, gy0, cx1, gy1),
                    worker=worker,
                ))
    return specs


def sample_point(spec: GridSpec, u: float, v: float) -> tuple[float, float]:
    """A point inside the grid at fractions (u, v) ∈ (0, 1)² of its box: (lng, lat)."""
    ring = spec.geometry["coordinates"][0]
    xs, ys = [p[0] for p in ring], [p[1] for p in ring]
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    return round(x0 + (x1 - x0) * (0.05 + 0.9 * u), 6), round(y0 + (y1 - y0) * (0.05 + 0.9 * v), 6)


def load(stdout=None) -> dict:
    """Create the grids and assign the grid workers (idempotent)."""
    from yiwang.accounts.models import User
    from yiwang.core.models import Division

    from .models import Grid, GridMember
    from .selectors import invalidate_index

    specs = grid_specs()
    existing = set(Grid.objects.filter(code__in=[s.code for s in specs]).values_list("code", flat=True))
    divisions = Division.objects.in_bulk([s.community for s in specs] + [s.street for s in specs])
    new = [Grid(code=s.code, name=s.name, community_id=s.community, street_id=s.street, geometry=s.geometry).prepare()
           for s in specs if s.code not in existing and s.community in divisions]
    Grid.objects.bulk_create(new)
    created = len(new)
    users = {u.username: u for u in User.objects.filter(username__in={s.worker for s in specs})}
    grids = {g.code: g for g in Grid.objects.filter(code__in=[s.code for s in specs])}
    have = set(GridMember.objects.filter(grid__in=grids.values()).values_list("grid__code", "user__username"))
    members = [GridMember(grid=grids[s.code], user=users[s.worker]) for s in specs
               if s.code in grids and s.worker in users and (s.code, s.worker) not in have]
    GridMember.objects.bulk_create(members)
    invalidate_index()
    if stdout is not None:
        stdout.write(f"  grids: {created} created, {len(existing)} existing; {len(members)} grid-worker assignments\n")
    return {"grids": {"created": created, "existing": len(existing)}, "grid_members": {"created": len(members)}}
