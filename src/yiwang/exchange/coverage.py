"""How many material requirements of the published catalog are met without the applicant (免提交).

Over every published item's current guide, per implementing department:

* **total** — material requirements (申请材料 rows);
* **target** — the ones a government body issued or holds, i.e. whose catalog source is a licence
  type or a shared data resource (the goal is to satisfy every one of them without the applicant);
* **satisfied** — the ones the case pipeline can actually fetch today: a shared resource that is
  published, shared, granted to the pipeline (the platform or the item's department) and has data;
  or a licence type the licence library issues, or whose data a published resource holds.

Whose data counts depends on whom the pipeline looks up. A material without ``subject_field`` is
fetched for the applicant (or their enterprise), so its source must hold data of someone who can
apply — a registered person or enterprise: a registry of the dead (居民死亡医学证明) never does, and
such a material is not met until the catalog names the form field that carries the deceased's ID
number. A material with ``subject_field`` is fetched for the person whose number the applicant
writes there; it is met only when that field is a resident-ID (or USCC) field of the item's form
whose kind matches the source, and the source has data.

The reasons a target is not met are listed so a steward knows what to publish or request.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Q

from .models import DataRecord, DataResource, Grant, GrantStatus, ResourceStatus, ShareClass, SubjectKind
from .services import licence_selectors, platform_department_code

SUBJECT_FIELD_INVALID = "数据主体字段无效"
NO_APPLICANT_DATA = "无申请人本人的数据（他人的材料须指定数据主体字段）"


@dataclass
class Row:
    code: str
    name: str
    total: int = 0
    target: int = 0
    satisfied: int = 0
    gaps: Counter = field(default_factory=Counter)

    @property
    def pct_total(self) -> float:
        return 100.0 * self.satisfied / self.total if self.total else 0.0

    @property
    def pct_target(self) -> float:
        return 100.0 * self.satisfied / self.target if self.target else 100.0

    def as_dict(self) -> dict:
        return {"department": self.code, "name": self.name, "total": self.total, "target": self.target,
                "satisfied": self.satisfied, "pct_total": round(self.pct_total, 1),
                "pct_target": round(self.pct_target, 1),
                "gaps": [{"source": s, "ref": r, "name": n, "reason": why, "count": c}
                         for (s, r, n, why), c in self.gaps.most_common()]}


def _licence_type_known(code: str, *, applicants_only: bool = False) -> bool | None:
    """Whether the library holds valid licences of the type (``applicants_only``: held by a
    registered person or enterprise, i.e. one the pipeline can look up as an applicant)."""
    lib = licence_selectors()
    if lib is None:
        return None
    for name in ("licence_type_available", "licence_type_exists"):
        fn = getattr(lib, name, None)
        if fn is not None:
            try:
                return bool(fn(code))
            except Exception:  # noqa: BLE001
                return None
    try:
        from yiwang.licences.models import Licence  # noqa: PLC0415

        # the library issues this type (and holds licences of it) — current_licence can answer
        qs = Licence.objects.filter(type__code=code, status="valid")
        if applicants_only:
            qs = qs.filter(Q(holder_user__isnull=False) | Q(holder_enterprise__isnull=False))
        return qs.exists()
    except Exception:  # noqa: BLE001
        return None


class _Capability:
    """What the pipeline can fetch, computed once for the whole report."""

    def __init__(self):
        from django.utils import timezone

        from yiwang.core.models import Department

        now = timezone.now()
        self.platform = Department.objects.filter(code=platform_department_code()).values_list("pk", flat=True).first()
        self.resources = {r.code: r for r in DataResource.objects.annotate(n=Count("records"))}
        self.grants: dict[str, set[int]] = defaultdict(set)
        for g in Grant.objects.filter(status=GrantStatus.ACTIVE, expires_at__gt=now).select_related("resource"):
            if [f for f in g.fields if f in g.resource.field_keys]:
                self.grants[g.resource.code].add(g.grantee_id)
        self.backing: dict[str, list[str]] = defaultdict(list)
        for r in self.resources.values():
            for t in r.licence_types or []:
                self.backing[t].append(r.code)
        self._licence_cache: dict[tuple[str, bool], bool | None] = {}
        self._applicant_data: dict[str, bool] = {}
        self._enterprises: list[str] | None = None

    def _has_applicant_data(self, r: DataResource) -> bool:
        """Whether the resource holds a record of anyone who can apply (a registered person, or an
        enterprise for a USCC resource): the pipeline looks the applicant up, nobody else."""
        if r.code not in self._applicant_data:
            if r.subject_kind == SubjectKind.USCC:
                from yiwang.accounts.models import Enterprise
                from yiwang.core.crypto import blind_index

                if self._enterprises is None:
                    self._enterprises = [blind_index(u, SubjectKind.USCC)
                                         for u in Enterprise.objects.values_list("uscc", flat=True)]
                subjects = self._enterprises
            else:
                from yiwang.accounts.models import User

                subjects = User.objects.filter(id_number_bidx__isnull=False).values("id_number_bidx")
            self._applicant_data[r.code] = DataRecord.objects.filter(resource=r, subject_bidx__in=subjects).exists()
        return self._applicant_data[r.code]

    def shared(self, code: str, department_id: int, subject_kind: str | None = None) -> tuple[bool, str]:
        """``subject_kind`` None: fetched for the applicant; else for a person (resident_id) or
        organisation (uscc) the form names."""
        r = self.resources.get(code)
        if r is None:
            return False, "未编目"
        if r.status != ResourceStatus.PUBLISHED:
            return False, "未发布"
        if r.share_class == ShareClass.NOT_SHARED:
            return False, "不予共享"
        holders = self.grants.get(code, set())
        if department_id not in holders and self.platform not in holders:
            return False, "无授权"
        if not r.n:
            return False, "未汇聚数据"
        if subject_kind is not None and subject_kind != r.subject_kind:
            return False, SUBJECT_FIELD_INVALID
        if subject_kind is None and not self._has_applicant_data(r):
            return False, NO_APPLICANT_DATA
        return True, ""

    def licence(self, code: str, department_id: int, subject_kind: str | None = None) -> tuple[bool, str]:
        key = (code, subject_kind is None)
        if key not in self._licence_cache:
            self._licence_cache[key] = _licence_type_known(code, applicants_only=subject_kind is None)
        if self._licence_cache[key]:
            return True, ""
        reasons = []
        for rcode in self.backing.get(code, []):
            r = self.resources.get(rcode)
            if subject_kind is not None and r is not None and r.subject_kind != subject_kind:
                continue  # the pipeline skips a backing resource of another subject kind
            ok, why = self.shared(rcode, department_id, subject_kind)
            if ok:
                return True, ""
            reasons.append(why)
        if self._licence_cache[key] is None:
            return False, "证照库未接入" + (f"，对应数据{reasons[0]}" if reasons else "")
        return False, "证照库暂无该类有效证照" + (f"，对应数据{reasons[0]}" if reasons else "")


def subject_kind_of(form_schema, subject_field: str) -> str | None:
    """The kind (resident_id | uscc) of the form field a material names as its subject, or None
    when the field is not a resident-ID or USCC field of the form."""
    props = (form_schema or {}).get("properties") if isinstance(form_schema, dict) else None
    spec = (props or {}).get(subject_field) if isinstance(props, dict) else None
    kind = spec.get("format") if isinstance(spec, dict) else None
    return kind if kind in SubjectKind.values else None


def compute() -> dict:
    """``{"rows": [...], "totals": {...}}`` per department, best covered first."""
    from yiwang.catalog.models import ItemVersion, Material, ServiceItem

    cap = _Capability()
    rows: dict[int, Row] = {}
    items = ServiceItem.objects.filter(current__isnull=False).select_related("department")
    dept_of = {it.current_id: it.department for it in items}
    schemas = dict(ItemVersion.objects.filter(pk__in=list(dept_of)).values_list("pk", "form_schema"))
    for m in Material.objects.filter(version_id__in=list(dept_of)).order_by("version_id", "order", "id"):
        dept = dept_of[m.version_id]
        row = rows.setdefault(dept.pk, Row(dept.code, dept.short_name or dept.name))
        row.total += 1
        if m.source == "applicant":
            continue
        row.target += 1
        ref = (m.source_ref or "").upper()
        subject_kind = None
        if m.subject_field:
            subject_kind = subject_kind_of(schemas.get(m.version_id), m.subject_field)
            if subject_kind is None:
                row.gaps[(m.source, ref, m.source_name or m.name, SUBJECT_FIELD_INVALID)] += 1
                continue
        ok, why = (cap.shared(ref, dept.pk, subject_kind) if m.source == "shared_data"
                   else cap.licence(ref, dept.pk, subject_kind))
        if ok:
            row.satisfied += 1
        else:
            row.gaps[(m.source, ref, m.source_name or m.name, why)] += 1
    ordered = sorted(rows.values(), key=lambda r: (-r.pct_target, -r.total, r.code))
    total = Row("ALL", "合计")
    for r in ordered:
        total.total += r.total
        total.target += r.target
        total.satisfied += r.satisfied
        total.gaps.update(r.gaps)
    return {"rows": [r.as_dict() for r in ordered], "totals": total.as_dict(),
            "licence_library": licence_selectors() is not None}


def as_markdown(report: dict) -> str:
    lines = ["| 部门 | 材料要求 | 政府核发（目标） | 免提交（已满足） | 占全部 | 占目标 |", "|---|---:|---:|---:|---:|---:|"]
    for r in report["rows"] + [report["totals"]]:
        lines.append(f"| {r['name']}（{r['department']}） | {r['total']} | {r['target']} | {r['satisfied']} | "
                     f"{r['pct_total']:.1f}% | {r['pct_target']:.1f}% |")
    return "\n".join(lines)
