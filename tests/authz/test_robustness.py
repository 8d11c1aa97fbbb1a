"""Bad input never gets a 500: every API operation and every page, for each role, with hostile
path parameters, query parameters and bodies (NUL characters, which PostgreSQL refuses in text;
integers beyond 64 bits; impossible dates; wrong types; forged cookies).

This sweep covers endpoints that are not (yet) in the authorization matrix too: it only asserts
"a 4xx or a success, never a 5xx", so it needs no knowledge of each endpoint's rules.
"""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client

from .conftest import ROLES

NUL = "a\x00b"
HUGE = "99999999999999999999999"


def _schema(client) -> dict:
    return client.get("/api/v1/openapi.json").json()


def _resolve(schema: dict, node: dict) -> dict:
    while isinstance(node, dict) and "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]]
    return node or {}


def _body_variants(schema: dict, op: dict) -> list[object]:
    content = (op.get("requestBody") or {}).get("content", {})
    if "application/json" not in content:
        return [None]
    body = _resolve(schema, content["application/json"].get("schema", {}))
    props = {k: _resolve(schema, v) for k, v in (body.get("properties") or {}).items()}
    variants: list[object] = [[], {k: NUL for k in props}, {k: int(HUGE) for k in props}]
    # Each property hostile in turn while the others keep a plausible value.
    plausible = {k: _plausible(v) for k, v in props.items()}
    for key in props:
        variants.append({**plausible, key: NUL if props[key].get("type") == "string" else int(HUGE)})
    return variants


def _plausible(prop: dict):
    kind = prop.get("type")
    fmt = prop.get("format", "")
    if "enum" in prop:
        return prop["enum"][0]
    if kind == "integer":
        return 1
    if kind == "number":
        return 1.5
    if kind == "boolean":
        return True
    if kind == "array":
        return []
    if kind == "object":
        return {}
    if fmt == "date":
        return "2031-10-08"
    if fmt == "date-time":
        return "2031-10-08T09:00:00+08:00"
    return "测试"


def _operations(schema: dict):
    for path, item in schema["paths"].items():
        for method, op in item.items():
            if method in ("get", "post", "put", "patch", "delete"):
                yield method.upper(), path, op


def _fill(path: str, value: str) -> str:
    return re.sub(r"\{[^}]+\}", lambda m: value, path)


def _send(client: Client, method: str, path: str, *, query=None, body=None, headers=None):
    headers = headers or {}
    if method == "GET":
        return client.get(path, query or {}, headers=headers)
    if method == "DELETE":
        return client.delete(path, headers=headers)
    data = "" if body is None else json.dumps(body)
    return client.generic(method, path, data, content_type="application/json", headers=headers)


@pytest.mark.parametrize("role", ROLES)
def test_api_never_answers_500(world, role):
    client = Client(raise_request_exception=False)
    schema = _schema(client)
    headers = world.auth_headers(role)
    failures = []
    for method, template, op in _operations(schema):
        query_params = [p for p in op.get("parameters", []) if p.get("in") == "query"]
        attempts = {}
        if "{" in template:
            for value in (NUL, HUGE, "2031-13-45"):
                attempts[(_fill(template, value), None, None)] = None
        if query_params:
            for value in (NUL, HUGE):
                attempts[(_fill(template, "1"), json.dumps({p["name"]: value for p in query_params}), None)] = None
        for body in _body_variants(schema, op):
            attempts[(_fill(template, "1"), None, None if body is None else json.dumps(body))] = None
        for path, query, body in attempts:
            query = json.loads(query) if query else None
            body = json.loads(body) if body else None
            try:
                r = _send(client, method, path, query=query, body=body, headers=headers)
            except Exception as exc:  # noqa: BLE001 - a crash is a failure to report, not to stop at
                failures.append(f"{method} {path} query={query!r} body={body!r}: raised {exc!r}")
                continue
            if r.status_code >= 500:
                failures.append(f"{method} {path} query={query!r} body={body!r}: {r.status_code} {r.content[:200]!r}")
    assert not failures, f"{len(failures)} requests answered 5xx as {role}:\n" + "\n".join(failures[:40])


def _page_routes():
    from django.urls import URLPattern, URLResolver

    from yiwang import urls as root

    def walk(patterns, prefix=""):
        for p in patterns:
            if isinstance(p, URLPattern):
                yield prefix + str(p.pattern)
            elif isinstance(p, URLResolver):
                if str(p.pattern) in ("api/v1/", "admin/"):
                    continue
                yield from walk(p.url_patterns, prefix + str(p.pattern))

    return list(walk(root.urlpatterns))


@pytest.mark.parametrize("role", ["anonymous", "citizen", "enterprise_agent", "clerk", "reviewer",
                                  "hotline_operator", "platform_admin"])
def test_pages_never_answer_500(world, role):
    client = world.web(role)
    client.raise_request_exception = False
    failures = []
    for route in _page_routes():
        if route.startswith("^"):  # regex routes (oauth well-known): plain GET
            route = route.strip("^$").replace("\\", "").replace("/?", "")
        if "<" not in route:
            values = ("",)
        else:
            values = (NUL, HUGE)
        for value in values:
            path = "/" + re.sub(r"<(?:(\w+):)?(\w+)>", lambda m: "1" if m.group(1) == "int" and value != HUGE else value,
                                route)
            for method in ("GET", "POST"):
                data = {"id_number": NUL, "next": NUL, "q": NUL, "role_id": HUGE, "field": NUL, "name": NUL}
                try:
                    r = client.get(path, data) if method == "GET" else client.post(path, data)
                except Exception as exc:  # noqa: BLE001
                    failures.append(f"{method} {path}: raised {exc!r}")
                    continue
                if r.status_code >= 500:
                    failures.append(f"{method} {path}: {r.status_code}")
    assert not failures, f"{len(failures)} page requests answered 5xx as {role}:\n" + "\n".join(failures[:40])


@pytest.mark.parametrize("cookie", [
    'sessionid="\\000aaaaaaaaaaaa"',  # an octal escape in a quoted cookie value decodes to NUL
    "sessionid=" + "a" * 5000,
    "sessionid=../../etc/passwd",
    "csrftoken=\"\\000\"; sessionid=abcdefgh12345678",
])
def test_forged_cookies_never_500(db, cookie):
    client = Client(raise_request_exception=False)
    for path in ("/", "/me/", "/api/v1/me", "/staff/"):
        r = client.get(path, HTTP_COOKIE=cookie)
        assert r.status_code < 500, (path, cookie, r.status_code)
