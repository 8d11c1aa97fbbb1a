"""Import and export of the whole catalog, as JSON and as Excel (.xlsx).

An import checks every row first and reports every problem with its sheet, row and column; only a
file without a single problem is saved, in one transaction (a bad file changes nothing). Items are
matched by implementation code: a new code creates an item, changed content creates a new version
(published at once when asked and allowed), unchanged content is left alone — so importing the
same file twice changes nothing the second time.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.accounts.actor import Actor
from yiwang.core.models import Department

from . import permissions
from .models import Bundle, BundleStatus, ItemVersion, ServiceItem, VersionStatus
from .services import _new_version, _publish, _record
from .validation import (
    BUNDLE_FIELDS,
    BUNDLE_ITEM_FIELDS,
    ITEM_FIELDS,
    MATERIAL_FIELDS,
    Problem,
    canonical_item,
    clean_bundle,
    clean_item,
    clean_material,
    same_content,
    subject_field_problems,
)

FORMAT = "yiwang-catalog"
FORMAT_VERSION = 1
MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20000

SHEET_ITEMS = "事项"
SHEET_MATERIALS = "申请材料"
SHEET_BUNDLES = "一件事"
SHEET_BUNDLE_ITEMS = "一件事事项"
SHEET_README = "填写说明"


@dataclass
class ImportReport:
    ok: bool = True
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    bundles_created: list[str] = field(default_factory=list)
    bundles_updated: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "ok": self.ok,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "bundles_created": self.bundles_created,
            "bundles_updated": self.bundles_updated,
            "problems": [p.as_dict() for p in self.problems],
        }


# --- export -----------------------------------------------------------------------------------
def export_data() -> dict:
    """The published catalog as one JSON-ready dict."""
    from .selectors import published_bundles, published_items

    items = []
    for item in published_items().prefetch_related("current__materials"):
        data = canonical_item(item.current)
        data["version"] = item.current.number
        items.append(data)
    bundles = []
    for b in published_bundles().prefetch_related("entries__item"):
        bundles.append({
            "code": b.code, "name": b.name, "life_event": b.life_event, "department": b.department.code,
            "aliases": b.aliases, "summary": b.summary, "description": b.description,
            "promised_limit_days": b.promised_limit_days,
            "items": [{"item": e.item.code, "note": e.note} for e in b.entries.order_by("order", "id")],
        })
    return {"format": FORMAT, "version": FORMAT_VERSION, "exported_at": timezone.now().isoformat(),
            "items": items, "bundles": bundles}


def export_json() -> bytes:
    return json.dumps(export_data(), ensure_ascii=False, indent=1, default=str).encode()


def _cell(f, value):
    if f.kind == "bool":
        return "是" if value else "否"
    if f.kind == "multi":
        return "、".join(value)
    if f.kind == "json":
        return json.dumps(value, ensure_ascii=False) if value not in ({}, [], None) else ""
    if f.kind == "choice":
        return str(value)
    return value


def export_xlsx() -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    data = export_data()
    wb = Workbook()
    sheets = [
        (SHEET_ITEMS, ITEM_FIELDS, [(it, None) for it in data["items"]]),
        (SHEET_MATERIALS, MATERIAL_FIELDS,
         [({**m, "item": it["code"]}, None) for it in data["items"] for m in it["materials"]]),
        (SHEET_BUNDLES, BUNDLE_FIELDS, [(b, None) for b in data["bundles"]]),
        (SHEET_BUNDLE_ITEMS, BUNDLE_ITEM_FIELDS,
         [({"bundle": b["code"], **e}, None) for b in data["bundles"] for e in b["items"]]),
    ]
    first = True
    for title, fields, rows in sheets:
        ws = wb.active if first else wb.create_sheet()
        first = False
        ws.title = title
        ws.append([str(f.label) for f in fields])
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row, _unused in rows:
            ws.append([_cell(f, row.get(f.key)) for f in fields])
        for i, f in enumerate(fields, 1):
            letter = get_column_letter(i)
            ws.column_dimensions[letter].width = 14 if f.kind in ("int", "bool", "choice") else 28
            if f.kind in ("str", "choice"):
                for cell in ws[letter][1:]:
                    cell.number_format = "@"
        ws.freeze_panes = "A2"
    readme = wb.create_sheet(SHEET_README)
    readme.append([_("说明")])
    for line in (
        _("第一行为列名，请勿修改；从第二行起每行一条记录。编码列请保持“文本”格式。"),
        _("多选项（服务对象、可办层级、主题分类）可填代码或名称，用顿号分隔。是否类填“是”或“否”。"),
        _("收费项目、办理流程、特别程序、申请表填写 JSON。申请材料按事项实施编码对应，顺序即材料序号。"),
        _("“数据主体字段”：材料记载的是申请表中另一人（如死者、子女）时，填写该人身份证号码字段的字段名（如 deceased_id），"
          "该字段须是申请表中格式为 resident_id 或 uscc 的字段；材料记载申请人本人的留空。"),
        _("导入时先检查全部内容，有任何问题都不会保存，并列出每个问题所在的工作表、行和列。"),
    ):
        readme.append([line])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# --- reading files ----------------------------------------------------------------------------
class _Bad(Exception):
    def __init__(self, problem: Problem):
        self.problem = problem


def _file_problem(message) -> _Bad:
    return _Bad(Problem(column="_", label=_("文件"), message=str(message)))


def read_json(raw: bytes) -> dict:
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError):
        raise _file_problem(_("文件不是有效的 JSON（UTF-8 编码）。"))
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise _file_problem(_("文件不是本平台导出的事项目录（缺少 \"format\": \"%(f)s\"）。") % {"f": FORMAT})
    if data.get("version") != FORMAT_VERSION:
        raise _file_problem(_("不支持的文件版本：%(v)s。") % {"v": str(data.get("version"))[:20]})
    if not isinstance(data.get("items", []), list) or not isinstance(data.get("bundles", []), list):
        raise _file_problem(_("items 和 bundles 应为列表。"))
    return data


def _sheet_rows(wb, title: str, fields, problems: list[Problem], *, required: bool):
    """Rows of one sheet as (row number, {key: value}); header problems go to ``problems``."""
    from openpyxl.utils import get_column_letter

    if title not in wb.sheetnames:
        if required:
            problems.append(Problem(sheet=title, column="_", label=title, message=_("缺少工作表“%(s)s”。") % {"s": title}))
        return [], {}
    ws = wb[title]
    rows = ws.iter_rows(values_only=True)
    header = next(rows, None) or ()
    by_label = {str(f.label): f for f in fields} | {f.key: f for f in fields}
    columns: dict[int, object] = {}
    letters: dict[str, str] = {}
    for i, name in enumerate(header):
        if name is None or str(name).strip() == "":
            continue
        f = by_label.get(str(name).strip())
        letter = get_column_letter(i + 1)
        if f is None:
            problems.append(Problem(sheet=title, row=1, column=str(name)[:40], cell=f"{letter}1",
                                    label=str(name)[:40], message=_("未知的列名。")))
            continue
        columns[i] = f
        letters[f.key] = letter
    for f in fields:
        if f.required and f.key not in letters:
            problems.append(Problem(sheet=title, row=1, column=f.key, label=str(f.label),
                                    message=_("缺少必填列“%(c)s”。") % {"c": str(f.label)}))
    out = []
    for n, values in enumerate(rows, start=2):
        if n > MAX_ROWS:
            problems.append(Problem(sheet=title, row=n, column="_", message=_("行数超过上限 %(n)d。") % {"n": MAX_ROWS}))
            break
        if values is None or all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
            continue
        out.append((n, {columns[i].key: v for i, v in enumerate(values) if i in columns}))
    return out, letters


def _place(problems: list[Problem], *, sheet: str, row: int, letters: dict[str, str], prefix: str = ""):
    for p in problems:
        p.sheet, p.row = sheet, row
        key = p.column.split(".")[-1]
        if p.column.startswith(prefix) or not prefix:
            p.cell = f"{letters[key]}{row}" if key in letters else ""
    return problems


def read_xlsx(raw: bytes, problems: list[Problem]) -> dict:
    """An Excel workbook as the same dict a JSON file gives. Problems of a row stay attached to it:
    ``_row`` (and ``_letters``) are kept on each record for :func:`check`."""
    from zipfile import BadZipFile

    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except (BadZipFile, KeyError, ValueError, OSError, TypeError) as exc:
        raise _file_problem(_("文件不是有效的 Excel（.xlsx）工作簿。")) from exc
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds for a broken file
        raise _file_problem(_("文件不是有效的 Excel（.xlsx）工作簿。")) from exc
    try:
        item_rows, item_letters = _sheet_rows(wb, SHEET_ITEMS, ITEM_FIELDS, problems, required=True)
        mat_rows, mat_letters = _sheet_rows(wb, SHEET_MATERIALS, MATERIAL_FIELDS, problems, required=False)
        bundle_rows, bundle_letters = _sheet_rows(wb, SHEET_BUNDLES, BUNDLE_FIELDS, problems, required=False)
        entry_rows, entry_letters = _sheet_rows(wb, SHEET_BUNDLE_ITEMS, BUNDLE_ITEM_FIELDS, problems,
                                                required=False)
    finally:
        wb.close()
    items = []
    by_code: dict[str, dict] = {}
    for n, values in item_rows:
        record = {**values, "materials": [], "_row": n, "_sheet": SHEET_ITEMS, "_letters": item_letters}
        items.append(record)
        code = str(values.get("code") or "").strip()
        if code and code not in by_code:
            by_code[code] = record
    for n, values in mat_rows:
        code = str(values.get("item") or "").strip()
        cleaned = clean_material(values, with_item=True)
        problems.extend(_place(cleaned.problems, sheet=SHEET_MATERIALS, row=n, letters=mat_letters))
        if code and code not in by_code:
            problems.append(Problem(sheet=SHEET_MATERIALS, row=n, column="item", label=str(MATERIAL_FIELDS[0].label),
                                    cell=f"{mat_letters.get('item', '')}{n}",
                                    message=_("事项“%(code)s”不在“事项”工作表中。") % {"code": code[:64]}))
        elif code:
            material = {k: v for k, v in values.items() if k != "item"}
            material["_row"] = n
            by_code[code]["materials"].append(material)
    bundles = []
    bundle_by_code: dict[str, dict] = {}
    for n, values in bundle_rows:
        record = {**values, "items": [], "_row": n, "_sheet": SHEET_BUNDLES, "_letters": bundle_letters}
        bundles.append(record)
        code = str(values.get("code") or "").strip()
        if code:
            bundle_by_code.setdefault(code, record)
    for n, values in entry_rows:
        code = str(values.get("bundle") or "").strip()
        if code not in bundle_by_code:
            problems.append(Problem(sheet=SHEET_BUNDLE_ITEMS, row=n, column="bundle",
                                    label=str(BUNDLE_ITEM_FIELDS[0].label),
                                    cell=f"{entry_letters.get('bundle', '')}{n}",
                                    message=_("一件事“%(code)s”不在“一件事”工作表中。") % {"code": code[:64]}))
            continue
        entry = {"item": values.get("item"), "note": values.get("note"), "_row": n}
        bundle_by_code[code]["items"].append(entry)
    return {"format": FORMAT, "version": FORMAT_VERSION, "items": items, "bundles": bundles,
            "_entry_letters": entry_letters, "_material_letters": mat_letters}


# --- checking ---------------------------------------------------------------------------------
def _material_letters(data: dict) -> str:
    """The column letter of the subject field in the workbook's materials sheet ("" if none)."""
    return (data.get("_material_letters") or {}).get("subject_field", "")


