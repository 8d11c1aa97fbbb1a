"""The query gateway: other departments' systems ask for a subject's record with a signed request.

Every call — answered or refused, signed or not — leaves one :class:`QueryLog` row with the caller,
purpose, case number, subject (blind index), fields and result size, written whatever the outcome.
Checks, in order, each with its own stable code:

1. signature (401): ``not_authenticated`` (no signature headers at all; logged as
   ``signature_missing``, ``fields.signature == ["signature_missing"]``), ``client_unknown``, ``client_disabled``,
   ``timestamp_invalid``, ``timestamp_stale``, ``nonce_invalid``, ``signature_invalid``,
   ``nonce_replayed``;
2. rate (429): ``rate_limited`` — per client, ``ExchangeClient.rate_per_minute``; and
   ``too_many_failures`` — an address whose calls failed authentication more than
   ``EXCHANGE_AUTH_FAILURES_PER_MINUTE`` (120) times this minute is refused before any work and
   without a log row (so a flood cannot fill the log);
3. request (404/403/422): ``resource_not_found``, ``resource_not_shared``, ``purpose_required``,
   ``subject_invalid``, ``no_grant``, ``grant_revoked``, ``grant_expired``, ``fields_not_granted``,
   ``subject_not_found``.

Only the granted fields are ever returned.
"""

from __future__ import annotations

import hmac
import json
import random
import time
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.core.errors import DomainError, NotAuthenticated, NotFound, PermissionDeniedError, RateLimited, ValidationFailed

from . import services, signing
from .models import DataRecord, DataResource, ExchangeClient, Nonce, QueryLog, ResourceStatus, ShareClass


def window_seconds() -> int:
    return int(getattr(settings, "EXCHANGE_SIGNATURE_WINDOW", 300))


def _client_ip(request) -> str:
    try:
        from yiwang.accounts.lockout import client_ip

        return (client_ip(request) or "")[:64]
    except Exception:  # noqa: BLE001
        return (request.META.get("REMOTE_ADDR") or "")[:64]


def authenticate(request, log: QueryLog | None = None) -> ExchangeClient:
    """The client that signed this request, or NotAuthenticated with a precise code. Records the
    nonce, so the same request cannot be accepted twice."""
    h = request.headers
    key, ts, nonce, sig = (h.get(signing.HEADER_KEY, ""), h.get(signing.HEADER_TIMESTAMP, ""),
                           h.get(signing.HEADER_NONCE, ""), h.get(signing.HEADER_SIGNATURE, ""))
    if log is not None:
        log.client_key = _clean(key)[:64]
    if not (key and ts and nonce and sig):
        # No credentials at all: the API-wide code for that (as for a request without a bearer
        # token); the log records the precise reason.
        if log is not None:
            log.outcome = "signature_missing"
        missing = [h for h, v in ((signing.HEADER_KEY, key), (signing.HEADER_TIMESTAMP, ts),
                                  (signing.HEADER_NONCE, nonce), (signing.HEADER_SIGNATURE, sig)) if not v]
        raise NotAuthenticated(_("请求未签名：须携带 X-Exchange-Key、X-Exchange-Timestamp、X-Exchange-Nonce 和 "
                                 "X-Exchange-Signature。"), code="not_authenticated",
                               fields={"signature": ["signature_missing"], "headers": missing})
    client = ExchangeClient.objects.select_related("department").filter(key_id=key).first()
    if client is None:
        raise NotAuthenticated(_("未登记的接入系统。"), code="client_unknown")
    if not client.is_active:
        raise NotAuthenticated(_("接入系统已停用。"), code="client_disabled")
    if not ts.isdigit():
        raise NotAuthenticated(_("时间戳应为 Unix 秒数。"), code="timestamp_invalid")
    skew = abs(time.time() - int(ts))
    if skew > window_seconds():
        raise NotAuthenticated(_("时间戳超出允许范围（±%(n)d 秒），请校准时钟后重新签名。") % {"n": window_seconds()},
                               code="timestamp_stale")
    if not signing.NONCE_RE.match(nonce):
        raise NotAuthenticated(_("随机数应为 16–64 位字母、数字、下划线或连字符。"), code="nonce_invalid")
    expected = signing.signature(client.secret, request.method, request.get_full_path(), ts, nonce, request.body)
    if not hmac.compare_digest(expected, sig.strip().lower()):
        raise NotAuthenticated(_("签名无效。"), code="signature_invalid")
    try:
        with transaction.atomic():
            Nonce.objects.create(client=client, nonce=nonce)
    except IntegrityError:
        raise NotAuthenticated(_("该请求已处理过（随机数重复），疑似重放。"), code="nonce_replayed") from None
    if random.random() < 0.01:  # keep the nonce table to the window (plus margin)
        Nonce.objects.filter(seen_at__lt=timezone.now() - timedelta(seconds=2 * window_seconds())).delete()
    _rate_limit(client)
    now = timezone.now()
    if client.last_used_at is None or now - client.last_used_at > timedelta(minutes=1):
        ExchangeClient.objects.filter(pk=client.pk).update(last_used_at=now)
    return client


