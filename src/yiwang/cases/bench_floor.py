"""The floor of the case-submission benchmark (``bench/cases_submit.py``): bearer-token auth through
the same ``actor_auth`` as the API, the same throttles and JSON handling (django-ninja), then exactly
one INSERT (an in-site ``Notification`` row). What a submission costs beyond this is the price of
the submission itself.

Mounted by ``yiwang.urls`` only when ``YIWANG_BENCH_FLOOR=1`` and never in production: it is not
part of the platform's API.
"""

from __future__ import annotations

from django.conf import settings
from django.urls import path
from django.utils import timezone
from ninja import NinjaAPI, Schema, Status
from ninja.throttling import AnonRateThrottle, AuthRateThrottle

from yiwang.core.apiauth import actor_auth
from yiwang.core.errors import DomainError

api = NinjaAPI(title="bench floor", version="bench", urls_namespace="bench_floor", docs_url=None,
               openapi_url=None, throttle=[AnonRateThrottle(settings.API_ANON_RATE),
                                            AuthRateThrottle(settings.API_AUTH_RATE)])


@api.exception_handler(DomainError)
def _domain_error(request, exc: DomainError):
    return api.create_response(request, exc.as_dict(), status=exc.status)


class FloorIn(Schema):
    note: str = ""


class FloorOut(Schema):
    id: int


@api.post("/floor", auth=actor_auth, response={201: FloorOut})
def floor(request, payload: FloorIn):
    from yiwang.notifications.models import Notification

    row = Notification.objects.create(recipient=request.auth.user, channel="site", template="bench_floor",
                                      body=payload.note[:200], status=Notification.Status.SENT,
                                      sent_at=timezone.now())
    return Status(201, {"id": row.pk})


urlpatterns = [] if settings.PRODUCTION else [path("bench/", api.urls)]
