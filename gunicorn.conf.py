"""gunicorn settings for `make run` (the embedded default) and a plain deployment.

With YIWANG_INPROCESS_WORKER=1 each web worker also runs the database task worker in a
background thread, so background tasks (notifications, sweeps) run without another process, and
the periodic beat (yiwang.core.periodic) that enqueues the sweeps when due (YIWANG_BEAT=0 turns the
beat off where cron runs `manage.py run_periodic --once` instead). A larger deployment sets
YIWANG_INPROCESS_WORKER=0 and runs `manage.py db_worker` (or an RQ worker) and the beat separately.
"""

import os

workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("WEB_THREADS", "4"))
timeout = 60
accesslog = "-"
pythonpath = "src"


def post_worker_init(worker):
    if os.environ.get("YIWANG_INPROCESS_WORKER") == "1":
        from yiwang.core.taskworker import start_in_process_worker

        start_in_process_worker(f"web-{worker.pid}", beat=os.environ.get("YIWANG_BEAT", "1") != "0")
