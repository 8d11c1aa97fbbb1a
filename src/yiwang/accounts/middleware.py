from __future__ import annotations

from yiwang.core.context import current

from .actor import ANONYMOUS, Actor, staff_actor
from .models import Enterprise, User

SESSION_ENTERPRISE = "yiwang_enterprise_id"
SESSION_ROLE = "yiwang_role_id"


def bind_actor(actor: Actor) -> None:
    """Put the actor into the request context so audit events name them, their role and unit."""
    ctx = current.get()
    ctx.user_id = actor.user.pk if actor.user else None
    ctx.actor_label = actor.label
    ctx.role = actor.role
    ctx.department = actor.unit_code


def actor_for_session(request) -> Actor:
    user = request.user
    if not getattr(user, "is_authenticated", False):
        return ANONYMOUS
    if user.kind == User.Kind.STAFF:
        verified = bool(getattr(user, "is_verified", lambda: False)())
        if not verified:
            return ANONYMOUS  # a staff session without its second factor is not a session
        return staff_actor(user, request.session.get(SESSION_ROLE), otp_verified=True)
    enterprise_id = request.session.get(SESSION_ENTERPRISE)
    enterprise = None
    if enterprise_id:
        from .selectors import may_act_for

        enterprise = Enterprise.objects.filter(pk=enterprise_id).first()
        if not may_act_for(user, enterprise):
            return ANONYMOUS  # the authorisation was withdrawn or has ended: sign in again
    return Actor(user=user, enterprise=enterprise)


class ActorMiddleware:
    """Sets ``request.actor`` for web sessions (the API sets it from the bearer token)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        actor = actor_for_session(request)
        request.actor = actor
        if actor.is_authenticated:
            bind_actor(actor)
        return self.get_response(request)
