"""Every case state × every action, through POST /api/v1/cases/{number}/actions.

Each case is a promised item (承诺件: review by a reviewer, decision by the head) with a 50-yuan
fee, driven to its state through the real services. The action is then attempted by someone who
would be allowed to do it if the state allowed it (the table ``ACTOR_FOR`` in flows.py). A legal
move answers 200 and lands in the expected state with one more timeline entry; an illegal one
answers 409 with a stable code and leaves the case exactly as it was (status, version, timeline,
department, tasks, payments).

A draft (草稿, cases/drafts.py) has no number, so no API action can reach it: its row of the table
is checked on the model's transition methods, and the API is shown not to find it.

The other two templates (immediate, parallel) move alike outside review; in review, every action
is walked on them too (``TEMPLATE_LEGAL`` below), and test_templates.py tells their stories end to end.
"""

from __future__ import annotations

import pytest
from django.db import transaction

from yiwang.cases.models import Case, CaseEvent, IllegalTransition

from .flows import ACTIONS, ACTOR_FOR, FEE, PATHS, STATES

pytestmark = pytest.mark.django_db

ILLEGAL = "illegal_transition"

# state -> {action: resulting status | ("409", code)}; anything not listed is 409 illegal_transition
LEGAL: dict[str, dict] = {
    "draft": {"withdraw": "withdrawn"},
    "submitted": {"accept": "in_review", "refuse": "refused", "request_correction": "correction",
                  "withdraw": "withdrawn", "transfer": "submitted"},
    "correction": {"resubmit": "submitted", "withdraw": "withdrawn"},
    # corrected after acceptance: back to review, not to the acceptance queue
    "correction+accepted": {"resubmit": "in_review", "withdraw": "withdrawn"},
    "in_review": {"request_correction": "correction", "suspend": "suspended", "review": "in_review",
                  "withdraw": "withdrawn", "transfer": "in_review",
                  # the decision step does not exist before the review is done
                  "approve": ("409", "no_such_task"), "reject": ("409", "no_such_task")},
    "in_review+reviewed": {"request_correction": "correction", "suspend": "suspended",
                           "review": ("409", "use_decision_action"), "approve": "awaiting_payment",
                           "reject": "rejected", "withdraw": "withdrawn", "transfer": "in_review"},
    "suspended": {"resume": "in_review", "withdraw": "withdrawn"},
    "awaiting_payment": {"pay": "approved"},
    "approved": {"deliver": "delivered", "pay": ("409", "already_paid")},
    "rejected": {"deliver": "delivered"},
    "refused": {},
    "withdrawn": {},
    "delivered": {"pay": ("409", "already_paid")},
}



class _Undo(Exception):
    """Raised to roll a cell's savepoint back, so the next action starts from the same state."""


def test_the_table_covers_every_status():
    from yiwang.cases.models import Status

    assert {s.split("+")[0] for s in STATES} == set(Status.values)
    assert set(LEGAL) == set(STATES)


def _check(flow, case, action, expected) -> list[str]:
    """Attempt one action; return what went wrong (empty when the cell behaves as the table says)."""
    before = flow.snapshot(case)
    r = flow.act(ACTOR_FOR[action], case.number, action)
    body = r.json()
    if isinstance(expected, tuple):
        problems = []
        if r.status_code != int(expected[0]) or body.get("code") != expected[1]:
            problems.append(f"expected {expected[0]} {expected[1]}, got {r.status_code} {body.get('code')}"
                            f" {body.get('message', '')}")
        elif not body.get("message"):
            problems.append("no message for people")
        after = flow.snapshot(case)
        if after != before:
            problems.append(f"case changed: {({k: (before[k], after[k]) for k in before if before[k] != after[k]})}")
        return problems
    if r.status_code != 200:
        return [f"expected 200 -> {expected}, got {r.status_code} {body.get('code')} {body.get('message', '')}"]
    problems = []
    after = flow.snapshot(case)
    if body["status"] != expected or after["status"] != expected:
        problems.append(f"expected status {expected}, got {body['status']}")
    if after["lock_version"] <= before["lock_version"]:
        problems.append("lock_version did not move")
    events = list(CaseEvent.objects.filter(case=case).order_by("-at", "-id"))
    if len(events) != before["events"] + 1 or events[0].action != action or events[0].to_status != expected:
        problems.append(f"timeline: {[(e.action, e.to_status) for e in events[:3]]}")
    if body["timeline"][-1]["action"] != action:
        problems.append("the answer's timeline does not end with the move")
    if action == "transfer" and Case.objects.get(pk=case.pk).department_id != flow.other_dept.pk:
        problems.append("transfer did not move the case to the other department")
    return problems


@pytest.mark.parametrize("state", list(PATHS))
def test_every_action_from(flow, state):
    """One state, all thirteen actions; each attempt runs in a savepoint rolled back afterwards."""
    case = flow.drive(flow.submit(flow.item(fee=FEE)), state)
    report = _try_every_action(flow, case, LEGAL[state], state)
    assert not report, "\n".join(f"{cell}: {'; '.join(p)}" for cell, p in report.items())


