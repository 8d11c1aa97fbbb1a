"""The demo catalog, loaded once per test module inside a transaction that is rolled back at the
end of the module (each test still runs in its own savepoint, so tests stay independent)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def demo_catalog(django_db_setup, django_db_blocker):
    from django.db import transaction

    from yiwang.catalog.demo.loader import create_demo_departments, load

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
