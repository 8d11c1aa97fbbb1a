"""Platform admin: organisations, the holiday calendar and a read-only audit trail."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from . import audit
from .models import AuditEvent, CalendarDay, Counter, Department, Division, ServicePlace


class AuditedAdmin(admin.ModelAdmin):
    """Every change made in the admin is written to the audit trail."""

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        audit.record("admin.changed" if change else "admin.created", obj,
                     data={"fields": sorted(form.changed_data)})

    def delete_model(self, request, obj):
        audit.record("admin.deleted", obj, data={"repr": str(obj)[:200]})
        super().delete_model(request, obj)


@admin.register(Division)
class DivisionAdmin(AuditedAdmin):
    list_display = ("code", "name", "level", "parent")
    list_filter = ("level",)
    search_fields = ("code", "name")
    autocomplete_fields = ("parent",)


class CounterInline(admin.TabularInline):
    model = Counter
    extra = 0


@admin.register(ServicePlace)
class ServicePlaceAdmin(AuditedAdmin):
    list_display = ("code", "name", "tier", "division", "is_active")
    list_filter = ("tier", "is_active")
    search_fields = ("code", "name", "address")
    filter_horizontal = ("departments",)
    inlines = [CounterInline]


@admin.register(Department)
class DepartmentAdmin(AuditedAdmin):
    list_display = ("code", "name", "uscc", "kind", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("code", "name", "uscc")


@admin.register(CalendarDay)
class CalendarDayAdmin(AuditedAdmin):
    list_display = ("date", "kind", "name", "source")
    list_filter = ("kind",)
    date_hierarchy = "date"
    search_fields = ("name", "source")


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("seq", "at", "actor_label", "role", "department", "action", "object_type", "object_id")
    list_filter = ("action", "role")
    search_fields = ("action", "object_id", "request_id", "actor_label")
    readonly_fields = [f.name for f in AuditEvent._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


AuditEventAdmin.verbose_name = _("审计事件")
