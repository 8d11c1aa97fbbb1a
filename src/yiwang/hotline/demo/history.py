"""A year of 12345 history for the demo district: ≥ 5,000 work orders with varied Chinese texts,
every channel, every state, realistic seasons (water outages in summer, heating in winter, school
enrolment in spring) and a hot topic this week, with their full history, callbacks, supervisions,
returns and re-dispatches, photos of grid incidents and their fixes.

:func:`generate` is pure and deterministic for a given ``today`` (texts, places, states, offsets);
:func:`load` writes it in bulk (a few seconds) and is idempotent.
"""

from __future__ import annotations

import base64
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.utils import timezone

from yiwang.core.demo.geo import STREETS
from yiwang.core.demo.people import NameMaker

from . import texts as T
from .categories import TREE, street_office_for

DEFAULT_COUNT = 5200
SEED = "yiwang-demo-hotline"
DEMO_MARK = "demo:"  # external_id prefix of generated orders

WEIGHTS = {
    "CG01": 5, "CG02": 3, "CG03": 5, "CG04": 2, "CG05": 3, "CG06": 2, "CG07": 3, "CG08": 6,
    "JS01": 4, "JS02": 2, "JS03": 3, "JS04": 7, "JS05": 2, "JS06": 1.5, "JS07": 1.5,
    "GY01": 4, "GY02": 3, "GY03": 1.5, "GY04": 0.8,
    "HB01": 6, "HB02": 2.5, "HB03": 1,
    "SC01": 4, "SC02": 5, "SC03": 1.5, "SC04": 1, "SC05": 2,
    "LD01": 4, "LD02": 3, "LD03": 1.5, "LD04": 2,
    "JY01": 3.5, "JY02": 1.5, "JY03": 2,
    "ZF01": 7, "ZF02": 3, "ZF03": 2,
    "MZ01": 2, "MZ02": 1.5, "MZ03": 1, "MZ04": 0.5,
    "WS01": 2, "WS02": 1, "GA01": 2, "GA02": 2.5, "GA03": 2,
    "AQ01": 2.5, "AQ02": 1, "NY01": 1, "SW01": 1, "SQ01": 3, "QT01": 2,
}
GRID_CATEGORIES = {"CG01", "CG02", "CG03", "CG04", "CG05", "CG06", "CG07", "JS01", "JS02", "JS03", "JS04", "AQ01",
                   "HB02", "SQ01", "GA03"}
KIND = {"c": "complaint", "h": "help", "q": "consult", "r": "report", "s": "suggestion"}
#: A plausible wrong first dispatch (then returned and re-dispatched), by category group.
WRONG_FIRST = {"CG": "YX-SCJG", "JS": "YX-CG", "GY": "YX-ZJ", "HB": "YX-CG", "SC": "YX-CG", "LD": "YX-SCJG",
               "JY": "YX-RS", "ZF": "YX-CG", "MZ": "YX-RS", "WS": "YX-SCJG", "GA": "YX-CG", "AQ": "YX-CG",
               "NY": "YX-STHJ", "SW": "YX-SCJG", "SQ": "YX-ZJ", "QT": "YX-SCJG"}

