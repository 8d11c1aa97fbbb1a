"""Fees: an approved case with a fee waits for payment (待缴费) and its result is not handed out
before; the counter records cash/POS with a receipt number, the applicant pays online through the
(sandbox) provider whose signed confirmation the platform checks."""

from __future__ import annotations

import pytest

from yiwang.cases import payments
from yiwang.cases.models import Case, Payment

pytestmark = pytest.mark.django_db


@pytest.fixture
def awaiting(flow):
    case = flow.drive(flow.submit(flow.item(fee=50)), "awaiting_payment")
    return case


def test_approval_with_a_fee_waits_for_payment_and_holds_the_result(flow, awaiting):
    body = flow.get("citizen", f"/api/v1/cases/{awaiting.number}").json()
    assert body["status"] == "awaiting_payment" and body["fee_amount"] == "50.00" and body["paid"] is False
    before = flow.snapshot(awaiting)
    for who in ("clerk", "reviewer"):
        r = flow.act(who, awaiting.number, "deliver")
        assert r.status_code == 409 and r.json()["code"] == "illegal_transition"
    assert flow.snapshot(awaiting) == before


def test_counter_payment_needs_a_clerk_and_a_reference(flow, awaiting):
    before = flow.snapshot(awaiting)
    r = flow.act("clerk", awaiting.number, "pay", provider="counter", reference="  ")
    assert r.status_code == 422 and r.json()["code"] == "payment_reference_required"
    assert "reference" in r.json()["fields"]
    r = flow.act("citizen", awaiting.number, "pay", provider="counter", reference="POS-1")
    assert r.status_code == 403
    assert flow.snapshot(awaiting) == before
    r = flow.act("clerk", awaiting.number, "pay", provider="counter", reference="POS 20261122-0042")
    assert r.status_code == 200 and r.json()["status"] == "approved" and r.json()["paid"] is True
    payment = Payment.objects.get(case=awaiting)
    assert (payment.provider, payment.amount, payment.reference, payment.status) == (
        "counter", 50, "POS 20261122-0042", "paid")
    r = flow.act("clerk", awaiting.number, "deliver", method="pickup")
    assert r.status_code == 200 and r.json()["status"] == "delivered"


def test_online_payment_is_confirmed_by_the_providers_signature(flow, awaiting):
    before = flow.snapshot(awaiting)
    forged = f"SBX-{awaiting.number}-{'0' * 24}"
    r = flow.act("citizen", awaiting.number, "pay", provider="sandbox", reference=forged)
    assert r.status_code == 422 and r.json()["code"] == "payment_not_confirmed"
    # a genuine confirmation for another case does not pay this one
    other = flow.drive(flow.submit(flow.item(fee=50)), "awaiting_payment")
    r = flow.act("citizen", awaiting.number, "pay", provider="sandbox", reference=payments.sandbox_reference(other))
    assert r.status_code == 422 and r.json()["code"] == "payment_not_confirmed"
    assert flow.snapshot(awaiting) == before
    r = flow.act("citizen", awaiting.number, "pay", provider="sandbox",
                 reference=payments.sandbox_reference(awaiting))
    assert r.status_code == 200 and r.json()["status"] == "approved"
    assert r.json()["timeline"][-1]["action"] == "pay"


def test_paying_twice_is_refused(flow, awaiting):
    ref = payments.sandbox_reference(awaiting)
    assert flow.act("citizen", awaiting.number, "pay", provider="sandbox", reference=ref).status_code == 200
    before = flow.snapshot(awaiting)
    r = flow.act("citizen", awaiting.number, "pay", provider="sandbox", reference=ref)
    assert r.status_code == 409 and r.json()["code"] == "already_paid"
    r = flow.act("clerk", awaiting.number, "pay", provider="counter", reference="POS-2")
    assert r.status_code == 409 and r.json()["code"] == "already_paid"
    assert flow.snapshot(awaiting) == before and Payment.objects.filter(case=awaiting).count() == 1


@pytest.mark.parametrize("state", ["submitted", "in_review", "rejected", "refused", "withdrawn"])
def test_no_payment_outside_awaiting_payment(flow, state):
    case = flow.drive(flow.submit(flow.item(fee=50)), state)
    before = flow.snapshot(case)
    r = flow.act("citizen", case.number, "pay")
    assert r.status_code == 409 and r.json()["code"] == "illegal_transition"
    assert flow.snapshot(case) == before and Case.objects.get(pk=case.pk).paid_at is None


