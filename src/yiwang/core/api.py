"""Organisations, the working-day calendar and the audit trail over the JSON API."""

from __future__ import annotations

from datetime import date, datetime

from django.utils.translation import gettext as _
from ninja import Router, Schema, Status

from yiwang.core.apiauth import actor_auth

from . import selectors, services, workdays
from .audit import verify_chain
from .errors import ValidationFailed
from .models import CalendarDay, Counter, Department, Division, ServicePlace

router = Router(tags=["organisation"])


class DivisionOut(Schema):
    code: str
    name: str
    level: str
    parent: str | None


@router.get("/org/divisions", response=list[DivisionOut], auth=None, summary="行政区划")
def divisions(request, parent: str | None = None):
    qs = Division.objects.all()
    if parent:
        qs = qs.filter(parent_id=parent)
    return [{"code": d.code, "name": d.name, "level": d.level, "parent": d.parent_id} for d in qs[:2000]]


class DepartmentOut(Schema):
    code: str
    name: str
    short_name: str
    uscc: str
    kind: str
    division: str
    phone: str


@router.get("/org/departments", response=list[DepartmentOut], auth=None, summary="部门")
def departments(request):
    return [
        {"code": d.code, "name": d.name, "short_name": d.short_name, "uscc": d.uscc, "kind": d.kind,
         "division": d.division_id, "phone": d.phone}
        for d in Department.objects.filter(is_active=True)
    ]


class CounterOut(Schema):
    number: str
    name: str
    kind: str
    department: str | None


class PlaceOut(Schema):
    code: str
    name: str
    tier: str
    division: str
    address: str
    hours: str
    phone: str
    counters: list[CounterOut]


@router.get("/org/places", response=list[PlaceOut], auth=None, summary="服务场所与窗口")
def places(request, tier: str | None = None, division: str | None = None):
    qs = ServicePlace.objects.filter(is_active=True).prefetch_related("counters__department")
    if tier:
        qs = qs.filter(tier=tier)
    if division:
        qs = qs.filter(division__code__startswith=division)
    return [
        {"code": p.code, "name": p.name, "tier": p.tier, "division": p.division_id, "address": p.address,
         "hours": p.hours, "phone": p.phone,
         "counters": [{"number": c.number, "name": c.name, "kind": c.kind,
                       "department": c.department.code if c.department else None}
                      for c in p.counters.all() if c.is_active]}
        for p in qs
    ]


class CalendarDayIn(Schema):
    date: date
    kind: str
    name: str = ""
    source: str = ""


class CalendarDayOut(Schema):
    date: date
    kind: str
    name: str
    source: str


@router.get("/calendar/days", response=list[CalendarDayOut], auth=None, summary="节假日与调休")
def calendar_days(request, year: int):
    if not 1 <= year <= 9999:  # a date's year: anything else would overflow the query (500)
        raise ValidationFailed(_("年份应在 1 到 9999 之间。"), fields={"year": [_("超出范围。")]})
    return list(CalendarDay.objects.filter(date__year=year).values("date", "kind", "name", "source"))


@router.post("/calendar/days", response={201: CalendarDayOut}, auth=actor_auth, summary="登记节假日或调休（管理员）")
def set_calendar_day(request, payload: CalendarDayIn):
    row = services.set_calendar_day(request.auth, payload.date, payload.kind, payload.name, payload.source)
    return Status(201, row)


@router.delete("/calendar/days/{day}", response={204: None}, auth=actor_auth, summary="删除登记（管理员）")
def delete_calendar_day(request, day: date):
    services.delete_calendar_day(request.auth, day)
    return Status(204, None)


class DeadlineOut(Schema):
    start: datetime
    working_days: int
    deadline: datetime


@router.get("/calendar/deadline", response=DeadlineOut, auth=None, summary="按工作日计算期限")
def deadline(request, start: datetime, days: int):
    if not 0 <= days <= 3650:
        raise ValidationFailed(_("工作日数应在 0 到 3650 之间。"), fields={"days": [_("超出范围。")]})
    return {"start": start, "working_days": days, "deadline": workdays.add_working_days(start, days)}


class AuditEventOut(Schema):
    seq: int
    at: datetime
    actor_label: str
    role: str
    department: str
    action: str
    object_type: str
    object_id: str
    request_id: str
    data: dict


@router.get("/audit/events", response=list[AuditEventOut], auth=actor_auth, summary="审计日志（按权限范围）")
def audit_events(request, action: str | None = None, object_id: str | None = None, limit: int = 100,
                 before: int | None = None):
    qs = selectors.audit_events_for(request.auth)
    if action:
        qs = qs.filter(action=action)
    if object_id:
        qs = qs.filter(object_id=object_id)
    if before:
        qs = qs.filter(seq__lt=before)
    return list(qs[: max(1, min(limit, 500))])


@router.get("/audit/verify", response=dict, auth=actor_auth, summary="校验审计哈希链（管理员）")
def audit_verify(request):
    from yiwang.accounts.models import Role
    from yiwang.accounts.selectors import require_role

    require_role(request.auth, Role.PLATFORM_ADMIN, Role.SUPERVISOR)
    checked, problem = verify_chain()
    return {"intact": problem is None, "checked": checked, "problem": str(problem) if problem else None}
