"""Applying online (一网): the form from the item's schema, pre-filled; uploads; drafts; errors;
idempotent submission."""

from __future__ import annotations

import re
from urllib.parse import urlencode

from yiwang.cases.models import Case, CaseMaterial, IdempotencyKey, Status

from .conftest import answers, pdf_file


def text(response) -> str:
    return response.content.decode()


def test_apply_page_needs_a_login(client, item):
    r = client.get(f"/cases/apply/{item.code}/")
    assert r.status_code == 302
    assert r["Location"] == "/accounts/login/?" + urlencode({"next": f"/cases/apply/{item.code}/"})


def test_apply_page_renders_the_schema_prefilled_and_the_materials(login, people, item):
    citizen = people["citizen"]
    r = login(citizen).get(f"/cases/apply/{item.code}/")
    assert r.status_code == 200
    html = text(r)
    assert "食品经营许可" in html and "云溪区市场监督管理局" in html
    # prefilled from the real-name account
    assert re.search(r'name="f_applicant_name"[^>]*value="王秀英"', html)
    assert re.search(r'name="f_phone"[^>]*value="13800138000"', html)
    assert re.search(r'name="f_address"[^>]*value="望江路 8 号 3 栋 201 室"', html)
    # the ID number is shown masked and read-only, never in full, and not as an input
    assert citizen.masked_id_number in html and citizen.id_number not in html
    assert 'name="f_applicant_id"' not in html
    # types: enum → select, number/integer → number inputs, boolean → checkbox; required marked
    assert '<select name="f_category"' in html and "餐饮服务" in html
    assert re.search(r'type="number" name="f_floor_area"', html)
    assert re.search(r'type="checkbox" name="f_chain"', html)
    assert "店铺名称（必填）" in html and "与营业执照一致" in html
    # materials: one to upload; one from the licence library, but the guide names no licence type,
    # so nothing can be fetched for it: an upload box saying why instead of 免提交
    assert 'type="file" name="file_application_form"' in html
    assert 'type="file" name="file_id_card"' in html and 'data-testid="not-held-id_card"' in html
    assert 'data-testid="exempt-id_card"' not in html
    # a fresh idempotency key in the form
    assert re.search(r'name="idempotency_key" value="[\w-]{20,}"', html)


def test_submit_creates_one_case_with_the_identity_filled_in_by_the_server(login, people, item):
    citizen = people["citizen"]
    client = login(citizen)
    r = client.post(f"/cases/apply/{item.code}/", {**answers(f_chain="on"), "file_application_form": pdf_file()})
    case = Case.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/cases/{case.number}/submitted/"
    assert case.status == Status.SUBMITTED and case.applicant == citizen and case.channel == "web"
    assert case.number.startswith("329002") and len(case.number) == 20
    assert case.form_data == {"applicant_name": "王秀英", "applicant_id": citizen.id_number, "phone": "13800138000",
                              "address": "望江路 8 号", "shop_name": "望江小吃店", "category": "餐饮服务",
                              "floor_area": 35.5, "staff_count": 3, "chain": True}
    material = CaseMaterial.objects.get(case=case)
    assert material.material_key == "application_form" and material.source == "applicant"
    page = client.get(r["Location"])
    assert page.status_code == 200 and case.number in text(page)
    assert f'href="/cases/{case.number}/receipt.pdf"' in text(page)
    assert f'href="/cases/{case.number}/"' in text(page)


def test_a_double_submit_with_the_same_key_makes_one_case(login, people, item):
    client = login(people["citizen"])
    first = client.post(f"/cases/apply/{item.code}/", {**answers(), "file_application_form": pdf_file()})
    # the second click sends the file again (without JavaScript the file travels with the form)
    second = client.post(f"/cases/apply/{item.code}/", {**answers(), "file_application_form": pdf_file()})
    assert Case.objects.count() == 1 and IdempotencyKey.objects.count() == 1
    assert first["Location"] == second["Location"]
    follow = client.get(second["Location"])
    assert "未重复创建办件" in text(follow)