FIX_JPEG = base64.b64decode(
    "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAA0JCgsKCA0LCgsODg0PEyAVExISEyccHhcgLikxMC4pLSwzOko+MzZGNywtQFdBRkxOUlNSMj5a"
    "YVpQYEpRUk//2wBDAQ4ODhMREyYVFSZPNS01T09PT09PT09PT09PT09PT09PT09PT09PT09PT09PT09PT09PT09PT09PT09PT09PT0//wAAR"
    "CAAYACADASIAAhEBAxEB/8QAHwAAAQUBAQEBAQEAAAAAAAAAAAECAwQFBgcICQoL/8QAtRAAAgEDAwIEAwUFBAQAAAF9AQIDAAQRBRIhMUEG"
    "E1FhByJxFDKBkaEII0KxwRVS0fAkM2JyggkKFhcYGRolJicoKSo0NTY3ODk6Q0RFRkdISUpTVFVWV1hZWmNkZWZnaGlqc3R1dnd4eXqDhIWG"
    "h4iJipKTlJWWl5iZmqKjpKWmp6ipqrKztLW2t7i5usLDxMXGx8jJytLT1NXW19jZ2uHi4+Tl5ufo6erx8vP09fb3+Pn6/8QAHwEAAwEBAQEB"
    "AQEBAQAAAAAAAAECAwQFBgcICQoL/8QAtREAAgECBAQDBAcFBAQAAQJ3AAECAxEEBSExBhJBUQdhcRMiMoEIFEKRobHBCSMzUvAVYnLRChYk"
    "NOEl8RcYGRomJygpKjU2Nzg5OkNERUZHSElKU1RVVldYWVpjZGVmZ2hpanN0dXZ3eHl6goOEhYaHiImKkpOUlZaXmJmaoqOkpaanqKmqsrO0"
    "tba3uLm6wsPExcbHyMnK0tPU1dbX2Nna4uPk5ebn6Onq8vP09fb3+Pn6/9oADAMBAAIRAxEAPwCzVn7Bdf8APL/x4f41Wro6yjG5hCKkYv2C"
    "6/55f+PD/Gq7KUYqwwQcGuirBuf+PmX/AHz/ADolFIc4pEVXf7Tn/uR/kf8AGiipTaITa2D+05/7kf5H/GqjsXkZzjLEk4ooobbBtvc//9k=")


def department_of(category: str) -> str:
    for _g, _n, leaves in TREE:
        for code, _name, dept, *_rest in leaves:
            if code == category:
                return dept
    raise KeyError(category)


def _season(code: str, month: int) -> float:
    if code == "GY01":
        return 1.8 if month in (6, 7, 8) else 1.0
    if code == "GY04":
        return 3.0 if month in (12, 1, 2) else 0.08
    if code == "JY01":
        return 2.5 if month in (3, 4, 5, 6, 7) else 0.5
    if code in ("HB01", "CG07", "CG08"):
        return 1.3 if month in (5, 6, 7, 8, 9) else 0.9
    if code == "LD01":
        return 2.2 if month in (12, 1) else 0.9
    return 1.0


@dataclass
class Spec:
    seq: int
    created_at: datetime
    category: str
    department: str
    kind: str
    channel: str
    text: str
    street: str
    community: str
    grid_code: str
    lat: float
    lng: float
    address: str
    caller_name: str
    caller_phone: str
    callback: str
    anonymous: bool
    urgency: str
    fate: str  # answered | void | closed | reopened_closed | escalated_closed | escalated | replied | in_progress |
    #            dispatched | returned | new | merged | self_resolved
    wrong_first: str | None = None
    assisting: list[str] = field(default_factory=list)
    satisfaction: str = "satisfied"
    late_reply: bool = False
    rng_state: int = 0


class _Filler:
    def __init__(self, rng: random.Random):
        self.rng = rng
        self.names = NameMaker(random.Random(SEED + "-names"))

    def fill(self, template: str, community, street) -> str:
        r = self.rng
        roads = list(community.roads) + [street.road]
        slots = {
            "road": r.choice(roads), "road2": r.choice([x for s in STREETS for c in s.communities for x in c.roads]),
            "estate": r.choice(community.estates) if not community.is_village else community.name + r.choice(
                community.estates),
            "community": community.name, "street": street.name,
            "bldg": r.choice([f"{r.randint(1, 28)}栋", f"{r.randint(1, 20)}号楼", f"{r.randint(1, 12)}幢"]),
            "time_night": r.choice(T.TIME_NIGHT), "time_evening": r.choice(T.TIME_EVENING),
            "dur": r.choice(T.DURATIONS), "shop": r.choice(T.SHOPS), "n": str(r.randint(1, 288)),
            "school": r.choice(T.SCHOOLS), "hospital": r.choice(T.HOSPITALS), "amount": r.choice(T.AMOUNTS),
            "months": r.choice(T.MONTHS), "bus": f"{r.randint(1, 120)}路",
            "plate": f"苏{r.choice('AGHJ')}·{r.choice(T.PLATE_LETTERS)}{r.randint(10000, 99999)}",
            "company": f"江东{r.choice(['恒远', '鑫隆', '瑞丰', '汇通', '德润', '锦程', '华瑞', '博远'])}"
                       f"{r.choice(['建筑工程有限公司', '商贸有限公司', '物流有限公司', '机械制造有限公司', '餐饮管理有限公司'])}",
            "tn": r.choice(["康民", "仁和", "益康", "百姓"]),
        }
        opener = r.choice(T.OPENERS).format(**slots)
        closer = r.choice(T.CLOSERS)
        return (opener + template.format(**slots) + closer).strip()


