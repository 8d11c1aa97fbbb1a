"""Organisations as a government has them, the working-day calendar and the audit trail."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class DivisionLevel(models.TextChoices):
    PROVINCE = "province", _("省级")
    CITY = "city", _("地级")
    DISTRICT = "district", _("县级（区）")
    STREET = "street", _("乡级（街道）")
    COMMUNITY = "community", _("村级（社区）")


class Division(models.Model):
    """An administrative division. Province to district use 6-digit GB/T 2260 codes; streets and
    communities use the 12-digit statistical division codes (6 + 3 + 3) that extend them."""

    code = models.CharField(_("区划代码"), max_length=12, primary_key=True)
    name = models.CharField(_("名称"), max_length=64)
    level = models.CharField(_("层级"), max_length=12, choices=DivisionLevel.choices)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children", verbose_name=_("上级区划")
    )

    class Meta:
        verbose_name = _("行政区划")
        verbose_name_plural = _("行政区划")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"

    def clean(self):
        expected = {"province": 6, "city": 6, "district": 6, "street": 12, "community": 12}[self.level]
        if len(self.code) != expected or not self.code.isdigit():
            raise ValidationError({"code": _("该层级的区划代码应为 %(n)d 位数字。") % {"n": expected}})
        if self.parent_id and self.level in ("street", "community"):
            prefix = self.parent_id[:6] if self.level == "street" else self.parent_id[:9]
            if not self.code.startswith(prefix):
                raise ValidationError({"code": _("区划代码必须以上级区划代码开头。")})


class Department(models.Model):
    """A government department (委办局) or other body that implements services."""

    class Kind(models.TextChoices):
        BUREAU = "bureau", _("委办局")
        CENTRE = "centre", _("政务服务机构")
        STREET_OFFICE = "street_office", _("街道办事处")
        PUBLIC_SERVICE = "public_service", _("公共服务企事业单位")

    code = models.CharField(_("部门编码"), max_length=32, unique=True)
    name = models.CharField(_("部门名称"), max_length=128)
    short_name = models.CharField(_("简称"), max_length=32, blank=True)
    uscc = models.CharField(_("统一社会信用代码"), max_length=18, unique=True)
    kind = models.CharField(_("类别"), max_length=20, choices=Kind.choices, default=Kind.BUREAU)
    division = models.ForeignKey(Division, on_delete=models.PROTECT, verbose_name=_("所属区划"))
    phone = models.CharField(_("咨询电话"), max_length=32, blank=True)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("部门")
        verbose_name_plural = _("部门")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        from .identity import validate_uscc

        verdict = validate_uscc(self.uscc)
        if not verdict.valid:
            raise ValidationError({"uscc": verdict.message})
        self.uscc = verdict.number


class ServicePlace(models.Model):
    """The three tiers of service places: 区政务服务中心, 街道便民服务中心, 社区便民服务站."""

    class Tier(models.TextChoices):
        DISTRICT = "district", _("区政务服务中心")
        STREET = "street", _("街道便民服务中心")
        COMMUNITY = "community", _("社区便民服务站")

    code = models.CharField(_("编码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=128)
    tier = models.CharField(_("层级"), max_length=12, choices=Tier.choices)
    division = models.ForeignKey(Division, on_delete=models.PROTECT, verbose_name=_("所在区划"))
    address = models.CharField(_("地址"), max_length=200)
    hours = models.CharField(_("办公时间"), max_length=200, blank=True)
    phone = models.CharField(_("咨询电话"), max_length=32, blank=True)
    departments = models.ManyToManyField(
        Department, blank=True, related_name="service_places", verbose_name=_("进驻部门")
    )
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("服务场所")
        verbose_name_plural = _("服务场所")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        level = {"district": "district", "street": "street", "community": "community"}[self.tier]
        if self.division_id and self.division.level != level:
            raise ValidationError({"division": _("服务场所的层级应与所在区划的层级一致。")})


class Counter(models.Model):
    """A window (窗口) in a service place."""

    class Kind(models.TextChoices):
        COMPREHENSIVE = "comprehensive", _("综合受理窗口")
        DEPARTMENT = "department", _("部门专窗")
        DELIVERY = "delivery", _("统一出件窗口")
        HELP = "help", _("帮办代办窗口")

    place = models.ForeignKey(ServicePlace, on_delete=models.CASCADE, related_name="counters", verbose_name=_("服务场所"))
    number = models.CharField(_("窗口号"), max_length=16)
    name = models.CharField(_("窗口名称"), max_length=64)
    kind = models.CharField(_("类别"), max_length=16, choices=Kind.choices, default=Kind.COMPREHENSIVE)
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("专窗部门")
    )
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("窗口")
        verbose_name_plural = _("窗口")
        unique_together = [("place", "number")]
        ordering = ["place", "number"]

    def __str__(self) -> str:
        return f"{self.place.name} {self.number}号窗口"


class CalendarDay(models.Model):
    """An exception to the Monday–Friday working week: a weekday holiday, or a make-up working
    Saturday/Sunday (调休). Ordinary weekdays and weekends are not stored."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("法定节假日（休息）")
        WORKDAY = "workday", _("调休上班日")

    date = models.DateField(_("日期"), unique=True)
    kind = models.CharField(_("类别"), max_length=8, choices=Kind.choices)
    name = models.CharField(_("名称"), max_length=64, blank=True)
    source = models.CharField(_("来源"), max_length=64, blank=True, help_text=_("如：国务院办公厅通知文号"))

    class Meta:
        verbose_name = _("节假日与调休")
        verbose_name_plural = _("节假日与调休")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()} {self.name}"