def test_a_retry_with_the_upload_token_is_also_one_case(login, people, item):
    from yiwang.accounts.actor import Actor
    from yiwang.cases import services

    citizen = people["citizen"]
    token = services.upload_material(Actor(user=citizen), name="a.pdf", data=b"%PDF-1.4 x",
                                     key="application_form").upload_token
    client = login(citizen)
    data = {**answers(), "upload_application_form": token}
    assert client.post(f"/cases/apply/{item.code}/", data).status_code == 302
    assert client.post(f"/cases/apply/{item.code}/", data).status_code == 302
    assert Case.objects.count() == 1


def test_errors_are_400_with_a_summary_nothing_created_and_everything_kept(login, people, item):
    client = login(people["citizen"])
    data = answers(f_shop_name="", f_phone="12345", f_staff_count="三个", f_category="")
    r = client.post(f"/cases/apply/{item.code}/", {**data, "file_application_form": pdf_file()})
    assert r.status_code == 400
    html = text(r)
    assert 'data-testid="error-summary"' in html and "请更正以下问题" in html
    # every problem links to its field
    assert 'href="#id_f_staff_count"' in html
    assert Case.objects.count() == 0
    # typed values and the uploaded file are kept, with the same idempotency key
    assert re.search(r'name="f_address"[^>]*value="望江路 8 号"', html)
    assert 'value="key-1"' in html
    token = CaseMaterial.objects.get().upload_token
    assert f'name="upload_application_form" value="{token}"' in html and "已上传：申请书.pdf" in html
    # correcting the form submits with the kept upload
    r = client.post(f"/cases/apply/{item.code}/", {**answers(), "upload_application_form": token})
    assert r.status_code == 302
    case = Case.objects.get()
    assert CaseMaterial.objects.get().case == case


def test_schema_errors_come_back_on_their_fields(login, people, item):
    client = login(people["citizen"])
    r = client.post(f"/cases/apply/{item.code}/", {**answers(f_phone="12345", f_shop_name=""),
                                                    "file_application_form": pdf_file()})
    assert r.status_code == 400
    html = text(r)
    assert 'href="#id_f_phone"' in html and "“联系电话”的格式不正确" in html
    assert 'href="#id_f_shop_name"' in html and "此项为必填项" in html
    assert 'aria-invalid="true"' in html
    assert Case.objects.count() == 0


def test_a_missing_material_is_an_error_on_that_material(login, people, item):
    r = login(people["citizen"]).post(f"/cases/apply/{item.code}/", answers())
    assert r.status_code == 400
    html = text(r)
    assert 'href="#id_file_application_form"' in html and "请上传“申请书”" in html
    assert Case.objects.count() == 0


def test_a_file_that_is_not_pdf_or_image_is_refused_on_its_field(login, people, item):
    r = login(people["citizen"]).post(f"/cases/apply/{item.code}/", {
        **answers(), "file_application_form": pdf_file("virus.pdf", b"MZ\x90\x00 not a pdf")})
    assert r.status_code == 400
    assert "不是 PDF、JPG 或 PNG 文件" in text(r)
    assert Case.objects.count() == 0 and CaseMaterial.objects.count() == 0


def test_save_a_draft_and_return_to_it(login, people, item):
    client = login(people["citizen"])
    r = client.post(f"/cases/apply/{item.code}/", {**answers(f_shop_name="半成品小店", f_staff_count="abc"),
                                                    "action": "draft", "file_application_form": pdf_file()})
    assert r.status_code == 302 and r["Location"] == f"/cases/apply/{item.code}/"
    draft = Case.objects.get()
    assert draft.status == Status.DRAFT and draft.number is None
    page = text(client.get(f"/cases/apply/{item.code}/"))
    assert 'data-testid="draft-loaded"' in page
    assert re.search(r'name="f_shop_name"[^>]*value="半成品小店"', page)
    assert "已上传：申请书.pdf" in page
    # 我的办件 lists the draft without a number
    mine = text(client.get("/cases/mine/"))
    assert 'data-testid="draft"' in mine and "继续填写" in mine and 'data-testid="case-row"' not in mine
    # submitting replaces the draft with a numbered case
    token = CaseMaterial.objects.get().upload_token
    r = client.post(f"/cases/apply/{item.code}/", {**answers(), "upload_application_form": token})
    assert r.status_code == 302
    case = Case.objects.get()
    assert case.status == Status.SUBMITTED and case.number


def test_staff_cannot_apply_online(login, people, item):
    r = login(people["clerk"]).get(f"/cases/apply/{item.code}/")
    assert r.status_code == 403


