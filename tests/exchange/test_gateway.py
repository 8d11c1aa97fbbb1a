"""The query gateway: signed calls only, granted fields only, every call logged with a precise code."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from yiwang.core.crypto import blind_index
from yiwang.exchange.models import DataRecord, QueryLog

from .conftest import QUERY

VALUES = {"name": "王丽", "gender": "女", "address": "江东市云溪区望江路 8 号", "ethnicity": "汉族"}


@pytest.fixture
def setup(ex, make_resource, seed, make_client):
    resource = make_resource(ex["provider"], "GA-HJXX")
    alice, bob = ex["alice"], ex["bob"]
    seed(resource, {alice.id_number: VALUES, bob.id_number: {**VALUES, "name": "陈强", "gender": "男"}})
    client, secret = make_client(ex["requester"])
    return {"resource": resource, "client": client, "secret": secret, "alice": alice, "bob": bob}


def _body(s, **kw):
    return {"resource": "GA-HJXX", "subject": s["alice"].id_number, "purpose": "食品经营许可核验",
            "case_number": "32900220261121000001", **kw}


def _last():
    return QueryLog.objects.order_by("-id").first()


def test_no_grant_is_refused_and_logged(setup, gw, ex):
    s = setup
    r = gw(s["client"].key_id, s["secret"], _body(s))
    assert r.status_code == 403 and r.json()["code"] == "no_grant"
    log = _last()
    assert log.outcome == "no_grant" and log.http_status == 403 and log.department == ex["requester"]
    assert log.subject_bidx == blind_index(s["alice"].id_number, "resident_id")
    assert log.purpose == "食品经营许可核验" and log.case_number == "32900220261121000001"
    assert log.result_size == 0 and log.fields_returned == []


def test_granted_fields_only(setup, gw, grant, ex):
    s = setup
    grant(s["resource"], ex["requester"], fields=["name", "address"])
    r = gw(s["client"].key_id, s["secret"], _body(s))
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["fields"] == {"name": "王丽", "address": "江东市云溪区望江路 8 号"}
    assert "汉族" not in r.content.decode() and "gender" not in body["fields"]
    log = QueryLog.objects.get(pk=body["query_id"])
    assert log.outcome == "ok" and log.fields_returned == ["name", "address"] and log.result_size == 2
    assert log.client == s["client"] and log.grant is not None
    # narrower than the grant: only those
    r = gw(s["client"].key_id, s["secret"], _body(s, fields=["name"]))
    assert r.json()["fields"] == {"name": "王丽"}
    # beyond the grant: refused, nothing returned
    r = gw(s["client"].key_id, s["secret"], _body(s, fields=["name", "ethnicity"]))
    assert r.status_code == 403 and r.json()["code"] == "fields_not_granted"
    assert r.json()["fields"] == {"fields": ["ethnicity"]} and "王丽" not in r.content.decode()
    assert _last().outcome == "fields_not_granted" and _last().fields_requested == ["name", "ethnicity"]


def test_revoked_and_expired_grants_are_refused_precisely(setup, gw, grant, ex):
    from yiwang.exchange import services

    s = setup
    g = grant(s["resource"], ex["requester"])
    assert gw(s["client"].key_id, s["secret"], _body(s)).status_code == 200
    services.revoke_grant(ex["actors"]["provider_steward"], g.pk, "超范围使用")
    r = gw(s["client"].key_id, s["secret"], _body(s))
    assert r.status_code == 403 and r.json()["code"] == "grant_revoked" and "超范围使用" in r.json()["message"]
    assert _last().outcome == "grant_revoked"
    g2 = grant(s["resource"], ex["requester"])
    type(g2).objects.filter(pk=g2.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    r = gw(s["client"].key_id, s["secret"], _body(s))
    assert r.status_code == 403 and r.json()["code"] == "grant_expired"
    assert _last().outcome == "grant_expired"


def test_unknown_and_invalid_subjects(setup, gw, grant, ex, make_citizen):
    s = setup
    grant(s["resource"], ex["requester"])
    stranger = make_citizen(name="赵六", phone="13700137000")
    r = gw(s["client"].key_id, s["secret"], _body(s, subject=stranger.id_number))
    assert r.status_code == 404 and r.json()["code"] == "subject_not_found"
    assert _last().outcome == "subject_not_found"
    assert _last().subject_bidx == blind_index(stranger.id_number, "resident_id")
    r = gw(s["client"].key_id, s["secret"], _body(s, subject="110101199003071234"))
    assert r.status_code == 422 and r.json()["code"] == "subject_invalid"
    r = gw(s["client"].key_id, s["secret"], _body(s, resource="NO-SUCH"))
    assert r.status_code == 404 and r.json()["code"] == "resource_not_found"
    r = gw(s["client"].key_id, s["secret"], _body(s, purpose=""))
    assert r.status_code == 422 and r.json()["code"] == "purpose_required"
    assert QueryLog.objects.filter(outcome__in=["subject_invalid", "resource_not_found", "purpose_required"]).count() == 3


def test_not_shared_resource(ex, make_resource, make_client, gw, seed):
    resource = make_resource(ex["provider"], "GA-WFFZ", share_class="not_shared", fields=[{"key": "has_record", "name": "有无犯罪记录"}])
    seed(resource, {ex["alice"].id_number: {"has_record": "无"}})
    client, secret = make_client(ex["requester"])
    r = gw(client.key_id, secret, {"resource": "GA-WFFZ", "subject": ex["alice"].id_number, "purpose": "x"})
    assert r.status_code == 403 and r.json()["code"] == "resource_not_shared"


@pytest.mark.parametrize("case,code", [
    ("unsigned", "signature_missing"),
    ("unknown_client", "client_unknown"),
    ("bad_signature", "signature_invalid"),
    ("tampered_body", "signature_invalid"),
    ("stale", "timestamp_stale"),
    ("future", "timestamp_stale"),
    ("bad_timestamp", "timestamp_invalid"),
    ("bad_nonce", "nonce_invalid"),
    ("disabled", "client_disabled"),
])
def test_unsigned_and_badly_signed_calls_are_401(setup, gw, grant, ex, case, code):
    s = setup
    grant(s["resource"], ex["requester"])
    key, secret, body = s["client"].key_id, s["secret"], _body(s)
    kwargs = {}
    if case == "unsigned":
        kwargs["sign"] = False
    elif case == "unknown_client":
        key = "nobody"
    elif case == "bad_signature":
        secret = "not-the-secret"
    elif case == "tampered_body":
        kwargs["tamper"] = json.dumps(_body(s, subject=s["bob"].id_number)).encode()
    elif case == "stale":
        kwargs["timestamp"] = int(time.time()) - 301
    elif case == "future":
        kwargs["timestamp"] = int(time.time()) + 400
    elif case == "bad_timestamp":
        kwargs["headers"] = {"X-Exchange-Timestamp": "yesterday"}
    elif case == "bad_nonce":
        kwargs["nonce"] = "short"
    elif case == "disabled":
        type(s["client"]).objects.filter(pk=s["client"].pk).update(is_active=False)
    r = gw(key, secret, body, **kwargs)
    assert r.status_code == 401, r.content
    if code == "signature_missing":  # no credentials at all: the API-wide code, the reason in fields
        assert r.json()["code"] == "not_authenticated" and r.json()["fields"]["signature"] == ["signature_missing"]
    else:
        assert r.json()["code"] == code
    assert "王丽" not in r.content.decode()
    log = _last()
    assert log.outcome == code and log.http_status == 401
    assert log.department is None and log.subject_bidx == ""  # nothing attributed to an unproven caller


def test_replayed_nonce_is_refused(setup, gw, grant, ex):
    s = setup
    grant(s["resource"], ex["requester"])
    first = gw(s["client"].key_id, s["secret"], _body(s), nonce="n0nce-that-is-long-enough-1")
    assert first.status_code == 200
    again = gw(s["client"].key_id, s["secret"], _body(s), nonce="n0nce-that-is-long-enough-1")
    assert again.status_code == 401 and again.json()["code"] == "nonce_replayed"
    assert _last().outcome == "nonce_replayed"


def test_rate_limit_per_client(setup, gw, grant, ex, make_client):
    s = setup
    grant(s["resource"], ex["requester"])
    slow, slow_secret = make_client(ex["requester"], rate=3)
    for _ in range(3):
        assert gw(slow.key_id, slow_secret, _body(s)).status_code == 200
    r = gw(slow.key_id, slow_secret, _body(s))
    assert r.status_code == 429 and r.json()["code"] == "rate_limited"
    assert _last().outcome == "rate_limited"
    # another client of the same department has its own budget
    assert gw(s["client"].key_id, s["secret"], _body(s)).status_code == 200


PUSH = "/api/v1/exchange/gateway/resources/GA-HJXX/records"


def test_push_full_and_incremental_change_what_the_gateway_serves(setup, gw, grant, ex, make_client, make_citizen):
    s = setup
    grant(s["resource"], ex["requester"])
    provider, provider_secret = make_client(ex["provider"])
    carol = make_citizen(name="李红", phone="13600136000")
    alice, bob = s["alice"], s["bob"]
    r = gw(provider.key_id, provider_secret, {"mode": "full", "records": [
        {"subject": alice.id_number, "values": {**VALUES, "address": "新地址 1 号"}},
        {"subject": carol.id_number, "values": {**VALUES, "name": "李红"}}]}, path=PUSH)
    assert r.status_code == 200, r.content
    assert r.json()["upserted"] == 2 and r.json()["deleted"] == 1  # bob was not in the full set
    q = gw(s["client"].key_id, s["secret"], _body(s))
    assert q.json()["fields"]["address"] == "新地址 1 号" and q.json()["record_version"] == 2
    assert gw(s["client"].key_id, s["secret"], _body(s, subject=bob.id_number)).json()["code"] == "subject_not_found"
    assert gw(s["client"].key_id, s["secret"], _body(s, subject=carol.id_number)).json()["fields"]["name"] == "李红"
    # incremental: change alice, delete carol, add bob back
    r = gw(provider.key_id, provider_secret, {"mode": "incremental", "records": [
        {"subject": alice.id_number, "values": {**VALUES, "address": "又搬家了 2 号"}},
        {"subject": bob.id_number, "values": {**VALUES, "name": "陈强"}}], "deleted": [carol.id_number]}, path=PUSH)
    assert r.status_code == 200 and r.json()["upserted"] == 2 and r.json()["deleted"] == 1
    assert gw(s["client"].key_id, s["secret"], _body(s)).json()["fields"]["address"] == "又搬家了 2 号"
    assert gw(s["client"].key_id, s["secret"], _body(s, subject=carol.id_number)).status_code == 404
    assert gw(s["client"].key_id, s["secret"], _body(s, subject=bob.id_number)).json()["fields"]["name"] == "陈强"
    # the same incremental again changes nothing
    r = gw(provider.key_id, provider_secret, {"mode": "incremental", "records": [
        {"subject": alice.id_number, "values": {**VALUES, "address": "又搬家了 2 号"}}]}, path=PUSH)
    assert r.json()["upserted"] == 0 and r.json()["unchanged"] == 1
    # values are encrypted at rest
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT payload FROM exchange_datarecord")
        raw = " ".join(row[0] for row in cur.fetchall())
    assert "又搬家了" not in raw and raw.startswith("v1:")


def test_push_refusals(setup, gw, ex, make_client):
    s = setup
    provider, provider_secret = make_client(ex["provider"])
    # only the provider department pushes
    r = gw(s["client"].key_id, s["secret"], {"mode": "full", "records": []}, path=PUSH)
    assert r.status_code == 403 and r.json()["code"] == "not_provider"
    r = gw(provider.key_id, provider_secret, {"mode": "incremental", "records": [
        {"subject": s["alice"].id_number, "values": {"salary": 1}}]}, path=PUSH)
    assert r.status_code == 422 and r.json()["code"] == "unknown_fields"
    r = gw(provider.key_id, provider_secret, {"mode": "sometimes", "records": []}, path=PUSH)
    assert r.status_code == 422 and r.json()["code"] == "mode_invalid"
    r = gw(provider.key_id, provider_secret, {"mode": "incremental", "records": [
        {"subject": "123", "values": {"name": "x"}}]}, path=PUSH)
    assert r.status_code == 422 and r.json()["code"] == "subject_invalid"
    r = gw(provider.key_id, provider_secret, {"mode": "full", "records": []}, path=PUSH, sign=False)
    assert r.status_code == 401 and r.json()["code"] == "not_authenticated"
    assert DataRecord.objects.count() == 2  # nothing changed


def test_gateway_is_in_the_openapi_schema(client):
    schema = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/exchange/gateway/query" in schema["paths"]
    assert "/api/v1/exchange/gateway/resources/{code}/records" in schema["paths"]


def test_item_limited_grant_needs_the_item(setup, gw, grant, ex):
    s = setup
    grant(s["resource"], ex["requester"], items=["11329002TEST0001"])
    r = gw(s["client"].key_id, s["secret"], _body(s))
    assert r.status_code == 403 and r.json()["code"] == "grant_item_mismatch"
    assert gw(s["client"].key_id, s["secret"], _body(s, item_code="11329002TEST0002")).status_code == 403
    assert gw(s["client"].key_id, s["secret"], _body(s, item_code="11329002TEST0001")).status_code == 200


def test_an_unauthenticated_flood_is_cut_off(setup, gw, settings):
    settings.EXCHANGE_AUTH_FAILURES_PER_MINUTE = 3
    s = setup
    for _ in range(3):
        assert gw(s["client"].key_id, "wrong", _body(s)).json()["code"] == "signature_invalid"
    r = gw(s["client"].key_id, s["secret"], _body(s))
    assert r.status_code == 429 and r.json()["code"] == "too_many_failures"
    assert QueryLog.objects.count() == 3


def test_nul_characters_are_refused_not_a_database_error(setup, gw, grant, ex):
    """NUL characters (which PostgreSQL cannot store) are refused with a 422, never a 500 — by the
    platform's request guard when it sees them, or by the gateway, which never logs them."""
    s = setup
    grant(s["resource"], ex["requester"])
    for body in (_body(s, subject="\x00" * 18, purpose="核验\x00", case_number="\x00"),
                 _body(s, resource="GA\x00HJXX", fields=["na\x00me"])):
        r = gw(s["client"].key_id, s["secret"], body)
        assert r.status_code in (404, 422), r.content
        assert r.json()["code"] in ("invalid_characters", "subject_invalid", "resource_not_found")
    assert not any("\x00" in (log.purpose + log.case_number + log.resource_code) for log in QueryLog.objects.all())
