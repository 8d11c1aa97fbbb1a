"""The demo licence library agrees with the demo exchange: every 结婚证 belongs to a couple of the
marriage registry (婚姻登记信息), naming the same spouse and date, and every married couple holds one."""

from __future__ import annotations

import json
import time

import pytest


@pytest.fixture(scope="module")
def demo(module_transaction):
    from yiwang.core.demo.loader import load_demo
    from yiwang.exchange.demo import load as load_exchange
    from yiwang.licences import demo as licence_demo

    load_demo()
    load_exchange()
    started = time.perf_counter()
    counts = licence_demo.load()
    counts["seconds"] = time.perf_counter() - started
    return counts


def test_marriage_certificates_match_the_marriage_registry(demo, db):
    from yiwang.accounts.models import User
    from yiwang.exchange import services
    from yiwang.exchange.models import DataRecord
    from yiwang.licences.models import Licence

    registry = {r.subject_bidx: r.data() for r in DataRecord.objects.filter(resource__code="MZ-HYDJ")}
    people = {u.pk: u for u in User.objects.filter(kind="citizen")}
    certificates = list(Licence.objects.filter(type__code="JHZ"))
    assert len(certificates) > 100
    holders = set()
    for lic in certificates:
        person = people[lic.holder_user_id]
        record = registry[services.subject_bidx("resident_id", person.id_number)]
        data = json.loads(lic.data)
        assert record["marital_status"] == "已婚"
        assert data["spouse"] == record["spouse_name"] and data["registered_on"] == record["registered_on"]
        assert data["certificate_no"] == record["certificate_no"]
        assert lic.valid_from.isoformat() == record["registered_on"] and lic.state() == "valid"
        holders.add(person.id_number)
    # the spouse holds the matching one, and every married resident of the registry holds one
    by_number = {u.id_number: u for u in people.values()}
    married = {n for n, u in by_number.items()
               if registry.get(services.subject_bidx("resident_id", n), {}).get("marital_status") == "已婚"}
    assert holders == married
    for number in holders:
        spouse_id = registry[services.subject_bidx("resident_id", number)]["spouse_id"]
        assert spouse_id in holders and by_number[spouse_id].name == json.loads(
            Licence.objects.get(type__code="JHZ", holder_user=by_number[number]).data)["spouse"]
    # divorced residents hold no current 结婚证
    divorced = [n for n in by_number
                if registry.get(services.subject_bidx("resident_id", n), {}).get("marital_status") == "离婚"]
    assert divorced and not holders & set(divorced)


def test_the_licence_demo_stays_fast_and_idempotent(demo, db):
    from yiwang.licences import demo as licence_demo

    assert demo["licences"] > 500
    assert demo["seconds"] < 30, f"loading the demo licences took {demo['seconds']:.1f}s"
    assert licence_demo.load()["licences"] == 0


def _registry(code: str) -> dict[str, dict]:
    from yiwang.exchange.models import DataRecord

    return {r.subject_bidx: r.data() for r in DataRecord.objects.filter(resource__code=code)}


def test_residence_permits_go_to_residents_registered_elsewhere(demo, db):
    from yiwang.accounts.models import User
    from yiwang.exchange import services
    from yiwang.licences.models import Licence

    population, insured, homes = (_registry(c) for c in ("GA-HJXX", "RS-CBJF", "ZRZY-BDC"))
    permits = {lic.holder_user_id: lic for lic in Licence.objects.filter(type__code="JZZ").select_related("issuer")}
    assert len(permits) > 20
    outsiders = 0
    for user in User.objects.filter(kind="citizen"):
        bidx = services.subject_bidx("resident_id", user.id_number)
        household = population[bidx]["household_division"]
        lic = permits.get(user.pk)
        if household.startswith("江苏省江东市云溪区"):
            assert lic is None, f"{user.name} is registered in the district and holds a 居住证"
            continue
        outsiders += 1
        if lic is None:
            continue
        # registered elsewhere, living here with a job or a home, permit valid and issued by the police
        assert json.loads(lic.data) == {"address": user.address, "household": household}
        assert insured.get(bidx, {}).get("status") == "正常参保缴费" or bidx in homes
        assert lic.issuer.code == "YX-GA" and lic.state() == "valid" and lic.valid_until is not None
    assert outsiders > len(permits)


def test_professional_qualifications_match_the_holders_degrees(demo, db, client):
    from collections import Counter

    from yiwang.exchange import services
    from yiwang.licences.demo import QUALIFICATIONS
    from yiwang.licences.models import Licence

    degrees = _registry("JY-XLXX")
    held = list(Licence.objects.filter(type__code="ZYZG").select_related("holder_user", "issuer"))
    kinds = Counter()
    for lic in held:
        degree = degrees[services.subject_bidx("resident_id", lic.holder_user.id_number)]
        data = json.loads(lic.data)
        qualification, _category, dept, levels, _years, since, _prefix = QUALIFICATIONS[degree["major"]]
        # a doctor studied medicine, a lawyer law...; granted by the department in charge, after the degree
        assert data["qualification"] == qualification and data["major"] == degree["major"]
        assert degree["education"] in levels and lic.issuer.code == dept and lic.issuer_code == lic.issuer.uscc
        assert f".ZYZG.{lic.issuer.uscc}." in lic.identifier
        assert lic.valid_from.year > int(degree["graduated"]) and lic.valid_from.year >= since
        assert lic.state() == "valid" and lic.type.issuer.code == "YX-RS"
        kinds[data["qualification"]] += 1
    assert set(kinds) == {q[0] for q in QUALIFICATIONS.values()} and all(n >= 3 for n in kinds.values()), kinds
    # the public verification page names the granting department, not the type's
    lawyer = next(lic for lic in held if lic.issuer.code == "YX-SF")
    r = client.get(f"/licences/verify/{lawyer.identifier}", headers={"accept": "application/json"})
    assert r.status_code == 200 and r.json()["status"] == "valid" and r.json()["issuer"] == "云溪区司法局"
