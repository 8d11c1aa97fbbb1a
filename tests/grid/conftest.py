from __future__ import annotations

import pytest


@pytest.fixture
def district(db):
    from hotline.world import build_district

    return build_district()
