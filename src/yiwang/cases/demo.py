"""A year of demo case history for the demo district, so inboxes, timelines and dashboards look like a
working district (``manage.py load_demo_cases``).

* Needs the demo district (``load_demo``) and a published catalog (``load_demo_catalog``).
* Idempotent: demo case *i* carries the Idempotency-Key ``demo-history-<i>`` of its applicant; a run
  creates only the indices ``0 … count-1`` that do not exist yet, so a second run creates nothing
  (and a larger ``--count`` adds the difference).
* Deterministic: case *i* is planned from its own seeded random generator, relative to today.
* Concluded cases (most of them) are written in bulk: ``Case``, ``CaseEvent`` (a timeline with
  Chinese opinions by the department's real demo staff), ``CaseTask`` (done or cancelled),
  ``Payment`` and ``IdempotencyKey`` rows, with timestamps on the working-day calendar
  (:mod:`yiwang.core.workdays`: acceptance, deadlines, clock stops, SLA lights).
* The open backlog (待受理, 办理中 with yellow and red lights, 待补正, 特别程序, 待缴费) runs the real
  process engine (:class:`yiwang.cases.process.Runtime`, the same calls as the services): a
  serialised SpiffWorkflow state and open ``CaseTask`` rows in the right department's inbox, so
  staff can claim, review and decide them with the ordinary services. Backlog cases get their
  materials as small stored files.
* Case numbers use the live format (division + yyyymmdd + 6-digit sequence), drawn from
  ``CaseNumberCounter`` and written back, so new live cases never collide with the history.
* No notifications are sent for history, and the audit trail gets one ``demo.cases_loaded`` event.
"""

from __future__ import annotations

import bisect
import hashlib
import random
import time as time_mod
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from yiwang.core import workdays

from . import sla

KEY_PREFIX = "demo-history-"
DEFAULT_COUNT = 3000
SEED = "yiwang-demo-cases-v1"
HISTORY_DAYS = 365

# -- the mix: per 200 cases, in a fixed shuffled order (so even a small --count has every state) --
_MIX_COUNTS = {
    "delivered": 140, "approved": 22, "rejected": 7, "rejected_delivered": 3, "refused": 9, "withdrawn": 8,
    # the open backlog, ~5.5 %
    "submitted": 2, "review_green": 2, "review_yellow": 2, "review_red": 1, "correction": 1, "suspended": 1,
    "awaiting_payment": 1,
}
MIX: list[str] = [k for k, n in _MIX_COUNTS.items() for _ in range(n)]
random.Random(SEED).shuffle(MIX)
OPEN_OUTCOMES = {"submitted", "review_green", "review_yellow", "review_red", "correction", "suspended",
                 "awaiting_payment"}

# -- words ------------------------------------------------------------------------------------
ACCEPT_OPINIONS = [
    "材料齐全，符合法定形式，予以受理。", "经核验原件，申请材料齐全，当场受理。", "网上预审通过，予以受理。",
    "材料齐全，予以受理，请留意短信通知。", "申请材料符合要求，受理。",
]
REFUSE_REASONS = [
    "申请事项不属于本机关职权范围，已告知申请人向有关行政机关申请。",
    "申请人不具备申请资格：申请人户籍及居住地均不在本区。",
    "该事项依法不需要取得行政许可，已向申请人说明。",
    "申请人在法定期限外提出申请，依法不予受理，已告知救济途径。",
    "同一事项已有正在办理中的申请，不予重复受理。",
]
CORRECTION_ITEMS = [
    "申请书缺少申请人签名", "身份证明材料复印件不清晰，请重新上传", "经营场所平面布局图未标注面积和功能分区",
    "租赁合同已过期，请提供有效的租赁合同", "授权委托书未写明委托事项和期限", "申请表中联系电话与实名信息不一致",
    "照片不符合要求（须白色背景、正面免冠）", "缺少产权人同意使用的书面证明", "收入申报表缺少家庭成员签字",
]
CORRECTION_OPINIONS = ["请按一次性告知书补正全部材料后重新提交。", "材料不齐全，一次性告知如下，补正后继续办理。",
                       "经初审需补正材料，补正期间不计入办理时限。"]
SUSPEND = {
    "expert_review": ("需组织专家评审，依法启动特别程序，评审期间不计入办理时限。", "专家评审已完成，评审意见为同意，恢复办理。"),
    "public_notice": ("依法进行公示，公示期 5 个工作日，公示期间不计入办理时限。", "公示期满无异议，恢复办理。"),
    "on_site_inspection": ("需现场勘验，已与申请人预约勘验时间。", "现场勘验完成，现场情况与申报一致，恢复办理。"),
    "hearing": ("申请人依法申请听证，启动听证程序。", "听证程序结束，恢复办理。"),
    "testing": ("需进行检验检测，检测期间不计入办理时限。", "检验检测报告合格，恢复办理。"),
}
REVIEW_POSITIVE = [
    "经审查，申请材料齐全、符合法定形式，申请人符合法定条件，建议准予许可。",
    "经书面审查和现场核查，实际情况与申报材料一致，建议准予。",
    "材料真实有效，符合办理条件，拟同意，请领导审定。",
    "经审查符合规定，共享数据核验一致，建议准予办理。",
    "审查通过，建议准予许可。",
]
REVIEW_NEGATIVE = [
    "经现场核查，经营场所与申报材料不一致，不符合许可条件，建议不予许可。",
    "申请人家庭收入超过规定标准，不符合条件，建议不予批准。",
    "项目选址不符合控制性详细规划，建议不予许可。",
    "申请人提交的材料经核实存在不实内容，建议不予许可。",
]
APPROVE_OPINIONS = ["同意，准予许可。", "符合法定条件，准予许可。", "同意审查意见，准予办理。", "同意。", "准予办理。"]
REJECT_REASONS = [
    "经审查，经营场所不符合相关安全要求，依据《中华人民共和国行政许可法》第三十八条第二款，决定不予许可。"
    "如不服本决定，可在六十日内申请行政复议，或在六个月内提起行政诉讼。",
    "申请人家庭人均收入高于本区最低生活保障标准，依据《社会救助暂行办法》第九条，决定不予批准。"
    "如有异议，可依法申请行政复议。",
    "项目不符合控制性详细规划的要求，依据《中华人民共和国城乡规划法》第四十条，决定不予许可。",
    "申请人隐瞒有关情况、提供虚假材料，依据《中华人民共和国行政许可法》第七十八条，决定不予许可，"
    "申请人在一年内不得再次申请该许可。",
]
WITHDRAW_REASONS = ["申请信息填写有误，撤回后重新申请。", "经营计划调整，不再办理。", "已在其他渠道办理，撤回本申请。",
                    "材料暂时无法补齐，先行撤回。", ""]
