"""Pages of the exchange: the resource catalog and the steward's desk (staff), the supervisor's
overdue list, the access log, 我的数据使用记录 (citizens and enterprises) and the coverage report.
Thin views: the work is in services and selectors."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from yiwang.accounts.models import Role
from yiwang.core.errors import DomainError

from . import coverage, selectors, services
from .models import ShareClass, SubjectKind, UpdateFrequency


def _login(request, *, staff: bool = True):
    """Anonymous: to the staff sign-in (the exchange's desks) or the citizen sign-in (我的数据)."""
    if not request.actor.is_authenticated:
        url = "/accounts/login/staff/" if staff else settings.LOGIN_URL
        return redirect(f"{url}?{urlencode({'next': request.get_full_path()})}")
    return None


def _denied(request, exc: DomainError):
    status = exc.status if exc.status in (401, 403, 404) else 400
    template = {403: "403.html", 404: "404.html"}.get(status, "403.html")
    return render(request, template, {"message": exc.message}, status=status)


def _fields_from_text(text: str) -> list[dict]:
    """One item per line: ``key 名称`` (or ``key,名称``)."""
    out = []
    for line in (text or "").splitlines():
        line = line.strip().replace("，", ",")
        if not line:
            continue
        key, _sep, name = line.replace(",", " ", 1).partition(" ")
        out.append({"key": key.strip(), "name": name.strip() or key.strip()})
    return out


# -- catalog -----------------------------------------------------------------------------------
@require_GET
def catalog(request):
    if (r := _login(request)) is not None:
        return r
    try:
        resources = list(selectors.resources_visible_to(request.actor).order_by("provider__code", "code"))
    except DomainError as exc:
        return _denied(request, exc)
    return render(request, "exchange/catalog.html", {"resources": resources, "actor": request.actor,
                                                     "is_steward": request.actor.role == Role.DATA_STEWARD})


def resource_page(request, code: str):
    if (r := _login(request)) is not None:
        return r
    actor = request.actor
    try:
        resource = selectors.resource_for(actor, code)
    except DomainError as exc:
        return _denied(request, exc)
    own = actor.role == Role.DATA_STEWARD and actor.department_id == resource.provider_id
    may_request = (actor.role in services.REQUESTER_ROLES and actor.department_id != resource.provider_id
                   and resource.share_class != ShareClass.NOT_SHARED and resource.status == "published")
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "request" and may_request:
                req = services.request_share(
                    actor, resource.code, fields=request.POST.getlist("fields"),
                    purpose=request.POST.get("purpose", ""), requested_until=request.POST.get("requested_until"),
                    items=[i for i in request.POST.get("items", "").replace("，", ",").split(",") if i.strip()])
                messages.success(request, _("已同意（无条件共享）。") if req.status == "approved"
                                 else _("申请已提交，提供部门应在 10 个工作日内答复。"))
            elif action in ("publish", "retire") and own:
                getattr(services, f"{action}_resource")(actor, resource.code)
                messages.success(request, _("已发布。") if action == "publish" else _("已停用。"))
            elif action == "update" and own:
                services.update_resource(actor, resource.code, _resource_form(request.POST))
                messages.success(request, _("已保存。"))
            else:
                messages.error(request, _("您的角色无权进行此操作。"))
        except DomainError as exc:
            messages.error(request, exc.message)
            if exc.fields:
                for key, errs in exc.fields.items():
                    for e in errs if isinstance(errs, (list, tuple)) else [errs]:
                        messages.error(request, f"{key}: {e}")
        return redirect("exchange:resource", code=resource.code)
    grants = list(resource.grants.select_related("grantee")) if own else []
    return render(request, "exchange/resource.html", {
        "resource": resource, "own": own, "may_request": may_request, "grants": grants,
        "fields_text": "\n".join(f"{f['key']} {f['name']}" for f in resource.fields),
        "share_classes": ShareClass.choices, "frequencies": UpdateFrequency.choices,
        "subject_kinds": SubjectKind.choices,
    })


def _resource_form(post) -> dict:
    return {
        "code": post.get("code", ""), "name": post.get("name", ""), "description": post.get("description", ""),
        "subject_kind": post.get("subject_kind", "resident_id"), "fields": _fields_from_text(post.get("fields", "")),
        "update_frequency": post.get("update_frequency", "daily"), "legal_basis": post.get("legal_basis", ""),
        "share_class": post.get("share_class", "conditional"), "share_conditions": post.get("share_conditions", ""),
        "licence_types": [t.strip().upper() for t in post.get("licence_types", "").replace("，", ",").split(",")
                          if t.strip()],
    }


def new_resource(request):
    if (r := _login(request)) is not None:
        return r
    form = {}
    if request.method == "POST":
        form = _resource_form(request.POST)
        try:
            resource = services.create_resource(request.actor, form)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("已保存为草稿，核对无误后请发布。"))
            return redirect("exchange:resource", code=resource.code)
    elif request.actor.role != Role.DATA_STEWARD:
        return render(request, "403.html", {"message": _("只有部门数据管理员可以编制数据资源目录。")}, status=403)
    return render(request, "exchange/resource_new.html", {
        "form": form, "fields_text": request.POST.get("fields", "") if request.method == "POST" else "",
        "share_classes": ShareClass.choices, "frequencies": UpdateFrequency.choices,
        "subject_kinds": SubjectKind.choices})


