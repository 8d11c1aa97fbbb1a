"""Point 10 over the demo district: with the demo catalog, licence library and exchange loaded, every
material a government body issued (catalog source = licence type or shared resource) is fetched
without the applicant — the coverage report shows 100% of the target for every department."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def demo_district(django_db_setup, django_db_blocker):
    from django.db import transaction

    from yiwang.catalog.demo.loader import load as load_catalog
    from yiwang.core.demo.loader import load_demo
    from yiwang.exchange.demo import load as load_exchange
    from yiwang.licences.demo import load as load_licences

    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            load_demo()
            assert load_catalog().ok
            load_exchange()
            load_licences()
            yield
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


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
