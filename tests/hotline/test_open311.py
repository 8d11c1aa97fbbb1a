"""Open311 GeoReport v2 against the shared JSON Schemas (../shared/standards/open311-georeport-v2),
the specification's XML, content types, date format and error bodies."""

from __future__ import annotations

import json
import re
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from django.test import Client

from yiwang.hotline import services
from yiwang.hotline.models import WorkOrder

from .world import INSIDE

STANDARDS = Path(__file__).resolve().parents[3] / "shared" / "standards" / "open311-georeport-v2"
W3C = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$")
KEY = services.DEMO_OPEN311_KEY


def schema(name: str):
    return json.loads((STANDARDS / name).read_text())


RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")
#: The specification's error body: a list of {code, description}, the HTTP status in code.
ERRORS_SCHEMA = {"type": "array", "minItems": 1, "items": {
    "type": "object", "required": ["code", "description"], "additionalProperties": False,
    "properties": {"code": {"type": "integer"}, "description": {"type": "string", "minLength": 1}}}}


def format_checker():
    """jsonschema checks "date-time" and "uri" only with optional packages that are not installed,
    and silently passes them otherwise: check both here, strictly (RFC 3339 with an offset; an
    absolute URI)."""
    from datetime import datetime
    from urllib.parse import urlsplit

    from jsonschema import FormatChecker

    checker = FormatChecker()

    @checker.checks("date-time", raises=ValueError)
    def _date_time(value):
        if not isinstance(value, str):
            return True
        return bool(RFC3339.match(value)) and datetime.fromisoformat(value.replace("Z", "+00:00")) is not None

    @checker.checks("uri", raises=ValueError)
    def _uri(value):
        if not isinstance(value, str):
            return True
        parts = urlsplit(value)
        return bool(parts.scheme and parts.netloc) and not any(c.isspace() for c in value)

    return checker


@pytest.fixture(scope="module")
def validators():
    if not STANDARDS.exists():
        pytest.skip(f"{STANDARDS} not found (the shared standards directory)")
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    names = ["request.json", "requests.json", "service.json", "services.json", "service-definition.json"]
    registry = Registry().with_resources(
        [(n, Resource.from_contents(schema(n), default_specification=DRAFT202012)) for n in names])
    swagger = schema("swagger.json")["definitions"]
    checker = format_checker()
    out = {n: Draft202012Validator(schema(n), registry=registry, format_checker=checker) for n in names}
    for d in ("RequestResponse", "TokenResponse"):
        out[d] = Draft202012Validator({"type": "array", "items": swagger[d]}, format_checker=checker)
    out["errors"] = Draft202012Validator(ERRORS_SCHEMA, format_checker=checker)
    return out


def valid(validators, name, data):
    # The shared schemas leave out "type": "object" on their items (and put minItems inside items,
    # where it means nothing): a list of strings would pass them. Check the shape here.
    if name in ("requests.json", "services.json", "RequestResponse", "TokenResponse", "errors"):
        assert isinstance(data, list) and all(isinstance(x, dict) for x in data), f"{name}: not a list of objects"
    else:
        assert isinstance(data, dict), f"{name}: not an object"
    errors = sorted(validators[name].iter_errors(data), key=lambda e: list(e.path))
    assert not errors, f"{name}: " + "; ".join(f"{list(e.path)}: {e.message}" for e in errors)


def _types(prop: dict) -> set[str]:
    if "anyOf" in prop:
        return {t for p in prop["anyOf"] for t in _types(p)}
    t = prop.get("type", "string")
    return set(t) if isinstance(t, list) else {t}


def from_xml(el, item_schema: dict) -> dict:
    """An XML element as the JSON object the schema describes: each child by its schema type (an
    empty element is null where null is allowed), nested lists by their item schemas."""
    props = item_schema.get("properties", {})
    out = {}
    for child in el:
        assert child.tag in props, f"<{child.tag}> is not in the schema"
        prop, text = props[child.tag], child.text
        types = _types(prop)
        if "array" in types:
            out[child.tag] = [from_xml(c, prop["items"]) if len(c) or "properties" in prop["items"] else c.text
                              for c in child]
        elif text is None or text == "":
            out[child.tag] = None if "null" in types else ""
        elif "boolean" in types:
            assert text in ("true", "false"), f"<{child.tag}>{text}: not an XML boolean"
            out[child.tag] = text == "true"
        elif "integer" in types:
            out[child.tag] = int(text)
        elif "number" in types:
            out[child.tag] = float(text)
        else:
            out[child.tag] = text
    return out


