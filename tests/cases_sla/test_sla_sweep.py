"""The SLA sweep: lights go green → yellow → red as deadlines approach and pass; paused cases are
left alone; department heads (and, for red, supervisors) hear about each change exactly once."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from yiwang.accounts.actor import Actor, staff_actor
from yiwang.cases import services
from yiwang.cases.models import Case, Status
from yiwang.cases.tasks import run_sweep, sweep_sla
from yiwang.core import workdays
from yiwang.notifications.models import Notification


@pytest.fixture
def people(org, make_staff):
    return {
        "head": make_staff("dept_head", org["dept"], username="head_scjg"),
        "reviewer": make_staff("reviewer", org["dept"], username="rev_scjg"),
        "other_head": make_staff("dept_head", org["other_dept"], username="head_mz"),
        "supervisor": make_staff("supervisor", org["other_dept"], username="sup1"),
    }


def warnings_to(user):
    return Notification.objects.filter(recipient=user, template="sla_warning")


def light_of(case):
    return Case.objects.values_list("sla_light", flat=True).get(pk=case.pk)


def test_lights_rise_as_the_deadline_approaches_and_passes(org, people, running_case):
    now = timezone.now()
    case = running_case(org["dept"], due_at=workdays.add_working_days(now, 6))
    assert run_sweep()["changed"] == 0 and light_of(case) == "green"

    Case.objects.filter(pk=case.pk).update(due_at=workdays.add_working_days(now, 2))  # at the threshold
    counts = run_sweep()
    assert counts["changed"] == 1 and counts["yellow"] == 1 and light_of(case) == "yellow"
    assert warnings_to(people["head"]).count() == 1
    assert warnings_to(people["supervisor"]).count() == 0  # yellow: heads only
    assert warnings_to(people["reviewer"]).count() == 0 and warnings_to(people["other_head"]).count() == 0
    body = warnings_to(people["head"]).get().body
    assert case.number in body and "黄灯" in body

    Case.objects.filter(pk=case.pk).update(due_at=now - timedelta(minutes=5))  # passed
    counts = run_sweep()
    assert counts["red"] == 1 and light_of(case) == "red"
    assert warnings_to(people["head"]).count() == 2
    red = warnings_to(people["supervisor"]).get()
    assert "红灯" in red.body and red.channel == "site" and red.status == "sent"


def test_each_change_is_announced_once(org, people, running_case):
    now = timezone.now()
    yellow = running_case(org["dept"], due_at=workdays.add_working_days(now, 1))
    red = running_case(org["dept"], due_at=now - timedelta(days=3))
    first = run_sweep()
    assert (first["changed"], first["yellow"], first["red"]) == (2, 1, 1)
    assert first["notified"] == 3  # head for both, supervisor for the red one
    second = run_sweep()
    assert second["checked"] == 2 and second["changed"] == 0 and second["notified"] == 0
    assert warnings_to(people["head"]).count() == 2 and warnings_to(people["supervisor"]).count() == 1
    assert (light_of(yellow), light_of(red)) == ("yellow", "red")


def test_straight_from_green_to_red_and_back_down_quietly(org, people, running_case):
    case = running_case(org["dept"], due_at=timezone.now() - timedelta(hours=1))
    assert run_sweep()["red"] == 1
    # the deadline moves later (e.g. corrected by an admin): the light goes down without a warning
    Case.objects.filter(pk=case.pk).update(due_at=workdays.add_working_days(timezone.now(), 8))
    counts = run_sweep()
    assert counts["changed"] == 1 and counts["notified"] == 0 and light_of(case) == "green"
    assert warnings_to(people["head"]).count() == 1


def test_paused_and_closed_cases_are_untouched(org, people, running_case):
    past = timezone.now() - timedelta(days=5)
    paused = running_case(org["dept"], due_at=past, status=Status.SUSPENDED, paused=True)
    correction = running_case(org["dept"], due_at=past, status=Status.CORRECTION, paused=True)
    fee_unpaid = running_case(org["dept"], due_at=past, status=Status.AWAITING_PAYMENT, paused=True)
    done = running_case(org["dept"], due_at=past, status=Status.APPROVED, light="green")
    counts = run_sweep()
    assert counts["checked"] == 0 and counts["changed"] == 0
    assert {light_of(paused), light_of(correction), light_of(fee_unpaid), light_of(done)} == {"paused", "green"}
    assert not Notification.objects.filter(template="sla_warning").exists()


def test_a_case_started_through_the_services(org, people, make_citizen, make_staff, published_item):
    item = published_item(org["dept"], promised=3)
    applicant = Actor(user=make_citizen())
    token = services.upload_material(applicant, name="申请书.pdf", data=b"%PDF-1.4\n%%EOF\n").upload_token
    case, _ = services.submit(applicant, item_code=item.code, form={},
                              materials=[{"key": "application_form", "upload": token}], idempotency_key="sla-1")
    services.accept(staff_actor(make_staff("clerk", org["centre"])), case.number)
    case.refresh_from_db()
    # three working days later the case is due within the threshold; a day after its deadline, red
    later = workdays.add_working_days(case.accepted_at, 2) - timedelta(hours=12)
    assert run_sweep(now=later)["yellow"] == 1
    assert run_sweep(now=case.due_at + timedelta(days=1))["red"] == 1
    # a correction stops the clock: the sweep leaves it alone from then on
    services.request_correction(staff_actor(people["reviewer"]), case.number, ["申请书缺少签名"])
    assert run_sweep(now=case.due_at + timedelta(days=30))["checked"] == 0
    assert light_of(case) == "paused"


def test_the_task_and_the_command(org, people, running_case):
    running_case(org["dept"], due_at=timezone.now() - timedelta(days=1))
    running_case(org["dept"], due_at=workdays.add_working_days(timezone.now(), 1))
    out = io.StringIO()
    call_command("sla_sweep", stdout=out)
    assert "2 lights changed, 1 turned yellow, 1 turned red, 3 notifications" in out.getvalue()
    assert sweep_sla.call()["changed"] == 0  # the task body, as the worker runs it