@dataclass
class Plan:
    items: list[dict] = field(default_factory=list)  # cleaned canonical items
    bundles: list[dict] = field(default_factory=list)


def _where(record: dict, index: int, json_sheet: str) -> tuple[str, int]:
    return record.get("_sheet", json_sheet), record.get("_row", index)


def check(actor: Actor, data: dict, *, publish: bool, problems: list[Problem]) -> Plan:
    """Validate every record of a parsed file; problems are appended, nothing is written."""
    departments = {d.code: d for d in Department.objects.all()}
    plan = Plan()
    seen: dict[str, int] = {}
    existing = {i.code: i for i in ServiceItem.objects.select_related("department", "current")}
    open_versions = {v.item_id: v for v in ItemVersion.objects.filter(
        status__in=[VersionStatus.DRAFT, VersionStatus.REVIEW]).select_related("item__department")
        .prefetch_related("materials")}
    for index, raw in enumerate(data.get("items", []), 1):
        sheet, row = _where(raw if isinstance(raw, dict) else {}, index, "items")
        letters = raw.get("_letters", {}) if isinstance(raw, dict) else {}
        is_excel = isinstance(raw, dict) and "_row" in raw
        cleaned = clean_item(raw, departments=departments, with_materials=not is_excel)
        if is_excel:  # materials were checked row by row when the workbook was read
            cleaned.data["materials"] = [clean_material({k: v for k, v in m.items() if k != "_row"}).data
                                         for m in raw.get("materials", [])]
            # ... except against the item's form: a subject field must be one of its ID fields
            for i, message in subject_field_problems(cleaned.data.get("form_schema"), cleaned.data["materials"]):
                m_row = raw["materials"][i].get("_row")
                problems.append(Problem(sheet=SHEET_MATERIALS, row=m_row, column="subject_field",
                                        label=str(MATERIAL_FIELDS[-1].label), message=message,
                                        cell=f"{_material_letters(data)}{m_row}" if _material_letters(data) else ""))
        for p in cleaned.problems:
            p.sheet, p.row = sheet, row
            key = p.column.split(".")[0]
            p.cell = f"{letters[key]}{row}" if key in letters else ""
        problems.extend(cleaned.problems)
        d = cleaned.data
        code = d.get("code")
        if code:
            if code in seen:
                problems.append(Problem(sheet=sheet, row=row, column="code", label=str(ITEM_FIELDS[0].label),
                                        cell=f"{letters.get('code', '')}{row}" if letters else "",
                                        message=_("实施编码与第 %(n)d 行重复。") % {"n": seen[code]}))
            seen[code] = row
        dep = departments.get(d.get("department") or "")
        if dep is not None and not cleaned.problems:
            prior = existing.get(code)
            if prior is not None and prior.department_id != dep.pk:
                problems.append(Problem(sheet=sheet, row=row, column="department", label=str(ITEM_FIELDS[2].label),
                                        message=_("该事项已属于“%(d)s”，实施主体不能通过导入变更。")
                                        % {"d": prior.department.name}))
            elif not permissions.can_edit(actor, dep.pk):
                problems.append(Problem(sheet=sheet, row=row, column="department", label=str(ITEM_FIELDS[2].label),
                                        message=_("您无权导入“%(d)s”的事项。") % {"d": dep.name}))
            elif publish and not permissions.can_publish(actor, dep.pk):
                problems.append(Problem(sheet=sheet, row=row, column="department", label=str(ITEM_FIELDS[2].label),
                                        message=_("您无权发布“%(d)s”的事项，请不勾选“导入后直接发布”。") % {"d": dep.name}))
            elif prior is not None:
                open_v = open_versions.get(prior.pk)
                if open_v is not None:
                    latest = prior.current or open_v
                    if not same_content(canonical_item(latest), d):
                        problems.append(Problem(
                            sheet=sheet, row=row, column="code", label=str(ITEM_FIELDS[0].label),
                            message=_("该事项有尚未发布的第 %(n)d 版（%(s)s），请先发布或退回处理后再导入。")
                            % {"n": open_v.number, "s": open_v.get_status_display()}))
        plan.items.append(d)
    item_codes = set(seen) | set(existing)
    bundle_seen: dict[str, int] = {}
    for index, raw in enumerate(data.get("bundles", []), 1):
        sheet, row = _where(raw if isinstance(raw, dict) else {}, index, "bundles")
        letters = raw.get("_letters", {}) if isinstance(raw, dict) else {}
        raw_entries = (raw.get("items") or []) if isinstance(raw, dict) else []
        if not isinstance(raw_entries, list):
            raw_entries = []
        entry_rows = [e.get("_row") if isinstance(e, dict) else None for e in raw_entries]
        to_clean = raw
        if isinstance(raw, dict):
            to_clean = {k: v for k, v in raw.items() if k != "items"}
            to_clean["items"] = [{k: v for k, v in e.items() if k != "_row"} if isinstance(e, dict) else e
                                 for e in raw_entries]
        cleaned = clean_bundle(to_clean, departments=departments)
        for p in cleaned.problems:
            p.sheet, p.row = sheet, row
            if p.column.startswith("items[") and entry_rows:
                i = int(p.column[6:p.column.index("]")]) - 1
                if entry_rows[i]:
                    p.sheet, p.row = SHEET_BUNDLE_ITEMS, entry_rows[i]
                    key = p.column.split(".")[-1]
                    el = data.get("_entry_letters", {})
                    p.cell = f"{el[key]}{p.row}" if key in el else ""
            else:
                p.cell = f"{letters[p.column]}{row}" if p.column in letters else ""
        problems.extend(cleaned.problems)
        d = cleaned.data
        codes = [e.get("item") for e in d.get("items", []) if e.get("item")]
        for i, entry in enumerate(d.get("items", [])):
            code = entry.get("item")
            if code and code not in item_codes:
                entry_row = entry_rows[i] if i < len(entry_rows) else None
                el = data.get("_entry_letters", {})
                problems.append(Problem(sheet=SHEET_BUNDLE_ITEMS if entry_row else sheet, row=entry_row or row,
                                        column=f"items[{i + 1}].item", label=str(BUNDLE_ITEM_FIELDS[1].label),
                                        cell=f"{el['item']}{entry_row}" if entry_row and "item" in el else "",
                                        message=_("事项“%(code)s”不存在。") % {"code": code[:64]}))
        if len(codes) < 2 and not cleaned.problems:
            problems.append(Problem(sheet=sheet, row=row, column="items", label=_("包含的事项"),
                                    message=_("一件事至少包含两个事项。")))
        if len(set(codes)) != len(codes):
            problems.append(Problem(sheet=sheet, row=row, column="items", label=_("包含的事项"),
                                    message=_("同一事项不能重复加入。")))
        if d.get("code"):
            if d["code"] in bundle_seen:
                problems.append(Problem(sheet=sheet, row=row, column="code", label=str(BUNDLE_FIELDS[0].label),
                                        message=_("一件事编码与第 %(n)d 行重复。") % {"n": bundle_seen[d["code"]]}))
            bundle_seen[d["code"]] = row
        dep = departments.get(d.get("department") or "")
        if dep is not None and not permissions.can_edit(actor, dep.pk):
            problems.append(Problem(sheet=sheet, row=row, column="department", label=str(BUNDLE_FIELDS[3].label),
                                    message=_("您无权导入“%(d)s”牵头的一件事。") % {"d": dep.name}))
        elif dep is not None and publish and not permissions.can_publish(actor, dep.pk):
            problems.append(Problem(sheet=sheet, row=row, column="department", label=str(BUNDLE_FIELDS[3].label),
                                    message=_("您无权发布“%(d)s”牵头的一件事。") % {"d": dep.name}))
        plan.bundles.append(d)
    return plan


