"""Per-request context (request id, client address, acting role) for the audit trail.

Set by :class:`yiwang.core.middleware.RequestIdMiddleware` and the API's auth; read by
:func:`yiwang.core.audit.record`. Background tasks run with an empty context.
"""

from __future__ import annotations

import contextvars
from dataclasses import dataclass


@dataclass
class RequestContext:
    request_id: str = ""
    ip: str = ""
    user_id: int | None = None
    actor_label: str = ""
    role: str = ""
    department: str = ""  # department or service-place code the role is held in


current: contextvars.ContextVar[RequestContext] = contextvars.ContextVar("yiwang_request", default=RequestContext())
