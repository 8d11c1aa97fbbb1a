"""Helpers that drive cases through the real services, and call the JSON API as the people in the
story would: an applicant (王芳), the front-desk clerk, two reviewers and the head of the
market-regulation department, and staff of the civil-affairs department (the "other" department).

``Flow.drive(case, state)`` walks a case to a state through ``services.perform`` — the same
dispatcher ``POST /api/v1/cases/{number}/actions`` uses — so every state a test starts from was
reached the way a user reaches it. ``Flow.act`` then makes one move through the API.
"""

from __future__ import annotations

from yiwang.accounts.actor import Actor, staff_actor
from yiwang.cases import payments, services
from yiwang.cases.models import Case, CaseEvent, CaseTask, Payment, TaskStatus

from concurrency import in_threads  # noqa: F401 - re-exported for the tests

from .samples import EICAR, JPEG, PDF, PNG  # noqa: F401 - re-exported for the tests

FORM = {"shop_name": "望江小吃店", "address": "望江路 8 号"}
FEE = 50

# who does what in the story (a person who WOULD be allowed to, if the case's state allowed it)
ACTOR_FOR = {
    "accept": "reviewer",
    "refuse": "reviewer",
    "request_correction": "reviewer",
    "resubmit": "citizen",
    "suspend": "reviewer",
    "resume": "reviewer",
    "review": "reviewer",
    "approve": "head",
    "reject": "head",
    "pay": "citizen",
    "withdraw": "citizen",
    "transfer": "reviewer",
    "deliver": "reviewer",
}
ACTIONS = list(ACTOR_FOR)

# how each state is reached, from a freshly submitted case (who, action)
PATHS: dict[str, list[tuple[str, str]]] = {
    "submitted": [],
    "correction": [("clerk", "request_correction")],
    "correction+accepted": [("clerk", "accept"), ("reviewer", "request_correction")],
    "in_review": [("clerk", "accept")],
    "in_review+reviewed": [("clerk", "accept"), ("reviewer", "review")],
    "suspended": [("clerk", "accept"), ("reviewer", "suspend")],
    "awaiting_payment": [("clerk", "accept"), ("reviewer", "review"), ("head", "approve")],
    "approved": [("clerk", "accept"), ("reviewer", "review"), ("head", "approve"), ("citizen", "pay")],
    "rejected": [("clerk", "accept"), ("reviewer", "review"), ("head", "reject")],
    "refused": [("clerk", "refuse")],
    "withdrawn": [("citizen", "withdraw")],
    "delivered": [("clerk", "accept"), ("reviewer", "review"), ("head", "approve"), ("citizen", "pay"),
                  ("clerk", "deliver")],
}


