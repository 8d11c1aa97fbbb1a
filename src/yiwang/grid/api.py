"""Grids over the JSON API (/api/v1/grid): the map's GeoJSON and "which grid is this point in"."""

from __future__ import annotations

from ninja import Router, Schema

from yiwang.core.apiauth import actor_auth

from . import selectors

router = Router(tags=["grid"], auth=actor_auth)


class ErrorOut(Schema):
    code: str
    message: str
    fields: dict


@router.get("/grids", response={200: dict, 401: ErrorOut, 403: ErrorOut},
            summary="网格边界（GeoJSON FeatureCollection，含区界与街道边界）")
def grids(request):
    fc = selectors.feature_collection(request.auth)
    fc["district_outline"] = selectors.district_outline()
    fc["street_outlines"] = selectors.street_outlines()
    return fc


class LocateOut(Schema):
    grid: str
    name: str
    community: str
    street: str


@router.get("/locate", response={200: LocateOut, 401: ErrorOut, 403: ErrorOut, 422: ErrorOut},
            summary="定位：经纬度所在的网格、社区与街道（区外返回 422 location_outside_district）")
def locate(request, lat: str = "", lng: str = ""):
    from yiwang.core.models import Division

    selectors.require_map_access(request.auth)
    pos = selectors.parse_position(lat, lng)
    if pos is None:
        from django.utils.translation import gettext as _

        from yiwang.core.errors import ValidationFailed

        message = _("请提供经纬度。")
        raise ValidationFailed(message, code="location_required", fields={"lat": [message], "lng": [message]})
    grid = selectors.locate_or_fail(*pos)
    names = dict(Division.objects.filter(code__in=[grid.community_id, grid.street_id]).values_list("code", "name"))
    return {"grid": grid.code, "name": grid.name, "community": names.get(grid.community_id, ""),
            "street": names.get(grid.street_id, "")}