# -- the steward's desk ------------------------------------------------------------------------
def desk(request):
    if (r := _login(request)) is not None:
        return r
    actor = request.actor
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            target = int(request.POST.get("id", "0") or 0)
            if action == "approve":
                services.approve_request(actor, target, fields=request.POST.getlist("fields") or None,
                                         expires_on=request.POST.get("expires_on") or None,
                                         note=request.POST.get("note", ""))
                messages.success(request, _("已同意，授权已生效。"))
            elif action == "refuse":
                services.refuse_request(actor, target, request.POST.get("reason", ""))
                messages.success(request, _("已拒绝，理由已告知申请部门。"))
            elif action == "withdraw":
                services.withdraw_request(actor, target)
                messages.success(request, _("已撤回。"))
            elif action == "revoke":
                services.revoke_grant(actor, target, request.POST.get("reason", ""))
                messages.success(request, _("授权已撤销，对方的查询将被拒绝。"))
        except (DomainError, ValueError) as exc:
            messages.error(request, getattr(exc, "message", str(exc)))
        return redirect("exchange:desk")
    try:
        incoming = list(selectors.requests_incoming(actor).filter(status="pending")[:200])
        outgoing = list(selectors.requests_outgoing(actor)[:200])
        grants = list(selectors.grants_visible_to(actor)[:300])
    except DomainError as exc:
        return _denied(request, exc)
    return render(request, "exchange/desk.html", {
        "incoming": incoming, "outgoing": outgoing, "grants": grants, "actor": actor,
        "is_steward": actor.role == Role.DATA_STEWARD})


@require_GET
def supervision(request):
    if (r := _login(request)) is not None:
        return r
    try:
        overdue = list(selectors.overdue_requests(request.actor)[:500])
    except DomainError as exc:
        return _denied(request, exc)
    return render(request, "exchange/supervision.html", {"overdue": overdue})


@require_GET
def access_log(request):
    if (r := _login(request)) is not None:
        return r
    try:
        qs = selectors.department_log(request.actor)
    except DomainError as exc:
        return _denied(request, exc)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "exchange/log.html", {"page": page})


# -- citizens ----------------------------------------------------------------------------------
@require_GET
def my_data(request):
    if (r := _login(request, staff=False)) is not None:
        return r
    try:
        qs = selectors.my_data_usage(request.actor)
    except DomainError as exc:
        return _denied(request, exc)
    page = Paginator(qs, 30).get_page(request.GET.get("page"))
    entries = [selectors.usage_entry(log) for log in page.object_list]
    return render(request, "exchange/my_data.html", {"page": page, "entries": entries, "actor": request.actor})


# -- coverage ----------------------------------------------------------------------------------
@require_GET
def coverage_page(request):
    return render(request, "exchange/coverage.html", {"report": coverage.compute()})
