"""Working days on the official calendar (with 调休 make-up days), as every time limit on the platform
counts them, and the admin API that keeps the holiday table up to date.

Expected dates are written out by hand from the State Council notices for 2026 (国办发明电〔2025〕…):
春节 2月15日（周日）至23日（周一）放假，2月14日（周六）、2月28日（周六）上班；
中秋 9月25日（周五）放假；国庆 10月1日至7日放假，9月20日（周日）、10月10日（周六）上班。
"""

from __future__ import annotations

import threading
from datetime import date, datetime, time, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command

from yiwang.core.workdays import add_working_days, is_working_day, next_working_day, working_days_between

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")


def end_of(day: date) -> datetime:
    return datetime.combine(day, time(23, 59, 59, 999999), tzinfo=SH)


def D(s: str) -> date:
    return date.fromisoformat(s)


# --- the seeded official calendar ---------------------------------------------------------------


def test_seed_matches_the_chinese_calendar_package():
    import chinese_calendar

    for d in (D("2026-02-14"), D("2026-02-28"), D("2026-09-20"), D("2026-10-10")):
        assert d in chinese_calendar.workdays and d.weekday() >= 5
    for d in [D("2026-02-16") + timedelta(days=i) for i in range(5)] + [D("2026-02-23"), D("2026-10-01"),
                                                                        D("2026-10-02"), D("2026-10-05"),
                                                                        D("2026-10-06"), D("2026-10-07")]:
        assert d in chinese_calendar.holidays and d.weekday() < 5


@pytest.mark.parametrize("day", ["2026-02-16", "2026-02-17", "2026-02-18", "2026-02-19", "2026-02-20",
                                 "2026-02-23", "2026-09-25", "2026-10-01", "2026-10-02", "2026-10-05",
                                 "2026-10-06", "2026-10-07", "2026-01-01", "2026-01-02"])
def test_holiday_weekdays_are_days_off(day):
    assert D(day).weekday() < 5
    assert is_working_day(D(day)) is False


@pytest.mark.parametrize("day", ["2026-02-14", "2026-02-28", "2026-09-20", "2026-10-10", "2026-01-04"])
def test_make_up_weekend_days_are_working_days(day):
    assert D(day).weekday() >= 5
    assert is_working_day(D(day)) is True


@pytest.mark.parametrize("day, working", [("2026-02-15", False), ("2026-02-21", False), ("2026-02-22", False),
                                          ("2026-10-03", False), ("2026-10-04", False), ("2026-03-07", False),
                                          ("2026-02-13", True), ("2026-02-24", True), ("2026-10-08", True),
                                          ("2026-10-09", True), ("2026-03-09", True)])
def test_ordinary_days(day, working):
    assert is_working_day(D(day)) is working


@pytest.mark.parametrize(
    "start, n, due",
    [
        # Spring Festival
        ("2026-02-13", 1, "2026-02-14"),  # Friday → the make-up Saturday
        ("2026-02-13", 2, "2026-02-24"),  # then nine days off
        ("2026-02-12", 3, "2026-02-24"),
        ("2026-02-14", 1, "2026-02-24"),
        ("2026-02-14", 5, "2026-02-28"),  # the second make-up Saturday
        ("2026-02-14", 6, "2026-03-02"),
        ("2026-02-17", 1, "2026-02-24"),  # accepted (online) during the holiday
        ("2026-02-10", 20, "2026-03-16"),
        # Mid-autumn and National Day
        ("2026-09-18", 1, "2026-09-20"),  # Friday → the make-up Sunday
        ("2026-09-24", 1, "2026-09-28"),  # 中秋 Friday off
        ("2026-09-30", 1, "2026-10-08"),
        ("2026-09-30", 3, "2026-10-10"),  # the make-up Saturday
        ("2026-09-30", 4, "2026-10-12"),
        ("2026-09-18", 10, "2026-10-09"),
        ("2026-09-18", 15, "2026-10-15"),
        # an ordinary week
        ("2026-03-06", 1, "2026-03-09"),
        ("2026-03-02", 5, "2026-03-09"),
    ],
)
def test_add_working_days_across_holidays(start, n, due):
    assert add_working_days(D(start), n) == end_of(D(due))


def test_add_working_days_counts_from_the_local_date_of_a_moment():
    # 2026-02-13 17:30 UTC is already Saturday the 14th in Shanghai
    moment = datetime(2026, 2, 13, 17, 30, tzinfo=ZoneInfo("UTC"))
    assert add_working_days(moment, 1) == end_of(D("2026-02-24"))
    # 15:59 UTC is still Friday the 13th
    assert add_working_days(datetime(2026, 2, 13, 15, 59, tzinfo=ZoneInfo("UTC")), 1) == end_of(D("2026-02-14"))
    # a late-evening acceptance does not make the deadline earlier
    assert add_working_days(datetime(2026, 9, 30, 23, 59, tzinfo=SH), 1) == end_of(D("2026-10-08"))


