"""Applicants hear about every step of their case through the foundation's notification service:
an in-site message (and an SMS to the phone on file) for each move, saying what happened and what
is needed from them. A review opinion is an in-site message only (several departments may review)."""

from __future__ import annotations

import pytest

from yiwang.notifications.models import Notification

pytestmark = pytest.mark.django_db


def _messages(flow, who="citizen") -> list[tuple[str, str]]:
    """(channel, body) of the applicant's case messages, oldest first."""
    rows = Notification.objects.filter(recipient=flow.user(who), template="case_update").order_by("created_at", "id")
    return [(n.channel, n.body) for n in rows]


def _step(flow, capture, who, number, action, **payload) -> list[tuple[str, str]]:
    """Make one move through the API (its on-commit work runs) and return the messages it sent."""
    before = len(_messages(flow))
    with capture(execute=True):
        r = flow.act(who, number, action, **payload)
    assert r.status_code == 200, r.content
    return _messages(flow)[before:]


def test_every_step_of_a_case_with_a_fee_is_announced(flow, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    with capture(execute=True):
        case = flow.submit(flow.item(fee=50))
    sent = _messages(flow)
    assert [c for c, _ in sent] == ["site", "sms"] and case.number in sent[0][1] and "等待受理" in sent[0][1]

    expected = [
        ("clerk", "accept", "已受理，承诺于"),
        ("reviewer", "request_correction", "请一次性补正以下材料：营业执照复印件不清晰；缺少法定代表人签字"),
        ("citizen", "resubmit", "补正材料已收到，继续办理"),
        ("reviewer", "suspend", "已启动特别程序（专家评审），该期间不计入办理时限"),
        ("reviewer", "resume", "特别程序已结束，恢复办理"),
        ("reviewer", "review", "云溪区市场监督管理局已提出审查意见"),
        ("head", "approve", "审批通过，请缴纳费用 50.00 元后领取结果"),
        ("citizen", "pay", "已收到缴费 50.00 元"),
        ("clerk", "deliver", "结果已送达（窗口领取）"),
    ]
    for who, action, says in expected:
        sent = _step(flow, capture, who, case.number, action)
        channels = ["site"] if action == "review" else ["site", "sms"]
        assert [c for c, _ in sent] == channels, (action, sent)
        assert all(case.number in body and says in body for _, body in sent), (action, sent)


@pytest.mark.parametrize(("path", "who", "action", "says"), [
    ([], "clerk", "refuse", "不予受理。理由：申请事项不属于本机关职权范围"),
    ([], "citizen", "withdraw", "申请已撤回"),
    ([("clerk", "accept")], "reviewer", "transfer", "已移交云溪区民政局办理"),
    ([("clerk", "accept"), ("reviewer", "review")], "head", "reject",
     "已办结（不予许可）。理由：不符合《食品安全法》第三十五条规定的条件"),
    ([("clerk", "accept"), ("reviewer", "review")], "head", "approve", "已办结（准予许可），结果：食品经营许可证"),
])
def test_endings_and_transfers_are_announced(flow, django_capture_on_commit_callbacks, path, who, action, says):
    case = flow.submit(flow.item())
    for step_who, step in path:
        flow.do(step_who, case.number, step)
    sent = _step(flow, django_capture_on_commit_callbacks, who, case.number, action)
    assert [c for c, _ in sent] == ["site", "sms"] and all(says in body for _, body in sent), sent

