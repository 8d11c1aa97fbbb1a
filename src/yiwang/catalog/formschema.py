"""Application forms as data: each item version carries a JSON Schema (a small, documented subset of
draft 2020-12) that the case pipeline renders and validates.

The subset::

    {"type": "object",
     "properties": {"<key>": {"type": "string"|"integer"|"number"|"boolean", "title": "中文标题",
                               "description"?, "enum"?, "maxLength"?, "minLength"?, "pattern"?,
                               "minimum"?, "maximum"?, "format"?: "resident_id"|"uscc"|"phone"|"date"|"email"}},
     "required": ["<key>", ...],
     "x-order": ["<key>", ...]}          # optional display order (default: properties order)

``format`` values are checked with the platform's own validators (GB 11643, GB 32100).
"""

from __future__ import annotations

import re
from datetime import date

from django.utils.translation import gettext as _

KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
TYPES = {"string", "integer", "number", "boolean"}
FORMATS = {"resident_id", "uscc", "phone", "date", "email"}
PROPERTY_KEYS = {"type", "title", "description", "enum", "maxLength", "minLength", "pattern", "minimum",
                 "maximum", "format", "default"}
MAX_FIELDS = 200


def schema_problems(schema) -> list[str]:
    """Everything wrong with a form schema, in plain Chinese (empty list when it is usable)."""
    if schema in (None, {}):
        return []
    if not isinstance(schema, dict):
        return [_("申请表定义应为 JSON 对象。")]
    problems: list[str] = []
    if schema.get("type") != "object":
        problems.append(_("申请表定义的 type 应为 \"object\"。"))
    props = schema.get("properties")
    if not isinstance(props, dict) or not props:
        return problems + [_("申请表定义缺少 properties（字段列表）。")]
    if len(props) > MAX_FIELDS:
        problems.append(_("申请表字段不能超过 %(n)d 个。") % {"n": MAX_FIELDS})
    for key, spec in props.items():
        if not KEY_RE.match(str(key)):
            problems.append(_("字段名“%(key)s”只能由小写字母、数字和下划线组成，并以字母开头。") % {"key": key})
            continue
        if not isinstance(spec, dict):
            problems.append(_("字段“%(key)s”的定义应为 JSON 对象。") % {"key": key})
            continue
        if spec.get("type") not in TYPES:
            problems.append(_("字段“%(key)s”的类型应为 string、integer、number 或 boolean。") % {"key": key})
        if not isinstance(spec.get("title"), str) or not spec.get("title", "").strip():
            problems.append(_("字段“%(key)s”缺少中文标题（title）。") % {"key": key})
        unknown = set(spec) - PROPERTY_KEYS
        if unknown:
            problems.append(_("字段“%(key)s”含有不支持的属性：%(attrs)s。") % {"key": key, "attrs": "、".join(sorted(unknown))})
        if "format" in spec and spec["format"] not in FORMATS:
            problems.append(_("字段“%(key)s”的格式“%(fmt)s”不受支持。") % {"key": key, "fmt": spec["format"]})
        if "enum" in spec and (not isinstance(spec["enum"], list) or not spec["enum"]):
            problems.append(_("字段“%(key)s”的可选值（enum）应为非空列表。") % {"key": key})
        if "pattern" in spec:
            try:
                re.compile(str(spec["pattern"]))
            except re.error:
                problems.append(_("字段“%(key)s”的 pattern 不是有效的正则表达式。") % {"key": key})
    required = schema.get("required", [])
    if not isinstance(required, list) or any(r not in props for r in required):
        problems.append(_("required 中的每一项都必须是已定义的字段。"))
    order = schema.get("x-order")
    if order is not None and (not isinstance(order, list) or any(k not in props for k in order)):
        problems.append(_("x-order 中的每一项都必须是已定义的字段。"))
    unknown_top = set(schema) - {"type", "properties", "required", "x-order", "title", "description", "$schema"}
    if unknown_top:
        problems.append(_("申请表定义含有不支持的属性：%(attrs)s。") % {"attrs": "、".join(sorted(unknown_top))})
    if not problems:
        problems += _keyword_problems(props)
    return problems


def _keyword_problems(props: dict) -> list[str]:
    """The meta-schema rules for the keywords the subset allows (what check_schema would say, at a
    fraction of its cost)."""
    problems = []
    for key, spec in props.items():
        for word in ("maxLength", "minLength"):
            if word in spec and (isinstance(spec[word], bool) or not isinstance(spec[word], int) or spec[word] < 0):
                problems.append(_("字段“%(key)s”的 %(w)s 应为非负整数。") % {"key": key, "w": word})
        for word in ("minimum", "maximum"):
            if word in spec and (isinstance(spec[word], bool) or not isinstance(spec[word], (int, float))):
                problems.append(_("字段“%(key)s”的 %(w)s 应为数字。") % {"key": key, "w": word})
        for word in ("title", "description", "pattern"):
            if word in spec and not isinstance(spec[word], str):
                problems.append(_("字段“%(key)s”的 %(w)s 应为文字。") % {"key": key, "w": word})
        if isinstance(spec.get("enum"), list) and len({repr(v) for v in spec["enum"]}) != len(spec["enum"]):
            problems.append(_("字段“%(key)s”的可选值有重复。") % {"key": key})
    return problems