def test_deadline_is_the_end_of_the_day_in_shanghai():
    due = add_working_days(D("2026-03-02"), 1)
    assert due.utcoffset() == timedelta(hours=8)
    assert (due.hour, due.minute, due.second) == (23, 59, 59)
    assert due.astimezone(ZoneInfo("UTC")) == datetime(2026, 3, 3, 15, 59, 59, 999999, tzinfo=ZoneInfo("UTC"))


@pytest.mark.parametrize(
    "start, due",
    [
        ("2026-03-04", "2026-03-04"),  # 即办件 on a working day: the same day
        ("2026-02-14", "2026-02-14"),  # a make-up Saturday is a working day
        ("2026-02-17", "2026-02-24"),  # started on a holiday → end of the next working day
        ("2026-02-22", "2026-02-24"),  # a Sunday in the holiday
        ("2026-03-07", "2026-03-09"),  # an ordinary Saturday
        ("2026-10-01", "2026-10-08"),
    ],
)
def test_zero_days_means_the_end_of_the_working_day(start, due):
    assert add_working_days(D(start), 0) == end_of(D(due))


def test_negative_days_are_refused():
    with pytest.raises(ValueError):
        add_working_days(D("2026-03-02"), -1)


def test_next_working_day():
    assert next_working_day(D("2026-02-14")) == D("2026-02-24")
    assert next_working_day(D("2026-02-14"), include_self=True) == D("2026-02-14")
    assert next_working_day(D("2026-09-19")) == D("2026-09-20")


@pytest.mark.parametrize("a, b, n", [
    ("2026-02-13", "2026-02-24", 2),
    ("2026-02-13", "2026-02-13", 0),
    ("2026-02-13", "2026-02-23", 1),  # the make-up Saturday only
    ("2026-09-30", "2026-10-10", 3),
    ("2026-02-24", "2026-02-13", -2),  # negative when b is before a
    ("2026-10-10", "2026-09-30", -3),
])
def test_working_days_between(a, b, n):
    assert working_days_between(D(a), D(b)) == n


def test_working_days_between_inverts_add_working_days():
    starts = [D("2025-12-20") + timedelta(days=i) for i in range(0, 380, 6)]  # every weekday in turn
    starts += [D("2026-02-13"), D("2026-02-14"), D("2026-02-15"), D("2026-02-23"), D("2026-09-19"),
               D("2026-09-20"), D("2026-10-07")]
    for start in starts:
        for n in range(1, 31):
            due = add_working_days(start, n)
            assert working_days_between(start, due) == n, (start, n)
            assert working_days_between(due, start) == -n, (start, n)
            # and the deadline is itself a working day, the first with that count
            assert is_working_day(due.date())
            assert working_days_between(start, due - timedelta(days=1)) == n - 1, (start, n)


def test_working_days_between_accepts_moments():
    a = datetime(2026, 2, 13, 9, 0, tzinfo=SH)
    b = datetime(2026, 2, 24, 8, 0, tzinfo=SH)
    assert working_days_between(a, b) == 2


# --- seed_calendar ------------------------------------------------------------------------------


def test_seed_calendar_is_idempotent():
    from yiwang.core.models import CalendarDay

    before = list(CalendarDay.objects.order_by("date").values_list("date", "kind", "name"))
    assert len(before) > 100
    out = StringIO()
    call_command("seed_calendar", stdout=out)
    assert "0 days added" in out.getvalue()
    call_command("seed_calendar", stdout=StringIO())
    assert list(CalendarDay.objects.order_by("date").values_list("date", "kind", "name")) == before
    spring = CalendarDay.objects.get(date=D("2026-02-16"))
    assert (spring.kind, spring.name, spring.source) == ("holiday", "春节", "chinese-calendar")
    assert CalendarDay.objects.get(date=D("2026-10-10")).name == "国庆节"


def test_seed_calendar_keeps_admin_corrections():
    from yiwang.core.models import CalendarDay

    CalendarDay.objects.filter(date=D("2026-02-16")).update(name="春节（区里更正）", source="区政府通知")
    call_command("seed_calendar", stdout=StringIO())
    row = CalendarDay.objects.get(date=D("2026-02-16"))
    assert (row.name, row.source) == ("春节（区里更正）", "区政府通知")