def xml_matches_json(c, path: str, validators, name: str, root: str, item: str | None = None):
    """GET the XML and the JSON of one resource: the XML has the specification's root and item
    elements, validates (read by the schema's types) against the same schema, and says the same."""
    rj, rx = c.get(path + ".json"), c.get(path + ".xml")
    assert rj.status_code == rx.status_code == 200, (rj.content, rx.content)
    assert rx["Content-Type"] == "text/xml; charset=utf-8" and rj["Content-Type"] == "application/json; charset=utf-8"
    assert rx.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    el = ET.fromstring(rx.content)
    assert el.tag == root
    if item is None:
        doc = from_xml(el, schema(name))
    else:
        item_schema = schema({"requests.json": "request.json", "services.json": "service.json"}[name])
        assert [child.tag for child in el] == [item] * len(el)
        doc = [from_xml(child, item_schema) for child in el]
    valid(validators, name, doc)
    assert doc == rj.json()
    return doc


@pytest.fixture
def world(people):
    services.ensure_demo_open311_client()
    return people


def post(data, fmt="json", client=None):
    return (client or Client()).post(f"/open311/v2/requests.{fmt}", data)


GOOD = {"api_key": KEY, "service_code": "CG05", "lat": str(INSIDE["lat"]), "long": str(INSIDE["lng"]),
        "description": "滨江路路灯不亮已经一周，联系电话13912345678", "first_name": "伟", "last_name": "张",
        "phone": "13912345678", "attribute[kind]": "complaint"}


