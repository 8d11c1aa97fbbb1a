"""Admin for processes as data: the platform admin uploads a BPMN 2.0 model (a new version of its
key; running cases finish on the version they started with) and binds items to processes.

A model is checked by :func:`yiwang.cases.process.parse_model` before anything is stored: one that
does not parse, carries code, or has a task no role performs is refused with the reason. Versions
are never edited or deleted (cases pin them); uploading again under the same key replaces the model
for new cases.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from yiwang.accounts.models import Role
from yiwang.core.admin import AuditedAdmin

from . import services
from .models import ProcessBinding, ProcessModel
from .process import MAX_MODEL_BYTES, ProcessModelInvalid, parse_model


def _platform_admin(request) -> bool:
    actor = getattr(request, "actor", None)
    return actor is not None and actor.is_authenticated and actor.role == Role.PLATFORM_ADMIN


class ProcessModelUploadForm(forms.ModelForm):
    bpmn_file = forms.FileField(label=_("BPMN 2.0 文件"),
                                help_text=_("用 bpmn.io 等建模工具导出的 .bpmn 文件；同一流程标识再次上传即为新版本。"))
    request = None  # set by ProcessModelAdmin.get_form

    class Meta:
        model = ProcessModel
        fields = ("key",)

    def clean_key(self):
        key = (self.cleaned_data.get("key") or "").strip()
        if not services._PROCESS_KEY_RE.match(key):
            raise forms.ValidationError(_("流程标识只能由小写字母、数字、连字符和下划线组成。"))
        return key

    def clean_bpmn_file(self):
        upload = self.cleaned_data["bpmn_file"]
        if upload.size > MAX_MODEL_BYTES:
            raise forms.ValidationError(_("流程模型文件过大（上限 512 KB）。"))
        data = upload.read()
        try:
            parse_model(data)
        except ProcessModelInvalid as exc:
            raise forms.ValidationError(exc.message) from None
        self.xml = data
        return upload

    def clean(self):
        cleaned = super().clean()
        if not _platform_admin(self.request):  # the admin site lets in no one else; checked again
            raise forms.ValidationError(_("只有平台管理员可以上传流程模型。"))
        return cleaned

    def validate_unique(self):
        """(key, version) is drawn by the service: a key that exists gets its next version."""


@admin.register(ProcessModel)
class ProcessModelAdmin(admin.ModelAdmin):
    list_display = ("key", "version", "name", "is_active", "uploaded_by", "created_at")
    list_filter = ("is_active", "key")
    search_fields = ("key", "name")
    ordering = ("key", "-version")
    readonly_fields = ("key", "version", "name", "process_id", "is_active", "lane_roles", "task_names",
                       "uploaded_by", "created_at", "bpmn_xml")

    def get_fields(self, request, obj=None):
        return ["key", "bpmn_file"] if obj is None else list(self.readonly_fields)

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.readonly_fields

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = type("ProcessModelUploadForm", (ProcessModelUploadForm,), {"request": request})
            kwargs["fields"] = ["key"]
        return super().get_form(request, obj, **kwargs)

    def save_model(self, request, obj, form, change):
        if change:
            return  # versions are immutable
        created = services.upload_process_model(request.actor, form.cleaned_data["key"], form.xml)
        for field in ProcessModel._meta.concrete_fields:
            setattr(obj, field.attname, getattr(created, field.attname))
        obj._state.adding = False
        obj._state.db = created._state.db

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ProcessBindingForm(forms.ModelForm):
    class Meta:
        model = ProcessBinding
        fields = ("item_code", "process_key", "departments")
        help_texts = {"departments": _('除实施部门外参与并联审查的部门编码，JSON 列表，如 ["YX-MZ", "YX-ZJ"]。')}

    def clean_item_code(self):
        from yiwang.catalog.models import ServiceItem

        code = (self.cleaned_data.get("item_code") or "").strip()
        if not ServiceItem.objects.filter(code=code).exists():
            raise forms.ValidationError(_("事项实施编码不存在：%(code)s") % {"code": code})
        return code

    def clean_process_key(self):
        key = (self.cleaned_data.get("process_key") or "").strip()
        services.ensure_templates()
        if not ProcessModel.objects.filter(key=key, is_active=True).exists():
            raise forms.ValidationError(_("流程不存在，请先上传流程模型：%(key)s") % {"key": key})
        return key

    def clean_departments(self):
        from yiwang.core.models import Department

        codes = self.cleaned_data.get("departments") or []
        if not isinstance(codes, list) or not all(isinstance(c, str) and c.strip() for c in codes):
            raise forms.ValidationError(_("请填写部门编码的列表。"))
        codes = list(dict.fromkeys(c.strip() for c in codes))
        known = set(Department.objects.filter(code__in=codes, is_active=True).values_list("code", flat=True))
        unknown = [c for c in codes if c not in known]
        if unknown:
            raise forms.ValidationError(_("部门不存在或已停用：%(codes)s") % {"codes": "、".join(unknown)})
        return codes


@admin.register(ProcessBinding)
class ProcessBindingAdmin(AuditedAdmin):
    form = ProcessBindingForm
    list_display = ("item_code", "process_key", "departments")
    search_fields = ("item_code", "process_key")
