"""Load the demo catalog through the ordinary import (so it is checked like any file) and publish it.

Idempotent: unchanged items are left alone, so a second run creates nothing. The demo departments
must exist (``manage.py load_demo``).
"""

from __future__ import annotations

from pathlib import Path

from django.utils.translation import gettext as _

from yiwang.core.errors import DomainError

from .items import BUNDLES, ITEMS

VECTORS_FILE = Path(__file__).with_name("vectors.npz")
DEFAULT_HOURS = "周一至周五 9:00–12:00、13:30–17:30（法定节假日除外）；周六 9:00–12:00 延时服务"


class MissingDepartments(DomainError):
    code = "demo_departments_missing"


def _departments():
    from yiwang.core.models import Department

    return {d.code: d for d in Department.objects.all()}


def _centre():
    from yiwang.core.models import ServicePlace

    return ServicePlace.objects.filter(tier="district", is_active=True).order_by("code").first()


def implementation_code(department, basic_code: str) -> str:
    """实施编码 of the demo: the implementing body's 6-digit division + the basic code + "01"."""
    return f"{department.division_id[:6]}{basic_code}01"


def create_demo_departments() -> None:
    """Only the district and its departments, from the demo district's own (pure) data module —
    for tests and benchmarks that need the catalog without the whole demo (``load_demo``)."""
    from yiwang.core.demo import CITY, DISTRICT, PROVINCE
    from yiwang.core.demo.orgs import departments
    from yiwang.core.models import Department, Division

    prov, _c = Division.objects.get_or_create(code=PROVINCE[0], defaults={"name": PROVINCE[1], "level": "province"})
    city, _c = Division.objects.get_or_create(code=CITY[0], defaults={"name": CITY[1], "level": "city",
                                                                      "parent": prov})
    district, _c = Division.objects.get_or_create(code=DISTRICT[0], defaults={
        "name": DISTRICT[1], "level": "district", "parent": city})
    for spec in departments():
        if spec.division != DISTRICT[0]:
            continue
        Department.objects.get_or_create(code=spec.code, defaults={
            "name": spec.name, "short_name": spec.short_name, "uscc": spec.uscc, "kind": spec.kind,
            "division": district, "phone": spec.phone, "address": spec.address})


def build() -> dict:
    """The demo catalog as an import dict, with places and contacts taken from the departments."""
    departments = _departments()
    needed = sorted({i["department"] for i in ITEMS} | {b["department"] for b in BUNDLES})
    missing = [c for c in needed if c not in departments]
    if missing:
        raise MissingDepartments(_("演示部门尚未创建（缺少 %(codes)s），请先运行 manage.py load_demo。")
                                 % {"codes": "、".join(missing[:5])})
    centre = _centre()
    centre_name = centre.name if centre else "云溪区政务服务中心"
    centre_address = centre.address if centre else "江东市云溪区江滨大道 1 号市民中心"
    hours = (centre.hours if centre and centre.hours else DEFAULT_HOURS)
    complaint_dept = departments.get("YX-ZWB")
    complaint = "12345 政务服务便民热线；一网通办“好差评”"
    if complaint_dept is not None and complaint_dept.phone:
        complaint = f"{complaint_dept.name}：{complaint_dept.phone}；{complaint}"
    codes: dict[int, str] = {}
    items = []
    for spec in ITEMS:
        data = {k: v for k, v in spec.items() if k not in ("n", "hall")}
        dept = departments[spec["department"]]
        data["code"] = implementation_code(dept, spec["basic_code"])
        codes[spec["n"]] = data["code"]
        hall = spec.get("hall") or "综合受理窗口"
        if hall.startswith("区政务服务中心"):
            place = f"{centre_name}{hall[len('区政务服务中心'):]}（{centre_address}）"
        elif "district" in spec["tiers"] and not spec.get("hall"):
            place = f"{centre_name}综合受理窗口（{centre_address}）"
        else:
            place = hall
        extra = []
        if "street" in spec["tiers"]:
            extra.append("各街道（镇）便民服务中心")
        if "community" in spec["tiers"]:
            extra.append("各社区（村）便民服务站")
        if spec["online_depth"] >= 3:
            extra.append("网上办理：一网通办网站、移动端")
        data["handling_place"] = "；".join([place, *extra])
        data["handling_hours"] = hours if spec["online_depth"] < 4 else f"网上 24 小时可申请；窗口 {hours}"
        phone = f"：{dept.phone}" if dept.phone else ""
        data["consultation"] = f"{dept.name}{phone}；12345 政务服务便民热线"
        data["complaint"] = complaint
        items.append(data)
    bundles = []
    for spec in BUNDLES:
        b = dict(spec)
        b["items"] = [{"item": codes[e["item"]], "note": e.get("note", "")} for e in spec["items"]]
        bundles.append(b)
    return {"items": items, "bundles": bundles}


def seed_vectors() -> int:
    """Put the shipped passage embeddings of the demo catalog into the search cache."""
    if not VECTORS_FILE.exists():
        return 0
    import numpy as np

    from ..models import SearchVector

    data = np.load(VECTORS_FILE)
    hashes, vectors = data["hashes"], data["vectors"].astype(np.float32)
    rows = [SearchVector(text_hash=str(h), vector=v.tobytes()) for h, v in zip(hashes, vectors)]
    SearchVector.objects.bulk_create(rows, ignore_conflicts=True, batch_size=500)
    return len(rows)


def export_vectors() -> int:
    """Write the embeddings of the published catalog's passages to the shipped file (run after
    changing the demo texts: ``manage.py load_demo_catalog --write-vectors``)."""
    import numpy as np

    from ..search import collect_docs, passage_vectors, text_hash

    texts = [d.passage() for d in collect_docs()]
    vectors = passage_vectors(texts)
    np.savez_compressed(VECTORS_FILE, hashes=np.array([text_hash(t) for t in texts]),
                        vectors=np.asarray(vectors, dtype=np.float32))
    return len(texts)


def load(*, publish: bool = True):
    from ..permissions import SYSTEM
    from ..transfer import import_data

    seed_vectors()
    return import_data(SYSTEM, build(), publish=publish)
