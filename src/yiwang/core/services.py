"""State changes for organisations and the calendar (each audited)."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils.translation import gettext as _

from yiwang.accounts.actor import Actor
from yiwang.accounts.models import Role
from yiwang.accounts.selectors import require_role

from . import audit
from .errors import NotFound, ValidationFailed
from .models import CalendarDay


@transaction.atomic
def set_calendar_day(actor: Actor, day: date, kind: str, name: str = "", source: str = "") -> CalendarDay:
    """Enter a holiday or a make-up working day (e.g. from next year's State Council notice)."""
    require_role(actor, Role.PLATFORM_ADMIN)
    if kind not in CalendarDay.Kind.values:
        raise ValidationFailed(_("类别应为 holiday 或 workday。"), fields={"kind": [_("无效的类别。")]})
    if kind == CalendarDay.Kind.HOLIDAY and day.weekday() >= 5:
        raise ValidationFailed(_("周末本来就是休息日，无需登记为节假日。"), code="weekend_holiday",
                               fields={"date": [_("该日期是周末。")]})
    if kind == CalendarDay.Kind.WORKDAY and day.weekday() < 5:
        raise ValidationFailed(_("调休上班日应为周六或周日。"), code="weekday_workday",
                               fields={"date": [_("该日期是工作日。")]})
    row, created = CalendarDay.objects.update_or_create(date=day, defaults={"kind": kind, "name": name[:64],
                                                                             "source": source[:64]})
    audit.record("calendar.day_set", row, data={"date": day.isoformat(), "kind": kind, "name": name,
                                                "created": created})
    return row


@transaction.atomic
def delete_calendar_day(actor: Actor, day: date) -> None:
    require_role(actor, Role.PLATFORM_ADMIN)
    row = CalendarDay.objects.filter(date=day).first()
    if row is None:
        raise NotFound(_("该日期没有登记。"))
    audit.record("calendar.day_deleted", row, data={"date": day.isoformat(), "kind": row.kind})
    row.delete()