class AuditEvent(models.Model):
    """Append-only, hash-chained audit event. ``hash`` covers every other column and the previous
    event's hash, so an altered or deleted row breaks the chain (``manage.py verify_audit``)."""

    seq = models.BigIntegerField(_("序号"), unique=True)
    at = models.DateTimeField(_("时间"))
    actor = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", db_constraint=False
    )
    actor_label = models.CharField(_("操作人"), max_length=128, blank=True)
    role = models.CharField(_("角色"), max_length=32, blank=True)
    department = models.CharField(_("部门/场所"), max_length=32, blank=True)
    action = models.CharField(_("动作"), max_length=64, db_index=True)
    object_type = models.CharField(_("对象类型"), max_length=64, blank=True)
    object_id = models.CharField(_("对象标识"), max_length=64, blank=True, db_index=True)
    data = models.JSONField(_("详情"), default=dict, blank=True)
    request_id = models.CharField(_("请求号"), max_length=64, blank=True)
    ip = models.CharField(_("来源地址"), max_length=64, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        verbose_name = _("审计事件")
        verbose_name_plural = _("审计事件")
        ordering = ["seq"]
        indexes = [models.Index(fields=["object_type", "object_id"]), models.Index(fields=["actor", "at"])]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.object_type}:{self.object_id}"


class AuditChainHead(models.Model):
    """One row: the last sequence number and hash. Locked while appending so that concurrent
    writers extend the chain one at a time, and compared by verify_audit to catch a deleted tail."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64, default="0" * 64)


class PeriodicJobRun(models.Model):
    """When a periodic job (yiwang.core.periodic) was last enqueued: one row per job. A beat claims
    a slot with one conditional UPDATE (``slot_at < this slot``), so however many beats run — two
    gunicorn workers, two machines on one PostgreSQL, cron as well — each slot is enqueued once."""

    name = models.CharField(_("任务名称"), max_length=100, unique=True)
    slot_at = models.DateTimeField(_("最近一次时段"), null=True, blank=True)
    enqueued_at = models.DateTimeField(_("最近一次入队时间"), null=True, blank=True)
    task_id = models.CharField(_("最近一次任务号"), max_length=64, blank=True)
    runs = models.PositiveIntegerField(_("已入队次数"), default=0)

    class Meta:
        verbose_name = _("周期任务")
        verbose_name_plural = _("周期任务")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
