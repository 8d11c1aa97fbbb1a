"""Running test code in real threads at the same moment (races on claims, keys, slots)."""

from __future__ import annotations

import threading

from django.db import connections


def in_threads(n: int, fn) -> list:
    """Run ``fn(i)`` in n threads released together; return the results (exceptions re-raised).
    Each thread closes its own database connections when done."""
    barrier = threading.Barrier(n)
    results: list = [None] * n
    errors: list = []

    def run(i):
        try:
            barrier.wait(timeout=10)
            results[i] = fn(i)
        except Exception as exc:  # noqa: BLE001 - re-raised below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    if errors:
        raise errors[0]
    return results
