"""Admin for what the 12345 centre configures without a release: the category tree, the time
limits, the knowledge base and the Open311 clients. Work orders are read-only here: every change
goes through the services (history, audit, notifications)."""

from django.contrib import admin

from yiwang.core.admin import AuditedAdmin

from .models import Category, KnowledgeArticle, Open311Client, TimeLimitRule, WorkOrder


@admin.register(Category)
class CategoryAdmin(AuditedAdmin):
    list_display = ("code", "name", "parent", "department", "open311", "is_active", "sort")
    list_filter = ("parent", "open311", "is_active")
    search_fields = ("code", "name", "keywords")
    autocomplete_fields = ("parent",)


@admin.register(TimeLimitRule)
class TimeLimitRuleAdmin(AuditedAdmin):
    list_display = ("__str__", "accept_minutes", "accept_working_days", "reply_working_days", "return_working_days",
                    "max_extension_days", "note")
    list_filter = ("urgency",)


@admin.register(KnowledgeArticle)
class KnowledgeArticleAdmin(AuditedAdmin):
    list_display = ("title", "department", "category", "is_published", "use_count", "updated_at")
    list_filter = ("is_published", "department")
    search_fields = ("title", "keywords", "answer")


@admin.register(Open311Client)
class Open311ClientAdmin(AuditedAdmin):
    list_display = ("name", "prefix", "is_active", "created_at")
    readonly_fields = ("key_hash", "prefix", "created_at")


@admin.register(WorkOrder)
class WorkOrderAdmin(admin.ModelAdmin):
    list_display = ("number", "title", "kind", "channel", "status", "lead_department", "created_at")
    list_filter = ("status", "channel", "kind")
    search_fields = ("number", "title")
    exclude = ("caller_phone", "caller_phone_bidx")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
