from django.contrib import admin

from yiwang.core.admin import AuditedAdmin

from .models import Grid, GridMember


class GridMemberInline(admin.TabularInline):
    model = GridMember
    extra = 0
    raw_id_fields = ("user",)


@admin.register(Grid)
class GridAdmin(AuditedAdmin):
    list_display = ("code", "name", "community", "street", "is_active")
    list_filter = ("street", "is_active")
    search_fields = ("code", "name")
    inlines = [GridMemberInline]
