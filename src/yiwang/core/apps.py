from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "yiwang.core"
    label = "core"
    verbose_name = _("基础：组织机构、日历与审计")

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from . import checks  # noqa: F401  (registers system checks)
        from .models import CalendarDay
        from .workdays import invalidate

        def _calendar_changed(using=None, **kwargs):
            from django.db import transaction

            invalidate()  # this process sees its own change at once
            # ...and again after the commit: another process may have re-read the old rows (and
            # cached them under the new version) while this transaction was still open.
            transaction.on_commit(invalidate, using=using)

        # weak=False: the receiver is a local function, a weak reference would die with ready().
        post_save.connect(_calendar_changed, sender=CalendarDay, dispatch_uid="calendar_save", weak=False)
        post_delete.connect(_calendar_changed, sender=CalendarDay, dispatch_uid="calendar_delete", weak=False)