def generate(count: int = DEFAULT_COUNT, *, today: datetime | None = None) -> list[Spec]:
    """The demo history, oldest first. ``today`` anchors the year (default: now)."""
    from yiwang.grid.demo import grid_specs, sample_point

    rng = random.Random(SEED)
    filler = _Filler(rng)
    now = today or timezone.now()
    grids_by_comm: dict[str, list] = {}
    for g in grid_specs():
        grids_by_comm.setdefault(g.community, []).append(g)
    communities = [(s, c) for s in STREETS for c in s.communities]
    comm_weights = [0.6 if c.is_village else 1.0 for _s, c in communities]
    codes = list(WEIGHTS)
    specs = []
    for i in range(count):
        # when: a year back, fewer at weekends and at night; a cluster of water outages this week
        days_ago = rng.random() * 365
        created = now - timedelta(days=days_ago)
        local = timezone.localtime(created)
        hour = rng.choices(range(24), weights=[1, 1, 1, 1, 1, 2, 4, 8, 12, 14, 14, 12, 9, 10, 12, 12, 11, 10, 9, 8, 7,
                                               5, 3, 2])[0]
        created = local.replace(hour=hour, minute=rng.randrange(60), second=rng.randrange(60), microsecond=0)
        if created > now:
            created = now - timedelta(minutes=rng.randint(5, 600))
        if created.weekday() >= 5 and rng.random() < 0.3:
            created -= timedelta(days=created.weekday() - 4)
        created = max(created, now - timedelta(days=365))
        month = timezone.localtime(created).month
        weights = [WEIGHTS[c] * _season(c, month) for c in codes]
        recent = (now - created).days < 7
        if recent:
            weights[codes.index("GY01")] *= 4 if days_ago > 5 else 10  # this week's hot topic: 停水 (a burst main)
            weights[codes.index("HB01")] *= 1.6
        code = rng.choices(codes, weights=weights)[0]
        street, community = rng.choices(communities, weights=comm_weights)[0]
        if recent and code == "GY01" and rng.random() < 0.7:
            street = STREETS[0]
            community = rng.choice(street.communities)
        spike = recent and code == "GY01" and street.code == STREETS[0].code and days_ago < 5
        kind_letter, template = rng.choice(T.SPIKE if spike else T.TEMPLATES[code])
        kind = KIND[kind_letter]
        text = filler.fill(template, community, street)
        channel = rng.choices(["phone", "web", "mobile", "api", "grid", "open311", "rating"],
                              weights=[55, 11, 15, 5, 10 if code in GRID_CATEGORIES else 0, 3, 1 if code == "QT01" else 0])[0]
        if channel == "grid":
            kind = "report"
        grid = rng.choice(grids_by_comm[community.code])
        lng, lat = sample_point(grid, rng.random(), rng.random())
        has_coords = channel in ("grid", "open311", "mobile") or rng.random() < 0.55
        dept = department_of(code) or street_office_for(street.code)
        surname = filler.names.adult()[0][0]
        caller_name = surname + rng.choice(["先生", "女士"]) if channel == "phone" else ""
        phone = f"1{rng.choice('3578')}{rng.randint(0, 9)}{rng.randint(10000000, 99999999)}"
        anonymous = kind == "report" and channel in ("phone", "web", "mobile") and rng.random() < 0.35
        urgency = "urgent" if (code in ("GY02", "GY03", "AQ01", "AQ02", "JS02") and kind == "help" and rng.random() < 0.5
                               ) or rng.random() < 0.02 else "normal"
        age = (now - created).total_seconds() / 86400
        fate = _fate(rng, age, kind, channel)
        spec = Spec(
            seq=i, created_at=created, category=code, department=dept, kind=kind, channel=channel, text=text,
            street=street.code, community=community.code, grid_code=grid.code if has_coords else "",
            lat=lat if has_coords else None, lng=lng if has_coords else None,
            address=f"江东市云溪区{street.name}{rng.choice(community.roads)}{rng.randint(1, 200)}号",
            caller_name=caller_name, caller_phone=phone if channel in ("phone", "web", "mobile", "api") else "",
            callback=rng.choices(["phone", "sms", "none"], weights=[70, 25, 5])[0], anonymous=anonymous,
            urgency=urgency, fate=fate,
        )
        if fate not in ("new", "answered", "void", "self_resolved") and rng.random() < 0.06:
            wrong = WRONG_FIRST[code[:2]]
            spec.wrong_first = wrong if wrong != dept else "YX-ZJ"
        if rng.random() < 0.05 and code[:2] in ("CG", "JS", "HB", "ZF", "AQ"):
            spec.assisting = [rng.choice([d for d in ("YX-CG", "YX-ZJ", "YX-GA", "YX-STHJ", "YX-SCJG") if d != dept])]
        spec.satisfaction = rng.choices(["satisfied", "basic", "unsatisfied", "unreachable"], weights=[78, 14, 6, 2])[0]
        spec.late_reply = rng.random() < 0.08
        spec.rng_state = rng.randrange(1 << 30)
        specs.append(spec)
    specs.sort(key=lambda s: s.created_at)
    return specs


