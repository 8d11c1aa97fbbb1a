"""Grids (网格): the smallest unit of grid management, one or more per community, each a GeoJSON
polygon with its grid workers (网格员)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import geometry


class Grid(models.Model):
    code = models.CharField(_("网格编码"), max_length=20, unique=True,
                            help_text=_("社区区划代码 + 两位序号，如 329002001001-01"))
    name = models.CharField(_("网格名称"), max_length=64)
    community = models.ForeignKey("core.Division", on_delete=models.PROTECT, related_name="grids",
                                  verbose_name=_("所属社区"))
    street = models.ForeignKey("core.Division", on_delete=models.PROTECT, related_name="+", verbose_name=_("所属街道"))
    geometry = models.JSONField(_("边界（GeoJSON）"))
    min_lng = models.FloatField(editable=False, default=0)
    min_lat = models.FloatField(editable=False, default=0)
    max_lng = models.FloatField(editable=False, default=0)
    max_lat = models.FloatField(editable=False, default=0)
    centre_lng = models.FloatField(editable=False, default=0)
    centre_lat = models.FloatField(editable=False, default=0)
    is_active = models.BooleanField(_("启用"), default=True)
    workers = models.ManyToManyField("accounts.User", through="GridMember", related_name="grids", blank=True,
                                     verbose_name=_("网格员"))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("网格")
        verbose_name_plural = _("网格")
        ordering = ["code"]
        indexes = [models.Index(fields=["min_lng", "max_lng", "min_lat", "max_lat"])]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"

    def clean(self):
        geo = self.geometry or {}
        if geo.get("type") not in ("Polygon", "MultiPolygon") or not geo.get("coordinates"):
            raise ValidationError({"geometry": _("边界应为 GeoJSON 的 Polygon 或 MultiPolygon。")})
        try:
            geometry.bbox(geo)
        except (KeyError, TypeError, IndexError, ValueError):
            raise ValidationError({"geometry": _("边界坐标格式不正确。")}) from None
        if self.community_id and self.community.level != "community":
            raise ValidationError({"community": _("网格应属于一个社区（村）。")})

    def prepare(self) -> "Grid":
        """Fill the derived columns (bounding box, centre); ``save`` does it, ``bulk_create`` callers
        call it themselves."""
        self.min_lng, self.min_lat, self.max_lng, self.max_lat = geometry.bbox(self.geometry)
        self.centre_lng, self.centre_lat = geometry.centroid(self.geometry)
        if self.community_id and not self.street_id:
            self.street_id = self.community.parent_id
        return self

    def save(self, *args, **kwargs):
        self.prepare()
        super().save(*args, **kwargs)
        from .selectors import invalidate_index

        invalidate_index()

    def contains(self, lng: float, lat: float) -> bool:
        if not (self.min_lng <= lng <= self.max_lng and self.min_lat <= lat <= self.max_lat):
            return False
        return geometry.point_in_polygon(lng, lat, self.geometry)


class GridMember(models.Model):
    """A grid worker's assignment to a grid (a worker may cover several grids)."""

    grid = models.ForeignKey(Grid, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="grid_memberships")
    is_leader = models.BooleanField(_("网格长"), default=False)
    since = models.DateField(_("起始日期"), default=timezone.localdate)

    class Meta:
        verbose_name = _("网格员分配")
        verbose_name_plural = _("网格员分配")
        constraints = [models.UniqueConstraint(fields=["grid", "user"], name="grid_member_unique")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.grid.code}"
