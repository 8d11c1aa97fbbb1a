"""The resource catalog: kept by the owning department's data stewards only."""

from __future__ import annotations

import pytest

from .conftest import FIELDS

RESOURCE = {"code": "GA-HJXX", "name": "人口户籍信息", "subject_kind": "resident_id", "fields": FIELDS,
            "update_frequency": "realtime", "legal_basis": "《中华人民共和国户口登记条例》",
            "share_class": "unconditional", "licence_types": ["JMSFZ"]}


def _token(api, user):
    return api.token(user.username, otp=user.totp())


def test_steward_creates_publishes_updates_and_retires(ex, api):
    steward = ex["users"]["provider_steward"]
    token = _token(api, steward)
    r = api.post("/api/v1/exchange/resources", RESOURCE, token=token)
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["provider"] == "YX-GA" and body["status"] == "draft" and body["share_class"] == "unconditional"
    r = api.post("/api/v1/exchange/resources/GA-HJXX/publish", token=token)
    assert r.status_code == 200 and r.json()["status"] == "published"
    from django.test import Client

    c = Client()
    r = c.patch("/api/v1/exchange/resources/GA-HJXX", {"update_frequency": "daily", "share_class": "conditional",
                                                       "share_conditions": "仅用于户籍业务"},
                content_type="application/json", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200, r.content
    assert r.json()["share_class"] == "conditional" and r.json()["update_frequency"] == "daily"
    r = api.post("/api/v1/exchange/resources/GA-HJXX/retire", {"reason": "系统迁移"}, token=token)
    assert r.json()["status"] == "retired"
    # publish again; retire/publish twice is idempotent
    assert api.post("/api/v1/exchange/resources/GA-HJXX/publish", token=token).json()["status"] == "published"
    assert api.post("/api/v1/exchange/resources/GA-HJXX/publish", token=token).status_code == 200
    from yiwang.core.models import AuditEvent

    actions = list(AuditEvent.objects.filter(action__startswith="exchange.resource").values_list("action", flat=True))
    assert actions == ["exchange.resource_created", "exchange.resource_published", "exchange.resource_updated",
                       "exchange.resource_retired", "exchange.resource_published"]


@pytest.mark.parametrize("who", ["requester_steward", "provider_reviewer", "requester_head"])
def test_only_the_owning_departments_steward_may_change_a_resource(ex, api, make_resource, who):
    resource = make_resource(ex["provider"], "GA-HJXX", status="draft")
    token = _token(api, ex["users"][who])
    r = api.post(f"/api/v1/exchange/resources/{resource.code}/publish", token=token)
    assert r.status_code == 403
    assert r.json()["code"] == "role_forbidden"
    r = api.delete(f"/api/v1/exchange/resources/{resource.code}", token=token)
    assert r.status_code == 403


def test_a_reviewer_cannot_create_and_a_steward_creates_only_for_their_department(ex, api):
    r = api.post("/api/v1/exchange/resources", RESOURCE, token=_token(api, ex["users"]["provider_reviewer"]))
    assert r.status_code == 403
    r = api.post("/api/v1/exchange/resources", RESOURCE, token=_token(api, ex["users"]["requester_steward"]))
    assert r.status_code == 201 and r.json()["provider"] == "YX-SCJG"


def test_validation_and_conflicts(ex, api):
    token = _token(api, ex["users"]["provider_steward"])
    r = api.post("/api/v1/exchange/resources", {**RESOURCE, "share_class": "conditional"}, token=token)
    assert r.status_code == 422 and r.json()["code"] == "share_conditions_required"
    r = api.post("/api/v1/exchange/resources", {**RESOURCE, "share_class": "not_shared"}, token=token)
    assert r.status_code == 422 and r.json()["code"] == "share_conditions_required"
    r = api.post("/api/v1/exchange/resources", {**RESOURCE, "fields": [{"key": "Bad Key", "name": "x"}]}, token=token)
    assert r.status_code == 422 and r.json()["code"] == "field_key_invalid"
    r = api.post("/api/v1/exchange/resources", {**RESOURCE, "code": "ga hjxx"}, token=token)
    assert r.status_code == 422 and r.json()["code"] == "code_invalid"
    assert api.post("/api/v1/exchange/resources", RESOURCE, token=token).status_code == 201
    r = api.post("/api/v1/exchange/resources", RESOURCE, token=token)
    assert r.status_code == 409 and r.json()["code"] == "code_taken"


def test_delete_only_unused_drafts(ex, api):
    token = _token(api, ex["users"]["provider_steward"])
    api.post("/api/v1/exchange/resources", RESOURCE, token=token)
    api.post("/api/v1/exchange/resources/GA-HJXX/publish", token=token)
    r = api.delete("/api/v1/exchange/resources/GA-HJXX", token=token)
    assert r.status_code == 409 and r.json()["code"] == "resource_in_use"
    api.post("/api/v1/exchange/resources", {**RESOURCE, "code": "GA-TEMP"}, token=token)
    assert api.delete("/api/v1/exchange/resources/GA-TEMP", token=token).status_code == 204


def test_staff_see_published_and_own_drafts_citizens_see_nothing(ex, api, make_resource, client):
    make_resource(ex["provider"], "GA-PUB")
    make_resource(ex["provider"], "GA-DRAFT", status="draft")
    codes = {r["code"] for r in api.get("/api/v1/exchange/resources",
                                        token=_token(api, ex["users"]["requester_steward"])).json()}
    assert codes == {"GA-PUB"}
    codes = {r["code"] for r in api.get("/api/v1/exchange/resources",
                                        token=_token(api, ex["users"]["provider_steward"])).json()}
    assert codes == {"GA-PUB", "GA-DRAFT"}
    alice = ex["alice"]
    r = api.get("/api/v1/exchange/resources", token=api.token(alice.id_number))
    assert r.status_code == 403 and r.json()["code"] == "role_forbidden"
    client.force_login(alice)
    assert client.get("/exchange/").status_code == 403