def _fate(rng: random.Random, age_days: float, kind: str, channel: str) -> str:
    if kind == "consult" and channel == "phone" and rng.random() < 0.65:
        return "answered" if age_days > 0.02 else "new"
    if channel == "grid" and rng.random() < 0.25:
        return "self_resolved"
    if rng.random() < 0.01:
        return "void" if channel == "phone" else "merged"
    if rng.random() < 0.02:
        return "merged"
    if age_days > 20:
        return rng.choices(["closed", "reopened_closed", "escalated_closed"], weights=[92, 6, 2])[0]
    if age_days > 6:
        return rng.choices(["closed", "reopened_closed", "replied", "in_progress", "escalated", "returned"],
                           weights=[70, 5, 10, 10, 2, 3])[0]
    if age_days > 1:
        return rng.choices(["closed", "replied", "in_progress", "dispatched", "returned", "new"],
                           weights=[25, 20, 30, 12, 5, 8])[0]
    return rng.choices(["new", "dispatched", "in_progress", "replied"], weights=[35, 35, 25, 5])[0]


def labelled_texts(count: int = DEFAULT_COUNT) -> list[tuple[str, str, str]]:
    """(text, category, department) of the generated history, for training without a database."""
    return [(s.text, s.category, s.department) for s in generate(count)]


