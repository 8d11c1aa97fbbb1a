from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LicencesConfig(AppConfig):
    name = "yiwang.licences"
    label = "licences"
    verbose_name = _("电子证照")

    def ready(self):
        from django.db.models.signals import post_save

        from yiwang.cases.models import Case

        def _issue_on_approval(sender, instance, **kwargs):
            # A case whose item issues a licence gets it in the same transaction that approves it,
            # whatever path approved it (web, API, bundle); issue_for_case is idempotent.
            if instance.status in ("approved", "delivered") and instance.item_version_id:
                from .services import issue_for_case

                issue_for_case(instance)

        post_save.connect(_issue_on_approval, sender=Case, weak=False, dispatch_uid="licences_issue_on_approval")
