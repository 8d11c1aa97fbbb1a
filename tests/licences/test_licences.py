"""Electronic licences: GB/T 36904 identifiers, issuing, signed PDFs, verification, revocation."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
from django.utils import timezone

from yiwang.accounts.actor import Actor, staff_actor
from yiwang.licences import identifier as ident
from yiwang.licences import services, signing
from yiwang.licences.models import Licence, LicenceType


@pytest.fixture(autouse=True)
def _ca_in_tmp(settings, tmp_path):
    settings.LICENCE_CA_DIR = tmp_path / "ca"
    signing._materials.cache_clear()
    yield
    signing._materials.cache_clear()


@pytest.fixture
def types(org):
    food = LicenceType.objects.create(code="SPJYXKZ", name="食品经营许可证", holder_kind="organisation",
                                      issuer=org["dept"], validity_years=5,
                                      fields=[{"key": "address", "label": "经营场所"}])
    marriage = LicenceType.objects.create(code="JHZ", name="结婚证", holder_kind="person", issuer=org["other_dept"])
    return {"food": food, "marriage": marriage}


@pytest.fixture
def enterprise(db, make_citizen):
    from yiwang.accounts.models import Enterprise, EnterpriseMember
    from yiwang.core.identity import make_uscc

    boss = make_citizen(name="王芳")
    ent = Enterprise.objects.create(uscc=make_uscc("91", "329002", "MA1YX001"), name="江东云溪望江小吃店有限公司",
                                    legal_representative="王芳")
    EnterpriseMember.objects.create(enterprise=ent, user=boss, kind="legal_rep")
    ent.boss = boss
    return ent


# -- identifiers ---------------------------------------------------------------------------------
def test_mod_37_36_matches_the_published_vector():
    assert ident.mod_37_36_check("A12425GABC1234002") == "M"  # ISO/IEC 7064 example
    assert ident.mod_37_36_valid("A12425GABC1234002M")
    assert not ident.mod_37_36_valid("A12425GABC1234002N")


def test_identifier_round_trip_and_rejects_a_wrong_check_character():
    built = ident.build("SPJYXKZ", "11329002MB0000012X", "20260000001", 1)
    text = str(built)
    assert text.startswith("1.2.156.3005.2.SPJYXKZ.11329002MB0000012X.20260000001.001.")
    assert ident.parse(text) == built
    wrong = text[:-1] + ("0" if text[-1] != "0" else "1")
    assert ident.parse(wrong) is None
    assert ident.parse("1.2.156.3005.2.SPJYXKZ") is None
    assert ident.parse("<script>") is None


# -- issuing and PDFs ----------------------------------------------------------------------------
def test_issue_to_an_enterprise_with_validity_and_audit(types, enterprise):
    from yiwang.core.models import AuditEvent

    lic = services.issue(type_code="SPJYXKZ", enterprise=enterprise, data={"address": "望江路 8 号"})
    assert ident.parse(lic.identifier) is not None
    assert lic.valid_until == lic.valid_from.replace(year=lic.valid_from.year + 5)
    assert lic.holder_code == enterprise.uscc and lic.state() == "valid"
    assert AuditEvent.objects.filter(action="licence.issued", object_id=str(lic.pk)).exists()


def test_issue_refuses_the_wrong_kind_of_holder(types, make_citizen):
    from yiwang.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as err:
        services.issue(type_code="SPJYXKZ", user=make_citizen())
    assert err.value.code == "holder_kind_mismatch"


def test_signed_pdf_verifies_and_any_alteration_is_caught(types, enterprise):
    lic = services.issue(type_code="SPJYXKZ", enterprise=enterprise, data={"address": "望江路 8 号"})
    pdf = services.ensure_pdf(lic, "https://zwfw.example/licences/verify/" + lic.identifier)
    assert pdf.startswith(b"%PDF")
    check = signing.verify_pdf(pdf)
    assert (check.ok, check.code, check.identifier) == (True, "valid", lic.identifier)
    # the same bytes are served again (signed once, kept)
    assert services.ensure_pdf(Licence.objects.get(pk=lic.pk), "x") == pdf

    altered = bytearray(pdf)
    pos = altered.find(b"/Title")
    altered[pos + 10] = (altered[pos + 10] + 1) % 256 or 65
    assert signing.verify_pdf(bytes(altered)).code in ("altered", "unreadable")

    appended = pdf + b"\n% appended after signing\n"
    assert signing.verify_pdf(appended).ok is False

    assert signing.verify_pdf(b"not a pdf at all").code == "unreadable"


def test_a_pdf_signed_by_another_authority_is_untrusted(types, enterprise, tmp_path, settings):
    lic = services.issue(type_code="SPJYXKZ", enterprise=enterprise)
    ours = services.ensure_pdf(lic, "https://x/")
    settings.LICENCE_CA_DIR = tmp_path / "other-ca"  # someone else's CA signs a copy
    signing._materials.cache_clear()
    from pyhanko.pdf_utils.reader import PdfFileReader  # noqa: F401 - pyhanko present

    from yiwang.licences import pdf as render

    forged = signing.sign_pdf(render.render(lic, "https://x/", masked_holder_code=lic.holder_code))
    other_view = signing.verify_pdf(forged)
    assert other_view.ok  # valid for its own CA …
    settings.LICENCE_CA_DIR = tmp_path / "ca"
    signing._materials.cache_clear()
    assert signing.verify_pdf(ours).ok
    assert signing.verify_pdf(forged).code == "untrusted"  # … but not ours


def test_unsigned_pdf_is_refused(types, enterprise):
    from yiwang.licences import pdf as render

    lic = services.issue(type_code="SPJYXKZ", enterprise=enterprise)
    raw = render.render(lic, "https://x/", masked_holder_code="***")
    assert signing.verify_pdf(raw).code == "unsigned"


# -- verification pages ------------------------------------------------------------------------
def test_verify_page_states_and_masking(client, types, make_citizen):
    person = make_citizen(name="李小红")
    lic = services.issue(type_code="JHZ", user=person, data={"spouse": "赵强"})
    url = f"/licences/verify/{lic.identifier}"
    body = client.get(url, HTTP_ACCEPT="application/json").json()
    assert body["status"] == "valid" and body["holder"] == "李**"
    assert person.id_number not in json.dumps(body) and body["holder_code"].count("*") == 10
    html = client.get(url).content.decode()
    assert "有效" in html and person.id_number not in html and "李小红" not in html

    Licence.objects.filter(pk=lic.pk).update(valid_until=timezone.localdate() - timedelta(days=1))
    assert client.get(url, HTTP_ACCEPT="application/json").json()["status"] == "expired"
    Licence.objects.filter(pk=lic.pk).update(status="revoked", revoked_at=timezone.now())
    assert client.get(url, HTTP_ACCEPT="application/json").json()["status"] == "revoked"

    r = client.get(url[:-1] + ("0" if url[-1] != "0" else "1"), HTTP_ACCEPT="application/json")
    assert r.status_code == 404 and r.json()["status"] == "unknown"
    unknown = str(ident.build("JHZ", "11329002MB0000099X", "20990000001", 1))
    r = client.get(f"/licences/verify/{unknown}", HTTP_ACCEPT="application/json")
    assert r.status_code == 404 and "没有该证照" in r.json()["reason"]


def test_upload_verification_reports_altered_and_valid_files(client, types, enterprise):
    lic = services.issue(type_code="SPJYXKZ", enterprise=enterprise)
    pdf = services.ensure_pdf(lic, "https://x/")
    ok = client.post("/licences/verify/", {"file": io.BytesIO(pdf)}, HTTP_ACCEPT="application/json")
    assert ok.status_code == 200 and ok.json()["ok"] and ok.json()["licence"]["status"] == "valid"
    bad = bytearray(pdf)
    bad[len(bad) // 3] ^= 0x01
    r = client.post("/licences/verify/", {"file": io.BytesIO(bytes(bad))}, HTTP_ACCEPT="application/json")
    assert r.status_code == 422 and r.json()["ok"] is False and r.json()["code"] in ("altered", "unreadable")
    page = client.post("/licences/verify/", {"file": io.BytesIO(bytes(bad))})
    assert page.status_code == 422 and "✖" in page.content.decode()


# -- revocation, wallet, download --------------------------------------------------------------
def test_only_the_issuing_department_revokes_with_a_reason(api, types, enterprise, org, make_staff):
    from yiwang.core.models import AuditEvent

    lic = services.issue(type_code="SPJYXKZ", enterprise=enterprise)
    outsider = make_staff("reviewer", org["other_dept"], username="outsider")
    tok = api.token(outsider.username, otp=outsider.totp())
    r = api.post(f"/api/v1/licences/{lic.identifier}/revoke", {"reason": "吊销"}, token=tok)
    assert r.status_code == 403 and r.json()["code"] == "forbidden"
    issuer = make_staff("reviewer", org["dept"], username="issuer")
    tok = api.token(issuer.username, otp=issuer.totp())
    r = api.post(f"/api/v1/licences/{lic.identifier}/revoke", {"reason": "  "}, token=tok)
    assert r.status_code == 422 and r.json()["code"] == "reason_required"
    r = api.post(f"/api/v1/licences/{lic.identifier}/revoke", {"reason": "经营者申请注销"}, token=tok)
    assert r.status_code == 200 and r.json()["status"] == "revoked"
    assert AuditEvent.objects.filter(action="licence.revoked", object_id=str(lic.pk)).exists()
    again = api.post(f"/api/v1/licences/{lic.identifier}/revoke", {"reason": "再次"}, token=tok)
    assert again.status_code == 409


def test_wallet_and_download_are_the_holders_only(client, api, types, enterprise, make_citizen):
    mine = services.issue(type_code="JHZ", user=make_citizen(name="周敏"))
    other_person = make_citizen(name="吴昊")
    services.issue(type_code="JHZ", user=other_person)
    client.force_login(mine.holder_user)
    page = client.get("/licences/mine/").content.decode()
    assert mine.number in page and "吴昊" not in page
    r = client.get(f"/licences/{mine.identifier}/pdf")
    assert r.status_code == 200 and r.content.startswith(b"%PDF")
    client.force_login(other_person)
    assert client.get(f"/licences/{mine.identifier}/pdf").status_code == 404
    tok = api.token(other_person.id_number)
    listed = api.get("/api/v1/licences", token=tok).json()
    assert [x["number"] for x in listed] != [] and mine.number not in [x["number"] for x in listed]


def test_an_approved_case_issues_its_licence_once(types, org, make_citizen, make_staff, make_item, upload):
    from yiwang.cases import services as cases

    item = make_item(org["dept"], licence_type="JHZ", promised=5)
    applicant = Actor(user=make_citizen(name="郑洁"))
    token = upload(applicant)
    case, _ = cases.submit(applicant, item_code=item.code, form={"shop_name": "x"},
                           materials=[{"key": "application_form", "upload": token}], idempotency_key="lic-1")
    clerk = staff_actor(make_staff("clerk", org["centre"]))
    cases.accept(clerk, case.number)
    cases.review(staff_actor(make_staff("reviewer", org["dept"])), case.number, "符合条件")
    case = cases.decide(staff_actor(make_staff("dept_head", org["dept"], username="h")), case.number, True, "")
    licence = Licence.objects.filter(case=case).first()  # issued automatically with the approval
    assert licence is not None and licence.holder_user_id == applicant.user.pk and licence.type.code == "JHZ"
    assert services.issue_for_case(case).pk == licence.pk
    assert Licence.objects.filter(case=case).count() == 1


def test_an_intact_file_of_an_expired_or_revoked_licence_is_refused_and_logged(client, types, make_citizen, caplog):
    """Issue #5's bad inputs at the verification desk: an altered PDF, and an intact PDF whose licence
    has expired or been revoked since, are each refused (422) with a precise reason, and logged."""
    person = make_citizen(name="孙丽")
    lic = services.issue(type_code="JHZ", user=person, data={"spouse": "赵强"})
    pdf = services.ensure_pdf(lic, "https://x/")

    def post(data: bytes):
        with caplog.at_level("WARNING", logger="yiwang.licences"):
            return client.post("/licences/verify/", {"file": io.BytesIO(data)}, HTTP_ACCEPT="application/json")

    def refusals() -> list[str]:
        return [r.getMessage() for r in caplog.records if r.levelname == "WARNING" and "refused" in r.getMessage()]

    assert post(pdf).json()["ok"] is True and refusals() == []
    altered = bytearray(pdf)
    altered[len(altered) // 2] ^= 0x01
    r = post(bytes(altered))
    assert r.status_code == 422 and r.json()["code"] in ("altered", "unreadable")
    assert len(refusals()) == 1 and r.json()["code"] in refusals()[0]

    caplog.clear()
    Licence.objects.filter(pk=lic.pk).update(valid_until=timezone.localdate() - timedelta(days=3))
    r = post(pdf)
    body = r.json()
    assert r.status_code == 422 and body["ok"] is False and body["code"] == "licence_expired"
    assert (timezone.localdate() - timedelta(days=3)).isoformat() in body["message"]
    assert body["licence"]["status"] == "expired" and person.name not in r.content.decode()
    assert len(refusals()) == 1 and "licence_expired" in refusals()[0] and lic.identifier in refusals()[0]

    Licence.objects.filter(pk=lic.pk).update(valid_until=None, status="revoked", revoked_at=timezone.now(),
                                             revoke_reason="婚姻登记撤销")
    r = post(pdf)
    assert r.status_code == 422 and r.json()["code"] == "licence_revoked" and "婚姻登记撤销" in r.json()["message"]
    page = client.post("/licences/verify/", {"file": io.BytesIO(pdf)})
    assert page.status_code == 422 and 'data-code="licence_revoked"' in page.content.decode()
