"""Guide pages (办事指南), browsing, search and the catalog desk for department staff. Thin views:
the work is in selectors, services, search and transfer."""

from __future__ import annotations

from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from yiwang.core.errors import DomainError, NotFound

from . import permissions, search, selectors, services, transfer
from .models import OnlineDepth, Tier


def qr_data_uri(url: str) -> str:
    """An SVG QR code as a data: URI (the CSP allows images from data:)."""
    import segno

    return segno.make(url, error="m").svg_data_uri(scale=4, border=2, dark="#0b0c0c")


def _apply_url(kind: str, code: str) -> str | None:
    """Where to apply online, when the cases app offers a page for it."""
    for name in ("cases:apply", "case-apply", "cases-apply"):
        try:
            return reverse(name, kwargs={"kind": kind, "code": code})
        except NoReverseMatch:
            try:
                return reverse(name, kwargs={"code": code}) + ("?bundle=1" if kind == "bundle" else "")
            except NoReverseMatch:
                continue
    return None


def _not_found(request, exc: DomainError):
    return render(request, "catalog/not_found.html", {"message": exc.message}, status=404)


# --- public pages -----------------------------------------------------------------------------
@require_GET
def index(request):
    return render(request, "catalog/index.html", {
        "life_events": selectors.life_events_with_counts(),
        "departments": selectors.departments_with_items(),
        "bundles": selectors.published_bundles(),
        "tiers": Tier.choices,
    })


@require_GET
def search_page(request):
    q = request.GET.get("q", "")
    context = {"q": q, "results": None, "error": None}
    if "q" in request.GET:
        try:
            context["results"] = search.search(q, limit=20)
        except DomainError as exc:
            context["error"] = exc.message
    status = 200 if context["error"] is None else 400
    return render(request, "catalog/search.html", context, status=status)


def _guide_context(request, version, *, current: bool):
    guide = selectors.guide(version)
    url = request.build_absolute_uri(f"/services/items/{version.item.code}/" if current
                                     else f"/services/items/{version.item.code}/v/{version.number}/")
    return {
        "g": guide,
        "version": version,
        "current": current,
        "qr": qr_data_uri(url),
        "page_url": url,
        "apply_url": _apply_url("item", version.item.code) if current else None,
        "full_online": version.online_depth == OnlineDepth.FULL,
        "bundles": [e.bundle for e in version.item.bundle_entries.select_related("bundle")
                    if e.bundle.status == "published"],
    }


@require_GET
def item_guide(request, code: str):
    try:
        item = selectors.published_item(code)
    except NotFound as exc:
        return _not_found(request, exc)
    return render(request, "catalog/guide.html", _guide_context(request, item.current, current=True))


@require_GET
def item_version(request, code: str, number: int):
    try:
        version = selectors.item_version(code, number, request.actor)
    except NotFound as exc:
        return _not_found(request, exc)
    current = version.item.current_id == version.pk
    return render(request, "catalog/guide.html", _guide_context(request, version, current=current))


@require_GET
def item_history(request, code: str):
    try:
        item = selectors.item_by_code(code)
    except NotFound as exc:
        return _not_found(request, exc)
    versions = selectors.history(item, request.actor)
    if not versions:
        return _not_found(request, NotFound(_("未找到该事项。")))
    return render(request, "catalog/history.html", {"item": item, "versions": versions,
                                                    "can_edit": permissions.can_edit(request.actor, item.department_id)})


@require_GET
def bundle_guide(request, code: str):
    try:
        bundle = selectors.published_bundle(code)
    except NotFound as exc:
        return _not_found(request, exc)
    url = request.build_absolute_uri(f"/services/bundles/{bundle.code}/")
    return render(request, "catalog/bundle.html", {
        "b": selectors.bundle_guide(bundle), "qr": qr_data_uri(url), "page_url": url,
        "apply_url": _apply_url("bundle", bundle.code)})


@require_GET
def department_page(request, code: str):
    try:
        department, items = selectors.items_of_department(code)
    except NotFound as exc:
        return _not_found(request, exc)
    return render(request, "catalog/list.html", {"title": department.name, "items": items,
                                                 "lead": _("%(d)s负责的政务服务事项") % {"d": department.name}})


@require_GET
def life_event_page(request, code: str):
    try:
        label, items, bundles = selectors.items_for_life_event(code)
    except NotFound as exc:
        return _not_found(request, exc)
    return render(request, "catalog/list.html", {"title": label, "items": items, "bundles": bundles,
                                                 "lead": _("与“%(t)s”有关的事项和一件事") % {"t": label}})


@require_GET
def tier_page(request, tier: str):
    try:
        label, items = selectors.items_for_tier(tier)
    except NotFound as exc:
        return _not_found(request, exc)
    return render(request, "catalog/list.html", {"title": label, "items": items,
                                                 "lead": _("可以在%(t)s办理的事项") % {"t": label}})


# --- the catalog desk (department staff and the platform admin) ------------------------------
def _staff_or_redirect(request):
    if not request.actor.is_authenticated:
        return redirect("/accounts/login/staff/?" + urlencode({"next": request.get_full_path()}))
    try:
        permissions.require_catalog_staff(request.actor)
    except DomainError as exc:
        return render(request, "web/forbidden.html", {"message": exc.message}, status=403)
    return None


@require_GET
def manage(request):
    if (response := _staff_or_redirect(request)) is not None:
        return response
    actor = request.actor
    return render(request, "catalog/manage.html", {
        "items": selectors.items_editable_by(actor),
        "awaiting": selectors.versions_awaiting(actor),
        "can_publish_any": permissions.is_admin(actor) or actor.role in permissions.PUBLISHER_ROLES,
        "is_admin": permissions.is_admin(actor),
    })


