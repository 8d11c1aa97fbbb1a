"""HTML forms of the hotline pages. They check what a browser can get wrong (missing fields, a
non-number); the services check the rules and their errors are put back on these forms' fields."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from yiwang.core.models import Department

from .models import CallbackPreference, Category, Kind, Urgency


def category_choices(blank: str | None = None) -> list:
    groups: dict = {}
    leaves = Category.objects.filter(is_active=True, parent__isnull=False).select_related("parent").order_by(
        "parent__sort", "parent__code", "sort", "code")
    for c in leaves:
        groups.setdefault(c.parent.name, []).append((c.code, f"{c.code} {c.name}"))
    choices = [("", blank)] if blank is not None else []
    return choices + [(g, items) for g, items in groups.items()]


def department_choices(blank: str | None = None) -> list:
    rows = Department.objects.filter(is_active=True).exclude(code="YX-12345").order_by("code").values_list("code", "name")
    return ([("", blank)] if blank is not None else []) + list(rows)


class MultiFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultiFileField(forms.FileField):
    """Several files in one field (photos); each is checked by the services."""

    widget = MultiFileInput

    def clean(self, data, initial=None):
        if not data:
            if self.required:
                raise forms.ValidationError(self.error_messages["required"], code="required")
            return []
        files = data if isinstance(data, (list, tuple)) else [data]
        return [super(MultiFileField, self).clean(f, initial) for f in files]


def _coord(label):
    return forms.FloatField(label=label, required=False, widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
                            error_messages={"invalid": _("请输入数字（十进制度）。")})


class ConsoleForm(forms.Form):
    """One phone call at the 12345 console: who called, what about, and what the operator does."""

    INTENTS = ("dispatch", "answer", "register")

    caller_phone = forms.CharField(label=_("来电号码"), max_length=20, error_messages={"required": _("请填写来电号码。")},
                                   widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off",
                                                                 "inputmode": "tel"}))
    caller_name = forms.CharField(label=_("来电人称呼"), max_length=64, required=False)
    callback_preference = forms.ChoiceField(label=_("回访方式"), choices=CallbackPreference.choices,
                                            initial=CallbackPreference.PHONE, widget=forms.RadioSelect)
    kind = forms.ChoiceField(label=_("诉求类型"), choices=Kind.choices, initial=Kind.COMPLAINT, widget=forms.RadioSelect,
                             error_messages={"required": _("请选择诉求类型。")})
    urgency = forms.ChoiceField(label=_("紧急程度"), choices=Urgency.choices, initial=Urgency.NORMAL)
    anonymous = forms.BooleanField(label=_("匿名举报（举报人身份对承办部门保密）"), required=False)
    text = forms.CharField(label=_("诉求内容"), max_length=4000, widget=forms.Textarea(attrs={"rows": 5}),
                           error_messages={"required": _("请填写诉求内容：发生了什么、在哪里、希望怎样解决。")},
                           help_text=_("边输入边检索知识库并给出派单建议。"))
    address = forms.CharField(label=_("地址"), max_length=200, required=False)
    lat = _coord(_("纬度"))
    lng = _coord(_("经度"))
    category = forms.ChoiceField(label=_("分类"), required=False)
    department = forms.ChoiceField(label=_("主办部门"), required=False)
    assisting = forms.MultipleChoiceField(label=_("协办部门"), required=False,
                                          widget=forms.SelectMultiple(attrs={"size": 4}))
    answer = forms.CharField(label=_("直接答复内容"), max_length=4000, required=False,
                             widget=forms.Textarea(attrs={"rows": 3}))
    article_id = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = category_choices(_("（请选择）"))
        self.fields["department"].choices = department_choices(_("（请选择）"))
        self.fields["assisting"].choices = department_choices()

    def clean(self):
        data = super().clean()
        intent = self.data.get("intent")
        if intent not in self.INTENTS:
            raise forms.ValidationError(_("请选择操作：派单、直接答复或仅登记。"))
        if intent == "dispatch":
            if not data.get("category"):
                self.add_error("category", _("派单前请选择分类。"))
            if not data.get("department"):
                self.add_error("department", _("派单前请选择主办部门。"))
        if intent == "answer" and not (data.get("answer") or "").strip():
            self.add_error("answer", _("请填写答复内容，或从知识库采用一条答复。"))
        data["intent"] = intent
        return data


class ReportForm(forms.Form):
    """A citizen's report on the portal (web and mobile)."""

    kind = forms.ChoiceField(label=_("诉求类型"), choices=Kind.choices, initial=Kind.COMPLAINT, widget=forms.RadioSelect)
    text = forms.CharField(label=_("诉求内容"), max_length=4000, widget=forms.Textarea(attrs={"rows": 6}),
                           error_messages={"required": _("请填写诉求内容：发生了什么、在哪里、希望怎样解决。")})
    address = forms.CharField(label=_("地址"), max_length=200, required=False,
                              help_text=_("例如：江滨街道滨江路 18 号滨江花园东门"))
    lat = _coord(_("纬度"))
    lng = _coord(_("经度"))
    photos = MultiFileField(label=_("照片（可选，最多 6 张，每张不超过 5 MB）"), required=False,
                            widget=MultiFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}))
    anonymous = forms.BooleanField(label=_("匿名举报（仅举报可选；您的身份对承办部门保密）"), required=False)
    callback_preference = forms.ChoiceField(label=_("结果告知方式"), choices=CallbackPreference.choices,
                                            initial=CallbackPreference.SMS, widget=forms.RadioSelect)


