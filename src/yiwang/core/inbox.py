"""The staff inbox (``GET /api/v1/inbox``): what waits for the caller's department, from every app.

Apps stay apart: each app that has work for departments declares a provider in its ``inbox.py``::

    from yiwang.core.inbox import provider

    @provider("case")
    def items(actor, limit): ...   # the actor's items, most urgent first, at most ``limit``

An item is a dict with at least ``kind``, ``number``, ``title``, ``department``, ``due_at``,
``light``, ``link`` (the web page), and ``actions`` (``[{"action", "label", "url"}]``: POST
``{"action": …}`` to ``url``). Each provider scopes its items with its own selectors; this module
only merges them, most urgent first.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

_providers: dict[str, Callable] = {}
_discovered = False
_lock = threading.Lock()

#: Rank of the lights when two items are due at the same moment (red first).
LIGHT_RANK = {"red": 0, "yellow": 1, "green": 2, "paused": 3}


def provider(kind: str):
    """Register ``fn(actor, limit) -> list[dict]`` as the source of one kind of inbox item."""

    def register(fn):
        _providers[kind] = fn
        return fn

    return register


def kinds() -> list[str]:
    global _discovered
    if not _discovered:
        with _lock:
            if not _discovered:
                from django.utils.module_loading import autodiscover_modules

                autodiscover_modules("inbox")
                _discovered = True
    return sorted(_providers)


def sort_key(item: dict):
    """Earliest deadline first, items without one last; then the worse light; then by number."""
    due = item.get("due_at")
    return (due is None, due.timestamp() if due else 0, LIGHT_RANK.get(item.get("light") or "", 9),
            item["kind"], item["number"])


def items_for(actor, *, kinds_wanted: list[str] | None = None, limit: int = 500) -> list[dict]:
    """Every provider's items for ``actor`` (or only ``kinds_wanted``), merged and sorted."""
    out: list[dict] = []
    for kind in kinds():
        if kinds_wanted is None or kind in kinds_wanted:
            out.extend(_providers[kind](actor, limit))
    out.sort(key=sort_key)
    return out[:limit]