IMMEDIATE_OPINIONS = ["材料齐全，当场办结。", "即办件，当场办结。", "符合条件，即时办结。"]

CHANNEL_WEIGHTS = (("web", 45), ("counter", 36), ("api", 15), ("kiosk", 4))


# -- the working-day calendar, loaded once --------------------------------------------------------
class Calendar:
    """:mod:`yiwang.core.workdays` over a fixed window, with index arithmetic: the official calendar
    (and its 调休) is read once, instead of once per day counted."""

    def __init__(self, start: date, end: date):
        self.start, self.end = start, end
        self.days = workdays.working_days_in(start, end)

    def _inside(self, *moments) -> bool:
        return all(self.start <= _local_date(m) <= self.end - timedelta(days=100) for m in moments)

    def is_working_day(self, day: date) -> bool:
        i = bisect.bisect_left(self.days, day)
        return i < len(self.days) and self.days[i] == day

    def next_working_day(self, day: date, *, include_self: bool = False) -> date:
        i = bisect.bisect_left(self.days, day) if include_self else bisect.bisect_right(self.days, day)
        return self.days[i]

    def nth_after(self, day: date, n: int) -> date:
        """The n-th working day after ``day`` (n ≥ 1); n == 0: ``day`` or the next working day."""
        if n == 0:
            return self.next_working_day(day, include_self=True)
        return self.days[bisect.bisect_right(self.days, day) + n - 1]

    def add(self, start: datetime, n: int) -> datetime:
        """= workdays.add_working_days(start, n)."""
        if not self._inside(start):
            return workdays.add_working_days(start, n)
        return workdays.end_of_day(self.nth_after(_local_date(start), n))

    def between(self, a: datetime, b: datetime) -> int:
        """= workdays.working_days_between(a, b)."""
        if not self._inside(a, b):
            return workdays.working_days_between(a, b)
        da, db = _local_date(a), _local_date(b)
        return bisect.bisect_right(self.days, db) - bisect.bisect_right(self.days, da)

    def light(self, due_at: datetime, now: datetime) -> str:
        """= sla.light(due_at, now=now).colour."""
        if now > due_at:
            return sla.RED
        return sla.YELLOW if self.between(now, due_at) <= sla.yellow_threshold() else sla.GREEN


def _local_date(moment) -> date:
    return timezone.localtime(moment).date() if isinstance(moment, datetime) else moment


def _at(day: date, hour: int, minute: int, second: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute, second)))


# -- who and what ---------------------------------------------------------------------------------
@dataclass
class Person:
    user_id: int
    name: str
    label: str
    role: str
    enterprise_id: int | None = None
    department_id: int | None = None
    place_id: int | None = None
    # applicant data for forms
    id_number: str = ""
    phone: str = ""
    address: str = ""
    enterprise: dict | None = None


@dataclass
class ItemInfo:
    item_id: int
    code: str
    version_id: int
    version_number: int
    name: str
    department_id: int
    department_code: str
    division: str
    case_type: str
    promised: int
    statutory: int | None
    fee: Decimal
    result_name: str
    schema: dict
    objects: set[str]
    applicant_materials: list[tuple[str, str]]  # (key, name)
    process_key: str
    review_departments: list[str]
    weight: float = 1.0


@dataclass
class Event:
    at: datetime
    action: str
    from_status: str
    to_status: str
    actor: Person | None
    opinion: str = ""
    data: dict = field(default_factory=dict)


@dataclass
class TaskRow:
    step: str
    name: str
    role: str
    department_id: int
    status: str
    created_at: datetime
    claimed_by: Person | None = None
    claimed_at: datetime | None = None
    completed_at: datetime | None = None
    completed_by: Person | None = None
    opinion: str = ""
    engine_task_id: str = ""


@dataclass
class Plan:
    index: int
    outcome: str
    item: ItemInfo
    applicant: Person
    channel: str
    place_id: int | None
    form: dict
    consent: bool
    submitted_at: datetime
    status: str = "draft"
    accepted_at: datetime | None = None
    due_at: datetime | None = None
    statutory_due_at: datetime | None = None
    clock_stopped_at: datetime | None = None
    stopped_days: int = 0
    sla_light: str = sla.GREEN
    suspension_kind: str = ""
    correction_items: list = field(default_factory=list)
    concluded_at: datetime | None = None
    decision_reason: str = ""
    delivery_method: str = ""
    tracking_number: str = ""
    delivery_address: str = ""
    delivered_at: datetime | None = None
    paid_at: datetime | None = None
    payment: dict | None = None
    events: list[Event] = field(default_factory=list)
    tasks: list[TaskRow] = field(default_factory=list)
    # the process engine, for the open backlog: steps already completed [(step, department code, data)]
    engine_steps: list[tuple[str, str | None, dict]] | None = None
    lock_version: int = 0
    number: str = ""

    def event(self, at, action, to_status, actor, opinion="", data=None):
        before = self.status
        self.events.append(Event(at, action, before, to_status, actor, opinion, data or {}))
        if (to_status != before and before != "draft") or action == "review":
            self.lock_version += 1
        self.status = to_status


class DemoDataMissing(Exception):
    pass


