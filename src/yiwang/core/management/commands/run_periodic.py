"""Enqueue the periodic jobs that are due (yiwang.core.periodic).

``make run`` needs none of this: each web worker runs the beat in a thread. A deployment whose
task workers run apart (``manage.py db_worker``) either runs ``run_periodic`` as one more
long-lived process, or calls ``run_periodic --once`` from cron every minute. Several beats at
once are safe: each slot of each job is enqueued once.
"""

import signal

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from yiwang.core import periodic


class Command(BaseCommand):
    help = "Enqueue due periodic jobs (sweeps): --once for cron, without it a beat loop; --list shows the jobs."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="enqueue what is due now and exit (for cron)")
        parser.add_argument("--list", action="store_true", dest="list_jobs",
                            help="list the jobs, their last run and the next one")
        parser.add_argument("--interval", type=float, default=periodic.BEAT_SECONDS,
                            help="seconds between beats without --once (default %(default)s)")

    def handle(self, *args, once=False, list_jobs=False, interval=periodic.BEAT_SECONDS, **options):
        if list_jobs:
            self._list()
            return
        if once:
            names = periodic.tick()
            self.stdout.write(f"enqueued {len(names)} job(s)" + (": " + ", ".join(names) if names else ""))
            return
        if interval < 1:
            raise CommandError("--interval must be at least 1 second")
        beat = periodic.Beat(interval)
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_args: beat.stop())  # finish the current beat, then exit
        beat.run()

    def _list(self):
        from yiwang.core.models import PeriodicJobRun

        now = timezone.now()
        last = {r.name: r for r in PeriodicJobRun.objects.all()}
        for job in periodic.jobs():
            row = last.get(job.name)
            ran = (timezone.localtime(row.enqueued_at).isoformat(timespec="seconds")
                   if row and row.enqueued_at else "never")
            nxt = timezone.localtime(job.next_slot(now) if row and row.slot_at and row.slot_at >= job.slot(now)
                                     else now).isoformat(timespec="seconds")
            self.stdout.write(f"{job.name:28} every {job.every}  task {job.task.module_path}  last enqueued {ran}  "
                              f"next {nxt}  runs {row.runs if row else 0}")
