from django.conf import settings
from django.core.management.base import BaseCommand

from yiwang.licences import demo, signing


class Command(BaseCommand):
    help = "Create the demo licence types and a licence library for the demo people and enterprises (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="load even when demo mode is off")

    def handle(self, *args, force=False, **options):
        if not settings.DEMO_MODE and not force:
            self.stderr.write("demo mode is off (YIWANG_DEMO=0): not loading demo licences; use --force to override")
            return
        signing.ensure_ca()
        demo.load(stdout=self.stdout)
