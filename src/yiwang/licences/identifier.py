"""Electronic licence identifiers (电子证照标识), GB/T 36904-2018.

    1.2.156.3005.2.<licence type code>.<issuer USCC>.<serial>.<version, 3 digits>.<check>

The check character is ISO/IEC 7064 MOD 37,36 (the hybrid system over 0-9A-Z) computed over the
four middle parts joined without dots: type code + issuer code + serial + version.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PREFIX = "1.2.156.3005.2"
ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_PART = re.compile(r"^[0-9A-Z]+$")


def mod_37_36_check(text: str) -> str:
    """ISO/IEC 7064 MOD 37,36 check character (M = 36)."""
    m = 36
    p = m
    for ch in text.upper():
        s = (p + ALPHABET.index(ch)) % m or m
        p = (s * 2) % (m + 1)
    return ALPHABET[(m + 1 - p) % m]


def mod_37_36_valid(text_with_check: str) -> bool:
    text = text_with_check.upper()
    return len(text) > 1 and all(c in ALPHABET for c in text) and mod_37_36_check(text[:-1]) == text[-1]


@dataclass(frozen=True)
class Identifier:
    type_code: str
    issuer_code: str
    serial: str
    version: int
    check: str

    def __str__(self) -> str:
        return f"{PREFIX}.{self.type_code}.{self.issuer_code}.{self.serial}.{self.version:03d}.{self.check}"


def build(type_code: str, issuer_code: str, serial: str, version: int = 1) -> Identifier:
    parts = [type_code.upper(), issuer_code.upper(), serial.upper()]
    for part in parts:
        if not _PART.match(part):
            raise ValueError(f"identifier parts must be 0-9A-Z: {part!r}")
    if not 0 < version < 1000:
        raise ValueError("version must be 1..999")
    body = "".join(parts) + f"{version:03d}"
    return Identifier(parts[0], parts[1], parts[2], version, mod_37_36_check(body))


def parse(text: str) -> Identifier | None:
    """The identifier's parts if it is well-formed and its check character is right, else None."""
    text = (text or "").strip().upper()
    if not text.startswith(PREFIX + "."):
        return None
    parts = text[len(PREFIX) + 1:].split(".")
    if len(parts) != 5:
        return None
    type_code, issuer, serial, version, check = parts
    if not all(_PART.match(p) for p in (type_code, issuer, serial)) or not re.fullmatch(r"\d{3}", version):
        return None
    if len(check) != 1 or mod_37_36_check(type_code + issuer + serial + version) != check:
        return None
    return Identifier(type_code, issuer, serial, int(version), check)
