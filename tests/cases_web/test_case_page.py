"""The case page (我的办件 and the staff view): scoping, timeline, what is needed from the applicant,
staff actions through services.perform (a refused move is a 409 with its message), receipts and
the process model."""

from __future__ import annotations

import io

import pytest

from yiwang.accounts.actor import Actor, staff_actor
from yiwang.cases import services
from yiwang.cases.models import Case, Status


def text(response) -> str:
    return response.content.decode()


@pytest.fixture
def submitted(people, item, upload):
    applicant = Actor(user=people["citizen"])
    case, _ = services.submit(applicant, item_code=item.code, form={
        "applicant_name": "王秀英", "applicant_id": people["citizen"].id_number, "phone": "13800138000",
        "shop_name": "望江小吃店", "category": "餐饮服务"},
        materials=[{"key": "application_form", "upload": upload(applicant)}], idempotency_key="k1")
    return case


def pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)


def test_mine_lists_my_cases_with_status_and_light(login, people, submitted):
    html = text(login(people["citizen"]).get("/cases/mine/"))
    assert submitted.number in html and "待受理" in html
    # another citizen sees none of it
    assert submitted.number not in text(login(people["other"]).get("/cases/mine/"))


def test_case_page_is_scoped(client, login, people, submitted):
    path = f"/cases/{submitted.number}/"
    assert client.get(path).status_code == 302
    assert login(people["other"]).get(path).status_code == 404
    assert login(people["other"]).get(path + "receipt.pdf").status_code == 404
    page = login(people["citizen"]).get(path)
    assert page.status_code == 200
    html = text(page)
    assert "办理过程" in html and "提交" in html and "待受理" in html
    assert 'data-testid="staff-actions"' not in html


def test_other_departments_do_not_see_the_case(login, org, make_staff, submitted):
    outsider = make_staff("reviewer", org["other_dept"], username="mz_reviewer")
    assert login(outsider).get(f"/cases/{submitted.number}/").status_code == 404


def test_receipt_is_a_pdf_with_the_case_number(login, people, submitted):
    r = login(people["citizen"]).get(f"/cases/{submitted.number}/receipt.pdf")
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    assert r.content.startswith(b"%PDF")
    content = pdf_text(r.content)
    assert submitted.number in content
    assert people["citizen"].masked_id_number in content and people["citizen"].id_number not in content


def test_receipt_after_acceptance_has_deadline_and_materials(login, people, submitted):
    from yiwang.cases import receipts

    services.accept(staff_actor(people["clerk"]), submitted.number)
    case = Case.objects.get(pk=submitted.pk)
    data = receipts.receipt_pdf(case, tracking_url=f"http://testserver/cases/{case.number}/", compress=False)
    assert data.startswith(b"%PDF")
    content = pdf_text(data)
    assert case.number in content and f"http://testserver/cases/{case.number}/" in content
    assert b"STSong-Light" in data  # the built-in CID font for Chinese


def test_clerk_accepts_from_the_case_page_and_a_second_accept_is_a_409(login, people, submitted):
    clerk = login(people["clerk"])
    r = clerk.post(f"/cases/{submitted.number}/act/", {"action": "accept", "opinion": "材料齐全"})
    assert r.status_code == 302
    case = Case.objects.get(pk=submitted.pk)
    assert case.status == Status.IN_REVIEW and case.due_at and case.place == people["clerk"].roles.get().place
    r = clerk.post(f"/cases/{submitted.number}/act/", {"action": "accept"})
    assert r.status_code == 409
    assert "办件当前状态为“办理中”，不能执行“受理”。" in text(r)
    assert 'data-code="illegal_transition"' in text(r)


def test_a_stale_page_is_a_409(login, people, submitted):
    r = login(people["clerk"]).post(f"/cases/{submitted.number}/act/", {"action": "accept", "expected_version": "99"})
    assert r.status_code == 409 and "办件已被他人更新" in text(r)


def test_refusing_without_a_reason_is_a_400(login, people, submitted):
    r = login(people["clerk"]).post(f"/cases/{submitted.number}/act/", {"action": "refuse", "opinion": " "})
    assert r.status_code == 400 and "不予受理必须说明理由" in text(r)
    assert Case.objects.get(pk=submitted.pk).status == Status.SUBMITTED


def test_a_citizen_cannot_accept(login, people, submitted):
    r = login(people["citizen"]).post(f"/cases/{submitted.number}/act/", {"action": "accept"})
    assert r.status_code == 403
    assert Case.objects.get(pk=submitted.pk).status == Status.SUBMITTED


def test_actions_need_post(login, people, submitted):
    assert login(people["clerk"]).get(f"/cases/{submitted.number}/act/").status_code == 405


