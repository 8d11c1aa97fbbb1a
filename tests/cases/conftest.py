"""Fixtures for case tests. ``make_item`` and ``upload`` (published catalog items built directly,
independent of the demo, and stored uploads) come from tests/conftest.py."""

from __future__ import annotations

import pytest


@pytest.fixture
def flow(org, make_citizen, make_staff, make_item, client):
    """The people and moves of tests/cases/flows.py (see its docstring)."""
    from .flows import Flow

    return Flow(org, make_citizen, make_staff, make_item, client)
