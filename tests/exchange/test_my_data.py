"""Point 4: 我的数据使用记录 — a citizen (or enterprise) sees exactly the uses of their own data."""

from __future__ import annotations

import pytest

from yiwang.exchange.models import QueryLog


@pytest.fixture
def used(ex, make_resource, seed, grant, make_client, gw):
    resource = make_resource(ex["provider"], "GA-HJXX")
    alice, bob = ex["alice"], ex["bob"]
    seed(resource, {alice.id_number: {"name": "王丽", "address": "望江路 8 号"},
                    bob.id_number: {"name": "陈强", "address": "江滨路 1 号"}})
    grant(resource, ex["requester"], fields=["name"])
    client, secret = make_client(ex["requester"])
    body = {"resource": "GA-HJXX", "purpose": "食品经营许可核验经营者身份"}
    assert gw(client.key_id, secret, {**body, "subject": alice.id_number, "case_number": "32900220261121000007"}).status_code == 200
    assert gw(client.key_id, secret, {**body, "subject": alice.id_number, "fields": ["address"]}).status_code == 403
    assert gw(client.key_id, secret, {**body, "subject": bob.id_number}).status_code == 200
    other, other_secret = make_client(ex["other"])
    assert gw(other.key_id, other_secret, {**body, "subject": bob.id_number}).status_code == 403
    return {"alice": alice, "bob": bob}


def test_citizen_sees_exactly_their_queries(used, api, client):
    alice = used["alice"]
    rows = api.get("/api/v1/exchange/my-usage", token=api.token(alice.id_number)).json()
    assert len(rows) == 2
    assert all(r["department"] == "云溪区市场监督管理局" for r in rows)
    ok = next(r for r in rows if r["ok"])
    assert ok["fields"] == ["姓名"] and ok["case_number"] == "32900220261121000007"
    assert ok["purpose"] == "食品经营许可核验经营者身份" and ok["resource"] == "人口户籍信息"
    refused = next(r for r in rows if not r["ok"])
    assert refused["outcome"] == "fields_not_granted" and refused["fields"] == []
    bob_rows = api.get("/api/v1/exchange/my-usage", token=api.token(used["bob"].id_number)).json()
    assert len(bob_rows) == 2 and {r["department"] for r in bob_rows} == {"云溪区市场监督管理局", "云溪区民政局"}
    assert QueryLog.objects.count() == 4
    client.force_login(alice)
    page = client.get("/exchange/my-data/").content.decode()
    assert page.count('data-testid="usage-row"') == 2
    assert "32900220261121000007" in page and "王丽" not in page and "望江路" not in page


def test_a_person_with_no_uses_and_staff(ex, api, client):
    client.force_login(ex["alice"])
    assert 'data-testid="no-usage"' in client.get("/exchange/my-data/").content.decode()
    staff = ex["users"]["provider_steward"]
    r = api.get("/api/v1/exchange/my-usage", token=api.token(staff.username, otp=staff.totp()))
    assert r.status_code == 403 and r.json()["code"] == "role_forbidden"


def test_enterprise_sees_uses_of_its_own_data(ex, make_resource, seed, grant, make_client, gw, db):
    from yiwang.accounts.actor import Actor
    from yiwang.accounts.models import Enterprise
    from yiwang.core.identity import make_uscc
    from yiwang.exchange import selectors

    ent = Enterprise.objects.create(uscc=make_uscc("91", "329002", "MA0000AA"), name="云溪区恒远餐饮管理有限公司",
                                    legal_representative="王丽")
    resource = make_resource(ex["provider"], "SC-QYDJ", subject_kind="uscc",
                             fields=[{"key": "name", "name": "名称"}])
    seed(resource, {ent.uscc: {"name": ent.name}})
    grant(resource, ex["requester"])
    client, secret = make_client(ex["requester"])
    assert gw(client.key_id, secret, {"resource": "SC-QYDJ", "subject": ent.uscc, "purpose": "许可核验"}).status_code == 200
    rows = list(selectors.my_data_usage(Actor(user=ex["alice"], enterprise=ent)))
    assert len(rows) == 1 and rows[0].resource_code == "SC-QYDJ"
    assert not selectors.my_data_usage(Actor(user=ex["alice"])).exists()
