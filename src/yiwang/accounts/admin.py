"""Admin for users, enterprises and roles. Personal data is shown masked and cannot be searched
in clear; a staff account's second factor is managed in the OTP section."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from yiwang.core.admin import AuditedAdmin
from yiwang.core.identity import validate_resident_id, validate_uscc

from .models import ApiToken, Enterprise, EnterpriseMember, RoleAssignment, User


class RoleInline(admin.TabularInline):
    model = RoleAssignment
    extra = 0
    autocomplete_fields = ("department", "place")


class UserForm(forms.ModelForm):
    id_number = forms.CharField(label=_("居民身份证号码（留空不修改）"), required=False, max_length=18)
    phone = forms.CharField(label=_("手机号码（留空不修改）"), required=False, max_length=11)

    class Meta:
        model = User
        fields = ("username", "kind", "name", "email", "address", "division", "is_active", "is_staff")

    def clean_id_number(self):
        value = self.cleaned_data.get("id_number", "").strip()
        if value:
            verdict = validate_resident_id(value)
            if not verdict.valid:
                raise forms.ValidationError(verdict.message)
            return verdict.number
        return value

    def save(self, commit=True):
        user = super().save(commit=False)
        if self.cleaned_data.get("id_number"):
            user.id_number = self.cleaned_data["id_number"]
        if self.cleaned_data.get("phone"):
            user.phone = self.cleaned_data["phone"]
        if commit:
            user.save()
        return user


@admin.register(User)
class UserAdmin(AuditedAdmin):
    form = UserForm
    list_display = ("username", "name", "kind", "masked_id", "masked_mobile", "is_active")
    list_filter = ("kind", "is_active", "is_staff")
    search_fields = ("username", "name")
    inlines = [RoleInline]
    readonly_fields = ("masked_id", "masked_mobile", "last_login", "date_joined")

    @admin.display(description=_("身份证号码"))
    def masked_id(self, obj):
        return obj.masked_id_number

    @admin.display(description=_("手机号码"))
    def masked_mobile(self, obj):
        return obj.masked_phone


class MemberInline(admin.TabularInline):
    model = EnterpriseMember
    extra = 0
    raw_id_fields = ("user",)


class EnterpriseForm(forms.ModelForm):
    class Meta:
        model = Enterprise
        fields = "__all__"

    def clean_uscc(self):
        verdict = validate_uscc(self.cleaned_data["uscc"])
        if not verdict.valid:
            raise forms.ValidationError(verdict.message)
        return verdict.number


@admin.register(Enterprise)
class EnterpriseAdmin(AuditedAdmin):
    form = EnterpriseForm
    list_display = ("uscc", "name", "subject_type", "legal_representative", "is_active")
    list_filter = ("subject_type", "is_active")
    search_fields = ("uscc", "name")
    inlines = [MemberInline]


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(AuditedAdmin):
    list_display = ("user", "role", "department", "place")
    list_filter = ("role",)
    search_fields = ("user__username", "user__name")
    autocomplete_fields = ("department", "place")
    raw_id_fields = ("user",)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("prefix", "user", "created_at", "expires_at", "revoked_at", "last_used_at")
    readonly_fields = ("prefix", "user", "enterprise", "role_assignment", "created_at", "expires_at", "last_used_at")
    exclude = ("key_hash",)

    def has_add_permission(self, request):
        return False
