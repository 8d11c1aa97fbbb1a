"""Case submission benchmark (issue 4): the full submission path against a floor, on the real stack.

For each database (a fresh temp SQLite file in WAL mode, and/or a fresh PostgreSQL database) it
  1. migrates and loads a minimal fixture: one department, N citizens with bearer tokens
     (``accounts.services.issue_token``), one published item with a form schema and two required
     applicant materials, and pre-uploaded material tokens for every request (uploads are their
     own endpoint; a submission references them);
  2. starts gunicorn (``gunicorn.conf.py``: 2 workers × WEB_THREADS threads) on a free loopback port
     with the bench-only floor mounted (``YIWANG_BENCH_FLOOR=1``, ``yiwang/cases/bench_floor.py``);
  3. drives it with N concurrent keep-alive clients (threads, http.client) for a fixed duration:
       floor: ``POST /bench/floor`` — bearer auth + one INSERT, same middleware, throttles, JSON;
       full:  ``POST /api/v1/cases`` with a unique ``Idempotency-Key`` and its own material tokens —
              auth, form validation, materials, case number, timeline + audit event, notification
              rows + task enqueue, idempotency key, the JSON detail answer;
     with ``--pace S``, the full path again with each client sending one submission every S seconds
     (staggered): the latency an applicant sees below saturation;
  4. re-sends 100 acknowledged keys (same answer, nothing created), reads the peak RSS (VmHWM) of
     each gunicorn worker, stops gunicorn, and proves in the database that every acknowledged
     submission exists exactly once (and nothing else does) and that the audit chain is intact.

Run:  .venv/bin/python bench/cases_submit.py                        # SQLite, then PostgreSQL
      .venv/bin/python bench/cases_submit.py --db sqlite --duration 20 --clients 50
      .venv/bin/python bench/cases_submit.py --pace 1                # + 50 clients at one submission/s each
      .venv/bin/python bench/cases_submit.py --db postgres --pg-url postgres://postgres@127.0.0.1:5432
PostgreSQL runs use Redis for the cache (as a deployment does), SQLite runs the database cache (as the
embedded default does); ``--redis-on`` changes that.
Prints a Markdown table for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
PY = sys.executable
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))

from _support import free_port, pct, server_env, stop, wait_ready, worker_memory  # noqa: E402

FORM = {"applicant_name": "", "applicant_id": "", "phone": "", "business_address": "江东市云溪区人民路 66 号",
        "food_category": "热食类食品制售", "floor_area": 86.5}


# -- phases that run inside Django (subprocesses with the run's environment) -----------------------
def phase_setup(out_path: str, clients: int, per_client: int) -> None:
    import django

    django.setup()
    from datetime import date

    from django.contrib.auth.hashers import make_password
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage
    from django.core.management import call_command

    from yiwang.accounts.models import User
    from yiwang.accounts.services import issue_token
    from yiwang.cases.models import CaseMaterial
    from yiwang.catalog.models import ItemVersion, Material, ServiceItem
    from yiwang.core.identity import make_resident_id, make_uscc
    from yiwang.core.models import Department, Division

    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    call_command("seed_calendar", verbosity=0)
    city = Division.objects.create(code="320100", name="南京市", level="city")
    district = Division.objects.create(code="320102", name="玄武区", level="district", parent=city)
    dept = Department.objects.create(code="BENCH-SCJG", name="玄武区市场监督管理局", short_name="区市场监管局",
                                     uscc=make_uscc("11", "320102", "MB000001"), division=district)
    item = ServiceItem.objects.create(code="11320102BENCH0001", basic_code="00010001", department=dept,
                                      name="食品经营许可")
    version = ItemVersion.objects.create(
        item=item, number=1, status="review", name="食品经营许可（仅销售预包装食品除外）", item_type="01",
        basic_code=item.basic_code, legal_basis="《中华人民共和国食品安全法》第三十五条",
        acceptance_conditions="有与经营的食品品种、数量相适应的经营场所", service_objects="1,2",
        statutory_limit_days=20, promised_limit_days=10, case_type="2", visits=0, online_depth=4,
        handling_place="政务服务中心", handling_hours="工作日 9:00-17:00", consultation="12345", complaint="12345",
        result_type="1", result_name="食品经营许可证",
        form_schema={
            "type": "object",
            "properties": {
                "applicant_name": {"type": "string", "title": "申请人姓名", "maxLength": 30},
                "applicant_id": {"type": "string", "title": "申请人身份证号码", "format": "resident_id"},
                "phone": {"type": "string", "title": "联系电话", "format": "phone"},
                "business_address": {"type": "string", "title": "经营场所地址", "maxLength": 120},
                "food_category": {"type": "string", "title": "经营项目",
                                  "enum": ["预包装食品销售", "散装食品销售", "热食类食品制售", "冷食类食品制售"]},
                "floor_area": {"type": "number", "title": "经营面积（平方米）", "minimum": 1},
            },
            "required": ["applicant_name", "applicant_id", "phone", "business_address", "food_category"],
        },
    )
    for i, (key, name, requirement, source) in enumerate([
        ("application_form", "食品经营许可申请书", "required", "applicant"),
        ("premises_proof", "经营场所使用证明", "required", "applicant"),
        ("resident_id_card", "申请人居民身份证", "required", "licence"),
        ("food_safety_rules", "食品安全管理制度", "conditional", "applicant"),
    ]):
        Material.objects.create(version=version, order=i, key=key, name=name, requirement=requirement,
                                source=source, condition="新办时提供" if requirement == "conditional" else "")
    ItemVersion.objects.filter(pk=version.pk).update(status="published")
    item.current_id = version.pk
    item.save()

    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    stored = default_storage.save("cases/bench/sample.pdf", ContentFile(pdf))
    password = make_password(None)
    out = {"item_code": item.code, "clients": []}
    for c in range(clients):
        id_number = make_resident_id("320102", date(1970 + c % 30, 1 + c % 12, 1 + c % 28), 100 + c)
        phone = f"139{c:08d}"
        user = User(username=f"bench{c:03d}", kind=User.Kind.CITIZEN, name=f"测试{c:03d}号", id_number=id_number,
                    phone=phone, password=password)
        user.save()
        raw, _ = issue_token(user)
        rows, pairs = [], []
        for n in range(per_client):
            pair = []
            for key in ("application_form", "premises_proof"):
                token = uuid.uuid4().hex + uuid.uuid4().hex[:8]
                rows.append(CaseMaterial(upload_token=token, material_key=key, name=f"{key}.pdf", file=stored,
                                         content_type="application/pdf", size=len(pdf), sha256="0" * 64,
                                         uploaded_by=user))
                pair.append(token)
            pairs.append(pair)
        CaseMaterial.objects.bulk_create(rows, batch_size=1000)
        form = dict(FORM, applicant_name=user.name, applicant_id=id_number, phone=phone)
        out["clients"].append({"token": raw, "form": form, "uploads": pairs})
    Path(out_path).write_text(json.dumps(out, ensure_ascii=False))


def phase_verify(acks_path: str) -> None:
    import django

    django.setup()
    from django.db import connection
    from django.db.models import Count

    from yiwang.cases.models import Case, CaseEvent, CaseMaterial, IdempotencyKey
    from yiwang.core.audit import verify_chain
    from yiwang.notifications.models import Notification

    acks = json.loads(Path(acks_path).read_text())
    acked = [a["number"] for a in acks["acked"]]
    numbers = list(Case.objects.values_list("number", flat=True))
    dupes = list(Case.objects.values("number").annotate(n=Count("id")).filter(n__gt=1).values_list("number", flat=True))
    by_key = dict(IdempotencyKey.objects.values_list("key", "case__number"))
    checked, problem = verify_chain()
    result = {
        "vendor": connection.vendor,
        "acked": len(acked),
        "acked_unique": len(set(acked)),
        "cases": len(numbers),
        "duplicates": len(dupes),
        "missing": len(set(acked) - set(numbers)),
        "unacknowledged_extra": len(set(numbers) - set(acked)),
        "keys_match": all(by_key.get(a["key"]) == a["number"] for a in acks["acked"]),
        "submit_events": CaseEvent.objects.filter(action="submit").count(),
        "materials_attached": CaseMaterial.objects.filter(case__isnull=False).count(),
        "case_notifications": Notification.objects.filter(template="case_update").count(),
        "audit_events_checked": checked,
        "audit_chain_ok": problem is None,
    }
    print(json.dumps(result))


# -- the driver ------------------------------------------------------------------------------------
class Client(threading.Thread):
    """One keep-alive connection sending requests back to back until the deadline."""

    def __init__(self, port: int, make_request, deadline_box: dict, barrier: threading.Barrier, limit: int,
                 pace: float = 0.0, offset: float = 0.0):
        super().__init__(daemon=True)
        self.port, self.make_request, self.box, self.barrier, self.limit = port, make_request, deadline_box, barrier, limit
        self.pace, self.offset = pace, offset  # paced: one request every `pace` s, starting at `offset`
        self.latencies: list[float] = []
        self.statuses: dict[int, int] = {}
        self.acked: list[dict] = []
        self.errors: list[str] = []

    def run(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        self.barrier.wait()
        began = time.perf_counter()
        i = 0
        while time.perf_counter() < self.box["deadline"] and i < self.limit:
            if self.pace:  # a person's rhythm, not a flood: wait for this request's slot
                delay = began + self.offset + i * self.pace - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
                if time.perf_counter() >= self.box["deadline"]:
                    break
            method, path, body, headers, meta = self.make_request(i)
            i += 1
            start = time.perf_counter()
            try:
                conn.request(method, path, body=body, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
            except (OSError, http.client.HTTPException) as exc:
                self.errors.append(f"{type(exc).__name__}: {exc}")
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                continue
            self.latencies.append(time.perf_counter() - start)
            self.statuses[resp.status] = self.statuses.get(resp.status, 0) + 1
            if resp.status == 201 and meta is not None:
                self.acked.append({"key": meta["key"], "number": json.loads(data)["number"], "i": meta["i"]})
            elif resp.status >= 300 and len(self.errors) < 5:
                self.errors.append(f"{resp.status} {data[:300]!r}")
        conn.close()


def drive(port: int, factories: list, duration: float, limit: int, pace: float = 0.0) -> dict:
    box = {"deadline": float("inf")}
    barrier = threading.Barrier(len(factories) + 1)
    clients = [Client(port, f, box, barrier, limit, pace, pace * k / len(factories))
               for k, f in enumerate(factories)]
    for c in clients:
        c.start()
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    load0 = os.getloadavg()[0]
    box["deadline"] = time.perf_counter() + duration
    start = time.perf_counter()
    barrier.wait()
    for c in clients:
        c.join()
    elapsed = time.perf_counter() - start
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    latencies = [x for c in clients for x in c.latencies]
    statuses: dict[int, int] = {}
    for c in clients:
        for k, v in c.statuses.items():
            statuses[k] = statuses.get(k, 0) + v
    ok = sum(v for k, v in statuses.items() if 200 <= k < 300)
    return {
        "requests": len(latencies), "ok": ok, "statuses": statuses, "elapsed": elapsed, "rate": ok / elapsed,
        "p50": pct(latencies, 0.50), "p99": pct(latencies, 0.99), "max": max(latencies) * 1000 if latencies else 0,
        "acked": [a for c in clients for a in c.acked], "errors": [e for c in clients for e in c.errors][:10],
        "client_cpu": (cpu1.ru_utime + cpu1.ru_stime) - (cpu0.ru_utime + cpu0.ru_stime),
        "load": (load0, os.getloadavg()[0]),
    }


def run_database(kind: str, args) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix=f"yiwang-bench-cases-{kind}-"))
    env = server_env(workdir, args.workers, args.threads)
    pg_admin = None
    dbname = None
    if kind == "sqlite":
        env["DATABASE_URL"] = f"sqlite:///{workdir / 'bench.sqlite3'}"
    else:
        import psycopg

        dbname = f"yiwang_bench_cases_{os.getpid()}_{int(time.time())}"
        pg_admin = args.pg_url.rstrip("/")
        with psycopg.connect(f"{pg_admin}/postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{dbname}"')
        env["DATABASE_URL"] = f"{pg_admin}/{dbname}"
    if kind in args.redis_on:
        env["REDIS_URL"] = args.redis_url
        env["CACHE_PREFIX"] = f"bench{os.getpid()}{kind}"
    (workdir / "var").mkdir()
    fixture = workdir / "fixture.json"
    per_client = args.max_per_client + 20 + (int(args.duration / args.pace) + 2 if args.pace else 0)
    t0 = time.perf_counter()
    subprocess.run([PY, __file__, "--phase", "setup", "--out", str(fixture), "--clients", str(args.clients),
                    "--per-client", str(per_client)], env=env, check=True, cwd=ROOT)
    setup_s = time.perf_counter() - t0
    data = json.loads(fixture.read_text())
    port = free_port()
    log = open(workdir / "gunicorn.log", "wb")
    command = [GUNICORN, "yiwang.wsgi:application", "-c", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}"]
    if args.src:  # another source tree (a before/after comparison); the schema must be the same
        command += ["--pythonpath", args.src]
    proc = subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    result: dict = {"db": kind, "setup_s": setup_s, "workdir": str(workdir), "load_before": os.getloadavg()[0]}
    try:
        wait_ready(port, proc)
        cursors = [0] * len(data["clients"])

        def floor_factory(c):
            headers = {"Authorization": f"Bearer {data['clients'][c]['token']}", "Content-Type": "application/json"}
            body = json.dumps({"note": "bench"})
            return lambda i: ("POST", "/bench/floor", body, headers, None)

        def full_factory(c):
            client = data["clients"][c]
            base = {"Authorization": f"Bearer {client['token']}", "Content-Type": "application/json"}
            run_id = uuid.uuid4().hex[:8]

            def make(i):
                n = cursors[c]
                cursors[c] += 1
                a, b = client["uploads"][n]
                key = f"bench-{run_id}-{c}-{n}"
                body = json.dumps({"item_code": data["item_code"], "form": client["form"],
                                   "materials": [{"key": "application_form", "upload": a},
                                                 {"key": "premises_proof", "upload": b}]}, ensure_ascii=False)
                return "POST", "/api/v1/cases", body.encode(), {**base, "Idempotency-Key": key}, \
                    {"key": key, "i": n, "body": body}
            return make

        n = len(data["clients"])
        # warm-up: every client, both endpoints (imports, connections, caches)
        drive(port, [floor_factory(c) for c in range(n)], args.warmup, 10 ** 9)
        warm = drive(port, [full_factory(c) for c in range(n)], args.warmup, 10)
        floor = drive(port, [floor_factory(c) for c in range(n)], args.duration, 10 ** 9)
        full = drive(port, [full_factory(c) for c in range(n)], args.duration, args.max_per_client)
        acked = warm["acked"] + full["acked"]
        if args.pace:
            # the same clients at a person's pace (one submission every --pace s each, staggered):
            # the latency an applicant sees below saturation, rather than the queue at saturation
            paced = drive(port, [full_factory(c) for c in range(n)], args.duration, args.max_per_client, args.pace)
            acked += paced["acked"]
            result["paced"] = paced

        # replay 100 acknowledged keys: same number, 200, nothing created
        replay_ok = 0
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        by_client = {}
        for c in range(n):
            by_client[data["clients"][c]["token"]] = c
        sample = full["acked"][:: max(len(full["acked"]) // 100, 1)][:100]
        for a in sample:
            c = int(a["key"].split("-")[2])
            client = data["clients"][c]
            up = client["uploads"][a["i"]]
            body = json.dumps({"item_code": data["item_code"], "form": client["form"],
                               "materials": [{"key": "application_form", "upload": up[0]},
                                             {"key": "premises_proof", "upload": up[1]}]}, ensure_ascii=False)
            conn.request("POST", "/api/v1/cases", body=body.encode(), headers={
                "Authorization": f"Bearer {client['token']}", "Content-Type": "application/json",
                "Idempotency-Key": a["key"]})
            resp = conn.getresponse()
            payload = json.loads(resp.read())
            replay_ok += resp.status == 200 and payload.get("number") == a["number"]
        conn.close()
        memory = worker_memory(proc.pid)
        result.update({"floor": floor, "full": full, "replayed": len(sample), "replay_ok": replay_ok,
                       "memory": memory})
    finally:
        stop(proc)
        log.close()
    acks = workdir / "acks.json"
    acks.write_text(json.dumps({"acked": [{"key": a["key"], "number": a["number"]} for a in acked]}))
    out = subprocess.run([PY, __file__, "--phase", "verify", "--out", str(acks)], env=env, check=True, cwd=ROOT,
                         capture_output=True, text=True)
    result["verify"] = json.loads(out.stdout.strip().splitlines()[-1])
    if dbname and not args.keep:
        import psycopg

        with psycopg.connect(f"{pg_admin}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
    return result


def report(results: list[dict], args) -> str:
    lines = [
        f"clients {args.clients}, {args.duration:.0f} s per endpoint, gunicorn {args.workers} workers × "
        f"{args.threads or os.environ.get('WEB_THREADS', '4')} threads, python {sys.version.split()[0]}, "
        f"{os.cpu_count()} CPUs; 1-minute load average before each run: "
        + ", ".join(f"{r['db']} {r['load_before']:.1f}" for r in results),
        "",
        "| database | endpoint | requests | ok/s | p50 ms | p99 ms | max ms | errors | ratio full/floor | worker peak RSS MB |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        if "full" not in r:
            continue
        hwm = max((m["hwm_mb"] for m in r["memory"]), default=float("nan"))
        db = {"sqlite": "SQLite (WAL, IMMEDIATE)", "postgres": "PostgreSQL"}[r["db"]]
        db += " + Redis cache" if r["db"] in args.redis_on else " + database cache"
        rows = [("floor: auth + 1 INSERT", r["floor"]), ("full: POST /api/v1/cases", r["full"])]
        if "paced" in r:
            rows.append((f"full, paced: 1 per client every {args.pace:g} s", r["paced"]))
        for name, m in rows:
            errors = m["requests"] - m["ok"]
            ratio = {id(r["floor"]): "1.00", id(r["full"]): f"{r['full']['rate'] / r['floor']['rate']:.2f}"}.get(id(m), "")
            lines.append(f"| {db} | {name} | {m['requests']} | {m['rate']:.0f} | {m['p50']:.0f} | {m['p99']:.0f} | "
                         f"{m['max']:.0f} | {errors} | {ratio} | {hwm:.0f} |")
    lines.append("")
    for r in results:
        if "verify" not in r:
            continue
        v = r["verify"]
        ok = (v["acked"] == v["acked_unique"] == v["cases"] and not v["duplicates"] and not v["missing"]
              and not v["unacknowledged_extra"] and v["keys_match"] and v["audit_chain_ok"]
              and r["replay_ok"] == r["replayed"])
        lines.append(
            f"- {r['db']}: {v['acked']} acknowledged submissions, {v['cases']} cases in the database, "
            f"{v['duplicates']} duplicates, {v['missing']} missing, {v['unacknowledged_extra']} unacknowledged; "
            f"idempotency keys match: {v['keys_match']}; replayed {r['replayed']} keys → {r['replay_ok']} same number "
            f"(200, nothing created); audit chain intact over {v['audit_events_checked']} events: {v['audit_chain_ok']} "
            f"→ **{'PASS' if ok else 'FAIL'}**; workers' peak RSS "
            f"{', '.join(format(m['hwm_mb'], '.0f') for m in r['memory'])} MB; load average during full "
            f"{r['full']['load'][0]:.1f}→{r['full']['load'][1]:.1f}; client CPU {r['full']['client_cpu']:.1f} s")
        for name in ("floor", "full", "paced"):
            if name in r and r[name]["errors"]:
                lines.append(f"  - {name} errors (first): {r[name]['errors'][:3]}")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", nargs="+", choices=["sqlite", "postgres"], default=["sqlite", "postgres"])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--duration", type=float, default=20.0, help="seconds per endpoint")
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=0, help="gunicorn threads (default: gunicorn.conf.py)")
    parser.add_argument("--max-per-client", type=int, default=600, help="cap on submissions per client")
    parser.add_argument("--pace", type=float, default=0.0,
                        help="also run the full path paced: each client one submission every PACE s (0: skip)")
    parser.add_argument("--pg-url", default=os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432"))
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14"))
    parser.add_argument("--redis-on", nargs="*", choices=["sqlite", "postgres"], default=["postgres"],
                        help="runs that use Redis for the cache (default: postgres; the others use the "
                             "database cache, as the embedded default does)")
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL database")
    parser.add_argument("--json", help="also write the raw results here")
    parser.add_argument("--wait-load", type=float, default=0.0,
                        help="on a shared machine: wait until the 1-minute load average is below this")
    parser.add_argument("--wait-max", type=float, default=900.0, help="…but not longer than this (seconds)")
    parser.add_argument("--src", help="serve this source tree instead of src/ (before/after comparisons)")
    parser.add_argument("--phase", choices=["setup", "verify"], help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--per-client", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase == "setup":
        return phase_setup(args.out, args.clients, args.per_client)
    if args.phase == "verify":
        return phase_verify(args.out)
    results = []
    for kind in args.db:
        if args.wait_load:
            waited = 0.0
            while os.getloadavg()[0] > args.wait_load and waited < args.wait_max:
                time.sleep(10)
                waited += 10
            print(f"== load average {os.getloadavg()[0]:.1f} (waited {waited:.0f} s)", file=sys.stderr)
        print(f"== {kind}: setting up, then {args.warmup:.0f}+{args.duration:.0f} s per endpoint…", file=sys.stderr)
        results.append(run_database(kind, args))
    if args.json:
        Path(args.json).write_text(json.dumps(
            [{k: (v if k not in ("floor", "full", "paced") else {kk: vv for kk, vv in v.items() if kk != "acked"})
              for k, v in r.items()} for r in results], indent=1, default=str))
    print(report(results, args))


if __name__ == "__main__":
    main()
