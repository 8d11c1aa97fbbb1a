"""Register a department's system for the exchange gateway and print its secret (shown once)."""

import json

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Register a gateway client: exchange_client <department code> <name> [--rate N]"

    def add_arguments(self, parser):
        parser.add_argument("department")
        parser.add_argument("name")
        parser.add_argument("--key-id", default=None)
        parser.add_argument("--rate", type=int, default=600, help="requests per minute")

    def handle(self, *args, **options):
        from yiwang.core.models import Department
        from yiwang.exchange.services import create_client

        dept = Department.objects.filter(code=options["department"]).first()
        if dept is None:
            raise CommandError(f"unknown department {options['department']}")
        client, secret = create_client(None, department=dept, name=options["name"], key_id=options["key_id"],
                                       rate_per_minute=options["rate"])
        self.stdout.write(json.dumps({"key_id": client.key_id, "secret": secret, "department": dept.code},
                                     ensure_ascii=False))