# -- writing it ---------------------------------------------------------------------------------
def load(count: int = DEFAULT_COUNT, stdout=None) -> dict:
    from django.core.files.storage import default_storage
    from django.db import transaction

    from yiwang.accounts.models import RoleAssignment, User
    from yiwang.core import audit
    from yiwang.core.crypto import blind_index
    from yiwang.core.models import Department
    from yiwang.core.workdays import add_working_days
    from yiwang.grid.models import Grid

    from .. import limits
    from ..models import (
        Assist,
        Attachment,
        Callback,
        Category,
        Event,
        Open311Client,
        OrderNumberCounter,
        SealedReporter,
        Supervision,
        WorkOrder,
    )

    if WorkOrder.objects.filter(external_id__startswith=DEMO_MARK).exists():
        if stdout is not None:
            stdout.write("  hotline history: already loaded\n")
        return {"work_orders": {"created": 0}}
    specs = generate(count)
    now = timezone.now()
    cats = {c.code: c for c in Category.objects.select_related("parent")}
    depts = {d.code: d for d in Department.objects.all()}
    grids = dict(Grid.objects.values_list("code", "id"))
    rules = {}

    def rule(code, urgency):
        key = (code, urgency)
        if key not in rules:
            rules[key] = limits.limits_for(cats[code], urgency)
        return rules[key]

    staff = {}
    for a in RoleAssignment.objects.select_related("user", "department", "place"):
        staff.setdefault((a.role, a.department.code if a.department_id else a.place.code), []).append(a.user)
    operators = staff.get(("hotline_operator", "YX-12345"), [])
    supervisors = staff.get(("supervisor", "YX-ZWB"), [])
    citizens = list(User.objects.filter(kind="citizen").order_by("id")[:400])
    client = Open311Client.objects.filter(name="演示接入方（开放平台）").first()
    fix_name = "hotline/demo/fix-photo.jpg"
    scene_name = "hotline/demo/scene-photo.jpg"
    for name in (fix_name, scene_name):
        if not default_storage.exists(name):
            from django.core.files.base import ContentFile

            default_storage.save(name, ContentFile(FIX_JPEG))

    per_day: dict = {}
    orders, plans = [], []
    for s in specs:
        rng = random.Random(s.rng_state)
        day = timezone.localtime(s.created_at).date()
        per_day[day] = per_day.get(day, 0) + 1
        number = f"GD{day:%Y%m%d}{per_day[day]:05d}"
        grid_id = grids.get(s.grid_code) if s.grid_code else None
        caller_user = None
        name, phone = s.caller_name, s.caller_phone
        if s.channel in ("web", "mobile", "api") and citizens:
            caller_user = citizens[s.seq % len(citizens)]
            name, phone = caller_user.name, caller_user.phone or phone
        o = WorkOrder(
            number=number, kind=s.kind, channel=s.channel, category=cats[s.category], urgency=s.urgency,
            title=_title(s.text), text=s.text, status="new", address=s.address, lat=s.lat, lng=s.lng, grid_id=grid_id,
            community_id=s.community, street_id=s.street, is_anonymous=s.anonymous,
            caller_name="" if s.anonymous else name, caller_phone="" if s.anonymous else phone,
            caller_phone_bidx=blind_index(phone, "phone") if phone and not s.anonymous else "",
            caller_user=None if s.anonymous else caller_user, callback_preference=s.callback,
            external_id=f"{DEMO_MARK}{s.seq}", created_at=s.created_at, updated_at=s.created_at,
            open311_client=client if s.channel == "open311" else None,
            open311_token=f"demo{s.seq:06d}" if s.channel == "open311" else "",
        )
        if s.channel == "phone" and operators:
            o.reporter = operators[s.seq % len(operators)]
        if s.channel == "grid":
            workers = staff.get(("grid_worker", f"YX-{_slug(s.street)}"), [])
            o.reporter = workers[s.seq % len(workers)] if workers else None
        plan = _plan(o, s, rng, now, depts, rule, add_working_days)
        orders.append(o)
        plans.append((s, plan, name, phone, caller_user))

    with transaction.atomic():
        WorkOrder.objects.bulk_create(orders, batch_size=500)
        events, callbacks, sups, atts, assists, sealed = [], [], [], [], [], []
        by_number = {o.number: o for o in orders}
        for o, (s, plan, name, phone, caller_user) in zip(orders, plans):
            for at, action, frm, to, who, dept_code, note, data in plan["events"]:
                label, role, user = who
                events.append(Event(order=o, at=at, action=action, from_status=frm, to_status=to, actor=user,
                                    actor_label=label, role=role, department=depts.get(dept_code) if dept_code else None,
                                    note=note, data=data))
            for at, result, resolved in plan["callbacks"]:
                callbacks.append(Callback(order=o, at=at, by=operators[0] if operators else None, result=result,
                                          resolved=resolved))
            for at, level, reason in plan["supervisions"]:
                sups.append(Supervision(order=o, level=level, reason=reason, department=o.lead_department,
                                        created_by=supervisors[0] if (supervisors and reason == "manual") else None,
                                        created_at=at, note="超过答复期限" if reason == "reply_overdue" else "督办"))
            if s.channel == "grid":
                atts.append(Attachment(order=o, kind="photo", file=scene_name, name="scene.jpg",
                                       content_type="image/jpeg", size=len(FIX_JPEG), sha256=_sha(), uploaded_at=o.created_at,
                                       uploaded_by=o.reporter))
                if o.status == "closed" or o.replied_at:
                    atts.append(Attachment(order=o, kind="fix", file=fix_name, name="fix.jpg", content_type="image/jpeg",
                                           size=len(FIX_JPEG), sha256=_sha(), uploaded_at=o.replied_at or o.closed_at))
            for code in s.assisting if o.dispatched_at else []:
                assists.append(Assist(order=o, department=depts[code], opinion="已配合现场核查。" if o.replied_at else ""))
            if s.anonymous:
                sealed.append(SealedReporter(order=o, name=name, phone=phone, phone_bidx=blind_index(phone, "phone"),
                                             user=caller_user, created_at=o.created_at))
        # duplicates: merged orders point at an earlier order of the same category and community
        merged = 0
        latest: dict = {}
        for o, (s, _p, *_rest) in zip(orders, plans):
            # a grid incident only joins another grid incident (whose close carries the fix photo)
            key = (s.category, s.community, s.channel == "grid")
            merge_at = o.created_at + timedelta(minutes=20)
            master = latest.get(key)
            if s.fate == "merged" and master is not None and master.status not in ("answered", "void") and (
                    master.closed_at is None or master.closed_at > merge_at):  # only into an open order
                o.merged_into = master
                o.status = "closed" if master.status == "closed" else "merged"
                o.lead_department = master.lead_department
                o.closed_at = master.closed_at if o.status == "closed" else None
                o.reply_text = master.reply_text if o.status == "closed" else ""
                events.append(Event(order=o, at=merge_at, action="merge",
                                    from_status="new", to_status="merged", actor_label="12345 话务员",
                                    role="hotline_operator", data={"into": master.number}))
                if o.status == "closed":  # closed with its master, as services._close_duplicates does
                    events.append(Event(order=o, at=master.closed_at, action="close", from_status="merged",
                                        to_status="closed", actor_label="系统", role="system",
                                        note=f"随合并工单 {master.number} 一并办结。", data={"master": master.number}))
                merged += 1
                continue
            if s.fate == "merged":  # nothing earlier to merge into: a duplicate call voided instead
                o.status = "void"
                o.closed_at = o.created_at + timedelta(minutes=15)
                events.append(Event(order=o, at=o.closed_at, action="void", from_status="new", to_status="void",
                                    actor_label="12345 话务员", role="hotline_operator", note="重复来电"))
                continue
            latest[key] = o
        WorkOrder.objects.bulk_update([o for o in orders if o.merged_into_id or o.status in ("void",)],
                                      ["merged_into", "status", "lead_department", "closed_at", "reply_text"],
                                      batch_size=500)
        Event.objects.bulk_create(events, batch_size=2000)
        Callback.objects.bulk_create(callbacks, batch_size=2000)
        Supervision.objects.bulk_create(sups, batch_size=2000)
        Attachment.objects.bulk_create(atts, batch_size=2000)
        Assist.objects.bulk_create(assists, batch_size=2000)
        SealedReporter.objects.bulk_create(sealed, batch_size=2000)
        for day, last in per_day.items():
            counter, _ = OrderNumberCounter.objects.get_or_create(day=day)
            if counter.last < last:
                counter.last = last
                counter.save(update_fields=["last"])
        audit.record("hotline.demo_history_loaded", ("hotline.workorder", "demo"),
                     data={"orders": len(orders), "events": len(events)})
    del by_number
    from .. import classifier

    classifier.reset()
    if stdout is not None:
        stdout.write(f"  hotline history: {len(orders)} work orders, {len(events)} history events, "
                     f"{len(callbacks)} callbacks, {len(sups)} supervisions, {merged} merged duplicates\n")
    return {"work_orders": {"created": len(orders)}, "events": {"created": len(events)}}