def _try_every_action(flow, case, legal: dict, label: str) -> dict:
    """All thirteen actions on ``case``, each in a savepoint rolled back afterwards; ``legal`` maps the
    allowed ones to their expected answer (the rest must be refused 409). Returns {cell: problems}."""
    for who in set(ACTOR_FOR.values()):
        flow.token(who)  # people and tokens exist outside the savepoints
    report = {}
    for action in ACTIONS:
        expected = legal.get(action, ("409", ILLEGAL))
        try:
            with transaction.atomic():
                problems = _check(flow, case, action, expected)
                raise _Undo
        except _Undo:
            pass
        if problems:
            report[f"{label} × {action}"] = problems
        assert flow.snapshot(case)["status"] == case.status  # rolled back
    return report


MODEL_MOVES = {
    "accept": lambda c: c.accept(),
    "refuse": lambda c: c.refuse(),
    "request_correction": lambda c: c.request_correction(),
    "resubmit": lambda c: c.resubmit(),
    "suspend": lambda c: c.suspend(),
    "resume": lambda c: c.resume(),
    "review": lambda c: c.require_review_state("review"),
    "approve": lambda c: c.approve(payment_due=True),
    "reject": lambda c: c.reject(),
    "pay": lambda c: c.mark_paid(),
    "withdraw": lambda c: c.withdraw(),
    "transfer": lambda c: c._move(c.status, {"submitted", "in_review"}, "transfer"),  # as services.transfer
    "deliver": lambda c: c.deliver(),
}


def test_every_action_from_a_draft(flow):
    item = flow.item(fee=FEE)
    saved = flow.draft(item)
    assert saved.number is None and saved.status == "draft"
    assert set(MODEL_MOVES) == set(ACTIONS)
    for action, move in MODEL_MOVES.items():
        case = Case.objects.get(pk=saved.pk)
        expected = LEGAL["draft"].get(action, ("409", ILLEGAL))
        if isinstance(expected, tuple):
            with pytest.raises(IllegalTransition) as exc:
                move(case)
            assert (exc.value.status, exc.value.code) == (409, ILLEGAL), action
            assert (case.status, case.lock_version) == ("draft", 0), action
            assert "草稿" in exc.value.as_dict()["message"]
        else:
            move(case)
            assert case.status == expected and case.lock_version == 1
    # a draft is nobody's case yet: it has no number, so no API call finds or moves it
    assert flow.get("citizen", "/api/v1/cases/None").status_code == 404
    assert flow.act("citizen", "None", "withdraw").status_code == 404
    assert flow.get("reviewer", "/api/v1/inbox").json() == []


# -- the same walk on the other two templates, in the states where they differ (in review) -------
# Outside review every template moves alike (the table above); inside it, what review, approve and
# reject do depends on the template's tasks.
_REVIEW_MOVES = {"request_correction": "correction", "suspend": "suspended", "withdraw": "withdrawn",
                 "transfer": "in_review"}
TEMPLATE_LEGAL: dict[tuple[str, str], dict] = {
    # 即办件: one decision task right after acceptance, no separate review
    ("immediate", "in_review"): {**_REVIEW_MOVES, "review": ("409", "use_decision_action"),
                                 "approve": "awaiting_payment", "reject": "rejected"},
    # 并联审批: one review per department, then the decision
    ("parallel", "in_review"): {**_REVIEW_MOVES, "review": "in_review", "approve": ("409", "no_such_task"),
                                "reject": ("409", "no_such_task")},
    ("parallel", "in_review+lead_reviewed"): {**_REVIEW_MOVES, "review": ("403", "task_not_yours"),
                                              "approve": ("409", "no_such_task"),
                                              "reject": ("409", "no_such_task")},
    ("parallel", "in_review+reviewed"): {**_REVIEW_MOVES, "review": ("409", "use_decision_action"),
                                         "approve": "awaiting_payment", "reject": "rejected"},
}


def _template_case(flow, template: str, state: str):
    from yiwang.cases.models import ProcessBinding
    from yiwang.core.models import Department

    if template == "immediate":
        case = flow.submit(flow.item(fee=FEE, case_type="1", promised=0))
        flow.do("clerk", case.number, "accept")
        case.refresh_from_db()
        return case
    # the co-reviewing department is a third one, so a transfer to the "other" department is clean
    third = Department.objects.create(code="YX-ZJ", name="云溪区住房和城乡建设局", division=flow.dept.division)
    co_reviewer = flow._make_staff("reviewer", third, username="zj_reviewer", name="住建审批员")
    item = flow.item(fee=FEE)
    ProcessBinding.objects.create(item_code=item.code, process_key="parallel", departments=[third.code])
    case = flow.submit(item)
    flow.do("clerk", case.number, "accept")
    if state != "in_review":
        flow.do("reviewer", case.number, "review")
    if state == "in_review+reviewed":
        from yiwang.accounts.actor import staff_actor
        from yiwang.cases import services

        services.review(staff_actor(co_reviewer), case.number, "住建：无异议")
    case.refresh_from_db()
    return case


@pytest.mark.parametrize(("template", "state"), list(TEMPLATE_LEGAL))
def test_every_action_in_review_on_the_other_templates(flow, template, state):
    case = _template_case(flow, template, state)
    assert case.process_model.key == template and case.status == "in_review"
    report = _try_every_action(flow, case, TEMPLATE_LEGAL[(template, state)], f"{template} {state}")
    assert not report, "\n".join(f"{cell}: {'; '.join(p)}" for cell, p in report.items())
