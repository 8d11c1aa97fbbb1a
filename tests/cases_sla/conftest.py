"""Fixtures for the SLA sweep and the demo history: cases placed directly in a state."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest

_numbers = itertools.count(1)


@pytest.fixture
def published_item(db):
    """published_item(department, promised=10) -> a published ServiceItem (minimal guide)."""
    from yiwang.catalog.models import ItemVersion, Material, ServiceItem

    def _make(department, *, name="食品经营许可", promised=10, case_type="2", fee=None, objects="1,2"):
        n = next(_numbers)
        item = ServiceItem.objects.create(code=f"11329002SLA{n:05d}", basic_code=f"0002{n:04d}",
                                          department=department, name=name)
        version = ItemVersion.objects.create(
            item=item, number=1, status="review", name=name, item_type="01", basic_code=item.basic_code,
            legal_basis="《中华人民共和国行政许可法》", acceptance_conditions="申请人具备相应条件",
            service_objects=objects, statutory_limit_days=20, promised_limit_days=promised, case_type=case_type,
            fee_required=bool(fee), fees=[{"name": "工本费", "standard": f"{fee} 元/件"}] if fee else [],
            visits=0, online_depth=4, handling_place="云溪区政务服务中心", handling_hours="工作日 9:00-17:00",
            consultation="12345", complaint="12345", result_type="1", result_name=f"{name}证",
            form_schema={"type": "object", "properties": {"note": {"type": "string", "title": "说明"}}},
        )
        Material.objects.create(version=version, order=0, key="application_form", name="申请书",
                                requirement="required", source="applicant")
        ItemVersion.objects.filter(pk=version.pk).update(status="published")
        item.current = ItemVersion.objects.get(pk=version.pk)
        item.save()
        return item

    return _make


@pytest.fixture
def running_case(db, make_citizen):
    """running_case(department, due_in=timedelta | None, status="in_review", paused=False) -> a case
    accepted an hour ago whose promised deadline is ``now + due_in`` (placed directly)."""
    from django.utils import timezone

    from yiwang.cases.models import Case, Status

    applicant = {}

    def _make(department, *, due_at=None, status=Status.IN_REVIEW, paused=False, light="green"):
        if "user" not in applicant:
            applicant["user"] = make_citizen()
        now = timezone.now()
        n = next(_numbers)
        return Case.objects.create(
            number=f"329002{now:%Y%m%d}9{n:05d}", title="食品经营许可", department=department,
            applicant=applicant["user"], applicant_name=applicant["user"].name, status=status,
            submitted_at=now - timedelta(hours=2), accepted_at=now - timedelta(hours=1),
            due_at=due_at or now + timedelta(days=30), promised_days=10, sla_light="paused" if paused else light,
            clock_stopped_at=now - timedelta(minutes=30) if paused else None,
        )

    return _make
