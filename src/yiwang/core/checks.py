"""System checks that keep a deployment safe (run by `manage.py check --deploy`)."""

from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security, deploy=True)
def personal_data_keys(app_configs, **kwargs):
    errors = []
    if settings.PRODUCTION and settings.DEMO_MODE:
        errors.append(
            Error(
                "YIWANG_DEMO must be off in production: the home page would list demo logins.",
                id="yiwang.E001",
            )
        )
    if settings.FIELD_ENCRYPTION_KEYS.split(":", 1)[-1][:10] == settings.BLIND_INDEX_KEY[:10]:
        errors.append(Error("FIELD_ENCRYPTION_KEYS and BLIND_INDEX_KEY must differ.", id="yiwang.E002"))
    return errors
