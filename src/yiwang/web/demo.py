"""Demo accounts for the home page (demo mode only)."""

from __future__ import annotations

from collections import OrderedDict


def demo_accounts_by_role() -> "OrderedDict[str, list[dict]]":
    from yiwang.accounts.models import Role
    from yiwang.core.demo.accounts import demo_accounts

    grouped: OrderedDict[str, list[dict]] = OrderedDict((str(label), []) for _, label in Role.choices)
    labels = dict(Role.choices)
    for account in demo_accounts():
        grouped[str(labels.get(account["role"], account["role"]))].append(account)
    return OrderedDict((k, v) for k, v in grouped.items() if v)
