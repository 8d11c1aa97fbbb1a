"""The JSON API (django-ninja) at /api/v1/. OpenAPI schema at /api/v1/openapi.json.

Errors everywhere: HTTP status + ``{code, message, fields}`` — ``code`` stable English, ``message``
in the request's language (Accept-Language or the language cookie).
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.errors import AuthorizationError
from ninja.throttling import AnonRateThrottle, AuthRateThrottle

from yiwang.core.errors import DomainError

logger = logging.getLogger("yiwang.api")


from yiwang.core.apiauth import actor_auth  # noqa: E402,F401

api = NinjaAPI(
    title="一网通办 Yiwang API",
    version="1",
    description=(
        "互联网+政务服务平台的开放接口。认证：`POST /api/v1/auth/token` 取得令牌，"
        "此后在请求头携带 `Authorization: Bearer <token>`。错误统一为 HTTP 状态码 + "
        "`{code, message, fields}`。"
    ),
    urls_namespace="api",
    throttle=[AnonRateThrottle(settings.API_ANON_RATE), AuthRateThrottle(settings.API_AUTH_RATE)],
    docs_url="/docs",
)


def _error(request, status: int, code: str, message, fields: dict | None = None):
    return api.create_response(request, {"code": code, "message": str(message), "fields": fields or {}}, status=status)


@api.exception_handler(DomainError)
def _domain_error(request, exc: DomainError):
    return api.create_response(request, exc.as_dict(), status=exc.status)


@api.exception_handler(ValidationError)
def _validation_error(request, exc: ValidationError):
    fields: dict[str, list[str]] = {}
    for err in exc.errors:
        loc = [str(p) for p in err.get("loc", []) if p not in ("body", "query", "path", "payload", "data")]
        fields.setdefault(".".join(loc) or "_", []).append(err.get("msg", ""))
    return _error(request, 422, "validation_error", _("请求内容不符合要求。"), fields)


@api.exception_handler(AuthenticationError)
def _auth_error(request, exc):
    return _error(request, 401, "not_authenticated", _("请先登录或提供有效的令牌。"))


@api.exception_handler(AuthorizationError)
def _authz_error(request, exc):
    return _error(request, 403, "forbidden", _("无权访问。"))


@api.exception_handler(Http404)
def _not_found(request, exc):
    return _error(request, 404, "not_found", _("未找到。"))


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    if exc.status_code == 429:
        return _error(request, 429, "rate_limited", _("请求过于频繁，请稍后再试。"))
    return _error(request, exc.status_code, "http_error", str(exc))


@api.exception_handler(Exception)
def _unexpected(request, exc):
    logger.exception("unhandled API error")
    return _error(request, 500, "internal_error", _("系统繁忙，请稍后再试。"))


def _mount():
    from yiwang.accounts.api import router as accounts_router
    from yiwang.accounts.api import auth_router, identity_router
    from yiwang.core.api import router as core_router
    from yiwang.notifications.api import router as notifications_router

    api.add_router("/auth", auth_router)
    api.add_router("/identity", identity_router)
    api.add_router("/", accounts_router)
    api.add_router("/", core_router)
    api.add_router("/notifications", notifications_router)
    api.add_router("/catalog", "yiwang.catalog.api.router")

    from yiwang.cases.api import inbox_router, router as cases_router

    api.add_router("/cases", cases_router)
    api.add_router("/inbox", inbox_router)

    from yiwang.licences.api import router as licences_router

    api.add_router("/licences", licences_router)

    from yiwang.grid.api import router as grid_router
    from yiwang.hotline.api import router as hotline_router

    api.add_router("/hotline", hotline_router)
    api.add_router("/grid", grid_router)

    from yiwang.exchange.api import gateway_router as exchange_gateway_router
    from yiwang.exchange.api import router as exchange_router

    api.add_router("/exchange/gateway", exchange_gateway_router)
    api.add_router("/exchange", exchange_router)


_mount()