def _rate_limit(client: ExchangeClient) -> None:
    window = int(time.time() // 60)
    key = f"yiwang:exchange:rate:{client.pk}:{window}"
    cache.add(key, 0, 120)
    try:
        count = cache.incr(key)
    except ValueError:  # evicted between add and incr
        cache.set(key, 1, 120)
        count = 1
    if count > client.rate_per_minute:
        raise RateLimited(_("请求过于频繁：每分钟最多 %(n)d 次。") % {"n": client.rate_per_minute}, code="rate_limited")


def _too_many_failures(request) -> None:
    """Unauthenticated floods from one address: past the limit, 429 and no more log rows."""
    limit = int(getattr(settings, "EXCHANGE_AUTH_FAILURES_PER_MINUTE", 120))
    key = f"yiwang:exchange:fail:{_client_ip(request)}:{int(time.time() // 60)}"
    if (cache.get(key) or 0) >= limit:
        raise RateLimited(_("签名校验失败次数过多，请稍后再试。"), code="too_many_failures")


def _count_failure(request) -> None:
    key = f"yiwang:exchange:fail:{_client_ip(request)}:{int(time.time() // 60)}"
    cache.add(key, 0, 120)
    try:
        cache.incr(key)
    except ValueError:
        cache.set(key, 1, 120)


def _payload(request) -> dict:
    try:
        data = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise ValidationFailed(_("请求体应为 JSON。"), code="body_invalid") from None
    if not isinstance(data, dict):
        raise ValidationFailed(_("请求体应为 JSON 对象。"), code="body_invalid")
    return data


def _clean(value) -> str:
    """Text for the log: PostgreSQL refuses NUL characters in text columns."""
    return str(value or "").replace("\x00", "")


def _outcome(log: QueryLog, exc: DomainError) -> str:
    if exc.code == "not_authenticated" and log.outcome == "signature_missing":
        return "signature_missing"
    return exc.code[:40]


def _new_log(request) -> QueryLog:
    from yiwang.core.context import current

    return QueryLog(channel=QueryLog.Channel.GATEWAY, ip=_client_ip(request), request_id=current.get().request_id)


def query(request) -> dict:
    """Answer one signed query ``{resource, subject, purpose, case_number?, fields?}``."""
    _too_many_failures(request)
    log = _new_log(request)
    try:
        try:
            client = authenticate(request, log)
        except NotAuthenticated:
            _count_failure(request)
            raise
        log.client, log.department_id = client, client.department_id
        data = _payload(request)
        result = _answer(client, data, log)
    except DomainError as exc:
        log.outcome, log.http_status = _outcome(log, exc), exc.status
        log.save()
        raise
    except Exception:
        log.outcome, log.http_status = "internal_error", 500
        log.save()
        raise
    log.outcome, log.http_status = "ok", 200
    log.save()
    result["query_id"] = log.pk
    return result


def _answer(client: ExchangeClient, data: dict, log: QueryLog) -> dict:
    code = _clean(data.get("resource")).strip().upper()
    purpose = _clean(data.get("purpose")).strip()
    case_number = _clean(data.get("case_number")).strip()
    fields = data.get("fields")
    log.resource_code, log.purpose, log.case_number = code[:64], purpose[:500], case_number[:32]
    if fields is not None and (not isinstance(fields, list) or not all(isinstance(f, str) for f in fields)):
        raise ValidationFailed(_("fields 应为信息项标识的列表。"), code="fields_invalid")
    log.fields_requested = [_clean(f)[:64] for f in (fields or [])][:100]
    resource = DataResource.objects.select_related("provider").filter(code=code).first()
    if resource is None or resource.status != ResourceStatus.PUBLISHED:
        raise NotFound(_("未找到已发布的数据资源“%(code)s”。") % {"code": code}, code="resource_not_found")
    log.resource, log.resource_name, log.subject_kind = resource, resource.name, resource.subject_kind
    if resource.share_class == ShareClass.NOT_SHARED:
        raise PermissionDeniedError(_("该数据资源不予共享，依据：%(b)s") % {"b": resource.share_conditions},
                                    code="resource_not_shared")
    if not purpose:
        raise ValidationFailed(_("请说明查询用途（purpose），如办件事项。"), code="purpose_required",
                               fields={"purpose": [_("必填。")]})
    if len(case_number) > 32:
        raise ValidationFailed(_("办件编号过长。"), code="case_number_invalid")
    number = services.normalise_subject(resource.subject_kind, data.get("subject"))
    log.subject_bidx = services.subject_bidx(resource.subject_kind, number)
    grant = services.resolve_grant(resource, client.department_id, str(data.get("item_code") or ""))
    log.grant = grant
    allowed = [f for f in grant.fields if f in resource.field_keys]
    if fields:
        beyond = sorted(set(fields) - set(allowed))
        if beyond:
            raise PermissionDeniedError(_("请求了授权之外的信息项：%(f)s") % {"f": "、".join(beyond)},
                                        code="fields_not_granted", fields={"fields": beyond})
        served = [f for f in allowed if f in fields]
    else:
        served = allowed
    record = DataRecord.objects.filter(resource=resource, subject_bidx=log.subject_bidx).first()
    if record is None:
        raise NotFound(_("该数据资源中没有这个主体的记录。"), code="subject_not_found")
    values = record.data()
    names = resource.field_names
    out = {k: values.get(k) for k in served}
    result = {
        "query_id": None,
        "resource": resource.code,
        "resource_name": resource.name,
        "provider": resource.provider.name,
        "subject_kind": resource.subject_kind,
        "fields": out,
        "field_names": {k: names.get(k, k) for k in served},
        "record_version": record.version,
        "source_updated_at": record.source_updated_at,
        "received_at": record.received_at,
        "grant": {"id": grant.pk, "expires_at": grant.expires_at, "purpose": grant.purpose},
    }
    log.fields_returned, log.result_size = served, len(out)
    log.result_bytes = len(json.dumps(out, ensure_ascii=False, default=str).encode())
    return result


def push(request, code: str) -> dict:
    """A provider's signed push (full or incremental). Refusals are logged as gateway calls."""
    _too_many_failures(request)
    log = _new_log(request)
    log.resource_code = _clean(code)[:64]
    log.purpose = "push"
    try:
        try:
            client = authenticate(request, log)
        except NotAuthenticated:
            _count_failure(request)
            raise
        log.client, log.department_id = client, client.department_id
        batch = services.push_records(client, code, _payload(request))
    except DomainError as exc:
        log.outcome, log.http_status = _outcome(log, exc), exc.status
        log.save()
        raise
    return {"batch": batch.pk, "resource": batch.resource.code, "mode": batch.mode, "upserted": batch.upserted,
            "unchanged": batch.unchanged, "deleted": batch.deleted, "received_at": batch.received_at}
