"""Reads of licences: the holder's wallet, the public verification view, the library look-up."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from yiwang.accounts.actor import Actor
from yiwang.accounts.models import Role
from yiwang.core.crypto import blind_index
from yiwang.core.identity import mask_id_number

from .models import Licence


def mask_name(name: str) -> str:
    if len(name) <= 1:
        return name
    return name[0] + "*" * (len(name) - 1)


def masked_holder_code(licence: Licence) -> str:
    return mask_id_number(licence.holder_code) if licence.holder_code_type == "resident_id" else licence.holder_code


def masked_holder(licence: Licence) -> str:
    return mask_name(licence.holder_name) if licence.holder_code_type == "resident_id" else licence.holder_name


def wallet(actor: Actor) -> QuerySet[Licence]:
    qs = Licence.objects.select_related("type", "issuer").order_by("-issued_at")
    if actor.role == Role.ENTERPRISE_AGENT and actor.enterprise is not None:
        return qs.filter(holder_enterprise=actor.enterprise)
    if actor.role == Role.CITIZEN:
        return qs.filter(holder_user=actor.user)
    return qs.none()


def by_identifier(identifier: str) -> Licence | None:
    return Licence.objects.select_related("type", "issuer").filter(identifier=identifier.strip().upper()).first()


def may_download(actor: Actor, licence: Licence) -> bool:
    if not actor.is_authenticated:
        return False
    if actor.role == Role.CITIZEN:
        return licence.holder_user_id == actor.user.pk
    if actor.role == Role.ENTERPRISE_AGENT:
        return actor.enterprise is not None and licence.holder_enterprise_id == actor.enterprise.pk
    return actor.role in (Role.REVIEWER, Role.DEPT_HEAD) and actor.department_id == licence.issuer_id


def public_view(licence: Licence) -> dict:
    """What anyone may see on the verification page: no personal data beyond the masked holder."""
    return {
        "identifier": licence.identifier,
        "status": licence.state(),
        "type": licence.type.name,
        "type_code": licence.type.code,
        "number": licence.number,
        "holder": masked_holder(licence),
        "holder_code": masked_holder_code(licence),
        "issuer": licence.issuer.name,
        "issuer_code": licence.issuer_code,
        "issued_at": licence.issued_at.date().isoformat(),
        "valid_from": licence.valid_from.isoformat(),
        "valid_until": licence.valid_until.isoformat() if licence.valid_until else None,
        "revoked_at": licence.revoked_at.isoformat() if licence.revoked_at else None,
    }


def _held(holder_number: str, type_code: str) -> QuerySet[Licence]:
    number = (holder_number or "").strip().upper()
    return Licence.objects.select_related("type", "issuer").filter(
        Q(holder_code_bidx=blind_index(number, "resident_id")) | Q(holder_code_bidx=blind_index(number, "uscc")),
        type__code=type_code).order_by("-issued_at", "-id")


def current_licence(holder_number: str, type_code: str) -> Licence | None:
    """The holder's newest licence of a type that is valid today (for reuse as a case material)."""
    for licence in _held(holder_number, type_code).filter(status=Licence.Status.VALID):
        if licence.state() == "valid":
            return licence
    return None


def newest_licence(holder_number: str, type_code: str) -> Licence | None:
    """The holder's newest licence of a type in any state (valid, revoked or expired): tells why
    :func:`current_licence` found none."""
    return _held(holder_number, type_code).first()
