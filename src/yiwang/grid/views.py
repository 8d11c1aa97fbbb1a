"""Grid management in the browser: the grid worker's phone page to report an incident (photo and
GPS location; it becomes a work order) and the map of grids and orders."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from yiwang.accounts.models import Role
from yiwang.core.errors import DomainError
from yiwang.hotline import selectors as hotline_selectors
from yiwang.hotline import services as hotline_services
from yiwang.hotline.forms import GridReportForm
from yiwang.hotline.models import Channel, Kind, Status, Urgency
from yiwang.hotline.views import _errors_to_form, _files, _forbidden, _gate

from . import selectors


def report(request):
    denied = _gate(request, Role.GRID_WORKER)
    if denied:
        return denied
    actor = request.actor
    status = 200
    if request.method == "POST":
        form = GridReportForm(request.POST, request.FILES)
        if form.is_valid():
            d = form.cleaned_data
            try:
                order = hotline_services.create_order(
                    actor, channel=Channel.GRID, kind=Kind.REPORT, text=d["text"], category=d["category"] or None,
                    lat=d["lat"], lng=d["lng"], address=d["address"],
                    urgency=Urgency.URGENT if d["urgent"] else Urgency.NORMAL, photos=_files(request, "photos"),
                    resolve_on_site=d["resolved"], resolution=d["resolution"],
                    fix_photos=_files(request, "fix_photos") if d["resolved"] else [])
                if order.status == Status.CLOSED:
                    messages.success(request, _("已上报并现场处置办结：%(n)s") % {"n": order.number})
                else:
                    messages.success(request, _("已上报，工单编号 %(n)s，12345 中心将派单处理。") % {"n": order.number})
                return redirect("hotline-order", number=order.number)
            except DomainError as exc:
                if exc.status == 403:
                    return _forbidden(request, exc.message)
                _errors_to_form(form, exc)
        status = 400
    else:
        form = GridReportForm()
    grids = selectors.grids_of_worker(actor.user)
    recent = hotline_selectors.orders_visible_to(actor).filter(channel=Channel.GRID).order_by("-created_at")[:10]
    return render(request, "grid/report.html", {"form": form, "grids": grids, "recent": recent}, status=status)


def map_page(request):
    denied = _gate(request, *selectors.MAP_ROLES)
    if denied:
        return denied
    return render(request, "grid/map.html", {"heat": request.actor.role in (
        Role.HOTLINE_OPERATOR, Role.SUPERVISOR, Role.PLATFORM_ADMIN, Role.DEPT_HEAD)})


@require_GET
def map_orders(request):
    """Orders with coordinates for the map (the actor's scope; the last 90 days; at most 2,000)."""
    if not request.actor.is_authenticated:
        return JsonResponse({"code": "not_authenticated", "message": _("请先登录。"), "fields": {}}, status=401)
    if request.actor.role not in selectors.MAP_ROLES:
        return JsonResponse({"code": "forbidden", "message": _("无权访问。"), "fields": {}}, status=403)
    raw_days = request.GET.get("days", "90")
    days = min(int(raw_days), 366) if raw_days.isdigit() else 90
    since = timezone.now() - timedelta(days=days)
    qs = hotline_selectors.orders_visible_to(request.actor).filter(lat__isnull=False, created_at__gte=since)
    if request.GET.get("status") == "open":
        from yiwang.hotline.models import OPEN_STATUSES

        qs = qs.filter(status__in=OPEN_STATUSES)
    rows = qs.order_by("-created_at").values_list("number", "title", "status", "lat", "lng", "category__name")[:2000]
    labels = dict(Status.choices)
    return JsonResponse({"orders": [
        {"number": n, "title": t, "status": s, "status_label": str(labels.get(s, s)), "lat": la, "lng": ln,
         "category": c} for n, t, s, la, ln, c in rows]})