@require_POST
def manage_action(request, version_id: int, action: str):
    if (response := _staff_or_redirect(request)) is not None:
        return response
    actor = request.actor
    try:
        version = selectors.editable_version(actor, version_id)
        if action == "submit":
            services.submit_for_review(actor, version)
            messages.success(request, _("已提交审核。"))
        elif action == "send_back":
            services.send_back(actor, version, request.POST.get("note", ""))
            messages.success(request, _("已退回修改。"))
        elif action == "publish":
            services.publish(actor, version)
            messages.success(request, _("已发布，办事指南已更新。"))
        elif action == "discard":
            services.discard_draft(actor, version)
            messages.success(request, _("草稿已删除。"))
        else:
            raise Http404
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("catalog:manage")


@require_POST
def manage_revise(request, code: str):
    if (response := _staff_or_redirect(request)) is not None:
        return response
    try:
        item = selectors.editable_item(request.actor, code)
        version = services.start_revision(request.actor, item, change_note=request.POST.get("note", ""))
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("catalog:manage")
    return redirect("catalog:edit", version_id=version.pk)


@require_POST
def manage_retire(request, code: str):
    if (response := _staff_or_redirect(request)) is not None:
        return response
    try:
        item = selectors.editable_item(request.actor, code)
        services.retire_item(request.actor, item, request.POST.get("reason", ""))
        messages.success(request, _("事项已停用。"))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("catalog:manage")


class DraftForm(forms.Form):
    """The guide's plain-language parts; everything else through the API or an import file."""

    name = forms.CharField(label=gettext_lazy("事项名称"), max_length=200)
    aliases = forms.CharField(label=gettext_lazy("俗称与关键词"), max_length=500, required=False,
                              help_text=gettext_lazy("群众常用的说法，用顿号分隔"))
    summary = forms.CharField(label=gettext_lazy("一句话说明"), widget=forms.Textarea(attrs={"rows": 3}),
                              required=False)
    acceptance_conditions = forms.CharField(label=gettext_lazy("受理条件"), widget=forms.Textarea(attrs={"rows": 4}))
    legal_basis = forms.CharField(label=gettext_lazy("设定依据"), widget=forms.Textarea(attrs={"rows": 4}))
    statutory_limit_days = forms.IntegerField(label=gettext_lazy("法定办结时限（工作日）"), min_value=0, required=False)
    promised_limit_days = forms.IntegerField(label=gettext_lazy("承诺办结时限（工作日）"), min_value=0)
    visits = forms.IntegerField(label=gettext_lazy("到办事现场次数"), min_value=0, max_value=10)
    online_depth = forms.TypedChoiceField(label=gettext_lazy("网办深度"), choices=OnlineDepth.choices, coerce=int)
    handling_place = forms.CharField(label=gettext_lazy("办理地点"), widget=forms.Textarea(attrs={"rows": 2}))
    handling_hours = forms.CharField(label=gettext_lazy("办理时间"), max_length=300)
    consultation = forms.CharField(label=gettext_lazy("咨询方式"), max_length=300)
    complaint = forms.CharField(label=gettext_lazy("监督投诉方式"), max_length=300)
    change_note = forms.CharField(label=gettext_lazy("修订说明"), max_length=500, required=False)


def manage_edit(request, version_id: int):
    if (response := _staff_or_redirect(request)) is not None:
        return response
    try:
        version = selectors.editable_version(request.actor, version_id)
    except NotFound as exc:
        return _not_found(request, exc)
    initial = {f: getattr(version, f) for f in DraftForm.base_fields}
    form = DraftForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        note = data.pop("change_note")
        try:
            services.update_draft(request.actor, version, data, change_note=note)
        except DomainError as exc:
            for field, msgs in exc.fields.items():
                for msg in msgs:
                    form.add_error(field if field in form.fields else None, str(msg))
            if not exc.fields:
                form.add_error(None, str(exc.message))
        else:
            messages.success(request, _("草稿已保存。"))
            return redirect("catalog:manage")
    status = 400 if request.method == "POST" else 200
    return render(request, "catalog/edit.html", {"form": form, "version": version,
                                                 "editable": version.status == "draft"}, status=status)


def manage_import(request):
    if (response := _staff_or_redirect(request)) is not None:
        return response
    report = None
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            messages.error(request, _("请选择要导入的文件。"))
        else:
            name = upload.name.lower()
            fmt = "xlsx" if name.endswith(".xlsx") else "json" if name.endswith(".json") else ""
            if not fmt:
                messages.error(request, _("只支持 .json 或 .xlsx 文件。"))
            else:
                report = transfer.import_catalog(request.actor, upload.read(transfer.MAX_BYTES + 1), fmt=fmt,
                                                 publish=request.POST.get("publish") == "1")
                if report.ok:
                    messages.success(request, _("导入完成：新建 %(c)d 项，更新 %(u)d 项，未变化 %(n)d 项。") % {
                        "c": len(report.created), "u": len(report.updated), "n": len(report.unchanged)})
    status = 400 if report is not None and not report.ok else 200
    return render(request, "catalog/import.html", {"report": report}, status=status)


@require_GET
def manage_export(request, fmt: str):
    if (response := _staff_or_redirect(request)) is not None:
        return response
    if fmt not in ("json", "xlsx"):
        raise Http404
    if fmt == "xlsx":
        response = HttpResponse(transfer.export_xlsx(),
                                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    else:
        response = HttpResponse(transfer.export_json(), content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="catalog.{fmt}"'
    return response

