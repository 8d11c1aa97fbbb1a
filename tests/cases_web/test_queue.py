"""The counter queue: kiosk 取号, 叫号 to a counter, the hall screen, waiting estimates, audit, and
two clerks calling at the same moment never getting the same ticket (PostgreSQL)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from yiwang.accounts.actor import staff_actor
from yiwang.cases import queue
from yiwang.cases.models import QueueTicket
from yiwang.core.errors import Conflict, NotFound, PermissionDeniedError
from yiwang.core.models import AuditEvent, Counter

from .conftest import new_id_number as next_id_number


def text(response) -> str:
    return response.content.decode()


def test_kiosk_takes_a_number_once_per_person(client, org):
    page = client.get("/counter/YX-ZWFW/take/")
    assert page.status_code == 200 and "自助取号" in text(page)
    number = next_id_number()
    r = client.post("/counter/YX-ZWFW/take/", {"id_number": number})
    assert r.status_code == 201 and 'data-testid="ticket-number">A001<' in text(r)
    assert number not in text(r)
    again = client.post("/counter/YX-ZWFW/take/", {"id_number": number})
    assert again.status_code == 200 and "A001" in text(again) and "今天已取号" in text(again)
    second = client.post("/counter/YX-ZWFW/take/", {"id_number": next_id_number()})
    assert "A002" in text(second) and "前面还有 1 人" in text(second)
    assert AuditEvent.objects.filter(action="queue.ticket_taken").count() == 2
    ticket = QueueTicket.objects.get(number="A001")
    assert ticket.person_bidx and number not in str(ticket.__dict__)


def test_kiosk_refuses_an_invalid_number_with_a_400(client, org):
    r = client.post("/counter/YX-ZWFW/take/", {"id_number": "12345"})
    assert r.status_code == 400 and 'data-testid="error-summary"' in text(r) and 'href="#kiosk-id"' in text(r)
    assert QueueTicket.objects.count() == 0
    assert client.get("/counter/NOPE/take/").status_code == 404


def test_call_start_finish_and_the_screen(client, login, org, people):
    t1, _ = queue.take_ticket(org["centre"], next_id_number())
    t2, _ = queue.take_ticket(org["centre"], next_id_number())
    clerk = login(people["clerk"])
    r = clerk.post("/counter/queue/", {"action": "call"})
    assert r.status_code == 302
    t1.refresh_from_db()
    assert t1.status == QueueTicket.Status.CALLED and t1.counter == org["counter"]
    screen = client.get("/counter/YX-ZWFW/screen/")
    assert 'data-testid="latest-number">A001<' in text(screen) and 'hx-trigger="every 4s"' in text(screen)
    partial = client.get("/counter/YX-ZWFW/screen/", headers={"HX-Request": "true"})
    assert "<html" not in text(partial) and "A001" in text(partial)
    # the counter must finish (or mark a no-show) before calling again
    r = clerk.post("/counter/queue/", {"action": "call"})
    assert r.status_code == 409 and "尚未办结" in text(r)
    clerk.post("/counter/queue/", {"action": "start", "ticket": t1.pk})
    clerk.post("/counter/queue/", {"action": "finish", "ticket": t1.pk})
    t1.refresh_from_db()
    assert t1.status == QueueTicket.Status.DONE and t1.finished_at
    clerk.post("/counter/queue/", {"action": "call"})
    clerk.post("/counter/queue/", {"action": "no_show", "ticket": t2.pk})
    t2.refresh_from_db()
    assert t2.status == QueueTicket.Status.NO_SHOW
    r = clerk.post("/counter/queue/", {"action": "call"})
    assert r.status_code == 302
    assert "目前没有等候的号码" in text(clerk.get("/counter/"))
    actions = list(AuditEvent.objects.filter(action__startswith="queue.").values_list("action", flat=True))
    assert actions.count("queue.ticket_called") == 2 and "queue.ticket_done" in actions
    assert "queue.ticket_no_show" in actions


def test_only_clerks_of_the_place_move_tickets(org, people, make_staff):
    ticket, _ = queue.take_ticket(org["centre"], next_id_number())
    with pytest.raises(PermissionDeniedError):
        queue.call_next(staff_actor(people["reviewer"]), org["counter"].pk)
    station_clerk = staff_actor(make_staff("clerk", org["station"], username="station_clerk"))
    with pytest.raises(NotFound):
        queue.start(station_clerk, ticket.pk)  # another place's ticket: not found


def test_waiting_estimate_uses_todays_average_service_time(org, people):
    clerk = staff_actor(people["clerk"])
    done = []
    for minutes in (6, 10):
        t, _ = queue.take_ticket(org["centre"], next_id_number())
        done.append((t, minutes))
    for t, minutes in done:
        queue.call_next(clerk, org["counter"].pk)
        queue.finish(clerk, t.pk)
        start = timezone.now() - timedelta(minutes=minutes)
        QueueTicket.objects.filter(pk=t.pk).update(called_at=start, finished_at=start + timedelta(minutes=minutes))
    for _ in range(3):
        queue.take_ticket(org["centre"], next_id_number())
    estimate = queue.estimate_wait(org["centre"])
    assert estimate.ahead == 3 and estimate.average_minutes == 8.0 and estimate.minutes == 24


def test_a_second_call_on_a_busy_counter_is_refused(org, people):
    queue.take_ticket(org["centre"], next_id_number())
    queue.take_ticket(org["centre"], next_id_number())
    clerk = staff_actor(people["clerk"])
    queue.call_next(clerk, org["counter"].pk)
    with pytest.raises(Conflict):
        queue.call_next(clerk, org["counter"].pk)


@pytest.mark.django_db(transaction=True)
def test_two_clerks_calling_at_once_never_get_the_same_ticket(org, people):
    if connection.vendor != "postgresql":
        pytest.skip("row locks (SELECT … FOR UPDATE SKIP LOCKED) are exercised on PostgreSQL")
    second = Counter.objects.get(place=org["centre"], number="02")
    for _ in range(12):
        queue.take_ticket(org["centre"], next_id_number())
    clerks = [(staff_actor(people["clerk"]), org["counter"].pk), (staff_actor(people["clerk2"]), second.pk)]
    called: list[tuple[int, str]] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def work(actor, counter_id):
        try:
            for _ in range(6):
                barrier.wait(timeout=10)
                ticket = queue.call_next(actor, counter_id)
                called.append((counter_id, ticket.number))
                queue.finish(actor, ticket.pk)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=c) for c in clerks]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    numbers = [n for _, n in called]
    assert len(numbers) == 12 and len(set(numbers)) == 12
    assert QueueTicket.objects.filter(status=QueueTicket.Status.DONE).count() == 12
