"""Helpers for the login tests: enterprises with members, TOTP codes at a given time step."""

from __future__ import annotations

import re
import time

import pytest

PASSWORD = "Yiwang#2026"  # the shared fixtures' password (tests/conftest.py)


def totp_at(device, offset: int = 0) -> str:
    """The code an authenticator app shows ``offset`` time steps from now."""
    from django_otp.oath import TOTP

    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, 0)
    totp.time = time.time() + offset * device.step
    return f"{totp.token():0{device.digits}d}"


def latest_sms_code(user) -> str:
    """The code in the newest SMS to ``user`` (what the phone would show)."""
    from yiwang.notifications.models import Notification

    message = Notification.objects.filter(recipient=user, channel="sms").order_by("-created_at", "-pk").first()
    assert message is not None, "no SMS was sent"
    match = re.search(r"\d{6}", message.body)
    assert match, message.body
    return match.group(0)


@pytest.fixture
def make_enterprise(db, make_citizen):
    """make_enterprise(members=[(user, kind, valid_until)]) -> Enterprise; a legal rep is made
    when no member is given."""
    from yiwang.accounts.models import Enterprise, EnterpriseMember
    from yiwang.core.identity import make_uscc

    counter = {"n": 0}

    def _make(members=None, name="云溪示范科技有限公司"):
        counter["n"] += 1
        enterprise = Enterprise.objects.create(
            uscc=make_uscc("91", "329002", f"MA1XY{counter['n']:03d}"), name=name, legal_representative="陈刚"
        )
        if members is None:
            members = [(make_citizen(name="陈刚"), EnterpriseMember.Kind.LEGAL_REP, None)]
        for user, kind, valid_until in members:
            EnterpriseMember.objects.create(enterprise=enterprise, user=user, kind=kind, valid_until=valid_until)
        return enterprise

    return _make


@pytest.fixture
def anon_client():
    from django.test import Client

    return Client()
