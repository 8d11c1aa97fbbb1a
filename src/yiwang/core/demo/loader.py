"""Load the demo district into the database: idempotent (a second run creates nothing) and fast.

Every row is keyed on something stable — division/department/place codes, (place, window number),
the ID-number blind index, USCCs, usernames — and only what is missing is created, in bulk. Rows
that exist are left as they are (an admin may have edited them). All demo accounts share one
password hash, computed once.
"""

from __future__ import annotations

import hashlib
import hmac
import io
from datetime import date, timedelta

from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from yiwang.core import audit
from yiwang.core.crypto import blind_index

from . import CITY, DEMO_PASSWORD, DISTRICT, PROVINCE
from .enterprises import enterprises
from .geo import STREETS
from .orgs import departments, places, staff
from .people import citizens

TOTP_DEVICE_NAME = "演示动态口令"


def demo_totp_key(username: str) -> str:
    """A fixed TOTP secret per demo username (hex, 20 bytes), so printed secrets survive re-runs."""
    return hmac.new(b"yiwang-demo", username.encode(), hashlib.sha1).hexdigest()


def agent_valid_until(today: date | None = None) -> date:
    today = today or timezone.localdate()
    return date(today.year + 3, 12, 31)


class _Loader:
    def __init__(self, stdout=None):
        self.stdout = stdout
        self.counts: dict[str, dict[str, int]] = {}
        self._password: str | None = None

    # -- helpers ---------------------------------------------------------------------------------
    @property
    def password(self) -> str:
        if self._password is None:
            self._password = make_password(DEMO_PASSWORD)
        return self._password

    def _count(self, key: str, created: int, existing: int) -> None:
        self.counts[key] = {"created": created, "existing": existing}
        if self.stdout is not None:
            self.stdout.write(f"  {key}: {created} created, {existing} existing\n")

    # -- organisations ---------------------------------------------------------------------------
    def divisions(self):
        from yiwang.core.models import Division

        specs = [
            (PROVINCE[0], PROVINCE[1], "province", None),
            (CITY[0], CITY[1], "city", PROVINCE[0]),
            (DISTRICT[0], DISTRICT[1], "district", CITY[0]),
        ]
        for street in STREETS:
            specs.append((street.code, street.name, "street", DISTRICT[0]))
            specs += [(c.code, c.name, "community", street.code) for c in street.communities]
        codes = [s[0] for s in specs]
        existing = set(Division.objects.filter(code__in=codes).values_list("code", flat=True))
        new = []
        for code, name, level, parent in specs:
            if code in existing:
                continue
            row = Division(code=code, name=name, level=level, parent_id=parent)
            row.full_clean(exclude=["parent"], validate_unique=False)  # parents may be in this batch
            new.append(row)
        Division.objects.bulk_create(new)  # parents come first in the list
        self._count("divisions", len(new), len(existing))
        self.division = Division.objects.in_bulk(codes)

    def departments(self):
        from yiwang.core.models import Department

        specs = departments()
        existing = set(Department.objects.filter(code__in=[d.code for d in specs]).values_list("code", flat=True))
        new = []
        for d in specs:
            if d.code in existing:
                continue
            row = Department(code=d.code, name=d.name, short_name=d.short_name, uscc=d.uscc, kind=d.kind,
                             division=self.division[d.division], phone=d.phone, address=d.address)
            row.full_clean(validate_unique=False)
            new.append(row)
        Department.objects.bulk_create(new)
        self._count("departments", len(new), len(existing))
        self.department = {d.code: d for d in Department.objects.filter(code__in=[s.code for s in specs])}

    def places(self):
        from yiwang.core.models import Counter, ServicePlace

        specs = places()
        codes = [p.code for p in specs]
        existing = set(ServicePlace.objects.filter(code__in=codes).values_list("code", flat=True))
        new = []
        for p in specs:
            if p.code in existing:
                continue
            row = ServicePlace(code=p.code, name=p.name, tier=p.tier, division=self.division[p.division],
                               address=p.address, hours=p.hours, phone=p.phone)
            row.full_clean(validate_unique=False)
            new.append(row)
        ServicePlace.objects.bulk_create(new)
        self._count("service_places", len(new), len(existing))
        self.place = {p.code: p for p in ServicePlace.objects.filter(code__in=codes)}

        # Departments present at each place (进驻部门).
        Through = ServicePlace.departments.through
        place_ids = [p.pk for p in self.place.values()]
        have = set(Through.objects.filter(serviceplace_id__in=place_ids).values_list("serviceplace_id", "department_id"))
        wanted = [
            (self.place[p.code].pk, self.department[code].pk)
            for p in specs
            for code in p.departments
            if code in self.department
        ]
        links = [Through(serviceplace_id=pid, department_id=did) for pid, did in wanted if (pid, did) not in have]
        Through.objects.bulk_create(links)
        self._count("place_departments", len(links), len(wanted) - len(links))

        have = set(Counter.objects.filter(place_id__in=place_ids).values_list("place_id", "number"))
        counters, existing_n = [], 0
        for p in specs:
            place = self.place[p.code]
            for number, name, kind, dept in p.counters:
                if (place.pk, number) in have:
                    existing_n += 1
                    continue
                counters.append(Counter(place=place, number=number, name=name, kind=kind,
                                        department=self.department.get(dept) if dept else None))
        Counter.objects.bulk_create(counters)
        self._count("counters", len(counters), existing_n)

    # -- people ----------------------------------------------------------------------------------
    def citizens(self):
        from yiwang.accounts.models import User

        specs = citizens()
        bidx = {s.id_number: blind_index(s.id_number, "resident_id") for s in specs}
        have_bidx = set(User.objects.filter(id_number_bidx__in=bidx.values()).values_list("id_number_bidx", flat=True))
        have_names = set(User.objects.filter(username__in=[s.username for s in specs]).values_list("username", flat=True))
        new = []
        for s in specs:
            if bidx[s.id_number] in have_bidx or s.username in have_names:
                continue
            # bulk_create skips User.save(): set the blind indexes and the derived fields here.
            new.append(User(
                username=s.username, kind=User.Kind.CITIZEN, name=s.name, password=self.password,
                id_number=s.id_number, id_number_bidx=bidx[s.id_number],
                phone=s.phone, phone_bidx=blind_index(s.phone, "phone"),
                gender=s.gender, birth_date=s.birth_date, address=s.address,
                division=self.division[s.division],
            ))
        User.objects.bulk_create(new, batch_size=250)
        self._count("citizens", len(new), len(specs) - len(new))
        by_bidx = dict(User.objects.filter(id_number_bidx__in=bidx.values()).values_list("id_number_bidx", "id"))
        self.person = {number: by_bidx[b] for number, b in bidx.items() if b in by_bidx}

    def enterprises(self):
        from yiwang.accounts.models import Enterprise, EnterpriseMember

        specs = enterprises()
        usccs = [e.uscc for e in specs]
        have = set(Enterprise.objects.filter(uscc__in=usccs).values_list("uscc", flat=True))
        new = [
            Enterprise(uscc=e.uscc, name=e.name, subject_type=e.subject_type,
                       legal_representative=e.legal_rep.name, address=e.address,
                       division=self.division[e.community.code], established=e.established,
                       business_scope=e.business_scope, registered_capital=e.registered_capital)
            for e in specs
            if e.uscc not in have
        ]
        Enterprise.objects.bulk_create(new)
        self._count("enterprises", len(new), len(have))

        ids = dict(Enterprise.objects.filter(uscc__in=usccs).values_list("uscc", "id"))
        have_members = set(EnterpriseMember.objects.filter(enterprise_id__in=ids.values())
                           .values_list("enterprise_id", "user_id"))
        today = timezone.localdate()
        members, wanted = [], 0
        for e in specs:
            rows = [(e.legal_rep, EnterpriseMember.Kind.LEGAL_REP, None)]
            if e.agent:
                until = today - timedelta(days=30) if e.agent_expired else agent_valid_until(today)
                rows.append((e.agent, EnterpriseMember.Kind.AGENT, until))
            for person, kind, until in rows:
                user_id = self.person.get(person.id_number)
                if user_id is None:
                    continue
                wanted += 1
                if (ids[e.uscc], user_id) in have_members:
                    continue
                members.append(EnterpriseMember(enterprise_id=ids[e.uscc], user_id=user_id, kind=kind,
                                                valid_until=until))
        EnterpriseMember.objects.bulk_create(members)
        self._count("enterprise_members", len(members), wanted - len(members))

    def staff(self):
        from django_otp.plugins.otp_totp.models import TOTPDevice

        from yiwang.accounts.models import RoleAssignment, User

        specs = staff()
        usernames = [s.username for s in specs]
        have = set(User.objects.filter(username__in=usernames).values_list("username", flat=True))
        new = [
            User(username=s.username, kind=User.Kind.STAFF, name=s.name, password=self.password,
                 is_staff=s.is_admin, is_superuser=s.is_admin)
            for s in specs
            if s.username not in have
        ]
        User.objects.bulk_create(new, batch_size=250)
        self._count("staff", len(new), len(have))
        user_ids = dict(User.objects.filter(username__in=usernames, kind=User.Kind.STAFF).values_list("username", "id"))

        have_roles = set(RoleAssignment.objects.filter(user_id__in=user_ids.values())
                         .values_list("user_id", "role", "department_id", "place_id"))
        roles, wanted = [], 0
        for s in specs:
            if s.username not in user_ids:
                continue  # the username belongs to a citizen account: leave it alone
            unit = (self.department if s.unit_scope == "department" else self.place).get(s.unit_code)
            if unit is None:
                continue
            wanted += 1
            dept_id = unit.pk if s.unit_scope == "department" else None
            place_id = unit.pk if s.unit_scope == "place" else None
            if (user_ids[s.username], s.role, dept_id, place_id) in have_roles:
                continue
            row = RoleAssignment(user_id=user_ids[s.username], role=s.role, department_id=dept_id, place_id=place_id)
            row.clean()
            roles.append(row)
        RoleAssignment.objects.bulk_create(roles)
        self._count("role_assignments", len(roles), wanted - len(roles))

        with_device = set(TOTPDevice.objects.filter(user_id__in=user_ids.values()).values_list("user_id", flat=True))
        devices = [
            TOTPDevice(user_id=uid, name=TOTP_DEVICE_NAME, key=demo_totp_key(username), confirmed=True)
            for username, uid in user_ids.items()
            if uid not in with_device
        ]
        TOTPDevice.objects.bulk_create(devices)
        self._count("totp_devices", len(devices), len(with_device))

    def run(self) -> dict[str, dict[str, int]]:
        self.divisions()
        self.departments()
        self.places()
        self.citizens()
        self.enterprises()
        self.staff()
        if any(c["created"] for c in self.counts.values()):
            audit.record("demo.loaded", ("demo", "yunxi"), data=self.counts, role="system")
        return self.counts


def load_demo(stdout=None) -> dict[str, dict[str, int]]:
    """Load (or complete) the demo district. Returns ``{what: {"created": n, "existing": m}}``."""
    call_command("seed_calendar", verbosity=0, stdout=io.StringIO())
    with transaction.atomic():
        counts = _Loader(stdout).run()
    from .accounts import forget_cached_accounts

    forget_cached_accounts()
    return counts
