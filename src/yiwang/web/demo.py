"""Demo accounts for the home page (demo mode only)."""

from __future__ import annotations

from base64 import b32decode
from dataclasses import dataclass, field


@dataclass
class DemoGroup:
    role: str
    label: str
    accounts: list[dict] = field(default_factory=list)

    @property
    def has_otp(self) -> bool:
        return any(a.get("totp_secret") for a in self.accounts)


def current_totp(secret_b32: str) -> str:
    """The code an authenticator app shows now for this demo secret (30 s steps, 6 digits)."""
    from django_otp.oath import TOTP

    try:
        key = b32decode(secret_b32.upper() + "=" * (-len(secret_b32) % 8))
    except (ValueError, TypeError):
        return ""
    return f"{TOTP(key).token():06d}"


def demo_accounts_by_role() -> list[DemoGroup]:
    """The demo logins grouped by role, in the order of ``Role``; empty before ``load_demo``."""
    from yiwang.accounts.models import Role
    from yiwang.core.demo.accounts import demo_accounts

    groups = {value: DemoGroup(value, str(label)) for value, label in Role.choices}
    for account in demo_accounts():
        account = dict(account)
        if account.get("totp_secret"):
            account["otp_now"] = current_totp(account["totp_secret"])
        group = groups.setdefault(account["role"], DemoGroup(account["role"], account["role"]))
        group.accounts.append(account)
    return [g for g in groups.values() if g.accounts]