def _slug(street_code: str) -> str:
    for s in STREETS:
        if s.code == street_code:
            return s.slug
    return ""


def _sha() -> str:
    import hashlib

    return hashlib.sha256(FIX_JPEG).hexdigest()


def _title(text: str) -> str:
    import re

    first = re.split(r"[。！？!?，,]", text, maxsplit=1)[0]
    for p in ("你好", "您好", "喂", "我要反映一个问题：", "我想咨询一下"):
        first = first.replace(p, "")
    first = first.strip("，,：: ") or text[:30]
    return first[:40] + ("…" if len(first) > 40 else "")


REPLIES = {
    "CG": "已安排城管执法中队到现场核查处置，责令当事人整改，后续将加强巡查。",
    "JS": "已安排养护单位到现场处理，问题已整改完毕。",
    "GY": "已安排抢修人员到场处置，现已恢复正常，给您带来不便敬请谅解。",
    "HB": "已到现场执法检查，责令相关单位立即整改，并依法立案调查。",
    "SC": "已对涉事经营者开展检查，责令整改并依法处理，已为消费者协调退款。",
    "LD": "已约谈用人单位，督促其限期支付拖欠款项，现已支付到位。",
    "JY": "已向来电人解释相关政策，并联系学校作出答复。",
    "ZF": "已约谈物业服务企业，督促其限期整改，并将纳入物业信用考核。",
    "MZ": "已联系所在社区上门核实情况，并按政策办理。",
    "WS": "已转医疗机构核实，医院已与患者沟通并作出说明。",
    "GA": "已安排辖区派出所民警处置，并加强巡逻防控。",
    "AQ": "已现场检查，责令整改安全隐患，并将跟踪复查。",
    "NY": "已安排镇农业服务中心现场核实处理。",
    "SW": "已向来电人解释相关政策，并提醒商户依法开具发票。",
    "SQ": "已安排社区工作人员现场处理，问题已解决。",
    "QT": "已核实情况，向来电人解释说明，并督促窗口改进服务。",
}


