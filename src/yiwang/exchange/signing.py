"""Signed service-to-service requests for the exchange gateway (HMAC-SHA256, one key per client).

A caller sends four headers::

    X-Exchange-Key:        <client key id>
    X-Exchange-Timestamp:  <Unix time, seconds>
    X-Exchange-Nonce:      <16–64 characters [A-Za-z0-9_-], never reused>
    X-Exchange-Signature:  <hex HMAC-SHA256(secret, canonical string)>

where the canonical string is the lines ``METHOD``, ``path with query``, ``timestamp``, ``nonce`` and
``hex SHA-256 of the body``, joined by ``\\n``. The gateway accepts a timestamp within
``EXCHANGE_SIGNATURE_WINDOW`` seconds (default 300) of its clock and remembers each nonce for that
long, so a captured request cannot be replayed, and the body cannot be altered in transit.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time

HEADER_KEY = "X-Exchange-Key"
HEADER_TIMESTAMP = "X-Exchange-Timestamp"
HEADER_NONCE = "X-Exchange-Nonce"
HEADER_SIGNATURE = "X-Exchange-Signature"
NONCE_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def canonical(method: str, path: str, timestamp: str, nonce: str, body: bytes) -> bytes:
    return "\n".join([method.upper(), path, timestamp, nonce, hashlib.sha256(body or b"").hexdigest()]).encode()


def signature(secret: str, method: str, path: str, timestamp: str, nonce: str, body: bytes) -> str:
    return hmac.new(secret.encode(), canonical(method, path, timestamp, nonce, body), hashlib.sha256).hexdigest()


def sign(key_id: str, secret: str, method: str, path: str, body: bytes = b"", *, timestamp: int | None = None,
         nonce: str | None = None) -> dict[str, str]:
    """The headers for one request (what a department's system does before each call)."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    nonce = nonce or secrets.token_urlsafe(24)
    return {
        HEADER_KEY: key_id,
        HEADER_TIMESTAMP: ts,
        HEADER_NONCE: nonce,
        HEADER_SIGNATURE: signature(secret, method, path, ts, nonce, body),
    }


def new_secret() -> str:
    return secrets.token_urlsafe(32)
