"""GET /api/v1/inbox holds everything waiting for the caller's department: its case tasks and its
12345 work orders (to accept, to reply to, or for an assisting opinion), merged earliest deadline
first, each with its kind, number, title, department, deadline, light, page and actions. Another
department sees none of it, and nothing of an anonymous reporter is ever part of an item."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import resolve
from django.utils import timezone

from yiwang.hotline import services
from yiwang.hotline.models import WorkOrder

from .world import INSIDE

_numbers = itertools.count(1)


def _bearer(user):
    from yiwang.accounts.services import issue_token

    return {"Authorization": f"Bearer {issue_token(user)[0]}"}


def inbox(user, **params):
    r = Client().get("/api/v1/inbox", params, headers=_bearer(user))
    assert r.status_code == 200, r.content
    return r.json()


def _order(people, text, *, due, lead="YX-CG", assisting=(), accept=False, anonymous=False):
    kind = "report" if anonymous else "complaint"
    o = services.create_order(people.citizen, channel="api", kind=kind, text=text, anonymous=anonymous, **INSIDE)
    services.dispatch(people.operator, o.number, department=lead, category="CG05", assisting=list(assisting))
    if accept:
        services.accept(people.cg if lead == "YX-CG" else people.zj, o.number)
        WorkOrder.objects.filter(pk=o.pk).update(reply_due_at=due)
    else:
        WorkOrder.objects.filter(pk=o.pk).update(accept_due_at=due)
    return WorkOrder.objects.get(pk=o.pk)


def _case(department, applicant, *, due, role="reviewer", step="review", name="审查"):
    from yiwang.cases.models import Case, CaseTask, Status

    now = timezone.now()
    case = Case.objects.create(
        number=f"329002{now:%Y%m%d}7{next(_numbers):05d}", title="户外广告设置许可", department=department,
        applicant=applicant, applicant_name=applicant.name, status=Status.IN_REVIEW,
        submitted_at=now - timedelta(days=2), accepted_at=now - timedelta(days=1), due_at=due, promised_days=10,
        sla_light="green")
    CaseTask.objects.create(case=case, engine_task_id=f"t{case.pk}", step=step, name=name, role=role,
                            department=department)
    return case


@pytest.fixture
def world(people, district, make_staff, make_citizen):
    """城管局 (YX-CG) has two case tasks and three work orders (one an anonymous 举报, overdue);
    住建局 (YX-ZJ) assists one of them and leads one of its own."""
    from types import SimpleNamespace

    d = district.depts
    now = timezone.now()
    applicant = make_citizen(name="赵敏", phone="13700001234")
    w = SimpleNamespace(
        report=_order(people, "石桥路 5 号夜间施工噪音扰民，多次劝阻无效。", due=now - timedelta(hours=1), anonymous=True),
        to_accept=_order(people, "香樟路人行道井盖破损，行人容易绊倒。", due=now + timedelta(hours=2)),
        case_soon=_case(d["YX-CG"], applicant, due=now + timedelta(days=1)),
        to_reply=_order(people, "滨江路路灯不亮已经一周了，晚上走路很危险。", due=now + timedelta(days=3), accept=True,
                        assisting=["YX-ZJ"]),
        case_late=_case(d["YX-CG"], applicant, due=now + timedelta(days=12), role="dept_head", step="decide",
                        name="决定"),
        zj_own=_order(people, "翠屏小区楼道墙皮大面积脱落。", due=now + timedelta(hours=5), lead="YX-ZJ"),
        reviewer=make_staff("reviewer", d["YX-CG"], username="cg_reviewer", name="城管审批员"),
        other_head=make_staff("dept_head", d["YX-STHJ"], username="sthj_head", name="环保负责人"),
    )
    return w


def test_cases_and_work_orders_together_earliest_deadline_first(people, world):
    items = inbox(people.users.cg_head)
    assert [(i["kind"], i["number"]) for i in items] == [
        ("work_order", world.report.number), ("work_order", world.to_accept.number), ("case", world.case_soon.number),
        ("work_order", world.to_reply.number), ("case", world.case_late.number)]
    dues = [i["due_at"] for i in items]
    assert dues == sorted(dues)
    by_number = {i["number"]: i for i in items}

    report = by_number[world.report.number]
    assert report["light"] == "red" and report["step"] == "accept" and report["name"] == "签收"
    assert report["department"] == "云溪区城市管理局（区综合行政执法局）" and report["title"] == world.report.title
    assert [a["action"] for a in report["actions"]] == ["accept", "return"]
    assert resolve(report["link"]).url_name == "hotline-order"
    assert report["id"] is None and report["case_number"] is None

    reply = by_number[world.to_reply.number]
    assert reply["step"] == "reply" and reply["status"] == "in_progress" and reply["light"] == "green"
    assert [a["action"] for a in reply["actions"]] == ["reply", "request_extension", "return"]

    soon = by_number[world.case_soon.number]
    task = world.case_soon.tasks.get()
    # the fields the case inbox always had are still there
    assert (soon["id"], soon["case_number"], soon["case_title"], soon["step"], soon["status"], soon["sla_light"]) == (
        task.pk, world.case_soon.number, "户外广告设置许可", "review", "open", "green")
    assert soon["light"] == "yellow"  # one working day left: the live light, before the next sweep
    assert soon["link"] == f"/cases/{world.case_soon.number}/"
    assert [(a["action"], a["url"]) for a in soon["actions"]] == [
        ("claim", f"/api/v1/inbox/{task.pk}"), ("review", f"/api/v1/cases/{world.case_soon.number}/actions"),
        ("reassign", f"/api/v1/inbox/{task.pk}")]
    assert [a["action"] for a in by_number[world.case_late.number]["actions"]] == ["claim", "approve", "reject",
                                                                                    "reassign"]


def test_the_actions_of_an_item_work_as_given(people, world):
    head = people.users.cg_head
    by_number = {i["number"]: i for i in inbox(head)}
    accept = next(a for a in by_number[world.to_accept.number]["actions"] if a["action"] == "accept")
    r = Client().post(accept["url"], {"action": "accept"}, content_type="application/json", headers=_bearer(head))
    assert r.status_code == 200, r.content
    claim = next(a for a in by_number[world.case_soon.number]["actions"] if a["action"] == "claim")
    r = Client().post(claim["url"], {"action": "claim"}, content_type="application/json", headers=_bearer(head))
    assert r.status_code == 200, r.content

    after = {i["number"]: i for i in inbox(head)}
    assert after[world.to_accept.number]["step"] == "reply"  # accepted: now it waits for the reply
    assert after[world.case_soon.number]["status"] == "claimed"
    assert after[world.case_soon.number]["claimed_by"] == "城管负责人"
    assert "release" in [a["action"] for a in after[world.case_soon.number]["actions"]]


def test_each_department_and_role_sees_its_own(people, world):
    cg_work_orders = {world.report.number, world.to_accept.number, world.to_reply.number}
    # a handler has no case tasks of its role here, but all of the department's work orders
    assert {(i["kind"], i["number"]) for i in inbox(people.users.cg)} == {("work_order", n) for n in cg_work_orders}
    # a reviewer handles cases only, and only the tasks of their role
    assert [(i["kind"], i["number"]) for i in inbox(world.reviewer)] == [("case", world.case_soon.number)]
    # 住建局 assists one order (its opinion is awaited) and leads another
    zj = {i["number"]: i for i in inbox(people.users.zj)}
    assert set(zj) == {world.zj_own.number, world.to_reply.number}
    assist = zj[world.to_reply.number]
    assert assist["step"] == "assist_reply" and [a["action"] for a in assist["actions"]] == ["assist_reply"]
    assert assist["department"] == "云溪区住房和城乡建设局"
    services.assist_reply(people.zj, world.to_reply.number, "已安排路灯线路检修。")
    assert [i["number"] for i in inbox(people.users.zj)] == [world.zj_own.number]  # its part is done
    # another department sees none of it; neither do the 12345 centre, supervisors and applicants
    assert inbox(world.other_head) == [] and inbox(people.users.sthj) == []
    for user in (people.users.operator, people.users.supervisor, people.users.citizen):
        assert inbox(user) == []
    assert Client().get("/api/v1/inbox").status_code == 401


def test_an_anonymous_reporter_is_never_part_of_an_item(people, world):
    citizen = people.users.citizen
    for user in (people.users.cg_head, people.users.cg):
        r = Client().get("/api/v1/inbox", headers=_bearer(user))
        report = next(i for i in r.json() if i["number"] == world.report.number)
        body = r.content.decode()
        assert citizen.name not in body and citizen.phone not in body and citizen.phone[-4:] not in body
        assert citizen.name[0] + "*" not in body and citizen.username not in body
        assert not {"caller", "caller_name", "caller_phone", "reporter", "applicant"} & set(report)


def test_one_kind_at_a_time(people, world):
    head = people.users.cg_head
    assert [i["number"] for i in inbox(head, kind="case")] == [world.case_soon.number, world.case_late.number]
    assert {i["kind"] for i in inbox(head, kind="work_order")} == {"work_order"}
    assert len(inbox(head, kind="work_order,case")) == 5
    r = Client().get("/api/v1/inbox", {"kind": "ticket"}, headers=_bearer(head))
    assert r.status_code == 422 and r.json()["code"] == "inbox_kind_invalid" and "kind" in r.json()["fields"]
