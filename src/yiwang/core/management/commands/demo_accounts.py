"""Print the demo logins (DESIGN.md §6): a JSON list of {role, login, password, department, name}."""

import json

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Print the demo logins; --json for a machine-readable list."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="print a JSON list")

    def handle(self, *args, **options):
        from yiwang.accounts.models import Role
        from yiwang.core.demo.accounts import demo_accounts

        accounts = demo_accounts(use_cache=False)
        if not accounts:
            self.stderr.write("The demo district is not loaded: run `python manage.py load_demo` first.")
        if options["json"]:
            self.stdout.write(json.dumps(accounts, ensure_ascii=False, indent=2))
            return
        labels = dict(Role.choices)
        current = None
        for a in accounts:
            if a["role"] != current:
                current = a["role"]
                self.stdout.write(f"\n== {labels.get(current, current)} ({current}) ==")
            line = f"{a['name']:<6}\t{a['login']}\t{a['password']}"
            if a.get("agent"):
                line += f"\tagent={a['agent']}"
            if a.get("totp_secret"):
                line += f"\ttotp={a['totp_secret']}"
            if a["department"]:
                line += f"\t{a['department']}"
            self.stdout.write(line)
        if accounts:
            self.stdout.write(f"\n{len(accounts)} demo logins. Staff also need the 6-digit code of their TOTP secret.")
