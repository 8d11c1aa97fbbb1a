"""Load the demo data-sharing exchange (idempotent; needs `load_demo` first)."""

import json
import time

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Load the demo data registries, the resource catalog, clients and grants of the exchange."

    def add_arguments(self, parser):
        parser.add_argument("--clients", action="store_true", help="print the demo clients and secrets as JSON")

    def handle(self, *args, **options):
        from yiwang.exchange.demo import client_credentials, load

        started = time.monotonic()
        try:
            load(stdout=self.stdout if options["verbosity"] >= 2 else None)
        except RuntimeError as exc:
            raise CommandError(str(exc)) from exc
        if options["clients"]:
            self.stdout.write(json.dumps(client_credentials(), ensure_ascii=False, indent=2))
        elif options["verbosity"] >= 1:
            self.stdout.write(self.style.SUCCESS(f"demo exchange loaded ({time.monotonic() - started:.1f} s)"))
