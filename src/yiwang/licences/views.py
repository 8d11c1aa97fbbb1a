"""Licence pages: public verification (HTML, or JSON with Accept: application/json), PDF upload
verification, the holder's wallet (我的证照), showing a licence by QR, and the signed PDF."""

from __future__ import annotations

import logging

from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from . import identifier as ident
from . import selectors, services, signing

MAX_PDF = 10 * 1024 * 1024
logger = logging.getLogger("yiwang.licences")


def _wants_json(request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def verify_url(request, licence) -> str:
    return request.build_absolute_uri(reverse("licence-verify", args=[licence.identifier]))


def verify(request, identifier: str):
    """valid | revoked | expired | unknown (a malformed identifier or a bad check character is
    'unknown' with the reason)."""
    parsed = ident.parse(identifier)
    licence = selectors.by_identifier(identifier) if parsed else None
    if licence is None:
        reason = _("证照标识格式或校验位不正确。") if parsed is None else _("证照库中没有该证照。")
        body = {"identifier": identifier[:120], "status": "unknown", "reason": reason}
        if _wants_json(request):
            return JsonResponse(body, status=404)
        return render(request, "licences/verify.html", {"result": body}, status=404)
    body = selectors.public_view(licence)
    if _wants_json(request):
        return JsonResponse(body)
    return render(request, "licences/verify.html", {"result": body, "licence": licence})


@require_http_methods(["GET", "POST"])
def verify_upload(request):
    """Upload a licence PDF: its signature, integrity and status in the library are checked."""
    context: dict = {}
    status = 200
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            context["error"] = _("请选择要核验的 PDF 文件。")
            status = 400
        elif upload.size > MAX_PDF:
            context["error"] = _("文件超过 10 MB。")
            status = 400
        else:
            check, licence = services.verify_file(upload.read())
            context["check"] = check
            context["result"] = selectors.public_view(licence) if licence else None
            status = 200 if check.ok else 422
            if not check.ok:
                from yiwang.core.context import current

                logger.warning("licence file refused: %s identifier=%s size=%d request=%s", check.code,
                               check.identifier[:120] or "-", upload.size, current.get().request_id or "-")
        if _wants_json(request):
            check = context.get("check")
            return JsonResponse({"ok": bool(check and check.ok), "code": check.code if check else "missing_file",
                                 "message": str(check.message if check else context.get("error")),
                                 "licence": context.get("result")}, status=status)
    return render(request, "licences/verify_upload.html", context, status=status)


def wallet(request):
    if not request.actor.is_authenticated:
        return redirect(f"/accounts/login/?next={request.path}")
    items = list(selectors.wallet(request.actor))
    return render(request, "licences/wallet.html", {"licences": items})


def _owned(request, identifier):
    licence = selectors.by_identifier(identifier)
    if licence is None or not selectors.may_download(request.actor, licence):
        raise Http404
    return licence


def show(request, identifier: str):
    """Full-screen QR to show a licence to a clerk (who scans it and sees the verification page)."""
    licence = _owned(request, identifier)
    import segno

    svg = segno.make(verify_url(request, licence), error="m").svg_inline(scale=6, dark="#000", light="#fff")
    return render(request, "licences/show.html", {"licence": licence, "qr_svg": svg,
                                                  "view": selectors.public_view(licence)})


def download(request, identifier: str):
    licence = _owned(request, identifier)
    from yiwang.core import audit

    data = services.ensure_pdf(licence, verify_url(request, licence))
    audit.record("licence.downloaded", licence, data={"identifier": licence.identifier})
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="licence-{licence.number}.pdf"'
    return response


def root_certificate(request):
    from asn1crypto import pem

    cert = signing.root_certificate()
    return HttpResponse(pem.armor("CERTIFICATE", cert.dump()), content_type="application/x-pem-file")


