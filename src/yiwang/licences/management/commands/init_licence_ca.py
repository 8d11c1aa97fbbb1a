from django.core.management.base import BaseCommand

from yiwang.licences import signing


class Command(BaseCommand):
    help = "Create the licence-signing CA and certificate under LICENCE_CA_DIR (var/licence-ca) if missing."

    def handle(self, *args, **options):
        created = signing.ensure_ca()
        self.stdout.write(("created" if created else "exists") + f": {signing.ca_dir()}")
