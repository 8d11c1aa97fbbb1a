"""Authentication for the JSON API: bearer token or browser session."""

from __future__ import annotations

from django.utils.translation import gettext as _
from ninja.security import HttpBearer

from yiwang.core.errors import DomainError


class ActorAuth(HttpBearer):
    """Bearer token (apps, kiosks, mini-program) or the browser session (with CSRF on writes)."""

    def authenticate(self, request, token):  # pragma: no cover - __call__ does the work
        return None

    def __call__(self, request):
        from yiwang.accounts.middleware import bind_actor
        from yiwang.accounts.services import resolve_token

        header = request.headers.get("Authorization", "")
        if header:
            scheme, _sep, raw = header.partition(" ")
            if scheme.lower() != "bearer" or not raw.strip():
                from yiwang.core.errors import NotAuthenticated

                raise NotAuthenticated(_("Authorization 头应为 “Bearer <令牌>”。"), code="token_invalid")
            actor = resolve_token(raw.strip())
            request.actor = actor
            bind_actor(actor)
            return actor
        actor = getattr(request, "actor", None)
        if actor is not None and actor.is_authenticated:
            if request.method not in ("GET", "HEAD", "OPTIONS"):
                from ninja.utils import check_csrf

                error = check_csrf(request)
                if error:
                    raise DomainError(_("CSRF 校验失败，请刷新页面后重试。"), code="csrf_failed", status=403)
            return actor
        return None


actor_auth = ActorAuth()
