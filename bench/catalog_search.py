"""Catalog search benchmark: top-1 / top-3 accuracy and latency of full text, semantic and hybrid
search over the demo catalog, on the labelled colloquial queries of bench/catalog_queries.py.

    .venv/bin/python bench/catalog_search.py [--json out.json] [--show-misses]

It builds its own throw-away SQLite database (migrate, the demo departments, the demo catalog) in
a temporary directory, so it needs no running server and changes nothing. Latency is measured per
query through ``yiwang.catalog.search.search`` (the function the API calls, including its index
freshness check) with the query-embedding cache cleared before every query.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "bench")]


def setup_django(var_dir: str) -> None:
    os.environ["YIWANG_VAR_DIR"] = var_dir
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yiwang.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def load_catalog() -> None:
    from yiwang.catalog.demo.loader import create_demo_departments, load

    create_demo_departments()
    report = load()
    if not report.ok:
        raise SystemExit("demo catalog did not load: " + "; ".join(str(p) for p in report.problems[:5]))


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def run(modes=("fulltext", "semantic", "hybrid"), show_misses: bool = False) -> dict:
    from catalog_queries import QUERIES

    from yiwang.catalog import search

    names = {d.name for d in search.get_index().docs}
    unknown = sorted({n for _q, expected in QUERIES for n in expected if n not in names})
    if unknown:
        raise SystemExit(f"labels name things that are not in the catalog: {unknown}")
    search.search("热身", mode="hybrid")  # load the tokenizer and the model before timing
    report = {"queries": len(QUERIES), "documents": len(names), "load_average": os.getloadavg()[0],
              "semantic_available": search.semantic_available(), "modes": {}}
    for mode in modes:
        rows = {"all": [], "dev": [], "held_out": []}
        latencies = []
        misses = []
        for i, (q, expected) in enumerate(QUERIES):
            search.clear_query_cache()
            started = time.perf_counter()
            results = search.search(q, mode=mode, limit=3)
            latencies.append((time.perf_counter() - started) * 1000)
            got = [r["name"] for r in results]
            hit1, hit3 = bool(got[:1]) and got[0] in expected, any(n in expected for n in got[:3])
            for key in ("all", "dev" if i % 2 == 0 else "held_out"):
                rows[key].append((hit1, hit3))
            if not hit3:
                misses.append((q, expected, got))
        out = {}
        for key, hits in rows.items():
            out[key] = {"top1": sum(h[0] for h in hits) / len(hits), "top3": sum(h[1] for h in hits) / len(hits),
                        "n": len(hits)}
        out["latency_ms"] = {"p50": percentile(latencies, .5), "p95": percentile(latencies, .95),
                             "max": max(latencies), "mean": statistics.fmean(latencies)}
        out["misses"] = misses
        report["modes"][mode] = out
    return report


def print_report(report: dict, show_misses: bool) -> None:
    print(f"catalog search benchmark: {report['queries']} queries over {report['documents']} documents "
          f"(items + bundles); load average at start {report['load_average']:.2f}")
    print(f"{'mode':10s} {'top-1':>7s} {'top-3':>7s} {'top-3 dev':>10s} {'top-3 held-out':>15s} "
          f"{'p50 ms':>8s} {'p95 ms':>8s}")
    for mode, r in report["modes"].items():
        print(f"{mode:10s} {r['all']['top1']:7.1%} {r['all']['top3']:7.1%} {r['dev']['top3']:10.1%} "
              f"{r['held_out']['top3']:15.1%} {r['latency_ms']['p50']:8.1f} {r['latency_ms']['p95']:8.1f}")
    if show_misses:
        for mode, r in report["modes"].items():
            for q, expected, got in r["misses"]:
                print(f"  miss [{mode}] {q} → {got} (want {expected})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument("--show-misses", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="yiwang-bench-catalog-") as var_dir:
        started = time.perf_counter()
        setup_django(var_dir)
        load_catalog()
        print(f"setup (migrate + demo catalog) {time.perf_counter() - started:.1f} s")
        report = run(show_misses=args.show_misses)
    print_report(report, args.show_misses)
    if args.json:
        Path(args.json).write_text(json.dumps(report, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
