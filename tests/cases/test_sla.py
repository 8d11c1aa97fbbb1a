"""The SLA clock in working days on the official calendar, with the clock stopped while waiting for
a correction (补正) or during a special procedure (特别程序).

Hand-computed dates use the State Council's 2026 holiday notice (checked against the
``chinese_calendar`` package in the first test):
春节 2月15日（日）至23日（一）放假，2月14日（六）、2月28日（六）上班；
中秋 9月25日（五）放假；国庆 10月1日（四）至7日（三）放假，9月20日（日）、10月10日（六）上班。
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import override_settings
from django.utils import timezone

from yiwang.cases import sla
from yiwang.cases.models import Case
from yiwang.core.workdays import add_working_days, is_working_day, next_working_day, working_days_between

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")


def at(day: str, hh: int = 10, mm: int = 0) -> datetime:
    return datetime.combine(date.fromisoformat(day), time(hh, mm), tzinfo=SH)


def same_moment(api_value: str, value: datetime) -> bool:
    """The API writes times to the millisecond."""
    return abs(datetime.fromisoformat(api_value) - value) < timedelta(milliseconds=1)


def end_of(day: str) -> datetime:
    return datetime.combine(date.fromisoformat(day), time.max, tzinfo=SH)


def test_the_hand_computed_calendar_is_the_official_one():
    import chinese_calendar

    off = ["2026-02-16", "2026-02-17", "2026-02-18", "2026-02-19", "2026-02-20", "2026-02-23", "2026-09-25",
           "2026-10-01", "2026-10-02", "2026-10-05", "2026-10-06", "2026-10-07"]
    on = ["2026-02-14", "2026-02-28", "2026-09-20", "2026-10-10"]
    for d in off:
        assert not chinese_calendar.is_workday(date.fromisoformat(d)) and not is_working_day(date.fromisoformat(d))
    for d in on:
        assert chinese_calendar.is_workday(date.fromisoformat(d)) and is_working_day(date.fromisoformat(d))


# -- deadlines -------------------------------------------------------------------------------------
@pytest.mark.parametrize(("accepted", "days", "due"), [
    # 国庆: Oct 1–7 off; Oct 8 (Thu) 1, Oct 9 (Fri) 2, Oct 10 (Sat, make-up day) 3, Oct 12 4, Oct 13 5
    pytest.param(at("2026-09-30", 16), 5, end_of("2026-10-13"), id="national-day-5"),
    # the make-up Sunday before Mid-Autumn counts; Mid-Autumn Friday does not:
    # Sep 20 (Sun) 1, 21 2, 22 3, 23 4, 24 5, [25 off], 28 6
    pytest.param(at("2026-09-19"), 6, end_of("2026-09-28"), id="mid-autumn-make-up-sunday"),
    # 春节: Feb 14 (Sat, make-up) 1; Feb 15–23 off; Feb 24 2, Feb 25 3
    pytest.param(at("2026-02-13", 15), 3, end_of("2026-02-25"), id="spring-festival-3"),
    # Feb 13 1, 14 2, 24 3, 25 4, 26 5, 27 6, 28 (Sat, make-up) 7, Mar 2 8, Mar 3 9, Mar 4 10
    pytest.param(at("2026-02-12"), 10, end_of("2026-03-04"), id="spring-festival-10"),
    # accepted during the holiday: counting starts after it
    pytest.param(at("2026-10-03"), 1, end_of("2026-10-08"), id="accepted-on-holiday"),
    # 即办件: due the same working day; on a day off, the next working day
    pytest.param(at("2026-09-30", 9), 0, end_of("2026-09-30"), id="immediate-same-day"),
    pytest.param(at("2026-10-01", 9), 0, end_of("2026-10-08"), id="immediate-on-holiday"),
    pytest.param(at("2026-02-14", 9), 0, end_of("2026-02-14"), id="immediate-on-make-up-saturday"),
])
def test_deadline_counts_working_days_on_the_official_calendar(accepted, days, due):
    assert sla.deadline(accepted, days) == due


def test_deadline_after_midnight_local_time_is_the_local_day():
    # 2026-09-30 17:30 UTC is already Oct 1 in Shanghai (a holiday): 1 working day → Oct 8
    accepted = datetime(2026, 9, 30, 17, 30, tzinfo=ZoneInfo("UTC"))
    assert sla.deadline(accepted, 1) == end_of("2026-10-08")


@pytest.mark.parametrize(("accepted", "days", "stopped", "due"), [
    # 5 days from Sep 28 would be Oct 9; three stopped days push it to Oct 14:
    # Sep 29 1, 30 2, Oct 8 3, 9 4, 10 5, 12 6, 13 7, 14 8
    pytest.param(at("2026-09-28"), 5, 3, end_of("2026-10-14"), id="national-day"),
    # Feb 11 1, 12 2, 13 3, 14 (Sat, make-up) 4, [15–23 off], 24 5
    pytest.param(at("2026-02-10"), 2, 3, end_of("2026-02-24"), id="spring-festival"),
    pytest.param(at("2026-02-10"), 2, 0, end_of("2026-02-12"), id="nothing-stopped"),
])
def test_stopped_days_extend_the_deadline(accepted, days, stopped, due):
    assert sla.deadline(accepted, days, stopped) == due


@pytest.mark.parametrize(("stopped", "restarted", "lost"), [
    pytest.param(at("2026-09-29", 9), at("2026-10-09", 16), 3, id="across-national-day"),  # Sep 30, Oct 8, Oct 9
    pytest.param(at("2026-09-24"), at("2026-09-28"), 1, id="across-mid-autumn"),  # only Sep 28
    pytest.param(at("2026-02-13", 9), at("2026-02-24", 9), 2, id="across-spring-festival"),  # Feb 14, Feb 24
    pytest.param(at("2026-10-12", 9), at("2026-10-12", 17), 0, id="same-day"),
    pytest.param(at("2026-10-02"), at("2026-10-07"), 0, id="inside-the-holiday"),
    pytest.param(at("2026-10-12"), at("2026-10-09"), 0, id="clock-skew-never-negative"),
])
def test_stopped_working_days(stopped, restarted, lost):
    assert sla.stopped_working_days(stopped, restarted) == lost


# -- lights ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(("now", "colour", "remaining"), [
    pytest.param(at("2026-09-30", 12), "green", 5, id="accepted"),
    pytest.param(at("2026-10-04", 12), "green", 5, id="holiday-costs-nothing"),
    pytest.param(at("2026-10-09", 12), "green", 3, id="three-left"),
    pytest.param(at("2026-10-10", 12), "yellow", 2, id="make-up-saturday-two-left"),
    pytest.param(at("2026-10-11", 12), "yellow", 2, id="sunday-two-left"),
    pytest.param(at("2026-10-13", 23, 59), "yellow", 0, id="last-minute"),
    pytest.param(at("2026-10-14", 9), "red", -1, id="overdue-one-day"),
    pytest.param(at("2026-10-19", 9), "red", -4, id="overdue-four-days"),
])
def test_light_against_a_national_day_deadline(now, colour, remaining):
    light = sla.light(end_of("2026-10-13"), now=now)
    assert (light.colour, light.remaining_days) == (colour, remaining)


def test_yellow_threshold_is_a_setting():
    due, now = end_of("2026-10-13"), at("2026-10-09", 12)  # three working days left
    assert sla.light(due, now=now).colour == "green"
    with override_settings(SLA_YELLOW_DAYS=3):
        assert sla.light(due, now=now).colour == "yellow"
    with override_settings(SLA_YELLOW_DAYS=0):
        assert sla.light(due, now=at("2026-10-12", 12)).colour == "green"  # one left
        assert sla.light(due, now=at("2026-10-13", 12)).colour == "yellow"  # due today


def test_paused_light_keeps_the_remaining_days():
    light = sla.light(end_of("2026-10-13"), now=at("2026-10-09", 12), paused=True)
    assert (light.colour, light.remaining_days) == ("paused", 3)


# -- the clock on real cases -----------------------------------------------------------------------
def _back_by_working_days(moment: datetime, n: int) -> datetime:
    """A moment whose date lies exactly n working days before ``moment`` (by the platform's count)."""
    d = timezone.localtime(moment).date()
    while working_days_between(d, moment) < n:
        d -= timedelta(days=1)
    return datetime.combine(d, time(10), tzinfo=SH)


def test_acceptance_starts_the_clock_and_the_api_shows_it(flow):
    case = flow.submit(flow.item(promised=10, statutory=20))
    body = flow.get("citizen", f"/api/v1/cases/{case.number}").json()
    assert body["due_at"] is None and body["sla_light"] is None  # not accepted: no clock yet
    flow.do("clerk", case.number, "accept")
    case.refresh_from_db()
    assert case.due_at == add_working_days(case.accepted_at, 10)
    assert case.statutory_due_at == add_working_days(case.accepted_at, 20)
    assert timezone.localtime(case.due_at).time() == time.max
    body = flow.get("citizen", f"/api/v1/cases/{case.number}").json()
    assert body["sla_light"] == "green" and body["remaining_working_days"] == 10
    assert same_moment(body["due_at"], case.due_at)


def test_an_immediate_case_is_due_at_the_end_of_the_working_day(flow):
    case = flow.submit(flow.item(case_type="1", promised=0))
    flow.do("clerk", case.number, "accept")
    case.refresh_from_db()
    accepted_day = timezone.localtime(case.accepted_at).date()
    expected_day = next_working_day(accepted_day, include_self=True)  # today, or Monday after a weekend
    assert timezone.localtime(case.due_at) == datetime.combine(expected_day, time.max, tzinfo=SH)
    assert case.due_at == add_working_days(case.accepted_at, 0)


def test_correction_before_acceptance_does_not_start_the_clock(flow):
    case = flow.submit(flow.item(promised=10))
    flow.do("clerk", case.number, "request_correction")
    case.refresh_from_db()
    assert (case.accepted_at, case.due_at, case.clock_stopped_at) == (None, None, None)
    body = flow.get("citizen", f"/api/v1/cases/{case.number}").json()
    assert body["status"] == "correction" and body["correction_items"] == ["营业执照复印件不清晰", "缺少法定代表人签字"]
    assert body["sla_light"] is None
    flow.do("citizen", case.number, "resubmit")
    case.refresh_from_db()
    assert case.status == "submitted" and case.due_at is None and case.stopped_days == 0
    flow.do("clerk", case.number, "accept")
    case.refresh_from_db()
    assert case.due_at == add_working_days(case.accepted_at, 10)


@pytest.mark.parametrize("n", [1, 3])
def test_correction_after_acceptance_stops_the_clock(flow, n):
    case = flow.drive(flow.submit(flow.item(promised=10)), "in_review")
    due_before = case.due_at
    flow.do("reviewer", case.number, "request_correction")
    case.refresh_from_db()
    assert case.clock_stopped_at is not None
    body = flow.get("citizen", f"/api/v1/cases/{case.number}").json()
    assert body["sla_light"] == "paused"
    # the applicant takes n working days to bring the documents
    Case.objects.filter(pk=case.pk).update(clock_stopped_at=_back_by_working_days(timezone.now(), n))
    r = flow.act("citizen", case.number, "resubmit")
    assert r.status_code == 200 and r.json()["status"] == "in_review"
    case.refresh_from_db()
    assert case.clock_stopped_at is None and case.stopped_days == n
    assert case.due_at == add_working_days(case.accepted_at, 10 + n)
    assert working_days_between(due_before, case.due_at) == n
    assert case.events.get(action="resubmit").data["stopped_days"] == n


@pytest.mark.parametrize("n", [2, 7])
def test_suspension_moves_the_deadline_by_exactly_the_suspended_working_days(flow, n):
    case = flow.drive(flow.submit(flow.item(promised=5)), "in_review")
    # accepted a while ago, so the suspension lies inside the running clock
    accepted = _back_by_working_days(timezone.now(), n + 1)
    Case.objects.filter(pk=case.pk).update(accepted_at=accepted, due_at=add_working_days(accepted, 5))
    due_before = add_working_days(accepted, 5)
    flow.do("reviewer", case.number, "suspend")
    assert flow.get("reviewer", f"/api/v1/cases/{case.number}").json()["sla_light"] == "paused"
    stopped = _back_by_working_days(timezone.now(), n)
    Case.objects.filter(pk=case.pk).update(clock_stopped_at=stopped)
    # while suspended, the days left stay those left when the clock stopped
    body = flow.get("citizen", f"/api/v1/cases/{case.number}").json()
    assert (body["sla_light"], body["remaining_working_days"]) == ("paused", working_days_between(stopped, due_before))
    r = flow.act("reviewer", case.number, "resume")
    assert r.status_code == 200
    case.refresh_from_db()
    assert case.stopped_days == n and case.suspension_kind == ""
    assert case.due_at == add_working_days(accepted, 5 + n)
    assert working_days_between(due_before, case.due_at) == n
    assert same_moment(r.json()["due_at"], case.due_at)


def test_two_stops_add_up(flow):
    case = flow.drive(flow.submit(flow.item(promised=10)), "in_review")
    for who, stop, restart, n in (("reviewer", "suspend", "resume", 2), ("reviewer", "request_correction", None, 1)):
        flow.do(who, case.number, stop)
        Case.objects.filter(pk=case.pk).update(clock_stopped_at=_back_by_working_days(timezone.now(), n))
        if restart:
            flow.do(who, case.number, restart)
        else:
            flow.do("citizen", case.number, "resubmit")
    case.refresh_from_db()
    assert case.stopped_days == 3
    assert case.due_at == add_working_days(case.accepted_at, 13)


def test_same_day_suspension_costs_nothing(flow):
    case = flow.drive(flow.submit(flow.item(promised=10)), "in_review")
    due = case.due_at
    flow.do("reviewer", case.number, "suspend")
    flow.do("reviewer", case.number, "resume")
    case.refresh_from_db()
    assert case.due_at == due and case.stopped_days == 0


def test_lights_on_running_cases(flow):
    case = flow.drive(flow.submit(flow.item(promised=2)), "in_review")
    body = flow.get("reviewer", f"/api/v1/cases/{case.number}").json()
    assert (body["sla_light"], body["remaining_working_days"]) == ("yellow", 2)  # at the default threshold
    with override_settings(SLA_YELLOW_DAYS=1):
        assert flow.get("reviewer", f"/api/v1/cases/{case.number}").json()["sla_light"] == "green"
    # overdue by two working days
    overdue = add_working_days(_back_by_working_days(timezone.now(), 3), 0)
    Case.objects.filter(pk=case.pk).update(due_at=overdue)
    body = flow.get("reviewer", f"/api/v1/cases/{case.number}").json()
    assert body["sla_light"] == "red" and body["remaining_working_days"] < 0
    assert body["remaining_working_days"] == -working_days_between(overdue, timezone.now())
