"""一件事 bundles: one application, one form and one set of materials fan out to one child case per
item, each in its own department; the bundle concludes when every part has."""

from __future__ import annotations

import pytest

from yiwang.cases.models import Case, CaseTask, TaskStatus
from yiwang.core.workdays import add_working_days

pytestmark = pytest.mark.django_db

FOOD_FORM = {"type": "object", "properties": {
    "shop_name": {"type": "string", "title": "店铺名称"},
    "address": {"type": "string", "title": "经营场所"},
}, "required": ["shop_name"]}
LICENCE_FORM = {"type": "object", "properties": {
    "shop_name": {"type": "string", "title": "字号名称"},
    "capital": {"type": "number", "title": "资金数额（万元）"},
}, "required": ["shop_name", "capital"]}
SIGN_FORM = {"type": "object", "properties": {
    "sign_text": {"type": "string", "title": "招牌文字"},
}, "required": ["sign_text"]}

BUNDLE_FORM = {"shop_name": "望江小吃", "address": "望江路 8 号", "capital": 10, "sign_text": "望江小吃"}


@pytest.fixture
def bundle(flow):
    from yiwang.catalog.models import Bundle, BundleItem

    food = flow.item(name="食品经营许可", schema=FOOD_FORM, promised=10)
    licence = flow.item(flow.other_dept, name="个体工商户设立登记", schema=LICENCE_FORM, promised=3,
                        materials=[("application_form", "申请书", True, "applicant"),
                                   ("premises_proof", "经营场所使用证明", True, "applicant")])
    sign = flow.item(name="户外招牌设置", schema=SIGN_FORM, promised=5, materials=[])
    b = Bundle.objects.create(code="YJS-CYD", name="开办餐饮店", life_event="startup", department=flow.dept,
                              status="published")
    for order, item in enumerate((licence, food, sign)):
        BundleItem.objects.create(bundle=b, item=item, order=order)
    b.items = {"licence": licence, "food": food, "sign": sign}
    return b


def _submit(flow, bundle, form=None, materials=None, key="b-1"):
    if materials is None:
        materials = [{"key": "application_form", "upload": flow.upload()},
                     {"key": "premises_proof", "upload": flow.upload(key="premises_proof")}]
    return flow.post("citizen", "/api/v1/cases", {"bundle_code": bundle.code, "form": form or BUNDLE_FORM,
                                                   "materials": materials}, headers={"Idempotency-Key": key})


def _children(parent):
    return {c.item_code: c for c in Case.objects.filter(parent=parent).select_related("department")}


def _submitted(flow, bundle):
    r = _submit(flow, bundle)
    assert r.status_code == 201, r.content
    return Case.objects.get(number=r.json()["number"])


def test_submission_fans_out_one_child_per_item(flow, bundle):
    r = _submit(flow, bundle)
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["bundle_code"] == "YJS-CYD" and body["status"] == "submitted"
    assert [c["title"] for c in body["children"]] == ["个体工商户设立登记", "食品经营许可", "户外招牌设置"]
    assert [c["department"] for c in body["children"]] == ["云溪区民政局", "云溪区市场监督管理局", "云溪区市场监督管理局"]
    parent = Case.objects.get(number=body["number"])
    kids = _children(parent)
    items = bundle.items
    # each child carries the part of the one form its item asks for
    assert kids[items["licence"].code].form_data == {"shop_name": "望江小吃", "capital": 10}
    assert kids[items["food"].code].form_data == {"shop_name": "望江小吃", "address": "望江路 8 号"}
    assert kids[items["sign"].code].form_data == {"sign_text": "望江小吃"}
    assert {c.status for c in kids.values()} == {"submitted"}
    assert {c.bundle_code for c in kids.values()} == {"YJS-CYD"}
    # the materials are handed in once, on the bundle
    assert sorted(parent.materials.values_list("material_key", flat=True)) == ["application_form", "premises_proof"]
    # the parallel departments see their own part
    theirs = flow.get("other_reviewer", f"/api/v1/cases/{kids[items['licence'].code].number}")
    assert theirs.status_code == 200


