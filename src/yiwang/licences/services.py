"""Issuing, rendering and revoking electronic licences (each step audited)."""

from __future__ import annotations

import hashlib
import json
from datetime import date

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.accounts.actor import Actor
from yiwang.accounts.models import Role
from yiwang.core import audit
from yiwang.core.crypto import blind_index
from yiwang.core.errors import NotFound, PermissionDeniedError, ValidationFailed

from . import identifier as ident
from . import pdf as pdf_render
from . import signing
from .models import Licence, LicenceType
from .selectors import by_identifier, masked_holder_code


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


@transaction.atomic
def issue(*, type_code: str, user=None, enterprise=None, data: dict | None = None, case=None,
          valid_from: date | None = None, issued_at=None, actor: Actor | None = None) -> Licence:
    """Issue a licence to a person (``user``) or an organisation (``enterprise``)."""
    ltype = LicenceType.objects.select_related("issuer").filter(code=type_code).first()
    if ltype is None:
        raise ValidationFailed(_("证照类型不存在：%(c)s") % {"c": type_code}, code="licence_type_unknown")
    if (user is None) == (enterprise is None):
        raise ValidationFailed(_("证照须有且只有一个持证主体。"), code="holder_required")
    if ltype.holder_kind == LicenceType.HolderKind.PERSON and user is None:
        raise ValidationFailed(_("该证照只颁发给自然人。"), code="holder_kind_mismatch")
    if ltype.holder_kind == LicenceType.HolderKind.ORGANISATION and enterprise is None:
        raise ValidationFailed(_("该证照只颁发给法人和其他组织。"), code="holder_kind_mismatch")
    issued_at = issued_at or timezone.now()
    valid_from = valid_from or timezone.localdate(issued_at)
    year = valid_from.year
    seq = Licence.objects.filter(type=ltype, number__startswith=f"{year}").count() + 1
    serial = f"{year}{seq:07d}"
    while Licence.objects.filter(type=ltype, number=serial).exists():
        seq += 1
        serial = f"{year}{seq:07d}"
    holder_code = user.id_number if user is not None else enterprise.uscc
    code_type = "resident_id" if user is not None else "uscc"
    licence = Licence(
        identifier=str(ident.build(ltype.code, ltype.issuer.uscc, serial, 1)),
        type=ltype, number=serial, holder_user=user, holder_enterprise=enterprise,
        holder_name=user.display_name if user is not None else enterprise.name,
        holder_code=holder_code, holder_code_bidx=blind_index(holder_code, code_type), holder_code_type=code_type,
        issuer=ltype.issuer, issuer_code=ltype.issuer.uscc, issued_at=issued_at, valid_from=valid_from,
        valid_until=_add_years(valid_from, ltype.validity_years) if ltype.validity_years else None,
        data=json.dumps(data or {}, ensure_ascii=False), case=case,
    )
    licence.save()
    audit.record("licence.issued", licence, actor=actor.user if actor else None,
                 role=actor.role if actor else "system", department=ltype.issuer.code,
                 data={"identifier": licence.identifier, "type": ltype.code, "case": case.number if case else None})
    return licence


def issue_for_case(case) -> Licence | None:
    """A concluded, approved case whose item issues a licence gets it automatically (once)."""
    version = case.item_version
    if version is None or not version.licence_type or case.status not in ("approved", "delivered"):
        return None
    existing = Licence.objects.filter(case=case).first()
    if existing is not None:
        return existing
    if not LicenceType.objects.filter(code=version.licence_type).exists():
        return None
    fields = {k: v for k, v in (case.form_data or {}).items() if isinstance(v, (str, int, float)) and k not in (
        "id_number", "phone", "applicant_id_number")}
    return issue(type_code=version.licence_type, user=None if case.enterprise_id else case.applicant,
                 enterprise=case.enterprise, data=fields, case=case)


def ensure_pdf(licence: Licence, verify_url: str) -> bytes:
    """The licence's signed PDF, rendered and signed on first use and kept."""
    if licence.pdf:
        with licence.pdf.open("rb") as f:
            return f.read()
    raw = pdf_render.render(licence, verify_url, masked_holder_code=masked_holder_code(licence))
    signed = signing.sign_pdf(raw, location=licence.issuer.name)
    with transaction.atomic():
        fresh = Licence.objects.select_for_update().get(pk=licence.pk) if transaction.get_connection(
        ).features.has_select_for_update else Licence.objects.get(pk=licence.pk)
        if fresh.pdf:
            with fresh.pdf.open("rb") as f:
                return f.read()
        fresh.pdf.save(f"{licence.type.code}-{licence.number}.pdf", ContentFile(signed), save=False)
        fresh.pdf_sha256 = hashlib.sha256(signed).hexdigest()
        fresh.save(update_fields=["pdf", "pdf_sha256"])
        audit.record("licence.pdf_signed", fresh, role="system", data={"sha256": fresh.pdf_sha256})
    licence.pdf, licence.pdf_sha256 = fresh.pdf, fresh.pdf_sha256
    return signed


@transaction.atomic
def revoke(actor: Actor, identifier: str, reason: str) -> Licence:
    licence = Licence.objects.select_related("type", "issuer").filter(identifier=identifier).first()
    if licence is None:
        raise NotFound(_("未找到该证照。"), code="licence_not_found")
    if not (actor.role in (Role.REVIEWER, Role.DEPT_HEAD) and actor.department_id == licence.issuer_id):
        raise PermissionDeniedError(_("只有颁证部门的审批人员可以注销证照。"), code="forbidden")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("注销证照必须说明原因。"), code="reason_required", fields={"reason": [_("必填。")]})
    licence.revoke(reason)
    licence.save(update_fields=["status", "revoked_at", "revoke_reason"])
    audit.record("licence.revoked", licence, data={"identifier": identifier, "reason": reason})
    return licence


def verify_file(data: bytes) -> tuple[signing.PdfCheck, Licence | None]:
    """Check an uploaded licence PDF: its signature and integrity, then the library: an intact file
    is still refused when the library does not hold its licence as valid today. Returns the check
    and the library's licence the file names (None when it names none the library knows)."""
    check = signing.verify_pdf(data)
    licence = by_identifier(check.identifier) if check.identifier else None
    if check.ok:
        check = _library_check(check, licence)
    return check, licence


def _library_check(check: signing.PdfCheck, licence) -> signing.PdfCheck:
    if licence is None:
        return signing.PdfCheck(False, "licence_unknown", _("签名完好，但证照库中没有该证照，不能作为电子证照使用。"),
                                check.identifier)
    state = licence.state()
    if state == "revoked":
        at = timezone.localtime(licence.revoked_at).date().isoformat() if licence.revoked_at else ""
        return signing.PdfCheck(False, "licence_revoked", _("签名完好，但该证照已于 %(at)s 注销：%(reason)s") % {
            "at": at, "reason": licence.revoke_reason or "-"}, check.identifier)
    if state == "expired":
        return signing.PdfCheck(False, "licence_expired", _("签名完好，但该证照已于 %(at)s 过期。") % {
            "at": licence.valid_until.isoformat()}, check.identifier)
    return check