class Flow:
    def __init__(self, org, make_citizen, make_staff, make_item, client):
        self.org = org
        self.dept = org["dept"]
        self.other_dept = org["other_dept"]
        self._make_citizen = make_citizen
        self._make_staff = make_staff
        self._make_item = make_item
        self.client = client
        self._people: dict = {}
        self._tokens: dict = {}
        self.enterprise = None
        self._keys = 0

    # -- people ----------------------------------------------------------------------------------
    def user(self, who: str):
        if who not in self._people:
            self._people[who] = self._create(who)
        return self._people[who]

    def _create(self, who: str):
        staff = {
            "clerk": ("clerk", self.org["centre"], "窗口受理员小周"),
            "station_clerk": ("clerk", self.org["station"], "社区代办员小吴"),
            "reviewer": ("reviewer", self.dept, "审批员陈静"),
            "reviewer2": ("reviewer", self.dept, "审批员刘洋"),
            "head": ("dept_head", self.dept, "科长孙强"),
            "other_reviewer": ("reviewer", self.other_dept, "民政审批员何敏"),
            "other_head": ("dept_head", self.other_dept, "民政科长郑涛"),
            "admin": ("platform_admin", self.dept, "平台管理员"),
            "supervisor": ("supervisor", self.dept, "督查员"),
        }
        if who in staff:
            role, unit, name = staff[who]
            return self._make_staff(role, unit, username=who, name=name)
        if who == "citizen":
            return self._make_citizen(name="王芳", phone="13900139001")
        if who == "citizen_b":
            return self._make_citizen(name="赵敏", phone="13700137000")
        if who in ("agent", "agent2", "other_agent"):
            return self._make_agent(who)
        raise KeyError(who)

    def _make_agent(self, who):
        from yiwang.accounts.models import Enterprise, EnterpriseMember
        from yiwang.core.identity import make_uscc

        user = self._make_citizen(name={"agent": "陈刚", "agent2": "林晓", "other_agent": "周敏"}[who])
        if who == "other_agent":
            ent, _ = Enterprise.objects.get_or_create(
                uscc=make_uscc("91", "329002", "MA1XYK02"), defaults={"name": "望江餐饮有限公司",
                                                                      "legal_representative": "周敏"})
        else:
            ent, _ = Enterprise.objects.get_or_create(
                uscc=make_uscc("91", "329002", "MA1XYK01"), defaults={"name": "云溪示范科技有限公司",
                                                                      "legal_representative": "陈刚"})
            self.enterprise = ent
        kind = EnterpriseMember.Kind.AGENT if who == "agent2" else EnterpriseMember.Kind.LEGAL_REP
        EnterpriseMember.objects.create(enterprise=ent, user=user, kind=kind)
        user.acting_for = ent
        return user

    def actor(self, who: str) -> Actor:
        user = self.user(who)
        if user.kind == "staff":
            return staff_actor(user)
        return Actor(user=user, enterprise=getattr(user, "acting_for", None))

    def token(self, who: str) -> str:
        """A bearer token as POST /api/v1/auth/token issues it (issued directly: the login itself is
        tested in tests/accounts)."""
        from yiwang.accounts.services import issue_token

        if who not in self._tokens:
            user = self.user(who)
            self._tokens[who] = issue_token(user, enterprise=getattr(user, "acting_for", None))[0]
        return self._tokens[who]

    def headers(self, who: str | None) -> dict:
        return {"Authorization": f"Bearer {self.token(who)}"} if who else {}

    # -- items and submissions -------------------------------------------------------------------
    def item(self, department=None, **kw):
        return self._make_item(department or self.dept, **kw)

    def upload(self, who="citizen", key="application_form", data=PDF, name="申请书.pdf") -> str:
        return services.upload_material(self.actor(who), name=name, data=data, key=key).upload_token

    def submit(self, item, who="citizen", form=None, materials=None, key=None) -> Case:
        if materials is None:
            materials = [{"key": "application_form", "upload": self.upload(who)}]
        self._keys += 1
        case, created = services.submit(self.actor(who), item_code=item.code, form=FORM if form is None else form,
                                        materials=materials, idempotency_key=key or f"flow-{self._keys}")
        assert created
        return case

    # -- moves -----------------------------------------------------------------------------------
    def payload(self, action: str, number: str) -> dict:
        if action == "pay":
            case = Case.objects.filter(number=number).first()
            return {"provider": "sandbox", "reference": payments.sandbox_reference(case) if case else ""}
        return {
            "accept": {"opinion": "材料齐全，予以受理"},
            "refuse": {"opinion": "申请事项不属于本机关职权范围"},
            "request_correction": {"items": ["营业执照复印件不清晰", "缺少法定代表人签字"],
                                   "opinion": "请一次性补正"},
            "resubmit": {},
            "suspend": {"kind": "expert_review", "opinion": "需组织专家评审"},
            "resume": {"opinion": "专家评审结束"},
            "review": {"opinion": "材料齐全，符合法定条件"},
            "approve": {"opinion": "符合法定条件，准予许可"},
            "reject": {"opinion": "不符合《食品安全法》第三十五条规定的条件"},
            "withdraw": {"opinion": "不再需要"},
            "transfer": {"department": self.other_dept.code, "opinion": "应由民政局办理"},
            "deliver": {"method": "pickup"},
        }[action]

    def do(self, who: str, number: str, action: str, **payload) -> Case:
        """One move through the services (as the API would dispatch it)."""
        return services.perform(self.actor(who), number, action, {**self.payload(action, number), **payload})

    def draft(self, item, who="citizen") -> Case:
        """A saved application draft (草稿), as the apply page saves one (cases/drafts.py)."""
        from yiwang.cases import drafts

        return drafts.save(self.actor(who), title=item.current.name, department=item.department,
                           version=item.current, item_code=item.code, answers=FORM, uploads={}, consent=False)

    def drive(self, case: Case, state: str) -> Case:
        for who, action in PATHS[state]:
            self.do(who, case.number, action)
        case.refresh_from_db()
        assert case.status == state.split("+")[0], (state, case.status)
        return case

    def act(self, who: str | None, number: str, action: str, **payload):
        """POST /api/v1/cases/{number}/actions as ``who``; returns the response."""
        body = {"action": action, **(self.payload(action, number) if action in ACTOR_FOR else {}), **payload}
        return self.client.post(f"/api/v1/cases/{number}/actions", body, content_type="application/json",
                                headers=self.headers(who))

    def get(self, who: str | None, path: str, **params):
        return self.client.get(path, params, headers=self.headers(who))

    def post(self, who: str | None, path: str, data=None, headers=None):
        return self.client.post(path, data or {}, content_type="application/json",
                                headers={**self.headers(who), **(headers or {})})

    # -- observations ----------------------------------------------------------------------------
    @staticmethod
    def snapshot(case: Case) -> dict:
        """What must not move when a move is refused."""
        case = Case.objects.get(pk=case.pk)
        return {
            "status": case.status,
            "lock_version": case.lock_version,
            "events": CaseEvent.objects.filter(case=case).count(),
            "department": case.department_id,
            "due_at": case.due_at,
            "process_state": case.process_state,
            "payments": Payment.objects.filter(case=case).count(),
            "tasks": sorted(CaseTask.objects.filter(case=case).values_list("step", "department_id", "status",
                                                                          "claimed_by_id")),
        }

    @staticmethod
    def open_tasks(case: Case):
        return list(CaseTask.objects.filter(case=case, status__in=[TaskStatus.OPEN, TaskStatus.CLAIMED])
                    .select_related("department").order_by("id"))


STATES = ["draft"] + list(PATHS)  # every Status, "+" marks a variant of one
