"""The audit trail: a hash chain that names the first broken link, append-only on PostgreSQL,
and one unbroken sequence however many writers append at once."""

from __future__ import annotations

import os
import subprocess
import sys
from contextlib import contextmanager
from datetime import date
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction

from concurrency import in_threads
from yiwang.core import audit
from yiwang.core.models import AuditChainHead, AuditEvent

ROOT = Path(__file__).resolve().parents[2]
on_postgres = pytest.mark.skipif(connection.vendor != "postgresql",
                                 reason="the append-only trigger exists on PostgreSQL only")


def record_n(n: int, **data) -> list[AuditEvent]:
    return [audit.record("test.event", ("case", str(i)), data={"i": i, **data}) for i in range(1, n + 1)]


@contextmanager
def as_table_owner():
    """What an attacker with the table owner's rights could do: switch the append-only trigger off."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("ALTER TABLE core_auditevent DISABLE TRIGGER core_auditevent_append_only")
    try:
        yield
    finally:
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute("ALTER TABLE core_auditevent ENABLE TRIGGER core_auditevent_append_only")


def tamper(sql: str, params=()) -> None:
    with as_table_owner(), connection.cursor() as cur:
        cur.execute(sql, params)


def verify_fails_with() -> str:
    with pytest.raises(CommandError) as exc:
        call_command("verify_audit", stdout=StringIO())
    return str(exc.value)


# --- the chain ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_record_builds_a_chain(make_citizen):
    user = make_citizen()
    events = record_n(4)
    events.append(audit.record("user.viewed", user, actor=user, role="citizen", data={"why": "测试"}))
    assert [e.seq for e in events] == [1, 2, 3, 4, 5]
    assert events[0].prev_hash == "0" * 64
    for prev, ev in zip(events, events[1:]):
        assert ev.prev_hash == prev.hash
    assert len({e.hash for e in events}) == 5
    stored = AuditEvent.objects.get(seq=5)
    assert (stored.object_type, stored.object_id) == ("accounts.user", str(user.pk))
    assert stored.actor_id == user.pk and stored.role == "citizen"
    head = AuditChainHead.objects.get(pk=1)
    assert (head.seq, head.hash) == (5, events[-1].hash)


@pytest.mark.django_db
def test_verify_audit_passes_on_an_intact_chain():
    record_n(5)
    out = StringIO()
    call_command("verify_audit", stdout=out)
    assert "5 events verified" in out.getvalue()
    assert audit.verify_chain() == (5, None)


@pytest.mark.django_db
def test_verify_audit_on_an_empty_trail():
    assert audit.verify_chain() == (0, None)


@pytest.mark.django_db
def test_values_that_change_on_the_way_through_the_database_still_verify(make_citizen):
    """Whatever the database hands back (JSON key order, unicode, nested data, long labels, time
    zones) must hash as it did when written, or an honest trail would look tampered."""
    user = make_citizen(name="欧阳娜娜")
    audit.record("odd.data", ("x", "1"), actor=user, data={"z": 1, "a": [1, 2.5, None, True], "中文": {"b": "😀"},
                                                            "big": 2**53, "date": date(2026, 2, 14)})
    audit.record("empty", None, data=None, role="r" * 40, department="d" * 40)
    assert audit.verify_chain() == (2, None)


@pytest.mark.django_db
def test_altered_row_is_named():
    record_n(5)
    tamper("UPDATE core_auditevent SET data = %s WHERE seq = 3", ['{"i": 99}'])
    message = verify_fails_with()
    assert "#3" in message and "altered" in message


@pytest.mark.django_db
@pytest.mark.parametrize("column, value", [("actor_label", "someone else"), ("action", "test.other"),
                                           ("object_id", "42"), ("at", "2020-01-01 00:00:00")])
def test_any_altered_column_is_detected(column, value):
    record_n(4)
    tamper(f"UPDATE core_auditevent SET {column} = %s WHERE seq = 2", [value])
    assert "#2" in verify_fails_with()


@pytest.mark.django_db
def test_altered_row_with_recomputed_hash_breaks_the_next_link():
    events = record_n(5)
    ev = AuditEvent.objects.get(seq=3)
    ev.data = {"i": 99}
    forged = audit.compute_hash(ev)
    tamper("UPDATE core_auditevent SET data = %s, hash = %s WHERE seq = 3", ['{"i": 99}', forged])
    assert forged != events[2].hash
    message = verify_fails_with()
    assert "#4" in message and "prev_hash" in message


@pytest.mark.django_db
def test_deleted_middle_row_is_named():
    record_n(6)
    tamper("DELETE FROM core_auditevent WHERE seq = 4")
    message = verify_fails_with()
    assert "#4 is missing" in message


@pytest.mark.django_db
def test_deleted_first_row_is_named():
    record_n(3)
    tamper("DELETE FROM core_auditevent WHERE seq = 1")
    assert "#1 is missing" in verify_fails_with()


@pytest.mark.django_db
def test_deleted_tail_is_reported():
    record_n(6)
    tamper("DELETE FROM core_auditevent WHERE seq >= 5")
    message = verify_fails_with()
    assert "#5" in message and "#6" in message and "tail" in message


@pytest.mark.django_db
def test_everything_deleted_is_reported():
    record_n(3)
    tamper("DELETE FROM core_auditevent")
    message = verify_fails_with()
    assert "#1" in message and "#3" in message


@pytest.mark.django_db
def test_tail_replaced_with_a_forged_event_is_reported():
    """Delete the last event and append a self-consistent forgery in its place: the chain head
    (updated only by record()) no longer matches."""
    events = record_n(4)
    tamper("DELETE FROM core_auditevent WHERE seq = 4")
    forged = AuditEvent(seq=4, at=events[3].at, actor_label="", role="", department="", action="test.innocent",
                        object_type="", object_id="", data={}, request_id="", ip="", prev_hash=events[2].hash)
    forged.hash = audit.compute_hash(forged)
    forged.save(force_insert=True)
    assert "#4" in verify_fails_with()


@pytest.mark.django_db
def test_verify_reads_in_batches():
    record_n(7)
    assert audit.verify_chain(batch=2) == (7, None)
    tamper("DELETE FROM core_auditevent WHERE seq = 5")
    checked, problem = audit.verify_chain(batch=2)
    assert checked == 4 and problem.seq == 5


@pytest.mark.django_db
def test_record_rolls_back_with_the_change():
    record_n(2)
    with pytest.raises(RuntimeError), transaction.atomic():
        audit.record("doomed", ("x", "1"))
        raise RuntimeError
    after = audit.record("next", ("x", "2"))
    assert after.seq == 3
    assert audit.verify_chain() == (3, None)


# --- the command's exit status, as cron or an operator sees it ----------------------------------


def _manage(*args) -> subprocess.CompletedProcess:
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        url = f"sqlite:///{s['NAME']}"
    else:
        url = f"postgres://{s['USER'] or ''}{':' + s['PASSWORD'] if s['PASSWORD'] else ''}@{s['HOST'] or ''}" \
              f"{':' + str(s['PORT']) if s['PORT'] else ''}/{s['NAME']}"
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "yiwang.settings_test",
           "PYTHONPATH": str(ROOT / "src")}
    return subprocess.run([sys.executable, str(ROOT / "manage.py"), *args], env=env, capture_output=True,
                          text=True, timeout=60)


@pytest.mark.django_db(transaction=True)
def test_manage_py_verify_audit_exit_status():
    record_n(4)
    tamper("UPDATE core_auditevent SET actor_label = %s WHERE seq = 2", ["mallory"])
    bad = _manage("verify_audit")  # the exit status cron / monitoring sees (0 when intact: tested above)
    assert bad.returncode == 1, (bad.stdout, bad.stderr)
    assert "#2" in bad.stderr


# --- PostgreSQL: append-only at the database ----------------------------------------------------


@on_postgres
@pytest.mark.django_db
def test_update_is_refused_by_the_database():
    from django.db import DatabaseError

    record_n(2)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cur:
        cur.execute("UPDATE core_auditevent SET actor_label = 'x' WHERE seq = 1")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(seq=2).update(data={})
    assert audit.verify_chain() == (2, None)


@on_postgres
@pytest.mark.django_db
def test_delete_is_refused_by_the_database():
    from django.db import DatabaseError

    record_n(2)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cur:
        cur.execute("DELETE FROM core_auditevent WHERE seq = 2")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.count() == 2
    assert audit.verify_chain() == (2, None)


# --- concurrent writers -------------------------------------------------------------------------

THREADS, PER_THREAD = 8, 12


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_keep_one_unbroken_chain():
    """Several web workers record at once, starting from an empty trail (so they also race to
    create the chain head): every event gets its own number and the chain verifies."""
    def writer(n: int) -> None:
        for i in range(PER_THREAD):
            audit.record("concurrent", ("writer", str(n)), data={"i": i})

    in_threads(THREADS, writer)
    seqs = list(AuditEvent.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, THREADS * PER_THREAD + 1))
    assert audit.verify_chain() == (THREADS * PER_THREAD, None)
    per_writer = {}
    for object_id in AuditEvent.objects.values_list("object_id", flat=True):
        per_writer[object_id] = per_writer.get(object_id, 0) + 1
    assert per_writer == {str(n): PER_THREAD for n in range(THREADS)}
