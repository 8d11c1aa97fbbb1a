"""The demo case history (manage.py load_demo_cases): a working district's year, idempotent, with an
open backlog that staff can continue through the ordinary services."""

from __future__ import annotations

import io
import re
from collections import Counter
from datetime import timedelta

import pytest
from django.core.management import call_command, get_commands, load_command_class
from django.core.management.base import CommandError
from django.db.models import F
from django.utils import timezone

from yiwang.accounts.actor import Actor, staff_actor
from yiwang.accounts.models import Role, RoleAssignment
from yiwang.cases import selectors, services
from yiwang.cases.demo import DEFAULT_COUNT, KEY_PREFIX, Calendar
from yiwang.cases.models import (
    CONCLUDED_STATUSES, OPEN_STATUSES, Case, CaseEvent, CaseNumberCounter, IdempotencyKey, Status,
)
from yiwang.cases.process import Runtime
from yiwang.cases.tasks import run_sweep
from yiwang.core import workdays

COUNT = 200
NUMBER = re.compile(r"^\d{6}(\d{8})(\d{6})$")


@pytest.fixture
def demo(db, published_item):
    """The demo district and a small published catalog across a few of its departments."""
    from yiwang.core.models import Department

    call_command("load_demo", stdout=io.StringIO())
    dept = {d.code: d for d in Department.objects.filter(code__in=["YX-SCJG", "YX-MZ", "YX-GA", "YX-RS", "YX-ZRZY"])}
    published_item(dept["YX-SCJG"], name="食品经营许可", promised=10, objects="2,5")
    published_item(dept["YX-SCJG"], name="个体工商户登记", promised=3, objects="1")
    published_item(dept["YX-MZ"], name="最低生活保障审核", promised=20, objects="1")
    published_item(dept["YX-MZ"], name="婚姻登记", promised=0, case_type="1", objects="1")
    published_item(dept["YX-GA"], name="居民身份证换领", promised=5, fee=20, objects="1")
    published_item(dept["YX-RS"], name="失业保险金申领", promised=7, objects="1")
    published_item(dept["YX-ZRZY"], name="不动产转移登记", promised=5, fee=80, objects="1,2")
    return dept


def load(count=COUNT):
    out = io.StringIO()
    call_command("load_demo_cases", "--count", str(count), stdout=out)
    return out.getvalue()


def test_the_default_is_a_year_of_at_least_3000_cases():
    assert DEFAULT_COUNT >= 3000
    command = load_command_class(get_commands()["load_demo_cases"], "load_demo_cases")
    parser = command.create_parser("manage.py", "load_demo_cases")
    assert parser.parse_args([]).count >= 3000


def test_needs_the_demo_district_and_a_published_catalog(db):
    with pytest.raises(CommandError, match="load_demo"):
        load()
    call_command("load_demo", stdout=io.StringIO())
    with pytest.raises(CommandError, match="load_demo_catalog"):
        load()
    assert not Case.objects.exists()


def test_a_year_in_every_state_loaded_once(demo):
    before = timezone.now()
    out = load()
    assert f"{COUNT} cases" in out
    cases = Case.objects.all()
    assert cases.count() == COUNT
    statuses = Counter(cases.values_list("status", flat=True))
    assert set(statuses) == set(OPEN_STATUSES) | set(CONCLUDED_STATUSES)
    # most concluded and delivered; a backlog of about 5 %
    assert statuses[Status.DELIVERED] > COUNT / 2
    assert 0.03 * COUNT <= sum(statuses[s] for s in OPEN_STATUSES) <= 0.08 * COUNT
    assert set(cases.values_list("channel", flat=True)) >= {"web", "counter", "api"}
    assert cases.filter(enterprise__isnull=False).exists() and cases.filter(enterprise__isnull=True).exists()

    # a second run creates nothing
    counters = list(CaseNumberCounter.objects.order_by("division", "day").values_list("division", "day", "last"))
    events = CaseEvent.objects.count()
    assert "nothing to do" in load()
    assert Case.objects.count() == COUNT and CaseEvent.objects.count() == events
    assert list(CaseNumberCounter.objects.order_by("division", "day").values_list("division", "day", "last")) == counters
    assert IdempotencyKey.objects.filter(key__startswith=KEY_PREFIX).count() == COUNT

    # over the past year, never in the future, in order
    oldest = before - timedelta(days=366)
    assert not cases.filter(submitted_at__lt=oldest).exists() and not CaseEvent.objects.filter(at__gt=before).exists()
    assert not cases.filter(accepted_at__lt=F("submitted_at")).exists()
    assert not cases.filter(concluded_at__lt=F("accepted_at")).exists()
    assert not cases.filter(delivered_at__lt=F("concluded_at")).exists()
    assert cases.filter(submitted_at__lt=before - timedelta(days=270)).exists()
    for case in cases.filter(status=Status.DELIVERED)[:30]:
        actions = list(case.events.order_by("at", "id").values_list("action", flat=True))
        assert actions[0] == "submit" and "accept" in actions and actions[-1] == "deliver"
        assert re.search(r"[\u4e00-\u9fff]", case.events.get(action="accept").opinion)
    # deadlines on the working-day calendar
    for case in cases.filter(accepted_at__isnull=False, stopped_days=0)[:40]:
        assert case.due_at == workdays.add_working_days(case.accepted_at, case.promised_days)


