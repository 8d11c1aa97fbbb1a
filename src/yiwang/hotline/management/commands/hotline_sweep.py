"""The electronic supervisor: supervise overdue work orders (the periodic beat enqueues it every 5
minutes, hotline/periodic.py; this runs it by hand; idempotent)."""

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Raise supervisions (督办) for work orders past their accept or reply limits."

    def handle(self, *args, **options):
        from yiwang.hotline.services import sweep

        counts = sweep()
        self.stdout.write(f"accept overdue: {counts['accept_overdue']}, reply overdue: {counts['reply_overdue']}")