def test_seed_calendar_refills_a_year():
    from yiwang.core.models import CalendarDay

    CalendarDay.objects.filter(date__year=2026).delete()
    assert is_working_day(D("2026-02-16")) is True
    out = StringIO()
    call_command("seed_calendar", "--from-year", "2026", "--to-year", "2026", stdout=out)
    assert f"{CalendarDay.objects.filter(date__year=2026).count()} days added" in out.getvalue()
    assert is_working_day(D("2026-02-16")) is False
    assert is_working_day(D("2026-02-14")) is True


# --- the calendar admin API ---------------------------------------------------------------------

DAYS = "/api/v1/calendar/days"


@pytest.fixture
def admin_token(api, org, make_staff):
    admin = make_staff("platform_admin", org["dept"])
    return api.token(admin.username, otp=admin.totp())


def _events(action):
    from yiwang.core.models import AuditEvent

    return list(AuditEvent.objects.filter(action=action).order_by("seq"))


def test_admin_adds_a_holiday_and_deadlines_change_at_once(api, admin_token):
    # 2027 is not in the package: the admin enters next year's notice
    start = D("2027-02-05")  # Friday
    assert add_working_days(start, 1) == end_of(D("2027-02-08"))
    r = api.post(DAYS, {"date": "2027-02-08", "kind": "holiday", "name": "春节", "source": "国办发明电〔2026〕x号"},
                 token=admin_token)
    assert r.status_code == 201, r.content
    assert r.json() == {"date": "2027-02-08", "kind": "holiday", "name": "春节", "source": "国办发明电〔2026〕x号"}
    assert is_working_day(D("2027-02-08")) is False
    assert add_working_days(start, 1) == end_of(D("2027-02-09"))
    # the public deadline endpoint agrees
    r = api.get("/api/v1/calendar/deadline", start="2027-02-05T10:00:00+08:00", days=1)
    assert r.status_code == 200 and r.json()["deadline"].startswith("2027-02-09T23:59:59")
    # and the list shows it
    listed = api.get(DAYS, year=2027).json()
    assert listed == [{"date": "2027-02-08", "kind": "holiday", "name": "春节", "source": "国办发明电〔2026〕x号"}]
    ev = _events("calendar.day_set")
    assert len(ev) == 1
    assert ev[0].data == {"date": "2027-02-08", "kind": "holiday", "name": "春节", "created": True}
    assert ev[0].role == "platform_admin" and ev[0].actor_label


def test_admin_adds_a_make_up_working_saturday(api, admin_token):
    assert add_working_days(D("2027-02-05"), 1) == end_of(D("2027-02-08"))
    r = api.post(DAYS, {"date": "2027-02-06", "kind": "workday", "name": "春节调休"}, token=admin_token)
    assert r.status_code == 201
    assert add_working_days(D("2027-02-05"), 1) == end_of(D("2027-02-06"))


def test_admin_changes_an_existing_day(api, admin_token):
    """Re-entering a date replaces it (e.g. a corrected notice), audited as an update."""
    r = api.post(DAYS, {"date": "2026-03-10", "kind": "holiday", "name": "临时"}, token=admin_token)
    assert r.status_code == 201
    r = api.post(DAYS, {"date": "2026-03-10", "kind": "holiday", "name": "更正"}, token=admin_token)
    assert r.status_code == 201 and r.json()["name"] == "更正"
    assert [e.data["created"] for e in _events("calendar.day_set")] == [True, False]


def test_admin_deletes_a_day(api, admin_token):
    assert is_working_day(D("2026-10-05")) is False
    assert add_working_days(D("2026-09-30"), 1) == end_of(D("2026-10-08"))
    r = api.delete(f"{DAYS}/2026-10-05", token=admin_token)
    assert r.status_code == 204, r.content
    assert is_working_day(D("2026-10-05")) is True
    assert add_working_days(D("2026-09-30"), 1) == end_of(D("2026-10-05"))
    ev = _events("calendar.day_deleted")
    assert len(ev) == 1 and ev[0].data == {"date": "2026-10-05", "kind": "holiday"}
    r = api.delete(f"{DAYS}/2026-10-05", token=admin_token)
    assert r.status_code == 404 and r.json()["code"] == "not_found"


