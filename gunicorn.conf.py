"""gunicorn settings for `make run` (the embedded default) and a plain deployment.

With YIWANG_INPROCESS_WORKER=1 each web worker also runs the database task worker in a
background thread, so background tasks (notifications, sweeps) run without another process.
A larger deployment sets it to 0 and runs `manage.py db_worker` (or an RQ worker) separately.
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

        start_in_process_worker(f"web-{worker.pid}")
