"""Every change to the catalog: one function per business action, one transaction, one audit event.

Version lifecycle: ``draft → review → published → retired`` (and ``review → draft`` when sent
back). Publishing a new version retires the one it replaces; a published version never changes in
place, so cases keep pointing at the guide they were filed under.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.accounts.actor import Actor
from yiwang.core import audit
from yiwang.core.errors import Conflict, NotFound, ValidationFailed
from yiwang.core.models import Department

from . import permissions
from .models import (
    Bundle,
    BundleItem,
    BundleStatus,
    CatalogRevision,
    ItemVersion,
    Material,
    ServiceItem,
    VersionStatus,
)
from .validation import Cleaned, canonical_item, check_materials, clean_bundle, clean_item, version_kwargs

OPEN_STATUSES = (VersionStatus.DRAFT, VersionStatus.REVIEW)


def _record(actor: Actor, action: str, obj, data: dict | None = None) -> None:
    if permissions.is_system(actor):
        audit.record(action, obj, data=data, role="system", department="")
    else:
        audit.record(action, obj, data=data)


def _user(actor: Actor):
    return actor.user if actor.is_authenticated else None


def bump_revision() -> int:
    """Tell every process that the public catalog changed (their search indexes rebuild)."""
    CatalogRevision.objects.get_or_create(pk=1)
    CatalogRevision.objects.filter(pk=1).update(number=F("number") + 1, changed_at=timezone.now())
    return CatalogRevision.objects.get(pk=1).number


def _raise_problems(cleaned: Cleaned) -> None:
    if cleaned.problems:
        fields: dict[str, list[str]] = {}
        for p in cleaned.problems:
            fields.setdefault(p.column, []).append(str(p.message))
        raise ValidationFailed(_("事项内容有 %(n)d 处问题，请修改后再保存。") % {"n": len(cleaned.problems)},
                               code="item_invalid", fields=fields)


def _departments() -> dict[str, Department]:
    return {d.code: d for d in Department.objects.all()}


def _write_materials(version: ItemVersion, materials: list[dict], previous: list[Material] | None = None) -> None:
    """Store the materials of a (draft) version. Files (blank form, sample) carry over from the
    previous version's material of the same key or name."""
    old = {m.dedupe_key(): m for m in (previous or [])}
    version.materials.all().delete()
    rows = []
    for i, m in enumerate(materials, 1):
        row = Material(version=version, order=i, **m)  # clean_material gave a keyless one its derived key
        prior = old.get(row.dedupe_key())
        if prior is not None:
            row.blank_form, row.sample = prior.blank_form.name, prior.sample.name
        rows.append(row)
    Material.objects.bulk_create(rows)


