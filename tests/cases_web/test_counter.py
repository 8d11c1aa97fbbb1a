"""The counter (一窗): the clerk's workspace, filing an application for a walk-in citizen that is
accepted at once, and handing out results (统一窗口出件)."""

from __future__ import annotations

import re

from yiwang.accounts.actor import Actor, staff_actor
from yiwang.cases import queue, services
from yiwang.cases.models import Case, CaseMaterial, QueueTicket, Status

from .conftest import answers, pdf_file


def text(response) -> str:
    return response.content.decode()


def test_counter_is_for_clerks(client, login, people):
    r = client.get("/counter/")
    assert r.status_code == 302 and r["Location"].startswith("/accounts/login/staff/")
    assert login(people["citizen"]).get("/counter/").status_code == 403
    assert login(people["reviewer"]).get("/counter/").status_code == 403
    html = text(login(people["clerk"]).get("/counter/"))
    assert "云溪区政务服务中心" in html and 'data-testid="call-next"' in html


def test_lookup_by_id_number(login, people):
    clerk = login(people["clerk"])
    r = clerk.post("/counter/citizen/", {"id_number": "123"})
    assert r.status_code == 400 and 'href="#lookup-id"' in text(r)
    r = clerk.post("/counter/citizen/", {"id_number": "110101199003071234"[:17] + "X"})
    assert r.status_code in (400, 404)
    r = clerk.post("/counter/citizen/", {"id_number": people["citizen"].id_number})
    assert r.status_code == 302
    html = text(clerk.get("/counter/"))
    assert people["citizen"].masked_id_number in html and people["citizen"].id_number not in html


def test_filing_for_a_walk_in_citizen_is_accepted_at_once(login, people, item):
    from yiwang.core.models import AuditEvent

    citizen = people["citizen"]
    clerk = login(people["clerk"])
    # without an identified citizen the form is not offered
    assert clerk.get(f"/counter/apply/{item.code}/")["Location"].startswith("/counter/")
    clerk.post("/counter/citizen/", {"id_number": citizen.id_number})
    search = text(clerk.get("/counter/", {"q": "食品"}))
    assert f'href="/counter/apply/{item.code}/"' in search
    page = clerk.get(f"/counter/apply/{item.code}/")
    assert page.status_code == 200
    html = text(page)
    assert "窗口代办" in html and citizen.masked_id_number in html and citizen.id_number not in html
    assert re.search(r'name="f_applicant_name"[^>]*value="王秀英"', html)
    assert "提交并受理" in html and "保存草稿" not in html
    r = clerk.post(f"/counter/apply/{item.code}/", {**answers(idempotency_key="ck1"),
                                                    "file_application_form": pdf_file("扫描件.pdf")})
    assert r.status_code == 302
    case = Case.objects.get()
    assert r["Location"] == f"/cases/{case.number}/submitted/"
    assert case.applicant == citizen and case.channel == "counter" and case.status == Status.IN_REVIEW
    assert case.due_at and case.place == people["clerk"].roles.get().place
    assert CaseMaterial.objects.get(case=case).source == "counter_scan"
    assert [e.action for e in case.events.order_by("at", "id")] == ["submit", "accept"]
    assert AuditEvent.objects.filter(action="counter.applicant_identified").exists()
    done = text(clerk.get(r["Location"]))
    assert "已受理" in done and "打印受理回执" in done
    receipt = clerk.get(f"/cases/{case.number}/receipt.pdf")
    assert receipt.status_code == 200 and receipt.content.startswith(b"%PDF")
    # the same form again (a retry) does not create a second case
    again = clerk.post(f"/counter/apply/{item.code}/", {**answers(idempotency_key="ck1"),
                                                        "file_application_form": pdf_file("扫描件.pdf")})
    assert again.status_code == 302 and Case.objects.count() == 1
    # the citizen sees it under 我的办件
    assert case.number in text(login(citizen).get("/cases/mine/"))


def test_counter_form_errors_are_400_and_nothing_is_created(login, people, item):
    clerk = login(people["clerk"])
    clerk.post("/counter/citizen/", {"id_number": people["citizen"].id_number})
    r = clerk.post(f"/counter/apply/{item.code}/", answers(f_shop_name="", idempotency_key="ck2"))
    assert r.status_code == 400 and 'data-testid="error-summary"' in text(r)
    assert Case.objects.count() == 0


def test_counter_submission_is_linked_to_the_called_ticket(login, people, item, org):
    ticket, _ = queue.take_ticket(org["centre"], people["citizen"].id_number)
    clerk = login(people["clerk"])
    assert clerk.post("/counter/queue/", {"action": "call"}).status_code == 302
    assert clerk.post("/counter/queue/", {"action": "start", "ticket": ticket.pk}).status_code == 302
    # the clerk checks the person's ID card: the application is filed for them
    clerk.post("/counter/citizen/", {"id_number": people["citizen"].id_number})
    clerk.post(f"/counter/apply/{item.code}/", {**answers(idempotency_key="ck3"), "file_application_form": pdf_file()})
    ticket.refresh_from_db()
    case = Case.objects.get()
    assert ticket.case == case and ticket.status == QueueTicket.Status.SERVING
    assert clerk.post("/counter/queue/", {"action": "finish", "ticket": ticket.pk}).status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == QueueTicket.Status.DONE


