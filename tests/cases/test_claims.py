"""The department inbox: claiming, releasing and reassigning tasks (GET /api/v1/inbox,
POST /api/v1/inbox/{task_id}). Two reviewers claiming one task at once: one wins, the other is told
who has it."""

from __future__ import annotations

import pytest
from django.test import Client

from yiwang.cases.models import CaseTask, TaskStatus

from .flows import in_threads


def _task(flow, case):
    (task,) = flow.open_tasks(case)
    return task


def _claim(flow, who, task, action="claim", **extra):
    return flow.post(who, f"/api/v1/inbox/{task.pk}", {"action": action, **extra})


@pytest.mark.django_db
def test_second_claimer_is_told_who_has_the_task(flow):
    case = flow.drive(flow.submit(flow.item()), "in_review")
    task = _task(flow, case)
    r = _claim(flow, "reviewer", task)
    assert r.status_code == 200 and r.json()["claimed_by"] == "审批员陈静" and r.json()["status"] == "claimed"
    assert _claim(flow, "reviewer", task).status_code == 200  # claiming again is harmless
    r = _claim(flow, "reviewer2", task)
    assert r.status_code == 409 and r.json()["code"] == "task_already_claimed"
    assert "审批员陈静" in r.json()["message"]
    # and the other reviewer cannot work on it either
    r = flow.act("reviewer2", case.number, "review")
    assert r.status_code == 409 and r.json()["code"] == "task_claimed_by_other"
    assert "审批员陈静" in r.json()["message"]
    assert flow.act("reviewer", case.number, "review").status_code == 200


@pytest.mark.django_db
def test_release_puts_the_task_back_in_the_pool(flow):
    case = flow.drive(flow.submit(flow.item()), "in_review")
    task = _task(flow, case)
    _claim(flow, "reviewer", task)
    r = _claim(flow, "reviewer2", task, action="release")
    assert r.status_code == 403  # only the holder (or the head) releases
    r = _claim(flow, "reviewer", task, action="release")
    assert r.status_code == 200 and r.json()["status"] == "open" and r.json()["claimed_by"] is None
    r = _claim(flow, "reviewer", task, action="release")
    assert r.status_code == 409 and r.json()["code"] == "task_not_claimed"
    assert _claim(flow, "reviewer2", task).json()["claimed_by"] == "审批员刘洋"


@pytest.mark.django_db
def test_a_finished_task_cannot_be_claimed(flow):
    case = flow.drive(flow.submit(flow.item()), "in_review")
    task = _task(flow, case)
    _claim(flow, "reviewer", task)
    flow.act("reviewer", case.number, "review")
    for who in ("reviewer", "reviewer2"):
        r = _claim(flow, who, task)
        assert r.status_code == 409 and r.json()["code"] == "task_closed", who
    assert CaseTask.objects.get(pk=task.pk).status == TaskStatus.DONE


@pytest.mark.django_db
def test_the_head_sees_and_reassigns_the_departments_tasks(flow):
    review_case = flow.drive(flow.submit(flow.item()), "in_review")
    decide_case = flow.drive(flow.submit(flow.item()), "in_review+reviewed")
    review_task, decide_task = _task(flow, review_case), _task(flow, decide_case)
    _claim(flow, "reviewer", review_task)

    head_inbox = {t["id"]: t for t in flow.get("head", "/api/v1/inbox").json()}
    assert set(head_inbox) == {review_task.pk, decide_task.pk}
    assert head_inbox[review_task.pk]["claimed_by"] == "审批员陈静"
    # a reviewer's inbox holds the reviewer's role only
    assert [t["id"] for t in flow.get("reviewer2", "/api/v1/inbox").json()] == [review_task.pk]

    r = _claim(flow, "head", review_task, action="reassign", username="reviewer2")
    assert r.status_code == 200 and r.json()["claimed_by"] == "审批员刘洋"
    assert flow.act("reviewer2", review_case.number, "review").status_code == 200

    # outside the department, or without the task's role: refused, nothing changes
    r = _claim(flow, "head", decide_task, action="reassign", username="other_reviewer")
    assert r.status_code == 422 and r.json()["code"] == "assignee_invalid" and "username" in r.json()["fields"]
    r = _claim(flow, "head", decide_task, action="reassign", username="reviewer2")  # a reviewer can't decide
    assert r.status_code == 422 and r.json()["code"] == "assignee_invalid"
    r = _claim(flow, "head", decide_task, action="reassign", username="nobody")
    assert r.status_code == 422
    assert CaseTask.objects.get(pk=decide_task.pk).claimed_by_id is None
    # only a head reassigns
    r = _claim(flow, "reviewer", decide_task, action="reassign", username="reviewer2")
    assert r.status_code == 403


@pytest.mark.django_db
def test_inbox_is_scoped_to_the_department_and_sorted_by_deadline(flow):
    slow = flow.drive(flow.submit(flow.item(promised=20)), "in_review")
    fast = flow.drive(flow.submit(flow.item(promised=3)), "in_review")
    middle = flow.drive(flow.submit(flow.item(promised=8)), "in_review")
    inbox = flow.get("reviewer", "/api/v1/inbox").json()
    assert [t["case_number"] for t in inbox] == [fast.number, middle.number, slow.number]
    dues = [t["due_at"] for t in inbox]
    assert dues == sorted(dues)
    assert {t["sla_light"] for t in inbox} == {"green"}
    # another department sees none of it and cannot touch it
    assert flow.get("other_reviewer", "/api/v1/inbox").json() == []
    task = _task(flow, fast)
    r = _claim(flow, "other_reviewer", task)
    assert r.status_code == 404 and r.json()["code"] == "task_not_found"
    r = _claim(flow, "other_head", task, action="reassign", username="other_reviewer")
    assert r.status_code == 404
    # the counter and applicants have no inbox
    assert flow.get("clerk", "/api/v1/inbox").json() == []
    assert flow.get("citizen", "/api/v1/inbox").json() == []
    assert flow.get(None, "/api/v1/inbox").status_code == 401


@pytest.mark.django_db
def test_unknown_inbox_action(flow):
    case = flow.drive(flow.submit(flow.item()), "in_review")
    r = _claim(flow, "reviewer", _task(flow, case), action="steal")
    assert r.status_code == 422 and r.json()["code"] == "unknown_action"


@pytest.mark.django_db(transaction=True)
def test_two_reviewers_claiming_at_once_one_wins(flow):
    case = flow.drive(flow.submit(flow.item()), "in_review")
    task = _task(flow, case)
    people = ["reviewer", "reviewer2"]
    headers = [flow.headers(who) for who in people]
    names = {"reviewer": "审批员陈静", "reviewer2": "审批员刘洋"}

    def claim(i):
        r = Client().post(f"/api/v1/inbox/{task.pk}", {"action": "claim"}, content_type="application/json",
                          headers=headers[i])
        return r.status_code, r.json()

    for _round in range(3):
        results = in_threads(2, claim)
        codes = sorted(code for code, _ in results)
        assert codes == [200, 409], results
        winner = people[[code for code, _ in results].index(200)]
        loser_body = next(body for code, body in results if code == 409)
        assert loser_body["code"] == "task_already_claimed" and names[winner] in loser_body["message"]
        assert CaseTask.objects.get(pk=task.pk).claimed_by.username == winner
        CaseTask.objects.filter(pk=task.pk).update(status=TaskStatus.OPEN, claimed_by=None, claimed_at=None)
