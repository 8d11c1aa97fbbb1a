"""Rows of the authorization matrix (tests/authz/test_matrix.py) for the catalog's API operations
and pages. The matrix owns the harness; plug these in after its tables are defined::

    from catalog.authz_rows import api_rows, page_rows  # noqa: E402
    API.update(api_rows(ApiCase, expect, only))
    HTML_CASES.update(page_rows(PageCase, expect, only))

The world's staff roles sit in the market-regulation department (YX-SCJG), the clerk at the
district centre. Who may do what (yiwang.catalog.permissions): every staff role held in the owning
department edits and submits, except the counter clerk, the grid worker and the hotline operator;
the department head and the platform admin publish and retire; the public reads what is published.
"""

from __future__ import annotations

ROLES_ALL = ["anonymous", "citizen", "enterprise_agent", "clerk", "reviewer", "dept_head", "hotline_operator",
             "handler", "grid_worker", "supervisor", "data_steward", "editor", "platform_admin"]
EDITORS = ("reviewer", "dept_head", "handler", "supervisor", "data_steward", "editor", "platform_admin")
PUBLISHERS = ("dept_head", "platform_admin")

ITEM = "329002010001700001"
OTHER = "329002070001000001"
BUNDLE = "YJS-TEST"


def _item_data(code: str, name: str, department: str) -> dict:
    return {
        "code": code, "basic_code": code[6:16], "department": department, "name": name, "aliases": "开饭店",
        "summary": "开饭店要办的许可。", "item_type": "01", "subject_nature": "1", "power_source": "1",
        "legal_basis": "《中华人民共和国食品安全法》第三十五条", "acceptance_conditions": "已取得营业执照。",
        "service_objects": ["1", "2"], "statutory_limit_days": 10, "promised_limit_days": 3, "case_type": "2",
        "visits": 0, "online_depth": 4, "fee_required": False, "process": [{"step": "申请"}, {"step": "决定"}],
        "handling_place": "区政务服务中心", "handling_hours": "工作日", "consultation": "12345", "complaint": "12345",
        "result_type": "2", "result_name": "许可决定", "tiers": ["district"],
        "form_schema": {"type": "object", "properties": {"name": {"type": "string", "title": "姓名"}},
                        "required": ["name"]},
        "materials": [{"key": "resident_id_card", "name": "身份证", "requirement": "required", "form": "original",
                       "copies": 1, "source": "licence", "source_ref": "JMSFZ", "source_name": "居民身份证"}],
    }


def setup_catalog(w, role) -> None:
    """Two published items of the world's department, a bundle of both, and a draft version 2."""
    from yiwang.catalog import services
    from yiwang.catalog.models import ItemVersion
    from yiwang.catalog.permissions import SYSTEM
    from yiwang.catalog.transfer import import_data

    if ItemVersion.objects.filter(item__code=ITEM).exists():
        return
    dept = w.org["dept"].code
    report = import_data(SYSTEM, {"items": [_item_data(ITEM, "食品经营许可", dept),
                                            _item_data(OTHER, "个体工商户设立登记", dept)],
                                  "bundles": [{"code": BUNDLE, "name": "开办餐饮店", "life_event": "startup",
                                               "department": dept, "items": [{"item": OTHER}, {"item": ITEM}]}]},
                         publish=True)
    assert report.ok, report.problems
    from yiwang.catalog.models import ServiceItem

    services.start_revision(SYSTEM, ServiceItem.objects.get(code=ITEM))


def _draft_id() -> int:
    from yiwang.catalog.models import ItemVersion

    return ItemVersion.objects.get(item__code=ITEM, number=2).pk