def _plan(o, s: Spec, rng: random.Random, now, depts, rule, add_working_days) -> dict:
    """Walk the order through its fate, setting its fields and returning its history."""
    events, callbacks, sups = [], [], []
    system = ("系统", "system", None)
    operator = ("12345 话务员", "hotline_operator", o.reporter if o.channel == "phone" else None)
    reporter = ("匿名举报人", "reporter", None) if s.anonymous else (
        (o.reporter.display_name if o.reporter else "网格员") if o.channel == "grid" else (s.caller_name or "市民"),
        "grid_worker" if o.channel == "grid" else ("hotline_operator" if o.channel == "phone" else "citizen"),
        o.reporter if o.channel in ("grid", "phone") else None)
    events.append((o.created_at, "create", "", "new", reporter if o.channel != "phone" else operator, None, "",
                   {"channel": o.channel, "kind": o.kind}))
    t = o.created_at

    def step(minutes_low, minutes_high):
        nonlocal t
        t = t + timedelta(minutes=rng.randint(minutes_low, minutes_high))
        return t

    def clamp_future() -> bool:
        return t >= now

    if s.fate == "answered":
        o.status, o.answer_text = "answered", "已根据知识库口径向来电人作了解答。"
        o.closed_at = step(3, 15)
        events.append((t, "answer", "new", "answered", operator, None, o.answer_text, {}))
        return {"events": events, "callbacks": callbacks, "supervisions": sups}
    if s.fate == "void":
        o.status, o.closed_at = "void", step(2, 10)
        events.append((t, "void", "new", "void", operator, None, "无效来电", {}))
        return {"events": events, "callbacks": callbacks, "supervisions": sups}
    if s.fate == "self_resolved":
        o.status, o.self_resolved, o.reply_resolved = "closed", True, True
        o.reply_text = "已现场督促整改完毕。"
        o.replied_at = o.closed_at = step(20, 120)
        events.append((t, "resolve_on_site", "new", "closed", reporter, None, o.reply_text, {}))
        return {"events": events, "callbacks": callbacks, "supervisions": sups}
    if s.fate in ("new", "merged"):
        return {"events": events, "callbacks": callbacks, "supervisions": sups}

    lim = rule(s.category, s.urgency)
    wait = (5, 90) if o.channel == "phone" else (30, 600)

    def dispatch_to(code, action, frm):
        o.lead_department = depts[code]
        o.dispatched_at = step(*wait)
        o.accept_due_at = lim.accept_due(o.dispatched_at)
        o.return_due_at = lim.return_due(o.dispatched_at)
        o.reply_due_at = lim.reply_due(o.dispatched_at)
        o.dispatch_count += 1
        o.status = "dispatched"
        events.append((t, action, frm, "dispatched", operator, None, "", {"department": code, "category": s.category}))

    dispatch_to(s.wrong_first or s.department, "dispatch", "new")
    if clamp_future():
        o.dispatched_at = min(o.dispatched_at, now)
        return {"events": events, "callbacks": callbacks, "supervisions": sups}
    dept_actor = lambda code: (depts[code].short_name or depts[code].name, "handler", None)  # noqa: E731
    if s.wrong_first:
        step(60, 1800)
        o.status, o.return_reason = "returned", "不属于本单位职责，建议改派相关部门。"
        events.append((t, "return", "dispatched", "returned", dept_actor(s.wrong_first), s.wrong_first,
                       o.return_reason, {}))
        if s.fate == "returned" or clamp_future():
            o.updated_at = min(t, now)
            return {"events": events, "callbacks": callbacks, "supervisions": sups}
        events.append((step(10, 240), "approve_return", "returned", "returned", operator, None, "同意退单", {}))
        dispatch_to(s.department, "redispatch", "returned")
        o.return_reason = ""
    if s.fate == "dispatched" or clamp_future():
        o.updated_at = min(t, now)
        return {"events": events, "callbacks": callbacks, "supervisions": sups}
    o.accepted_at = step(20, 600 if o.urgency == "normal" else 25)
    o.status = "in_progress"
    events.append((t, "accept", "dispatched", "in_progress", dept_actor(s.department), s.department, "", {}))
    if s.fate == "in_progress" or clamp_future():
        if o.reply_due_at < now:
            sups.append((o.reply_due_at + timedelta(hours=1), 1, "reply_overdue"))
            o.escalation_level = 1
        o.updated_at = min(t, now)
        return {"events": events, "callbacks": callbacks, "supervisions": sups}

    def reply(first: bool):
        nonlocal t
        span = (o.reply_due_at - t).total_seconds() / 60
        if s.late_reply and first:
            t = o.reply_due_at + timedelta(hours=rng.randint(2, 60))
            sups.append((o.reply_due_at + timedelta(hours=1), 1, "reply_overdue"))
            o.escalation_level = max(o.escalation_level, 1)
        else:
            step(60, max(61, int(span * 0.8)))
        o.replied_at, o.status = t, "replied"
        o.reply_text = REPLIES[s.category[:2]]
        o.reply_resolved = True
        events.append((t, "reply", "in_progress", "replied", dept_actor(s.department), s.department, o.reply_text,
                       {"resolved": True}))

    reply(True)
    if s.fate == "replied" or clamp_future():
        o.updated_at = min(t, now)
        return {"events": events, "callbacks": callbacks, "supervisions": sups}
    if s.fate in ("reopened_closed", "escalated_closed", "escalated"):
        step(120, 2880)
        callbacks.append((t, "unsatisfied", False))
        events.append((t, "callback", "replied", "replied", operator, None, "诉求人表示问题未解决", {"result": "unsatisfied"}))
        o.status, o.reopen_count = "in_progress", 1
        o.reply_due_at = add_working_days(t, lim.reply_working_days)
        events.append((t, "reopen", "replied", "in_progress", system, None, "诉求人不满意，退回承办部门重新办理。", {}))
        if clamp_future():
            return {"events": events, "callbacks": callbacks, "supervisions": sups}
        reply(False)
        if s.fate in ("escalated_closed", "escalated"):
            step(120, 2880)
            callbacks.append((t, "unsatisfied", False))
            events.append((t, "callback", "replied", "replied", operator, None, "仍不满意", {"result": "unsatisfied"}))
            o.status, o.escalation_level, o.satisfaction = "escalated", 2, "unsatisfied"
            sups.append((t, 2, "unsatisfied"))
            events.append((t, "escalate", "replied", "escalated", system, None, "重办后仍不满意，升级督办。", {"level": 2}))
            if s.fate == "escalated" or clamp_future():
                o.updated_at = min(t, now)
                return {"events": events, "callbacks": callbacks, "supervisions": sups}
            o.closed_at, o.status = step(1440, 7200), "closed"
            events.append((t, "close", "escalated", "closed", ("督查员", "supervisor", None), "YX-ZWB",
                           "经督办核查，已依法依规处理到位，作办结处理。", {"concluded": True}))
            o.updated_at = t
            return {"events": events, "callbacks": callbacks, "supervisions": sups}
    if o.callback_preference == "none":
        o.status, o.closed_at = "closed", t
        events.append((t, "close", "replied", "closed", system, None, "诉求人无需回访，答复后办结。", {}))
        o.updated_at = t
        return {"events": events, "callbacks": callbacks, "supervisions": sups}
    step(120, 2880)
    result = s.satisfaction if s.satisfaction != "unsatisfied" else "basic"
    for attempt in range(3 if result == "unreachable" else 1):
        if attempt:
            step(240, 1440)
        callbacks.append((t, result, None if result == "unreachable" else True))
        events.append((t, "callback", "replied", "replied", operator, None, "", {"result": result}))
    o.satisfaction, o.status, o.closed_at = result, "closed", t
    events.append((t, "close", "replied", "closed", operator, None, "回访后办结。", {}))
    o.updated_at = t
    return {"events": events, "callbacks": callbacks, "supervisions": sups}
