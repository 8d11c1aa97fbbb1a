"""The whole life of a work order, through the services: intake, dispatch, accept, return, reply,
callback, reopen, escalation, extension, supervision, merging; and every illegal move."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from yiwang.core.errors import Conflict, PermissionDeniedError, ValidationFailed
from yiwang.hotline import services
from yiwang.hotline.models import Callback, Event, Extension, Status, Supervision, WorkOrder

from .conftest import jpeg
from .world import INSIDE

NOISE = "滨江路18号工地每天晚上十一点以后还在施工打桩，噪音太大影响休息，希望尽快处理。"


def call(people, text=NOISE, kind="complaint", **kw):
    return services.create_order(people.operator, channel="phone", kind=kind, text=text,
                                 caller_name="陈先生", caller_phone="13812345678", **{**INSIDE, **kw})


def actions(order):
    return list(Event.objects.filter(order=order).order_by("at", "id").values_list("action", flat=True))


def test_phone_call_to_satisfied_callback(people):
    from yiwang.core.models import AuditEvent
    from yiwang.notifications.models import Notification

    order = call(people)
    assert order.number.startswith("GD") and order.status == Status.NEW
    assert order.grid is not None and order.community_id == "329002001001" and order.street_id == "329002001000"
    assert order.caller_phone == "13812345678" and order.caller_phone_bidx
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT caller_phone FROM hotline_workorder WHERE id = %s", [order.pk])
        raw = cur.fetchone()[0]
    assert raw.startswith("v1:") and "13812345678" not in raw  # encrypted at rest

    services.dispatch(people.operator, order.number, department="YX-STHJ", category="HB01", assisting=["YX-CG"])
    order.refresh_from_db()
    assert order.status == Status.DISPATCHED and order.lead_department.code == "YX-STHJ"
    assert order.accept_due_at > order.dispatched_at and order.reply_due_at > order.accept_due_at
    assert Notification.objects.filter(recipient=people.users.sthj, channel="site").exists()
    assert Notification.objects.filter(recipient=people.users.cg, channel="site").exists()  # assisting

    services.accept(people.sthj, order.number)
    services.assist_reply(people.cg, order.number, "已配合对工地出入口进行巡查。")
    services.reply(people.sthj, order.number, "已责令工地停止夜间施工，并处以罚款。", resolved=True)
    order.refresh_from_db()
    assert order.status == Status.REPLIED and order.replied_at
    services.callback(people.operator, order.number, result="satisfied", resolved=True, note="市民表示满意")
    order.refresh_from_db()
    assert order.status == Status.CLOSED and order.satisfaction == "satisfied" and order.closed_at
    assert actions(order) == ["create", "dispatch", "accept", "assist_reply", "reply", "callback", "close"]
    assert set(AuditEvent.objects.filter(object_id=order.number).values_list("action", flat=True)) >= {
        "hotline.create", "hotline.dispatch", "hotline.accept", "hotline.reply", "hotline.callback", "hotline.close"}


def test_consultation_is_answered_directly_and_counted(people):
    from yiwang.hotline.models import KnowledgeArticle

    article = KnowledgeArticle.objects.create(department=people.cg.assignment.department, title="小学入学需要哪些材料",
                                              answer="户口簿、房产证明、出生证明。")
    order = call(people, text="孩子明年上小学，入学要准备什么材料？", kind="consult")
    services.answer(people.operator, order.number, article.answer, article_id=article.pk)
    order.refresh_from_db()
    article.refresh_from_db()
    assert order.status == Status.ANSWERED and order.answered_from == article and order.closed_at
    assert article.use_count == 1
    complaint = call(people)
    with pytest.raises(Conflict) as e:
        services.answer(people.operator, complaint.number, "答复")
    assert e.value.code == "answer_not_allowed"


def test_return_is_reviewed_then_redispatched_or_rejected(people):
    order = call(people)
    services.dispatch(people.operator, order.number, department="YX-CG", category="CG08")
    with pytest.raises(ValidationFailed) as e:
        services.give_back(people.cg, order.number, "  ")
    assert e.value.code == "reason_required"
    services.give_back(people.cg, order.number, "属于建筑施工噪声，应由生态环境部门办理。")
    order.refresh_from_db()
    assert order.status == Status.RETURNED and order.return_reason
    with pytest.raises(ValidationFailed) as e:  # agreeing means moving it elsewhere
        services.review_return(people.operator, order.number, approve=True, note="同意", department="YX-CG")
    assert e.value.code == "same_department"
    services.review_return(people.operator, order.number, approve=True, note="同意退单", department="YX-STHJ",
                           category="HB01")
    order.refresh_from_db()
    assert order.status == Status.DISPATCHED and order.lead_department.code == "YX-STHJ" and order.dispatch_count == 2

    services.give_back(people.sthj, order.number, "不属于本单位。")
    services.review_return(people.operator, order.number, approve=False, note="退单理由不成立，请继续办理。")
    order.refresh_from_db()
    assert order.status == Status.DISPATCHED and order.lead_department.code == "YX-STHJ"
    assert actions(order)[-4:] == ["redispatch", "return", "reject_return"][-3:] or "reject_return" in actions(order)


def test_return_window_closes_after_two_working_days(people):
    order = call(people)
    services.dispatch(people.operator, order.number, department="YX-CG", category="CG08")
    WorkOrder.objects.filter(pk=order.pk).update(return_due_at=timezone.now() - timedelta(minutes=1))
    with pytest.raises(Conflict) as e:
        services.give_back(people.cg, order.number, "不归我们管")
    assert e.value.code == "return_window_closed"


def test_unsatisfied_reopens_once_then_escalates(people):
    order = call(people)
    services.dispatch(people.operator, order.number, department="YX-STHJ", category="HB01")
    services.accept(people.sthj, order.number)
    services.reply(people.sthj, order.number, "已约谈施工单位。")
    services.callback(people.operator, order.number, result="unsatisfied", resolved=False, note="晚上还在施工")
    order.refresh_from_db()
    assert order.status == Status.IN_PROGRESS and order.reopen_count == 1 and order.replied_at is None
    services.reply(people.sthj, order.number, "已对工地立案处罚。")
    services.callback(people.operator, order.number, result="basic", resolved=False)
    order.refresh_from_db()
    assert order.status == Status.ESCALATED and order.escalation_level == 2
    assert Supervision.objects.filter(order=order, reason="unsatisfied").exists()

    with pytest.raises(PermissionDeniedError):  # only a supervisor moves an escalated order on
        services.dispatch(people.operator, order.number, department="YX-CG", category="HB01")
    services.dispatch(people.supervisor, order.number, department="YX-CG", category="HB01", note="改由城管执法")
    order.refresh_from_db()
    assert order.status == Status.DISPATCHED and order.lead_department.code == "YX-CG"


def test_supervisor_concludes_an_escalated_order(people):
    order = call(people)
    services.dispatch(people.operator, order.number, department="YX-STHJ", category="HB01")
    services.accept(people.sthj, order.number)
    for _ in range(2):
        services.reply(people.sthj, order.number, "已处理。")
        services.callback(people.operator, order.number, result="unsatisfied")
    services.conclude(people.supervisor, order.number, "经核查施工已停止，诉求已依法处理，作办结处理。")
    order.refresh_from_db()
    assert order.status == Status.CLOSED and order.satisfaction == "unsatisfied"


def test_unreachable_three_times_closes(people):
    order = call(people)
    services.dispatch(people.operator, order.number, department="YX-STHJ", category="HB01")
    services.accept(people.sthj, order.number)
    services.reply(people.sthj, order.number, "已处理。")
    for i in range(3):
        services.callback(people.operator, order.number, result="unreachable")
        order.refresh_from_db()
        assert order.status == (Status.REPLIED if i < 2 else Status.CLOSED)
    assert order.satisfaction == "unreachable"
    assert Callback.objects.filter(order=order).count() == 3


def test_no_callback_wanted_closes_on_reply(people):
    order = call(people, callback_preference="none")
    services.dispatch(people.operator, order.number, department="YX-STHJ", category="HB01")
    services.accept(people.sthj, order.number)
    services.reply(people.sthj, order.number, "已处理。")
    order.refresh_from_db()
    assert order.status == Status.CLOSED


def test_extension_once_up_to_ten_working_days_approved_by_a_supervisor(people):
    from yiwang.core.workdays import add_working_days

    order = call(people)
    services.dispatch(people.operator, order.number, department="YX-STHJ", category="HB01")
    services.accept(people.sthj, order.number)
    due = WorkOrder.objects.get(pk=order.pk).reply_due_at
    with pytest.raises(ValidationFailed) as e:
        services.request_extension(people.sthj, order.number, 11, "需要检测")
    assert e.value.code == "extension_days_invalid"
    services.request_extension(people.sthj, order.number, 5, "需要委托第三方噪声检测")
    with pytest.raises(PermissionDeniedError):
        services.decide_extension(people.operator, order.number, approve=True)
    services.decide_extension(people.supervisor, order.number, approve=True, note="同意")
    order.refresh_from_db()
    assert order.reply_due_at == add_working_days(due, 5) and order.extension_days == 5
    with pytest.raises(Conflict) as e:
        services.request_extension(people.sthj, order.number, 3, "还要延期")
    assert e.value.code == "extension_already_used"
    assert Extension.objects.get(order=order).state == "approved"


def test_merged_duplicates_close_with_the_master(people, make_citizen, actor_of):
    a = call(people)
    b = call(people, text="滨江路18号工地晚上打桩施工噪音扰民，睡不着觉。")
    from yiwang.hotline.selectors import duplicate_candidates

    assert [o.number for o, _s in duplicate_candidates(b)] == [a.number]
    services.merge(people.operator, b.number, a.number, "同一工地夜间施工")
    b.refresh_from_db()
    assert b.status == Status.MERGED and b.merged_into_id == a.pk
    with pytest.raises(Conflict):
        services.merge(people.operator, a.number, b.number)  # b is merged: not a target
    services.dispatch(people.operator, a.number, department="YX-STHJ", category="HB01")
    services.accept(people.sthj, a.number)
    services.reply(people.sthj, a.number, "已责令停止夜间施工。")
    services.callback(people.operator, a.number, result="satisfied")
    b.refresh_from_db()
    assert b.status == Status.CLOSED and b.reply_text == "已责令停止夜间施工。"


@pytest.mark.parametrize("move", [
    "accept_twice", "reply_dispatched", "callback_in_progress", "dispatch_twice", "answer_dispatched",
    "return_replied", "void_dispatched", "conclude_replied",
])
def test_illegal_moves_are_409_illegal_transition(people, move):
    order = call(people, kind="consult" if move == "answer_dispatched" else "complaint")
    services.dispatch(people.operator, order.number, department="YX-STHJ", category="HB01")
    if move in ("accept_twice", "callback_in_progress", "return_replied", "conclude_replied"):
        services.accept(people.sthj, order.number)
    if move in ("return_replied", "conclude_replied"):
        services.reply(people.sthj, order.number, "已处理")
    attempt = {
        "accept_twice": lambda: services.accept(people.sthj, order.number),
        "reply_dispatched": lambda: services.reply(people.sthj, order.number, "已处理"),
        "callback_in_progress": lambda: services.callback(people.operator, order.number, result="satisfied"),
        "dispatch_twice": lambda: services.dispatch(people.operator, order.number, department="YX-CG",
                                                    category="CG08"),
        "answer_dispatched": lambda: services.answer(people.operator, order.number, "答复"),
        "return_replied": lambda: services.give_back(people.sthj, order.number, "退回"),
        "void_dispatched": lambda: services.void(people.operator, order.number, "骚扰"),
        "conclude_replied": lambda: services.conclude(people.supervisor, order.number, "结论"),
    }[move]
    before = WorkOrder.objects.get(pk=order.pk)
    with pytest.raises(Conflict) as e:
        attempt()
    assert e.value.code == "illegal_transition"
    after = WorkOrder.objects.get(pk=order.pk)
    assert (after.status, after.lock_version) == (before.status, before.lock_version)


def test_only_the_lead_department_acts(people):
    order = call(people)
    services.dispatch(people.operator, order.number, department="YX-STHJ", category="HB01", assisting=["YX-CG"])
    for actor in (people.cg, people.zj, people.operator, people.citizen):
        with pytest.raises(PermissionDeniedError):
            services.accept(actor, order.number)
    with pytest.raises(PermissionDeniedError):  # not an assisting department
        services.assist_reply(people.zj, order.number, "意见")


def test_grid_incident_needs_a_fix_photo_to_close(people):
    order = services.create_order(people.worker, channel="grid", kind="report", text="滨江社区北门井盖缺失，存在安全隐患。",
                                  photos=[("scene.jpg", jpeg())], **INSIDE)
    assert order.attachments.filter(kind="photo").count() == 1 and order.reporter_id == people.users.worker.pk
    services.dispatch(people.operator, order.number, department="YX-ZJ", category="JS02")
    services.accept(people.zj, order.number)
    with pytest.raises(ValidationFailed) as e:
        services.reply(people.zj, order.number, "已补装井盖。")
    assert e.value.code == "fix_photo_required"
    services.reply(people.zj, order.number, "已补装井盖。", fix_photos=[("fixed.jpg", jpeg())])
    assert WorkOrder.objects.get(pk=order.pk).status == Status.REPLIED


def test_grid_worker_resolves_on_site_only_with_photo_evidence(people):
    with pytest.raises(ValidationFailed) as e:
        services.create_order(people.worker, channel="grid", kind="report", text="楼道堆放杂物堵塞通道",
                              resolve_on_site=True, resolution="已清理", **INSIDE)
    assert e.value.code == "fix_photo_required"
    assert not WorkOrder.objects.exists()
    order = services.create_order(people.worker, channel="grid", kind="report", text="楼道堆放杂物堵塞通道",
                                  resolve_on_site=True, resolution="已督促住户清理", fix_photos=[("after.jpg", jpeg())],
                                  **INSIDE)
    assert order.status == Status.CLOSED and order.self_resolved


def test_supervision_sweep_escalates_overdue_orders_once_per_level(people):
    from yiwang.core.workdays import add_working_days

    a = call(people)
    services.dispatch(people.operator, a.number, department="YX-CG", category="CG08")
    b = call(people, text="新港大道路灯不亮已经一周")
    services.dispatch(people.operator, b.number, department="YX-CG", category="CG05")
    services.accept(people.cg, b.number)
    now = timezone.now()
    WorkOrder.objects.filter(pk=a.pk).update(accept_due_at=now - timedelta(hours=1))
    WorkOrder.objects.filter(pk=b.pk).update(reply_due_at=now - timedelta(minutes=5))
    assert services.sweep(now) == {"accept_overdue": 1, "reply_overdue": 1}
    assert services.sweep(now) == {"accept_overdue": 0, "reply_overdue": 0}  # idempotent
    later = add_working_days(now, 3)
    assert services.sweep(later)["reply_overdue"] == 1
    levels = list(Supervision.objects.filter(order=b).values_list("level", flat=True))
    assert levels == [1, 3]
    assert WorkOrder.objects.get(pk=b.pk).escalation_level == 3


def test_void_spam(people):
    order = call(people, text="嘟嘟嘟", kind="consult")
    with pytest.raises(ValidationFailed):
        services.void(people.operator, order.number, "")
    services.void(people.operator, order.number, "无效来电")
    assert WorkOrder.objects.get(pk=order.pk).status == Status.VOID


# -- returns: only within the window, reviewed by an operator before anything moves --------------
def test_a_returned_order_moves_only_through_the_operators_review(people, api):
    from yiwang.accounts.services import issue_token

    order = call(people)
    services.dispatch(people.operator, order.number, department="YX-CG", category="CG08")
    services.give_back(people.cg, order.number, "属于施工噪声，应由生态环境部门办理。")
    # the department cannot review its own return, nor can anyone but the 12345 operator
    for actor in (people.cg, people.cg_head, people.supervisor, people.sthj):
        with pytest.raises(PermissionDeniedError):
            services.review_return(actor, order.number, approve=True, note="同意", department="YX-STHJ",
                                   category="HB01")
    # a plain dispatch would skip the review: refused, over the API with the stable code
    with pytest.raises(Conflict) as e:
        services.dispatch(people.operator, order.number, department="YX-STHJ", category="HB01")
    assert e.value.code == "return_review_required"
    r = api.post(f"/api/v1/hotline/orders/{order.number}/actions",
                 {"action": "dispatch", "department": "YX-STHJ", "category": "HB01"},
                 token=issue_token(people.users.operator)[0])
    assert r.status_code == 409 and r.json()["code"] == "return_review_required"
    with pytest.raises(ValidationFailed) as e:  # the review needs its opinion
        services.review_return(people.operator, order.number, approve=True, note=" ", department="YX-STHJ")
    assert e.value.code == "note_required"
    assert WorkOrder.objects.get(pk=order.pk).status == Status.RETURNED
    services.review_return(people.operator, order.number, approve=True, note="同意退单，改派生态环境分局",
                           department="YX-STHJ", category="HB01")
    order.refresh_from_db()
    assert order.status == Status.DISPATCHED and order.lead_department.code == "YX-STHJ"
    assert actions(order)[-3:] == ["return", "approve_return", "redispatch"]
    assert Event.objects.get(order=order, action="approve_return").actor == people.users.operator


def test_return_is_refused_after_two_working_days_from_the_dispatch(people):
    from unittest import mock
    from zoneinfo import ZoneInfo

    from datetime import datetime

    sh = ZoneInfo("Asia/Shanghai")
    friday = datetime(2025, 11, 21, 16, 0, tzinfo=sh)
    with mock.patch("django.utils.timezone.now", return_value=friday):
        a, b = call(people), call(people, text="新港大道路灯不亮")
        for o in (a, b):
            services.dispatch(people.operator, o.number, department="YX-CG", category="CG08")
    assert WorkOrder.objects.get(pk=a.pk).return_due_at == datetime(2025, 11, 25, 23, 59, 59, 999999, tzinfo=sh)
    with mock.patch("django.utils.timezone.now", return_value=datetime(2025, 11, 25, 22, 0, tzinfo=sh)):
        services.accept(people.cg, a.number)  # accepting does not forfeit the window
        services.give_back(people.cg, a.number, "不属于本单位职责")  # Tuesday: the 2nd working day
    assert WorkOrder.objects.get(pk=a.pk).status == Status.RETURNED
    with mock.patch("django.utils.timezone.now", return_value=datetime(2025, 11, 26, 0, 1, tzinfo=sh)):
        with pytest.raises(Conflict) as e:
            services.give_back(people.cg, b.number, "不属于本单位职责")
    assert e.value.code == "return_window_closed" and "2 个工作日" in str(e.value.message)
    assert WorkOrder.objects.get(pk=b.pk).status == Status.DISPATCHED


# -- extensions: one, of at most 10 working days, before the reply is due, a supervisor decides ----
def test_extension_rules_and_who_may_do_what(people):
    order = call(people)
    services.dispatch(people.operator, order.number, department="YX-STHJ", category="HB01", assisting=["YX-CG"])
    with pytest.raises(Conflict) as e:  # not yet accepted
        services.request_extension(people.sthj, order.number, 5, "需要检测")
    assert e.value.code == "illegal_transition"
    services.accept(people.sthj, order.number)
    for actor in (people.cg, people.operator, people.supervisor):  # assisting department, centre, supervisor
        with pytest.raises(PermissionDeniedError):
            services.request_extension(actor, order.number, 5, "需要检测")
    for days in (0, -1, 11, "5", True, None):
        with pytest.raises(ValidationFailed) as e:
            services.request_extension(people.sthj, order.number, days, "需要检测")
        assert e.value.code == "extension_days_invalid"
    with pytest.raises(ValidationFailed) as e:
        services.request_extension(people.sthj, order.number, 5, "")
    assert e.value.code == "reason_required"
    with pytest.raises(Conflict) as e:
        services.decide_extension(people.supervisor, order.number, approve=True)
    assert e.value.code == "no_pending_extension"
    services.request_extension(people.sthj, order.number, 10, "需委托第三方噪声检测")
    for actor in (people.sthj, people.cg_head, people.operator):
        with pytest.raises(PermissionDeniedError):
            services.decide_extension(actor, order.number, approve=True)
    due = WorkOrder.objects.get(pk=order.pk).reply_due_at
    services.decide_extension(people.supervisor, order.number, approve=False, note="检测可在时限内完成")
    assert WorkOrder.objects.get(pk=order.pk).reply_due_at == due  # refused: the limit stands
    services.request_extension(people.sthj, order.number, 3, "检测机构排期")  # a refused one does not count
    services.decide_extension(people.supervisor, order.number, approve=True, note="同意")
    with pytest.raises(Conflict) as e:
        services.request_extension(people.sthj, order.number, 2, "再延")
    assert e.value.code == "extension_already_used"
    assert WorkOrder.objects.get(pk=order.pk).extension_days == 3


def test_extension_asked_after_the_reply_is_due_is_refused(people):
    order = call(people)
    services.dispatch(people.operator, order.number, department="YX-STHJ", category="HB01")
    services.accept(people.sthj, order.number)
    WorkOrder.objects.filter(pk=order.pk).update(reply_due_at=timezone.now() - timedelta(minutes=1))
    with pytest.raises(Conflict) as e:
        services.request_extension(people.sthj, order.number, 5, "来不及了")
    assert e.value.code == "extension_too_late"
    assert not Extension.objects.filter(order=order).exists()


# -- callback: reopened once, then escalated, whoever rates ----------------------------------------
@pytest.mark.parametrize("first,second", [
    ({"result": "unsatisfied"}, {"result": "unsatisfied"}),
    ({"result": "satisfied", "resolved": False}, {"result": "basic", "resolved": False}),  # unresolved counts
])
def test_the_caller_rating_online_reopens_once_then_escalates(people, first, second):
    order = services.create_order(people.citizen, channel="web", kind="complaint", text=NOISE, **INSIDE)
    services.dispatch(people.operator, order.number, department="YX-STHJ", category="HB01")
    services.accept(people.sthj, order.number)
    services.reply(people.sthj, order.number, "已约谈施工单位。")
    services.rate(people.citizen, order.number, **first)
    order.refresh_from_db()
    assert order.status == Status.IN_PROGRESS and order.reopen_count == 1
    services.reply(people.sthj, order.number, "已立案处罚。")
    services.rate(people.citizen, order.number, **second)
    order.refresh_from_db()
    assert order.status == Status.ESCALATED and order.reopen_count == 1
    with pytest.raises(Conflict) as e:  # no third round: the supervisors have it now
        services.rate(people.citizen, order.number, result="unsatisfied")
    assert e.value.code == "illegal_transition"
    with pytest.raises(PermissionDeniedError):  # the operator cannot conclude it either
        services.conclude(people.operator, order.number, "结论")
    assert actions(order)[-3:] == ["reply", "callback", "escalate"]


# -- merging: one fix closes every duplicate ------------------------------------------------------
def test_merging_several_duplicates_closes_them_all_and_tells_each_caller(people, make_citizen, actor_of):
    from yiwang.notifications.models import Notification

    master = call(people)
    others = [make_citizen(name=n, phone=p) for n, p in (("李雷", "13900002222"), ("韩梅梅", "13900003333"))]
    dups = [services.create_order(actor_of(u), channel="web", kind="complaint", text=NOISE, **INSIDE) for u in others]
    dups.append(call(people, text="滨江路18号工地半夜打桩"))
    services.dispatch(people.operator, dups[0].number, department="YX-CG", category="CG08")  # already dispatched
    services.accept(people.cg, dups[0].number)
    for d in dups:
        services.merge(people.operator, d.number, master.number, "同一工地夜间施工")
    assert WorkOrder.objects.filter(merged_into=master, status=Status.MERGED).count() == 3
    assert not selectors_department_queue(people.cg)  # the merged order left 城管's queue
    services.dispatch(people.operator, master.number, department="YX-STHJ", category="HB01")
    services.accept(people.sthj, master.number)
    services.reply(people.sthj, master.number, "已责令停止夜间施工并罚款。")
    services.callback(people.operator, master.number, result="satisfied")
    for d in dups:
        d.refresh_from_db()
        assert d.status == Status.CLOSED and d.reply_text == "已责令停止夜间施工并罚款。" and d.closed_at
        assert actions(d)[-1] == "close"
    for u in others:
        assert Notification.objects.filter(recipient=u, subject="您反映的问题已办结").exists()
    master.refresh_from_db()
    assert sorted(o.number for o in master.duplicates.all()) == sorted(d.number for d in dups)


def selectors_department_queue(actor):
    from yiwang.hotline.selectors import department_queue

    return list(department_queue(actor))


def test_a_consultation_answered_directly_closes_its_duplicates(people):
    first = call(people, text="孩子明年上小学，入学要准备什么材料？", kind="consult")
    again = call(people, text="请问小学入学需要准备哪些材料？", kind="consult")
    services.merge(people.operator, again.number, first.number, "同一咨询")
    services.answer(people.operator, first.number, "户口簿、房产证明、出生证明。")
    again.refresh_from_db()
    assert again.status == Status.CLOSED and again.reply_text == "户口簿、房产证明、出生证明。"


def test_merge_refusals(people):
    a, b, c = call(people), call(people), call(people)
    services.merge(people.operator, b.number, a.number)
    with pytest.raises(Conflict) as e:  # a has duplicates: it cannot itself become one
        services.merge(people.operator, a.number, c.number)
    assert e.value.code == "merge_has_duplicates"
    with pytest.raises(Conflict) as e:
        services.merge(people.operator, c.number, b.number)  # b is merged: not a target
    assert e.value.code == "merge_target_closed"
    with pytest.raises(ValidationFailed) as e:
        services.merge(people.operator, c.number, c.number)
    assert e.value.code == "merge_into_self"
    with pytest.raises(Conflict) as e:  # a master with duplicates cannot be voided away
        services.void(people.operator, a.number, "重复")
    assert e.value.code == "void_has_duplicates"
    with pytest.raises(PermissionDeniedError):
        services.merge(people.supervisor, c.number, a.number)


# -- grid incidents close only with photo evidence of the fix, whichever way they close -----------
def _grid_incident(people, text="滨江社区北门井盖缺失，存在安全隐患。"):
    return services.create_order(people.worker, channel="grid", kind="report", text=text,
                                 photos=[("scene.jpg", jpeg())], **INSIDE)


def test_a_grid_incident_merged_into_a_call_still_needs_the_fix_photo(people):
    master = call(people, text="滨江社区北门井盖丢了，晚上有人差点掉下去", kind="help")
    incident = _grid_incident(people)
    services.merge(people.operator, incident.number, master.number, "同一井盖")
    services.dispatch(people.operator, master.number, department="YX-ZJ", category="JS02")
    services.accept(people.zj, master.number)
    with pytest.raises(ValidationFailed) as e:
        services.reply(people.zj, master.number, "已补装井盖。")
    assert e.value.code == "fix_photo_required"
    services.add_photos(people.zj, master.number, [("fixed.jpg", jpeg())], kind="fix")
    services.reply(people.zj, master.number, "已补装井盖。")
    services.callback(people.operator, master.number, result="satisfied")
    assert WorkOrder.objects.get(pk=incident.pk).status == Status.CLOSED


def test_a_grid_incident_cannot_skip_the_fix_photo_by_merging_or_answering(people):
    replied = call(people, text="滨江社区北门井盖缺失", kind="help")
    services.dispatch(people.operator, replied.number, department="YX-ZJ", category="JS02")
    services.accept(people.zj, replied.number)
    services.reply(people.zj, replied.number, "已设置警示标志，井盖已订购。")  # a call: no photo needed
    incident = _grid_incident(people)
    with pytest.raises(Conflict) as e:  # its close would be photo-less
        services.merge(people.operator, incident.number, replied.number)
    assert e.value.code == "fix_photo_required"
    consult = call(people, text="井盖归哪个部门管？", kind="consult")
    services.merge(people.operator, incident.number, consult.number)
    with pytest.raises(Conflict) as e:  # answering the consultation would close the incident
        services.answer(people.operator, consult.number, "由住建局负责。")
    assert e.value.code == "answer_not_allowed"
    assert WorkOrder.objects.get(pk=incident.pk).status == Status.MERGED


def test_the_caller_is_told_the_result(people):
    """By SMS when they asked for it (an anonymous reporter through the sealed record), in the
    portal when they filed with an account."""
    from yiwang.notifications.models import Notification

    named = call(people, callback_preference="sms")
    sealed = call(people, kind="report", anonymous=True, callback_preference="sms",
                  text="举报滨江路18号工地夜间违规施工")
    online = services.create_order(people.citizen, channel="web", kind="complaint", text=NOISE, **INSIDE)
    for o in (named, sealed, online):
        services.dispatch(people.operator, o.number, department="YX-STHJ", category="HB01")
        services.accept(people.sthj, o.number)
        services.reply(people.sthj, o.number, f"已责令停止夜间施工（{o.number}）。")
    sms = [(n.to_address, n.recipient_id, n.body) for n in Notification.objects.filter(channel="sms")]
    assert [(to, who) for to, who, body in sms if named.number in body] == [("13812345678", None)]
    # the anonymous caller's number comes from the sealed record (the order itself has none)
    assert WorkOrder.objects.get(pk=sealed.pk).caller_phone == ""
    assert [(to, who) for to, who, body in sms if sealed.number in body] == [("13812345678", None)]
    assert any(online.number in n.body for n in Notification.objects.filter(recipient=people.users.citizen,
                                                                           channel="site"))
