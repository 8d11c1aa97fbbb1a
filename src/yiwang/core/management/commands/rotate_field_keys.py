"""Re-encrypt every personal-data field with the current (first) key in FIELD_ENCRYPTION_KEYS."""

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction

from yiwang.core.crypto import EncryptedTextField, current_key_id


class Command(BaseCommand):
    help = "Re-encrypt all encrypted fields under the first key of FIELD_ENCRYPTION_KEYS (after adding a new key)."

    def handle(self, *args, **options):
        kid = current_key_id()
        total = 0
        for model in apps.get_models():
            fields = [f.name for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
            if not fields:
                continue
            for obj in model.objects.only("pk", *fields).iterator(chunk_size=500):
                with transaction.atomic():
                    # reading decrypted with any key; saving encrypts with the current one
                    model.objects.filter(pk=obj.pk).update(**{f: getattr(obj, f) for f in fields})
                total += 1
        self.stdout.write(f"re-encrypted {total} rows under key {kid}")
