"""免提交 coverage: per department, how many material requirements of the published catalog are met
without the applicant (fetched from the licence library or the data-sharing exchange).

    .venv/bin/python bench/exchange_coverage.py [--json out.json] [--existing] [--gaps]

By default it builds its own throw-away SQLite database in a temporary directory — migrate, the
demo district (``load_demo``), the demo catalog (``load_demo_catalog``), the demo licence library
(``load_demo_licences``, when the licences app is installed) and the demo exchange
(``load_demo_exchange``) — so it needs no server and changes nothing. ``--existing`` reports on
the database the settings point at (DATABASE_URL / YIWANG_VAR_DIR) as it is.

The target is every material a government body issued or holds (catalog source = licence or
shared data); "satisfied" means the case pipeline can fetch it today (see
``yiwang.exchange.coverage``).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src")]


def setup_django(var_dir: str | None) -> None:
    if var_dir is not None:
        os.environ["YIWANG_VAR_DIR"] = var_dir
        os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yiwang.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()


def build_demo() -> dict[str, float]:
    from django.apps import apps
    from django.core.management import call_command

    timings = {}
    steps = [("migrate", ["migrate"]), ("createcachetable", ["createcachetable"]), ("load_demo", ["load_demo"]),
             ("load_demo_catalog", ["load_demo_catalog"])]
    if apps.is_installed("yiwang.licences"):
        steps.append(("load_demo_licences", ["load_demo_licences"]))
    steps.append(("load_demo_exchange", ["load_demo_exchange"]))
    for name, args in steps:
        started = time.monotonic()
        call_command(*args, verbosity=0, stdout=io.StringIO())
        timings[name] = round(time.monotonic() - started, 2)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", help="write the report as JSON to this file")
    parser.add_argument("--existing", action="store_true", help="report on the configured database as it is")
    parser.add_argument("--gaps", action="store_true", help="list the unmet materials and why")
    args = parser.parse_args()

    tmp = None if args.existing else tempfile.mkdtemp(prefix="yiwang-coverage-")
    setup_django(tmp)
    timings = {} if args.existing else build_demo()
    from yiwang.exchange.coverage import as_markdown, compute

    started = time.monotonic()
    report = compute()
    report["compute_seconds"] = round(time.monotonic() - started, 3)
    report["setup_seconds"] = timings
    print(as_markdown(report))
    t = report["totals"]
    print(f"\n合计 {t['total']} 项材料要求，政府核发（目标）{t['target']} 项，免提交 {t['satisfied']} 项："
          f"占目标 {t['pct_target']}%，占全部 {t['pct_total']}%。"
          f"电子证照库：{'已接入' if report['licence_library'] else '未接入'}。")
    if args.gaps:
        print("\n未满足：")
        for g in t["gaps"]:
            print(f"  {g['source']:<11} {g['ref']:<10} {g['name']}：{g['reason']} ×{g['count']}")
    if args.json:
        Path(args.json).write_text(json.dumps(report, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