def test_delivery_list_and_pickup(login, people, item, upload):
    applicant = Actor(user=people["citizen"])
    case, _ = services.submit(applicant, item_code=item.code, form={
        "applicant_name": "王秀英", "applicant_id": people["citizen"].id_number, "phone": "13800138000",
        "shop_name": "望江小吃店", "category": "餐饮服务"},
        materials=[{"key": "application_form", "upload": upload(applicant)}], idempotency_key="d1")
    services.accept(staff_actor(people["clerk"]), case.number)
    services.review(staff_actor(people["reviewer"]), case.number, "同意")
    services.decide(staff_actor(people["head"]), case.number, True, "")
    clerk = login(people["clerk2"])  # any clerk of any place hands out results
    html = text(clerk.get("/counter/"))
    assert case.number in html and 'data-testid="deliver-pickup"' in html
    r = clerk.post(f"/cases/{case.number}/act/", {"action": "deliver", "method": "pickup", "next": "/counter/"})
    assert r.status_code == 302 and r["Location"] == "/counter/"
    assert Case.objects.get(pk=case.pk).status == Status.DELIVERED


def test_the_counter_form_shows_the_walk_ins_licence_as_fetched_not_to_scan(login, people, org, make_item):
    """At the counter the clerk sees, for the identified walk-in, the same 免提交 preview as online:
    the citizen's own ID-card licence (name, identifier, issuing department) in place of a scan box;
    with the walk-in's consent it is fetched from the licence library at acceptance."""
    from yiwang.catalog.models import Material
    from yiwang.core.identity import make_uscc
    from yiwang.core.models import Department
    from yiwang.exchange.models import QueryLog
    from yiwang.licences import services as licences
    from yiwang.licences.models import LicenceType

    police = Department.objects.create(code="YX-GA", name="江东市公安局云溪分局", short_name="云溪公安分局",
                                       uscc=make_uscc("11", "329002", "MB000011"), division=org["district"])
    LicenceType.objects.create(code="JMSFZ", name="居民身份证", holder_kind="person", issuer=police, validity_years=20)
    item = make_item(org["dept"], materials=[("application_form", "申请书", True, "applicant"),
                                             ("id_card", "申请人居民身份证", True, "licence")])
    Material.objects.filter(version=item.current, key="id_card").update(source_ref="JMSFZ", source_name="居民身份证")
    walk_in, other = people["citizen"], people["other"]
    licence = licences.issue(type_code="JMSFZ", user=walk_in, data={"address": "望江路 8 号"})

    clerk = login(people["clerk"])
    clerk.post("/counter/citizen/", {"id_number": walk_in.id_number})
    html = text(clerk.get(f"/counter/apply/{item.code}/"))
    assert 'data-testid="exempt-id_card"' in html
    preview = re.search(r'data-testid="fetched-id_card".*?</dl>', html, re.S).group(0)
    assert "居民身份证" in preview and licence.identifier in preview and "江东市公安局云溪分局" in preview
    assert 'name="file_id_card"' not in html and 'name="file_application_form"' in html  # only the form is scanned
    assert "办事人同意本次办理调取其电子证照和部门共享数据" in html
    assert walk_in.id_number not in html and not QueryLog.objects.exists()  # looking fetches nothing

    r = clerk.post(f"/counter/apply/{item.code}/", {**answers(idempotency_key="ck-licence"),
                                                    "file_application_form": pdf_file("扫描件.pdf"),
                                                    "consent_data_sharing": "1"})
    assert r.status_code == 302
    case = Case.objects.get()
    assert case.status == Status.IN_REVIEW and case.consent_data_sharing
    fetched = CaseMaterial.objects.get(case=case, material_key="id_card")
    assert fetched.source == "licence" and licence.identifier in fetched.name
    log = QueryLog.objects.get(case_number=case.number)
    assert (log.kind, log.resource_code, log.outcome, log.channel) == ("licence", "JMSFZ", "ok", "pipeline")
    detail = text(clerk.get(f"/cases/{case.number}/"))
    assert re.search(r'data-testid="material-id_card" data-source="licence">[^<]*从电子证照库调取', detail)

    # another walk-in without that licence: the clerk is told so and gets a scan box for it
    clerk.post("/counter/citizen/", {"id_number": other.id_number})
    html = text(clerk.get(f"/counter/apply/{item.code}/"))
    assert 'name="file_id_card"' in html and 'data-testid="exempt-id_card"' not in html
    assert "电子证照库中没有申请人有效的“居民身份证”" in html
