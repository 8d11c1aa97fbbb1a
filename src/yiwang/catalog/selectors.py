"""Reads of the catalog. The public sees published items and bundles; drafts and versions in
review are visible only to those who may edit them (see :mod:`.permissions`)."""

from __future__ import annotations

from django.db.models import Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from yiwang.accounts.actor import Actor
from yiwang.core.errors import NotFound
from yiwang.core.models import Department

from . import formschema, permissions
from .models import (
    Bundle,
    BundleItem,
    BundleStatus,
    CaseType,
    ItemVersion,
    LifeEvent,
    Material,
    MaterialSource,
    OnlineDepth,
    ServiceItem,
    Tier,
    VersionStatus,
)


# --- public reads -----------------------------------------------------------------------------
def published_items() -> QuerySet[ServiceItem]:
    return (ServiceItem.objects.filter(current__isnull=False, department__is_active=True)
            .select_related("current", "department").order_by("department__code", "code"))


def published_item(code: str) -> ServiceItem:
    item = published_items().filter(code=code).first()
    if item is None:
        raise NotFound(_("未找到该事项，或该事项已停止办理。"), code="item_not_found")
    return item


def item_version(code: str, number: int, actor: Actor | None = None) -> ItemVersion:
    """One version of an item: published and retired ones are public (the guide a case was filed
    under); drafts only for those who may edit the item."""
    version = (ItemVersion.objects.select_related("item__department")
               .filter(item__code=code, number=number).first())
    if version is None:
        raise NotFound(_("未找到该版本。"), code="version_not_found")
    if version.status in (VersionStatus.DRAFT, VersionStatus.REVIEW) and not (
        actor is not None and permissions.can_edit(actor, version.item.department_id)
    ):
        raise NotFound(_("未找到该版本。"), code="version_not_found")
    return version


def history(item: ServiceItem, actor: Actor | None = None) -> list[ItemVersion]:
    """Every version of an item, newest first; drafts only for its editors."""
    qs = item.versions.select_related("created_by", "published_by").order_by("-number")
    if not (actor is not None and permissions.can_edit(actor, item.department_id)):
        qs = qs.filter(status__in=[VersionStatus.PUBLISHED, VersionStatus.RETIRED])
    return list(qs)


def item_by_code(code: str) -> ServiceItem:
    item = ServiceItem.objects.select_related("department", "current").filter(code=code).first()
    if item is None:
        raise NotFound(_("未找到该事项。"), code="item_not_found")
    return item


def published_bundles() -> QuerySet[Bundle]:
    return Bundle.objects.filter(status=BundleStatus.PUBLISHED).select_related("department").order_by("code")


def published_bundle(code: str) -> Bundle:
    bundle = published_bundles().filter(code=code).first()
    if bundle is None:
        raise NotFound(_("未找到该一件事。"), code="bundle_not_found")
    return bundle


def departments_with_items() -> list[dict]:
    counts: dict[int, int] = {}
    for dep_id in published_items().values_list("department_id", flat=True):
        counts[dep_id] = counts.get(dep_id, 0) + 1
    return [{"department": d, "count": counts[d.pk]} for d in Department.objects.filter(pk__in=counts).order_by("code")]


def items_of_department(code: str) -> tuple[Department, list[ServiceItem]]:
    department = Department.objects.filter(code=code, is_active=True).first()
    if department is None:
        raise NotFound(_("未找到该部门。"), code="department_not_found")
    return department, list(published_items().filter(department=department))


def items_for_life_event(code: str) -> tuple[str, list[ServiceItem], list[Bundle]]:
    labels = dict(LifeEvent.choices)
    if code not in labels:
        raise NotFound(_("未找到该主题。"), code="life_event_not_found")
    items = [i for i in published_items() if code in i.current.life_event_codes]
    bundles = list(published_bundles().filter(life_event=code))
    return str(labels[code]), items, bundles


def life_events_with_counts() -> list[dict]:
    counts: dict[str, int] = {}
    for i in published_items():
        for code in i.current.life_event_codes:
            counts[code] = counts.get(code, 0) + 1
    for b in published_bundles():
        counts[b.life_event] = counts.get(b.life_event, 0) + 1
    return [{"code": c, "label": str(label), "count": counts[c]} for c, label in LifeEvent.choices if c in counts]


def items_for_tier(tier: str) -> tuple[str, list[ServiceItem]]:
    labels = dict(Tier.choices)
    if tier not in labels:
        raise NotFound(_("未找到该层级。"), code="tier_not_found")
    return str(labels[tier]), list(published_items().filter(**{f"current__tier_{tier}": True}))


# --- staff reads ------------------------------------------------------------------------------
def items_editable_by(actor: Actor) -> QuerySet[ServiceItem]:
    permissions.require_catalog_staff(actor)
    qs = ServiceItem.objects.select_related("department", "current").order_by("department__code", "code")
    if not permissions.is_admin(actor):
        qs = qs.filter(department_id=actor.department_id)
    return qs


