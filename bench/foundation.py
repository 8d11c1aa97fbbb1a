"""Foundation benchmark: the per-request costs every later feature pays.

Prints, for the configured database (DATABASE_URL; SQLite by default):
  * identity validation: numbers/s for resident IDs and USCCs;
  * bearer-token auth: GET /api/v1/me with a token vs. the floor GET /api/v1/org/departments
    (no auth, one small query), both through Django's full middleware stack in-process, and the
    ratio auth/floor;
  * audit append: events/s for audit.record() (hash chain + head-row lock), vs. a plain INSERT of
    the same row size as the floor.

Run:  .venv/bin/python bench/foundation.py [--n 2000]
It uses a throw-away database (a temp SQLite file, or test_<name> on PostgreSQL) and prints a
Markdown table for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("YIWANG_VAR_DIR", tempfile.mkdtemp(prefix="yiwang-bench-"))
os.environ["DJANGO_SETTINGS_MODULE"] = "yiwang.settings_test"


def timed(fn, n):
    samples = []
    t0 = time.perf_counter()
    for i in range(n):
        s = time.perf_counter()
        fn(i)
        samples.append(time.perf_counter() - s)
    total = time.perf_counter() - t0
    samples.sort()
    return {"rate": n / total, "p50": samples[len(samples) // 2] * 1000, "p99": samples[int(len(samples) * 0.99)] * 1000}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=2000)
    args = parser.parse_args()

    import django

    django.setup()
    from django.db import connection
    from django.test.utils import setup_test_environment

    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        run(args.n)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def run(n):
    from datetime import date

    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from yiwang.accounts.models import User
    from yiwang.accounts.services import issue_token
    from yiwang.core import audit
    from yiwang.core.identity import make_resident_id, make_uscc, validate_resident_id, validate_uscc
    from yiwang.core.models import AuditEvent, CalendarDay

    call_command("createcachetable", verbosity=0)
    rows = []

    ids = [make_resident_id("320102", date(1980, 1, 1 + i % 28), i % 1000) for i in range(1000)]
    usccs = [make_uscc("91", "320102", f"MA{i:06d}") for i in range(1000)]
    r = timed(lambda i: validate_resident_id(ids[i % 1000]), n * 5)
    rows.append(("validate resident ID (in-process)", f"{r['rate']:,.0f}/s", f"{r['p50']:.3f}", f"{r['p99']:.3f}", ""))
    r = timed(lambda i: validate_uscc(usccs[i % 1000]), n * 5)
    rows.append(("validate USCC (in-process)", f"{r['rate']:,.0f}/s", f"{r['p50']:.3f}", f"{r['p99']:.3f}", ""))

    user = User(username="bench", kind="citizen", name="测试", id_number=ids[0], phone="13800000000")
    user.set_password("x")
    user.save()
    raw, _ = issue_token(user)
    client = Client()
    floor = timed(lambda i: client.get("/api/v1/org/departments"), n)
    auth = timed(lambda i: client.get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"}), n)
    rows.append(("floor: GET /api/v1/org/departments (no auth)", f"{floor['rate']:,.0f}/s", f"{floor['p50']:.2f}",
                 f"{floor['p99']:.2f}", "1.00"))
    rows.append(("GET /api/v1/me with bearer token", f"{auth['rate']:,.0f}/s", f"{auth['p50']:.2f}", f"{auth['p99']:.2f}",
                 f"{auth['rate'] / floor['rate']:.2f}"))

    from django.db import transaction

    def plain_insert(i):
        with transaction.atomic():
            CalendarDay.objects.create(date=date(1900 + i // 365, 1, 1).fromordinal(690000 + i), kind="workday", name="x")

    base = timed(plain_insert, n)
    chain = timed(lambda i: audit.record("bench.event", ("bench", str(i)), data={"i": i}), n)
    rows.append(("floor: one INSERT in a transaction", f"{base['rate']:,.0f}/s", f"{base['p50']:.2f}", f"{base['p99']:.2f}", "1.00"))
    rows.append(("audit.record (hash chain + head lock)", f"{chain['rate']:,.0f}/s", f"{chain['p50']:.2f}",
                 f"{chain['p99']:.2f}", f"{chain['rate'] / base['rate']:.2f}"))
    from yiwang.core.audit import verify_chain

    t0 = time.perf_counter()
    checked, problem = verify_chain()
    verify_rate = checked / (time.perf_counter() - t0)
    assert problem is None and checked == AuditEvent.objects.count()
    rows.append(("verify_audit walk", f"{verify_rate:,.0f} events/s", "", "", ""))

    print(f"database: {connection.vendor}; n={n}; python {sys.version.split()[0]}")
    print("| measure | rate | p50 ms | p99 ms | ratio to floor |")
    print("|---|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