# -- the loader -----------------------------------------------------------------------------------
class HistoryLoader:
    def __init__(self, count: int = DEFAULT_COUNT, *, now: datetime | None = None, stdout=None):
        self.count = count
        self.now = now or timezone.now()
        self.today = timezone.localtime(self.now).date()
        self.stdout = stdout
        self.timings: dict[str, float] = {}

    # -- reading the demo district and the catalog ------------------------------------------------
    def read(self) -> None:
        from yiwang.accounts.models import EnterpriseMember, Role, RoleAssignment, User
        from yiwang.catalog.models import Material
        from yiwang.catalog.selectors import published_items
        from yiwang.core.demo.enterprises import enterprises as enterprise_specs
        from yiwang.core.demo.geo import DISTRICT_CENTRE_CODE
        from yiwang.core.demo.people import FEATURED_CITIZENS, citizens as citizen_specs
        from yiwang.core.models import Department, ServicePlace

        from .models import ProcessBinding
        from .services import DEFAULT_DIVISION, _fee_total, ensure_templates

        demo_usernames = [c.username for c in citizen_specs()]
        featured = set(demo_usernames[:FEATURED_CITIZENS])
        citizens = list(User.objects.filter(username__in=demo_usernames, kind=User.Kind.CITIZEN, is_active=True)
                        .order_by("id"))
        if not citizens or not Department.objects.filter(code__startswith="YX-").exists():
            raise DemoDataMissing("演示区县尚未加载：请先运行 `python manage.py load_demo`。")
        items = list(published_items().select_related("current", "department"))
        if not items:
            raise DemoDataMissing(
                "没有已发布的服务事项：请先加载演示事项目录（`python manage.py load_demo_catalog`），"
                "或在后台发布事项后再运行。")
        ensure_templates()

        self.citizens = [Person(u.pk, u.display_name, u.display_name, Role.CITIZEN, id_number=u.id_number or "",
                                phone=u.phone or "", address=u.address or "") for u in citizens]
        self.citizen_weights = [6 if u.username in featured else 1 for u in citizens]

        featured_usccs = {e.uscc for e in enterprise_specs() if e.featured}
        today = self.today
        members = (EnterpriseMember.objects.filter(user__is_active=True, enterprise__is_active=True)
                   .select_related("user", "enterprise").order_by("enterprise_id", "kind", "id"))
        agents: dict[int, Person] = {}
        weights: dict[int, int] = {}
        for m in members:
            if m.enterprise_id in agents or (m.valid_until is not None and m.valid_until < today):
                continue
            e = m.enterprise
            agents[e.pk] = Person(
                m.user_id, e.name, f"{m.user.display_name}（{e.name}）", Role.ENTERPRISE_AGENT, enterprise_id=e.pk,
                id_number=m.user.id_number or "", phone=m.user.phone or "", address=e.address,
                enterprise={"name": e.name, "uscc": e.uscc, "legal_rep": e.legal_representative, "address": e.address,
                            "scope": e.business_scope})
            weights[e.pk] = 5 if e.uscc in featured_usccs else 1
        self.enterprises = list(agents.values())
        self.enterprise_weights = [weights[p.enterprise_id] for p in self.enterprises]
        if not self.enterprises:
            self.enterprises, self.enterprise_weights = self.citizens[:1], [1]

        staff: dict[tuple[str, int], list[Person]] = defaultdict(list)
        clerks: dict[int, list[Person]] = defaultdict(list)
        for a in (RoleAssignment.objects.filter(user__is_active=True).select_related("user", "department", "place")
                  .order_by("id")):
            person = Person(a.user_id, a.user.display_name, a.user.display_name, a.role,
                            department_id=a.department_id, place_id=a.place_id)
            if a.role == Role.CLERK and a.place_id:
                clerks[a.place_id].append(person)
            elif a.department_id:
                staff[(a.role, a.department_id)].append(person)
        self.staff, self.clerks = staff, clerks
        places = {p.code: p.pk for p in ServicePlace.objects.filter(pk__in=clerks.keys())}
        self.centre_place = places.get(DISTRICT_CENTRE_CODE) or (next(iter(clerks)) if clerks else None)
        self.other_places = [pk for code, pk in sorted(places.items()) if pk != self.centre_place]

        departments = {d.pk: d for d in Department.objects.filter(pk__in={i.department_id for i in items})}
        self.department_codes = {d.pk: d.code for d in Department.objects.all()}
        self.department_ids = {code: pk for pk, code in self.department_codes.items()}
        bindings = {b.item_code: b for b in ProcessBinding.objects.filter(item_code__in=[i.code for i in items])}
        materials = defaultdict(list)
        for m in Material.objects.filter(version_id__in=[i.current_id for i in items]).order_by("version_id", "order"):
            if m.requirement == "required" and m.applicant_submits:
                materials[m.version_id].append((m.key or f"m{m.pk}", m.name))
        rng = random.Random(SEED + ":items")
        self.items: list[ItemInfo] = []
        for item in sorted(items, key=lambda i: i.code):
            v = item.current
            dept = departments[item.department_id]
            binding = bindings.get(item.code)
            key = binding.process_key if binding else ("immediate" if v.case_type == "1" else "promised")
            review = [dept.code] + ([d for d in binding.departments if d != dept.code] if binding else [])
            self.items.append(ItemInfo(
                item.pk, item.code, v.pk, v.number, v.name, dept.pk, dept.code,
                (dept.division_id or DEFAULT_DIVISION)[:6], v.case_type, v.promised_limit_days or 0,
                v.statutory_limit_days, _demo_fee(v, _fee_total), v.result_name,
                v.form_schema or {}, set((v.service_objects or "1").replace(" ", "").split(",")),
                materials[v.pk], key, review))
        # popularity: a few items carry most of the traffic (Zipf-like, fixed order)
        order = list(range(len(self.items)))
        rng.shuffle(order)
        for rank, i in enumerate(order, start=1):
            self.items[i].weight = 1 / rank ** 0.8
        from .models import ProcessModel

        self.models = {}
        for m in ProcessModel.objects.filter(is_active=True).order_by("key", "-version"):
            self.models.setdefault(m.key, m)
        self.calendar = Calendar(self.today - timedelta(days=HISTORY_DAYS + 60), self.today + timedelta(days=400))
        # submission days: growing use over the year; weekends see web traffic only
        self.days = [self.today - timedelta(days=d) for d in range(1, HISTORY_DAYS + 1)]
        self.day_weights = [(1.0 + 0.5 * (HISTORY_DAYS - d) / HISTORY_DAYS)
                            * (1.0 if self.calendar.is_working_day(self.today - timedelta(days=d)) else 0.18)
                            for d in range(1, HISTORY_DAYS + 1)]

    # -- picking --------------------------------------------------------------------------------
    def _pick_item(self, rng, outcome: str) -> ItemInfo:
        items = self.items
        if outcome == "suspended":
            items = [i for i in items if i.promised >= 5] or [i for i in items if i.promised > 0] or items
        elif outcome in ("review_green", "review_yellow", "review_red", "correction"):
            items = [i for i in items if i.promised > 0] or items
        elif outcome == "awaiting_payment":
            items = [i for i in items if i.fee > 0] or items
        return rng.choices(items, weights=[i.weight for i in items])[0]

    def _pick_applicant(self, rng, item: ItemInfo) -> Person:
        personal = "1" in item.objects
        organisational = bool(item.objects - {"1"})
        if personal and (not organisational or rng.random() < 0.65):
            return rng.choices(self.citizens, weights=self.citizen_weights)[0]
        return rng.choices(self.enterprises, weights=self.enterprise_weights)[0]

    def _staff(self, rng, role: str, department_id: int) -> Person | None:
        people = self.staff.get((role, department_id))
        if not people and role == "reviewer":
            people = self.staff.get(("dept_head", department_id)) or self.staff.get(("handler", department_id))
        if not people and role == "dept_head":
            people = self.staff.get(("reviewer", department_id))
        return rng.choice(people) if people else None

    def _clerk(self, rng, place_id: int | None) -> Person | None:
        people = self.clerks.get(place_id) or self.clerks.get(self.centre_place)
        return rng.choice(people) if people else None

    # -- time -----------------------------------------------------------------------------------
    def _office_time(self, rng, day: date) -> datetime:
        if rng.random() < 0.5:
            return _at(day, rng.randint(9, 11), rng.randint(0, 59), rng.randint(0, 59))
        return _at(day, rng.randint(13, 16), rng.randint(30 if rng.random() < 0.3 else 0, 59), rng.randint(0, 59))

    def _later(self, rng, t: datetime, working_days: int) -> datetime:
        """An office-hours moment ``working_days`` working days after ``t`` (0: later the same working
        day if there is time left, else the next working day's morning)."""
        cal = self.calendar
        if working_days <= 0:
            local = timezone.localtime(t)
            candidate = local + timedelta(minutes=rng.randint(8, 150))
            if cal.is_working_day(local.date()) and candidate.hour < 17 and candidate.date() == local.date():
                return candidate
            day = cal.next_working_day(local.date())
            return _at(day, 9, rng.randint(0, 59), rng.randint(0, 59))
        return self._office_time(rng, cal.nth_after(_local_date(t), working_days))

    def _submit_time(self, rng, day: date, channel: str) -> datetime:
        if channel in ("counter", "kiosk"):
            day = self.calendar.next_working_day(day, include_self=True)
            return self._office_time(rng, day)
        hour = rng.choices(range(7, 24), weights=[1, 3, 5, 6, 6, 5, 4, 5, 6, 6, 5, 4, 4, 6, 7, 6, 3])[0]
        return _at(day, hour, rng.randint(0, 59), rng.randint(0, 59))

    # -- planning one case ----------------------------------------------------------------------
    def plan(self, index: int) -> Plan:
        rng = random.Random(f"{SEED}:{index}")
        outcome = MIX[index % len(MIX)]
        item = self._pick_item(rng, outcome)
        applicant = self._pick_applicant(rng, item)
        channel = rng.choices([c for c, _ in CHANNEL_WEIGHTS], weights=[w for _, w in CHANNEL_WEIGHTS])[0]
        place_id = None
        if channel == "counter":
            place_id = self.centre_place if (rng.random() < 0.75 or not self.other_places) else rng.choice(
                self.other_places)
        elif channel == "kiosk":
            place_id = self.centre_place
        form = fill_form(item.schema, applicant, rng)
        consent = rng.random() < 0.8
        for attempt in range(10):
            plan = Plan(index, outcome, item, applicant, channel, place_id, form, consent=consent,
                        submitted_at=self.now)
            if outcome in OPEN_OUTCOMES:
                self._open(rng, plan)
            else:
                day = rng.choices(self.days, weights=self.day_weights)[0]
                if outcome == "approved" and attempt < 5 and index % 2:  # result not collected yet: recent
                    day = self.today - timedelta(days=rng.randint(3, 40))
                if attempt == 9:
                    day = self.today - timedelta(days=rng.randint(200, HISTORY_DAYS))
                plan.submitted_at = self._submit_time(rng, day, channel)
                self._concluded(rng, plan)
            if max(e.at for e in plan.events) < self.now - timedelta(minutes=5):
                break
        plan.events.sort(key=lambda e: e.at)
        return plan

    def _submit(self, rng, plan: Plan) -> None:
        item = plan.item
        plan.event(plan.submitted_at, "submit", "submitted", plan.applicant, data={
            "channel": plan.channel, "item": item.code, "version": item.version_number,
            "materials": sorted(k for k, _ in item.applicant_materials)})

    def _acceptor(self, rng, plan: Plan) -> Person | None:
        if plan.channel in ("counter", "kiosk") or rng.random() < 0.6:
            return self._clerk(rng, plan.place_id or self.centre_place)
        return self._staff(rng, "reviewer", plan.item.department_id)

    def _accept(self, rng, plan: Plan, at: datetime) -> Person | None:
        acceptor = self._acceptor(rng, plan)
        if acceptor is not None and acceptor.role == "clerk":
            plan.place_id = acceptor.place_id
        plan.accepted_at = at
        plan.due_at = self.calendar.add(at, plan.item.promised)
        plan.statutory_due_at = self.calendar.add(at, plan.item.statutory) if plan.item.statutory else None
        model = self.models.get(plan.item.process_key) or self.models["promised"]
        plan.event(at, "accept", "in_review", acceptor, rng.choice(ACCEPT_OPINIONS),
                   data={"due_at": plan.due_at.isoformat(), "process": f"{model.key} v{model.version}"})
        return acceptor

    def _steps(self, plan: Plan) -> list[tuple[str, str, str, str | None]]:
        """(step, name, role, department code) for each human task of the item's process."""
        model = self.models.get(plan.item.process_key) or self.models["promised"]
        out = []
        for step, name in model.task_names.items():
            role = model.lane_roles.get(step, "reviewer")
            if step == "joint_review" or model.key == "parallel" and step != "decide":
                out += [(step, name, role, code) for code in plan.item.review_departments]
            else:
                out.append((step, name, role, None))
        return out

    def _stop(self, rng, plan: Plan, at: datetime, action: str, to_status: str, actor, opinion, data) -> None:
        plan.event(at, action, to_status, actor, opinion, data)
        if plan.accepted_at is not None:
            plan.clock_stopped_at = at
            plan.sla_light = sla.PAUSED

    def _restart(self, plan: Plan, at: datetime) -> int:
        if plan.clock_stopped_at is None:
            return 0
        lost = max(self.calendar.between(plan.clock_stopped_at, at), 0)
        plan.stopped_days += lost
        plan.due_at = self.calendar.add(plan.accepted_at, plan.item.promised + plan.stopped_days)
        if plan.item.statutory:
            plan.statutory_due_at = self.calendar.add(plan.accepted_at, plan.item.statutory + plan.stopped_days)
        plan.clock_stopped_at = None
        plan.sla_light = self.calendar.light(plan.due_at, at)
        return lost

    def _correction(self, rng, plan: Plan, t: datetime, actor, *, resubmit: bool) -> datetime:
        items = rng.sample(CORRECTION_ITEMS, rng.randint(1, 3))
        plan.correction_items = items
        self._stop(rng, plan, t, "request_correction", "correction", actor, rng.choice(CORRECTION_OPINIONS),
                   {"items": items})
        if not resubmit:
            return t
        back = self._later(rng, t, rng.randint(1, 5))
        back = back.replace(hour=rng.choice([8, 12, 19, 20, 21]))
        lost = self._restart(plan, back)
        plan.correction_items = []
        plan.event(back, "resubmit", "in_review" if plan.accepted_at else "submitted", plan.applicant,
                   data={"materials": sorted({k for k, _ in plan.item.applicant_materials[:1]}), "stopped_days": lost})
        return back

    def _suspend(self, rng, plan: Plan, t: datetime, reviewer, *, resume: bool) -> datetime:
        kind = rng.choice(list(SUSPEND))
        plan.suspension_kind = kind
        self._stop(rng, plan, t, "suspend", "suspended", reviewer, SUSPEND[kind][0], {"kind": kind})
        if not resume:
            return t
        back = self._later(rng, t, rng.randint(3, 10))
        lost = self._restart(plan, back)
        plan.suspension_kind = ""
        plan.event(back, "resume", "in_review", reviewer, SUSPEND[kind][1], {"stopped_days": lost})
        return back

    def _review_and_decide(self, rng, plan: Plan, t: datetime, *, approve: bool, late: bool,
                           before: datetime | None = None) -> datetime:
        """The process's human tasks stage by stage (a multi-instance step is one stage of parallel
        tasks), each a done CaseTask and a timeline event; the decision concludes the case. With
        ``before``, every moment is kept earlier than it (the open backlog's story is in the past)."""
        cal = self.calendar
        immediate = plan.item.promised == 0
        stages: list[list[tuple[str, str, str, str | None]]] = []
        for entry in self._steps(plan):
            if stages and stages[-1][0][0] == entry[0]:
                stages[-1].append(entry)
            else:
                stages.append([entry])

        def cap(moment: datetime, prev: datetime) -> datetime:
            if before is not None and moment >= before:
                return prev + (before - prev) * rng.uniform(0.2, 0.6)
            return moment

        for stage in stages:
            created = t
            ends = []
            for step, name, role, dept_code in stage:
                dept_id = (self.department_ids.get(dept_code) if dept_code else None) or plan.item.department_id
                actor = self._staff(rng, role, dept_id)
                is_decision = step == "decide"
                if immediate:
                    done = created + timedelta(minutes=rng.randint(5, 40))
                elif is_decision:
                    done = self._later(rng, created, rng.choice([0, 0, 1]))
                    if not late and done > plan.due_at:
                        done = min(plan.due_at - timedelta(hours=6), done)
                        done = max(done, created + timedelta(minutes=20))
                else:
                    left = max(cal.between(created, plan.due_at), 0)
                    # most reviews finish well inside the limit; a few run over it
                    wait = (rng.randint(left + 1, left + 4) if late
                            else min(int(left * rng.triangular(0.05, 0.9, 0.3)), max(left - 1, 0)))
                    done = self._later(rng, created, wait)
                done = cap(done, created)
                claimed = created + (done - created) * rng.uniform(0.05, 0.5)
                if is_decision:
                    opinion = (rng.choice(IMMEDIATE_OPINIONS if immediate else APPROVE_OPINIONS) if approve
                               else rng.choice(REJECT_REASONS))
                else:
                    opinion = rng.choice(REVIEW_POSITIVE if approve else REVIEW_NEGATIVE)
                plan.tasks.append(TaskRow(step, name, role, dept_id, "done", created, actor, claimed, done, actor,
                                          opinion))
                ends.append(done)
                if is_decision:
                    payment_due = approve and plan.item.fee > 0
                    plan.concluded_at = done
                    plan.decision_reason = opinion
                    plan.sla_light = cal.light(plan.due_at, done)
                    plan.event(done, "approve" if approve else "reject",
                               ("awaiting_payment" if payment_due else "approved") if approve else "rejected", actor,
                               opinion)
                else:
                    plan.event(done, "review", plan.status, actor, opinion,
                               {"step": step, "department": dept_code or plan.item.department_code})
            t = max(ends)
        return t

    def _pay(self, rng, plan: Plan, t: datetime) -> datetime:
        online = plan.channel in ("web", "api") and rng.random() < 0.7
        t = self._later(rng, t, rng.randint(0, 3))
        actor = plan.applicant if online else self._clerk(rng, plan.place_id or self.centre_place)
        provider = "sandbox" if online else "counter"
        reference = (f"SBX-{hashlib.sha256(f'{plan.index}'.encode()).hexdigest()[:20]}" if online
                     else f"POS{rng.randrange(10 ** 11):011d}")
        plan.paid_at = t
        plan.payment = {"provider": provider, "amount": plan.item.fee, "reference": reference, "paid_at": t}
        plan.event(t, "pay", "approved", actor, data={"provider": provider, "amount": str(plan.item.fee),
                                                      "reference": reference})
        return t

    def _deliver(self, rng, plan: Plan, t: datetime) -> datetime:
        if plan.channel in ("counter", "kiosk"):
            method = rng.choices(["pickup", "post", "download"], weights=[60, 28, 12])[0]
        else:
            method = rng.choices(["pickup", "post", "download"], weights=[20, 40, 40])[0]
        t = self._later(rng, t, 0 if plan.item.promised == 0 else rng.randint(0, 4))
        actor = self._clerk(rng, plan.place_id or self.centre_place)
        tracking = f"1{rng.randrange(10 ** 12):012d}" if method == "post" else ""
        plan.delivery_method, plan.tracking_number, plan.delivered_at = method, tracking, t
        if method == "post":
            plan.delivery_address = plan.applicant.address[:200]
        plan.event(t, "deliver", "delivered", actor, data={"method": method, "tracking_number": tracking})
        return t

    def _concluded(self, rng, plan: Plan) -> None:
        outcome = plan.outcome
        self._submit(rng, plan)
        t = plan.submitted_at
        counter = plan.channel in ("counter", "kiosk")
        if not counter and rng.random() < 0.05 and outcome != "refused":  # corrected before acceptance
            t = self._correction(rng, plan, self._later(rng, t, rng.randint(0, 1)), self._acceptor(rng, plan),
                                 resubmit=True)
        if outcome == "refused":
            t = t + timedelta(minutes=rng.randint(5, 25)) if counter else self._later(rng, t, rng.randint(0, 1))
            reason = rng.choice(REFUSE_REASONS)
            plan.concluded_at, plan.decision_reason = t, reason
            plan.event(t, "refuse", "refused", self._acceptor(rng, plan), reason)
            return
        if outcome == "withdrawn" and rng.random() < 0.5:
            t = self._later(rng, t, rng.randint(0, 2))
            plan.concluded_at = t
            plan.event(t, "withdraw", "withdrawn", plan.applicant, rng.choice(WITHDRAW_REASONS))
            return
        t = t + timedelta(minutes=rng.randint(5, 20)) if counter else self._later(rng, t, rng.randint(0, 1))
        self._accept(rng, plan, t)
        promised = plan.item.promised > 0
        if promised and rng.random() < 0.06:
            t = self._correction(rng, plan, self._later(rng, t, rng.randint(0, 2)),
                                 self._staff(rng, "reviewer", plan.item.department_id), resubmit=True)
        if promised and plan.item.promised >= 5 and rng.random() < 0.035:
            t = self._suspend(rng, plan, self._later(rng, t, rng.randint(1, 3)),
                              self._staff(rng, "reviewer", plan.item.department_id), resume=True)
        if outcome == "withdrawn":
            t = self._later(rng, t, rng.randint(0, 3))
            plan.concluded_at = t
            self._stop(rng, plan, t, "withdraw", "withdrawn", plan.applicant, rng.choice(WITHDRAW_REASONS), {})
            for step, name, role, dept_code in self._steps(plan)[:1]:
                dept_id = self.department_ids.get(dept_code) if dept_code else plan.item.department_id
                plan.tasks.append(TaskRow(step, name, role, dept_id, "cancelled", plan.accepted_at, completed_at=t))
            return
        approve = outcome in ("delivered", "approved")
        late = promised and rng.random() < 0.07
        t = self._review_and_decide(rng, plan, t, approve=approve, late=late)
        if plan.status == "awaiting_payment":
            t = self._pay(rng, plan, t)
        if outcome in ("delivered", "rejected_delivered"):
            self._deliver(rng, plan, t)

    # -- the open backlog -----------------------------------------------------------------------
    def _open(self, rng, plan: Plan) -> None:
        cal = self.calendar
        outcome = plan.outcome
        item = plan.item
        counter = plan.channel in ("counter", "kiosk")
        today_idx = bisect.bisect_right(cal.days, self.today) - 1  # today or the last working day before
        if outcome == "submitted" or (outcome == "correction" and rng.random() < 0.4):
            day = cal.days[today_idx - rng.randint(0, 2)]
            plan.submitted_at = self._submit_time(rng, day, plan.channel)
            if plan.submitted_at > self.now:
                plan.submitted_at = self.now - timedelta(minutes=rng.randint(20, 300))
            self._submit(rng, plan)
            if outcome == "correction":
                t = self._later(rng, plan.submitted_at, 0)
                self._correction(rng, plan, min(t, self.now - timedelta(minutes=10)), self._acceptor(rng, plan),
                                 resubmit=False)
            return
        # accepted cases: place the acceptance so the deadline lands where this outcome wants it
        p = max(item.promised, 1)
        if outcome == "review_red":
            remaining = -rng.randint(1, min(4, p + 1) if p > 1 else 1)
        elif outcome == "review_yellow":
            remaining = rng.randint(0, min(2, p - 1)) if p > 1 else 0
            if not cal.is_working_day(self.today):
                remaining = max(remaining, 1)  # on a day off, "due today" already passed
        elif outcome == "review_green":
            remaining = rng.randint(min(3, p), p) if p >= 3 else p
        elif outcome == "awaiting_payment":
            remaining = rng.randint(1, p)
        else:  # correction after acceptance, suspended: accepted a few days ago
            remaining = rng.randint(max(p - 4, 0), p)
        accept_idx = min(today_idx + remaining - p, today_idx)
        accept_day = cal.days[accept_idx]
        accepted_at = self._office_time(rng, accept_day)
        if accepted_at > self.now:
            accepted_at = self.now - timedelta(minutes=rng.randint(30, 120))
        if counter:
            plan.submitted_at = accepted_at - timedelta(minutes=rng.randint(5, 20))
        else:
            sub_day = cal.days[accept_idx - rng.randint(0, 1)]
            plan.submitted_at = self._submit_time(rng, sub_day, plan.channel)
            if plan.submitted_at >= accepted_at:
                plan.submitted_at = accepted_at - timedelta(hours=rng.randint(1, 5))
        self._submit(rng, plan)
        self._accept(rng, plan, accepted_at)
        plan.sla_light = cal.light(plan.due_at, self.now)
        plan.engine_steps = []
        reviewer = self._staff(rng, "reviewer", item.department_id)
        steps = self._steps(plan)
        t = accepted_at
        if outcome == "correction":
            t = min(self._later(rng, t, rng.randint(0, 1)), self.now - timedelta(minutes=15))
            self._correction(rng, plan, t, reviewer, resubmit=False)
            return
        if outcome == "suspended":
            t = min(self._later(rng, t, rng.randint(0, 2)), self.now - timedelta(minutes=15))
            self._suspend(rng, plan, t, reviewer, resume=False)
            return
        if outcome == "awaiting_payment":
            for step, _name, _role, dept_code in steps:
                plan.engine_steps.append((step, dept_code, {"approved": True} if step == "decide" else {}))
            self._review_and_decide(rng, plan, t, approve=True, late=False, before=self.now - timedelta(minutes=10))
            # waiting for the applicant's fee stops the clock at the decision (services.decide)
            plan.clock_stopped_at = plan.concluded_at
            plan.sla_light = sla.PAUSED
            return
        # in review: the first review step done for some (then the head's decision waits)
        reviewed = len(steps) > 1 and rng.random() < 0.4 and steps[0][0] != "decide"
        if reviewed:
            step, name, role, dept_code = steps[0]
            elapsed = max(cal.between(accepted_at, self.now) - 1, 0)
            done_at = min(self._later(rng, accepted_at, rng.randint(0, elapsed)), self.now - timedelta(minutes=20))
            actor = self._staff(rng, role, item.department_id)
            opinion = rng.choice(REVIEW_POSITIVE)
            plan.engine_steps.append((step, dept_code or item.department_code, {"opinion": opinion}))
            plan.tasks.append(TaskRow(step, name, role, item.department_id, "done", accepted_at, actor,
                                      accepted_at + (done_at - accepted_at) * 0.3, done_at, actor, opinion))
            plan.event(done_at, "review", "in_review", actor, opinion,
                       {"step": step, "department": dept_code or item.department_code})
        plan.sla_light = cal.light(plan.due_at, self.now)

    # -- writing --------------------------------------------------------------------------------
    def _number(self, plans: list[Plan]) -> None:
        """Case numbers per (division, submission day), continuing each day's live counter."""
        from .models import CaseNumberCounter

        by_day: dict[tuple[str, date], list[Plan]] = defaultdict(list)
        for p in plans:
            by_day[(p.item.division, timezone.localtime(p.submitted_at).date())].append(p)
        qs = CaseNumberCounter.objects.filter(day__in={d for _, d in by_day})
        if transaction.get_connection().features.has_select_for_update:
            qs = qs.select_for_update()
        counters = {(c.division, c.day): c for c in qs}
        new, changed = [], []
        for (division, day), group in sorted(by_day.items()):
            group.sort(key=lambda p: (p.submitted_at, p.index))
            counter = counters.get((division, day))
            if counter is None:
                counter = CaseNumberCounter(division=division, day=day, last=0)
                new.append(counter)
            else:
                changed.append(counter)
            for p in group:
                counter.last += 1
                p.number = f"{division}{day:%Y%m%d}{counter.last:06d}"
        CaseNumberCounter.objects.bulk_create(new, batch_size=500)
        CaseNumberCounter.objects.bulk_update(changed, ["last"], batch_size=500)

    def _case_row(self, p: Plan):
        from .models import Case

        item = p.item
        model = self.models.get(item.process_key) or self.models["promised"]
        return Case(
            number=p.number, item_version_id=item.version_id, item_code=item.code, title=item.name,
            department_id=item.department_id, applicant_id=p.applicant.user_id, enterprise_id=p.applicant.enterprise_id,
            applicant_name=p.applicant.name, channel=p.channel, place_id=p.place_id, status=p.status,
            form_data=p.form, consent_data_sharing=p.consent,
            process_model=model if p.accepted_at else None, review_departments=item.review_departments if p.accepted_at else [],
            case_type=item.case_type, promised_days=item.promised, statutory_days=item.statutory,
            created_at=p.submitted_at, submitted_at=p.submitted_at, accepted_at=p.accepted_at, due_at=p.due_at,
            statutory_due_at=p.statutory_due_at, clock_stopped_at=p.clock_stopped_at, stopped_days=p.stopped_days,
            sla_light=p.sla_light, suspension_kind=p.suspension_kind, correction_items=p.correction_items,
            concluded_at=p.concluded_at, decision_reason=p.decision_reason, result_name=item.result_name,
            delivery_method=p.delivery_method, delivery_address=p.delivery_address, tracking_number=p.tracking_number,
            delivered_at=p.delivered_at, fee_amount=item.fee, paid_at=p.paid_at, lock_version=p.lock_version,
        )

    def _engine(self, p: Plan, case) -> None:
        """Run the real process engine for an open accepted case: start it (as ``accept`` does),
        complete the steps the story already took, store the state, and turn the ready engine
        tasks into inbox tasks (as ``services._sync_tasks`` does)."""
        from .process import Runtime

        model = case.process_model
        runtime = Runtime.start(model.bpmn_xml, model.process_id, {"departments": p.item.review_departments,
                                                                  "case_number": case.number})
        done_ids: list[str] = []
        for step, dept_code, data in p.engine_steps or []:
            ready = [t for t in runtime.ready() if t.bpmn_id == step and (t.department_code in (None, dept_code))]
            if not ready:
                continue
            done_ids.append(ready[0].task_id)
            runtime.complete(ready[0].task_id, {**data, **({"department": dept_code} if dept_code else {})})
        case.process_state = runtime.dump()
        done = [t for t in p.tasks if t.status == "done"]
        for task, engine_id in zip(done, done_ids):
            task.engine_task_id = engine_id
        rng = random.Random(f"{SEED}:{p.index}:tasks")
        last = max([t.completed_at for t in done if t.completed_at] + [p.accepted_at])
        for t in runtime.ready():
            dept_id = self.department_ids.get(t.department_code) if t.department_code else None
            role = model.lane_roles.get(t.bpmn_id, "reviewer")
            task = TaskRow(t.bpmn_id, t.name, role, dept_id or p.item.department_id, "open", last,
                           engine_task_id=t.task_id)
            if p.status == "in_review" and rng.random() < 0.45:
                person = self._staff(rng, role, task.department_id)
                if person is not None and person.role == role:
                    task.status, task.claimed_by = "claimed", person
                    task.claimed_at = min(last + timedelta(hours=rng.randint(1, 20)), self.now - timedelta(minutes=5))
            p.tasks.append(task)

    def _materials(self, p: Plan, case) -> list:
        from .models import CaseMaterial
        from .uploads import as_file

        rows = []
        for key, name in p.item.applicant_materials:
            data = _demo_pdf(f"{case.number} {key}")
            row = CaseMaterial(case=case, material_key=key, name=f"{name}.pdf", source=CaseMaterial.Source.APPLICANT,
                               content_type="application/pdf", size=len(data),
                               sha256=hashlib.sha256(data).hexdigest(), uploaded_by_id=p.applicant.user_id,
                               uploaded_at=p.submitted_at)
            f = as_file(data, "application/pdf")
            row.file.save(f.name, f, save=False)
            rows.append(row)
        return rows

    def write(self, plans: list[Plan]) -> dict[str, int]:
        from yiwang.core import audit

        from .models import Case, CaseEvent, CaseMaterial, CaseTask, IdempotencyKey, Payment
        from .services import _fingerprint

        self._number(plans)
        cases = [self._case_row(p) for p in plans]
        t0 = time_mod.perf_counter()
        for p, case in zip(plans, cases):
            if p.engine_steps is not None:
                self._engine(p, case)
        self.timings["engine"] = time_mod.perf_counter() - t0
        Case.objects.bulk_create(cases, batch_size=500)
        events, tasks, keys, payments, materials = [], [], [], [], []
        for p, case in zip(plans, cases):
            for e in p.events:
                actor = e.actor
                events.append(CaseEvent(
                    case_id=case.pk, at=e.at, action=e.action, from_status=e.from_status, to_status=e.to_status,
                    actor_id=actor.user_id if actor else None, actor_label=actor.label if actor else "系统",
                    role=actor.role if actor else "system", department_id=actor.department_id if actor else None,
                    opinion=e.opinion, data=e.data))
            rng = random.Random(f"{SEED}:{p.index}:ids")
            for t in p.tasks:
                tasks.append(CaseTask(
                    case_id=case.pk, engine_task_id=t.engine_task_id or str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                    step=t.step, name=t.name, role=t.role, department_id=t.department_id, status=t.status,
                    claimed_by_id=t.claimed_by.user_id if t.claimed_by else None, claimed_at=t.claimed_at,
                    created_at=t.created_at, completed_at=t.completed_at,
                    completed_by_id=t.completed_by.user_id if t.completed_by else None, opinion=t.opinion))
            materials_ref = [{"key": k, "upload": f"demo-{p.index}-{k}"} for k, _ in p.item.applicant_materials]
            fingerprint = _fingerprint({"item": p.item.code, "bundle": None, "form": p.form, "materials": materials_ref,
                                        "enterprise": p.applicant.enterprise_id})
            keys.append(IdempotencyKey(key=f"{KEY_PREFIX}{p.index:05d}", owner_id=p.applicant.user_id,
                                       fingerprint=fingerprint, case_id=case.pk, created_at=p.submitted_at))
            if p.payment:
                payments.append(Payment(case_id=case.pk, provider=p.payment["provider"], amount=p.payment["amount"],
                                        status=Payment.Status.PAID, order_no=f"PAY{case.number}D{p.index:05d}",
                                        reference=p.payment["reference"], created_at=p.payment["paid_at"],
                                        paid_at=p.payment["paid_at"]))
            if p.outcome in OPEN_OUTCOMES:
                materials += self._materials(p, case)
        CaseEvent.objects.bulk_create(events, batch_size=1000)
        CaseTask.objects.bulk_create(tasks, batch_size=1000)
        IdempotencyKey.objects.bulk_create(keys, batch_size=1000)
        Payment.objects.bulk_create(payments, batch_size=500)
        CaseMaterial.objects.bulk_create(materials, batch_size=500)
        counts: dict[str, int] = defaultdict(int)
        for p in plans:
            counts[p.status] += 1
        counts = dict(sorted(counts.items()))
        summary = {"cases": len(cases), "events": len(events), "tasks": len(tasks), "payments": len(payments),
                   "materials": len(materials), "by_status": counts}
        audit.record("demo.cases_loaded", ("demo", "cases"), data=summary, role="system")
        return summary

    # -- the whole run --------------------------------------------------------------------------
    def run(self) -> dict:
        from .models import IdempotencyKey

        t0 = time_mod.perf_counter()
        self.read()
        have = set(IdempotencyKey.objects.filter(key__startswith=KEY_PREFIX).values_list("key", flat=True))
        missing = [i for i in range(self.count) if f"{KEY_PREFIX}{i:05d}" not in have]
        self.timings["read"] = time_mod.perf_counter() - t0
        if not missing:
            return {"cases": 0, "existing": len(have), "by_status": {}}
        t1 = time_mod.perf_counter()
        plans = [self.plan(i) for i in missing]
        self.timings["plan"] = time_mod.perf_counter() - t1
        t2 = time_mod.perf_counter()
        with transaction.atomic():
            summary = self.write(plans)
        self.timings["write"] = time_mod.perf_counter() - t2
        summary["existing"] = len(have)
        return summary


