"""Export the published catalog as JSON or Excel."""

from pathlib import Path

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Export the published catalog to a .json or .xlsx file."

    def add_arguments(self, parser):
        parser.add_argument("path")

    def handle(self, *args, **options):
        from yiwang.catalog.transfer import export_json, export_xlsx

        path = Path(options["path"])
        path.write_bytes(export_xlsx() if path.suffix.lower() == ".xlsx" else export_json())
        self.stdout.write(self.style.SUCCESS(f"wrote {path}"))
