"""The catalog's data elements as one table of field definitions, used alike by the services, the
JSON/Excel import and export, and the API — so every channel checks an item the same way and every
problem names its field (and, for a file, its row and column).

A *canonical* item is a plain dict (JSON-ready) with the keys of :data:`ITEM_FIELDS` plus
``materials``; :func:`clean_item` turns anything a person or a file supplies into one, and
:func:`canonical_item` reads one back from a stored version, so the two can be compared.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import formschema
from .models import (
    CaseType,
    ItemType,
    LifeEvent,
    MaterialForm,
    MaterialRequirement,
    MaterialSource,
    OnlineDepth,
    PowerSource,
    ResultType,
    ServiceObject,
    SubjectNature,
    Tier,
)

CODE_RE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z\-]{3,63}$")
BASIC_CODE_RE = re.compile(r"^[0-9A-Za-z]{4,32}$")
MATERIAL_KEY_RE = re.compile(r"^[a-z0-9_]{0,64}$")
SPLIT_RE = re.compile(r"[、,，;；\s]+")
ROMAN = {"Ⅰ": 1, "Ⅱ": 2, "Ⅲ": 3, "Ⅳ": 4, "I": 1, "II": 2, "III": 3, "IV": 4}
MAX_LIMIT_DAYS = 3650


@dataclass(frozen=True)
class F:
    key: str
    label: object  # lazy Chinese label: the column header in Excel
    kind: str  # str | text | int | bool | choice | multi | json
    required: bool = False
    max_length: int | None = None
    choices: object = None
    maximum: int = MAX_LIMIT_DAYS
    pattern: re.Pattern | None = None
    json_kind: type | None = None


ITEM_FIELDS: list[F] = [
    F("code", gettext_lazy("实施编码"), "str", True, 64, pattern=CODE_RE),
    F("basic_code", gettext_lazy("基本编码"), "str", True, 32, pattern=BASIC_CODE_RE),
    F("department", gettext_lazy("实施主体（部门编码）"), "str", True, 32),
    F("name", gettext_lazy("事项名称"), "str", True, 200),
    F("aliases", gettext_lazy("俗称与关键词"), "str", False, 500),
    F("summary", gettext_lazy("一句话说明"), "text", False, 2000),
    F("item_type", gettext_lazy("事项类型"), "choice", True, choices=ItemType),
    F("subject_nature", gettext_lazy("实施主体性质"), "choice", True, choices=SubjectNature),
    F("power_source", gettext_lazy("权力来源"), "choice", True, choices=PowerSource),
    F("legal_basis", gettext_lazy("设定依据"), "text", True, 8000),
    F("acceptance_conditions", gettext_lazy("受理条件"), "text", True, 8000),
    F("service_objects", gettext_lazy("服务对象"), "multi", True, choices=ServiceObject),
    F("statutory_limit_days", gettext_lazy("法定办结时限（工作日）"), "int", False),
    F("promised_limit_days", gettext_lazy("承诺办结时限（工作日）"), "int", True),
    F("case_type", gettext_lazy("办件类型"), "choice", True, choices=CaseType),
    F("visits", gettext_lazy("到办事现场次数"), "int", True, maximum=10),
    F("online_depth", gettext_lazy("网办深度"), "choice", True, choices=OnlineDepth),
    F("fee_required", gettext_lazy("是否收费"), "bool", True),
    F("fees", gettext_lazy("收费项目"), "json", False, json_kind=list),
    F("fee_basis", gettext_lazy("收费依据"), "text", False, 4000),
    F("process", gettext_lazy("办理流程"), "json", True, json_kind=list),
    F("handling_place", gettext_lazy("办理地点"), "text", True, 2000),
    F("handling_hours", gettext_lazy("办理时间"), "str", True, 300),
    F("consultation", gettext_lazy("咨询方式"), "str", True, 300),
    F("complaint", gettext_lazy("监督投诉方式"), "str", True, 300),
    F("special_procedures", gettext_lazy("特别程序"), "json", False, json_kind=list),
    F("result_type", gettext_lazy("审批结果类型"), "choice", True, choices=ResultType),
    F("result_name", gettext_lazy("审批结果名称"), "str", True, 200),
    F("licence_type", gettext_lazy("电子证照类型代码"), "str", False, 32),
    F("delivery", gettext_lazy("结果送达方式"), "str", False, 200),
    F("tiers", gettext_lazy("可办层级"), "multi", True, choices=Tier),
    F("citywide", gettext_lazy("全市通办"), "bool", False),
    F("life_events", gettext_lazy("主题分类"), "multi", False, choices=LifeEvent),
    F("form_schema", gettext_lazy("申请表（JSON Schema）"), "json", False, json_kind=dict),
]

MATERIAL_FIELDS: list[F] = [
    F("item", gettext_lazy("事项实施编码"), "str", True, 64),
    F("key", gettext_lazy("材料标识"), "str", False, 64, pattern=MATERIAL_KEY_RE),
    F("name", gettext_lazy("材料名称"), "str", True, 200),
    F("requirement", gettext_lazy("必要性"), "choice", True, choices=MaterialRequirement),
    F("condition", gettext_lazy("提交情形"), "str", False, 300),
    F("form", gettext_lazy("材料形式"), "choice", True, choices=MaterialForm),
    F("copies", gettext_lazy("份数"), "int", True, maximum=20),
    F("source", gettext_lazy("来源渠道"), "choice", True, choices=MaterialSource),
    F("source_ref", gettext_lazy("证照类型或数据资源代码"), "str", False, 64),
    F("source_name", gettext_lazy("证照或数据资源名称"), "str", False, 200),
    F("acceptance_standard", gettext_lazy("受理标准"), "text", False, 4000),
    F("note", gettext_lazy("备注"), "str", False, 300),
    F("subject_field", gettext_lazy("数据主体字段"), "str", False, 64),
]

#: Form-field formats that identify a person or an organisation (what a material's subject field may be).
SUBJECT_FORMATS = ("resident_id", "uscc")

BUNDLE_FIELDS: list[F] = [
    F("code", gettext_lazy("一件事编码"), "str", True, 64, pattern=CODE_RE),
    F("name", gettext_lazy("一件事名称"), "str", True, 200),
    F("life_event", gettext_lazy("主题分类"), "choice", True, choices=LifeEvent),
    F("department", gettext_lazy("牵头部门（部门编码）"), "str", True, 32),
    F("aliases", gettext_lazy("俗称与关键词"), "str", False, 500),
    F("summary", gettext_lazy("一句话说明"), "text", False, 2000),
    F("description", gettext_lazy("办理说明"), "text", False, 8000),
    F("promised_limit_days", gettext_lazy("承诺办结时限（工作日）"), "int", False),
]

BUNDLE_ITEM_FIELDS: list[F] = [
    F("bundle", gettext_lazy("一件事编码"), "str", True, 64),
    F("item", gettext_lazy("事项实施编码"), "str", True, 64),
    F("note", gettext_lazy("说明"), "str", False, 300),
]

#: Fields of a version that are stored as they are (the rest are converted by version_kwargs).
_DIRECT = [f.key for f in ITEM_FIELDS if f.key not in ("code", "department", "service_objects", "tiers",
                                                        "life_events")]


@dataclass
class Problem:
    column: str
    message: str
    label: str = ""
    sheet: str = ""
    row: int | None = None
    cell: str = ""

    def as_dict(self) -> dict:
        return {"sheet": self.sheet, "row": self.row, "column": self.column, "label": self.label,
                "cell": self.cell, "message": str(self.message)}

    def __str__(self) -> str:
        where = " ".join(x for x in (self.sheet, f"第 {self.row} 行" if self.row else "", self.cell or "",
                                      f"“{self.label or self.column}”") if x)
        return f"{where}：{self.message}"


@dataclass
class Cleaned:
    data: dict = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def add(self, f: F | str, message) -> None:
        key = f.key if isinstance(f, F) else f
        label = str(f.label) if isinstance(f, F) else key
        self.problems.append(Problem(column=key, label=label, message=str(message)))


_lookup_cache: dict = {}


def _choice_lookup(choices) -> dict[str, str]:
    from django.utils.translation import get_language

    cache_key = (choices, get_language())
    cached = _lookup_cache.get(cache_key)
    if cached is not None:
        return cached
    table = {}
    for value, label in choices.choices:
        table[str(value).lower()] = str(value)
        table[str(label).lower()] = str(value)
        short = str(label).split("（")[0].lower()
        table.setdefault(short, str(value))
    if choices is OnlineDepth:
        for roman, n in ROMAN.items():
            table[roman.lower()] = str(n)
            table[(roman + "级").lower()] = str(n)
    _lookup_cache[cache_key] = table
    return table


def _convert(f: F, raw, out: Cleaned):
    """One value to its canonical type; returns (ok, value)."""
    if isinstance(raw, str):
        raw = raw.strip()
    empty = raw is None or raw == "" or raw == [] or (f.kind == "json" and raw == {})
    if empty:
        if f.required and f.kind != "bool":
            out.add(f, _("此项为必填项。"))
            return False, None
        return True, {"str": "", "text": "", "int": None, "bool": False, "choice": "", "multi": [],
                      "json": (f.json_kind or list)()}[f.kind]
    if f.kind in ("str", "text"):
        if isinstance(raw, bool) or not isinstance(raw, (str, int, float)):
            out.add(f, _("应为文字。"))
            return False, None
        if f.pattern is not None and not isinstance(raw, str):
            out.add(f, _("编码请按文本填写（在 Excel 中将该列设为“文本”格式，以免丢失开头的 0）。"))
            return False, None
        value = str(raw)
        if "\x00" in value:
            out.add(f, _("含有不允许的控制字符。"))
            return False, None
        if f.max_length and len(value) > f.max_length:
            out.add(f, _("不能超过 %(n)d 个字（现有 %(m)d 个）。") % {"n": f.max_length, "m": len(value)})
            return False, None
        if f.pattern is not None and not f.pattern.match(value):
            out.add(f, _("格式不正确：只能使用字母、数字（编码 4–64 位）。") if f.key != "key"
                    else _("材料标识只能由小写字母、数字和下划线组成。"))
            return False, None
        return True, value
    if f.kind == "int":
        value = None
        if isinstance(raw, bool):
            value = None
        elif isinstance(raw, int):
            value = raw
        elif isinstance(raw, float) and raw.is_integer():
            value = int(raw)
        elif isinstance(raw, str) and re.fullmatch(r"\d{1,5}", raw):
            value = int(raw)
        if value is None:
            out.add(f, _("应为 0 或正整数。"))
            return False, None
        if not 0 <= value <= f.maximum:
            out.add(f, _("应在 0 到 %(n)d 之间。") % {"n": f.maximum})
            return False, None
        return True, value
    if f.kind == "bool":
        if isinstance(raw, bool):
            return True, raw
        table = {"是": True, "否": False, "true": True, "false": False, "1": True, "0": False, "yes": True,
                 "no": False, "y": True, "n": False}
        value = table.get(str(raw).strip().lower()) if not isinstance(raw, float) else table.get(str(int(raw)))
        if value is None:
            out.add(f, _("应填“是”或“否”。"))
            return False, None
        return True, value
    if f.kind == "choice":
        if isinstance(raw, float) and raw.is_integer():
            raw = int(raw)
        if isinstance(raw, int) and f.choices is not OnlineDepth:
            raw = f"{raw:02d}" if f.choices is ItemType else str(raw)
        value = _choice_lookup(f.choices).get(str(raw).strip().lower())
        if value is None:
            allowed = "、".join(f"{v}（{label}）" for v, label in f.choices.choices)
            out.add(f, _("“%(v)s”不是可选值。可选：%(allowed)s") % {"v": str(raw)[:40], "allowed": allowed})
            return False, None
        return True, int(value) if f.choices is OnlineDepth else value
    if f.kind == "multi":
        parts = raw if isinstance(raw, list) else [p for p in SPLIT_RE.split(str(raw)) if p]
        table = _choice_lookup(f.choices)
        values, bad = [], []
        for p in parts:
            v = table.get(str(p).strip().lower())
            if v is None:
                bad.append(str(p)[:40])
            elif v not in values:
                values.append(v)
        if bad:
            allowed = "、".join(f"{v}（{label}）" for v, label in f.choices.choices)
            out.add(f, _("“%(v)s”不是可选值。可选：%(allowed)s") % {"v": "、".join(bad), "allowed": allowed})
            return False, None
        order = [str(v) for v, _l in f.choices.choices]
        return True, sorted(values, key=order.index)
    if f.kind == "json":
        value = raw
        if isinstance(raw, str):
            try:
                value = json.loads(raw)
            except ValueError:
                out.add(f, _("不是有效的 JSON。"))
                return False, None
        if f.json_kind is not None and not isinstance(value, f.json_kind):
            out.add(f, _("应为 JSON 列表。") if f.json_kind is list else _("应为 JSON 对象。"))
            return False, None
        return True, value
    raise AssertionError(f.kind)  # pragma: no cover


def _clean_fields(fields: list[F], raw: dict, out: Cleaned) -> None:
    if not isinstance(raw, dict):
        out.add("_", _("每一条记录应为 JSON 对象。"))
        return
    for f in fields:
        ok, value = _convert(f, raw.get(f.key), out)
        if ok:
            out.data[f.key] = value


def _list_of_objects(out: Cleaned, key: str, required_keys: tuple[str, ...], label: str) -> None:
    value = out.data.get(key)
    if value is None:
        return
    for i, entry in enumerate(value, 1):
        if not isinstance(entry, dict) or any(not str(entry.get(k, "")).strip() for k in required_keys):
            out.add(next(f for f in ITEM_FIELDS if f.key == key),
                    _("第 %(i)d 项应为含 %(keys)s 的对象（%(label)s）。") % {"i": i, "keys": "、".join(required_keys),
                                                                         "label": label})
            return


def clean_material(raw: dict, *, with_item: bool = False) -> Cleaned:
    out = Cleaned()
    fields = MATERIAL_FIELDS if with_item else MATERIAL_FIELDS[1:]
    _clean_fields(fields, raw, out)
    d = out.data
    if d.get("requirement") == MaterialRequirement.CONDITIONAL and not d.get("condition"):
        out.add(MATERIAL_FIELDS[4], _("按情形提供的材料须写明提交情形。"))
    if d.get("source") in (MaterialSource.LICENCE, MaterialSource.SHARED_DATA) and not d.get("source_ref"):
        out.add(MATERIAL_FIELDS[8], _("从电子证照库或共享数据获取的材料须填写证照类型或数据资源代码。"))
    if d.get("source") == MaterialSource.APPLICANT and d.get("source_ref"):
        out.add(MATERIAL_FIELDS[8], _("申请人自备的材料不填写证照类型或数据资源代码。"))
    if d.get("source") == MaterialSource.APPLICANT and d.get("subject_field"):
        out.add(_MATERIAL["subject_field"], _("申请人自备的材料不填写数据主体字段（只有从电子证照库或共享数据获取的材料才按申请表中的号码调取）。"))
    if "key" in d and not d["key"] and d.get("name"):
        from .models import derived_material_key

        d["key"] = derived_material_key(d["name"])  # every material needs a key (upload field, submission)
    return out


def subject_field_problems(form_schema, materials: list[dict]) -> list[tuple[int, str]]:
    """``[(material index, message)]`` for every material whose ``subject_field`` does not name a
    resident-ID or USCC field of the item's form: the pipeline fetches the material for the person
    (or organisation) whose number the applicant writes in that field, so the field must exist and
    be validated as such a number."""
    props = form_schema.get("properties") if isinstance(form_schema, dict) else None
    props = props if isinstance(props, dict) else {}
    problems = []
    for i, m in enumerate(materials):
        key = (m or {}).get("subject_field") if isinstance(m, dict) else None
        if not key:
            continue
        spec = props.get(key)
        if not isinstance(spec, dict):
            problems.append((i, _("数据主体字段“%(key)s”不是本事项申请表中的字段。") % {"key": str(key)[:64]}))
        elif spec.get("format") not in SUBJECT_FORMATS:
            problems.append((i, _("数据主体字段“%(key)s”（%(title)s）不是身份证号码或统一社会信用代码字段：申请表中该字段的"
                                  "格式（format）须为 resident_id 或 uscc。") % {"key": key, "title": spec.get("title") or key}))
    return problems


_MATERIAL = {f.key: f for f in MATERIAL_FIELDS}


def clean_item(raw: dict, *, departments: dict | None = None, with_materials: bool = True) -> Cleaned:
    """Check one item (and its materials unless ``with_materials`` is False). ``departments`` maps
    department codes to Department objects; an unknown code is a problem."""
    out = Cleaned()
    _clean_fields(ITEM_FIELDS, raw, out)
    if not isinstance(raw, dict):
        return out
    d = out.data
    dep = d.get("department")
    if dep and departments is not None and dep not in departments:
        out.add(ITEM_FIELDS[2], _("部门编码“%(code)s”不存在。") % {"code": dep[:32]})
    f = {x.key: x for x in ITEM_FIELDS}
    promised, statutory = d.get("promised_limit_days"), d.get("statutory_limit_days")
    if promised is not None and statutory is not None and promised > statutory:
        out.add(f["promised_limit_days"], _("承诺时限不能超过法定时限。"))
    if d.get("case_type") == CaseType.IMMEDIATE and promised not in (None, 0):
        out.add(f["promised_limit_days"], _("即办件的承诺时限应为 0（当场办结）。"))
    if d.get("case_type") == CaseType.PROMISED and promised == 0:
        out.add(f["promised_limit_days"], _("承诺件的承诺时限应至少为 1 个工作日。"))
    if d.get("online_depth") == OnlineDepth.FULL and d.get("visits") not in (None, 0):
        out.add(f["visits"], _("全程网办（Ⅳ级）的事项到现场次数应为 0。"))
    if d.get("online_depth") in (OnlineDepth.INFO, OnlineDepth.DOWNLOAD) and d.get("visits") == 0:
        out.add(f["visits"], _("Ⅰ、Ⅱ级网办深度的事项须到现场办理，到现场次数至少为 1。"))
    if d.get("fee_required") and not d.get("fees"):
        out.add(f["fees"], _("收费事项须列出收费项目和标准。"))
    if d.get("fee_required") and not d.get("fee_basis"):
        out.add(f["fee_basis"], _("收费事项须写明收费依据。"))
    if d.get("fee_required") is False and d.get("fees"):
        out.add(f["fees"], _("不收费的事项不应列出收费项目。"))
    if d.get("result_type") == "1" and not d.get("licence_type"):
        out.add(f["licence_type"], _("结果为证照的事项须填写电子证照类型代码。"))
    _list_of_objects(out, "fees", ("name", "standard"), str(_("收费项目")))
    _list_of_objects(out, "process", ("step",), str(_("办理流程")))
    _list_of_objects(out, "special_procedures", ("name",), str(_("特别程序")))
    if "form_schema" in d:
        problems = formschema.schema_problems(d["form_schema"])
        for message in problems:
            out.add(f["form_schema"], message)
        if not problems:
            d["form_schema"] = formschema.with_order(d["form_schema"])
    if with_materials:
        materials = raw.get("materials", [])
        if not isinstance(materials, list):
            out.add("materials", _("申请材料应为列表。"))
            materials = []
        cleaned_materials = []
        for i, m in enumerate(materials, 1):
            c = clean_material(m)
            for p in c.problems:
                p.column = f"materials[{i}].{p.column}"
                out.problems.append(p)
            cleaned_materials.append(c.data)
        d["materials"] = cleaned_materials
        for i, message in subject_field_problems(d.get("form_schema"), cleaned_materials):
            out.problems.append(Problem(column=f"materials[{i + 1}].subject_field",
                                        label=str(_MATERIAL["subject_field"].label), message=message))
    return out


def check_materials(materials: list[dict], out: Cleaned) -> None:
    seen = set()
    for m in materials:
        key = m.get("key") or "name:" + m.get("name", "")
        if key in seen:
            out.add("materials", _("申请材料“%(name)s”重复。") % {"name": m.get("name", "")})
        seen.add(key)


def clean_bundle(raw: dict, *, departments: dict | None = None) -> Cleaned:
    out = Cleaned()
    _clean_fields(BUNDLE_FIELDS, raw, out)
    if not isinstance(raw, dict):
        return out
    dep = out.data.get("department")
    if dep and departments is not None and dep not in departments:
        out.add(BUNDLE_FIELDS[3], _("部门编码“%(code)s”不存在。") % {"code": dep[:32]})
    items = raw.get("items", [])
    if not isinstance(items, list):
        out.add("items", _("包含的事项应为列表。"))
        items = []
    cleaned = []
    for i, entry in enumerate(items, 1):
        if isinstance(entry, str):
            entry = {"item": entry}
        c = Cleaned()
        _clean_fields(BUNDLE_ITEM_FIELDS[1:], entry if isinstance(entry, dict) else None, c)
        for p in c.problems:
            p.column = f"items[{i}].{p.column}"
            out.problems.append(p)
        cleaned.append(c.data)
    out.data["items"] = cleaned
    return out


# --- canonical form of stored data ------------------------------------------------------------
def canonical_material(m) -> dict:
    return {f.key: getattr(m, f.key) for f in MATERIAL_FIELDS[1:]}


def canonical_item(version, *, materials=None) -> dict:
    """A stored version as the canonical dict (what export writes and import compares)."""
    data = {"code": version.item.code, "department": version.item.department.code}
    for key in _DIRECT:
        data[key] = getattr(version, key)
    data["service_objects"] = version.service_object_codes
    data["tiers"] = version.tiers
    data["life_events"] = version.life_event_codes
    mats = materials if materials is not None else list(version.materials.all())
    data["materials"] = [canonical_material(m) for m in mats]
    return data


def version_kwargs(cleaned: dict) -> dict:
    """Model field values of an ItemVersion from a canonical dict."""
    kwargs = {key: cleaned[key] for key in _DIRECT if key in cleaned}
    if "service_objects" in cleaned:
        kwargs["service_objects"] = ",".join(cleaned["service_objects"])
    if "life_events" in cleaned:
        kwargs["life_events"] = ",".join(cleaned["life_events"])
    if "tiers" in cleaned:
        tiers = cleaned["tiers"]
        kwargs.update(tier_district="district" in tiers, tier_street="street" in tiers,
                      tier_community="community" in tiers)
    return kwargs


def same_content(a: dict, b: dict) -> bool:
    """Whether two canonical items say the same thing (ignoring what only identifies them)."""
    def norm(d):
        return json.dumps({k: v for k, v in d.items() if k not in ("code", "department")}, sort_keys=True,
                          ensure_ascii=False, default=str)

    return norm(a) == norm(b)