# -- forms ------------------------------------------------------------------------------------------
_SAMPLES = {
    "child_name": ["王子涵", "李一诺", "张梓萱", "陈沐阳", "刘若溪"],
    "birth_hospital": ["云溪区妇幼保健院", "江东市第一人民医院", "云溪区人民医院"],
    "destination": ["上海市", "南京市", "杭州市", "北京市", "广州市"],
    "employer": ["江东云溪精密制造有限公司", "云溪区实验小学", "江东港华燃气有限公司", "江东市第一人民医院"],
    "project_name": ["云溪科创园二期", "望江社区养老服务中心", "白沙路菜市场改造", "滨江绿道提升工程"],
    "school_name": ["云溪区实验小学", "云溪区第二中学", "望江小学", "白沙路小学"],
    "reason": ["因工作调动需要办理", "家庭生活困难，申请救助", "经营需要", "因个人原因申请", "子女入学需要"],
    "vehicle_plate": ["苏E·A3K27", "苏E·D8821", "苏E·F0596", "苏E·B7730"],
}


def fill_form(schema: dict, person: Person, rng) -> dict:
    """A plausible, valid application form for ``schema`` from the applicant's own data."""
    from yiwang.catalog.formschema import validate_form
    from yiwang.core.identity import make_resident_id, make_uscc

    props = (schema or {}).get("properties") or {}
    required = set((schema or {}).get("required") or [])
    ent = person.enterprise or {}
    known = {
        "applicant_name": person.name if not ent else ent.get("legal_rep", person.name),
        "applicant_id": person.id_number, "phone": person.phone, "address": person.address,
        "enterprise_name": ent.get("name"), "uscc": ent.get("uscc"), "legal_rep": ent.get("legal_rep"),
        "business_address": ent.get("address") or person.address, "business_scope": ent.get("scope"),
        "household_address": person.address, "property_address": person.address,
        "project_address": ent.get("address") or person.address,
    }
    form: dict = {}
    for key, spec in props.items():
        if key not in required and rng.random() < 0.3:
            continue
        value = known.get(key)
        kind, fmt = spec.get("type"), spec.get("format")
        if value in (None, ""):
            if "enum" in spec:
                value = rng.choice(spec["enum"])
            elif kind == "boolean":
                value = True
            elif kind in ("integer", "number"):
                low = int(spec.get("minimum", 1) or 1)
                high = int(spec.get("maximum", low + 60))
                value = rng.randint(low, max(low, min(high, low + 60)))
                if kind == "number" and rng.random() < 0.5:
                    value = round(value + rng.random(), 1)
            elif fmt == "resident_id":
                value = make_resident_id("320102", date(rng.randint(1950, 2004), rng.randint(1, 12), rng.randint(1, 28)),
                                         rng.randrange(1000))
            elif fmt == "uscc":
                value = make_uscc("91", "329002", f"MA{rng.randrange(10 ** 6):06d}")
            elif fmt == "phone":
                value = f"1{rng.choice('3578')}{rng.randrange(10 ** 9):09d}"
            elif fmt == "date":
                value = (timezone.localdate() - timedelta(days=rng.randint(1, 300))).isoformat()
            elif fmt == "email":
                value = f"user{rng.randrange(10 ** 5)}@example.cn"
            elif spec.get("pattern") == "^[0-9]{12,24}$":
                value = f"6222{rng.randrange(10 ** 15):015d}"
            elif key in _SAMPLES:
                value = rng.choice(_SAMPLES[key])
            elif key.endswith("_name"):
                value = rng.choice(_SAMPLES["child_name"])
            else:
                value = f"{spec.get('title', key)}（演示）"
        if isinstance(value, str) and spec.get("maxLength"):
            value = value[: int(spec["maxLength"])]
        form[key] = value
    errors = validate_form(schema or {}, form) if props else {}
    for key in errors:
        form.pop(key, None)
    return form


def _demo_fee(version, fee_total) -> Decimal:
    """The fee a case of this version pays: the services' total of the ``amount`` fields; for a fee
    described only in words (``"120 元/本"``) the first amount named in the first fee's standard."""
    if not version.fee_required:
        return Decimal("0")
    total = fee_total(version)
    if total > 0:
        return total
    import re

    for fee in version.fees or []:
        found = re.search(r"(\d+(?:\.\d+)?)\s*元", str(fee.get("standard", "")))
        if found:
            return Decimal(found.group(1))
    return Decimal("0")


def _demo_pdf(text: str) -> bytes:
    """A tiny valid one-page PDF standing in for a scanned material."""
    stream = f"BT /F1 12 Tf 72 720 Td (Yiwang demo material {text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def load_demo_cases(count: int = DEFAULT_COUNT, *, stdout=None, now: datetime | None = None) -> dict:
    """Load (or complete) the demo history. Returns a summary; ``cases == 0`` when nothing was missing."""
    loader = HistoryLoader(count, now=now, stdout=stdout)
    summary = loader.run()
    summary["timings"] = {k: round(v, 2) for k, v in loader.timings.items()}
    return summary
