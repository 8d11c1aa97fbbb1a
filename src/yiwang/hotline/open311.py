"""Open311 GeoReport v2 at /open311/v2/ (http://wiki.open311.org/GeoReport_v2).

* ``discovery.{xml,json}`` — the service discovery document;
* ``services.{fmt}`` / ``services/{service_code}.{fmt}`` — the public leaves of the category tree
  and their definitions (attributes: the kind of request and its urgency);
* ``requests.{fmt}`` — GET with ``service_request_id``, ``service_code``, ``start_date``,
  ``end_date`` (W3C date-times, at most 90 days apart) and ``status``; POST (form-encoded, also
  read from the query string as the Swagger description has it) with an ``api_key``;
* ``requests/{id}.{fmt}`` (and ``request/{id}.{fmt}``, the Swagger file's spelling) — one request;
* ``tokens/{token}.{fmt}`` — the request a POST's token became.

As the specification says: XML is the reference format, JSON responses are top-level arrays, dates
are ISO 8601 with the UTC offset (``2026-11-21T09:30:00+08:00``), UTF-8 everywhere, and errors are
``[{code, description}]`` (``<errors><error>…``) with the HTTP status in ``code``.

What is public: only requests of public categories (``Category.open311``), never a consultation or
a report (举报), never anything about the person who raised it; phone numbers and ID numbers
typed into a description are masked. POSTed requests become work orders of the ``open311``
channel and go through the same intake as every other channel.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import datetime, timedelta
from xml.etree import ElementTree as ET

from django.conf import settings
from django.http import HttpResponse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.csrf import csrf_exempt

from yiwang.core.errors import DomainError

from . import services
from .models import OPEN_STATUSES, Category, Channel, Kind, Status, Urgency, WorkOrder

SPEC = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-11-01T00:00:00+08:00"
MAX_SPAN = timedelta(days=90)
MAX_RESULTS = 1000
PUBLIC_KINDS = (Kind.COMPLAINT, Kind.HELP, Kind.SUGGESTION)
CONTENT_TYPES = {"xml": "text/xml; charset=utf-8", "json": "application/json; charset=utf-8"}
logger = logging.getLogger("yiwang.hotline.open311")
KIND_NAMES = {Kind.COMPLAINT: "投诉", Kind.HELP: "求助", Kind.SUGGESTION: "建议", Kind.REPORT: "举报", Kind.CONSULT: "咨询"}


def jurisdiction() -> str:
    return getattr(settings, "OPEN311_JURISDICTION", "329002")


# -- rendering ---------------------------------------------------------------------------------
def w3c(dt: datetime | None) -> str | None:
    if dt is None:
        return None
    return timezone.localtime(dt).isoformat(timespec="seconds")


def _xml_value(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _xml_fill(parent: ET.Element, data: dict, lists: dict[str, str]) -> None:
    for key, value in data.items():
        el = ET.SubElement(parent, key)
        if isinstance(value, list):
            child_tag = lists.get(key, key.rstrip("s"))
            for item in value:
                child = ET.SubElement(el, child_tag)
                if isinstance(item, dict):
                    _xml_fill(child, item, lists)
                else:
                    child.text = _xml_value(item)
        elif isinstance(value, dict):
            _xml_fill(el, value, lists)
        else:
            el.text = _xml_value(value)


def render(fmt: str, data, *, root: str, item: str | None = None, lists: dict[str, str] | None = None,
           status: int = 200) -> HttpResponse:
    """JSON: ``data`` as is (a list for collections). XML: ``<root><item>…</item></root>`` for a
    list, ``<root>…</root>`` for a dict; nested lists use ``lists`` to name their items."""
    if fmt == "json":
        body = json.dumps(data, ensure_ascii=False).encode()
    else:
        el = ET.Element(root)
        if isinstance(data, list):
            for entry in data:
                _xml_fill(ET.SubElement(el, item), entry, lists or {})
        else:
            _xml_fill(el, data, lists or {})
        body = b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(el, encoding="unicode").encode()
    response = HttpResponse(body, status=status, content_type=CONTENT_TYPES[fmt])
    response["Access-Control-Allow-Origin"] = "*"
    return response


def error(fmt: str, status: int, description: str) -> HttpResponse:
    fmt = fmt if fmt in CONTENT_TYPES else "xml"
    return render(fmt, [{"code": status, "description": description}], root="errors", item="error", status=status)


class Open311Error(Exception):
    def __init__(self, status: int, description: str):
        super().__init__(description)
        self.status, self.description = status, description


def _check(request, fmt: str, methods=("GET",)):
    if fmt not in CONTENT_TYPES:
        raise Open311Error(400, f"unsupported format '{fmt}': use .xml or .json")
    if request.method not in methods:
        raise Open311Error(405, f"method {request.method} is not allowed here; use {' or '.join(methods)}")
    given = request.GET.get("jurisdiction_id") or request.POST.get("jurisdiction_id")
    if given and given != jurisdiction():
        raise Open311Error(404, f"jurisdiction_id provided was not found: {given}")


def endpoint(methods=("GET",)):
    """Wrap a view: format and method checks, Open311 error bodies for every failure (never a
    500 without a body in the spec's format)."""

    def wrap(view):
        @csrf_exempt
        def inner(request, fmt: str, **kwargs):
            try:
                _check(request, fmt, methods)
                return view(request, fmt, **kwargs)
            except Open311Error as exc:
                response = error(fmt, exc.status, exc.description)
                if exc.status == 405:
                    response["Allow"] = ", ".join(methods)
                return response
            except DomainError as exc:
                status = {401: 403, 422: 400, 409: 400}.get(exc.status, exc.status)
                return error(fmt, status, str(exc.message))
            except Exception:  # noqa: BLE001 - the spec's "general service error"
                logger.exception("Open311 request failed")
                return error(fmt, 500, "general service error: the request could not be processed")

        inner.__name__ = view.__name__
        return inner

    return wrap


# -- discovery and services --------------------------------------------------------------------
@endpoint()
def discovery(request, fmt):
    base = request.build_absolute_uri("/open311/v2")
    data = {
        "changeset": CHANGESET,
        "contact": "云溪区12345政务服务便民热线中心，电话 12345",
        "key_service": request.build_absolute_uri("/api/v1/docs") + "（接入 api_key 请联系区数据资源管理局）",
        "endpoints": [{"specification": SPEC, "url": base, "changeset": CHANGESET, "type": "production",
                       "formats": ["text/xml", "application/json"]}],
    }
    return render(fmt, data, root="discovery", lists={"endpoints": "endpoint", "formats": "format"})


def public_categories():
    return Category.objects.filter(is_active=True, open311=True, parent__isnull=False,
                                   children__isnull=True).select_related("parent").order_by("parent__sort", "sort",
                                                                                            "code")


def _service(c: Category) -> dict:
    return {"service_code": c.code, "service_name": c.name, "description": c.description or None, "metadata": True,
            "type": "realtime", "keywords": c.keywords or None, "group": c.parent.name if c.parent_id else None}


@endpoint()
def services_list(request, fmt):
    return render(fmt, [_service(c) for c in public_categories()], root="services", item="service")


@endpoint()
def service_definition(request, fmt, code: str):
    category = public_categories().filter(code=code).first()
    if category is None:
        raise Open311Error(404, f"service_code provided was not found: {code}")
    data = {
        "service_code": category.code,
        "attributes": [
            {"variable": True, "code": "kind", "datatype": "singlevaluelist", "required": False,
             "datatype_description": "诉求类型，默认为投诉", "order": 1, "description": "这是投诉、求助还是建议？",
             "values": [{"key": k, "name": KIND_NAMES[k]} for k in PUBLIC_KINDS]},
            {"variable": True, "code": "urgency", "datatype": "singlevaluelist", "required": False,
             "datatype_description": "紧急：危及人身财产安全，30 分钟内签收", "order": 2, "description": "是否紧急？",
             "values": [{"key": v, "name": str(label)} for v, label in Urgency.choices]},
        ],
    }
    return render(fmt, data, root="service_definition", lists={"attributes": "attribute", "values": "value"})


# -- requests ----------------------------------------------------------------------------------
_PHONE = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")
_ID = re.compile(r"(?<![0-9A-Za-z])(\d{4})\d{10}(\d{3}[0-9Xx])(?![0-9A-Za-z])")


def mask_personal(text: str) -> str:
    text = _PHONE.sub(lambda m: f"{m.group(1)}****{m.group(2)}", text or "")
    return _ID.sub(lambda m: f"{m.group(1)}**********{m.group(2)}", text)


def public_orders():
    return (WorkOrder.objects.filter(category__open311=True, kind__in=PUBLIC_KINDS, is_anonymous=False)
            .exclude(status=Status.VOID).select_related("category", "lead_department", "grid"))


def _notes(o: WorkOrder) -> str | None:
    if o.status in (Status.CLOSED, Status.ANSWERED):
        reply = o.reply_text or o.answer_text
        return f"已办结：{mask_personal(reply)}" if reply else "已办结"
    if o.status == Status.MERGED:
        return f"与同一问题的工单 {o.merged_into.number} 合并办理" if o.merged_into_id else "已合并办理"
    return str(o.get_status_display())


def _request(o: WorkOrder) -> dict:
    closed = o.open311_status == "closed"
    return {
        "service_request_id": o.number,
        "status": o.open311_status,
        "status_notes": _notes(o),
        "service_name": o.category.name if o.category_id else None,
        "service_code": o.category.code if o.category_id else "",
        "description": mask_personal(o.text),
        "agency_responsible": o.lead_department.name if o.lead_department_id else None,
        "service_notice": "12345 热线受理后派单办理，一般 5 个工作日内答复。",
        "requested_datetime": w3c(o.created_at),
        "updated_datetime": w3c(o.closed_at if closed and o.closed_at else o.updated_at),
        "expected_datetime": w3c(o.reply_due_at),
        "address": o.address or None,
        "address_id": o.grid.code if o.grid_id else None,
        "zipcode": None,
        "lat": o.lat,
        "long": o.lng,
        "media_url": o.media_url or None,
    }


def _parse_date(value: str, name: str) -> datetime:
    try:  # parse_datetime raises on a well-formed but impossible date (month 13)
        dt = parse_datetime(value.strip().replace(" ", "+")) if value else None
    except ValueError:
        dt = None
    if dt is None:
        raise Open311Error(400, f"{name} must be a W3C date-time such as 2026-11-21T09:30:00+08:00")
    if timezone.is_naive(dt):
        dt = timezone.make_aware(dt)
    return dt


def _list(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


def _requests_get(request, fmt):
    qs = public_orders()
    ids = _list(request.GET.get("service_request_id"))
    if ids:
        rows = list(qs.filter(number__in=ids[:MAX_RESULTS]))
        order = {n: i for i, n in enumerate(ids)}
        rows.sort(key=lambda o: order.get(o.number, 0))
    else:
        codes = _list(request.GET.get("service_code"))
        if codes:
            qs = qs.filter(category__code__in=codes)
        statuses = _list(request.GET.get("status"))
        bad = [s for s in statuses if s not in ("open", "closed")]
        if bad:
            raise Open311Error(400, f"status must be open or closed, not {', '.join(bad)}")
        if statuses and set(statuses) != {"open", "closed"}:
            qs = qs.filter(status__in=OPEN_STATUSES) if "open" in statuses else qs.exclude(status__in=OPEN_STATUSES)
        start = _parse_date(request.GET["start_date"], "start_date") if request.GET.get("start_date") else None
        end = _parse_date(request.GET["end_date"], "end_date") if request.GET.get("end_date") else None
        if start and end and end < start:
            raise Open311Error(400, "end_date is before start_date")
        if start and end and end - start > MAX_SPAN:
            raise Open311Error(400, "start_date and end_date may not span more than 90 days")
        if start and not end:
            end = start + MAX_SPAN
        if end and not start:
            start = end - MAX_SPAN
        if not start:
            end = timezone.now()
            start = end - MAX_SPAN
        qs = qs.filter(created_at__gte=start, created_at__lte=end)
        rows = list(qs.order_by("-created_at")[:MAX_RESULTS])
    return render(fmt, [_request(o) for o in rows], root="service_requests", item="request")


def _param(request, name: str) -> str:
    value = request.POST.get(name)
    if value is None:
        value = request.GET.get(name, "")
    return (value or "").strip()


def _attributes(request) -> dict[str, str]:
    out = {}
    for source in (request.GET, request.POST):
        for key in source:
            m = re.fullmatch(r"attribute\[(\w+)\]", key)
            if m:
                out[m.group(1)] = source.get(key, "").strip()
    return out


def _requests_post(request, fmt):
    client = services.open311_client_for(_param(request, "api_key"))
    if client is None:
        raise Open311Error(403, "api_key was not provided or is not valid")
    code = _param(request, "service_code")
    if not code:
        raise Open311Error(400, "service_code was not provided")
    category = public_categories().filter(code=code).first()
    if category is None:
        raise Open311Error(404, f"service_code provided was not found: {code}")
    lat, lng = _param(request, "lat"), _param(request, "long")
    address, address_id = _param(request, "address_string"), _param(request, "address_id")
    if not (lat or lng or address or address_id):
        raise Open311Error(400, "a location is required: lat and long, address_string or address_id")
    if (lat or lng) and not (lat and lng):
        raise Open311Error(400, "lat and long must be given together")
    description = _param(request, "description")
    if not description:
        raise Open311Error(400, "description is required: what is the problem, where, since when")
    attrs = _attributes(request)
    kind = attrs.get("kind") or Kind.COMPLAINT
    if kind not in PUBLIC_KINDS:
        raise Open311Error(400, f"attribute[kind] must be one of {', '.join(PUBLIC_KINDS)}")
    urgency = attrs.get("urgency") or Urgency.NORMAL
    if urgency not in Urgency.values:
        raise Open311Error(400, f"attribute[urgency] must be one of {', '.join(Urgency.values)}")
    name = " ".join(p for p in (_param(request, "last_name"), _param(request, "first_name")) if p)
    media_url = _param(request, "media_url")
    if media_url and not re.match(r"^https?://", media_url):
        raise Open311Error(400, "media_url must be an http(s) URL")
    order = services.create_order(
        None, channel=Channel.OPEN311, kind=kind, text=description, category=category.code, urgency=urgency,
        address=address, lat=lat or None, lng=lng or None, address_id=address_id, caller_name=name,
        caller_phone=_param(request, "phone"), callback_preference="sms" if _param(request, "phone") else "none",
        open311_client=client, media_url=media_url, external_id=_param(request, "device_id")[:64])
    data = [{"service_request_id": order.number, "token": order.open311_token,
             "service_notice": "已受理，12345 热线将派单办理，一般 5 个工作日内答复。"}]  # no accounts: account_id omitted
    return render(fmt, data, root="service_requests", item="request")


@endpoint(methods=("GET", "POST"))
def requests_view(request, fmt):
    if request.method == "POST":
        return _requests_post(request, fmt)
    return _requests_get(request, fmt)


@endpoint()
def request_detail(request, fmt, number: str):
    order = public_orders().filter(number=number).first()
    if order is None:
        raise Open311Error(404, f"service_request_id provided was not found: {number}")
    return render(fmt, [_request(order)], root="service_requests", item="request")


@endpoint()
def token_view(request, fmt, token: str):
    order = WorkOrder.objects.filter(open311_token=token, channel=Channel.OPEN311).first() if token else None
    if order is None:
        raise Open311Error(404, f"token provided was not found: {token}")
    return render(fmt, [{"service_request_id": order.number, "token": token}], root="service_requests",
                  item="request")


@csrf_exempt
def not_found(request, rest: str = ""):
    fmt = "json" if rest.endswith(".json") else "xml"
    return error(fmt, 404, f"no such Open311 resource: /open311/v2/{rest}")
