"""The case-submission benchmark's floor (bench/cases_submit.py): not mounted unless asked for;
when used it authenticates like the API and makes exactly one INSERT."""

from __future__ import annotations

import json

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import Resolver404, resolve

from yiwang.accounts.services import issue_token
from yiwang.notifications.models import Notification


def test_not_mounted_by_default(db):
    try:
        resolve("/bench/floor")
    except Resolver404:
        return
    raise AssertionError("the bench floor must only be mounted with YIWANG_BENCH_FLOOR=1")


def test_auth_and_one_insert(db, make_citizen):
    from ninja.testing import TestClient

    from yiwang.cases import bench_floor

    user = make_citizen()
    raw, _token = issue_token(user)
    client = TestClient(bench_floor.api)
    assert client.post("/floor", json={"note": "x"}).status_code == 401
    with CaptureQueriesContext(connection) as queries:
        r = client.post("/floor", json={"note": "x"}, headers={"Authorization": f"Bearer {raw}"})
    assert r.status_code == 201, r.content
    inserts = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("INSERT")]
    assert len(inserts) == 1 and "notifications_notification" in inserts[0]
    assert Notification.objects.get(pk=json.loads(r.content)["id"]).recipient == user