def versions_awaiting(actor: Actor) -> QuerySet[ItemVersion]:
    """Open drafts and versions in review that the actor may work on."""
    qs = (ItemVersion.objects.filter(status__in=[VersionStatus.DRAFT, VersionStatus.REVIEW])
          .select_related("item__department").order_by("status", "item__code"))
    return qs.filter(item__in=items_editable_by(actor))


def editable_version(actor: Actor, version_id: int) -> ItemVersion:
    version = ItemVersion.objects.select_related("item__department").filter(pk=version_id).first()
    if version is None or not permissions.can_edit(actor, version.item.department_id):
        raise NotFound(_("未找到该版本。"), code="version_not_found")
    return version


def editable_item(actor: Actor, code: str) -> ServiceItem:
    item = ServiceItem.objects.select_related("department", "current").filter(code=code).first()
    if item is None or not permissions.can_edit(actor, item.department_id):
        raise NotFound(_("未找到该事项。"), code="item_not_found")
    return item


# --- guides -----------------------------------------------------------------------------------
def visit_answer(version: ItemVersion) -> dict:
    """The plain answer to "can I do this online, and how many times must I come?"."""
    visits = version.visits
    depth = version.online_depth
    if depth == OnlineDepth.FULL:
        online, text = True, _("可以全程网上办理，不用跑腿（到现场 0 次）。")
    elif depth == OnlineDepth.PRE_REVIEW:
        online = True
        text = (_("可以网上申请，材料网上预审通过后，只需到现场 %(n)d 次。") % {"n": visits} if visits
                else _("可以网上申请，无需到现场。"))
    elif depth == OnlineDepth.DOWNLOAD:
        online, text = False, _("可网上预约、下载表格，需要到现场办理，最多跑 %(n)d 次。") % {"n": visits}
    else:
        online, text = False, _("需要到现场办理，最多跑 %(n)d 次。") % {"n": visits}
    if version.case_type == CaseType.IMMEDIATE:
        time = _("材料齐全即来即办，当场办结。")
    else:
        time = _("受理后 %(n)d 个工作日内办结。") % {"n": version.promised_limit_days}
    return {"online": online, "visits": visits, "depth": depth, "depth_label": version.get_online_depth_display(),
            "text": str(text), "time": str(time)}


def _subject_title(m: Material) -> str:
    """The form field's title when the material is fetched for a person named in the form."""
    if not m.subject_field or m.applicant_submits:
        return ""
    spec = ((m.version.form_schema or {}).get("properties") or {}).get(m.subject_field) or {}
    return str(spec.get("title") or m.subject_field)


def material_dict(m: Material) -> dict:
    return {
        "key": m.key,
        "name": m.name,
        "required": m.requirement == "required",
        "requirement": m.requirement,
        "condition": m.condition,
        "form": m.form,
        "form_label": m.get_form_display(),
        "copies": m.copies,
        "source": m.source,
        "source_label": m.get_source_display(),
        "source_ref": m.source_ref,
        "source_name": m.source_name,
        "applicant_submits": m.applicant_submits,
        "subject_field": m.subject_field if not m.applicant_submits else "",
        "subject_title": _subject_title(m),
        "acceptance_standard": m.acceptance_standard,
        "note": m.note,
        "blank_form": m.blank_form.url if m.blank_form else None,
        "sample": m.sample.url if m.sample else None,
    }


def guide(version: ItemVersion) -> dict:
    """Everything the guide (办事指南) of one version says, as plain data."""
    item = version.item
    materials = [material_dict(m) for m in version.materials.all()]
    return {
        "code": item.code,
        "basic_code": version.basic_code,
        "version": version.number,
        "status": version.status,
        "published_at": version.published_at,
        "name": version.name,
        "summary": version.summary,
        "aliases": version.alias_list,
        "item_type": version.item_type,
        "item_type_label": version.get_item_type_display(),
        "department": {"code": item.department.code, "name": item.department.name,
                       "phone": item.department.phone, "address": item.department.address},
        "subject_nature": version.get_subject_nature_display(),
        "power_source": version.get_power_source_display(),
        "legal_basis": version.legal_basis,
        "acceptance_conditions": version.acceptance_conditions,
        "service_objects": version.service_object_labels,
        "time_limits": {
            "statutory_days": version.statutory_limit_days,
            "promised_days": version.promised_limit_days,
            "unit": "working_days",
        },
        "case_type": version.case_type,
        "case_type_label": version.get_case_type_display(),
        "visits": version.visits,
        "online_depth": version.online_depth,
        "online_depth_label": version.get_online_depth_display(),
        "answer": visit_answer(version),
        "fee_required": version.fee_required,
        "fees": version.fees,
        "fee_basis": version.fee_basis,
        "process": version.process,
        "handling_place": version.handling_place,
        "handling_hours": version.handling_hours,
        "consultation": version.consultation,
        "complaint": version.complaint,
        "special_procedures": version.special_procedures,
        "result": {"type": version.result_type, "type_label": version.get_result_type_display(),
                   "name": version.result_name, "licence_type": version.licence_type or None},
        "delivery": version.delivery,
        "tiers": version.tiers,
        "tier_labels": version.tier_labels,
        "citywide": version.citywide,
        "life_events": version.life_event_codes,
        "life_event_labels": version.life_event_labels,
        "materials": materials,
        "materials_to_bring": sum(1 for m in materials if m["applicant_submits"]),
        "materials_fetched": sum(1 for m in materials if not m["applicant_submits"]),
        "form_schema": version.form_schema,
        "form_fields": formschema.ordered_fields(version.form_schema),
    }


