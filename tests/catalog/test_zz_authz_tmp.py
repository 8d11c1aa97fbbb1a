import json
import pytest
from django.test import Client

from authz.conftest import ROLES, World
from authz.test_matrix import ApiCase, PageCase, expect, only
from .authz_rows import api_rows, page_rows

API = api_rows(ApiCase, expect, only)
PAGES = page_rows(PageCase, expect, only)


@pytest.fixture
def world(org, make_citizen, make_staff):
    return World(org, make_citizen, make_staff)


def test_rows_cover_everything(client, db):
    from authz.test_matrix import _api_operations_from_routers
    ops = {o for o in _api_operations_from_routers() if "/catalog/" in o[1]}
    assert ops == set(API)
    from django.urls import get_resolver
    names = {f"catalog:{p.name}" for p in get_resolver().url_patterns for p in getattr(p, "url_patterns", []) if getattr(p, "namespace", None) == "catalog"} if False else None
    for case in list(API.values()) + list(PAGES.values()):
        assert set(case.expected) == set(ROLES)


@pytest.mark.parametrize("key,role", [(k, r) for k in API for r in ROLES])
def test_api(world, key, role):
    method, _t = key
    case = API[key]
    headers = world.auth_headers(role)
    if case.setup:
        case.setup(world, role)
    path, data = case.request(world, role)
    c = Client()
    if method == "GET":
        r = c.get(path, data or {}, headers=headers)
    else:
        r = c.generic(method, path, json.dumps(data or {}), content_type="application/json", headers=headers)
    assert r.status_code == case.expected[role], (method, path, role, r.content[:300])
    if case.check:
        case.check(world, role, r)


@pytest.mark.parametrize("name,role", [(n, r) for n in PAGES for r in ROLES])
def test_page(world, name, role):
    case = PAGES[name]
    client = world.web(role)
    if case.setup:
        case.setup(world, role)
    path, data = case.request(world, role)
    r = client.get(path, data or {}) if case.method == "GET" else client.post(path, data or {})
    assert r.status_code == case.expected[role], (name, path, role, r.content[:300])
    if r.status_code == 302 and role in case.redirects:
        assert r["Location"].startswith(case.redirects[role]), (name, role, r["Location"])