def test_the_bundle_form_and_materials_are_checked_as_one(flow, bundle):
    r = _submit(flow, bundle, form={"shop_name": "望江小吃"},
                materials=[{"key": "application_form", "upload": flow.upload()}])
    assert r.status_code == 422 and r.json()["code"] == "form_invalid"
    assert set(r.json()["fields"]) == {"form.capital", "form.sign_text"}
    r = _submit(flow, bundle, materials=[{"key": "application_form", "upload": flow.upload()}], key="b-2")
    assert r.status_code == 422 and r.json()["code"] == "materials_missing"
    assert set(r.json()["fields"]) == {"materials.premises_proof"}
    assert not Case.objects.exists()


def test_accepting_the_bundle_accepts_every_part(flow, bundle):
    parent = _submitted(flow, bundle)
    r = flow.act("clerk", parent.number, "accept")
    assert r.status_code == 200 and r.json()["status"] == "in_review"
    parent.refresh_from_db()
    kids = _children(parent)
    assert {c.status for c in kids.values()} == {"in_review"}
    for child in kids.values():
        assert child.due_at == add_working_days(child.accepted_at, child.promised_days)
        (task,) = flow.open_tasks(child)
        assert task.department_id == child.department_id and task.step == "review"
    # the bundle itself has a deadline: the slowest part's promise
    assert parent.promised_days == 10 and parent.due_at == add_working_days(parent.accepted_at, 10)
    assert r.json()["due_at"] is not None
    # each department finds its part in its inbox; the bundle itself is nobody's task
    assert [t["case_number"] for t in flow.get("other_reviewer", "/api/v1/inbox").json()] == [
        kids[bundle.items["licence"].code].number]
    assert len(flow.get("reviewer", "/api/v1/inbox").json()) == 2
    assert not CaseTask.objects.filter(case=parent).exists()


def _decide(flow, child, approve=True):
    reviewer, head = ("other_reviewer", "other_head") if child.department_id == flow.other_dept.pk else (
        "reviewer", "head")
    assert flow.act(reviewer, child.number, "review").status_code == 200
    r = flow.act(head, child.number, "approve" if approve else "reject")
    assert r.status_code == 200, r.content


def test_the_bundle_concludes_only_when_every_part_has(flow, bundle):
    parent = _submitted(flow, bundle)
    flow.act("clerk", parent.number, "accept")
    kids = list(_children(parent).values())
    for i, child in enumerate(kids):
        _decide(flow, child)
        parent.refresh_from_db()
        if i < len(kids) - 1:
            assert parent.status == "in_review", f"concluded after {i + 1} of {len(kids)} parts"
    assert parent.status == "approved" and parent.concluded_at is not None
    body = flow.get("citizen", f"/api/v1/cases/{parent.number}").json()
    assert body["status"] == "approved" and body["timeline"][-1]["action"] == "approve"
    assert {c["status"] for c in body["children"]} == {"approved"}


def test_one_rejected_part_rejects_the_bundle(flow, bundle):
    parent = _submitted(flow, bundle)
    flow.act("clerk", parent.number, "accept")
    kids = list(_children(parent).values())
    _decide(flow, kids[0], approve=False)
    parent.refresh_from_db()
    assert parent.status == "in_review"  # the other parts are still being handled
    for child in kids[1:]:
        _decide(flow, child)
    parent.refresh_from_db()
    assert parent.status == "rejected"


def test_withdrawing_the_bundle_withdraws_the_open_parts(flow, bundle):
    parent = _submitted(flow, bundle)
    flow.act("clerk", parent.number, "accept")
    kids = _children(parent)
    done = kids[bundle.items["sign"].code]
    _decide(flow, done)
    r = flow.act("citizen", parent.number, "withdraw", opinion="店铺不开了")
    assert r.status_code == 200 and r.json()["status"] == "withdrawn"
    statuses = {code: Case.objects.get(pk=c.pk).status for code, c in kids.items()}
    assert statuses == {bundle.items["licence"].code: "withdrawn", bundle.items["food"].code: "withdrawn",
                        bundle.items["sign"].code: "approved"}  # a concluded part keeps its outcome
    assert not CaseTask.objects.filter(case__parent=parent, status__in=[TaskStatus.OPEN, TaskStatus.CLAIMED]).exists()
    assert flow.get("other_reviewer", "/api/v1/inbox").json() == []