# --- applying ---------------------------------------------------------------------------------
def _apply(actor: Actor, plan: Plan, *, publish: bool, report: ImportReport) -> None:
    departments = {d.code: d for d in Department.objects.all()}
    existing = {i.code: i for i in ServiceItem.objects.filter(code__in=[d["code"] for d in plan.items])
                .select_related("department", "current").prefetch_related("current__materials")}
    for d in plan.items:
        item = existing.get(d["code"])
        if item is None:
            item = ServiceItem.objects.create(code=d["code"], basic_code=d["basic_code"],
                                              department=departments[d["department"]], name=d["name"])
            version = _new_version(item, d, actor, change_note=str(_("导入新建")))
            report.created.append(item.code)
        else:
            latest = item.current or item.versions.order_by("-number").first()
            latest.item = item
            if same_content(canonical_item(latest), d):
                if publish and item.current is None and latest.status in (VersionStatus.DRAFT, VersionStatus.REVIEW):
                    latest.submit()
                    latest.save(update_fields=["status", "submitted_at"])
                    _publish(latest, actor)
                    report.updated.append(item.code)
                else:
                    report.unchanged.append(item.code)
                continue
            version = _new_version(item, d, actor, change_note=str(_("导入更新")), previous=latest)
            report.updated.append(item.code)
        if publish:
            version.submit()
            version.save(update_fields=["status", "submitted_at"])
            _publish(version, actor)
    for d in plan.bundles:
        bundle = Bundle.objects.filter(code=d["code"]).first()
        created = bundle is None
        bundle = bundle or Bundle(code=d["code"])
        before = None if created else _bundle_snapshot(bundle)
        from .services import _write_bundle

        _write_bundle(bundle, d)
        changed = created or before != _bundle_snapshot(bundle)
        if publish and bundle.status != BundleStatus.PUBLISHED:
            bundle.publish()
            bundle.save(update_fields=["status", "published_at", "retired_at"])
            changed = True
        if created:
            report.bundles_created.append(bundle.code)
        elif changed:
            report.bundles_updated.append(bundle.code)
    if report.bundles_created or report.bundles_updated:
        from .services import bump_revision

        bump_revision()


