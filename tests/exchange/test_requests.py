"""Request → approve or refuse (with a reason) → grant with fields, purpose and expiry; revoke;
conditional requests unanswered for 10 working days are flagged to the supervisors."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from yiwang.core.errors import Conflict, PermissionDeniedError, ValidationFailed
from yiwang.core.workdays import add_working_days, working_days_between
from yiwang.exchange import services
from yiwang.exchange.models import Grant, ShareRequest


def _until(days=90):
    return timezone.localdate() + timedelta(days=days)


def test_conditional_request_approved_with_narrower_fields_and_expiry(ex, make_resource):
    resource = make_resource(ex["provider"], "GA-HJXX")
    a = ex["actors"]
    req = services.request_share(a["requester_steward"], "GA-HJXX", fields=["name", "address", "gender"],
                                 purpose="食品经营许可核验经营者住址", items=["11329002TEST0001"],
                                 requested_until=_until(90))
    assert req.status == "pending"
    assert working_days_between(req.created_at, req.due_at) == 10
    assert req.due_at == add_working_days(req.created_at, 10)
    with pytest.raises(PermissionDeniedError) as exc:
        services.approve_request(a["requester_steward"], req.pk)  # the requester cannot approve its own request
    assert exc.value.code == "role_forbidden"
    with pytest.raises(ValidationFailed) as exc:
        services.approve_request(a["provider_steward"], req.pk, fields=["name", "ethnicity"])
    assert exc.value.code == "fields_not_requested"
    grant = services.approve_request(a["provider_steward"], req.pk, fields=["name", "address"],
                                     expires_on=_until(30), note="同意，限定用途")
    assert grant.fields == ["name", "address"]
    assert grant.purpose == "食品经营许可核验经营者住址" and grant.items == ["11329002TEST0001"]
    assert timezone.localtime(grant.expires_at).date() == _until(30)
    assert grant.grantee == ex["requester"] and grant.resource == resource and grant.is_usable
    req.refresh_from_db()
    assert req.status == "approved" and req.decided_by == ex["users"]["provider_steward"]
    # approving again returns the same grant; refusing now is an illegal move
    assert services.approve_request(a["provider_steward"], req.pk).pk == grant.pk
    with pytest.raises(Conflict) as exc:
        services.refuse_request(a["provider_steward"], req.pk, "改变主意")
    assert exc.value.code == "illegal_transition"


def test_refusal_needs_a_reason(ex, make_resource, api):
    make_resource(ex["provider"], "GA-HJXX")
    a = ex["actors"]
    req = services.request_share(a["requester_head"], "GA-HJXX", fields=["name"], purpose="核验",
                                 requested_until=_until())
    token = api.token("ga_steward", otp=ex["users"]["provider_steward"].totp())
    r = api.post(f"/api/v1/exchange/requests/{req.pk}/refuse", {"reason": "  "}, token=token)
    assert r.status_code == 422 and r.json()["code"] == "reason_required"
    r = api.post(f"/api/v1/exchange/requests/{req.pk}/refuse", {"reason": "申请用途与事项无关，不符合最小必要原则"},
                 token=token)
    assert r.status_code == 200 and r.json()["status"] == "refused"
    assert r.json()["reason"] == "申请用途与事项无关，不符合最小必要原则"
    assert not Grant.objects.exists()
    r = api.post(f"/api/v1/exchange/requests/{req.pk}/approve", {}, token=token)
    assert r.status_code == 409 and r.json()["code"] == "illegal_transition"


def test_request_over_the_api_then_approve(ex, make_resource, api):
    make_resource(ex["provider"], "GA-HJXX")
    t_req = api.token("scjg_steward", otp=ex["users"]["requester_steward"].totp())
    r = api.post("/api/v1/exchange/requests", {"resource": "GA-HJXX", "fields": ["name"], "purpose": "核验",
                                               "requested_until": _until().isoformat()}, token=t_req)
    assert r.status_code == 201 and r.json()["status"] == "pending" and r.json()["due_at"]
    r2 = api.post("/api/v1/exchange/requests", {"resource": "GA-HJXX", "fields": ["name"], "purpose": "核验",
                                                "requested_until": _until().isoformat()}, token=t_req)
    assert r2.status_code == 409 and r2.json()["code"] == "request_pending"
    t_prov = api.token("ga_steward", otp=ex["users"]["provider_steward"].totp())
    incoming = api.get("/api/v1/exchange/requests", token=t_prov).json()
    assert [x["id"] for x in incoming] == [r.json()["id"]]
    g = api.post(f"/api/v1/exchange/requests/{r.json()['id']}/approve", {"note": "同意"}, token=t_prov)
    assert g.status_code == 200 and g.json()["fields"] == ["name"] and g.json()["state"] == "active"
    assert api.get("/api/v1/exchange/requests?box=outgoing", token=t_req).json()[0]["grant"] == g.json()["id"]


def test_unconditional_is_granted_at_once_not_shared_cannot_be_requested(ex, make_resource):
    make_resource(ex["provider"], "GA-OPEN", share_class="unconditional")
    make_resource(ex["provider"], "GA-SECRET", share_class="not_shared")
    a = ex["actors"]
    req = services.request_share(a["requester_steward"], "GA-OPEN", fields=["name"], purpose="核验身份",
                                 requested_until=_until())
    assert req.status == "approved" and req.grant.fields == ["name"] and req.due_at is None
    with pytest.raises(Conflict) as exc:
        services.request_share(a["requester_steward"], "GA-SECRET", fields=["name"], purpose="x",
                               requested_until=_until())
    assert exc.value.code == "resource_not_shared"
    with pytest.raises(ValidationFailed) as exc:
        services.request_share(a["other_steward"], "GA-OPEN", fields=["salary"], purpose="x", requested_until=_until())
    assert exc.value.code == "unknown_fields"
    with pytest.raises(ValidationFailed) as exc:
        services.request_share(a["other_steward"], "GA-OPEN", fields=["name"], purpose="",
                               requested_until=_until())
    assert exc.value.code == "purpose_required"
    with pytest.raises(ValidationFailed) as exc:
        services.request_share(a["other_steward"], "GA-OPEN", fields=["name"], purpose="x",
                               requested_until=_until(-1))
    assert exc.value.code == "expiry_in_past"
    with pytest.raises(PermissionDeniedError):
        services.request_share(a["provider_reviewer"], "GA-OPEN", fields=["name"], purpose="x",
                               requested_until=_until())


def test_revoke_needs_a_reason_and_only_the_provider(ex, make_resource, grant):
    resource = make_resource(ex["provider"], "GA-HJXX")
    g = grant(resource, ex["requester"])
    a = ex["actors"]
    with pytest.raises(PermissionDeniedError):
        services.revoke_grant(a["requester_steward"], g.pk, "不再需要")
    with pytest.raises(ValidationFailed) as exc:
        services.revoke_grant(a["provider_steward"], g.pk, "")
    assert exc.value.code == "reason_required"
    g = services.revoke_grant(a["provider_steward"], g.pk, "发现超范围使用")
    assert g.status == "revoked" and g.revoked_at and not g.is_usable and g.revoke_reason == "发现超范围使用"
    assert services.revoke_grant(a["provider_steward"], g.pk, "再次").revoke_reason == "发现超范围使用"


def _backdate(req, working_days):
    """Move the request back so that it was made ``working_days`` working days before now."""
    from yiwang.core.workdays import is_working_day

    today = timezone.localdate()
    day = today - timedelta(days=1)
    while not (is_working_day(day) and working_days_between(day, today) == working_days):
        day -= timedelta(days=1)
    created = timezone.make_aware(timezone.datetime.combine(day, timezone.datetime.min.time().replace(hour=10)))
    ShareRequest.objects.filter(pk=req.pk).update(created_at=created, due_at=add_working_days(created, 10))
    req.refresh_from_db()
    return req


def test_overdue_conditional_requests_are_flagged_to_the_supervisor_once(ex, make_resource):
    from yiwang.notifications.models import Notification

    make_resource(ex["provider"], "GA-HJXX")
    make_resource(ex["provider"], "GA-HJXX2")
    a = ex["actors"]
    late = _backdate(services.request_share(a["requester_steward"], "GA-HJXX", fields=["name"], purpose="核验",
                                            requested_until=_until()), 11)
    in_time = _backdate(services.request_share(a["requester_steward"], "GA-HJXX2", fields=["name"], purpose="核验",
                                               requested_until=_until()), 9)
    assert working_days_between(late.created_at, timezone.now()) == 11
    assert late.is_overdue and not in_time.is_overdue
    flagged = services.flag_overdue_requests()
    assert [r.pk for r in flagged] == [late.pk]
    late.refresh_from_db()
    assert late.overdue_flagged_at is not None
    note = Notification.objects.get(recipient=ex["users"]["supervisor"])
    assert "10 个工作日" in note.body and "人口户籍信息" in note.body
    assert services.flag_overdue_requests() == []  # once
    from yiwang.accounts.actor import staff_actor
    from yiwang.exchange import selectors

    overdue = list(selectors.overdue_requests(staff_actor(ex["users"]["supervisor"])))
    assert [r.pk for r in overdue] == [late.pk]
    with pytest.raises(PermissionDeniedError):
        selectors.overdue_requests(a["provider_steward"])
    # answering it takes it off the list
    services.refuse_request(a["provider_steward"], late.pk, "数据不能用于该用途")
    assert not selectors.overdue_requests(staff_actor(ex["users"]["supervisor"])).exists()
