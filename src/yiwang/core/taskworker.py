"""Run the django-tasks database worker inside the web process (the embedded default), with the
periodic beat (yiwang.core.periodic) beside it."""

from __future__ import annotations

import threading


def make_worker(worker_id: str, *, batch: bool = False, interval: float = 1.0):
    from django_tasks_db.management.commands.db_worker import Worker

    return Worker(queue_names=["*"], interval=interval, batch=batch, backend_name="default", startup_delay=False,
                  max_tasks=None, worker_id=worker_id[:64], excluded_queue_names=[])


def start_in_process_worker(worker_id: str, *, beat: bool = True) -> threading.Thread:
    """The task worker thread, and (unless ``beat=False``) the periodic beat thread that enqueues
    the sweeps when due. Every gunicorn worker runs both; the beats agree through the database on
    who enqueues each slot."""
    worker = make_worker(worker_id)
    thread = threading.Thread(target=worker.run, name="yiwang-task-worker", daemon=True)
    thread.start()
    if beat:
        from .periodic import start_beat

        start_beat()
    return thread


def run_pending_tasks() -> None:
    """Run every task that is ready now, then return (used by tests and management commands)."""
    make_worker("batch", batch=True, interval=0).run()