def test_numbers_follow_the_live_format_and_counters(demo):
    load()
    seqs: dict[tuple[str, str], int] = {}
    for case in Case.objects.all():
        m = NUMBER.match(case.number)
        assert m, case.number
        assert m.group(1) == timezone.localtime(case.submitted_at).strftime("%Y%m%d")
        key = (case.number[:6], m.group(1))
        seqs[key] = max(seqs.get(key, 0), int(m.group(2)))
    counters = {(c.division, c.day.strftime("%Y%m%d")): c.last for c in CaseNumberCounter.objects.all()}
    assert counters == seqs
    # a live case drawn on a historical day continues after the history
    (division, day), last = next(iter(seqs.items()))
    when = timezone.make_aware(timezone.datetime.strptime(day + "1200", "%Y%m%d%H%M"))
    number = services.next_case_number(division, when)
    assert number == f"{division}{day}{last + 1:06d}" and not Case.objects.filter(number=number).exists()


def test_the_backlog_is_real_work_in_the_right_inboxes(demo):
    load()
    open_accepted = Case.objects.filter(status=Status.IN_REVIEW)
    lights = Counter(open_accepted.values_list("sla_light", flat=True))
    assert lights["yellow"] >= 1 and lights["red"] >= 1
    assert run_sweep()["changed"] == 0  # the stored lights are today's lights
    # the clock is stopped during a special procedure and while a fee waits for the applicant
    stopped = Case.objects.filter(status__in=[Status.SUSPENDED, Status.AWAITING_PAYMENT])
    assert set(stopped.values_list("sla_light", flat=True)) == {"paused"}
    assert not stopped.filter(clock_stopped_at__isnull=True).exists()
    assert Case.objects.filter(status=Status.AWAITING_PAYMENT).exists()

    for case in Case.objects.filter(status__in=[Status.IN_REVIEW, Status.SUSPENDED]):
        runtime = Runtime.load(case.process_model.bpmn_xml, case.process_model.process_id, case.process_state)
        ready = {t.task_id for t in runtime.ready()}
        tasks = case.tasks.filter(status__in=["open", "claimed"])
        assert ready and ready == set(tasks.values_list("engine_task_id", flat=True))
        assert tasks.filter(department=case.department).exists()
        assert selectors.case_detail(case, staff=True)["open_tasks"]

    # a reviewer of the department sees the case in the inbox and can finish it with the services
    case = (Case.objects.filter(status=Status.IN_REVIEW, tasks__step="review", tasks__status="open", fee_amount=0)
            .first())
    reviewer = staff_actor(RoleAssignment.objects.filter(role=Role.REVIEWER, department=case.department).first().user)
    head = staff_actor(RoleAssignment.objects.filter(role=Role.DEPT_HEAD, department=case.department).first().user)
    assert case.pk in {t.case_id for t in selectors.inbox(reviewer)}
    services.review(reviewer, case.number, "经审查，材料齐全，建议准予。")
    assert services.decide(head, case.number, True, "同意。").status == Status.APPROVED

    # the other open states continue too
    suspended = Case.objects.filter(status=Status.SUSPENDED).first()
    member = RoleAssignment.objects.filter(role=Role.REVIEWER, department=suspended.department).first().user
    resumed = services.resume(staff_actor(member), suspended.number, "恢复办理。")
    assert resumed.status == Status.IN_REVIEW and resumed.clock_stopped_at is None
    assert resumed.due_at >= suspended.due_at
    waiting = Case.objects.filter(status=Status.SUBMITTED).first()
    clerk = staff_actor(RoleAssignment.objects.filter(role=Role.CLERK).first().user)
    assert services.accept(clerk, waiting.number).status == Status.IN_REVIEW
    payable = Case.objects.filter(status=Status.AWAITING_PAYMENT).first()
    services.pay(clerk, payable.number, "counter", "POS-0001")
    payable.refresh_from_db()
    assert payable.status == Status.APPROVED and payable.paid_at
    correction = Case.objects.filter(status=Status.CORRECTION).first()
    applicant = Actor(user=correction.applicant, enterprise=correction.enterprise)
    assert services.resubmit(applicant, correction.number).status in (Status.SUBMITTED, Status.IN_REVIEW)


def test_a_larger_count_adds_the_difference(demo):
    load(60)
    assert Case.objects.count() == 60
    load(90)
    assert Case.objects.count() == 90
    assert len(set(Case.objects.values_list("number", flat=True))) == 90


def test_the_calendar_matches_workdays(db):
    today = timezone.localdate()
    cal = Calendar(today - timedelta(days=420), today + timedelta(days=400))
    start = timezone.now() - timedelta(days=400)
    for step in range(0, 400, 7):
        a = start + timedelta(days=step, hours=step % 11)
        for n in (0, 1, 2, 5, 20):
            assert cal.add(a, n) == workdays.add_working_days(a, n)
        b = a + timedelta(days=(step % 40) - 10)
        assert cal.between(a, b) == workdays.working_days_between(a, b)


@pytest.mark.skipif("load_demo_catalog" not in get_commands(), reason="the demo catalog is not there yet")
def test_with_the_demo_catalog(db):
    call_command("load_demo", stdout=io.StringIO())
    call_command("load_demo_catalog", stdout=io.StringIO(), verbosity=0)
    load()
    assert set(Case.objects.values_list("status", flat=True)) == set(OPEN_STATUSES) | set(CONCLUDED_STATUSES)
    assert Case.objects.values("department").distinct().count() >= 10
