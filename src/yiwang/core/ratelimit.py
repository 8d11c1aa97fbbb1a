"""Rate limits outside the API's own throttles: one counter per (scope, key), e.g. SMS codes per
phone or registrations per address, shared by the web pages and the JSON API.

Built on django-ninja's :class:`~ninja.throttling.SimpleRateThrottle` (the API's throttles), so
the rates are written the same way ("5/h", "10/d") and kept in the same cache. Several rates can
be given at once ("5/h,10/d"): an event is counted only when every window still allows it.
"""

from __future__ import annotations

from ninja.throttling import SimpleRateThrottle

from .context import current
from .crypto import blind_index


class _Window(SimpleRateThrottle):
    def __init__(self, scope: str, key: str, rate: str):
        super().__init__(rate)
        self.scope = scope
        self._ident = key

    def get_cache_key(self, request) -> str:
        return f"yiwang:limit:{self.scope}:{self.duration}:{self._ident}"

    def throttle_success(self) -> bool:
        return True  # counted by commit(), once every window of the event allowed it

    def commit(self) -> None:
        self.history.insert(0, self.now)
        self.cache.set(self.key, self.history, self.duration)


def allow(scope: str, key: str, rates: str) -> bool:
    """Count one event for ``key`` in ``scope``; False (and nothing counted) once any of the
    comma-separated ``rates`` is used up."""
    windows = [_Window(scope, key, rate.strip()) for rate in rates.split(",") if rate.strip()]
    if not all(w.allow_request(None) for w in windows):
        return False
    for w in windows:
        w.commit()
    return True


def client_key() -> str:
    """The current request's client address (see ``core.middleware.client_ip``)."""
    return current.get().ip or "0.0.0.0"


def phone_key(phone: str) -> str:
    """A phone number as a counter key: its blind index, never the number in clear."""
    return blind_index(phone, "ratelimit-phone")
