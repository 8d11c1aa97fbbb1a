"""Periodic sweeps (yiwang.core.periodic): every app's sweep is scheduled; a due job is enqueued
once per slot however many beats race for it (gunicorn workers, machines, cron); nothing is
enqueued before it is due; and an enqueued sweep runs for real through the database task worker."""

from __future__ import annotations

import io
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from concurrency import in_threads
from yiwang.core import periodic
from yiwang.core.models import PeriodicJobRun
from yiwang.core.taskworker import run_pending_tasks

SHANGHAI = ZoneInfo("Asia/Shanghai")
#: a Monday morning, local time, one minute into a 5- and 15-minute slot
MONDAY = datetime(2026, 3, 2, 10, 1, tzinfo=SHANGHAI)

EXPECTED = {
    "cases.sla_sweep": ("yiwang.cases.tasks.sweep_sla", timedelta(minutes=15)),
    "hotline.supervision": ("yiwang.hotline.tasks.supervise_overdue", timedelta(minutes=5)),
    "notifications.sweep": ("yiwang.notifications.tasks.sweep_lost", timedelta(minutes=5)),
    "exchange.flag_overdue": ("yiwang.exchange.tasks.flag_overdue", timedelta(days=1)),
}


def enqueued() -> dict[str, int]:
    """How many times each job's task sits in the task queue."""
    paths = {path: name for name, (path, _every) in EXPECTED.items()}
    counts = dict.fromkeys(EXPECTED, 0)
    for path in DBTaskResult.objects.values_list("task_path", flat=True):
        if path in paths:
            counts[paths[path]] += 1
    return counts


@pytest.mark.django_db
def test_every_apps_sweep_is_scheduled():
    jobs = {j.name: j for j in periodic.jobs()}
    assert {name: (j.task.module_path, j.every) for name, j in jobs.items() if name in EXPECTED} == EXPECTED
    # the daily exchange check runs at 01:00 local time, not at whatever hour the server started
    assert jobs["exchange.flag_overdue"].slot(MONDAY) == datetime(2026, 3, 2, 1, 0, tzinfo=SHANGHAI)
    assert jobs["cases.sla_sweep"].slot(MONDAY) == datetime(2026, 3, 2, 10, 0, tzinfo=SHANGHAI)


@pytest.mark.django_db(transaction=True)
def test_racing_beats_enqueue_each_due_slot_once():
    """Four beats (two gunicorn workers on each of two machines) wake at the same instant, slot
    after slot: each job's task is queued exactly once per slot."""
    expected = dict.fromkeys(EXPECTED, 0)
    for step in range(4):
        now = MONDAY + step * timedelta(minutes=15)
        results = in_threads(4, lambda _i, now=now: periodic.tick(now))
        winners = [name for names in results for name in names]
        assert sorted(winners) == sorted(set(winners)), f"a slot was claimed twice: {results}"
        for name in EXPECTED:
            expected[name] += 1 if step == 0 or EXPECTED[name][1] <= timedelta(minutes=15) else 0
        assert enqueued() == expected, step
    runs = dict(PeriodicJobRun.objects.values_list("name", "runs"))
    assert runs["cases.sla_sweep"] == 4 and runs["exchange.flag_overdue"] == 1
    last = PeriodicJobRun.objects.get(name="cases.sla_sweep")
    assert last.slot_at == datetime(2026, 3, 2, 10, 45, tzinfo=SHANGHAI)
    assert DBTaskResult.objects.filter(pk=last.task_id, task_path="yiwang.cases.tasks.sweep_sla").exists()


@pytest.mark.django_db
def test_nothing_is_enqueued_before_it_is_due():
    assert sorted(periodic.tick(MONDAY)) == sorted(EXPECTED)  # never ran: due at once
    assert periodic.tick(MONDAY + timedelta(minutes=3, seconds=59)) == []  # same 5-minute slot
    assert periodic.tick(MONDAY - timedelta(minutes=30)) == []  # a beat whose clock is behind
    assert sorted(periodic.tick(MONDAY + timedelta(minutes=4))) == ["hotline.supervision", "notifications.sweep"]
    assert periodic.tick(MONDAY + timedelta(minutes=13, seconds=59)) == ["hotline.supervision",
                                                                         "notifications.sweep"]
    assert "cases.sla_sweep" in periodic.tick(MONDAY + timedelta(minutes=14))  # 10:15
    next_night = datetime(2026, 3, 3, 0, 59, tzinfo=SHANGHAI)
    assert "exchange.flag_overdue" not in periodic.tick(next_night)
    assert "exchange.flag_overdue" in periodic.tick(next_night + timedelta(minutes=1))
    # 5-minute jobs: 10:00, 10:05, 10:10, 10:15, 00:55, 01:00; the SLA sweep: 10:00, 10:15, 00:45, 01:00
    assert enqueued() == {"cases.sla_sweep": 4, "hotline.supervision": 6, "notifications.sweep": 6,
                          "exchange.flag_overdue": 2}


