"""Dispatch-suggestion benchmark (issue: 12345 hotline, part 10).

On a throw-away database (a temp SQLite file, or test_<name> on the PostgreSQL of DATABASE_URL):
  1. loads the demo district's structure (divisions, departments, grids), the category tree and
     the generated year of history (5,200 work orders; ``hotline.demo.history``);
  2. trains the dispatch classifier from that database exactly as a web process does
     (``hotline.classifier.model()``) and times it;
  3. scores it on the held-out labelled set (bench/hotline_heldout.py: 312 texts written for this
     benchmark, never trained on): top-1 and top-3 accuracy of the (category, lead department)
     pair, and of the category alone;
  4. measures per-suggestion latency: in-process ``classifier.suggest(text, 3)`` (each held-out
     text 5 times) and through the full HTTP stack in-process (``POST /api/v1/hotline/suggest``
     with a bearer token, Django's test client), p50 / p95 / p99.

Run:  .venv/bin/python bench/hotline_dispatch.py [--orders 5200] [--repeat 5]
Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("YIWANG_VAR_DIR", tempfile.mkdtemp(prefix="yiwang-bench-hotline-"))
os.environ["DJANGO_SETTINGS_MODULE"] = "yiwang.settings_test"

from _support import load_district_structure, pct  # noqa: E402


def load_structure(orders: int) -> float:
    from yiwang.hotline.demo import history, knowledge

    t0 = time.perf_counter()
    load_district_structure()
    knowledge.load()
    history.load(orders)
    return time.perf_counter() - t0


def run(args):
    from django.db import connection
    from django.test import Client

    from hotline_heldout import HELDOUT
    from yiwang.accounts.models import RoleAssignment, User
    from yiwang.accounts.services import issue_token
    from yiwang.core.models import Department
    from yiwang.hotline import classifier
    from yiwang.hotline.models import WorkOrder

    load_s = load_structure(args.orders)
    n_orders = WorkOrder.objects.count()
    classifier.reset()
    t0 = time.perf_counter()
    model = classifier.model()
    train_s = time.perf_counter() - t0

    top1 = top3 = cat1 = cat3 = 0
    per_group: dict[str, list[int]] = {}
    for category, department, text in HELDOUT:
        res = classifier.suggest(text, 3)
        pairs = [(s.category, s.department) for s in res]
        cats = [c for c, _d in pairs]
        hit1, hit3 = pairs[0] == (category, department), (category, department) in pairs
        top1 += hit1
        top3 += hit3
        cat1 += cats[0] == category
        cat3 += category in cats
        g = per_group.setdefault(category[:2], [0, 0])
        g[0] += hit3
        g[1] += 1
    n = len(HELDOUT)

    lat = []
    for _ in range(args.repeat):
        for _c, _d, text in HELDOUT:
            s = time.perf_counter()
            classifier.suggest(text, 3)
            lat.append(time.perf_counter() - s)

    op = User(username="bench_operator", kind=User.Kind.STAFF, name="话务员")
    op.set_password(None)
    op.save()
    RoleAssignment.objects.create(user=op, role="hotline_operator", department=Department.objects.get(code="YX-12345"))
    token = issue_token(op)[0]
    client = Client()
    http = []
    headers = {"Authorization": f"Bearer {token}"}
    for _c, _d, text in HELDOUT * 2:
        s = time.perf_counter()
        r = client.post("/api/v1/hotline/suggest", {"text": text}, content_type="application/json", headers=headers)
        http.append(time.perf_counter() - s)
        assert r.status_code == 200, r.content

    print(f"database: {connection.vendor}; history orders: {n_orders}; held-out texts: {n}; "
          f"categories: {len(model.categories.labels)}; features: {len(model.categories.vocab)}; "
          f"python {sys.version.split()[0]}; load average {os.getloadavg()[0]:.1f}")
    print(f"loading the demo structure and history: {load_s:.1f} s; training from the database: {train_s:.2f} s")
    print()
    print("| measure | value |")
    print("|---|---|")
    print(f"| top-1 accuracy (category + department) | {top1 / n:.1%} ({top1}/{n}) |")
    print(f"| top-3 accuracy (category + department) | {top3 / n:.1%} ({top3}/{n}) |")
    print(f"| top-1 accuracy (category only) | {cat1 / n:.1%} |")
    print(f"| top-3 accuracy (category only) | {cat3 / n:.1%} |")
    print(f"| suggest() in-process, p50 / p95 / p99 ms | {pct(lat, .5):.2f} / {pct(lat, .95):.2f} / {pct(lat, .99):.2f}"
          f" (n={len(lat)}, mean {statistics.mean(lat) * 1000:.2f}) |")
    print(f"| POST /api/v1/hotline/suggest (full stack, in-process), p50 / p95 / p99 ms | {pct(http, .5):.2f} / "
          f"{pct(http, .95):.2f} / {pct(http, .99):.2f} (n={len(http)}) |")
    print()
    print("top-3 by category group: " + ", ".join(f"{g} {h}/{t}" for g, (h, t) in sorted(per_group.items())))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=5200)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    import django

    django.setup()
    from django.db import connection
    from django.test.utils import setup_test_environment

    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        run(args)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
