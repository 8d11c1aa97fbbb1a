"""Print how many material requirements of the published catalog need nothing from the applicant."""

import json

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Material requirements satisfied without the applicant, per department."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, **options):
        from yiwang.exchange.coverage import as_markdown, compute

        report = compute()
        if options["json"]:
            self.stdout.write(json.dumps(report, ensure_ascii=False, indent=2))
        else:
            self.stdout.write(as_markdown(report))
