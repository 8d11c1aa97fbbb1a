"""The demo logins, read from the database: every demo staff member, a few citizens and a few
enterprises. Used by ``manage.py demo_accounts`` and by the home page in demo mode (cached 60 s).

Each entry is ``{role, login, password, department, name}``; enterprise entries add ``agent`` (the ID
number of the person signing in for it), staff entries add ``totp_secret`` (base32) and ``otp_uri``.
"""

from __future__ import annotations

from base64 import b32encode

from . import DEMO_PASSWORD

CACHE_KEY = "yiwang:demo:accounts:v1"
CACHE_SECONDS = 60


def forget_cached_accounts() -> None:
    try:
        from django.core.cache import cache

        cache.delete(CACHE_KEY)
    except Exception:  # noqa: BLE001 - no cache table yet: nothing cached either
        pass


def demo_accounts(*, use_cache: bool = True) -> list[dict]:
    """The demo logins; an empty list when the demo district has not been loaded."""
    if use_cache:
        try:
            from django.core.cache import cache

            cached = cache.get(CACHE_KEY)
        except Exception:  # noqa: BLE001
            cached = None
        if cached is not None:
            return [dict(a) for a in cached]
    accounts = _read_accounts()
    if use_cache:
        try:
            cache.set(CACHE_KEY, accounts, CACHE_SECONDS)
        except Exception:  # noqa: BLE001
            pass
    return accounts


def _read_accounts() -> list[dict]:
    return _citizens() + _enterprises() + _staff()


def _citizens() -> list[dict]:
    from yiwang.accounts.models import User

    from .people import FEATURED_CITIZENS, citizens

    usernames = [c.username for c in citizens()[:FEATURED_CITIZENS]]
    users = {u.username: u for u in User.objects.filter(username__in=usernames, kind=User.Kind.CITIZEN, is_active=True)}
    return [
        {"role": "citizen", "login": users[n].id_number, "password": DEMO_PASSWORD, "department": "",
         "name": users[n].name}
        for n in usernames
        if n in users and users[n].id_number
    ]


def _enterprises() -> list[dict]:
    from yiwang.accounts.models import Enterprise, EnterpriseMember
    from yiwang.core.crypto import blind_index

    from .enterprises import enterprises

    featured = [e for e in enterprises() if e.featured]
    found = {e.uscc: e for e in Enterprise.objects.filter(uscc__in=[e.uscc for e in featured], is_active=True)}
    members = EnterpriseMember.objects.filter(enterprise__in=found.values()).select_related("user")
    by_key = {(m.enterprise_id, m.user.id_number_bidx): m for m in members}
    out = []
    for spec in featured:
        enterprise = found.get(spec.uscc)
        if enterprise is None:
            continue
        person = spec.agent or spec.legal_rep
        member = by_key.get((enterprise.pk, blind_index(person.id_number, "resident_id")))
        if member is None or not member.is_current() or not member.user.is_active:
            continue
        out.append({"role": "enterprise_agent", "login": enterprise.uscc, "password": DEMO_PASSWORD,
                    "department": enterprise.name, "name": member.user.name, "agent": member.user.id_number})
    return out


def _staff() -> list[dict]:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from yiwang.accounts.models import Role, RoleAssignment, User

    from .orgs import staff

    order = {s.username: i for i, s in enumerate(staff())}
    assignments = list(
        RoleAssignment.objects.filter(user__username__in=order, user__kind=User.Kind.STAFF, user__is_active=True)
        .select_related("user", "department", "place")
    )
    devices = {
        d.user_id: d
        for d in TOTPDevice.objects.filter(user_id__in={a.user_id for a in assignments}, confirmed=True)
        .select_related("user").order_by("-id")  # first device wins, as at login
        if d.user_id
    }
    role_order = {value: i for i, (value, _label) in enumerate(Role.choices)}
    assignments.sort(key=lambda a: (role_order.get(a.role, 99), order[a.user.username]))
    out = []
    for a in assignments:
        device = devices.get(a.user_id)
        if device is None:
            continue  # cannot sign in without a second factor: not a usable demo login
        out.append({"role": a.role, "login": a.user.username, "password": DEMO_PASSWORD, "department": str(a.unit),
                    "name": a.user.name, "totp_secret": b32encode(device.bin_key).decode(),
                    "otp_uri": device.config_url})
    return out
