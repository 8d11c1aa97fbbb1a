"""A double click, a retried request or a flaky network never creates two cases: POST /api/v1/cases
carries an Idempotency-Key; the same key and request answer the first case again (200, not 201)."""

from __future__ import annotations

import pytest
from django.test import Client

from yiwang.cases.models import Case, CaseEvent, CaseMaterial, IdempotencyKey

from .flows import FORM, in_threads


def _body(item, token, form=None):
    return {"item_code": item.code, "form": FORM if form is None else form,
            "materials": [{"key": "application_form", "upload": token}]}


@pytest.mark.django_db
def test_same_key_same_request_returns_the_same_case(flow):
    item = flow.item()
    body = _body(item, flow.upload())
    first = flow.post("citizen", "/api/v1/cases", body, headers={"Idempotency-Key": "dbl-click-1"})
    assert first.status_code == 201, first.content
    again = flow.post("citizen", "/api/v1/cases", body, headers={"Idempotency-Key": "dbl-click-1"})
    assert again.status_code == 200
    assert again.json()["number"] == first.json()["number"]
    assert Case.objects.count() == 1 and IdempotencyKey.objects.count() == 1
    assert CaseEvent.objects.filter(action="submit").count() == 1


@pytest.mark.django_db
def test_same_key_different_request_is_a_conflict(flow):
    item = flow.item()
    token = flow.upload()
    first = flow.post("citizen", "/api/v1/cases", _body(item, token), headers={"Idempotency-Key": "k-1"})
    assert first.status_code == 201
    r = flow.post("citizen", "/api/v1/cases", _body(item, token, form={"shop_name": "另一家店"}),
                  headers={"Idempotency-Key": "k-1"})
    assert r.status_code == 409 and r.json()["code"] == "idempotency_key_reused"
    assert Case.objects.count() == 1


@pytest.mark.django_db
def test_missing_key_is_refused_and_nothing_is_created(flow):
    item = flow.item()
    token = flow.upload()
    for headers in ({}, {"Idempotency-Key": "   "}):
        r = flow.post("citizen", "/api/v1/cases", _body(item, token), headers=headers)
        assert r.status_code == 422 and r.json()["code"] == "idempotency_key_required"
    assert not Case.objects.exists()
    # the upload is still there to use
    assert CaseMaterial.objects.get(upload_token=token).case_id is None


@pytest.mark.django_db
def test_keys_belong_to_their_owner(flow):
    item = flow.item()
    a = flow.post("citizen", "/api/v1/cases", _body(item, flow.upload("citizen")), headers={"Idempotency-Key": "x"})
    b = flow.post("citizen_b", "/api/v1/cases", _body(item, flow.upload("citizen_b")),
                  headers={"Idempotency-Key": "x"})
    assert a.status_code == b.status_code == 201
    assert a.json()["number"] != b.json()["number"]


@pytest.mark.django_db
def test_a_refused_submission_does_not_burn_the_key(flow):
    item = flow.item()
    token = flow.upload()
    r = flow.post("citizen", "/api/v1/cases", _body(item, token, form={"address": "望江路"}),
                  headers={"Idempotency-Key": "retry-1"})
    assert r.status_code == 422 and r.json()["code"] == "form_invalid"
    assert not Case.objects.exists() and not IdempotencyKey.objects.exists()
    fixed = flow.post("citizen", "/api/v1/cases", _body(item, token), headers={"Idempotency-Key": "retry-1"})
    assert fixed.status_code == 201


@pytest.mark.django_db
def test_the_retry_after_the_uploads_were_attached_still_answers_with_the_case(flow):
    """A retry whose uploads the first request already attached is the same request: it gets the
    case, not "upload already used"."""
    item = flow.item()
    body = _body(item, flow.upload())
    first = flow.post("citizen", "/api/v1/cases", body, headers={"Idempotency-Key": "net-1"})
    second = flow.post("citizen", "/api/v1/cases", body, headers={"Idempotency-Key": "net-1"})
    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json()["number"] == first.json()["number"]


@pytest.mark.django_db(transaction=True)
def test_concurrent_submissions(flow):
    """Six requests with the same key at the same moment (a double click on a slow network, the
    app's retry): one case, one key; every answer names that case; nobody gets an error. Then four
    different applications at once: four cases with four distinct numbers."""
    item = flow.item()
    body = _body(item, flow.upload())
    auth = flow.headers("citizen")

    def same_key(_i):
        r = Client().post("/api/v1/cases", body, content_type="application/json",
                          headers={**auth, "Idempotency-Key": "race-1"})
        return r.status_code, r.json()

    results = in_threads(6, same_key)
    statuses = sorted(code for code, _ in results)
    assert statuses == [200] * 5 + [201], results
    assert len({body["number"] for _, body in results}) == 1
    assert Case.objects.count() == 1 and IdempotencyKey.objects.count() == 1
    assert CaseEvent.objects.filter(action="submit").count() == 1
    assert CaseMaterial.objects.get().case == Case.objects.get()

    tokens = [flow.upload() for _ in range(4)]

    def own_key(i):
        r = Client().post("/api/v1/cases", _body(item, tokens[i]), content_type="application/json",
                          headers={**auth, "Idempotency-Key": f"k-{i}"})
        return r.status_code, r.json().get("number")

    results = in_threads(4, own_key)
    assert [code for code, _ in results] == [201] * 4, results
    assert len({n for _, n in results}) == 4 and Case.objects.count() == 5


@pytest.mark.django_db(transaction=True)
def test_one_upload_raced_by_two_different_applications(flow):
    """Two different submissions (two keys) name the same uploaded file at the same moment: both
    read it as free before either writes, yet only one may take it. One case is created with the
    file; the other answers 422 upload_invalid and leaves nothing behind."""
    item = flow.item()
    auth = flow.headers("citizen")
    for attempt in range(3):
        token = flow.upload()

        def submit(i, token=token):
            r = Client().post("/api/v1/cases", _body(item, token), content_type="application/json",
                              headers={**auth, "Idempotency-Key": f"race-{attempt}-{i}"})
            return r.status_code, r.json()

        before = Case.objects.count()
        results = in_threads(4, submit)
        codes = sorted(code for code, _ in results)
        assert codes == [201, 422, 422, 422], results
        assert {body["code"] for code, body in results if code == 422} == {"upload_invalid"}
        assert Case.objects.count() == before + 1
        winner = next(body["number"] for code, body in results if code == 201)
        assert CaseMaterial.objects.get(upload_token=None, case__number=winner).material_key == "application_form"
        assert IdempotencyKey.objects.filter(case__number=winner).count() == 1
    assert CaseEvent.objects.filter(action="submit").count() == 3
