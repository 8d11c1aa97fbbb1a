"""Reads of grids: which grid a point is in (the location of every work order), the grids a grid
worker covers, and the GeoJSON the map draws."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from django.core.cache import cache
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.accounts.actor import Actor
from yiwang.accounts.models import Role
from yiwang.core.errors import NotAuthenticated, PermissionDeniedError, ValidationFailed

from . import geometry
from .models import Grid, GridMember

_CACHE_KEY = "yiwang:grid:index-version"
_lock = threading.Lock()
_state: dict = {"version": None, "index": None}

#: Roles that see the whole district's grids and the map.
MAP_ROLES = {Role.HOTLINE_OPERATOR, Role.SUPERVISOR, Role.PLATFORM_ADMIN, Role.GRID_WORKER, Role.HANDLER,
             Role.DEPT_HEAD}


@dataclass(frozen=True)
class GridRef:
    id: int
    code: str
    name: str
    community_id: str
    street_id: str
    bbox: tuple[float, float, float, float]
    geometry: dict

    def contains(self, lng: float, lat: float) -> bool:
        x0, y0, x1, y1 = self.bbox
        return x0 <= lng <= x1 and y0 <= lat <= y1 and geometry.point_in_polygon(lng, lat, self.geometry)


class GridIndex:
    """Every active grid in memory (a district has tens to a few thousand), bounding boxes first."""

    def __init__(self, grids: list[GridRef]):
        self.grids = grids
        if grids:
            self.bbox = (min(g.bbox[0] for g in grids), min(g.bbox[1] for g in grids),
                         max(g.bbox[2] for g in grids), max(g.bbox[3] for g in grids))
        else:
            self.bbox = None

    def locate(self, lng: float, lat: float) -> GridRef | None:
        if self.bbox is None:
            return None
        x0, y0, x1, y1 = self.bbox
        if not (x0 <= lng <= x1 and y0 <= lat <= y1):
            return None
        for g in self.grids:
            if g.contains(lng, lat):
                return g
        return None


def invalidate_index() -> None:
    cache.set(_CACHE_KEY, timezone.now().timestamp(), None)
    _state["version"] = None


def index() -> GridIndex:
    version = cache.get(_CACHE_KEY)
    if version is None:
        version = timezone.now().timestamp()
        cache.set(_CACHE_KEY, version, None)
    if _state["version"] != version or _state["index"] is None:
        with _lock:
            rows = Grid.objects.filter(is_active=True).order_by("code").values_list(
                "id", "code", "name", "community_id", "street_id", "min_lng", "min_lat", "max_lng", "max_lat",
                "geometry")
            _state["index"] = GridIndex([GridRef(r[0], r[1], r[2], r[3], r[4], (r[5], r[6], r[7], r[8]), r[9])
                                         for r in rows])
            _state["version"] = version
    return _state["index"]


def parse_position(lat, lng) -> tuple[float, float] | None:
    """(lng, lat) as floats; None when both are missing; a precise error when half or malformed."""
    if lat in (None, "") and lng in (None, ""):
        return None
    if lat in (None, "") or lng in (None, ""):
        message = _("经纬度应同时提供。")
        raise ValidationFailed(message, code="location_incomplete", fields={"lat" if lat in (None, "") else "lng": [message]})
    try:
        lat_f, lng_f = float(lat), float(lng)
    except (TypeError, ValueError):
        message = _("经纬度应为数字（WGS-84 十进制度）。")
        raise ValidationFailed(message, code="location_invalid", fields={"lat": [message], "lng": [message]}) from None
    if not geometry.valid_position(lng_f, lat_f):
        message = _("经纬度超出范围：纬度 −90～90，经度 −180～180。")
        raise ValidationFailed(message, code="location_invalid", fields={"lat": [message], "lng": [message]})
    return lng_f, lat_f


def locate(lng: float, lat: float) -> GridRef | None:
    return index().locate(lng, lat)


def locate_or_fail(lng: float, lat: float) -> GridRef:
    """The grid at (lng, lat), or ``location_outside_district`` (422)."""
    grid = locate(lng, lat)
    if grid is None:
        message = _("该位置不在本区范围内（经度 %(lng).6f，纬度 %(lat).6f），请核对位置或拨打所在地的 12345。") % {
            "lng": lng, "lat": lat}
        raise ValidationFailed(message, code="location_outside_district", fields={"lat": [message], "lng": [message]})
    return grid


def grids_of_worker(user) -> QuerySet[Grid]:
    return Grid.objects.filter(members__user=user, is_active=True).select_related("community", "street")


def require_map_access(actor: Actor) -> None:
    if not actor.is_authenticated:
        raise NotAuthenticated(_("请先登录。"))
    if actor.role not in MAP_ROLES:
        raise PermissionDeniedError(_("您的角色无权查看网格地图。"), code="role_forbidden")


def feature_collection(actor: Actor) -> dict:
    """All active grids as a GeoJSON FeatureCollection (RFC 7946), with community and street."""
    require_map_access(actor)
    mine = set()
    if actor.role == Role.GRID_WORKER:
        mine = set(GridMember.objects.filter(user=actor.user).values_list("grid_id", flat=True))
    features = []
    for g in Grid.objects.filter(is_active=True).select_related("community", "street").order_by("code"):
        features.append({
            "type": "Feature",
            "id": g.code,
            "geometry": g.geometry,
            "properties": {"code": g.code, "name": g.name, "community": g.community.name,
                           "community_code": g.community_id, "street": g.street.name, "street_code": g.street_id,
                           "centre": [g.centre_lng, g.centre_lat], "mine": g.pk in mine},
        })
    return {"type": "FeatureCollection", "features": features}


def district_outline() -> dict | None:
    """The district's outline (GeoJSON MultiLineString): the boundary of the union of its grids."""
    grids = index().grids
    if not grids:
        return None
    return geometry.outline([g.geometry for g in grids])


def street_outlines() -> dict:
    """Each street's outline, keyed by street code."""
    by_street: dict[str, list[dict]] = {}
    for g in index().grids:
        by_street.setdefault(g.street_id, []).append(g.geometry)
    return {code: geometry.outline(geos) for code, geos in by_street.items()}
