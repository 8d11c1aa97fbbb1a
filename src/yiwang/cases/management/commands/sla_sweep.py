from django.core.management.base import BaseCommand

from yiwang.cases.tasks import sweep_sla


class Command(BaseCommand):
    help = ("Recompute the SLA light of every running case, save the changes and notify department heads "
            "(and supervisors for red) once per change. The periodic beat enqueues it every 15 minutes.")

    def handle(self, *args, **options):
        counts = sweep_sla.call()
        self.stdout.write(
            f"checked {counts['checked']} running cases: {counts['changed']} lights changed, "
            f"{counts['yellow']} turned yellow, {counts['red']} turned red, {counts['notified']} notifications"
        )
