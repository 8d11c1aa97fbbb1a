"""The electronic supervisor: supervise overdue work orders (run every few minutes from cron or a
scheduler; idempotent)."""

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Raise supervisions (督办) for work orders past their accept or reply limits."

    def handle(self, *args, **options):
        from yiwang.hotline.services import sweep

        counts = sweep()
        self.stdout.write(f"accept overdue: {counts['accept_overdue']}, reply overdue: {counts['reply_overdue']}")