def test_withdrawing_the_bundle_while_a_part_awaits_its_fee(flow, bundle):
    from yiwang.catalog.models import ItemVersion

    food = bundle.items["food"]
    ItemVersion.objects.filter(pk=food.current_id).update(fee_required=True, fees=[{"name": "工本费", "amount": "20"}])
    parent = _submitted(flow, bundle)
    flow.act("clerk", parent.number, "accept")
    kids = _children(parent)
    _decide(flow, kids[food.code])
    assert Case.objects.get(pk=kids[food.code].pk).status == "awaiting_payment"
    r = flow.act("citizen", parent.number, "withdraw")
    assert r.status_code == 200, r.content
    assert Case.objects.get(pk=kids[food.code].pk).status == "awaiting_payment"


def test_refusing_the_bundle_refuses_every_part(flow, bundle):
    parent = _submitted(flow, bundle)
    r = flow.act("clerk", parent.number, "refuse", opinion="申请人不具备开办条件")
    assert r.status_code == 200 and r.json()["status"] == "refused"
    assert {c.status for c in _children(parent).values()} == {"refused"}


def test_a_part_withdrawn_on_its_own_does_not_block_the_bundle(flow, bundle):
    parent = _submitted(flow, bundle)
    flow.act("clerk", parent.number, "accept")
    kids = _children(parent)
    assert flow.act("citizen", kids[bundle.items["sign"].code].number, "withdraw").status_code == 200
    for code in (bundle.items["licence"].code, bundle.items["food"].code):
        _decide(flow, kids[code])
    parent.refresh_from_db()
    assert parent.status == "approved"


def test_the_bundle_is_withdrawn_when_every_part_is(flow, bundle):
    parent = _submitted(flow, bundle)
    flow.act("clerk", parent.number, "accept")
    for child in _children(parent).values():
        assert flow.act("citizen", child.number, "withdraw").status_code == 200
    parent.refresh_from_db()
    assert parent.status == "withdrawn"


def test_a_bundle_has_no_decision_of_its_own(flow, bundle):
    parent = _submitted(flow, bundle)
    flow.act("clerk", parent.number, "accept")
    before = flow.snapshot(parent)
    r = flow.act("head", parent.number, "approve")
    assert r.status_code == 409 and r.json()["code"] == "no_such_task"
    assert flow.snapshot(parent) == before


def test_parts_refused_before_the_bundle_is_accepted(flow, bundle):
    """Departments may refuse their part before the front desk accepts the bundle; if every part
    is refused, accepting the bundle concludes it at once instead of leaving it open for ever."""
    parent = _submitted(flow, bundle)
    for child in _children(parent).values():
        who = "other_reviewer" if child.department_id == flow.other_dept.pk else "reviewer"
        r = flow.act(who, child.number, "refuse", opinion="不符合受理条件")
        assert r.status_code == 200, r.content
    parent.refresh_from_db()
    assert parent.status == "submitted"
    r = flow.act("clerk", parent.number, "accept")
    assert r.status_code == 200 and r.json()["status"] == "rejected"


def test_the_applicant_hears_when_the_whole_bundle_is_done(flow, bundle, django_capture_on_commit_callbacks):
    from yiwang.notifications.models import Notification

    parent = _submitted(flow, bundle)
    flow.do("clerk", parent.number, "accept")
    kids = _children(parent)
    for code in (bundle.items["licence"].code, bundle.items["sign"].code):
        flow.do("citizen", kids[code].number, "withdraw")
    with django_capture_on_commit_callbacks(execute=True):
        flow.do("citizen", kids[bundle.items["food"].code].number, "withdraw")
    assert Case.objects.get(pk=parent.pk).status == "withdrawn"
    bodies = [n.body for n in Notification.objects.filter(recipient=flow.user("citizen"), channel="site")]
    assert any(parent.number in b and "“一件事”各分项事项均已办结" in b for b in bodies), bodies
