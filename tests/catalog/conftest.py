"""The demo catalog, loaded once per test module inside a transaction that is rolled back at the
end of the module (each test still runs in its own savepoint, so tests stay independent)."""

from __future__ import annotations

import pytest


def create_demo_departments():
    """The district and its departments from the demo district's own (pure) data module."""
    from yiwang.core.demo import CITY, DISTRICT, PROVINCE
    from yiwang.core.demo.orgs import departments
    from yiwang.core.models import Department, Division

    prov, _ = Division.objects.get_or_create(code=PROVINCE[0], defaults={"name": PROVINCE[1], "level": "province"})
    city, _ = Division.objects.get_or_create(code=CITY[0], defaults={"name": CITY[1], "level": "city", "parent": prov})
    district, _ = Division.objects.get_or_create(code=DISTRICT[0], defaults={"name": DISTRICT[1], "level": "district",
                                                                              "parent": city})
    for spec in departments():
        if spec.division != DISTRICT[0]:
            continue
        Department.objects.get_or_create(code=spec.code, defaults={
            "name": spec.name, "short_name": spec.short_name, "uscc": spec.uscc, "kind": spec.kind,
            "division": district, "phone": spec.phone, "address": spec.address})


@pytest.fixture(scope="module")
def demo_catalog(django_db_setup, django_db_blocker):
    from django.db import transaction

    from yiwang.catalog.demo.loader import load

    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            create_demo_departments()
            report = load()
            assert report.ok, [str(p) for p in report.problems[:20]]
            yield report
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