def bundle_entries(bundle: Bundle) -> list[BundleItem]:
    return list(
        bundle.entries.select_related("item__department", "item__current")
        .prefetch_related(Prefetch("item__current__materials", queryset=Material.objects.order_by("order", "id")))
        .order_by("order", "id")
    )


def merged_materials(versions: list[ItemVersion]) -> list[dict]:
    """Materials of several items, each asked once: same key (or the same name) = same material.
    A material is required if any item requires it; the strictest form and most copies win."""
    merged: dict[str, dict] = {}
    form_rank = {"electronic": 0, "copy": 1, "original": 2, "original_and_copy": 3}
    for version in versions:
        for m in version.materials.all():
            key = m.dedupe_key()
            entry = merged.get(key)
            if entry is None:
                entry = material_dict(m)
                entry["items"] = []
                entry["conditions"] = []
                merged[key] = entry
            else:
                if m.requirement == "required":
                    entry["required"], entry["requirement"], entry["condition"] = True, "required", ""
                if form_rank.get(m.form, 0) > form_rank.get(entry["form"], 0):
                    entry["form"], entry["form_label"] = m.form, m.get_form_display()
                entry["copies"] = max(entry["copies"], m.copies)
                if m.source != MaterialSource.APPLICANT and entry["applicant_submits"]:
                    # fetched once from the licence library or shared data, it serves every item
                    fetched = material_dict(m)
                    for k in ("source", "source_label", "source_ref", "source_name", "applicant_submits",
                              "subject_field", "subject_title"):
                        entry[k] = fetched[k]
            if m.condition and m.condition not in entry["conditions"]:
                entry["conditions"].append(m.condition)
            entry["items"].append(version.name)
    result = list(merged.values())
    for entry in result:
        entry["shared_count"] = len(entry["items"])
        if entry["required"]:
            entry["conditions"] = []
    return result


def bundle_guide(bundle: Bundle) -> dict:
    entries = bundle_entries(bundle)
    live = [e for e in entries if e.item.current_id is not None]
    versions = [e.item.current for e in live]
    materials = merged_materials(versions)
    total_materials = sum(v.materials.count() for v in versions)
    visits = max((v.visits for v in versions), default=0)
    full_online = all(v.online_depth == OnlineDepth.FULL for v in versions) if versions else False
    if full_online:
        answer = _("一次申请、全程网办，不用跑腿（到现场 0 次）。")
    else:
        answer = _("一张表单一次申请，各部门并联办理，最多到现场 %(n)d 次。") % {"n": max(visits, 1)}
    promised = bundle.promised_limit_days
    if promised is None:
        promised = max((v.promised_limit_days for v in versions), default=0)
    return {
        "code": bundle.code,
        "name": bundle.name,
        "summary": bundle.summary,
        "description": bundle.description,
        "aliases": bundle.alias_list,
        "life_event": bundle.life_event,
        "life_event_label": bundle.get_life_event_display(),
        "department": {"code": bundle.department.code, "name": bundle.department.name},
        "departments": sorted({v.item.department.name for v in versions}),
        "items": [
            {"code": e.item.code, "name": e.item.name, "department": e.item.department.name, "note": e.note,
             "published": e.item.current_id is not None,
             "promised_days": e.item.current.promised_limit_days if e.item.current_id else None,
             "online_depth": e.item.current.online_depth if e.item.current_id else None}
            for e in entries
        ],
        "materials": materials,
        "materials_before": total_materials,
        "materials_after": len(materials),
        "materials_to_bring": sum(1 for m in materials if m["applicant_submits"]),
        "form_schema": formschema.merge([v.form_schema for v in versions]),
        "form_fields": formschema.ordered_fields(formschema.merge([v.form_schema for v in versions])),
        "promised_days": promised,
        "visits": 0 if full_online else max(visits, 1),
        "online": full_online or any(v.online_depth >= OnlineDepth.PRE_REVIEW for v in versions),
        "answer": str(answer),
    }


def find_items(text: str) -> QuerySet[ServiceItem]:
    """Plain name lookup for staff pages (search for citizens is in :mod:`.search`)."""
    return published_items().filter(Q(name__icontains=text) | Q(code__iexact=text))