def api_rows(ApiCase, expect, only) -> dict:
    public = expect(200)
    staff_list = only(200, EDITORS)
    editors_else_404 = only(200, EDITORS, others=404)

    def p(path, params=None):
        return lambda w, r: (path, params)

    return {
        ("GET", "/api/v1/catalog/items"): ApiCase(public, p("/api/v1/catalog/items"), setup=setup_catalog,
                                                  check=lambda w, role, r: len(r.json()) == 2),
        ("GET", "/api/v1/catalog/items/{code}"): ApiCase(
            public, p(f"/api/v1/catalog/items/{ITEM}"), setup=setup_catalog,
            check=lambda w, role, r: r.json()["version"] == 1),
        ("GET", "/api/v1/catalog/items/{code}/versions"): ApiCase(
            public, p(f"/api/v1/catalog/items/{ITEM}/versions"), setup=setup_catalog,
            check=lambda w, role, r: [v["number"] for v in r.json()] == [1],
            notes="over the API (no session) the draft is never listed"),
        ("GET", "/api/v1/catalog/items/{code}/versions/{number}"): ApiCase(
            public, p(f"/api/v1/catalog/items/{ITEM}/versions/1"), setup=setup_catalog),
        ("GET", "/api/v1/catalog/bundles"): ApiCase(public, p("/api/v1/catalog/bundles"), setup=setup_catalog),
        ("GET", "/api/v1/catalog/bundles/{code}"): ApiCase(public, p(f"/api/v1/catalog/bundles/{BUNDLE}"),
                                                           setup=setup_catalog),
        ("GET", "/api/v1/catalog/life-events"): ApiCase(public, p("/api/v1/catalog/life-events"),
                                                        setup=setup_catalog),
        ("GET", "/api/v1/catalog/search"): ApiCase(public, p("/api/v1/catalog/search", {"q": "开饭店"}),
                                                   setup=setup_catalog),
        ("POST", "/api/v1/catalog/forms/validate"): ApiCase(
            public, p("/api/v1/catalog/forms/validate", {"item_code": ITEM, "form": {"name": "王芳"}}),
            setup=setup_catalog, check=lambda w, role, r: r.json()["valid"] is True),
        ("GET", "/api/v1/catalog/manage/versions"): ApiCase(
            staff_list, p("/api/v1/catalog/manage/versions"), setup=setup_catalog,
            check=lambda w, role, r: r.status_code != 200 or [v["code"] for v in r.json()] == [ITEM]),
        ("GET", "/api/v1/catalog/manage/versions/{version_id}"): ApiCase(
            editors_else_404, lambda w, r: (f"/api/v1/catalog/manage/versions/{_draft_id()}", None),
            setup=setup_catalog),
        ("PATCH", "/api/v1/catalog/manage/versions/{version_id}"): ApiCase(
            editors_else_404,
            lambda w, r: (f"/api/v1/catalog/manage/versions/{_draft_id()}", {"data": {"summary": "新的说明"}}),
            setup=setup_catalog),
        ("POST", "/api/v1/catalog/manage/versions/{version_id}/actions"): ApiCase(
            editors_else_404,
            lambda w, r: (f"/api/v1/catalog/manage/versions/{_draft_id()}/actions", {"action": "submit"}),
            setup=setup_catalog),
        ("POST", "/api/v1/catalog/manage/items"): ApiCase(
            only(201, EDITORS),
            lambda w, r: ("/api/v1/catalog/manage/items",
                          {"data": _item_data("329002010001700099", "新事项", w.org["dept"].code)})),
        ("POST", "/api/v1/catalog/manage/items/{code}/revisions"): ApiCase(
            only(201, EDITORS, others=404), p(f"/api/v1/catalog/manage/items/{OTHER}/revisions"),
            setup=setup_catalog),
        ("POST", "/api/v1/catalog/manage/items/{code}/retire"): ApiCase(
            {**only(200, PUBLISHERS, others=404), **{r: 403 for r in EDITORS if r not in PUBLISHERS}},
            p(f"/api/v1/catalog/manage/items/{OTHER}/retire", {"reason": "职能调整"}), setup=setup_catalog),
        ("GET", "/api/v1/catalog/manage/export"): ApiCase(staff_list, p("/api/v1/catalog/manage/export",
                                                                        {"format": "json"}), setup=setup_catalog),
        ("POST", "/api/v1/catalog/manage/import"): ApiCase(
            staff_list, p("/api/v1/catalog/manage/import",
                          {"format": "yiwang-catalog", "version": 1, "items": [], "bundles": []}),
            check=lambda w, role, r: r.status_code != 200 or r.json()["ok"] is True),
    }


def page_rows(PageCase, expect, only) -> dict:
    public = expect(200)
    login = "/accounts/login/staff/?next="

    def desk(ok: int):
        table = only(ok, EDITORS, anonymous=302)
        return table

    def pg(path, data=None):
        return lambda w, r: (path, data)

    anon = {"anonymous": login}
    return {
        "catalog:index": PageCase("GET", public, pg("/services/"), setup=setup_catalog),
        "catalog:search": PageCase("GET", public, pg("/services/search/", {"q": "开饭店"}), setup=setup_catalog),
        "catalog:item": PageCase("GET", public, pg(f"/services/items/{ITEM}/"), setup=setup_catalog),
        "catalog:item-version": PageCase("GET", public, pg(f"/services/items/{ITEM}/v/1/"), setup=setup_catalog),
        "catalog:item-history": PageCase("GET", public, pg(f"/services/items/{ITEM}/history/"),
                                         setup=setup_catalog),
        "catalog:bundle": PageCase("GET", public, pg(f"/services/bundles/{BUNDLE}/"), setup=setup_catalog),
        "catalog:department": PageCase("GET", public, lambda w, r: (f"/services/departments/{w.org['dept'].code}/",
                                                                    None), setup=setup_catalog),
        "catalog:life-event": PageCase("GET", public, pg("/services/topics/startup/"), setup=setup_catalog),
        "catalog:tier": PageCase("GET", public, pg("/services/tiers/district/"), setup=setup_catalog),
        "catalog:manage": PageCase("GET", desk(200), pg("/services/manage/"), redirects=anon, setup=setup_catalog),
        "catalog:edit": PageCase("GET", desk(200), lambda w, r: (f"/services/manage/versions/{_draft_id()}/edit/",
                                                                 None), redirects=anon, setup=setup_catalog),
        "catalog:action": PageCase("POST", desk(302),
                                   lambda w, r: (f"/services/manage/versions/{_draft_id()}/submit/", None),
                                   redirects={**anon, **{r: "/services/manage/" for r in EDITORS}},
                                   setup=setup_catalog),
        "catalog:revise": PageCase("POST", desk(302), pg(f"/services/manage/items/{OTHER}/revise/"),
                                   redirects={**anon, **{r: "/services/manage/versions/" for r in EDITORS}},
                                   setup=setup_catalog),
        "catalog:retire": PageCase("POST", desk(302), pg(f"/services/manage/items/{OTHER}/retire/",
                                                         {"reason": "职能调整"}),
                                   redirects={**anon, **{r: "/services/manage/" for r in EDITORS}},
                                   setup=setup_catalog),
        "catalog:import": PageCase("GET", desk(200), pg("/services/manage/import/"), redirects=anon),
        "catalog:export": PageCase("GET", desk(200), pg("/services/manage/export.json"), redirects=anon,
                                   setup=setup_catalog),
    }