def with_order(schema: dict) -> dict:
    """The schema with an explicit ``x-order`` (PostgreSQL's jsonb does not keep key order)."""
    if not schema or "x-order" in schema:
        return schema
    return {**schema, "x-order": list(schema.get("properties", {}))}


def ordered_fields(schema: dict) -> list[dict]:
    """The fields in display order: [{key, title, type, required, ...spec}]."""
    if not schema:
        return []
    props = schema.get("properties", {})
    order = list(schema.get("x-order") or []) + [k for k in props if k not in (schema.get("x-order") or [])]
    required = set(schema.get("required", []))
    return [{"key": k, "required": k in required, **props[k]} for k in order if k in props]


_checker = None


def _format_checker():
    global _checker
    if _checker is None:
        _checker = _build_format_checker()
    return _checker


def _build_format_checker():
    from jsonschema import FormatChecker

    from yiwang.core.identity import validate_resident_id, validate_uscc

    checker = FormatChecker(formats=())

    @checker.checks("resident_id")
    def _rid(value):
        return not isinstance(value, str) or validate_resident_id(value).valid

    @checker.checks("uscc")
    def _uscc(value):
        return not isinstance(value, str) or validate_uscc(value).valid

    @checker.checks("phone")
    def _phone(value):
        return not isinstance(value, str) or bool(re.fullmatch(r"1[3-9]\d{9}|0\d{2,3}-?\d{7,8}", value))

    @checker.checks("date")
    def _date(value):
        if not isinstance(value, str):
            return True
        try:
            date.fromisoformat(value)
        except ValueError:
            return False
        return True

    @checker.checks("email")
    def _email(value):
        return not isinstance(value, str) or bool(re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", value))

    return checker


def validate_form(schema: dict, data) -> dict[str, list[str]]:
    """Check an applicant's form against the schema: ``{field: [Chinese messages]}`` (empty = valid)."""
    if not schema:
        return {} if isinstance(data, dict) else {"_": [_("申请表内容应为 JSON 对象。")]}
    if not isinstance(data, dict):
        return {"_": [_("申请表内容应为 JSON 对象。")]}
    from jsonschema import Draft202012Validator

    props = schema.get("properties", {})
    errors: dict[str, list[str]] = {}
    unknown = [k for k in data if k not in props]
    for key in unknown:
        errors.setdefault(key, []).append(_("申请表中没有该项。"))
    validator = Draft202012Validator(schema, format_checker=_format_checker())
    for err in validator.iter_errors(data):
        if err.validator == "required":
            key = str(err.message).split("'")[1] if "'" in err.message else "_"
            errors.setdefault(key, []).append(_("此项为必填项。"))
            continue
        key = str(err.path[0]) if err.path else "_"
        title = props.get(key, {}).get("title", key)
        spec = props.get(key, {})
        messages = {
            "type": _("“%(t)s”的格式不正确。") % {"t": title},
            "maxLength": _("“%(t)s”不能超过 %(n)s 个字。") % {"t": title, "n": spec.get("maxLength")},
            "minLength": _("“%(t)s”至少需要 %(n)s 个字。") % {"t": title, "n": spec.get("minLength")},
            "enum": _("请从列表中选择“%(t)s”。") % {"t": title},
            "format": _("“%(t)s”的格式不正确，请核对。") % {"t": title},
            "pattern": _("“%(t)s”的格式不正确，请核对。") % {"t": title},
            "minimum": _("“%(t)s”不能小于 %(n)s。") % {"t": title, "n": spec.get("minimum")},
            "maximum": _("“%(t)s”不能大于 %(n)s。") % {"t": title, "n": spec.get("maximum")},
        }
        errors.setdefault(key, []).append(messages.get(err.validator, _("“%(t)s”填写有误。") % {"t": title}))
    return errors


def merge(schemas: list[dict]) -> dict:
    """One combined form for a bundle: fields with the same key are asked once (the first
    definition wins), required if any item requires them."""
    props: dict = {}
    required: list[str] = []
    for schema in schemas:
        if not schema:
            continue
        for field in ordered_fields(schema):
            key = field["key"]
            if key not in props:
                props[key] = {k: v for k, v in field.items() if k not in ("key", "required")}
            if field["required"] and key not in required:
                required.append(key)
    if not props:
        return {}
    return {"type": "object", "properties": props, "required": required, "x-order": list(props)}
