from django.core.management.base import BaseCommand, CommandError

from yiwang.core.audit import verify_chain


class Command(BaseCommand):
    help = "Walk the audit hash chain; exit non-zero naming the first broken link."

    def handle(self, *args, **options):
        checked, problem = verify_chain()
        if problem is not None:
            raise CommandError(str(problem))
        self.stdout.write(self.style.SUCCESS(f"audit chain intact: {checked} events verified"))
