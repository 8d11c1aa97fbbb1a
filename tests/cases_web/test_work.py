"""The department workbench (/work/): inbox scoped to the department, sorted by SLA, with lights in
words; claim/release; a losing claim names the winner; the head reassigns."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from yiwang.accounts.actor import Actor, staff_actor
from yiwang.cases import services
from yiwang.cases.models import Case, CaseTask, TaskStatus


def text(response) -> str:
    return response.content.decode()


@pytest.fixture
def accepted(people, item, upload):
    """Two accepted cases; the second is due sooner."""
    numbers = []
    for i, shop in enumerate(("甲店", "乙店")):
        applicant = Actor(user=people["citizen"])
        case, _ = services.submit(applicant, item_code=item.code, form={
            "applicant_name": "王秀英", "applicant_id": people["citizen"].id_number, "phone": "13800138000",
            "shop_name": shop, "category": "餐饮服务"},
            materials=[{"key": "application_form", "upload": upload(applicant)}], idempotency_key=f"w{i}")
        services.accept(staff_actor(people["clerk"]), case.number)
        numbers.append(case.number)
    Case.objects.filter(number=numbers[1]).update(due_at=timezone.now() - timedelta(days=1), sla_light="red")
    return numbers


def test_the_workbench_is_for_department_staff(client, login, people):
    r = client.get("/work/")
    assert r.status_code == 302 and r["Location"].startswith("/accounts/login/staff/")
    assert login(people["citizen"]).get("/work/").status_code == 403
    assert login(people["clerk"]).get("/work/").status_code == 403
    assert login(people["reviewer"]).get("/work/").status_code == 200


def test_inbox_sorted_by_deadline_with_lights_in_words(login, people, accepted):
    html = text(login(people["reviewer"]).get("/work/"))
    overdue, normal = accepted[1], accepted[0]
    assert html.index(overdue) < html.index(normal)
    assert "已超期" in html and 'data-light="red"' in html
    assert "待认领" in html


def test_claim_release_and_a_losing_claim(login, people, accepted):
    task = CaseTask.objects.get(case__number=accepted[0], step="review")
    first, second = login(people["reviewer"]), login(people["reviewer2"])
    assert first.post(f"/work/tasks/{task.pk}/", {"action": "claim"}).status_code == 302
    task.refresh_from_db()
    assert task.status == TaskStatus.CLAIMED and task.claimed_by == people["reviewer"]
    r = second.post(f"/work/tasks/{task.pk}/", {"action": "claim"})
    assert r.status_code == 409 and "该任务已被 周敏 认领" in text(r)
    r = second.post(f"/work/tasks/{task.pk}/", {"action": "release"})
    assert r.status_code == 403
    assert first.post(f"/work/tasks/{task.pk}/", {"action": "release"}).status_code == 302
    task.refresh_from_db()
    assert task.status == TaskStatus.OPEN and task.claimed_by is None


def test_the_head_sees_all_and_reassigns(login, people, accepted):
    task = CaseTask.objects.get(case__number=accepted[0], step="review")
    head = login(people["head"])
    html = text(head.get("/work/"))
    assert 'data-testid="reassign"' in html and accepted[0] in html
    r = head.post(f"/work/tasks/{task.pk}/", {"action": "reassign", "username": "reviewer2"})
    assert r.status_code == 302
    task.refresh_from_db()
    assert task.claimed_by == people["reviewer2"]
    # a reviewer cannot reassign
    r = login(people["reviewer"]).post(f"/work/tasks/{task.pk}/", {"action": "reassign", "username": "reviewer1"})
    assert r.status_code == 403


def test_other_departments_see_nothing(login, org, make_staff, accepted):
    outsider = make_staff("reviewer", org["other_dept"], username="mz_reviewer")
    html = text(login(outsider).get("/work/"))
    assert accepted[0] not in html and "暂无待办任务" in html
    task = CaseTask.objects.filter(case__number=accepted[0]).first()
    assert login(outsider).post(f"/work/tasks/{task.pk}/", {"action": "claim"}).status_code == 404
