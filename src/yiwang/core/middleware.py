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
