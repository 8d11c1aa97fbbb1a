"""Who may do what to a case, over the API: applicants act on their own cases only, departments on
theirs, the front desk (一窗受理) accepts for every department, decisions need the lane's role, and
whatever is out of someone's scope is not even visible (404, not a hint that it exists)."""

from __future__ import annotations

import pytest

from yiwang.cases.models import Case

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("state", "action", "staff"), [
    ("correction", "resubmit", "reviewer"),
    ("correction", "resubmit", "clerk"),
    ("submitted", "withdraw", "reviewer"),
    ("in_review", "withdraw", "head"),
    ("awaiting_payment", "pay", "head"),
])
def test_applicant_only_actions_are_forbidden_to_staff(flow, state, action, staff):
    case = flow.drive(flow.submit(flow.item(fee=50)), state)
    before = flow.snapshot(case)
    r = flow.act(staff, case.number, action)
    assert r.status_code == 403, r.content
    assert r.json()["code"] in ("applicant_only", "action_forbidden")
    assert flow.snapshot(case) == before


def test_staff_cannot_submit_for_themselves(flow):
    item = flow.item()
    r = flow.post("reviewer", "/api/v1/cases", {"item_code": item.code, "form": {"shop_name": "店"}},
                  headers={"Idempotency-Key": "staff-1"})
    assert r.status_code == 403 and r.json()["code"] == "applicant_only"
    assert not Case.objects.exists()


@pytest.mark.parametrize("action", ["accept", "refuse", "request_correction", "transfer"])
def test_another_departments_staff_cannot_see_or_touch_the_case(flow, action):
    case = flow.submit(flow.item())
    before = flow.snapshot(case)
    assert flow.get("other_reviewer", f"/api/v1/cases/{case.number}").status_code == 404
    r = flow.act("other_reviewer", case.number, action)
    assert r.status_code == 404 and r.json()["code"] == "case_not_found"
    assert flow.snapshot(case) == before


def test_another_departments_head_cannot_decide(flow):
    case = flow.drive(flow.submit(flow.item()), "in_review+reviewed")
    before = flow.snapshot(case)
    assert flow.act("other_head", case.number, "approve").status_code == 404
    assert flow.snapshot(case) == before


def test_citizens_see_only_their_own_cases(flow):
    case = flow.submit(flow.item())
    assert flow.get("citizen", f"/api/v1/cases/{case.number}").status_code == 200
    r = flow.get("citizen_b", f"/api/v1/cases/{case.number}")
    assert r.status_code == 404 and r.json()["code"] == "case_not_found"
    before = flow.snapshot(case)
    assert flow.act("citizen_b", case.number, "withdraw").status_code == 404
    assert flow.snapshot(case) == before
    # nobody at all: 401
    assert flow.get(None, f"/api/v1/cases/{case.number}").status_code == 401
    assert flow.act(None, case.number, "withdraw").status_code == 401


def test_applicants_do_not_see_staff_working_details(flow):
    case = flow.drive(flow.submit(flow.item()), "in_review+reviewed")
    mine = flow.get("citizen", f"/api/v1/cases/{case.number}").json()
    staff = flow.get("reviewer", f"/api/v1/cases/{case.number}").json()
    assert mine["open_tasks"] == [] and [t["step"] for t in staff["open_tasks"]] == ["decide"]
    # the applicant sees who handled the case as an office, staff see the person
    seen = {e["action"]: e["actor"] for e in mine["timeline"]}
    assert seen == {"submit": "王芳", "accept": "综合窗口", "review": "云溪区市场监督管理局"}
    staff_seen = {e["action"]: e["actor"] for e in staff["timeline"]}
    assert staff_seen == {"submit": "王芳", "accept": "窗口受理员小周", "review": "审批员陈静"}


def test_enterprise_cases_belong_to_the_enterprise(flow):
    from yiwang.accounts.services import issue_token

    case = flow.submit(flow.item(), who="agent")
    assert Case.objects.get(pk=case.pk).applicant_name == "云溪示范科技有限公司"
    # a colleague authorised for the same enterprise sees it
    r = flow.get("agent2", f"/api/v1/cases/{case.number}")
    assert r.status_code == 200 and r.json()["applicant"] == "云溪示范科技有限公司"
    # the same person logged in as a private citizen does not, nor does another enterprise
    private = issue_token(flow.user("agent"))[0]
    r = flow.client.get(f"/api/v1/cases/{case.number}", headers={"Authorization": f"Bearer {private}"})
    assert r.status_code == 404
    assert flow.get("other_agent", f"/api/v1/cases/{case.number}").status_code == 404
    # the colleague may withdraw it for the enterprise
    r = flow.act("agent2", case.number, "withdraw")
    assert r.status_code == 200 and r.json()["status"] == "withdrawn"


def test_a_clerk_accepts_any_departments_case_at_the_front_desk(flow):
    ours = flow.submit(flow.item())
    theirs = flow.submit(flow.item(flow.other_dept, name="婚姻登记"))
    for case in (ours, theirs):
        r = flow.act("clerk", case.number, "accept")
        assert r.status_code == 200 and r.json()["status"] == "in_review"
        assert Case.objects.get(pk=case.pk).place_id == flow.org["centre"].pk
    # a community station's clerk, too
    third = flow.submit(flow.item(flow.other_dept))
    assert flow.act("station_clerk", third.number, "accept").status_code == 200
    # but the back office is the department's: no review, suspension or decision at the counter
    for action in ("review", "suspend", "approve"):
        r = flow.act("clerk", ours.number, action)
        assert r.status_code == 403, (action, r.content)


def test_a_department_reviewer_cannot_accept_another_departments_case(flow):
    theirs = flow.submit(flow.item(flow.other_dept))
    assert flow.act("reviewer", theirs.number, "accept").status_code == 404
    assert flow.act("other_reviewer", theirs.number, "accept").status_code == 200


def test_decisions_need_the_lanes_role(flow):
    case = flow.drive(flow.submit(flow.item()), "in_review+reviewed")
    for who in ("reviewer", "reviewer2"):
        r = flow.act(who, case.number, "approve")
        assert r.status_code == 403 and r.json()["code"] == "task_not_yours"
    assert flow.act("head", case.number, "approve").json()["status"] == "approved"


def test_supervisors_read_but_do_not_act(flow):
    case = flow.submit(flow.item())
    assert flow.get("supervisor", f"/api/v1/cases/{case.number}").status_code == 200
    before = flow.snapshot(case)
    assert flow.act("supervisor", case.number, "accept").status_code == 403
    assert flow.snapshot(case) == before