class GridReportForm(forms.Form):
    """A grid worker's field report, from a phone."""

    text = forms.CharField(label=_("事件描述"), max_length=4000, widget=forms.Textarea(attrs={"rows": 4}),
                           error_messages={"required": _("请描述事件：什么问题、具体位置。")})
    category = forms.ChoiceField(label=_("事件分类（可不选，由 12345 中心判断）"), required=False)
    lat = _coord(_("纬度"))
    lng = _coord(_("经度"))
    address = forms.CharField(label=_("位置说明"), max_length=200, required=False)
    photos = MultiFileField(label=_("现场照片"), required=False,
                            widget=MultiFileInput(attrs={"accept": "image/*", "capture": "environment"}))
    urgent = forms.BooleanField(label=_("紧急（危及人身财产安全）"), required=False)
    resolved = forms.BooleanField(label=_("已现场处置（需上传处置后照片）"), required=False)
    resolution = forms.CharField(label=_("处置情况"), max_length=2000, required=False,
                                 widget=forms.Textarea(attrs={"rows": 2}))
    fix_photos = MultiFileField(label=_("处置后照片"), required=False,
                                widget=MultiFileInput(attrs={"accept": "image/*", "capture": "environment"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = category_choices(_("（不选）"))

    def clean(self):
        data = super().clean()
        if data.get("lat") is None or data.get("lng") is None:
            self.add_error("lat", _("请定位或填写经纬度：点击“获取当前位置”。"))
        return data


class ArticleForm(forms.Form):
    title = forms.CharField(label=_("问题"), max_length=120, error_messages={"required": _("请填写问题。")})
    answer = forms.CharField(label=_("答复口径"), max_length=4000, widget=forms.Textarea(attrs={"rows": 6}),
                             error_messages={"required": _("请填写答复口径。")})
    keywords = forms.CharField(label=_("关键词（逗号分隔）"), max_length=200, required=False)
    category = forms.ChoiceField(label=_("分类"), required=False)
    is_published = forms.BooleanField(label=_("发布（话务员可检索）"), required=False, initial=True)
    valid_until = forms.DateField(label=_("有效期至（可不填）"), required=False,
                                  widget=forms.DateInput(attrs={"type": "date"}),
                                  error_messages={"invalid": _("请输入日期，如 2026-12-31。")})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = category_choices(_("（不选）"))
