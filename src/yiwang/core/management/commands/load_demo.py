"""Load the demo district 江东市云溪区 (idempotent: `make run` runs it every time)."""

import time

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Load the fictional demo district (divisions, places, departments, people, enterprises, staff)."

    def handle(self, *args, **options):
        from yiwang.core.demo.loader import load_demo

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
