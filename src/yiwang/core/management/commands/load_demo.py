"""Load the demo district 江东市云溪区 (idempotent: `make run` runs it every time)."""

import time

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Load the fictional demo district (divisions, places, departments, people, enterprises, staff)."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true",
                            help="load even when demo mode is off (the demo accounts have public passwords)")

    def handle(self, *args, force=False, **options):
        from yiwang.core.demo.loader import load_demo

        if not settings.DEMO_MODE and not force:
            self.stderr.write("Demo mode is off (YIWANG_DEMO): the demo district was not loaded. "
                              "Its accounts have public passwords; use --force only on a test system.")
            return
        started = time.monotonic()
        verbose = options["verbosity"] >= 1
        if verbose:
            self.stdout.write("Loading the demo district 江东市云溪区 (329002)…")
        counts = load_demo(stdout=self.stdout if verbose else None)
        created = sum(c["created"] for c in counts.values())
        if verbose:
            elapsed = time.monotonic() - started
            if created:
                self.stdout.write(self.style.SUCCESS(f"demo district loaded: {created} rows created in {elapsed:.1f} s"))
            else:
                self.stdout.write(self.style.SUCCESS(f"demo district already loaded: nothing to create ({elapsed:.1f} s)"))
            self.stdout.write("Demo logins: python manage.py demo_accounts [--json]")
