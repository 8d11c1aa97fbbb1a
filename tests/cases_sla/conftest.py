"""Fixtures for the SLA sweep and the demo history: cases placed directly in a state, and items
(through tests/conftest.py's ``make_item``) with a minimal guide."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest

_numbers = itertools.count(1)


#: the minimal guide of the SLA and demo-history tests: one material to upload, one free-text field
NOTE_FORM = {"type": "object", "properties": {"note": {"type": "string", "title": "说明"}}}
ONE_MATERIAL = [("application_form", "申请书", True, "applicant")]


@pytest.fixture
def published_item(make_item):
    """published_item(department, promised=10, ...) -> make_item (tests/conftest.py) with a minimal
    guide: one material, one optional field."""

    def _make(department, **kw):
        kw.setdefault("schema", NOTE_FORM)
        kw.setdefault("materials", ONE_MATERIAL)
        return make_item(department, **kw)

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
