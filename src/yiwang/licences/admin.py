from django.contrib import admin

from yiwang.core.admin import AuditedAdmin

from .models import Licence, LicenceType


@admin.register(LicenceType)
class LicenceTypeAdmin(AuditedAdmin):
    list_display = ("code", "name", "holder_kind", "issuer", "validity_years")
    search_fields = ("code", "name")


@admin.register(Licence)
class LicenceAdmin(admin.ModelAdmin):
    list_display = ("number", "type", "holder_name", "issuer", "valid_from", "valid_until", "status")
    list_filter = ("type", "status")
    search_fields = ("number", "identifier")
    exclude = ("holder_code", "data", "holder_code_bidx")
    readonly_fields = [f.name for f in Licence._meta.fields if f.name not in ("holder_code", "data", "holder_code_bidx")]

    def has_add_permission(self, request):
        return False