def test_weekend_holiday_and_weekday_workday_are_refused(api, admin_token):
    from yiwang.core.models import CalendarDay

    r = api.post(DAYS, {"date": "2027-02-06", "kind": "holiday"}, token=admin_token)  # Saturday
    assert r.status_code == 422 and r.json()["code"] == "weekend_holiday"
    assert "date" in r.json()["fields"]
    r = api.post(DAYS, {"date": "2027-02-08", "kind": "workday"}, token=admin_token)  # Monday
    assert r.status_code == 422 and r.json()["code"] == "weekday_workday"
    r = api.post(DAYS, {"date": "2027-02-08", "kind": "vacation"}, token=admin_token)
    assert r.status_code == 422 and "kind" in r.json()["fields"]
    r = api.post(DAYS, {"date": "2027-02-30", "kind": "holiday"}, token=admin_token)
    assert r.status_code == 422
    assert not CalendarDay.objects.filter(date__year=2027).exists()
    assert not _events("calendar.day_set")


def test_non_admin_and_anonymous_are_refused(api, org, make_staff, make_citizen):
    from yiwang.core.models import CalendarDay

    reviewer = make_staff("reviewer", org["dept"])
    token = api.token(reviewer.username, otp=reviewer.totp())
    r = api.post(DAYS, {"date": "2027-02-08", "kind": "holiday"}, token=token)
    assert r.status_code == 403 and r.json()["code"] == "role_forbidden"
    r = api.delete(f"{DAYS}/2026-10-05", token=token)
    assert r.status_code == 403 and r.json()["code"] == "role_forbidden"

    citizen = make_citizen()
    r = api.post(DAYS, {"date": "2027-02-08", "kind": "holiday"}, token=api.token(citizen.id_number))
    assert r.status_code == 403

    r = api.post(DAYS, {"date": "2027-02-08", "kind": "holiday"})
    assert r.status_code == 401 and r.json()["code"] == "not_authenticated"
    r = api.delete(f"{DAYS}/2026-10-05")
    assert r.status_code == 401
    r = api.post(DAYS, {"date": "2027-02-08", "kind": "holiday"}, token="not-a-token")
    assert r.status_code == 401

    assert not CalendarDay.objects.filter(date=D("2027-02-08")).exists()
    assert CalendarDay.objects.filter(date=D("2026-10-05")).exists()


# --- the public deadline endpoint ---------------------------------------------------------------

DEADLINE = "/api/v1/calendar/deadline"


@pytest.mark.parametrize("start, days, due", [
    ("2026-02-13T10:00:00+08:00", 2, "2026-02-24"),
    ("2026-09-30T16:00:00+08:00", 3, "2026-10-10"),
    ("2026-02-17T10:00:00+08:00", 0, "2026-02-24"),
    ("2026-02-13T17:30:00Z", 1, "2026-02-24"),  # Saturday morning in Shanghai
    ("2026-02-13T10:00:00", 1, "2026-02-14"),  # no offset: local time
])
def test_deadline_endpoint(api, start, days, due):
    r = api.get(DEADLINE, start=start, days=days)
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["working_days"] == days
    got = datetime.fromisoformat(body["deadline"].replace("Z", "+00:00"))
    assert got.utcoffset() == timedelta(hours=8)
    assert got.replace(microsecond=0) == end_of(D(due)).replace(microsecond=0)  # JSON has milliseconds


@pytest.mark.parametrize("params", [{"start": "2026-02-13T10:00:00+08:00", "days": -1},
                                    {"start": "2026-02-13T10:00:00+08:00", "days": 3651},
                                    {"start": "2026-02-13T10:00:00+08:00", "days": "ten"},
                                    {"start": "2026-02-13T10:00:00+08:00"},
                                    {"start": "yesterday", "days": 1},
                                    {"days": 1},
                                    {"start": "2026-02-13T10:00:00+08:00", "days": 10**30}])
def test_deadline_endpoint_rejects_bad_input(api, params):
    r = api.get(DEADLINE, **params)
    assert r.status_code == 422, (r.status_code, r.content)
    assert r.json()["code"] == "validation_error"


# --- several processes: no one keeps a stale calendar ------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_worker_that_reads_during_the_edit_does_not_keep_the_old_calendar():
    """Another web worker computes a deadline while the admin's edit is being saved (not committed
    yet). After the commit every worker must see the new holiday, not a copy cached in between."""
    from django.db import connections, transaction

    from yiwang.core.models import CalendarDay

    day = D("2031-03-11")  # a Tuesday
    assert is_working_day(day) is True
    seen = []

    def other_worker():
        try:
            seen.append(is_working_day(day))
        finally:
            connections.close_all()

    with transaction.atomic():
        CalendarDay.objects.create(date=day, kind="holiday", name="临时休息")
        t = threading.Thread(target=other_worker)
        t.start()
        t.join(30)
    assert seen == [True]  # it could not see the uncommitted row
    assert is_working_day(day) is False