@pytest.mark.django_db
def test_the_cron_command(settings):
    out = io.StringIO()
    call_command("run_periodic", "--once", stdout=out)
    assert out.getvalue().startswith(f"enqueued {len(periodic.jobs())} job(s): ")
    assert "cases.sla_sweep" in out.getvalue()
    out = io.StringIO()
    call_command("run_periodic", "--once", stdout=out)  # cron again within the slot: nothing
    assert out.getvalue().strip() == "enqueued 0 job(s)"
    out = io.StringIO()
    call_command("run_periodic", "--list", stdout=out)
    line = next(ln for ln in out.getvalue().splitlines() if ln.startswith("cases.sla_sweep"))
    assert "yiwang.cases.tasks.sweep_sla" in line and "runs 1" in line and "never" not in line
    assert all(count == 1 for count in enqueued().values())


@pytest.mark.django_db(transaction=True)
def test_an_overdue_case_turns_red_through_the_beat_and_the_worker(org, make_staff, make_citizen):
    """The embedded default end to end: the beat enqueues the SLA sweep, the database worker runs
    it, the case turns red and the department head and the supervisors are told."""
    from yiwang.cases.models import Case, Status
    from yiwang.notifications.models import Notification

    head = make_staff("dept_head", org["dept"], username="head_scjg")
    supervisor = make_staff("supervisor", org["other_dept"], username="sup1")
    other_head = make_staff("dept_head", org["other_dept"], username="head_mz")
    applicant = make_citizen()
    now = timezone.now()
    case = Case.objects.create(
        number=f"329002{now:%Y%m%d}800001", title="食品经营许可", department=org["dept"], applicant=applicant,
        applicant_name=applicant.name, status=Status.IN_REVIEW, submitted_at=now - timedelta(days=20),
        accepted_at=now - timedelta(days=19), due_at=now - timedelta(hours=2), promised_days=10, sla_light="green")

    assert "cases.sla_sweep" in periodic.tick()
    assert Case.objects.get(pk=case.pk).sla_light == "green"  # only queued so far
    run_pending_tasks()

    assert Case.objects.get(pk=case.pk).sla_light == "red"
    warning = Notification.objects.get(recipient=head, template="sla_warning")
    assert case.number in warning.body and "红灯" in warning.body and warning.status == "sent"
    assert Notification.objects.filter(recipient=supervisor, template="sla_warning").count() == 1
    assert not Notification.objects.filter(recipient=other_head).exists()
    result = DBTaskResult.objects.get(task_path="yiwang.cases.tasks.sweep_sla")
    assert result.status == "SUCCESSFUL" and result.return_value["red"] == 1
    # every other sweep ran too, without error
    assert set(DBTaskResult.objects.values_list("status", flat=True)) == {"SUCCESSFUL"}

    # the next beat in the same slot queues nothing; the light is announced once
    assert periodic.tick() == []
    run_pending_tasks()
    assert Notification.objects.filter(recipient=head, template="sla_warning").count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_beat_loops_side_by_side():
    """What `make run` starts: a beat thread in each of two gunicorn workers."""
    beats = [periodic.start_beat(interval=0.05) for _ in range(2)]
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if PeriodicJobRun.objects.filter(name__in=EXPECTED, runs__gte=1).count() == len(EXPECTED):
                break
            time.sleep(0.05)
        time.sleep(0.3)  # several more beats of both loops
    finally:
        for beat, _thread in beats:
            beat.stop()
        for _beat, thread in beats:
            thread.join(timeout=10)
    runs = dict(PeriodicJobRun.objects.filter(name__in=EXPECTED).values_list("name", "runs"))
    assert set(runs) == set(EXPECTED) and all(runs.values())
    # one queued task per slot claimed, never one per beat (a slot boundary may pass during the test)
    assert enqueued() == runs
    assert all(n <= 2 for n in runs.values())
