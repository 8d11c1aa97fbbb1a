"""The three process templates walked end to end through the API: 即办件 (immediate: accepted, then
one reviewer concludes it), 承诺件 (promised: a reviewer reviews, the head decides) and 并联审批
(parallel: every department reviews its own task at once; the decision waits for all of them)."""

from __future__ import annotations

import pytest

from yiwang.cases.models import Case, CaseTask, ProcessBinding, TaskStatus

pytestmark = pytest.mark.django_db


def _steps(flow, case):
    return [(t.step, t.department.code, t.role) for t in flow.open_tasks(case)]


# -- 即办件 ------------------------------------------------------------------------------------------
def test_immediate_case_is_concluded_by_a_reviewer_right_after_acceptance(flow):
    item = flow.item(case_type="1", promised=0, name="个体工商户名称变更备案")
    case = flow.submit(item)
    assert flow.act("clerk", case.number, "accept").json()["status"] == "in_review"
    assert _steps(flow, case) == [("decide", "YX-SCJG", "reviewer")]
    # there is no separate review step: the reviewer is told to decide
    r = flow.act("reviewer", case.number, "review")
    assert r.status_code == 409 and r.json()["code"] == "use_decision_action"
    r = flow.act("reviewer", case.number, "approve", opinion="")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["status"] == "approved"
    assert body["result"]["decision"] == "符合法定条件，准予许可。"  # the default opinion for an approval
    assert [e["action"] for e in body["timeline"]] == ["submit", "accept", "approve"]
    assert flow.open_tasks(case) == []
    assert Case.objects.get(pk=case.pk).process_model.key == "immediate"


def test_immediate_case_reject_needs_a_reason_and_loses_nothing(flow):
    case = flow.submit(flow.item(case_type="1", promised=0))
    flow.do("clerk", case.number, "accept")
    before = flow.snapshot(case)
    r = flow.act("reviewer", case.number, "reject", opinion="   ")
    assert r.status_code == 422 and r.json()["code"] == "opinion_required"
    assert "opinion" in r.json()["fields"]
    assert flow.snapshot(case) == before
    r = flow.act("reviewer", case.number, "reject", opinion="经营场所不符合要求")
    assert r.json()["status"] == "rejected" and r.json()["result"]["decision"] == "经营场所不符合要求"


# -- 承诺件 ------------------------------------------------------------------------------------------
def test_promised_case_review_then_the_head_decides(flow):
    case = flow.submit(flow.item())
    flow.act("clerk", case.number, "accept")
    assert _steps(flow, case) == [("review", "YX-SCJG", "reviewer")]
    # the head cannot skip the review
    r = flow.act("head", case.number, "approve")
    assert r.status_code == 409 and r.json()["code"] == "no_such_task"
    assert flow.act("reviewer", case.number, "review").status_code == 200
    assert _steps(flow, case) == [("decide", "YX-SCJG", "dept_head")]
    # the decision is the head's lane: a reviewer is refused with a reason
    r = flow.act("reviewer", case.number, "approve")
    assert r.status_code == 403 and r.json()["code"] == "task_not_yours"
    r = flow.act("head", case.number, "approve")
    assert r.status_code == 200 and r.json()["status"] == "approved"
    tasks = CaseTask.objects.filter(case=case).order_by("id")
    assert [(t.step, t.status, t.completed_by.username) for t in tasks] == [
        ("review", "done", "reviewer"), ("decide", "done", "head")]


def test_review_by_a_head_counts_and_a_second_review_is_refused(flow):
    case = flow.submit(flow.item())
    flow.do("clerk", case.number, "accept")
    assert flow.act("head", case.number, "review", opinion="负责人直接审查").status_code == 200
    r = flow.act("head", case.number, "review", opinion="再审一次")
    assert r.status_code == 409 and r.json()["code"] == "use_decision_action"


def test_stale_expected_version_is_refused(flow):
    case = flow.submit(flow.item())
    seen = flow.get("reviewer", f"/api/v1/cases/{case.number}").json()["lock_version"]
    flow.do("clerk", case.number, "accept")  # someone else moved the case meanwhile
    before = flow.snapshot(case)
    r = flow.act("reviewer", case.number, "request_correction", expected_version=seen)
    assert r.status_code == 409 and r.json()["code"] == "stale_version"
    assert flow.snapshot(case) == before


def test_unknown_action_is_a_clear_422(flow):
    case = flow.submit(flow.item())
    r = flow.act("reviewer", case.number, "approve_everything")
    assert r.status_code == 422 and r.json()["code"] == "unknown_action"
    assert "accept" in r.json()["fields"]["action"][0]


# -- 并联审批 ----------------------------------------------------------------------------------------
@pytest.fixture
def parallel_case(flow):
    item = flow.item(name="大型餐饮场所设立")
    ProcessBinding.objects.create(item_code=item.code, process_key="parallel", departments=[flow.other_dept.code])
    case = flow.submit(item)
    r = flow.act("clerk", case.number, "accept")
    assert r.status_code == 200, r.content
    return case


