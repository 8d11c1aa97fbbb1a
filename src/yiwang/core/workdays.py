"""Working days (工作日) on the official calendar, with its make-up working days (调休).

The week is Monday–Friday, corrected by :class:`~yiwang.core.models.CalendarDay` rows: a
``holiday`` row makes a weekday a day off, a ``workday`` row makes a Saturday or Sunday a working
day. The table is seeded from the ``chinese-calendar`` package (``manage.py seed_calendar``, which
knows the State Council notices up to 2026) and an admin enters later years from the new notice.

Rules used by every time limit on the platform (after FixMyStreet's WorkingDays, adapted to
Chinese administrative practice, 《行政许可法》第八十二条):

* ``add_working_days(start, n)``: the time limit is counted from the working day *after* the
  start (the day of acceptance does not count); the deadline is the end (23:59:59.999999 local
  time) of the n-th working day. ``n == 0`` means the end of the start day's working day itself
  (即办件: due the same day; a start on a day off is due at the end of the next working day).
* ``working_days_between(a, b)``: the number of working days strictly after ``a``'s date up to and
  including ``b``'s date; negative if ``b`` is before ``a``. So
  ``working_days_between(a, add_working_days(a, n)) == n`` for every n ≥ 1.
* Times are in the platform's time zone (Asia/Shanghai).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.core.cache import cache
from django.utils import timezone

_CACHE_KEY = "yiwang:calendar:version"
_local: dict = {"version": None, "days": {}, "checked": 0.0}
#: How long a process trusts its copy before asking the shared cache whether an admin changed the
#: calendar (edits in this process invalidate at once; other processes see them within this time).
RECHECK_SECONDS = 1.0


def _exceptions() -> dict[date, str]:
    """The calendar exceptions, cached per process and invalidated when an admin edits them."""
    import time

    now = time.monotonic()
    if _local["version"] is not None and now - _local["checked"] < RECHECK_SECONDS:
        return _local["days"]
    _local["checked"] = now
    version = cache.get(_CACHE_KEY)
    if version is None:
        version = timezone.now().timestamp()
        cache.set(_CACHE_KEY, version, None)
    if _local["version"] != version:
        from .models import CalendarDay

        _local["days"] = dict(CalendarDay.objects.values_list("date", "kind"))
        _local["version"] = version
    return _local["days"]


def invalidate() -> None:
    cache.set(_CACHE_KEY, timezone.now().timestamp(), None)
    _local["version"] = None


def is_working_day(day: date) -> bool:
    kind = _exceptions().get(day)
    if kind == "holiday":
        return False
    if kind == "workday":
        return True
    return day.weekday() < 5


def next_working_day(day: date, *, include_self: bool = False) -> date:
    d = day if include_self else day + timedelta(days=1)
    for _ in range(400):
        if is_working_day(d):
            return d
        d += timedelta(days=1)
    raise ValueError("no working day within 400 days: check the holiday table")


def _local_date(moment: datetime | date) -> date:
    if isinstance(moment, datetime):
        if timezone.is_aware(moment):
            moment = timezone.localtime(moment)
        return moment.date()
    return moment


def end_of_day(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.max))


def add_working_days(start: datetime | date, n: int) -> datetime:
    """The deadline n working days after ``start`` (see the module's rules)."""
    if n < 0:
        raise ValueError("n must be >= 0")
    day = _local_date(start)
    if n == 0:
        return end_of_day(next_working_day(day, include_self=True))
    for _ in range(n):
        day = next_working_day(day)
    return end_of_day(day)


def working_days_between(a: datetime | date, b: datetime | date) -> int:
    """Working days after ``a``'s date up to and including ``b``'s date (negative if b < a)."""
    da, db = _local_date(a), _local_date(b)
    if db < da:
        return -working_days_between(b, a)
    count = 0
    d = da + timedelta(days=1)
    while d <= db:
        if is_working_day(d):
            count += 1
        d += timedelta(days=1)
    return count


def working_days_in(start: date, end: date) -> list[date]:
    """Every working day in [start, end]."""
    out = []
    d = start
    while d <= end:
        if is_working_day(d):
            out.append(d)
        d += timedelta(days=1)
    return out
