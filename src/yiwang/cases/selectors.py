"""Reads of cases, scoped to the actor."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from yiwang.accounts.actor import Actor
from yiwang.accounts.models import Role
from yiwang.core.errors import NotAuthenticated, NotFound

from . import sla
from .models import Case, CaseTask, Status, TaskStatus

OVERSIGHT_ROLES = {Role.SUPERVISOR, Role.PLATFORM_ADMIN}
DEPARTMENT_ROLES = {Role.REVIEWER, Role.DEPT_HEAD, Role.DATA_STEWARD, Role.EDITOR, Role.HANDLER}


def cases_visible_to(actor: Actor) -> QuerySet[Case]:
    """Applicants see their own (an agent, the enterprise's); department staff the cases their
    department handles or reviews in parallel; a counter clerk the cases waiting for acceptance or
    accepted at their place; supervisors and the platform admin all; hotline operators all (to
    answer "where is my case?" by number)."""
    if not actor.is_authenticated:
        raise NotAuthenticated(_("请先登录。"))
    qs = Case.objects.select_related("department", "item_version")
    role = actor.role
    if role == Role.CITIZEN:
        return qs.filter(applicant=actor.user, enterprise__isnull=True)
    if role == Role.ENTERPRISE_AGENT:
        return qs.filter(enterprise=actor.enterprise)
    if role in OVERSIGHT_ROLES or role == Role.HOTLINE_OPERATOR:
        return qs
    if role == Role.CLERK:
        return qs.filter(Q(status__in=[Status.SUBMITTED, Status.CORRECTION]) | Q(place_id=actor.place_id)
                         | Q(status__in=[Status.APPROVED, Status.REJECTED, Status.AWAITING_PAYMENT]))
    if role in DEPARTMENT_ROLES and actor.department_id:
        # the implementing department, and departments that review in parallel (they hold tasks)
        return qs.filter(Q(department_id=actor.department_id) | Q(tasks__department_id=actor.department_id)).distinct()
    return qs.none()


def case_for(actor: Actor, number: str) -> Case:
    case = cases_visible_to(actor).filter(number=number).first()
    if case is None:
        raise NotFound(_("未找到该办件，或您无权查看。"), code="case_not_found")
    return case


def inbox(actor: Actor) -> QuerySet[CaseTask]:
    """Open tasks of the actor's department for their role (a head sees all of the department's),
    most urgent first."""
    if not actor.is_authenticated:
        raise NotAuthenticated(_("请先登录。"))
    if not actor.department_id or actor.role not in DEPARTMENT_ROLES:
        return CaseTask.objects.none()
    qs = CaseTask.objects.select_related("case", "claimed_by", "department").filter(
        department_id=actor.department_id, status__in=[TaskStatus.OPEN, TaskStatus.CLAIMED])
    if actor.role != Role.DEPT_HEAD:
        qs = qs.filter(role=actor.role)
    return qs.order_by("case__due_at", "created_at")


def acceptance_queue(actor: Actor) -> QuerySet[Case]:
    """Applications waiting for acceptance (front desk or the department)."""
    return cases_visible_to(actor).filter(status=Status.SUBMITTED, parent__isnull=True).order_by("submitted_at")


def _actor_shown(event, staff: bool) -> str:
    """Staff see who did a step; applicants see the office (the department, or the front desk for
    a counter clerk), not the civil servant's name."""
    if staff or event.role in ("citizen", "enterprise_agent", "system"):
        return event.actor_label
    if event.department_id:
        return event.department.name
    return str(_("综合窗口")) if event.role == Role.CLERK else str(_("办理机关"))


#: The statuses in which a case's time limit is shown live (running, or stopped and frozen).
CLOCK_SHOWN = (Status.IN_REVIEW, Status.SUSPENDED, Status.CORRECTION, Status.AWAITING_PAYMENT)


def live_light(case: Case) -> sla.Light | None:
    """The SLA light of a case whose time limit is shown live, None for any other (its stored
    ``sla_light`` then stands). While the clock is stopped the days left are those left when it
    stopped (they do not run down)."""
    if not case.due_at or case.status not in CLOCK_SHOWN:
        return None
    return sla.light(case.due_at, now=case.clock_stopped_at, paused=case.clock_stopped_at is not None)


def case_detail(case: Case, *, staff: bool) -> dict:
    light = live_light(case)
    return {
        "number": case.number,
        "title": case.title,
        "status": case.status,
        "status_label": str(case.get_status_display()),
        "item_code": case.item_code,
        "item_version": case.item_version.number if case.item_version_id else None,
        "bundle_code": case.bundle_code or None,
        "department": case.department.name if case.department_id else None,
        "applicant": case.applicant_name,
        "channel": case.channel,
        "submitted_at": case.submitted_at,
        "accepted_at": case.accepted_at,
        "due_at": case.due_at,
        "statutory_due_at": case.statutory_due_at,
        "concluded_at": case.concluded_at,
        "sla_light": light.colour if light else case.sla_light if case.accepted_at else None,
        "remaining_working_days": light.remaining_days if light else None,
        "correction_items": case.correction_items,
        "fee_amount": str(case.fee_amount),
        "paid": case.paid_at is not None,
        "result": {"name": case.result_name, "decision": case.decision_reason,
                   "delivery_method": case.delivery_method, "tracking_number": case.tracking_number,
                   "delivered_at": case.delivered_at,
                   "licences": [{"identifier": lic.identifier, "name": lic.type.name, "number": lic.number}
                                for lic in case.licences.select_related("type")]} if case.concluded_at else None,
        "children": [{"number": c.number, "title": c.title, "status": c.status,
                      "department": c.department.name if c.department_id else None}
                     for c in case.children.select_related("department").order_by("id")] if case.is_bundle else [],
        "timeline": [
            {"at": e.at, "action": e.action, "status": e.to_status, "actor": _actor_shown(e, staff),
             "department": e.department.name if e.department_id else None, "opinion": e.opinion}
            for e in case.events.select_related("department").order_by("at", "id")
        ],
        "open_tasks": [
            {"id": t.pk, "step": t.step, "name": t.name, "department": t.department.name, "role": t.role,
             "claimed_by": t.claimed_by.display_name if t.claimed_by_id else None}
            for t in case.tasks.filter(status__in=[TaskStatus.OPEN, TaskStatus.CLAIMED]).select_related(
                "department", "claimed_by")
        ] if staff else [],
        "lock_version": case.lock_version,
    }
