"""Actors for the authorization matrix: one per role, each logged in through the real login paths
(POST /api/v1/auth/token for bearer tokens, the web sign-in forms for browser sessions)."""

from __future__ import annotations

import pytest
from django.test import Client

PASSWORD = "Yiwang#2026"  # the shared fixtures' password (tests/conftest.py)
_SEQ = {"n": 500}


def next_id_number(division: str = "320104") -> str:
    from datetime import date

    from yiwang.core.identity import make_resident_id

    _SEQ["n"] += 2
    return make_resident_id(division, date(1979, 6, 30), _SEQ["n"] % 1000)

ROLES = [
    "anonymous",
    "citizen",
    "enterprise_agent",
    "clerk",
    "reviewer",
    "dept_head",
    "hotline_operator",
    "handler",
    "grid_worker",
    "supervisor",
    "data_steward",
    "editor",
    "platform_admin",
]
STAFF_ROLES = ROLES[3:]
AUTHENTICATED = ROLES[1:]

#: People outside the scope of the objects a row acts on: the base role each holds, and where.
#: The rows of person- or department-scoped apps (cases, inbox, hotline, grid, Open311) name each
#: of them too: another applicant, the same roles in another department (民政局, while the
#: objects belong to 市场监管局), and a grid worker of another grid at the community station.
OUTSIDERS = {
    "other_citizen": ("citizen", None),
    "other_reviewer": ("reviewer", "other_dept"),
    "other_handler": ("handler", "other_dept"),
    "other_dept_head": ("dept_head", "other_dept"),
    "other_grid_worker": ("grid_worker", "station"),
}


def base_role(role: str) -> str:
    """The role an actor of the matrix holds (an outsider holds the same role elsewhere)."""
    return OUTSIDERS[role][0] if role in OUTSIDERS else role


def totp_at(device, offset: int = 0) -> str:
    """The code an authenticator app shows ``offset`` time steps from now."""
    import time

    from django_otp.oath import TOTP

    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, 0)
    totp.time = time.time() + offset * device.step
    return f"{totp.token():0{device.digits}d}"


class World:
    """Builds actors lazily, so a test case only pays for the people it needs."""

    def __init__(self, org, make_citizen, make_staff):
        self.org = org
        self._make_citizen = make_citizen
        self._make_staff = make_staff
        self._users: dict = {}
        self._tokens: dict = {}
        self._clients: dict = {}
        self._subject = None
        self.enterprise = None

    # -- people --------------------------------------------------------------------------------
    def unit(self, role):
        """Where a staff role is held: the clerk at the district service centre, the rest in the
        market-regulation department; an outsider in the civil-affairs department (or, a grid
        worker, at the community station)."""
        if role in OUTSIDERS:
            return self.org[OUTSIDERS[role][1]] if OUTSIDERS[role][1] else None
        return self.org["centre"] if role == "clerk" else self.org["dept"]

    def user(self, role):
        if role == "anonymous":
            return None
        if role not in self._users:
            if role == "citizen":
                user = self._make_citizen(name="王芳", phone="13900139001")
            elif role == "other_citizen":
                user = self._make_citizen(name="李雷", phone="13900139003",
                                          id_number=next_id_number(division="320106"))
            elif role in OUTSIDERS:
                user = self._make_staff(base_role(role), self.unit(role), username=f"outsider_{base_role(role)}",
                                        name=f"外部{base_role(role)}")
            elif role == "enterprise_agent":
                user = self._make_enterprise_rep()
            else:
                user = self._make_staff(role, self.unit(role), name=f"测试{role}")
                if role == "platform_admin":
                    user.is_staff = True  # may enter /admin/ (with a verified second factor)
                    user.save(update_fields=["is_staff"])
            self._users[role] = user
        return self._users[role]

    def _make_enterprise_rep(self):
        from yiwang.accounts.models import Enterprise, EnterpriseMember
        from yiwang.core.identity import make_uscc

        rep = self._make_citizen(name="陈刚", phone="13900139002")
        self.enterprise = Enterprise.objects.create(
            uscc=make_uscc("91", "329002", "MA1XYK01"), name="云溪示范科技有限公司", legal_representative="陈刚"
        )
        EnterpriseMember.objects.create(enterprise=self.enterprise, user=rep, kind=EnterpriseMember.Kind.LEGAL_REP)
        return rep

    @property
    def subject(self):
        """A citizen other than every actor: the person looked up and revealed."""
        if self._subject is None:
            self._subject = self._make_citizen(name="赵敏", phone="13700137000",
                                               id_number=next_id_number(division="320104"))
        return self._subject

    def credentials(self, role) -> dict:
        user = self.user(role)
        if base_role(role) == "citizen":
            return {"login": user.id_number, "password": PASSWORD}
        if role == "enterprise_agent":
            return {"login": self.enterprise.uscc, "password": PASSWORD}
        return {"login": user.username, "password": PASSWORD, "otp": self.otp(role)}

    def otp(self, role) -> str:
        """A TOTP code the device has not accepted yet: django-otp refuses a time step already used,
        so a second login within the same 30 s uses the next step's code (within its tolerance)."""
        self._otp_uses = getattr(self, "_otp_uses", {})
        offset = self._otp_uses.get(role, 0)
        self._otp_uses[role] = offset + 1
        assert offset <= 1, "at most two logins per staff actor and test"
        return totp_at(self.user(role).device, offset)

    # -- channels ------------------------------------------------------------------------------
    def token(self, role) -> str | None:
        """A bearer token through POST /api/v1/auth/token (uses the staff member's current TOTP)."""
        if role == "anonymous":
            return None
        if role not in self._tokens:
            r = Client().post("/api/v1/auth/token", self.credentials(role), content_type="application/json")
            assert r.status_code == 200, (role, r.content)
            assert r.json()["role"] == base_role(role)
            self._tokens[role] = r.json()["token"]
        return self._tokens[role]

    def auth_headers(self, role) -> dict:
        token = self.token(role)
        return {"Authorization": f"Bearer {token}"} if token else {}

    def web(self, role) -> Client:
        """A browser session signed in through the role's web form."""
        if role not in self._clients:
            client = Client()
            if role != "anonymous":
                user = self.user(role)
                if base_role(role) == "citizen":
                    r = client.post("/accounts/login/", {"id_number": user.id_number, "method": "password",
                                                         "password": PASSWORD})
                elif role == "enterprise_agent":
                    r = client.post("/accounts/login/enterprise/", {"uscc": self.enterprise.uscc,
                                                                    "agent": user.id_number, "password": PASSWORD})
                else:
                    r = client.post("/accounts/login/staff/", {"username": user.username, "password": PASSWORD,
                                                               "otp": self.otp(role)})
                assert r.status_code == 302, (role, r.status_code, r.content[:2000])
            self._clients[role] = client
        return self._clients[role]


@pytest.fixture
def world(org, make_citizen, make_staff):
    return World(org, make_citizen, make_staff)
