"""Load the demo catalog of 云溪区 (idempotent; needs the demo departments from `load_demo`)."""

import time

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Load (or update) the demo service catalog: items, guides, materials and life-event bundles."

    def add_arguments(self, parser):
        parser.add_argument("--write-vectors", action="store_true",
                            help="also write the search embeddings of the demo passages to the shipped file")

    def handle(self, *args, **options):
        from yiwang.catalog.demo.loader import export_vectors, load
        from yiwang.core.errors import DomainError

        started = time.monotonic()
        try:
            report = load()
        except DomainError as exc:
            raise CommandError(str(exc.message)) from exc
        if not report.ok:
            for problem in report.problems[:50]:
                self.stderr.write(str(problem))
            raise CommandError(f"demo catalog has {len(report.problems)} problems; nothing was saved")
        if options["verbosity"] >= 1:
            self.stdout.write(self.style.SUCCESS(
                f"demo catalog: {len(report.created)} items created, {len(report.updated)} updated, "
                f"{len(report.unchanged)} unchanged; bundles {len(report.bundles_created)} created, "
                f"{len(report.bundles_updated)} updated ({time.monotonic() - started:.1f} s)"))
        if options["write_vectors"]:
            n = export_vectors()
            self.stdout.write(f"wrote {n} passage vectors")
