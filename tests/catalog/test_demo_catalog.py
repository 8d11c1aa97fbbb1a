"""The demo catalog: enough realistic, complete guides to try every feature, loaded idempotently."""

from __future__ import annotations

from datetime import date

import pytest

from yiwang.catalog import selectors
from yiwang.catalog.demo.loader import load
from yiwang.catalog.models import Bundle, ServiceItem

pytestmark = pytest.mark.django_db

REQUIRED_NAMES = """个体工商户设立登记 企业设立登记 食品经营许可 出生医学证明签发 出生登记 居民身份证申领 居住证申领
无犯罪记录证明开具 普通护照签发 往来港澳通行证签发 机动车驾驶证换证 结婚登记 离婚登记 最低生活保障审批 临时救助
高龄津贴申领 残疾人证核发 城乡居民基本养老保险参保登记 职工退休申请 失业保险金申领 社会保障卡申领 就业创业证申领
住房公积金提取 城乡居民基本医疗保险参保登记 生育津贴申领 异地就医备案 存量房买卖转移登记 建设工程规划许可证核发
建筑工程施工许可证核发 户外广告设施设置许可 排污许可 药品经营许可（零售） 公共场所卫生许可 娱乐场所经营许可
烟草专卖零售许可证核发 道路运输经营许可 义务教育入学报名 教师资格认定 动物诊疗许可 医师执业注册
公众聚集场所投入使用营业前消防安全检查""".split()


def test_size_and_required_items(demo_catalog):
    items = list(selectors.published_items())
    assert len(items) >= 80
    assert len({i.department_id for i in items}) >= 15
    names = {i.name for i in items}
    assert not [n for n in REQUIRED_NAMES if n not in names]
    bundles = list(selectors.published_bundles())
    assert len(bundles) >= 5
    assert {"开办餐饮店", "新生儿出生", "企业开办", "职工退休", "二手房交易"} <= {b.name for b in bundles}


def test_every_guide_is_complete(demo_catalog):
    for item in selectors.published_items():
        g = selectors.guide(item.current)
        for key in ("legal_basis", "acceptance_conditions", "handling_place", "handling_hours", "consultation",
                    "complaint", "summary"):
            assert g[key], (item.name, key)
        assert g["materials"] and g["process"] and g["form_fields"], item.name
        assert g["time_limits"]["promised_days"] is not None
        assert g["answer"]["text"]


def test_bundles_span_departments_and_merge_materials(demo_catalog):
    for b in selectors.published_bundles():
        g = selectors.bundle_guide(b)
        assert all(i["published"] for i in g["items"])
        assert g["materials_after"] <= g["materials_before"]
    birth = selectors.bundle_guide(Bundle.objects.get(name="新生儿出生"))
    assert len(birth["departments"]) >= 4
    assert birth["materials_after"] < birth["materials_before"]


def test_loading_again_changes_nothing(demo_catalog):
    before = list(ServiceItem.objects.values_list("code", "current_id"))
    report = load()
    assert report.ok and not report.created and not report.updated and not report.bundles_updated
    assert len(report.unchanged) == len(before)
    assert list(ServiceItem.objects.values_list("code", "current_id")) == before


def test_shipped_search_vectors_cover_the_demo_catalog(demo_catalog):
    """Regenerate with `manage.py load_demo_catalog --write-vectors` after changing demo texts;
    otherwise every fresh process (and CI) embeds the stale passages again."""
    import numpy as np

    from yiwang.catalog.demo.loader import VECTORS_FILE
    from yiwang.catalog.search import collect_docs, text_hash

    shipped = set(np.load(VECTORS_FILE)["hashes"].tolist())
    stale = [d.name for d in collect_docs() if text_hash(d.passage()) not in shipped]
    assert not stale



def _valid_form(schema: dict, applicant) -> dict:
    """A filled-in form that the item's schema accepts (the applicant's own ID in ID fields)."""
    from yiwang.core.identity import make_resident_id

    form = {}
    for n, (key, spec) in enumerate((schema.get("properties") or {}).items()):
        fmt = spec.get("format")
        if "enum" in spec:
            form[key] = spec["enum"][0]
        elif spec.get("type") in ("number", "integer"):
            form[key] = max(spec.get("minimum", 1), 1)
        elif spec.get("type") == "boolean":
            form[key] = True
        elif fmt == "resident_id":
            form[key] = make_resident_id("329002", date(1950, 1, 1 + n % 28), 10 + n)
        elif fmt == "phone":
            form[key] = "13800138000"
        elif fmt == "date":
            form[key] = "2026-01-05"
        elif fmt == "uscc":
            from yiwang.core.identity import make_uscc

            form[key] = make_uscc("92", "329002", f"MA{n:07d}")
        elif spec.get("pattern") == "^[0-9]{12,24}$":  # bank account numbers
            form[key] = "6222020200112233445"
        elif spec.get("type") == "string" and "pattern" not in spec:
            form[key] = "测试"[: spec.get("maxLength", 2)]
    return form


@pytest.mark.django_db
def test_every_demo_item_can_be_applied_for_online(demo_catalog, make_citizen, upload):
    """Each published demo item accepts an online application: every material the applicant must
    hand in has an upload field (a key), and the funeral subsidy — whose 火化证明 the catalog gave
    no key — is taken with those uploads instead of being left to "请到窗口提交"."""
    from yiwang.accounts.actor import Actor
    from yiwang.cases import services as case_services
    from yiwang.catalog.models import ServiceItem

    unkeyed = [(i.name, m.name) for i in ServiceItem.objects.filter(current__isnull=False).select_related("current")
               for m in i.current.materials.all() if not m.key]
    assert unkeyed == []
    citizen = Actor(user=make_citizen())
    item = ServiceItem.objects.select_related("current").get(current__isnull=False, name="惠民殡葬补贴申领")
    needed = [m for m in item.current.materials.all() if m.requirement == "required" and m.applicant_submits]
    assert any(m.name == "火化证明" for m in needed)
    materials = [{"key": m.key, "upload": upload(citizen, key=m.key)} for m in needed]
    form = _valid_form(item.current.form_schema, citizen.user)
    patterned = {k for k, v in item.current.form_schema["properties"].items() if "pattern" in v} - set(form)
    assert not patterned, f"the test cannot fill {patterned}"
    case, created = case_services.submit(citizen, item_code=item.code, form=form, materials=materials,
                                         idempotency_key="online-1")
    assert created and case.materials.filter(source="applicant").count() == len(needed)
