"""Issue (or re-issue) a staff member's TOTP second factor and print the otpauth URI to scan."""

import base64

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from yiwang.accounts.models import User
from yiwang.core import audit


class Command(BaseCommand):
    help = "Create a new TOTP device for a staff user (replacing any old one) and print its secret."

    def add_arguments(self, parser):
        parser.add_argument("username")

    @transaction.atomic
    def handle(self, *args, username, **options):
        user = User.objects.filter(username=username, kind=User.Kind.STAFF).first()
        if user is None:
            raise CommandError(f"no staff user {username!r}")
        TOTPDevice.objects.filter(user=user).delete()
        device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
        audit.record("auth.totp_issued", user, role="system", data={"device": device.pk})
        secret = base64.b32encode(device.bin_key).decode()
        self.stdout.write(f"secret: {secret}\nuri: {device.config_url}")
