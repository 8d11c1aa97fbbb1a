"""Work-order intake throughput (issue: 12345 hotline, part 10): concurrent clients filing orders
through ``POST /api/v1/hotline/orders`` on the real stack.

For the chosen database (a fresh temp SQLite file in WAL mode, or a fresh PostgreSQL database):
  1. a setup subprocess migrates and loads the demo district's structure (divisions, departments,
     grids, categories) and N citizens with bearer tokens;
  2. gunicorn (gunicorn.conf.py: WEB_CONCURRENCY workers × WEB_THREADS threads) is started on a free
     loopback port;
  3. first the floor (``POST /bench/floor`` of bench/cases_submit.py: bearer auth, throttles, ninja
     JSON, one INSERT) for the same clients and duration, then the intake itself:
     N keep-alive clients (threads) each file orders back to back for ``--duration`` seconds: a
     text from the demo history generator, coordinates inside the district (resolved to a grid,
     community and street on every request), a caller phone — the full intake path: auth,
     validation, location, order number, encrypted phone + blind index, history event, audit
     event, the JSON detail answer;
  4. a verify subprocess checks that every acknowledged order exists exactly once, with a unique
     number, and that the audit chain is intact.

Run:  .venv/bin/python bench/hotline_intake.py [--db sqlite|postgres] [--clients 20] [--duration 20]
Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
PY = sys.executable
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))

from _support import free_port, load_district_structure, pct, server_env, stop, wait_ready  # noqa: E402


def phase_setup(out_path: str, clients: int) -> None:
    from datetime import date

    import django

    django.setup()
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command

    from yiwang.accounts.models import User
    from yiwang.accounts.services import issue_token
    from yiwang.core.identity import make_resident_id
    from yiwang.grid.demo import grid_specs, sample_point
    from yiwang.hotline.demo import history

    call_command("migrate", verbosity=0)
    load_district_structure()
    password = make_password(None)
    tokens = []
    for c in range(clients):
        user = User(username=f"bench{c:03d}", kind=User.Kind.CITIZEN, name=f"测试{c:03d}号",
                    id_number=make_resident_id("329002", date(1970 + c % 30, 1 + c % 12, 1 + c % 28), 100 + c),
                    phone=f"139{c:08d}", password=password)
        user.save()
        tokens.append(issue_token(user)[0])
    rng = random.Random(5)
    grids = grid_specs()
    texts = [s.text for s in history.generate(600)]
    payloads = []
    kinds = {"c": "complaint", "h": "help", "s": "suggestion"}
    for i, text in enumerate(texts):
        lng, lat = sample_point(rng.choice(grids), rng.random(), rng.random())
        payloads.append({"kind": rng.choice(list(kinds.values())), "text": text, "lat": lat, "lng": lng,
                         "address": f"云溪区测试路 {i} 号", "callback_preference": "sms"})
    Path(out_path).write_text(json.dumps({"tokens": tokens, "payloads": payloads}, ensure_ascii=False))


def phase_verify(acks_path: str) -> None:
    import django

    django.setup()
    from django.db import connection
    from django.db.models import Count

    from yiwang.core.audit import verify_chain
    from yiwang.hotline.models import Event, WorkOrder

    acked = json.loads(Path(acks_path).read_text())
    numbers = list(WorkOrder.objects.values_list("number", flat=True))
    dupes = WorkOrder.objects.values("number").annotate(n=Count("id")).filter(n__gt=1).count()
    checked, problem = verify_chain()
    print(json.dumps({
        "vendor": connection.vendor, "acked": len(acked), "acked_unique": len(set(acked)), "orders": len(numbers),
        "duplicates": dupes, "missing": len(set(acked) - set(numbers)),
        "with_grid": WorkOrder.objects.filter(grid__isnull=False).count(),
        "create_events": Event.objects.filter(action="create").count(),
        "audit_events_checked": checked, "audit_chain_ok": problem is None,
    }))


def drive(port: int, tokens: list[str], payloads: list[dict], duration: float, path: str = "/api/v1/hotline/orders"
          ) -> dict:
    box = {"deadline": float("inf")}
    barrier = threading.Barrier(len(tokens) + 1)
    results = []

    def client(c: int):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        headers = {"Authorization": f"Bearer {tokens[c]}", "Content-Type": "application/json"}
        lat, statuses, acked, errors = [], {}, [], []
        barrier.wait()
        i = c
        while time.perf_counter() < box["deadline"]:
            body = json.dumps(payloads[i % len(payloads)] if path.startswith("/api/") else {"note": "bench"},
                              ensure_ascii=False).encode()
            i += len(tokens)
            start = time.perf_counter()
            try:
                conn.request("POST", path, body=body, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
            except (OSError, http.client.HTTPException) as exc:
                errors.append(f"{type(exc).__name__}: {exc}")
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                continue
            lat.append(time.perf_counter() - start)
            statuses[resp.status] = statuses.get(resp.status, 0) + 1
            if resp.status == 201:
                acked.append(json.loads(data).get("number"))
            elif len(errors) < 3:
                errors.append(f"{resp.status} {data[:200]!r}")
        conn.close()
        results.append((lat, statuses, acked, errors))

    threads = [threading.Thread(target=client, args=(c,), daemon=True) for c in range(len(tokens))]
    for t in threads:
        t.start()
    box["deadline"] = time.perf_counter() + duration
    start = time.perf_counter()
    barrier.wait()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    lat = [x for r in results for x in r[0]]
    statuses: dict = {}
    for r in results:
        for k, v in r[1].items():
            statuses[k] = statuses.get(k, 0) + v
    acked = [n for r in results for n in r[2]]
    return {"requests": len(lat), "ok": len(acked), "rate": len(acked) / elapsed, "elapsed": elapsed,
            "p50": pct(lat, .5), "p95": pct(lat, .95), "p99": pct(lat, .99), "statuses": statuses, "acked": acked,
            "errors": [e for r in results for e in r[3]][:5], "load": os.getloadavg()[0]}


def run_database(kind: str, args) -> None:
    workdir = Path(tempfile.mkdtemp(prefix=f"yiwang-bench-hotline-{kind}-"))
    env = server_env(workdir, args.workers, args.threads)
    (workdir / "var").mkdir()
    dbname = None
    if kind == "sqlite":
        env["DATABASE_URL"] = f"sqlite:///{workdir / 'bench.sqlite3'}"
    else:
        import psycopg

        dbname = f"yiwang_bench_hotline_{os.getpid()}"
        with psycopg.connect(f"{args.pg_url.rstrip('/')}/postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{dbname}"')
        env["DATABASE_URL"] = f"{args.pg_url.rstrip('/')}/{dbname}"
    fixture = workdir / "fixture.json"
    t0 = time.perf_counter()
    subprocess.run([PY, __file__, "--phase", "setup", "--out", str(fixture), "--clients", str(max(args.clients))],
                   env=env, check=True, cwd=ROOT)
    setup_s = time.perf_counter() - t0
    data = json.loads(fixture.read_text())
    port = free_port()
    log = open(workdir / "gunicorn.log", "wb")
    proc = subprocess.Popen([GUNICORN, "yiwang.wsgi:application", "-c", "gunicorn.conf.py", "--bind",
                             f"127.0.0.1:{port}"], env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    rows, acked = [], []
    try:
        wait_ready(port, proc, timeout=120)
        drive(port, data["tokens"][:4], data["payloads"], args.warmup)  # warm-up (imports, connections)
        for n in args.clients:
            floor = drive(port, data["tokens"][:n], data["payloads"], args.duration, "/bench/floor")
            r = drive(port, data["tokens"][:n], data["payloads"], args.duration)
            acked += r["acked"]
            rows.append((n, r, floor))
    finally:
        stop(proc)
        log.close()
    acks = workdir / "acks.json"
    acked = [a for a in acked if a]
    acks.write_text(json.dumps(acked))
    out = subprocess.run([PY, __file__, "--phase", "verify", "--out", str(acks)], env=env, check=True, cwd=ROOT,
                         capture_output=True, text=True)
    verify = json.loads(out.stdout.strip().splitlines()[-1])
    verify["acked"] = len([a for a in acked if a])
    if dbname:
        import psycopg

        with psycopg.connect(f"{args.pg_url.rstrip('/')}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
    print(f"database: {kind}; gunicorn {args.workers} workers × {args.threads} threads; {args.duration:.0f} s per "
          f"run; setup {setup_s:.0f} s; python {sys.version.split()[0]}")
    print("| clients | orders filed | orders/s | p50 ms | p95 ms | p99 ms | non-201 | floor req/s | intake/floor "
          "| load avg |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for n, r, floor in rows:
        bad = sum(v for k, v in r["statuses"].items() if k != 201)
        print(f"| {n} | {r['ok']} | {r['rate']:.0f} | {r['p50']:.0f} | {r['p95']:.0f} | {r['p99']:.0f} | {bad} | "
              f"{floor['rate']:.0f} | {r['rate'] / floor['rate']:.2f} | {r['load']:.1f} |")
        if r["errors"]:
            print(f"|   errors: {r['errors']} |")
    print(f"verify: {json.dumps(verify)}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--phase")
    parser.add_argument("--out")
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--pg-url", default=os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432"))
    parser.add_argument("--clients", type=lambda s: [int(x) for x in str(s).split(",")], default=[10, 50])
    parser.add_argument("--duration", type=float, default=20)
    parser.add_argument("--warmup", type=float, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()
    if args.phase == "setup":
        phase_setup(args.out, max(args.clients) if isinstance(args.clients, list) else args.clients)
    elif args.phase == "verify":
        phase_verify(args.out)
    else:
        run_database(args.db, args)


if __name__ == "__main__":
    main()
