"""The details of the actions a real case needs, beyond which state allows which move
(test_transition_matrix.py): what each move asks for (a reason, a kind, a tracking number, a
department) and what it leaves behind; the number a submission gets; the public API contract."""

from __future__ import annotations

import pytest
from django.utils import timezone

from yiwang.cases.models import Case, CaseTask, SuspensionKind, TaskStatus

pytestmark = pytest.mark.django_db


# -- the case number ---------------------------------------------------------------------------
def test_the_number_encodes_the_division_and_the_day_and_counts_up(flow):
    """<division of the implementing department, 6><yyyymmdd><sequence of the day, 6>."""
    first = flow.post("citizen", "/api/v1/cases", {"item_code": flow.item().code, "form": {"shop_name": "店"},
                                                   "materials": [{"key": "application_form", "upload": flow.upload()}]},
                      headers={"Idempotency-Key": "n-1"}).json()["number"]
    second = flow.submit(flow.item(flow.other_dept)).number
    today = timezone.localtime().strftime("%Y%m%d")
    assert flow.dept.division_id == "329002"
    assert first == f"329002{today}000001" and second == f"329002{today}000002"


# -- refuse, reject: a reason ------------------------------------------------------------------
@pytest.mark.parametrize(("state", "who", "action", "says"), [
    ("submitted", "clerk", "refuse", "不予受理必须说明理由"),
    ("in_review+reviewed", "head", "reject", "不予许可必须说明理由和法律依据"),
    ("in_review", "reviewer", "suspend", "启动特别程序必须说明理由"),
    ("in_review", "reviewer", "review", "请填写审查意见"),
    ("in_review", "reviewer", "transfer", "移交必须说明理由"),
])
def test_moves_that_need_a_reason_refuse_a_blank_one(flow, state, who, action, says):
    case = flow.drive(flow.submit(flow.item()), state)
    before = flow.snapshot(case)
    r = flow.act(who, case.number, action, opinion="   ")
    assert r.status_code == 422 and r.json()["code"] == "opinion_required"
    assert says in r.json()["message"] and r.json()["fields"]["opinion"]
    assert flow.snapshot(case) == before


def test_the_refusal_reason_is_the_applicants_to_read(flow):
    case = flow.submit(flow.item())
    flow.act("clerk", case.number, "refuse", opinion="申请事项依法不需要取得行政许可")
    body = flow.get("citizen", f"/api/v1/cases/{case.number}").json()
    assert body["status"] == "refused" and body["result"]["decision"] == "申请事项依法不需要取得行政许可"
    assert body["timeline"][-1]["opinion"] == "申请事项依法不需要取得行政许可"


# -- suspension: which special procedure -------------------------------------------------------
@pytest.mark.parametrize("kind", SuspensionKind.values)
def test_every_special_procedure_can_be_started_and_ended(flow, kind):
    case = flow.drive(flow.submit(flow.item()), "in_review")
    r = flow.act("reviewer", case.number, "suspend", kind=kind)
    assert r.status_code == 200 and r.json()["status"] == "suspended" and r.json()["sla_light"] == "paused"
    assert Case.objects.get(pk=case.pk).suspension_kind == kind
    r = flow.act("reviewer", case.number, "resume")
    assert r.status_code == 200 and r.json()["status"] == "in_review"


@pytest.mark.parametrize("kind", ["", "holiday", "HEARING"])
def test_an_unknown_special_procedure_is_refused(flow, kind):
    case = flow.drive(flow.submit(flow.item()), "in_review")
    before = flow.snapshot(case)
    r = flow.act("reviewer", case.number, "suspend", kind=kind)
    assert r.status_code == 422 and r.json()["code"] == "suspension_kind_invalid" and r.json()["fields"]["kind"]
    assert flow.snapshot(case) == before


