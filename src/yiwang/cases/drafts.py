"""Saved application drafts (草稿): a DRAFT :class:`~yiwang.cases.models.Case` without a number, one
per applicant (and enterprise) and item or bundle, holding what was typed so far and the tokens of
files already uploaded. Submitting creates the real case through ``services.submit`` and removes
the draft. A draft has no number, so it never appears where numbered cases do.

``form_data`` of a draft: ``{"answers": {key: text}, "uploads": {material key: token},
"consent": bool}``.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from yiwang.accounts.actor import Actor

from .models import Case, CaseMaterial, Status


def _scope(actor: Actor, *, item_code: str = "", bundle_code: str = ""):
    qs = Case.objects.filter(status=Status.DRAFT, number__isnull=True, applicant=actor.user,
                             enterprise=actor.enterprise)
    if bundle_code:
        return qs.filter(bundle_code=bundle_code, parent__isnull=True)
    return qs.filter(item_code=item_code, bundle_code="")


def drafts_of(actor: Actor):
    return Case.objects.filter(status=Status.DRAFT, number__isnull=True, applicant=actor.user,
                               enterprise=actor.enterprise).order_by("-created_at")


def load(actor: Actor, *, item_code: str = "", bundle_code: str = "") -> Case | None:
    return _scope(actor, item_code=item_code, bundle_code=bundle_code).first()


def valid_uploads(actor: Actor, uploads: dict) -> dict[str, CaseMaterial]:
    """The uploads (material key → token) that still belong to the person and are unused."""
    tokens = {str(k): str(v) for k, v in (uploads or {}).items() if v}
    rows = {r.upload_token: r for r in CaseMaterial.objects.filter(
        upload_token__in=list(tokens.values()), uploaded_by=actor.user, case__isnull=True)}
    return {k: rows[t] for k, t in tokens.items() if t in rows}


@transaction.atomic
def save(actor: Actor, *, title: str, department, version=None, item_code: str = "", bundle_code: str = "",
         answers: dict, uploads: dict, consent: bool) -> Case:
    draft = _scope(actor, item_code=item_code, bundle_code=bundle_code).select_for_update().first() \
        if transaction.get_connection().features.has_select_for_update else \
        _scope(actor, item_code=item_code, bundle_code=bundle_code).first()
    data = {"answers": answers, "uploads": {k: v for k, v in uploads.items() if v}, "consent": bool(consent)}
    if draft is None:
        draft = Case(status=Status.DRAFT, applicant=actor.user, enterprise=actor.enterprise,
                     applicant_name=actor.enterprise.name if actor.enterprise else actor.user.display_name,
                     item_code=item_code, bundle_code=bundle_code, item_version=version, title=title,
                     department=department, channel="web")
    draft.form_data = data
    draft.title = title
    draft.created_at = timezone.now()
    draft.save()
    return draft


def discard(actor: Actor, *, item_code: str = "", bundle_code: str = "") -> int:
    deleted, _ = _scope(actor, item_code=item_code, bundle_code=bundle_code).delete()
    return deleted
