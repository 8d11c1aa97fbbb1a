from __future__ import annotations

import re
import uuid

from .context import RequestContext, current

_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def client_ip(request) -> str:
    """The client address. Behind a proxy set TRUSTED_PROXY_HOPS so X-Forwarded-For is trusted."""
    from django.conf import settings

    hops = int(getattr(settings, "TRUSTED_PROXY_HOPS", 0) or 0)
    if hops:
        forwarded = [p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if p.strip()]
        if len(forwarded) >= hops:
            return forwarded[-hops]
    return request.META.get("REMOTE_ADDR", "")


class RequestIdMiddleware:
    """Gives every request an id (kept from a well-formed X-Request-ID header) that is returned in
    the response and written into every audit event of the request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        token = current.set(RequestContext(request_id=request_id, ip=client_ip(request)))
        try:
            response = self.get_response(request)
        finally:
            current.reset(token)
        response["X-Request-ID"] = request_id
        return response


class RejectNulMiddleware:
    """Refuses a request with a NUL character in its path, query string, headers or (form or
    JSON) body with a precise 400.

    No legitimate input contains one, and PostgreSQL can neither store nor compare text holding
    NUL: such a value would otherwise end as a 500 deep inside whichever view first touches the
    database. Last in MIDDLEWARE, so the refusal still carries every security header.
    (Multipart bodies are left to the forms, whose CharFields already refuse NUL.)
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if self._has_nul(request):
            from django.shortcuts import render
            from django.utils.translation import gettext as _

            message = _("请求中含有不允许的控制字符（NUL）。")
            if request.path.startswith("/api/"):
                from django.http import JsonResponse

                where = _json_nul_path(request)
                if where is not None:
                    # a JSON body: the API's own validation status, naming the field (e.g. form.shop_name)
                    return JsonResponse({"code": "invalid_characters", "message": message,
                                         "fields": {where or "_": [message]}}, status=422)
                return JsonResponse({"code": "invalid_characters", "message": message, "fields": {}}, status=400)
            if request.path.startswith("/open311/"):
                from yiwang.hotline.open311 import error  # the channel's own error body (GeoReport v2)

                fmt = "json" if request.path.split("?")[0].endswith(".json") else "xml"
                return error(fmt, 400, "the request contains a NUL control character")
            return render(request, "400.html", {"message": message}, status=400)
        return self.get_response(request)

    @staticmethod
    def _has_nul(request) -> bool:
        from urllib.parse import unquote_plus

        if "\x00" in request.path or "\x00" in unquote_plus(request.META.get("QUERY_STRING", "")):
            return True
        if any("\x00" in str(v) for k, v in request.META.items() if k.startswith("HTTP_")):
            return True
        content_type = request.META.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
        if request.method in ("GET", "HEAD", "OPTIONS") or not content_type:
            return False
        if content_type == "application/x-www-form-urlencoded":
            return "\x00" in unquote_plus(request.body.decode("latin-1"))
        if content_type.endswith("json"):
            body = request.body
            if b"\x00" in body:
                return True
            if b"\\u0000" in body:
                import json

                try:
                    return _contains_nul(json.loads(body))
                except ValueError:
                    return False  # not JSON: the API answers that precisely
        return False


def _contains_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_contains_nul(k) or _contains_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_contains_nul(v) for v in value)
    return False


def _nul_path(value, prefix: str = "") -> str | None:
    """The dotted path of the first string holding NUL in a JSON value ("" for the top level)."""
    if isinstance(value, str):
        return prefix if "\x00" in value else None
    if isinstance(value, dict):
        for k, v in value.items():
            key = f"{prefix}.{k}" if prefix else str(k)
            if "\x00" in str(k):
                return key
            found = _nul_path(v, key)
            if found is not None:
                return found
    if isinstance(value, list):
        for i, v in enumerate(value):
            found = _nul_path(v, f"{prefix}.{i}" if prefix else str(i))
            if found is not None:
                return found
    return None


def _json_nul_path(request) -> str | None:
    """For a JSON body holding NUL: where it is; None when the NUL is elsewhere (path, query…)."""
    import json

    content_type = request.META.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
    if request.method in ("GET", "HEAD", "OPTIONS") or not content_type.endswith("json"):
        return None
    if "\x00" in request.path or "\x00" in request.META.get("QUERY_STRING", ""):
        return None
    try:
        return _nul_path(json.loads(request.body))
    except ValueError:
        return ""
