"""Personal data at rest: AES-256-GCM field encryption and HMAC-SHA256 blind indexes.

Ciphertext format: ``v1:<key id>:<base64(nonce ‖ ciphertext ‖ tag)>``. The first key in
``FIELD_ENCRYPTION_KEYS`` encrypts; every listed key decrypts, so keys can be rotated by adding a new
one in front and re-saving rows (``manage.py rotate_field_keys``). The blind index lets the platform
find a person by ID number or phone without storing the value in clear: it is a keyed HMAC of the
normalised value, so it cannot be reversed by hashing candidate numbers without the key.
See docs/decisions/0004-personal-data-encryption.md.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from functools import lru_cache

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.db import models

PREFIX = "v1"


class DecryptionError(Exception):
    pass


@lru_cache(maxsize=4)
def _keys(spec: str) -> tuple[str, dict[str, bytes]]:
    keys: dict[str, bytes] = {}
    first = ""
    for part in spec.split(","):
        kid, _, b64 = part.strip().partition(":")
        raw = base64.b64decode(b64)
        if len(raw) != 32:
            raise ValueError(f"field encryption key {kid!r} must be 32 bytes")
        keys[kid] = raw
        first = first or kid
    return first, keys


def encrypt(plaintext: str) -> str:
    kid, keys = _keys(settings.FIELD_ENCRYPTION_KEYS)
    nonce = os.urandom(12)
    ct = AESGCM(keys[kid]).encrypt(nonce, plaintext.encode(), kid.encode())
    return f"{PREFIX}:{kid}:{base64.b64encode(nonce + ct).decode()}"


def decrypt(token: str) -> str:
    try:
        prefix, kid, b64 = token.split(":", 2)
        if prefix != PREFIX:
            raise ValueError("unknown format")
        _, keys = _keys(settings.FIELD_ENCRYPTION_KEYS)
        blob = base64.b64decode(b64)
        return AESGCM(keys[kid]).decrypt(blob[:12], blob[12:], kid.encode()).decode()
    except Exception as exc:  # noqa: BLE001 - one clear error for every way it can fail
        raise DecryptionError("cannot decrypt personal data field") from exc


def current_key_id() -> str:
    return _keys(settings.FIELD_ENCRYPTION_KEYS)[0]


def blind_index(value: str, purpose: str) -> str:
    """Keyed, deterministic index of a normalised value (purpose separates ID numbers from phones)."""
    key = base64.b64decode(settings.BLIND_INDEX_KEY)
    normalised = value.strip().upper().replace(" ", "")
    return hmac.new(key, f"{purpose}:{normalised}".encode(), hashlib.sha256).hexdigest()[:40]


class EncryptedTextField(models.TextField):
    """A text field stored encrypted. Reads return plaintext; the column never holds it.

    It cannot be filtered on: look rows up through the blind index column beside it.
    """

    description = "Encrypted text (AES-GCM)"

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return decrypt(value)

    def to_python(self, value):
        if value is None or value == "" or not isinstance(value, str) or not value.startswith(PREFIX + ":"):
            return value
        return decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(str(value))

    def get_lookup(self, lookup_name):
        if lookup_name not in ("isnull",):
            raise TypeError("encrypted fields cannot be filtered; use the blind index")
        return super().get_lookup(lookup_name)
