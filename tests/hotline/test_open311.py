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


@pytest.fixture(scope="module")
def validators():
    if not STANDARDS.exists():
        pytest.skip(f"{STANDARDS} not found (the shared standards directory)")
    from jsonschema import Draft202012Validator, FormatChecker
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    names = ["request.json", "requests.json", "service.json", "services.json", "service-definition.json"]
    registry = Registry().with_resources(
        [(n, Resource.from_contents(schema(n), default_specification=DRAFT202012)) for n in names])
    swagger = schema("swagger.json")["definitions"]
    out = {n: Draft202012Validator(schema(n), registry=registry, format_checker=FormatChecker()) for n in names}
    for d in ("RequestResponse", "TokenResponse"):
        out[d] = Draft202012Validator({"type": "array", "items": swagger[d]}, format_checker=FormatChecker())
    return out


def valid(validators, name, data):
    errors = sorted(validators[name].iter_errors(data), key=lambda e: list(e.path))
    assert not errors, f"{name}: " + "; ".join(f"{list(e.path)}: {e.message}" for e in errors)


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
