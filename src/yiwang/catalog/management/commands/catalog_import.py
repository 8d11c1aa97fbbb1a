"""Import a catalog file (JSON or .xlsx) from the command line, as the platform (system) actor."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Import a catalog file (.json or .xlsx). Every row is checked first; a bad file changes nothing."

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument("--publish", action="store_true", help="publish new and changed items at once")

    def handle(self, *args, **options):
        from yiwang.catalog.permissions import SYSTEM
        from yiwang.catalog.transfer import import_catalog

        path = Path(options["path"])
        if not path.is_file():
            raise CommandError(f"no such file: {path}")
        fmt = "xlsx" if path.suffix.lower() == ".xlsx" else "json"
        report = import_catalog(SYSTEM, path.read_bytes(), fmt=fmt, publish=options["publish"])
        if not report.ok:
            for problem in report.problems:
                self.stderr.write(str(problem))
            raise CommandError(f"{len(report.problems)} problems; nothing was saved")
        self.stdout.write(self.style.SUCCESS(
            f"created {len(report.created)}, updated {len(report.updated)}, unchanged {len(report.unchanged)}; "
            f"bundles created {len(report.bundles_created)}, updated {len(report.bundles_updated)}"))