def test_discovery_in_both_formats(world):
    r = Client().get("/open311/v2/discovery.json")
    assert r.status_code == 200 and r["Content-Type"] == "application/json; charset=utf-8"
    d = r.json()
    assert d["endpoints"][0]["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert d["endpoints"][0]["formats"] == ["text/xml", "application/json"] and W3C.match(d["changeset"])
    r = Client().get("/open311/v2/discovery.xml")
    assert r["Content-Type"] == "text/xml; charset=utf-8"
    assert r.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    root = ET.fromstring(r.content)
    assert root.tag == "discovery" and [f.text for f in root.iter("format")] == ["text/xml", "application/json"]


def test_services_and_definitions_match_the_schemas(world, validators):
    r = Client().get("/open311/v2/services.json")
    assert r.status_code == 200
    data = r.json()
    valid(validators, "services.json", data)
    codes = [s["service_code"] for s in data]
    assert "CG05" in codes and "CG" not in codes  # leaves only
    lamp = next(s for s in data if s["service_code"] == "CG05")
    assert lamp == {"service_code": "CG05", "service_name": "路灯照明", "description": "路灯不亮、灯杆损坏",
                    "metadata": True, "type": "realtime", "keywords": "路灯,不亮,灯杆,照明", "group": "城市管理"}
    r = Client().get("/open311/v2/services/CG05.json")
    valid(validators, "service-definition.json", r.json())
    assert [a["code"] for a in r.json()["attributes"]] == ["kind", "urgency"]
    root = ET.fromstring(Client().get("/open311/v2/services.xml").content)
    assert root.tag == "services" and root[0].tag == "service" and root[0].find("metadata").text == "true"
    root = ET.fromstring(Client().get("/open311/v2/services/CG05.xml").content)
    assert root.tag == "service_definition" and root.find("attributes/attribute/values/value/key").text == "complaint"
    r = Client().get("/open311/v2/services/NOPE.json")
    assert r.status_code == 404 and r.json() == [{"code": 404, "description": "service_code provided was not found: NOPE"}]


def test_post_get_single_and_token(world, validators):
    r = post(GOOD)
    assert r.status_code == 200, r.content
    body = r.json()
    valid(validators, "RequestResponse", body)
    number, token = body[0]["service_request_id"], body[0]["token"]
    order = WorkOrder.objects.get(number=number)
    assert order.channel == "open311" and order.category.code == "CG05" and order.grid is not None
    assert order.caller_phone == "13912345678" and order.caller_name == "张 伟"

    r = Client().get(f"/open311/v2/requests/{number}.json")
    assert r.status_code == 200
    data = r.json()
    valid(validators, "requests.json", data)
    req = data[0]
    assert req["status"] == "open" and req["lat"] == INSIDE["lat"] and req["long"] == INSIDE["lng"]
    assert "13912345678" not in json.dumps(data) and "139****5678" in req["description"]  # masked in public
    assert W3C.match(req["requested_datetime"]) and req["requested_datetime"].endswith("+08:00")
    r = Client().get(f"/open311/v2/request/{number}.json")  # the Swagger file's spelling
    assert r.status_code == 200
    r = Client().get(f"/open311/v2/tokens/{token}.json")
    valid(validators, "TokenResponse", r.json())
    assert r.json() == [{"service_request_id": number, "token": token}]
    root = ET.fromstring(Client().get(f"/open311/v2/requests/{number}.xml").content)
    assert root.tag == "service_requests" and root[0].tag == "request"
    assert root.find("request/service_request_id").text == number and root.find("request/status").text == "open"
    assert W3C.match(root.find("request/requested_datetime").text)
    assert root.find("request/zipcode").text is None  # null → empty element


def test_post_with_query_string_parameters_as_in_the_swagger_file(world):
    from urllib.parse import urlencode

    r = Client().post("/open311/v2/requests.xml?" + urlencode(GOOD), {})
    assert r.status_code == 200 and r["Content-Type"] == "text/xml; charset=utf-8"
    root = ET.fromstring(r.content)
    assert root.tag == "service_requests" and root.find("request/service_request_id").text.startswith("GD")


@pytest.mark.parametrize("change,status,needle", [
    ({"api_key": ""}, 403, "api_key"),
    ({"api_key": "wrong"}, 403, "api_key"),
    ({"service_code": ""}, 400, "service_code was not provided"),
    ({"service_code": "ZZ99"}, 404, "service_code provided was not found"),
    ({"lat": "", "long": ""}, 400, "location is required"),
    ({"long": ""}, 400, "lat and long"),
    ({"lat": "31.23", "long": "121.47"}, 400, "不在本区范围内"),
    ({"lat": "north", "long": "east"}, 400, "经纬度应为数字"),
    ({"description": "  "}, 400, "description is required"),
    ({"attribute[kind]": "gossip"}, 400, "attribute[kind]"),
    ({"phone": "123"}, 400, "电话号码格式不正确"),
    ({"jurisdiction_id": "110000"}, 404, "jurisdiction_id"),
    ({"media_url": "javascript:alert(1)"}, 400, "media_url"),
])
def test_bad_posts_get_the_spec_error_body_in_both_formats(world, change, status, needle):
    data = {**GOOD, **change}
    r = post(data, "json")
    assert r.status_code == status, r.content
    body = r.json()
    assert isinstance(body, list) and body[0]["code"] == status and needle in body[0]["description"]
    r = post(data, "xml")
    assert r.status_code == status and r["Content-Type"] == "text/xml; charset=utf-8"
    root = ET.fromstring(r.content)
    assert root.tag == "errors" and root.find("error/code").text == str(status)
    assert needle in root.find("error/description").text
    assert not WorkOrder.objects.exists()


def test_requests_filters(world, validators):
    from datetime import timedelta

    from django.utils import timezone

    a = post({**GOOD, "service_code": "CG05"}).json()[0]["service_request_id"]
    b = post({**GOOD, "service_code": "JS02", "description": "井盖丢了"}).json()[0]["service_request_id"]
    old = post({**GOOD, "service_code": "JS02", "description": "去年的井盖"}).json()[0]["service_request_id"]
    WorkOrder.objects.filter(number=old).update(created_at=timezone.now() - timedelta(days=200))
    private = services.create_order(world.operator, channel="phone", kind="report", text="举报某店无证经营",
                                    category="SC03", caller_phone="13800000000")
    consult = services.create_order(world.operator, channel="phone", kind="consult", text="路灯归谁管",
                                    category="CG05", caller_phone="13800000000")
    c = Client()

    def numbers(**params):
        r = c.get("/open311/v2/requests.json", params)
        assert r.status_code == 200, r.content
        valid(validators, "requests.json", r.json())
        return {x["service_request_id"] for x in r.json()}

    assert numbers() == {a, b}  # default: the last 90 days; no reports, no consultations
    assert numbers(service_code="JS02") == {b}
    assert numbers(service_code="CG05,JS02") == {a, b}
    assert numbers(status="closed") == set() and numbers(status="open") == {a, b}
    assert numbers(service_request_id=f"{old},{a},{private.number},{consult.number}") == {old, a}
    start = (timezone.now() - timedelta(days=230)).isoformat(timespec="seconds")
    end = (timezone.now() - timedelta(days=150)).isoformat(timespec="seconds")
    assert numbers(start_date=start, end_date=end) == {old}
    r = c.get("/open311/v2/requests.json", {"start_date": "2020-01-01T00:00:00Z", "end_date": "2020-06-01T00:00:00Z"})
    assert r.status_code == 400 and "90 days" in r.json()[0]["description"]
    r = c.get("/open311/v2/requests.json", {"start_date": "yesterday"})
    assert r.status_code == 400 and "W3C" in r.json()[0]["description"]
    r = c.get("/open311/v2/requests.json", {"status": "pending"})
    assert r.status_code == 400
    assert c.get(f"/open311/v2/requests/{private.number}.json").status_code == 404


def test_closed_request_and_status_notes(world, validators):
    number = post(GOOD).json()[0]["service_request_id"]
    services.dispatch(world.operator, number, department="YX-CG", category="CG05")
    services.accept(world.cg, number)
    services.reply(world.cg, number, "已更换路灯灯具。")
    services.callback(world.operator, number, result="satisfied")
    req = Client().get(f"/open311/v2/requests/{number}.json").json()
    valid(validators, "requests.json", req)
    assert req[0]["status"] == "closed" and "已更换路灯灯具" in req[0]["status_notes"]
    assert req[0]["agency_responsible"] == "云溪区城市管理局（区综合行政执法局）"


def test_unknown_paths_formats_and_methods(world):
    c = Client()
    r = c.get("/open311/v2/nothing.json")
    assert r.status_code == 404 and r.json()[0]["code"] == 404
    r = c.get("/open311/v2/services.csv")
    assert r.status_code == 400 and r["Content-Type"].startswith("text/xml")
    r = c.post("/open311/v2/services.json")
    assert r.status_code == 405 and r["Allow"] == "GET"
    assert c.get("/open311/v2/tokens/nope.json").status_code == 404


def test_the_schema_check_itself_catches_bad_dates_urls_and_shapes(validators):
    good = {"service_request_id": "GD2026112100001", "status": "open", "service_code": "CG05",
            "requested_datetime": "2026-11-21T09:30:00+08:00", "media_url": "https://example.org/a.jpg"}
    valid(validators, "requests.json", [good])
    for bad in ({"requested_datetime": "yesterday"}, {"requested_datetime": "2026-11-21 09:30"},
                {"updated_datetime": "2026-11-21T09:30:00"}, {"media_url": "not a url"},
                {"service_request_id": 42}, {"status": "pending"}, {"lat": "32.06"}):
        assert not validators["requests.json"].is_valid([{**good, **bad}]), bad
    with pytest.raises(AssertionError):
        valid(validators, "requests.json", ["GD2026112100001"])  # the shared schema alone lets this pass


def test_every_resource_says_the_same_in_xml_and_json(world, validators):
    c = Client()
    number = post(GOOD).json()[0]["service_request_id"]
    services.dispatch(world.operator, number, department="YX-CG", category="CG05")
    closed = post({**GOOD, "description": "新港大道路灯不亮", "media_url": "https://example.org/lamp.jpg"}).json()
    closed = closed[0]["service_request_id"]
    services.dispatch(world.operator, closed, department="YX-CG", category="CG05")
    services.accept(world.cg, closed)
    services.reply(world.cg, closed, "已更换灯具。")
    services.callback(world.operator, closed, result="satisfied")

    services_doc = xml_matches_json(c, "/open311/v2/services", validators, "services.json", "services", "service")
    assert {s["service_code"] for s in services_doc} >= {"CG05", "JS02"}
    definition = xml_matches_json(c, "/open311/v2/services/CG05", validators, "service-definition.json",
                                  "service_definition")
    assert definition["attributes"][0]["values"][0] == {"key": "complaint", "name": "投诉"}
    listed = xml_matches_json(c, "/open311/v2/requests", validators, "requests.json", "service_requests",
                              "request")
    assert {r["service_request_id"]: r["status"] for r in listed} == {number: "open", closed: "closed"}
    for n in (number, closed):
        one = xml_matches_json(c, f"/open311/v2/requests/{n}", validators, "requests.json", "service_requests",
                               "request")
        assert len(one) == 1 and one[0]["service_request_id"] == n
        assert all(W3C.match(one[0][k]) for k in ("requested_datetime", "updated_datetime", "expected_datetime"))
    assert one[0]["media_url"] == "https://example.org/lamp.jpg"
    token = WorkOrder.objects.get(number=number).open311_token
    r = c.get(f"/open311/v2/tokens/{token}.xml")
    root = ET.fromstring(r.content)
    assert root.tag == "service_requests" and root.find("request/token").text == token
    assert root.find("request/service_request_id").text == number


def test_post_answers_in_the_format_asked_and_both_validate(world, validators):
    rj = post(GOOD, "json")
    valid(validators, "RequestResponse", rj.json())
    rx = post({**GOOD, "description": "井盖丢了"}, "xml")
    root = ET.fromstring(rx.content)
    assert root.tag == "service_requests" and [c.tag for c in root] == ["request"]
    doc = [{c.tag: c.text for c in root.find("request")}]
    valid(validators, "RequestResponse", doc)
    assert set(doc[0]) == set(rj.json()[0]) == {"service_request_id", "token", "service_notice"}


@pytest.mark.parametrize("method,path,data,status", [
    ("post", "/open311/v2/requests.{f}", {**GOOD, "api_key": ""}, 403),
    ("post", "/open311/v2/requests.{f}", {**GOOD, "lat": "", "long": ""}, 400),
    ("post", "/open311/v2/requests.{f}", {**GOOD, "description": "x" * 4001}, 400),
    ("post", "/open311/v2/requests.{f}", {**GOOD, "address_id": "nowhere", "lat": "", "long": ""}, 400),
    ("get", "/open311/v2/requests.{f}", {"jurisdiction_id": "110000"}, 404),
    ("get", "/open311/v2/requests.{f}", {"end_date": "2026-13-45T00:00:00Z"}, 400),
    ("get", "/open311/v2/requests/GD0000.{f}", {}, 404),
    ("get", "/open311/v2/services/NOPE.{f}", {}, 404),
    ("get", "/open311/v2/tokens/nope.{f}", {}, 404),
    ("put", "/open311/v2/requests.{f}", {}, 405),
    ("get", "/open311/v2/nowhere.{f}", {}, 404),
])
def test_errors_are_the_specifications_body_in_the_format_asked(world, validators, method, path, data, status):
    c = Client()
    for fmt in ("json", "xml"):
        url = path.format(f=fmt)
        r = getattr(c, method)(url, data) if method != "put" else c.put(url)
        assert r.status_code == status, (url, r.content)
        if fmt == "json":
            assert r["Content-Type"] == "application/json; charset=utf-8"
            valid(validators, "errors", r.json())
            assert r.json()[0]["code"] == status
        else:
            assert r["Content-Type"] == "text/xml; charset=utf-8"
            root = ET.fromstring(r.content)
            assert root.tag == "errors" and [e.tag for e in root] == ["error"]
            assert [c.tag for c in root[0]] == ["code", "description"]
            assert root[0].find("code").text == str(status) and root[0].find("description").text
    assert not WorkOrder.objects.exists()


def test_an_unexpected_failure_is_a_general_service_error_not_a_bare_500(world, monkeypatch):
    from yiwang.hotline import open311

    def broken():
        raise RuntimeError("database went away")

    monkeypatch.setattr(open311, "public_categories", broken)
    r = Client().get("/open311/v2/services.json")
    assert r.status_code == 500 and r.json() == [
        {"code": 500, "description": "general service error: the request could not be processed"}]
    r = Client().get("/open311/v2/services.xml")
    assert r.status_code == 500 and ET.fromstring(r.content).find("error/code").text == "500"