def _new_version(item: ServiceItem, cleaned: dict, actor: Actor, *, change_note: str = "",
                 previous: ItemVersion | None = None) -> ItemVersion:
    number = (item.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    version = ItemVersion(item=item, number=number, change_note=change_note[:500], created_by=_user(actor),
                          **version_kwargs(cleaned))
    version.save()
    _write_materials(version, cleaned.get("materials", []),
                     list(previous.materials.all()) if previous is not None else None)
    return version


def _publish(version: ItemVersion, actor: Actor) -> ItemVersion | None:
    """Publish a version in review and retire the one it replaces. Returns the retired one."""
    item = ServiceItem.objects.select_for_update().get(pk=version.item_id)
    replaced = None
    if item.current_id and item.current_id != version.pk:
        replaced = ItemVersion.objects.get(pk=item.current_id)
        replaced.retire(str(_("被第 %(n)d 版替代") % {"n": version.number}))
        replaced.save(update_fields=["status", "retired_at", "retired_reason"])
    version.publish(_user(actor))
    version.save(update_fields=["status", "published_at", "published_by"])
    item.current = version
    item.name = version.name
    item.basic_code = version.basic_code
    item.save(update_fields=["current", "name", "basic_code"])
    bump_revision()
    return replaced


# --- items ------------------------------------------------------------------------------------
@transaction.atomic
def create_item(actor: Actor, data: dict, *, change_note: str = "") -> ItemVersion:
    """A new item with its first version as a draft."""
    cleaned = clean_item(data, departments=_departments())
    check_materials(cleaned.data.get("materials", []), cleaned)
    _raise_problems(cleaned)
    department = Department.objects.get(code=cleaned.data["department"])
    permissions.require_edit(actor, department.pk)
    if ServiceItem.objects.filter(code=cleaned.data["code"]).exists():
        raise Conflict(_("实施编码“%(code)s”已存在。") % {"code": cleaned.data["code"]}, code="item_exists",
                       fields={"code": [_("实施编码已存在。")]})
    item = ServiceItem.objects.create(code=cleaned.data["code"], basic_code=cleaned.data["basic_code"],
                                      department=department, name=cleaned.data["name"])
    version = _new_version(item, cleaned.data, actor, change_note=change_note or str(_("新建事项")))
    _record(actor, "catalog.item_created", version, {"item": item.code, "version": version.number})
    return version


def open_version(item: ServiceItem) -> ItemVersion | None:
    return item.versions.filter(status__in=OPEN_STATUSES).order_by("-number").first()


@transaction.atomic
def start_revision(actor: Actor, item: ServiceItem, *, change_note: str = "") -> ItemVersion:
    """A new draft, copied from the latest version. Idempotent: an open draft (or one in review) is
    returned as it is."""
    permissions.require_edit(actor, item.department_id)
    ServiceItem.objects.select_for_update().filter(pk=item.pk).first()
    existing = open_version(item)
    if existing is not None:
        return existing
    latest = item.versions.order_by("-number").first()
    if latest is None:  # pragma: no cover - every item is created with a version
        raise NotFound(_("该事项没有任何版本。"))
    data = canonical_item(latest)
    version = _new_version(item, data, actor, change_note=change_note, previous=latest)
    _record(actor, "catalog.revision_started", version, {"item": item.code, "version": version.number,
                                                         "from": latest.number})
    return version


@transaction.atomic
def update_draft(actor: Actor, version: ItemVersion, changes: dict, *, change_note: str | None = None) -> ItemVersion:
    """Change a draft. ``changes`` holds any canonical keys (``materials`` replaces the whole list);
    the implementation code and the department cannot change."""
    version = ItemVersion.objects.select_for_update().select_related("item__department").get(pk=version.pk)
    permissions.require_edit(actor, version.item.department_id)
    if version.status != VersionStatus.DRAFT:
        raise Conflict(_("只有草稿可以修改；已提交审核的版本请先退回，已发布的版本请创建新版本。"),
                       code="version_not_editable")
    if not isinstance(changes, dict):
        raise ValidationFailed(_("请求内容不符合要求。"))
    current = canonical_item(version)
    for key in ("code", "department"):
        if key in changes and changes[key] != current[key]:
            raise ValidationFailed(_("实施编码和实施主体不能修改。"), code="item_invalid",
                                   fields={key: [_("不能修改。")]})
    merged = {**current, **changes}
    cleaned = clean_item(merged, departments={current["department"]: version.item.department})
    check_materials(cleaned.data.get("materials", []), cleaned)
    _raise_problems(cleaned)
    previous = list(version.materials.all())
    for key, value in version_kwargs(cleaned.data).items():
        setattr(version, key, value)
    if change_note is not None:
        version.change_note = change_note[:500]
    version.save()
    if "materials" in changes:
        _write_materials(version, cleaned.data["materials"], previous)
    if version.item.current_id is None:
        ServiceItem.objects.filter(pk=version.item_id).update(name=version.name, basic_code=version.basic_code)
    changed = sorted(k for k in changes if changes[k] != current.get(k))
    _record(actor, "catalog.draft_updated", version, {"item": version.item.code, "version": version.number,
                                                      "fields": changed})
    return version


@transaction.atomic
def submit_for_review(actor: Actor, version: ItemVersion) -> ItemVersion:
    version = ItemVersion.objects.select_for_update().select_related("item").get(pk=version.pk)
    permissions.require_edit(actor, version.item.department_id)
    if version.submit():
        version.save(update_fields=["status", "submitted_at"])
        _record(actor, "catalog.version_submitted", version, {"item": version.item.code, "version": version.number})
    return version


@transaction.atomic
def send_back(actor: Actor, version: ItemVersion, note: str = "") -> ItemVersion:
    version = ItemVersion.objects.select_for_update().select_related("item").get(pk=version.pk)
    permissions.require_publish(actor, version.item.department_id)
    if version.send_back(note):
        version.save(update_fields=["status", "review_note"])
        _record(actor, "catalog.version_sent_back", version,
                {"item": version.item.code, "version": version.number, "note": note[:500]})
    return version


@transaction.atomic
def publish(actor: Actor, version: ItemVersion) -> ItemVersion:
    """Publish a reviewed version. It replaces (retires) the version published before it."""
    version = ItemVersion.objects.select_for_update().select_related("item").get(pk=version.pk)
    permissions.require_publish(actor, version.item.department_id)
    if version.status == VersionStatus.PUBLISHED:
        return version
    replaced = _publish(version, actor)
    _record(actor, "catalog.version_published", version,
            {"item": version.item.code, "version": version.number,
             "replaced": replaced.number if replaced else None})
    return version


@transaction.atomic
def retire_item(actor: Actor, item: ServiceItem, reason: str) -> ServiceItem:
    """Withdraw an item from the public catalog (its published version is retired)."""
    item = ServiceItem.objects.select_for_update().get(pk=item.pk)
    permissions.require_publish(actor, item.department_id)
    if not reason or not reason.strip():
        raise ValidationFailed(_("请填写停用原因。"), code="reason_required", fields={"reason": [_("此项为必填项。")]})
    if item.current_id is None:
        raise Conflict(_("该事项当前没有已发布的版本。"), code="illegal_transition")
    version = ItemVersion.objects.get(pk=item.current_id)
    version.retire(reason.strip())
    version.save(update_fields=["status", "retired_at", "retired_reason"])
    item.current = None
    item.save(update_fields=["current"])
    bump_revision()
    _record(actor, "catalog.item_retired", version, {"item": item.code, "version": version.number,
                                                     "reason": reason.strip()[:200]})
    return item


@transaction.atomic
def discard_draft(actor: Actor, version: ItemVersion) -> None:
    version = ItemVersion.objects.select_for_update().select_related("item").get(pk=version.pk)
    permissions.require_edit(actor, version.item.department_id)
    if version.status != VersionStatus.DRAFT:
        raise Conflict(_("只有草稿可以删除。"), code="version_not_editable")
    if version.item.versions.count() == 1:
        raise Conflict(_("事项的唯一版本不能删除。"), code="version_not_editable")
    _record(actor, "catalog.draft_discarded", version, {"item": version.item.code, "version": version.number})
    version.delete()


# --- bundles ----------------------------------------------------------------------------------
def _bundle_problems(cleaned: Cleaned) -> None:
    codes = [e.get("item") for e in cleaned.data.get("items", []) if e.get("item")]
    known = set(ServiceItem.objects.filter(code__in=codes).values_list("code", flat=True))
    for i, code in enumerate(codes, 1):
        if code not in known:
            cleaned.add(f"items[{i}].item", _("事项“%(code)s”不存在。") % {"code": code[:64]})
    if len(set(codes)) != len(codes):
        cleaned.add("items", _("同一事项不能重复加入。"))
    if len(codes) < 2:
        cleaned.add("items", _("一件事至少包含两个事项。"))


def _write_bundle(bundle: Bundle, data: dict) -> None:
    for key in ("name", "life_event", "aliases", "summary", "description", "promised_limit_days"):
        setattr(bundle, key, data[key])
    bundle.department = Department.objects.get(code=data["department"])
    bundle.save()
    bundle.entries.all().delete()
    items = {i.code: i for i in ServiceItem.objects.filter(code__in=[e["item"] for e in data["items"]])}
    BundleItem.objects.bulk_create(
        BundleItem(bundle=bundle, item=items[e["item"]], order=n, note=e.get("note", ""))
        for n, e in enumerate(data["items"], 1)
    )


@transaction.atomic
def save_bundle(actor: Actor, data: dict) -> Bundle:
    """Create or change a bundle (by its code). A published bundle's changes show at once."""
    cleaned = clean_bundle(data, departments=_departments())
    if not cleaned.problems:
        _bundle_problems(cleaned)
    if cleaned.problems:
        fields: dict[str, list[str]] = {}
        for p in cleaned.problems:
            fields.setdefault(p.column, []).append(str(p.message))
        raise ValidationFailed(_("一件事内容有 %(n)d 处问题。") % {"n": len(cleaned.problems)},
                               code="bundle_invalid", fields=fields)
    department = Department.objects.get(code=cleaned.data["department"])
    bundle = Bundle.objects.select_for_update().filter(code=cleaned.data["code"]).first()
    permissions.require_edit(actor, (bundle.department_id if bundle else department.pk))
    if bundle is not None and bundle.department_id != department.pk:
        permissions.require_edit(actor, department.pk)
    created = bundle is None
    bundle = bundle or Bundle(code=cleaned.data["code"])
    _write_bundle(bundle, cleaned.data)
    if bundle.status == BundleStatus.PUBLISHED:
        bump_revision()
    _record(actor, "catalog.bundle_created" if created else "catalog.bundle_updated", bundle,
            {"bundle": bundle.code, "items": [e["item"] for e in cleaned.data["items"]]})
    return bundle


@transaction.atomic
def publish_bundle(actor: Actor, bundle: Bundle) -> Bundle:
    bundle = Bundle.objects.select_for_update().get(pk=bundle.pk)
    permissions.require_publish(actor, bundle.department_id)
    unpublished = [e.item.name for e in bundle.entries.select_related("item") if e.item.current_id is None]
    if unpublished:
        raise Conflict(_("以下事项尚未发布，不能发布该一件事：%(names)s") % {"names": "、".join(unpublished)},
                       code="bundle_items_unpublished")
    if bundle.publish():
        bundle.save(update_fields=["status", "published_at", "retired_at"])
        bump_revision()
        _record(actor, "catalog.bundle_published", bundle, {"bundle": bundle.code})
    return bundle


@transaction.atomic
def retire_bundle(actor: Actor, bundle: Bundle) -> Bundle:
    bundle = Bundle.objects.select_for_update().get(pk=bundle.pk)
    permissions.require_publish(actor, bundle.department_id)
    if bundle.retire():
        bundle.save(update_fields=["status", "retired_at"])
        bump_revision()
        _record(actor, "catalog.bundle_retired", bundle, {"bundle": bundle.code})
    return bundle
