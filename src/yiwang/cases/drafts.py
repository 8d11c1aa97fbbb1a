"""Saved application drafts (草稿): a DRAFT :class:`~yiwang.cases.models.Case` without a number, one
per applicant (and enterprise) and item or bundle, holding what was typed so far and the tokens of
files already uploaded. Submitting creates the real case through ``services.submit`` and removes
the draft. A draft has no number, so it never appears where numbered cases do.

``form_data`` of a draft: ``{"answers": {key: text}, "uploads": {material key: [token, ...]},
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


def valid_uploads(actor: Actor, uploads: dict) -> dict[str, list[CaseMaterial]]:
    """The uploads (material key → token or tokens, one per file or page) that still belong to the
    person and are unused."""
    wanted: dict[str, list[str]] = {}
    for key, value in (uploads or {}).items():
        tokens = value if isinstance(value, (list, tuple)) else [value]
        wanted[str(key)] = [str(t) for t in tokens if t]
    everything = [t for tokens in wanted.values() for t in tokens]
    rows = {r.upload_token: r for r in CaseMaterial.objects.filter(
        upload_token__in=everything, uploaded_by=actor.user, case__isnull=True)} if everything else {}
    out: dict[str, list[CaseMaterial]] = {}
    for key, tokens in wanted.items():
        found = [rows[t] for t in dict.fromkeys(tokens) if t in rows]
        if found:
            out[key] = found
    return out


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
