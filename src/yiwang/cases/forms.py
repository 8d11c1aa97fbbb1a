"""The application form as a Django form built from the item's ``form_schema`` (see
:mod:`yiwang.catalog.formschema`), so the shared GOV.UK partials (label, hint, error message, error
summary linking to each field) render it.

The Django fields only convert types (text → integer/number/boolean); what is required, lengths,
ranges, formats and enums are checked by :func:`yiwang.catalog.formschema.validate_form` inside
``services.submit``, whose messages are put back on the fields. Identity fields (the applicant's own
ID number, the enterprise's credit code) are not asked: they are shown read-only (masked) and
filled in on the server from the signed-in person, so the full number never goes to the browser.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django import forms
from django.utils.translation import gettext as _

FIELD_PREFIX = "f_"
FILE_PREFIX = "file_"
UPLOAD_PREFIX = "upload_"

# Schema keys (and formats) the platform can answer from what it knows about the applicant.
PERSON_KEYS = {
    "applicant_name": "name", "name": "name", "applicant": "name",
    "phone": "phone", "applicant_phone": "phone", "contact_phone": "phone", "mobile": "phone",
    "address": "address", "applicant_address": "address", "home_address": "address",
    "email": "email", "applicant_email": "email",
}
LOCKED_PERSON_KEYS = {"applicant_id", "applicant_id_number", "id_number", "applicant_resident_id"}
ENTERPRISE_KEYS = {
    "enterprise_name": "name", "company_name": "name", "organisation_name": "name",
    "legal_rep": "legal_representative", "legal_representative": "legal_representative",
    "business_address": "address", "enterprise_address": "address", "registered_address": "address",
}
LOCKED_ENTERPRISE_KEYS = {"uscc", "enterprise_uscc", "applicant_uscc"}


@dataclass
class Locked:
    key: str
    title: str
    display: str  # what the page shows (masked)
    value: str  # what is submitted (filled in on the server)


@dataclass
class Prefill:
    initial: dict = field(default_factory=dict)
    locked: dict[str, Locked] = field(default_factory=dict)


def prefill(fields: list[dict], person, enterprise=None) -> Prefill:
    """What the platform already knows about the applicant, per schema field."""
    out = Prefill()
    for spec in fields:
        key, fmt = spec["key"], spec.get("format")
        if person is not None and person.id_number and (
                key in LOCKED_PERSON_KEYS or (fmt == "resident_id" and key.startswith("applicant"))):
            out.locked[key] = Locked(key, spec.get("title", key), person.masked_id_number, person.id_number)
            continue
        if enterprise is not None and (key in LOCKED_ENTERPRISE_KEYS or (fmt == "uscc" and key.startswith(
                ("enterprise", "applicant", "company")))):
            out.locked[key] = Locked(key, spec.get("title", key), enterprise.uscc, enterprise.uscc)
            continue
        value = None
        if enterprise is not None and key in ENTERPRISE_KEYS:
            value = getattr(enterprise, ENTERPRISE_KEYS[key], "")
        elif person is not None and key in PERSON_KEYS:
            value = getattr(person, PERSON_KEYS[key], "")
        if value and spec.get("type", "string") == "string":
            out.initial[key] = str(value)
    return out


def _label(spec: dict) -> str:
    title = spec.get("title") or spec["key"]
    return f"{title}{_('（必填）')}" if spec.get("required") else title


class ApplicationForm(forms.Form):
    """Fields ``f_<key>`` for the schema, ``file_<key>`` for materials to upload."""

    def __init__(self, *args, fields: list[dict], materials: list[dict], locked: dict[str, Locked],
                 scan: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.schema_fields = [f for f in fields if f["key"] not in locked]
        self.locked = locked
        self.materials = materials
        for spec in self.schema_fields:
            self.fields[FIELD_PREFIX + spec["key"]] = self._field(spec)
        for m in materials:
            if m.get("needs_upload", m.get("applicant_submits")) and m.get("key"):
                label = m["name"] + (_("（扫描件）") if scan else "")
                self.fields[FILE_PREFIX + m["key"]] = forms.FileField(
                    label=label, required=False,
                    widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,image/jpeg,image/png",
                                                           "data-material": m["key"]}))

    @staticmethod
    def _field(spec: dict) -> forms.Field:
        kind = spec.get("type", "string")
        label, hint = _label(spec), spec.get("description", "")
        common = {"label": label, "required": False, "help_text": hint}
        if "enum" in spec:
            choices = [("", _("请选择"))] + [(str(v), str(v)) for v in spec["enum"]]
            return forms.ChoiceField(choices=choices, **common)
        if kind == "boolean":
            return forms.BooleanField(**common)
        if kind == "integer":
            return forms.IntegerField(widget=forms.NumberInput(attrs={"inputmode": "numeric"}), **common)
        if kind == "number":
            return forms.DecimalField(widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "any"}),
                                      **common)
        fmt = spec.get("format")
        attrs: dict = {}
        if spec.get("maxLength"):
            attrs["maxlength"] = spec["maxLength"]
        if fmt == "date":
            attrs["type"] = "date"
        elif fmt == "phone":
            attrs.update(type="tel", inputmode="tel", autocomplete="tel")
        elif fmt == "email":
            attrs.update(type="email", autocomplete="email")
        elif fmt in ("resident_id", "uscc"):
            attrs.update(autocomplete="off", spellcheck="false", maxlength=18)
        if (spec.get("maxLength") or 0) > 120:
            return forms.CharField(widget=forms.Textarea(attrs={**attrs, "rows": 4}), strip=True, **common)
        return forms.CharField(widget=forms.TextInput(attrs=attrs), strip=True, **common)

    # -- reading -------------------------------------------------------------------------------
    def form_data(self) -> dict:
        """The applicant's answers as the schema wants them (after ``is_valid()``); empty answers
        are left out, locked fields filled in from the platform's data."""
        data: dict = {}
        for spec in self.schema_fields:
            key = spec["key"]
            value = self.cleaned_data.get(FIELD_PREFIX + key)
            kind = spec.get("type", "string")
            if kind == "boolean":
                data[key] = bool(value)
                continue
            if value in (None, ""):
                continue
            if "enum" in spec:
                value = next((v for v in spec["enum"] if str(v) == value), value)
            elif kind == "number":
                value = int(value) if value == value.to_integral_value() else float(value)
            data[key] = value
        for key, locked in self.locked.items():
            if locked.value:
                data[key] = locked.value
        return data

    def raw_answers(self) -> dict:
        """What was typed, as text, for a draft (no validation)."""
        out = {}
        for spec in self.schema_fields:
            name = FIELD_PREFIX + spec["key"]
            if spec.get("type") == "boolean":
                out[spec["key"]] = name in self.data
            else:
                value = self.data.get(name, "")
                if value:
                    out[spec["key"]] = str(value)[:2000]
        return out

    def add_service_errors(self, fields: dict) -> bool:
        """Put a service's ``{"form.key": [...], "materials.key": [...]}`` errors on the fields;
        False when none of them belongs to a field here."""
        placed = False
        for name, messages in (fields or {}).items():
            target = None
            if name.startswith("form."):
                key = name[5:]
                if FIELD_PREFIX + key in self.fields:
                    target = FIELD_PREFIX + key
            elif name.startswith("materials."):
                key = name[10:]
                if FILE_PREFIX + key in self.fields:
                    target = FILE_PREFIX + key
            for message in messages if isinstance(messages, (list, tuple)) else [messages]:
                self.add_error(target, str(message))
                placed = True
        return placed


def initial_from(values: dict, fields: list[dict]) -> dict:
    """Initial values (``f_<key>``) from a draft or a prefill."""
    keys = {f["key"] for f in fields}
    return {FIELD_PREFIX + k: v for k, v in values.items() if k in keys}

