"""The exchange over the JSON API.

* ``/api/v1/exchange/…`` — the resource catalog, requests and grants (staff, bearer token or
  session), 我的数据使用记录 (citizens and enterprise agents) and the coverage report;
* ``/api/v1/exchange/gateway/…`` — service-to-service calls from departments' systems, signed per
  client with HMAC-SHA256 (see :mod:`yiwang.exchange.signing`); no bearer token.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from ninja import Router, Schema
from ninja import Status as Reply

from yiwang.core.apiauth import actor_auth

from . import coverage, gateway, selectors, services
from .models import DataResource, Grant, ShareRequest

router = Router(tags=["exchange"], auth=actor_auth)
gateway_router = Router(tags=["exchange-gateway"], auth=None)


class ErrorOut(Schema):
    code: str
    message: str
    fields: dict


ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut, 429: ErrorOut}


class FieldSpec(Schema):
    key: str
    name: str = ""


class ResourceIn(Schema):
    code: str
    name: str
    description: str = ""
    subject_kind: str = "resident_id"
    fields: list[FieldSpec]
    update_frequency: str = "daily"
    legal_basis: str
    share_class: str = "conditional"
    share_conditions: str = ""
    licence_types: list[str] = []


class ResourcePatch(Schema):
    name: str | None = None
    description: str | None = None
    subject_kind: str | None = None
    fields: list[FieldSpec] | None = None
    update_frequency: str | None = None
    legal_basis: str | None = None
    share_class: str | None = None
    share_conditions: str | None = None
    licence_types: list[str] | None = None


class ResourceOut(Schema):
    code: str
    name: str
    provider: str
    provider_name: str
    description: str
    subject_kind: str
    fields: list[dict]
    update_frequency: str
    legal_basis: str
    share_class: str
    share_class_label: str
    share_conditions: str
    licence_types: list[str]
    status: str
    published_at: datetime | None
    last_push_at: datetime | None
    last_full_push_at: datetime | None


def _resource(r: DataResource) -> dict:
    return {"code": r.code, "name": r.name, "provider": r.provider.code, "provider_name": r.provider.name,
            "description": r.description, "subject_kind": r.subject_kind, "fields": r.fields,
            "update_frequency": r.update_frequency, "legal_basis": r.legal_basis, "share_class": r.share_class,
            "share_class_label": str(r.get_share_class_display()), "share_conditions": r.share_conditions,
            "licence_types": r.licence_types or [], "status": r.status, "published_at": r.published_at,
            "last_push_at": r.last_push_at, "last_full_push_at": r.last_full_push_at}


class RequestIn(Schema):
    resource: str
    fields: list[str]
    purpose: str
    items: list[str] = []
    requested_until: date


class RequestOut(Schema):
    id: int
    resource: str
    resource_name: str
    requester: str
    requester_name: str
    purpose: str
    items: list[str]
    fields: list[str]
    requested_until: date
    status: str
    created_at: datetime
    due_at: datetime | None
    decided_at: datetime | None
    reason: str
    overdue: bool
    grant: int | None


def _request(r: ShareRequest) -> dict:
    grant = Grant.objects.filter(request=r).values_list("pk", flat=True).first()
    return {"id": r.pk, "resource": r.resource.code, "resource_name": r.resource.name, "requester": r.requester.code,
            "requester_name": r.requester.name, "purpose": r.purpose, "items": r.items, "fields": r.fields,
            "requested_until": r.requested_until, "status": r.status, "created_at": r.created_at,
            "due_at": r.due_at, "decided_at": r.decided_at, "reason": r.reason, "overdue": r.is_overdue,
            "grant": grant}


class ApproveIn(Schema):
    fields: list[str] | None = None
    expires_on: date | None = None
    note: str = ""


class ReasonIn(Schema):
    reason: str = ""


class GrantOut(Schema):
    id: int
    resource: str
    resource_name: str
    grantee: str
    grantee_name: str
    fields: list[str]
    purpose: str
    items: list[str]
    expires_at: datetime
    status: str
    state: str
    revoked_at: datetime | None
    revoke_reason: str


def _grant(g: Grant) -> dict:
    state = "revoked" if g.status == "revoked" else ("expired" if g.is_expired else "active")
    return {"id": g.pk, "resource": g.resource.code, "resource_name": g.resource.name, "grantee": g.grantee.code,
            "grantee_name": g.grantee.name, "fields": g.fields, "purpose": g.purpose, "items": g.items,
            "expires_at": g.expires_at, "status": g.status, "state": state, "revoked_at": g.revoked_at,
            "revoke_reason": g.revoke_reason}


# -- catalog -----------------------------------------------------------------------------------
@router.get("/resources", response={200: list[ResourceOut], **ERRORS}, summary="数据资源目录")
def list_resources(request):
    return [_resource(r) for r in selectors.resources_visible_to(request.auth)]


@router.get("/resources/{code}", response={200: ResourceOut, **ERRORS}, summary="数据资源详情")
def get_resource(request, code: str):
    return _resource(selectors.resource_for(request.auth, code))


@router.post("/resources", response={201: ResourceOut, **ERRORS}, summary="编制数据资源（本部门数据管理员）")
def create_resource(request, payload: ResourceIn):
    data = payload.dict()
    return Reply(201, _resource(services.create_resource(request.auth, data)))


@router.patch("/resources/{code}", response={200: ResourceOut, **ERRORS}, summary="修改数据资源")
def update_resource(request, code: str, payload: ResourcePatch):
    data = {k: v for k, v in payload.dict().items() if v is not None}
    return _resource(services.update_resource(request.auth, code, data))


@router.post("/resources/{code}/publish", response={200: ResourceOut, **ERRORS}, summary="发布数据资源")
def publish_resource(request, code: str):
    return _resource(services.publish_resource(request.auth, code))


@router.post("/resources/{code}/retire", response={200: ResourceOut, **ERRORS}, summary="停用数据资源")
def retire_resource(request, code: str, payload: ReasonIn | None = None):
    return _resource(services.retire_resource(request.auth, code, payload.reason if payload else ""))


@router.delete("/resources/{code}", response={204: None, **ERRORS}, summary="删除草稿资源")
def delete_resource(request, code: str):
    services.delete_resource(request.auth, code)
    return Reply(204, None)


# -- requests and grants -----------------------------------------------------------------------
@router.post("/requests", response={201: RequestOut, **ERRORS}, summary="申请共享数据")
def create_request(request, payload: RequestIn):
    req = services.request_share(request.auth, payload.resource, fields=payload.fields, purpose=payload.purpose,
                                 requested_until=payload.requested_until, items=payload.items)
    return Reply(201, _request(req))


@router.get("/requests", response={200: list[RequestOut], **ERRORS}, summary="共享申请（incoming：他部门向本部门；outgoing：本部门提出）")
def list_requests(request, box: str = "incoming"):
    qs = selectors.requests_outgoing(request.auth) if box == "outgoing" else selectors.requests_incoming(request.auth)
    return [_request(r) for r in qs[:500]]


@router.post("/requests/{request_id}/approve", response={200: GrantOut, **ERRORS}, summary="同意共享")
def approve_request(request, request_id: int, payload: ApproveIn):
    grant = services.approve_request(request.auth, request_id, fields=payload.fields, expires_on=payload.expires_on,
                                     note=payload.note)
    return _grant(grant)


@router.post("/requests/{request_id}/refuse", response={200: RequestOut, **ERRORS}, summary="拒绝共享（须说明理由）")
def refuse_request(request, request_id: int, payload: ReasonIn):
    return _request(services.refuse_request(request.auth, request_id, payload.reason))


@router.post("/requests/{request_id}/withdraw", response={200: RequestOut, **ERRORS}, summary="撤回申请")
def withdraw_request(request, request_id: int):
    return _request(services.withdraw_request(request.auth, request_id))


@router.get("/grants", response={200: list[GrantOut], **ERRORS}, summary="共享授权")
def list_grants(request):
    return [_grant(g) for g in selectors.grants_visible_to(request.auth)[:500]]


@router.post("/grants/{grant_id}/revoke", response={200: GrantOut, **ERRORS}, summary="撤销授权（须说明理由）")
def revoke_grant(request, grant_id: int, payload: ReasonIn):
    return _grant(services.revoke_grant(request.auth, grant_id, payload.reason))


# -- citizens: who used my data ----------------------------------------------------------------
class UsageOut(Schema):
    at: datetime
    department: str
    resource: str
    provider: str
    kind: str
    channel: str
    purpose: str
    case_number: str
    fields: list[str]
    ok: bool
    outcome: str


@router.get("/my-usage", response={200: list[UsageOut], **ERRORS}, summary="我的数据使用记录")
def my_usage(request, limit: int = 200):
    qs = selectors.my_data_usage(request.auth)[: max(1, min(limit, 1000))]
    return [selectors.usage_entry(log) for log in qs]


@router.get("/coverage", response={200: dict, **ERRORS}, auth=None, summary="免提交覆盖率（按部门）")
def coverage_report(request):
    return coverage.compute()


# -- the gateway (signed service-to-service calls) ---------------------------------------------
class QueryIn(Schema):
    resource: str
    subject: str
    purpose: str
    case_number: str = ""
    item_code: str = ""
    fields: list[str] | None = None


class QueryOut(Schema):
    query_id: int
    resource: str
    resource_name: str
    provider: str
    subject_kind: str
    fields: dict[str, Any]
    field_names: dict[str, str]
    record_version: int
    source_updated_at: datetime | None
    received_at: datetime
    grant: dict


class PushRecord(Schema):
    subject: str
    values: dict[str, Any]
    updated_at: datetime | None = None


class PushIn(Schema):
    mode: str
    records: list[PushRecord] = []
    deleted: list[str] = []


class PushOut(Schema):
    batch: int
    resource: str
    mode: str
    upserted: int
    unchanged: int
    deleted: int
    received_at: datetime


@gateway_router.post("/query", response={200: QueryOut, **ERRORS}, throttle=[], openapi_extra={
    "requestBody": {"content": {"application/json": {"schema": QueryIn.json_schema()}}, "required": True}},
    summary="按主体查询共享数据（签名调用）")
def gateway_query(request):
    """Signed with the client's key: headers ``X-Exchange-Key``, ``X-Exchange-Timestamp``,
    ``X-Exchange-Nonce``, ``X-Exchange-Signature`` (see the module docs). Answers only the granted
    fields; every call is logged."""
    return gateway.query(request)


@gateway_router.post("/resources/{code}/records", response={200: PushOut, **ERRORS}, throttle=[], openapi_extra={
    "requestBody": {"content": {"application/json": {"schema": PushIn.json_schema()}}, "required": True}},
    summary="汇聚数据（提供部门全量或增量推送，签名调用）")
def gateway_push(request, code: str):
    return gateway.push(request, code)