# -- transfer: the case and its open work move to the right department --------------------------
def test_a_transfer_moves_the_open_task_to_the_other_departments_inbox(flow):
    case = flow.drive(flow.submit(flow.item()), "in_review")
    (task,) = flow.open_tasks(case)
    flow.post("reviewer", f"/api/v1/inbox/{task.pk}", {"action": "claim"})
    r = flow.act("reviewer", case.number, "transfer")
    assert r.status_code == 200 and r.json()["department"] == "云溪区民政局"
    task = CaseTask.objects.get(pk=task.pk)
    assert (task.department, task.status, task.claimed_by) == (flow.other_dept, TaskStatus.OPEN, None)
    assert flow.get("reviewer", "/api/v1/inbox").json() == []
    assert flow.get("reviewer", f"/api/v1/cases/{case.number}").status_code == 404  # no longer theirs
    assert [t["case_number"] for t in flow.get("other_reviewer", "/api/v1/inbox").json()] == [case.number]
    assert flow.act("other_reviewer", case.number, "review").status_code == 200
    assert flow.act("other_head", case.number, "approve").json()["status"] == "approved"


@pytest.mark.parametrize(("department", "code"), [("NO-SUCH", "department_not_found"), ("YX-SCJG", "same_department")])
def test_a_transfer_to_nowhere_or_to_itself_is_refused(flow, department, code):
    case = flow.drive(flow.submit(flow.item()), "in_review")
    before = flow.snapshot(case)
    r = flow.act("reviewer", case.number, "transfer", department=department)
    assert r.json()["code"] == code and r.status_code in (409, 422)
    assert flow.snapshot(case) == before


# -- delivery: counter pickup, post with a tracking number, or download ------------------------
@pytest.mark.parametrize(("payload", "shown"), [
    ({"method": "pickup"}, {"delivery_method": "pickup", "tracking_number": ""}),
    ({"method": "post", "tracking_number": "EMS1234567890CN", "address": "望江路 8 号"},
     {"delivery_method": "post", "tracking_number": "EMS1234567890CN"}),
    ({"method": "download"}, {"delivery_method": "download", "tracking_number": ""}),
])
def test_the_result_is_delivered_and_the_applicant_sees_how(flow, payload, shown):
    case = flow.drive(flow.submit(flow.item()), "in_review+reviewed")
    flow.act("head", case.number, "approve")
    r = flow.act("clerk", case.number, "deliver", **payload)
    assert r.status_code == 200 and r.json()["status"] == "delivered"
    result = flow.get("citizen", f"/api/v1/cases/{case.number}").json()["result"]
    assert {k: result[k] for k in shown} == shown and result["delivered_at"]


@pytest.mark.parametrize(("payload", "code"), [
    ({"method": "post"}, "tracking_number_required"),
    ({"method": "post", "tracking_number": "  "}, "tracking_number_required"),
    ({"method": "carrier_pigeon"}, "delivery_method_invalid"),
    ({"method": ""}, "delivery_method_invalid"),
])
def test_a_delivery_without_what_it_needs_is_refused(flow, payload, code):
    case = flow.drive(flow.submit(flow.item()), "in_review+reviewed")
    flow.act("head", case.number, "approve")
    before = flow.snapshot(case)
    r = flow.act("clerk", case.number, "deliver", **payload)
    assert r.status_code == 422 and r.json()["code"] == code
    assert flow.snapshot(case) == before


def test_an_applicant_cannot_deliver_to_themselves(flow):
    case = flow.drive(flow.submit(flow.item()), "in_review+reviewed")
    flow.act("head", case.number, "approve")
    r = flow.act("citizen", case.number, "deliver")
    assert r.status_code == 403 and Case.objects.get(pk=case.pk).status == "approved"


# -- the public contract (DESIGN.md section 6) -------------------------------------------------
def test_the_case_endpoints_are_in_the_openapi_schema(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert "post" in paths["/api/v1/cases"]
    assert "get" in paths["/api/v1/cases/{number}"]
    assert "post" in paths["/api/v1/cases/{number}/actions"]
    assert "get" in paths["/api/v1/inbox"]
    params = {p["name"].lower() for p in paths["/api/v1/cases"]["post"].get("parameters", [])}
    summary = paths["/api/v1/cases"]["post"]["summary"]
    assert "idempotency-key" in params or "Idempotency-Key" in summary
