"""Before `load_demo`, `demo_accounts` prints an empty list and a hint."""

import json
from io import StringIO

from django.core.management import call_command


def test_demo_accounts_before_loading(db):
    from yiwang.core.demo.accounts import demo_accounts

    out, err = StringIO(), StringIO()
    call_command("demo_accounts", "--json", stdout=out, stderr=err)
    assert json.loads(out.getvalue()) == []
    assert "load_demo" in err.getvalue()
    assert demo_accounts() == []


def test_load_demo_refuses_when_demo_mode_is_off(db, settings):
    from yiwang.core.models import Division

    settings.DEMO_MODE = False
    err = StringIO()
    call_command("load_demo", stdout=StringIO(), stderr=err)
    assert "Demo mode is off" in err.getvalue()
    assert not Division.objects.exists()