def _bundle_snapshot(bundle: Bundle) -> str:
    entries = [(e.item.code, e.note) for e in bundle.entries.select_related("item").order_by("order", "id")]
    return json.dumps([bundle.name, bundle.life_event, bundle.department_id, bundle.aliases, bundle.summary,
                       bundle.description, bundle.promised_limit_days, bundle.status, entries], ensure_ascii=False)


def import_catalog(actor: Actor, raw: bytes, *, fmt: str, publish: bool = False) -> ImportReport:
    """Check a whole file and, only when it has no problem at all, save it in one transaction."""
    permissions.require_catalog_staff(actor)
    report = ImportReport()
    problems: list[Problem] = []
    try:
        if not raw:
            raise _file_problem(_("文件是空的。"))
        if len(raw) > MAX_BYTES:
            raise _file_problem(_("文件超过 %(n)d MB。") % {"n": MAX_BYTES // (1024 * 1024)})
        if fmt == "json":
            data = read_json(raw)
        elif fmt == "xlsx":
            data = read_xlsx(raw, problems)
        else:
            raise _file_problem(_("只支持 JSON 或 Excel（.xlsx）文件。"))
        plan = check(actor, data, publish=publish, problems=problems)
    except _Bad as bad:
        problems.append(bad.problem)
        plan = None
    if problems or plan is None:
        report.ok = False
        report.problems = problems
        return report
    with transaction.atomic():
        _apply(actor, plan, publish=publish, report=report)
        _record(actor, "catalog.imported", ("catalog.import", fmt), {
            "format": fmt, "publish": publish, "created": report.created, "updated": report.updated,
            "unchanged": len(report.unchanged), "bundles_created": report.bundles_created,
            "bundles_updated": report.bundles_updated,
        })
    return report


def import_data(actor: Actor, data: dict, *, publish: bool = False) -> ImportReport:
    """Import an already parsed catalog dict (used by load_demo_catalog)."""
    raw = json.dumps({"format": FORMAT, "version": FORMAT_VERSION, **data}, ensure_ascii=False).encode()
    return import_catalog(actor, raw, fmt="json", publish=publish)

