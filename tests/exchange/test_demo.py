"""Point 5: the demo registries, generated for the demo district's people and enterprises."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command


@pytest.fixture(scope="module")
def demo(module_transaction):
    from yiwang.core.demo.loader import load_demo
    from yiwang.exchange.demo import load

    load_demo()
    return load()


def test_loaded_and_idempotent(demo, db):
    from yiwang.exchange.demo import load
    from yiwang.exchange.models import DataRecord, DataResource, Grant

    assert demo["resources"]["created"] == 16 and demo["records"]["created"] > 2000
    assert DataResource.objects.get(code="GA-HJXX").records.count() == 520 + 6  # the residents and 6 deceased
    assert DataResource.objects.get(code="SC-QYDJ").records.count() == 108
    # every shared resource holds data; only the 不予共享 one (criminal records) has none
    assert set(DataResource.objects.filter(records__isnull=True).values_list("code", flat=True)) == {"GA-WFFZ"}
    again = load()
    assert all(v["created"] == 0 for v in again.values()), again
    assert DataRecord.objects.count() == demo["records"]["created"]
    assert Grant.objects.filter(grantee__code="YX-ZWB").count() == 15  # every shared resource but 不予共享


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


def _records(code: str) -> dict[str, dict]:
    """{subject blind index: values} of a demo resource as the exchange serves it."""
    from yiwang.exchange.models import DataRecord

    return {r.subject_bidx: r.data() for r in DataRecord.objects.filter(resource__code=code)}


def test_death_certificates_name_deceased_residents_of_the_population_registry(demo, db):
    from yiwang.accounts.models import User
    from yiwang.exchange import services
    from yiwang.exchange.demo import REFERENCE_DAY, demo_registry

    generated = demo_registry()
    population, deaths = _records("GA-HJXX"), _records("WJ-SWZM")
    assert len(deaths) == 6 and len(generated["WJ-SWZM"]) == 6
    users = {u.id_number: u for u in User.objects.filter(kind="citizen")}
    living_households = {}
    for number, user in users.items():
        row = population[services.subject_bidx("resident_id", number)]
        assert row["status"] == "正常", user.name  # no demo resident with an account is dead
        living_households.setdefault(row["household_number"], []).append(row)
    for number in generated["WJ-SWZM"]:
        death = deaths[services.subject_bidx("resident_id", number)]
        person = population[services.subject_bidx("resident_id", number)]
        # the deceased is in the population registry, marked deceased, with no platform account
        assert person["status"] == "死亡" and number not in users
        assert (death["name"], death["gender"]) == (person["name"], person["gender"])
        assert person["birth_date"] < death["death_date"] < REFERENCE_DAY.isoformat()
        assert int(number[16]) % 2 == (1 if person["gender"] == "男" else 0)  # GB 11643 gender digit
        # ... in the household of a living demo resident (the 户主, their child, who reports the death)
        head = [r for r in living_households[person["household_number"]] if r["relation"] == "户主"]
        assert head and head[0]["address"] == person["address"] and person["relation"] in ("父亲", "母亲")
        assert head[0]["birth_date"][:4] > person["birth_date"][:4]


def test_name_declarations_belong_to_the_enterprises_and_their_legal_representatives(demo, db):
    from yiwang.accounts.models import Enterprise, EnterpriseMember, User
    from yiwang.exchange import services

    declarations = _records("SC-MCSB")
    reps = {m.user.id_number: m.enterprise for m in
            EnterpriseMember.objects.filter(kind="legal_rep").select_related("user", "enterprise")}
    names = set(Enterprise.objects.values_list("name", flat=True))
    used = pending = 0
    for user in User.objects.filter(kind="citizen"):
        d = declarations.get(services.subject_bidx("resident_id", user.id_number))
        if d is None:
            continue
        assert d["declarant"] == user.name
        if d["uscc"]:
            used += 1
            enterprise = reps[user.id_number]  # the legal representative of the enterprise named
            assert (enterprise.uscc, enterprise.name) == (d["uscc"], d["name"])
            assert d["declared_on"] < enterprise.established.isoformat() and d["status"].startswith("已使用")
        else:
            pending += 1
            assert d["name"] not in names and d["status"] == "已申报，待办理设立登记"
    companies = Enterprise.objects.filter(subject_type__in=("2", "5")).count()
    assert used == companies and pending == 4 and len(declarations) == used + pending


def test_compulsory_insurance_policies_belong_to_adult_residents(demo, db):
    import re
    from datetime import date

    from yiwang.accounts.models import User
    from yiwang.exchange import services
    from yiwang.exchange.demo import REFERENCE_DAY
    from yiwang.exchange.models import DataResource

    values = dict(zip("0123456789", range(10))) | dict(zip("ABCDEFGH", range(1, 9))) | dict(
        zip("JKLMN", range(1, 6))) | {"P": 7, "R": 9} | dict(zip("STUVWXYZ", range(2, 10)))
    weights = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)
    policies = _records("YB-JQX")
    resource = DataResource.objects.get(code="YB-JQX")
    assert resource.provider.code == "YX-GA" and resource.share_class == "conditional"
    found = 0
    for user in User.objects.filter(kind="citizen"):
        p = policies.get(services.subject_bidx("resident_id", user.id_number))
        if p is None:
            continue
        found += 1
        assert REFERENCE_DAY.year - user.birth_date.year >= 20
        vin = p["vin"]
        check = sum(values[c] * w for c, w in zip(vin, weights)) % 11
        assert len(vin) == 17 and vin[8] == ("X" if check == 10 else str(check)), vin
        start, end = date.fromisoformat(p["period_from"]), date.fromisoformat(p["period_until"])
        assert start <= REFERENCE_DAY <= end and (end - start).days in (364, 365)
        assert p["plate_no"] == "新车未上牌" or re.fullmatch(r"苏J·[A-HJK]\d{4}", p["plate_no"])
    assert found == len(policies) > 50
