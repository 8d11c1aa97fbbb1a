"""Point 10 over the demo district: with the demo catalog, licence library and exchange loaded, every
material a government body issued (catalog source = licence type or shared resource) is fetched
without the applicant — the coverage report shows 100% of the target for every department."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def demo_district(module_transaction):
    from yiwang.catalog.demo.loader import load as load_catalog
    from yiwang.core.demo.loader import load_demo
    from yiwang.exchange.demo import load as load_exchange
    from yiwang.licences.demo import load as load_licences

    load_demo()
    assert load_catalog().ok
    load_exchange()
    load_licences()


def test_every_government_issued_material_of_the_demo_catalog_is_fetched(demo_district, db):
    from yiwang.exchange.coverage import compute

    report = compute()
    totals = report["totals"]
    assert report["licence_library"] is True
    assert totals["target"] >= 170 and totals["total"] > totals["target"]
    assert totals["gaps"] == [] and totals["satisfied"] == totals["target"] and totals["pct_target"] == 100.0
    assert len(report["rows"]) >= 20
    for row in report["rows"]:
        assert row["satisfied"] == row["target"] and row["pct_target"] == 100.0, row


def test_the_public_coverage_page_and_api_show_no_gap(demo_district, db, client):
    page = client.get("/exchange/coverage/").content.decode()
    assert 'data-department="YX-WJW"' in page and "100.0%" in page
    assert "未编目" not in page and "证照库暂无该类有效证照" not in page and "未汇聚数据" not in page
    totals = client.get("/api/v1/exchange/coverage").json()["totals"]
    assert totals["pct_target"] == 100.0 and totals["gaps"] == []




def test_a_family_member_cancels_the_demo_deceaseds_household_registration_with_their_id(demo_district, db):
    """死亡人员户口注销 over the demo data: the child who reports a parent's death gives the
    deceased's ID number on the form; the deceased's death certificate is attached — the applicant
    is not looked up in the registry of the dead — and the fetch is logged with the case number."""
    import json
    import secrets

    from yiwang.accounts.actor import Actor
    from yiwang.accounts.models import User
    from yiwang.cases import services as case_services
    from yiwang.catalog.models import ServiceItem
    from yiwang.core.identity import mask_id_number
    from yiwang.exchange.demo import demo_registry
    from yiwang.exchange.models import QueryLog
    from yiwang.exchange.services import subject_bidx

    registry = demo_registry()
    deceased, death = sorted(registry["WJ-SWZM"].items())[0]
    household = registry["GA-HJXX"][deceased]["household_number"]
    child_number = next(n for n, row in registry["GA-HJXX"].items()
                        if row["household_number"] == household and row["status"] == "正常")
    child = User.objects.get(id_number_bidx=subject_bidx("resident_id", child_number))
    item = ServiceItem.objects.get(current__name="死亡人员户口注销")
    form = {"applicant_name": child.name, "applicant_id": child_number, "deceased_name": death["name"],
            "deceased_id": deceased, "phone": "13800138000", "reason": "家人去世，申报注销户口"}
    case, _created = case_services.submit(Actor(user=child), item_code=item.code, form=form, materials=[],
                                          idempotency_key=secrets.token_hex(8), consent_data_sharing=True)
    fetched = set(case.materials.values_list("material_key", flat=True))
    assert fetched == {"death_certificate", "household_register", "resident_id_card"}
    doc = json.loads(case.materials.get(material_key="death_certificate").file.read())
    assert doc["subject"] == mask_id_number(deceased) and doc["subject_role"] == "third_party"
    assert {f["key"]: f["value"] for f in doc["fields"]}["death_date"] == death["death_date"]
    log = QueryLog.objects.get(case_number=case.number, resource_code="WJ-SWZM")
    assert log.outcome == "ok" and log.subject_bidx == subject_bidx("resident_id", deceased)
    assert case.events.get(action="submit").data["third_party_fetched"] == [
        {"key": "death_certificate", "subject_field": "deceased_id"}]
    assert not QueryLog.objects.filter(resource_code="WJ-SWZM",
                                       subject_bidx=subject_bidx("resident_id", child_number)).exists()
