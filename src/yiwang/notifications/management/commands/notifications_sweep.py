from django.core.management.base import BaseCommand

from yiwang.notifications.tasks import sweep


class Command(BaseCommand):
    help = "Re-enqueue notifications whose delivery task was lost (the periodic beat does it every 5 minutes)."

    def handle(self, *args, **options):
        self.stdout.write(f"re-enqueued {sweep()} notifications")
