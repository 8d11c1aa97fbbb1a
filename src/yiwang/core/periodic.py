"""Periodic jobs: a small beat on top of the tasks backend (django-tasks).

Each app declares its jobs in a ``periodic.py`` module (found when the registry is first read)::

    from yiwang.core.periodic import register
    from .tasks import sweep_sla

    register("cases.sla_sweep", every=timedelta(minutes=15), task=sweep_sla)

Time is cut into slots of ``every`` (counted from a fixed local midnight plus ``offset``, so a daily
job runs at the same hour every day). A beat (:func:`tick`) enqueues a job once per slot: the
first beat of a new slot claims it in ``PeriodicJobRun`` with one conditional UPDATE
(``slot_at IS NULL OR slot_at < slot``) and enqueues the task in the same transaction. However
many beats run at once — one per gunicorn worker (``taskworker.start_in_process_worker``), several
machines on one PostgreSQL, ``manage.py run_periodic --once`` from cron — one of them wins each
slot and the others see a row that no longer matches. A slot missed while nothing ran is not
caught up one by one: the next beat runs the job once for the current slot (sweeps look at the
state of the data, not at how much time passed).

With the database tasks backend the claim and the queued task commit together: a crash between
them loses neither. With another backend (Redis) the task is queued before the claim commits; if
that commit fails the next beat enqueues the slot again (the sweeps are idempotent).
"""

from __future__ import annotations

import logging
import random
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import close_old_connections, transaction
from django.db.models import F, Q
from django.utils import timezone

logger = logging.getLogger("yiwang.periodic")

#: How often a beat looks for due jobs (seconds); jobs are due at most once per their interval.
BEAT_SECONDS = 30.0


@dataclass(frozen=True)
class Job:
    name: str
    every: timedelta
    task: object  # a django_tasks Task
    offset: timedelta = timedelta(0)
    description: str = field(default="", compare=False)

    def slot(self, now: datetime) -> datetime:
        """The start of the slot ``now`` falls in."""
        epoch = datetime(2024, 1, 1, tzinfo=ZoneInfo(settings.TIME_ZONE)) + self.offset
        return epoch + ((now - epoch) // self.every) * self.every

    def next_slot(self, now: datetime) -> datetime:
        return self.slot(now) + self.every


_jobs: dict[str, Job] = {}
_discovered = False
_lock = threading.Lock()


def register(name: str, *, every: timedelta, task, offset: timedelta = timedelta(0), description: str = "") -> Job:
    """Declare a periodic job (from an app's ``periodic.py``)."""
    if every < timedelta(minutes=1):
        raise ImproperlyConfigured(f"periodic job {name!r}: the interval must be at least one minute")
    if not hasattr(task, "enqueue") or not hasattr(task, "module_path"):
        raise ImproperlyConfigured(f"periodic job {name!r}: {task!r} is not a task (decorate it with @task)")
    job = Job(name=name, every=every, task=task, offset=offset, description=description)
    existing = _jobs.get(name)
    if existing is not None and existing.task.module_path != task.module_path:
        raise ImproperlyConfigured(f"periodic job {name!r} is declared twice ({existing.task.module_path}, "
                                   f"{task.module_path})")
    _jobs[name] = job
    return job


def jobs() -> list[Job]:
    """Every declared job, by name (imports each installed app's ``periodic`` module once)."""
    global _discovered
    if not _discovered:
        with _lock:
            if not _discovered:
                from django.utils.module_loading import autodiscover_modules

                autodiscover_modules("periodic")
                _discovered = True
    return [_jobs[n] for n in sorted(_jobs)]


def _rows(names: list[str]) -> dict[str, datetime | None]:
    from .models import PeriodicJobRun

    state = dict(PeriodicJobRun.objects.filter(name__in=names).values_list("name", "slot_at"))
    missing = [n for n in names if n not in state]
    if missing:
        # two beats may both create them: the unique name keeps one row each
        PeriodicJobRun.objects.bulk_create([PeriodicJobRun(name=n) for n in missing], ignore_conflicts=True)
        state.update({n: None for n in missing})
    return state


def claim(job: Job, now: datetime) -> bool:
    """Claim ``job``'s current slot and enqueue its task; False when the slot is already taken.
    Runs in its own transaction."""
    from .models import PeriodicJobRun

    slot = job.slot(now)
    with transaction.atomic():
        won = PeriodicJobRun.objects.filter(name=job.name).filter(Q(slot_at__isnull=True) | Q(slot_at__lt=slot)).update(
            slot_at=slot, enqueued_at=now, runs=F("runs") + 1)
        if not won:
            return False
        result = job.task.enqueue()
        PeriodicJobRun.objects.filter(name=job.name).update(task_id=str(getattr(result, "id", ""))[:64])
    return True


def tick(now: datetime | None = None) -> list[str]:
    """Enqueue every job whose slot has not been enqueued yet; return their names."""
    now = now or timezone.now()
    due = jobs()
    state = _rows([j.name for j in due])
    enqueued = []
    for job in due:
        last = state.get(job.name)
        if last is not None and last >= job.slot(now):
            continue  # cheap read first: most beats find nothing to do and write nothing
        try:
            if claim(job, now):
                enqueued.append(job.name)
                logger.info("periodic job %s enqueued for the slot at %s", job.name, job.slot(now).isoformat())
        except Exception:  # noqa: BLE001 - one job's failure must not stop the others; retried next beat
            logger.exception("periodic job %s could not be enqueued", job.name)
    return enqueued


class Beat:
    """The loop that calls :func:`tick` every ``interval`` seconds (with a little jitter, so the
    beats of several workers do not all wake together) until :meth:`stop`."""

    def __init__(self, interval: float = BEAT_SECONDS):
        self.interval = interval
        self._stop = threading.Event()

    def stop(self) -> None:
        self._stop.set()

    def run(self) -> None:
        logger.info("periodic beat started (every %.0f s, %d jobs)", self.interval, len(jobs()))
        while not self._stop.is_set():
            close_old_connections()
            try:
                tick()
            except Exception:  # noqa: BLE001 - e.g. the database restarting: try again next beat
                logger.exception("periodic beat failed")
            finally:
                close_old_connections()
            self._stop.wait(self.interval * (0.9 + 0.2 * random.random()))  # noqa: S311 - jitter only


def start_beat(interval: float = BEAT_SECONDS) -> tuple[Beat, threading.Thread]:
    beat = Beat(interval)
    thread = threading.Thread(target=beat.run, name="yiwang-periodic-beat", daemon=True)
    thread.start()
    return beat, thread
