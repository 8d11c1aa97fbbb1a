"""How many material requirements of the published catalog are met without the applicant (免提交).

Over every published item's current guide, per implementing department:

* **total** — material requirements (申请材料 rows);
* **target** — the ones a government body issued or holds, i.e. whose catalog source is a licence
  type or a shared data resource (the goal is to satisfy every one of them without the applicant);
* **satisfied** — the ones the case pipeline can actually fetch today: a shared resource that is
  published, shared, granted to the pipeline (the platform or the item's department) and has data;
  or a licence type the licence library issues, or whose data a published resource holds.

The reasons a target is not met are listed so a steward knows what to publish or request.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.db.models import Count

from .models import DataResource, Grant, GrantStatus, ResourceStatus, ShareClass
from .services import licence_selectors, platform_department_code


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


def _licence_type_known(code: str) -> bool | None:
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
        return Licence.objects.filter(type__code=code, status="valid").exists()
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
        self._licence_cache: dict[str, bool | None] = {}

    def shared(self, code: str, department_id: int) -> tuple[bool, str]:
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
        return True, ""

    def licence(self, code: str, department_id: int) -> tuple[bool, str]:
        if code not in self._licence_cache:
            self._licence_cache[code] = _licence_type_known(code)
        if self._licence_cache[code]:
            return True, ""
        reasons = []
        for rcode in self.backing.get(code, []):
            ok, why = self.shared(rcode, department_id)
            if ok:
                return True, ""
            reasons.append(why)
        if self._licence_cache[code] is None:
            return False, "证照库未接入" + (f"，对应数据{reasons[0]}" if reasons else "")
        return False, "证照库暂无该类有效证照" + (f"，对应数据{reasons[0]}" if reasons else "")


def compute() -> dict:
    """``{"rows": [...], "totals": {...}}`` per department, best covered first."""
    from yiwang.catalog.models import Material, ServiceItem

    cap = _Capability()
    rows: dict[int, Row] = {}
    items = ServiceItem.objects.filter(current__isnull=False).select_related("department")
    dept_of = {it.current_id: it.department for it in items}
    for m in Material.objects.filter(version_id__in=list(dept_of)).order_by("version_id", "order", "id"):
        dept = dept_of[m.version_id]
        row = rows.setdefault(dept.pk, Row(dept.code, dept.short_name or dept.name))
        row.total += 1
        if m.source == "applicant":
            continue
        row.target += 1
        ref = (m.source_ref or "").upper()
        ok, why = cap.shared(ref, dept.pk) if m.source == "shared_data" else cap.licence(ref, dept.pk)
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
