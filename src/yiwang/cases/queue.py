"""The counter queue of a service place (排队叫号): take a number (取号) by ID number, call the next
number to a counter (叫号), start, finish or mark a no-show (过号).

Every change is audited (``queue.*`` events). Two clerks calling at the same moment never get the
same ticket: on PostgreSQL the next waiting ticket is taken with ``SELECT … FOR UPDATE SKIP
LOCKED``, and the ``UPDATE`` that calls it is guarded by its status, so a loser simply moves on to
the next ticket; on SQLite writers are serialised anyway (``transaction_mode=IMMEDIATE``).

The waiting-time estimate is today's average service time at the place (called → finished) times
the number of people ahead, divided by the counters serving today.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.accounts.actor import Actor
from yiwang.accounts.models import Role, User
from yiwang.core import audit
from yiwang.core.crypto import blind_index
from yiwang.core.errors import (
    Conflict,
    NotFound,
    PermissionDeniedError,
    ValidationFailed,
)
from yiwang.core.identity import validate_resident_id
from yiwang.core.models import Counter, ServicePlace

from .models import QueueTicket

Ticket = QueueTicket
DEFAULT_SERVICE_MINUTES = 10
ACTIVE = (QueueTicket.Status.CALLED, QueueTicket.Status.SERVING)


def _select_for_update(qs, **kwargs):
    if transaction.get_connection().features.has_select_for_update:
        return qs.select_for_update(**kwargs)
    return qs


def _can_skip_locked() -> bool:
    return bool(transaction.get_connection().features.has_select_for_update_skip_locked)


# -- reads -------------------------------------------------------------------------------------
def place_by_code(code: str) -> ServicePlace:
    place = ServicePlace.objects.filter(code=code, is_active=True).first()
    if place is None:
        raise NotFound(_("未找到该服务场所。"), code="place_not_found")
    return place


def clerk_place(actor: Actor) -> ServicePlace:
    """The service place where a counter clerk works (403 for anyone else)."""
    if actor.role != Role.CLERK or not actor.place_id:
        raise PermissionDeniedError(_("该页面仅供综合窗口受理人员使用。"), code="clerk_only")
    return actor.assignment.place


def counters_of(place: ServicePlace):
    return Counter.objects.filter(place=place, is_active=True).order_by("number")


def today_tickets(place: ServicePlace):
    return QueueTicket.objects.filter(place=place, day=timezone.localdate()).select_related("counter")


def waiting(place: ServicePlace):
    return today_tickets(place).filter(status=QueueTicket.Status.WAITING).order_by("seq")


def current_ticket(counter: Counter | None) -> QueueTicket | None:
    """The ticket a counter is dealing with now (called or being served)."""
    if counter is None:
        return None
    return (today_tickets(counter.place).filter(counter=counter, status__in=ACTIVE)
            .select_related("person").order_by("-called_at").first())


def recently_called(place: ServicePlace, limit: int = 8):
    """What the hall screen shows: the latest calls, newest first."""
    return (today_tickets(place).filter(called_at__isnull=False)
            .exclude(status=QueueTicket.Status.NO_SHOW).order_by("-called_at")[:limit])


def average_service_minutes(place: ServicePlace) -> float:
    done = today_tickets(place).filter(status=QueueTicket.Status.DONE, called_at__isnull=False,
                                       finished_at__isnull=False).values_list("called_at", "finished_at")
    durations = [(f - c).total_seconds() / 60 for c, f in done if f >= c]
    if not durations:
        return float(DEFAULT_SERVICE_MINUTES)
    return max(sum(durations) / len(durations), 1.0)


@dataclass
class WaitEstimate:
    ahead: int
    minutes: int
    average_minutes: float
    counters: int


def estimate_wait(place: ServicePlace, ticket: QueueTicket | None = None) -> WaitEstimate:
    """People ahead (of ``ticket``, or of a number taken now) and the expected wait in minutes."""
    qs = waiting(place)
    if ticket is not None:
        qs = qs.filter(seq__lt=ticket.seq)
    ahead = qs.count()
    serving_today = today_tickets(place).filter(counter__isnull=False).values("counter").distinct().count()
    counters = max(serving_today, 1)
    avg = average_service_minutes(place)
    return WaitEstimate(ahead=ahead, minutes=int(round(ahead * avg / counters)), average_minutes=round(avg, 1),
                        counters=counters)


# -- changes -----------------------------------------------------------------------------------
def _audit(action: str, ticket: QueueTicket, **data) -> None:
    audit.record(f"queue.{action}", ticket, data={"place": ticket.place.code, "number": ticket.number,
                                                 "status": ticket.status, **data})


def take_ticket(place: ServicePlace, id_number: str, category: str = "A") -> tuple[QueueTicket, bool]:
    """Take a number by ID number (kiosk or clerk). Returns (ticket, created): a person who already
    waits at this place today gets their number again instead of a second one."""
    verdict = validate_resident_id(id_number or "")
    if not verdict.valid:
        raise ValidationFailed(verdict.message, code=verdict.error or "id_number_invalid",
                               fields={"id_number": [verdict.message]})
    category = (category or "A")[:1].upper()
    bidx = blind_index(verdict.number, "resident_id")
    for _attempt in range(5):
        try:
            with transaction.atomic():
                # Serialise number drawing per place: lock the place row (PostgreSQL); SQLite's
                # IMMEDIATE transactions already queue writers.
                _select_for_update(ServicePlace.objects.filter(pk=place.pk)).first()
                existing = today_tickets(place).filter(person_bidx=bidx, status__in=[
                    QueueTicket.Status.WAITING, *ACTIVE]).first()
                if existing is not None:
                    return existing, False
                seq = (today_tickets(place).aggregate(m=Max("seq"))["m"] or 0) + 1
                person = User.objects.find_by_id_number(verdict.number)
                ticket = QueueTicket.objects.create(
                    place=place, day=timezone.localdate(), seq=seq, number=f"{category}{seq:03d}",
                    category=category, person_bidx=bidx,
                    person=person if person is not None and person.kind == User.Kind.CITIZEN else None,
                )
                _audit("ticket_taken", ticket)
                return ticket, True
        except IntegrityError:
            continue  # another kiosk drew the same sequence number: draw again
    raise Conflict(_("取号人数较多，请稍后重试。"), code="queue_busy")


def _clerk_counter(actor: Actor, counter_id: int) -> Counter:
    place = clerk_place(actor)
    counter = counters_of(place).filter(pk=counter_id).first()
    if counter is None:
        raise ValidationFailed(_("请选择您所在的窗口。"), code="counter_required",
                               fields={"counter": [_("请选择窗口。")]})
    return counter


def call_next(actor: Actor, counter_id: int) -> QueueTicket | None:
    """Call the next waiting number to the clerk's counter; None when nobody waits. A counter that
    still has a called or served number must finish it (or mark a no-show) first."""
    counter = _clerk_counter(actor, counter_id)
    with transaction.atomic():
        _select_for_update(Counter.objects.filter(pk=counter.pk)).first()  # one call at a time per counter
        current = current_ticket(counter)
        if current is not None:
            raise Conflict(_("窗口当前号码 %(n)s 尚未办结，请先办结或标记过号。") % {"n": current.number},
                           code="counter_busy")
        for _attempt in range(20):
            qs = waiting(counter.place)
            if _can_skip_locked():
                qs = qs.select_for_update(skip_locked=True, of=("self",))
            ticket = qs.first()
            if ticket is None:
                return None
            now = timezone.now()
            won = QueueTicket.objects.filter(pk=ticket.pk, status=QueueTicket.Status.WAITING).update(
                status=QueueTicket.Status.CALLED, counter=counter, called_at=now)
            if not won:
                continue  # another clerk called it between our read and our write
            ticket.refresh_from_db()
            _audit("ticket_called", ticket, counter=counter.number)
            return ticket
    raise Conflict(_("叫号繁忙，请重试。"), code="queue_busy")


def _locked_ticket(actor: Actor, ticket_id: int) -> QueueTicket:
    place = clerk_place(actor)
    qs = QueueTicket.objects.filter(pk=ticket_id, place=place).select_related("place", "counter")
    ticket = _select_for_update(qs, of=("self",)).first()
    if ticket is None:
        raise NotFound(_("未找到该号码。"), code="ticket_not_found")
    return ticket


def _move(ticket: QueueTicket, target: str, allowed: set[str]) -> None:
    if ticket.status not in allowed:
        raise Conflict(_("号码 %(n)s 当前为“%(s)s”，不能执行该操作。") % {"n": ticket.number,
                                                                  "s": ticket.get_status_display()},
                       code="illegal_transition")
    ticket.status = target


@transaction.atomic
def start(actor: Actor, ticket_id: int) -> QueueTicket:
    """The called person arrived at the counter: serving starts."""
    ticket = _locked_ticket(actor, ticket_id)
    if ticket.status == QueueTicket.Status.SERVING:
        return ticket
    _move(ticket, QueueTicket.Status.SERVING, {QueueTicket.Status.CALLED})
    ticket.save(update_fields=["status"])
    _audit("ticket_serving", ticket)
    return ticket


@transaction.atomic
def recall(actor: Actor, ticket_id: int) -> QueueTicket:
    """Call the same number again (重呼); the screen shows it on top."""
    ticket = _locked_ticket(actor, ticket_id)
    _move(ticket, ticket.status, {QueueTicket.Status.CALLED})
    ticket.called_at = timezone.now()
    ticket.save(update_fields=["called_at"])
    _audit("ticket_recalled", ticket)
    return ticket


@transaction.atomic
def finish(actor: Actor, ticket_id: int, case=None) -> QueueTicket:
    ticket = _locked_ticket(actor, ticket_id)
    if ticket.status == QueueTicket.Status.DONE:
        return ticket
    _move(ticket, QueueTicket.Status.DONE, set(ACTIVE))
    ticket.finished_at = timezone.now()
    fields = ["status", "finished_at"]
    if case is not None:
        ticket.case = case
        fields.append("case")
    ticket.save(update_fields=fields)
    _audit("ticket_done", ticket, **({"case": case.number} if case is not None else {}))
    return ticket


@transaction.atomic
def no_show(actor: Actor, ticket_id: int) -> QueueTicket:
    ticket = _locked_ticket(actor, ticket_id)
    if ticket.status == QueueTicket.Status.NO_SHOW:
        return ticket
    _move(ticket, QueueTicket.Status.NO_SHOW, {QueueTicket.Status.CALLED})
    ticket.finished_at = timezone.now()
    ticket.save(update_fields=["status", "finished_at"])
    _audit("ticket_no_show", ticket)
    return ticket


@transaction.atomic
def link_case(actor: Actor, ticket_id: int, case) -> QueueTicket:
    """Remember which case a counter visit produced (shown on the counter page)."""
    ticket = _locked_ticket(actor, ticket_id)
    ticket.case = case
    ticket.save(update_fields=["case"])
    _audit("ticket_case", ticket, case=case.number)
    return ticket
