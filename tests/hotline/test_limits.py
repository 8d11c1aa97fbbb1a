"""Time limits: which rule applies, and the working-day arithmetic of every deadline (on the
official calendar with its 调休 days, seeded by the session fixture)."""

from __future__ import annotations

from datetime import datetime, timedelta
from unittest import mock
from zoneinfo import ZoneInfo

import pytest

from yiwang.hotline import limits, services
from yiwang.hotline.models import Category, TimeLimitRule, WorkOrder

SH = ZoneInfo("Asia/Shanghai")


def at(*args):
    return datetime(*args, tzinfo=SH)


def end_of(y, m, d):
    return datetime(y, m, d, 23, 59, 59, 999999, tzinfo=SH)


@pytest.mark.parametrize("code,urgency,minutes,reply", [
    ("CG08", "normal", None, 5),   # the default rule
    ("CG08", "urgent", 30, 5),     # a threat to safety: 30 minutes to accept
    ("GY01", "normal", 30, 2),     # water outage: the rule on the parent 公用事业 covers it
    ("GY02", "urgent", 30, 2),     # the category's rule beats the any-category urgent rule
    ("JY01", "normal", None, 3),   # a leaf's own rule
])
def test_most_specific_rule_wins(district, code, urgency, minutes, reply):
    rule = limits.limits_for(Category.objects.get(code=code), urgency)
    assert (rule.accept_minutes, rule.reply_working_days, rule.return_working_days, rule.max_extension_days) == (
        minutes, reply, 2, 10)


def test_no_rules_at_all_falls_back_to_the_defaults(district):
    TimeLimitRule.objects.all().delete()
    rule = limits.limits_for(None, "normal")
    assert (rule.accept_minutes, rule.accept_working_days, rule.reply_working_days) == (None, 1, 5)


def test_deadlines_across_national_day_and_its_make_up_saturday(district):
    rule = limits.limits_for(Category.objects.get(code="CG08"), "normal")
    t = at(2025, 9, 30, 10, 0)  # Tuesday before the 2025 National Day / Mid-Autumn holiday (Oct 1–8)
    assert rule.accept_due(t) == end_of(2025, 10, 9)
    assert rule.return_due(t) == end_of(2025, 10, 10)
    # Oct 9, 10, 11 (Saturday make-up working day), 13, 14
    assert rule.reply_due(t) == end_of(2025, 10, 14)


def test_friday_evening_dispatch_and_urgent_minutes(district):
    cg = limits.limits_for(Category.objects.get(code="CG08"), "normal")
    t = at(2025, 11, 21, 17, 30)  # a Friday
    assert cg.accept_due(t) == end_of(2025, 11, 24)
    assert cg.reply_due(t) == end_of(2025, 11, 28)
    outage = limits.limits_for(Category.objects.get(code="GY01"), "normal")
    assert outage.accept_due(t) == t + timedelta(minutes=30)  # natural time, weekend or not
    assert outage.reply_due(t) == end_of(2025, 11, 25)


def test_dispatch_extension_and_reopen_use_the_rules(people):
    from yiwang.core.workdays import add_working_days

    t = at(2025, 9, 30, 10, 0)
    with mock.patch("django.utils.timezone.now", return_value=t):
        o = services.create_order(people.operator, channel="phone", kind="help", text="家里停水一天了", lat=32.06,
                                  lng=118.81, caller_phone="13800000000")
        services.dispatch(people.operator, o.number, department="YX-CG", category="GY01")
    o.refresh_from_db()
    assert o.accept_due_at == t + timedelta(minutes=30)
    assert o.reply_due_at == end_of(2025, 10, 10)  # 2 working days: Oct 9, 10
    with mock.patch("django.utils.timezone.now", return_value=at(2025, 10, 9, 9, 0)):
        services.accept(people.cg, o.number)
        services.request_extension(people.cg, o.number, 10, "需更换主管道")
        services.decide_extension(people.supervisor, o.number, approve=True)
    o.refresh_from_db()
    assert o.reply_due_at == add_working_days(end_of(2025, 10, 10), 10) == end_of(2025, 10, 23)  # Oct 11 (Sat) is a working day
    with mock.patch("django.utils.timezone.now", return_value=at(2025, 10, 20, 9, 0)):
        services.reply(people.cg, o.number, "已修复")
        services.callback(people.operator, o.number, result="unsatisfied")
    o.refresh_from_db()
    assert o.status == "in_progress" and o.reply_due_at == end_of(2025, 10, 22)  # reopened: 2 more working days


def test_urgent_accept_overdue_is_supervised_within_the_hour(people):
    t = at(2025, 11, 22, 20, 0)  # Saturday evening
    with mock.patch("django.utils.timezone.now", return_value=t):
        o = services.create_order(people.operator, channel="phone", kind="help", urgency="urgent",
                                  text="小区配电房冒烟，有焦糊味", caller_phone="13800000000")
        services.dispatch(people.operator, o.number, department="YX-CG", category="CG05")
    assert WorkOrder.objects.get(pk=o.pk).accept_due_at == t + timedelta(minutes=30)
    assert services.sweep(t + timedelta(minutes=29))["accept_overdue"] == 0
    assert services.sweep(t + timedelta(minutes=31))["accept_overdue"] == 1