def test_full_flow_through_the_pages(login, people, submitted):
    number = submitted.number
    clerk, reviewer, head, citizen = (login(people[k]) for k in ("clerk", "reviewer", "head", "citizen"))
    assert clerk.post(f"/cases/{number}/act/", {"action": "accept"}).status_code == 302
    # the reviewer sees the review form and the process diagram container
    page = text(reviewer.get(f"/cases/{number}/"))
    assert 'data-testid="action-review"' in page and 'data-bpmn-url="/cases/%s/process.bpmn"' % number in page
    assert 'data-current="review"' in page
    r = reviewer.post(f"/cases/{number}/act/", {"action": "review", "opinion": "材料齐全，符合条件"})
    assert r.status_code == 302
    assert 'data-testid="action-approve"' in text(head.get(f"/cases/{number}/"))
    assert head.post(f"/cases/{number}/act/", {"action": "approve", "opinion": ""}).status_code == 302
    assert Case.objects.get(number=number).status == Status.APPROVED
    # the clerk hands it out (统一窗口出件)
    assert clerk.post(f"/cases/{number}/act/", {"action": "deliver", "method": "pickup", "next": "/counter/"})[
        "Location"] == "/counter/"
    html = text(citizen.get(f"/cases/{number}/"))
    assert "已出件" in html and "窗口领取" in html
    for step in ("提交", "受理", "审查意见", "准予许可", "出件"):
        assert step in html
    assert "材料齐全，符合条件" in html and "云溪区市场监督管理局" in html


def test_correction_notice_and_resubmit(login, people, submitted):
    from .conftest import pdf_file

    number = submitted.number
    clerk = login(people["clerk"])
    r = clerk.post(f"/cases/{number}/act/", {"action": "request_correction", "materials": ["申请书"],
                                             "items": "经营场所平面图\n\n健康证明", "opinion": "请补齐"})
    assert r.status_code == 302
    case = Case.objects.get(number=number)
    assert case.status == Status.CORRECTION and case.correction_items == ["申请书", "经营场所平面图", "健康证明"]
    citizen = login(people["citizen"])
    html = text(citizen.get(f"/cases/{number}/"))
    assert 'data-testid="correction"' in html and "经营场所平面图" in html
    notice = citizen.get(f"/cases/{number}/notice.pdf")
    assert notice.status_code == 200 and notice.content.startswith(b"%PDF") and number in pdf_text(notice.content)
    # an empty resubmission is refused with a message
    r = citizen.post(f"/cases/{number}/resubmit/", {})
    assert r.status_code == 400 and "请上传补正后的材料" in text(r)
    r = citizen.post(f"/cases/{number}/resubmit/", {"file_application_form": pdf_file("新申请书.pdf")})
    assert r.status_code == 302
    case = Case.objects.get(number=number)
    assert case.status == Status.SUBMITTED
    assert case.materials.filter(superseded=False, name="新申请书.pdf").exists()


def test_payment_with_the_sandbox_button(login, org, people, make_item, upload):
    item = make_item(org["dept"], name="特种设备使用登记", fee=50, case_type="1", promised=0)
    applicant = Actor(user=people["citizen"])
    case, _ = services.submit(applicant, item_code=item.code, form={"shop_name": "x"},
                              materials=[{"key": "application_form", "upload": upload(applicant)}], idempotency_key="p")
    services.accept(staff_actor(people["clerk"]), case.number)
    services.decide(staff_actor(people["reviewer"]), case.number, True, "")
    citizen = login(people["citizen"])
    html = text(citizen.get(f"/cases/{case.number}/"))
    assert 'data-testid="payment"' in html and "50" in html
    assert citizen.post(f"/cases/{case.number}/pay/").status_code == 302
    case.refresh_from_db()
    assert case.status == Status.APPROVED and case.paid_at
    r = citizen.post(f"/cases/{case.number}/pay/")
    assert r.status_code == 409 and "已缴费" in text(r)


def test_withdraw(login, people, submitted):
    r = login(people["citizen"]).post(f"/cases/{submitted.number}/act/", {"action": "withdraw", "opinion": "不办了"})
    assert r.status_code == 302
    assert Case.objects.get(pk=submitted.pk).status == Status.WITHDRAWN


def test_process_model_xml_is_access_checked(login, people, submitted):
    path = f"/cases/{submitted.number}/process.bpmn"
    assert login(people["citizen"]).get(path).status_code == 404  # not accepted yet: no process
    services.accept(staff_actor(people["clerk"]), submitted.number)
    r = login(people["citizen"]).get(path)
    assert r.status_code == 200 and r["Content-Type"].startswith("application/xml")
    assert b"bpmndi:BPMNDiagram" in r.content
    assert login(people["other"]).get(path).status_code == 404


@pytest.mark.parametrize("target", ["//evil.example/x", "/\\evil.example/x", "https://evil.example/"])
def test_next_never_leaves_the_site(login, people, submitted, target):
    r = login(people["clerk"]).post(f"/cases/{submitted.number}/act/", {"action": "accept", "next": target})
    assert r.status_code == 302 and r["Location"] == f"/cases/{submitted.number}/"
