"""The pure-Python point-in-polygon test and friends."""

from __future__ import annotations

import random

import pytest

from yiwang.grid import geometry as g

SQUARE = {"type": "Polygon", "coordinates": [[[0, 0], [10, 0], [10, 10], [0, 10], [0, 0]]]}
TRIANGLE = {"type": "Polygon", "coordinates": [[[0, 0], [10, 0], [5, 8], [0, 0]]]}
# An L: the square without its upper-right quarter (concave)
L_SHAPE = {"type": "Polygon", "coordinates": [[[0, 0], [10, 0], [10, 5], [5, 5], [5, 10], [0, 10], [0, 0]]]}
WITH_HOLE = {"type": "Polygon", "coordinates": [
    [[0, 0], [10, 0], [10, 10], [0, 10], [0, 0]],
    [[3, 3], [7, 3], [7, 7], [3, 7], [3, 3]],
]}
MULTI = {"type": "MultiPolygon", "coordinates": [SQUARE["coordinates"],
                                                  [[[20, 0], [30, 0], [30, 10], [20, 10], [20, 0]]]]}


@pytest.mark.parametrize("geo,point,inside", [
    (SQUARE, (5, 5), True), (SQUARE, (11, 5), False), (SQUARE, (-0.001, 5), False),
    (TRIANGLE, (5, 4), True), (TRIANGLE, (1, 7), False), (TRIANGLE, (9, 7), False),
    (L_SHAPE, (2, 8), True), (L_SHAPE, (8, 2), True), (L_SHAPE, (8, 8), False),
    (WITH_HOLE, (1, 1), True), (WITH_HOLE, (5, 5), False), (WITH_HOLE, (8, 5), True),
    (MULTI, (25, 5), True), (MULTI, (15, 5), False),
    (TRIANGLE, (5, 0.0), True),  # on the bottom edge: the half-open rule counts it in
])
def test_point_in_polygon(geo, point, inside):
    assert g.point_in_polygon(point[0], point[1], geo) is inside


def test_ray_through_a_vertex_is_counted_once():
    diamond = {"type": "Polygon", "coordinates": [[[5, 0], [10, 5], [5, 10], [0, 5], [5, 0]]]}
    assert g.point_in_polygon(2, 5, diamond)  # the ray passes through the vertex (10, 5)
    assert not g.point_in_polygon(-2, 5, diamond)  # ... and through (0, 5) and (10, 5) from outside
    assert g.point_in_polygon(5, 0.5, diamond) and not g.point_in_polygon(5, 10.5, diamond)


def test_neighbours_share_an_edge_and_each_point_is_in_exactly_one():
    left = g.rectangle(0, 0, 1, 1)
    right = g.rectangle(1, 0, 2, 1)
    rng = random.Random(7)
    for _ in range(500):
        x, y = rng.choice([1.0, rng.uniform(0.001, 1.999)]), rng.uniform(0.001, 0.999)
        hits = g.point_in_polygon(x, y, left) + g.point_in_polygon(x, y, right)
        assert hits == 1, (x, y)


def test_bbox_centroid_distance_and_validity():
    assert g.bbox(L_SHAPE) == (0, 0, 10, 10)
    cx, cy = g.centroid(SQUARE)
    assert (cx, cy) == pytest.approx((5, 5))
    # one degree of latitude is about 111 km; 0.01° of longitude at 32°N about 943 m
    assert g.distance_m(118.9, 32.0, 118.9, 33.0) == pytest.approx(111_195, rel=0.001)
    assert g.distance_m(118.9, 32.0, 118.91, 32.0) == pytest.approx(943, rel=0.01)
    assert g.valid_position(118.9, 32.0) and not g.valid_position(181, 0) and not g.valid_position(float("nan"), 0)
    assert not g.valid_position(True, 0)
    with pytest.raises(ValueError):
        g.point_in_polygon(0, 0, {"type": "Point", "coordinates": [0, 0]})


def test_outline_drops_shared_edges():
    outline = g.outline([g.rectangle(0, 0, 1, 1), g.rectangle(1, 0, 2, 1), g.rectangle(0, 1, 2, 2)])
    pieces = {tuple(map(tuple, p)) for p in outline["coordinates"]}
    flat = {frozenset(p) for p in pieces}
    assert frozenset({(1.0, 0.0), (1.0, 1.0)}) not in flat  # between the two lower squares
    assert frozenset({(0.0, 1.0), (1.0, 1.0)}) not in flat  # under the long upper rectangle
    length = sum(abs(a[0] - b[0]) + abs(a[1] - b[1]) for a, b in pieces)
    assert length == pytest.approx(8.0)  # the perimeter of the 2 × 2 square
