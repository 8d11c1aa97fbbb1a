"""Helpers shared by the benchmarks that drive a real gunicorn (cases_submit, hotline_intake) and by
the in-process hotline benchmarks (hotline_dispatch): ports, percentiles, readiness, worker memory,
the server environment, and the demo district's structure."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pct(samples: list[float], p: float) -> float:
    """The p-quantile of samples in seconds, in milliseconds (NaN when there are none)."""
    if not samples:
        return float("nan")
    s = sorted(samples)
    return s[min(int(len(s) * p), len(s) - 1)] * 1000


def server_env(workdir: Path, workers: int, threads: int = 0) -> dict[str, str]:
    """The environment of a bench run's subprocesses: this one's, minus DATABASE_URL and REDIS_URL
    (the caller sets them), with throttles lifted, the bench floor mounted and no in-process worker.
    ``threads`` 0 keeps gunicorn.conf.py's WEB_THREADS."""
    env = dict(os.environ)
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    env.update({
        "YIWANG_VAR_DIR": str(workdir / "var"), "DJANGO_SETTINGS_MODULE": "yiwang.settings",
        "PYTHONPATH": str(ROOT / "src"), "YIWANG_BENCH_FLOOR": "1", "YIWANG_INPROCESS_WORKER": "0",
        "API_AUTH_RATE": "1000000/m", "API_ANON_RATE": "1000000/m", "LOG_LEVEL": "WARNING",
        "WEB_CONCURRENCY": str(workers), "DEBUG": "0", "YIWANG_PRODUCTION": "0",
    })
    if threads:
        env["WEB_THREADS"] = str(threads)
    return env


def wait_ready(port: int, proc: subprocess.Popen, timeout: float = 60) -> None:
    end = time.time() + timeout
    while time.time() < end:
        if proc.poll() is not None:
            raise RuntimeError("gunicorn exited early; see its log")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError("gunicorn did not become ready")


def stop(proc: subprocess.Popen) -> None:
    """SIGTERM gunicorn's master; kill it if it has not gone within 30 s."""
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()


def worker_memory(master_pid: int) -> list[dict]:
    """Peak (VmHWM) and current RSS of each child of ``master_pid``, in MB."""
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        if fields.get("PPid", "").strip() == str(master_pid):
            out.append({"pid": int(entry.name), "hwm_mb": int(fields["VmHWM"].split()[0]) / 1024,
                        "rss_mb": int(fields["VmRSS"].split()[0]) / 1024})
    return out


def load_district_structure() -> None:
    """Inside Django, on a migrated database: the cache table, the calendar, and the demo district's
    divisions, departments, grids and hotline category tree."""
    import io

    from django.core.management import call_command

    from yiwang.core.demo.loader import _Loader
    from yiwang.grid import demo as grid_demo
    from yiwang.hotline.demo import categories

    call_command("createcachetable", verbosity=0)
    call_command("seed_calendar", verbosity=0, stdout=io.StringIO())
    loader = _Loader()
    loader.divisions()
    loader.departments()
    grid_demo.load()
    categories.seed()