def test_parallel_review_gives_each_department_its_own_task(flow, parallel_case):
    case = parallel_case
    assert sorted(_steps(flow, case)) == [("joint_review", "YX-MZ", "reviewer"),
                                          ("joint_review", "YX-SCJG", "reviewer")]
    assert Case.objects.get(pk=case.pk).review_departments == ["YX-SCJG", "YX-MZ"]
    # each department finds its task in its own inbox
    mine = flow.get("reviewer", "/api/v1/inbox").json()
    theirs = flow.get("other_reviewer", "/api/v1/inbox").json()
    assert [(t["case_number"], t["department"]) for t in mine] == [(case.number, "云溪区市场监督管理局")]
    assert [(t["case_number"], t["department"]) for t in theirs] == [(case.number, "云溪区民政局")]
    # the co-reviewing department can open the case it reviews
    assert flow.get("other_reviewer", f"/api/v1/cases/{case.number}").status_code == 200


def test_parallel_decision_waits_for_every_department(flow, parallel_case):
    case = parallel_case
    lead_task = next(t for t in flow.open_tasks(case) if t.department_id == flow.dept.pk)

    r = flow.act("head", case.number, "approve")
    assert r.status_code == 409 and r.json()["code"] == "no_such_task"

    # the other department cannot review the lead department's task
    before = flow.snapshot(case)
    r = flow.act("other_reviewer", case.number, "review", task_id=lead_task.pk)
    assert r.status_code == 403 and r.json()["code"] == "task_not_yours"
    assert flow.snapshot(case) == before

    assert flow.act("reviewer", case.number, "review", opinion="市场监管：符合条件").status_code == 200
    # one review is not the join: still no decision, and the lead cannot review twice
    r = flow.act("head", case.number, "approve")
    assert r.status_code == 409 and r.json()["code"] == "no_such_task"
    r = flow.act("reviewer", case.number, "review", opinion="再审")
    assert r.status_code == 403 and r.json()["code"] == "task_not_yours"
    assert _steps(flow, case) == [("joint_review", "YX-MZ", "reviewer")]

    assert flow.act("other_reviewer", case.number, "review", opinion="民政：无异议").status_code == 200
    assert _steps(flow, case) == [("decide", "YX-SCJG", "dept_head")]

    # the decision belongs to the lead department's head, not the other department's
    r = flow.act("other_head", case.number, "approve")
    assert r.status_code == 403 and r.json()["code"] == "task_not_yours"
    r = flow.act("head", case.number, "approve")
    assert r.status_code == 200 and r.json()["status"] == "approved"
    opinions = {(e["department"], e["opinion"]) for e in r.json()["timeline"] if e["action"] == "review"}
    assert opinions == {("云溪区市场监督管理局", "市场监管：符合条件"), ("云溪区民政局", "民政：无异议")}


def test_parallel_review_in_either_order_and_rejection(flow, parallel_case):
    case = parallel_case
    assert flow.act("other_reviewer", case.number, "review", opinion="民政：不同意").status_code == 200
    assert flow.act("reviewer", case.number, "review", opinion="市场监管：同意").status_code == 200
    r = flow.act("head", case.number, "reject", opinion="民政部门审查不同意")
    assert r.status_code == 200 and r.json()["status"] == "rejected"
    assert not CaseTask.objects.filter(case=case, status__in=[TaskStatus.OPEN, TaskStatus.CLAIMED]).exists()


def test_withdrawal_cancels_every_departments_open_task(flow, parallel_case):
    case = parallel_case
    flow.act("reviewer", case.number, "review")
    r = flow.act("citizen", case.number, "withdraw")
    assert r.status_code == 200 and r.json()["status"] == "withdrawn"
    assert flow.open_tasks(case) == []
    assert flow.get("other_reviewer", "/api/v1/inbox").json() == []


def test_binding_to_a_missing_process_is_a_clear_conflict(flow):
    item = flow.item()
    ProcessBinding.objects.create(item_code=item.code, process_key="no-such-process")
    case = flow.submit(item)
    before = flow.snapshot(case)
    r = flow.act("clerk", case.number, "accept")
    assert r.status_code == 409 and r.json()["code"] == "process_missing"
    assert flow.snapshot(case) == before


@pytest.mark.django_db(transaction=True)
def test_parallel_reviews_at_the_same_moment_both_count(flow):
    """Both departments submit their review at once: the case row lock makes one wait for the
    other, so neither completion is lost and the join opens the decision exactly once."""
    from django.test import Client

    from .flows import in_threads

    item = flow.item(name="大型餐饮场所设立")
    ProcessBinding.objects.create(item_code=item.code, process_key="parallel", departments=[flow.other_dept.code])
    case = flow.submit(item)
    flow.do("clerk", case.number, "accept")
    people = ["reviewer", "other_reviewer"]
    headers = [flow.headers(who) for who in people]

    def review(i):
        r = Client().post(f"/api/v1/cases/{case.number}/actions", {"action": "review", "opinion": f"{people[i]} 同意"},
                          content_type="application/json", headers=headers[i])
        return r.status_code, r.json()

    results = in_threads(2, review)
    assert [code for code, _ in results] == [200, 200], results
    assert _steps(flow, case) == [("decide", "YX-SCJG", "dept_head")]
    assert CaseTask.objects.filter(case=case, step="joint_review", status="done").count() == 2
    assert CaseTask.objects.filter(case=case, step="decide").count() == 1
    assert flow.act("head", case.number, "approve").json()["status"] == "approved"
