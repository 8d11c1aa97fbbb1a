"""Plane geometry on WGS-84 longitude/latitude, small and pure Python.

The district is a few tens of kilometres across, so treating degrees as plane coordinates is
accurate enough to decide which grid (网格) a point is in; distances use the equirectangular
approximation (error well under 1 % at this scale).

Polygons are GeoJSON geometries: ``{"type": "Polygon", "coordinates": [ring, hole, ...]}`` or
``{"type": "MultiPolygon", "coordinates": [[ring, hole, ...], ...]}``; a ring is a list of
``[lng, lat]`` positions whose last position repeats the first.
"""

from __future__ import annotations

import math

EARTH_RADIUS_M = 6_371_000.0


def point_in_ring(lng: float, lat: float, ring: list) -> bool:
    """Ray casting (W. R. Franklin's PNPOLY): cast a ray towards +longitude and count the edges it
    crosses. Each edge is half-open in latitude, so a point on an edge shared by two neighbouring
    polygons is inside exactly one of them, and a vertex touched by the ray is counted once."""
    inside = False
    n = len(ring)
    if n < 3:
        return False
    j = n - 1
    for i in range(n):
        xi, yi = ring[i][0], ring[i][1]
        xj, yj = ring[j][0], ring[j][1]
        if (yi > lat) != (yj > lat):
            x_cross = (xj - xi) * (lat - yi) / (yj - yi) + xi
            if lng < x_cross:
                inside = not inside
        j = i
    return inside


def point_in_polygon(lng: float, lat: float, geometry: dict) -> bool:
    """Inside the outer ring and outside every hole, of any part of a (Multi)Polygon."""
    kind = geometry.get("type")
    if kind == "Polygon":
        polygons = [geometry["coordinates"]]
    elif kind == "MultiPolygon":
        polygons = geometry["coordinates"]
    else:
        raise ValueError(f"not a polygon geometry: {kind!r}")
    for rings in polygons:
        if not rings:
            continue
        if point_in_ring(lng, lat, rings[0]) and not any(point_in_ring(lng, lat, hole) for hole in rings[1:]):
            return True
    return False


def bbox(geometry: dict) -> tuple[float, float, float, float]:
    """(min_lng, min_lat, max_lng, max_lat) of a (Multi)Polygon."""
    polygons = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
    xs = [p[0] for rings in polygons for ring in rings for p in ring]
    ys = [p[1] for rings in polygons for ring in rings for p in ring]
    return min(xs), min(ys), max(xs), max(ys)


def ring_area_and_centroid(ring: list) -> tuple[float, float, float]:
    """Signed area (shoelace, in square degrees) and centroid of a ring."""
    a = cx = cy = 0.0
    for (x0, y0), (x1, y1) in zip(ring, ring[1:]):
        cross = x0 * y1 - x1 * y0
        a += cross
        cx += (x0 + x1) * cross
        cy += (y0 + y1) * cross
    a /= 2.0
    if a == 0:
        xs, ys = [p[0] for p in ring], [p[1] for p in ring]
        return 0.0, sum(xs) / len(xs), sum(ys) / len(ys)
    return a, cx / (6 * a), cy / (6 * a)


def centroid(geometry: dict) -> tuple[float, float]:
    """(lng, lat) of the area centroid of the outer ring of the largest part."""
    polygons = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
    best = max((ring_area_and_centroid(rings[0]) for rings in polygons), key=lambda t: abs(t[0]))
    return best[1], best[2]


def distance_m(lng1: float, lat1: float, lng2: float, lat2: float) -> float:
    """Equirectangular distance in metres (good to well under 1 % over a district)."""
    phi = math.radians((lat1 + lat2) / 2)
    dx = math.radians(lng2 - lng1) * math.cos(phi)
    dy = math.radians(lat2 - lat1)
    return EARTH_RADIUS_M * math.hypot(dx, dy)


def valid_position(lng, lat) -> bool:
    return (isinstance(lng, (int, float)) and isinstance(lat, (int, float)) and not isinstance(lng, bool)
            and not isinstance(lat, bool) and math.isfinite(lng) and math.isfinite(lat)
            and -180.0 <= lng <= 180.0 and -90.0 <= lat <= 90.0)


def rectangle(min_lng: float, min_lat: float, max_lng: float, max_lat: float) -> dict:
    """A GeoJSON Polygon for a rectangle, counter-clockwise (RFC 7946 right-hand rule)."""
    r = lambda v: round(v, 6)  # noqa: E731
    ring = [[r(min_lng), r(min_lat)], [r(max_lng), r(min_lat)], [r(max_lng), r(max_lat)], [r(min_lng), r(max_lat)],
            [r(min_lng), r(min_lat)]]
    return {"type": "Polygon", "coordinates": [ring]}


def _on_segment(p, a, b, eps: float = 1e-9) -> bool:
    """p strictly between a and b on the segment ab."""
    (px, py), (ax, ay), (bx, by) = p, a, b
    cross = (bx - ax) * (py - ay) - (by - ay) * (px - ax)
    if abs(cross) > eps:
        return False
    dot = (px - ax) * (bx - ax) + (py - ay) * (by - ay)
    return eps < dot < (bx - ax) ** 2 + (by - ay) ** 2 - eps


def outline(geometries: list[dict]) -> dict:
    """The boundary of the union of polygons that touch along shared edges (a tiling): every edge is
    split at the other polygons' vertices that lie on it, and the pieces two polygons share cancel
    out. Returns a GeoJSON MultiLineString of the remaining pieces (the outline), rounded to 1e-6°."""
    rings = []
    for geo in geometries:
        polygons = [geo["coordinates"]] if geo["type"] == "Polygon" else geo["coordinates"]
        rings += [rings_[0] for rings_ in polygons]
    key = lambda p: (round(p[0], 6), round(p[1], 6))  # noqa: E731
    vertices = {key(p) for ring in rings for p in ring}
    counts: dict[frozenset, int] = {}
    order: dict[frozenset, tuple] = {}
    for ring in rings:
        for a, b in zip(ring, ring[1:]):
            a, b = key(a), key(b)
            if a == b:
                continue
            inner = sorted((v for v in vertices if _on_segment(v, a, b)),
                           key=lambda v: (v[0] - a[0]) ** 2 + (v[1] - a[1]) ** 2)
            points = [a, *inner, b]
            for p, q in zip(points, points[1:]):
                k = frozenset((p, q))
                counts[k] = counts.get(k, 0) + 1
                order.setdefault(k, (p, q))
    pieces = [[list(order[k][0]), list(order[k][1])] for k, n in counts.items() if n == 1]
    return {"type": "MultiLineString", "coordinates": pieces}
