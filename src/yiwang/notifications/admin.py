from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from yiwang.core.admin import AuditedAdmin

from . import services
from .models import Notification, Template


@admin.register(Template)
class TemplateAdmin(AuditedAdmin):
    list_display = ("code", "channel", "language", "subject")
    list_filter = ("channel", "language")
    search_fields = ("code", "subject", "body")


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("id", "channel", "template", "recipient", "status", "attempts", "created_at", "sent_at")
    list_filter = ("channel", "status", "template")
    readonly_fields = ("recipient", "channel", "template", "subject", "status", "attempts", "last_error",
                       "created_at", "next_attempt_at", "sent_at", "read_at", "provider_ref")
    exclude = ("to_address", "body")
    actions = ["resend_failed"]

    def has_add_permission(self, request):
        return False

    @admin.action(description=_("重新发送所选的失败消息"))
    def resend_failed(self, request, queryset):
        count = 0
        for n in queryset.filter(status=Notification.Status.FAILED):
            services.resend(n)
            count += 1
        self.message_user(request, _("已重新排队 %(n)d 条消息。") % {"n": count}, messages.SUCCESS)
