"""Point 5: the demo registries, generated for the demo district's people and enterprises."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    from django.db import transaction

    from yiwang.core.demo.loader import load_demo
    from yiwang.exchange.demo import load

    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            load_demo()
            yield load()
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


def test_loaded_and_idempotent(demo, db):
    from yiwang.exchange.demo import load
    from yiwang.exchange.models import DataRecord, DataResource, Grant

    assert demo["resources"]["created"] == 14 and demo["records"]["created"] > 2000
    assert DataResource.objects.get(code="GA-HJXX").records.count() == 520
    assert DataResource.objects.get(code="SC-QYDJ").records.count() == 108
    again = load()
    assert all(v["created"] == 0 for v in again.values()), again
    assert DataRecord.objects.count() == demo["records"]["created"]
    assert Grant.objects.filter(grantee__code="YX-ZWB").count() == 13  # every shared resource but 不予共享


def test_registries_are_consistent_with_the_demo_people(demo, db):
    from yiwang.accounts.models import User
    from yiwang.exchange import services
    from yiwang.exchange.models import DataRecord, DataResource

    tables: dict[str, dict] = {}

    def record(code, number):
        if code not in tables:
            resource = DataResource.objects.get(code=code)
            tables[code] = {r.subject_bidx: r for r in DataRecord.objects.filter(resource=resource)}
            tables[code]["_kind"] = resource.subject_kind
        row = tables[code].get(services.subject_bidx(tables[code]["_kind"], number))
        return row.data() if row else None

    people = {u.id_number: u for u in User.objects.filter(kind="citizen")}
    married = 0
    for number, user in people.items():
        hj = record("GA-HJXX", number)
        assert hj["name"] == user.name and hj["birth_date"] == user.birth_date.isoformat()
        m = record("MZ-HYDJ", number)
        if m and m["marital_status"] == "已婚":
            married += 1
            spouse = people[m["spouse_id"]]
            assert spouse.name == m["spouse_name"] and spouse.gender != user.gender
            assert record("MZ-HYDJ", spouse.id_number)["spouse_id"] == number
    assert married > 100
    children = [u for u in people.values() if u.birth_date.year >= 2000]
    assert children and all(record("WJ-CSYXZM", c.id_number)["child_name"] == c.name for c in children)


def test_demo_clients_can_query_the_gateway(demo, db, client):
    from yiwang.accounts.models import User
    from yiwang.exchange import signing
    from yiwang.exchange.demo import client_credentials

    creds = {c["department"]: c for c in client_credentials()}
    zwb = creds["YX-ZWB"]
    person = User.objects.filter(kind="citizen").order_by("username").first()
    body = json.dumps({"resource": "GA-HJXX", "subject": person.id_number, "purpose": "演示"}).encode()
    path = "/api/v1/exchange/gateway/query"
    r = client.post(path, body, content_type="application/json",
                    headers=signing.sign(zwb["key_id"], zwb["secret"], "POST", path, body))
    assert r.status_code == 200 and r.json()["fields"]["name"] == person.name
    out = StringIO()
    call_command("load_demo_exchange", "--clients", stdout=out)
    assert "yx-zwb-demo" in out.getvalue()


def test_demo_supervisor_sees_the_overdue_request(demo, db):
    from yiwang.exchange.models import ShareRequest

    late = ShareRequest.objects.get(resource__code="ZRZY-BDC", requester__code="YX-JYJ")
    assert late.status == "pending" and late.overdue_flagged_at is not None
    fresh = ShareRequest.objects.get(resource__code="MZ-HYDJ", requester__code="YX-GJJ")
    assert fresh.overdue_flagged_at is None


def test_featured_citizen_sees_sample_uses(demo, db):
    from yiwang.accounts.actor import Actor
    from yiwang.accounts.models import User
    from yiwang.exchange import selectors

    first = User.objects.get(username="demo_c0001")
    rows = list(selectors.my_data_usage(Actor(user=first)))
    assert len(rows) == 2 and {r.department.code for r in rows} == {"YX-MZ", "YX-ZRZY"}
    assert demo["sample_queries"]["created"] == 3
