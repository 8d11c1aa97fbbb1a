"""The audit trail: append-only, hash-chained events.

Every service that changes state or reveals personal data calls :func:`record` inside its own
transaction, so the event and the change commit together or not at all.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import timezone as dt_timezone

from django.db import connection, transaction
from django.utils import timezone

from .context import current
from .models import AuditChainHead, AuditEvent

GENESIS = "0" * 64


def _canonical(event: AuditEvent) -> bytes:
    payload = {
        "seq": event.seq,
        "at": event.at.astimezone(dt_timezone.utc).isoformat(timespec="microseconds"),
        "actor": event.actor_id,
        "actor_label": event.actor_label,
        "role": event.role,
        "department": event.department,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "data": event.data,
        "request_id": event.request_id,
        "ip": event.ip,
        "prev_hash": event.prev_hash,
    }
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def compute_hash(event: AuditEvent) -> str:
    return hashlib.sha256(_canonical(event)).hexdigest()


def _object_ref(obj) -> tuple[str, str]:
    if obj is None:
        return "", ""
    if isinstance(obj, tuple):
        return str(obj[0]), str(obj[1])
    meta = getattr(obj, "_meta", None)
    label = meta.label_lower if meta else type(obj).__name__.lower()
    return label, str(getattr(obj, "pk", ""))


def record(action: str, obj=None, *, actor=None, data: dict | None = None, role: str | None = None,
           department: str | None = None, ip: str | None = None, request_id: str | None = None) -> AuditEvent:
    """Append one event. ``obj`` is a model instance or a ``(type, id)`` pair. The actor, role,
    department, client address and request id default to the current request's; pass them
    explicitly from background tasks, or as "" to leave them out (an anonymous reporter's request
    must not be traceable to the person who made it)."""
    ctx = current.get()
    object_type, object_id = _object_ref(obj)
    actor_id = actor.pk if actor is not None else ctx.user_id
    label = (getattr(actor, "display_name", "") or str(actor)) if actor is not None else ctx.actor_label
    # inside a caller's transaction no savepoint is needed: a failed append fails the whole change
    with transaction.atomic(savepoint=False):
        head_qs = AuditChainHead.objects.all()
        if connection.features.has_select_for_update:
            head_qs = head_qs.select_for_update()
        head = head_qs.filter(pk=1).first()
        if head is None:
            AuditChainHead.objects.get_or_create(pk=1)
            head = head_qs.get(pk=1)
        event = AuditEvent(
            seq=head.seq + 1,
            at=timezone.now(),
            actor_id=actor_id,
            actor_label=label[:128],
            role=(role if role is not None else ctx.role)[:32],
            department=(department if department is not None else ctx.department)[:32],
            action=action,
            object_type=object_type[:64],
            object_id=object_id[:64],
            data=json.loads(json.dumps(data or {}, default=str)),
            request_id=(request_id if request_id is not None else ctx.request_id)[:64],
            ip=ip if ip is not None else ctx.ip,
            prev_hash=head.hash,
        )
        event.hash = compute_hash(event)
        event.save(force_insert=True)
        head.seq, head.hash = event.seq, event.hash
        head.save(update_fields=["seq", "hash"])
    return event


@dataclass
class ChainProblem:
    seq: int
    reason: str

    def __str__(self) -> str:
        return f"audit chain broken at event #{self.seq}: {self.reason}"


def verify_chain(batch: int = 2000) -> tuple[int, ChainProblem | None]:
    """Walk the whole chain. Returns (events checked, first problem or None)."""
    expected_prev = GENESIS
    expected_seq = 1
    checked = 0
    last_id = 0
    while True:
        rows = list(AuditEvent.objects.filter(seq__gte=expected_seq).order_by("seq")[:batch])
        if not rows:
            break
        for event in rows:
            if event.seq != expected_seq:
                return checked, ChainProblem(expected_seq, f"event #{expected_seq} is missing (next is #{event.seq})")
            if event.prev_hash != expected_prev:
                return checked, ChainProblem(event.seq, "prev_hash does not match the previous event's hash")
            if compute_hash(event) != event.hash:
                return checked, ChainProblem(event.seq, "content does not match its hash (row was altered)")
            expected_prev = event.hash
            expected_seq += 1
            checked += 1
        last_id = rows[-1].seq
    head = AuditChainHead.objects.filter(pk=1).first()
    if head is not None and (head.seq != checked or head.hash != expected_prev):
        if head.seq > checked:
            return checked, ChainProblem(checked + 1, f"events #{checked + 1}…#{head.seq} are missing (tail deleted)")
        return checked, ChainProblem(max(last_id, 1), "chain head does not match the last event")
    return checked, None