def test_a_free_case_needs_no_payment(flow):
    case = flow.drive(flow.submit(flow.item()), "in_review+reviewed")
    assert flow.act("head", case.number, "approve").json()["status"] == "approved"
    r = flow.act("clerk", case.number, "pay", provider="counter", reference="POS-3")
    assert r.status_code == 409 and r.json()["code"] == "no_fee"


def test_unknown_provider(flow, awaiting):
    r = flow.act("citizen", awaiting.number, "pay", provider="bitcoin")
    assert r.status_code == 422 and r.json()["code"] == "payment_provider_unknown"


def _working_days_ago(n: int):
    from datetime import datetime, time, timedelta

    from django.utils import timezone

    from yiwang.core.workdays import working_days_between

    now = timezone.now()
    d = timezone.localtime(now).date()
    while working_days_between(datetime.combine(d, time(10), tzinfo=timezone.get_current_timezone()), now) < n:
        d -= timedelta(days=1)
    return datetime.combine(d, time(10), tzinfo=timezone.get_current_timezone())


def test_waiting_for_the_fee_stops_the_clock_and_payment_keeps_the_decisions_light(flow):
    """待缴费 is the applicant's turn: like a correction, the department's clock stops while the fee
    is unpaid; it does not run into yellow or red, the sweep leaves it alone, and the case keeps the
    light it had when it was decided."""
    from yiwang.cases.tasks import run_sweep
    from yiwang.core.workdays import add_working_days

    case = flow.drive(flow.submit(flow.item(fee=50, promised=3)), "in_review+reviewed")
    # accepted two working days ago: one working day is left when the head decides (yellow)
    accepted = _working_days_ago(2)
    Case.objects.filter(pk=case.pk).update(accepted_at=accepted, due_at=add_working_days(accepted, 3))
    assert flow.act("head", case.number, "approve").json()["status"] == "awaiting_payment"
    case.refresh_from_db()
    due = case.due_at
    assert case.clock_stopped_at == case.concluded_at and case.sla_light == "paused"
    for who in ("citizen", "reviewer"):
        body = flow.get(who, f"/api/v1/cases/{case.number}").json()
        assert (body["sla_light"], body["remaining_working_days"]) == ("paused", 1)
    # the applicant takes two weeks to pay: the deadline passes, but the clock is not running
    two_weeks = add_working_days(due, 10)
    assert run_sweep(now=two_weeks)["checked"] == 0
    assert Case.objects.get(pk=case.pk).sla_light == "paused"
    Case.objects.filter(pk=case.pk).update(clock_stopped_at=_working_days_ago(10))
    body = flow.get("citizen", f"/api/v1/cases/{case.number}").json()
    assert body["sla_light"] == "paused" and body["remaining_working_days"] >= 0  # never "overdue" while unpaid
    r = flow.act("citizen", case.number, "pay")
    assert r.status_code == 200 and r.json()["status"] == "approved"
    case.refresh_from_db()
    # decided in time (yellow): the case keeps that light and its deadline; the clock stays off
    assert case.clock_stopped_at is None and case.due_at == due and case.stopped_days == 0
    assert case.sla_light == "yellow" and r.json()["sla_light"] == "yellow"
    assert run_sweep(now=two_weeks)["checked"] == 0


def test_the_fee_page_says_the_clock_is_paused(flow):
    """The applicant's case page shows 暂停计时 while the fee is unpaid, not a running count-down."""
    from django.test import Client

    from yiwang.cases.tasks import run_sweep

    case = flow.drive(flow.submit(flow.item(fee=50)), "awaiting_payment")
    # decided five working days ago with two working days to spare; the deadline has passed since
    Case.objects.filter(pk=case.pk).update(clock_stopped_at=_working_days_ago(5), due_at=_working_days_ago(3))
    assert run_sweep()["checked"] == 0
    client = Client()
    client.force_login(flow.user("citizen"), backend="yiwang.accounts.backends.IdentityBackend")
    html = client.get(f"/cases/{case.number}/").content.decode()
    assert "暂停计时（剩余 2 个工作日）" in html and "超期" not in html
