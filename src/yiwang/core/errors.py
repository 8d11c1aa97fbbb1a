"""Domain errors with a stable code for machines and a message for people.

Services raise these; the JSON API turns them into ``HTTP status + {code, message, fields}`` and the
HTML views into a message on the page. ``code`` is stable English; ``message`` is translated.
"""

from __future__ import annotations


class DomainError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message, *, code: str | None = None, fields: dict | None = None, status: int | None = None):
        super().__init__(str(message))
        self.message = message
        if code:
            self.code = code
        if status:
            self.status = status
        self.fields = fields or {}

    def as_dict(self) -> dict:
        return {
            "code": self.code,
            "message": str(self.message),
            "fields": {k: [str(m) for m in (v if isinstance(v, (list, tuple)) else [v])] for k, v in self.fields.items()},
        }


class ValidationFailed(DomainError):
    status = 422
    code = "validation_error"


class NotAuthenticated(DomainError):
    status = 401
    code = "not_authenticated"


class PermissionDeniedError(DomainError):
    status = 403
    code = "forbidden"


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class RateLimited(DomainError):
    status = 429
    code = "rate_limited"