def test_unknown_item_is_404(login, people):
    assert login(people["citizen"]).get("/cases/apply/NOPE/").status_code == 404


def test_enterprise_agent_gets_enterprise_data_prefilled(login, org, make_citizen, make_item):
    from yiwang.accounts.models import Enterprise, EnterpriseMember
    from yiwang.core.identity import make_uscc

    ent = Enterprise.objects.create(uscc=make_uscc("91", "329002", "MA123456"), name="云溪望江餐饮有限公司",
                                    legal_representative="钱芳", address="云溪区江滨大道 99 号")
    agent = make_citizen(name="钱芳")
    EnterpriseMember.objects.create(enterprise=ent, user=agent, kind="legal_rep")
    item = make_item(org["dept"], name="食品经营许可（企业）", schema={
        "type": "object",
        "properties": {"enterprise_name": {"type": "string", "title": "企业名称"},
                       "uscc": {"type": "string", "title": "统一社会信用代码", "format": "uscc"},
                       "legal_rep": {"type": "string", "title": "法定代表人"},
                       "business_address": {"type": "string", "title": "经营场所地址"}},
        "required": ["enterprise_name", "uscc"]}, materials=[])
    client = login(agent, enterprise=ent)
    html = text(client.get(f"/cases/apply/{item.code}/"))
    assert re.search(r'name="f_enterprise_name"[^>]*value="云溪望江餐饮有限公司"', html)
    assert re.search(r'name="f_legal_rep"[^>]*value="钱芳"', html)
    assert ent.uscc in html and 'name="f_uscc"' not in html
    r = client.post(f"/cases/apply/{item.code}/", {"f_enterprise_name": ent.name, "f_legal_rep": "钱芳",
                                                   "idempotency_key": "e1", "action": "submit"})
    assert r.status_code == 302, re.findall(r"<li>.*?</li>", text(r))[:5]
    case = Case.objects.get()
    assert case.enterprise == ent and case.form_data["uscc"] == ent.uscc


def test_bundle_apply_page_and_submission(login, org, people, make_item):
    from yiwang.catalog.models import Bundle, BundleItem

    a = make_item(org["dept"], name="食品经营许可", materials=[("application_form", "申请书", True, "applicant")])
    b = make_item(org["other_dept"], name="户外招牌设置", materials=[("application_form", "申请书", True, "applicant")])
    bundle = Bundle.objects.create(code="open-restaurant", name="我要开餐馆", life_event="startup",
                                   department=org["dept"], status="published")
    BundleItem.objects.create(bundle=bundle, item=a, order=1)
    BundleItem.objects.create(bundle=bundle, item=b, order=2)
    client = login(people["citizen"])
    page = client.get("/cases/apply/bundle/open-restaurant/")
    assert page.status_code == 200
    html = text(page)
    assert "我要开餐馆" in html and html.count('type="file" name="file_application_form"') == 1  # asked once
    r = client.post("/cases/apply/bundle/open-restaurant/", {"f_shop_name": "望江小吃店", "idempotency_key": "b1",
                                                             "action": "submit", "file_application_form": pdf_file()})
    assert r.status_code == 302, text(r)
    parent = Case.objects.get(parent__isnull=True)
    assert parent.bundle_code == "open-restaurant" and parent.children.count() == 2


def test_a_material_may_have_several_pages(login, people, item):
    client = login(people["citizen"])
    r = client.post(f"/cases/apply/{item.code}/", {**answers(), "file_application_form": [
        pdf_file("第1页.pdf"), pdf_file("第2页.pdf")]})
    assert r.status_code == 302
    case = Case.objects.get()
    assert sorted(case.materials.values_list("name", flat=True)) == ["第1页.pdf", "第2页.pdf"]
    assert set(case.materials.values_list("material_key", flat=True)) == {"application_form"}


def test_guide_pages_can_link_to_the_apply_pages(login, people, item):
    from django.urls import reverse

    assert reverse("cases-apply", kwargs={"code": item.code}) == f"/cases/apply/{item.code}/"
    assert reverse("cases-apply-bundle", kwargs={"code": "b1"}) == "/cases/apply/bundle/b1/"
    r = login(people["citizen"]).get("/cases/apply/b1/?bundle=1")
    assert r.status_code == 302 and r["Location"] == "/cases/apply/bundle/b1/"
