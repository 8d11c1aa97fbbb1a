"""Flag conditional sharing requests unanswered for 10 working days and tell the supervisors."""

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Flag overdue sharing requests (the periodic beat does it daily at 01:00)."

    def handle(self, *args, **options):
        from yiwang.exchange.services import flag_overdue_requests

        flagged = flag_overdue_requests()
        self.stdout.write(f"{len(flagged)} overdue request(s) flagged")
