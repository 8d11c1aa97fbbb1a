"""The hotline in the browser: the operator console, the order pages with each role's actions, the
citizen portal, the knowledge base and the analytics page.

Thin views: reads through :mod:`.selectors`, changes through :mod:`.services`. A form problem is a
400 with the GOV.UK error summary and nothing created; a domain error is shown at its status
(403, 404, 409) with its message, never a 500.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from yiwang.accounts.models import Role
from yiwang.core.errors import DomainError, NotAuthenticated, NotFound, ValidationFailed
from yiwang.web.views import post_only

from . import analytics, knowledge, selectors, services
from .forms import ArticleForm, ConsoleForm, ReportForm, category_choices, department_choices
from .models import Callback, Channel, Extension, Kind, KnowledgeArticle, Status, WorkOrder

CENTRE_QUEUES = (("new", _("待派单")), ("returned", _("退单待审核")), ("replied", _("待回访")),
                 ("overdue", _("已超期")), ("all", _("全部")))
SUPERVISOR_QUEUES = (("overdue", _("已超期")), ("escalated", _("升级督办")), ("extensions", _("延期待审批")),
                     ("all", _("全部")))
LIGHT_LABELS = {"green": _("正常"), "yellow": _("即将到期"), "red": _("已超期")}


# -- helpers -----------------------------------------------------------------------------------
def _login_redirect(request, staff: bool = True):
    base = "/accounts/login/staff/" if staff else settings.LOGIN_URL
    return redirect(f"{base}?{urlencode({'next': request.get_full_path()})}")


def _forbidden(request, message=None):
    return render(request, "403.html", {"message": message}, status=403)


def _gate(request, *roles, staff: bool = True):
    """None if the actor may use the page; otherwise the response (login redirect or 403)."""
    actor = request.actor
    if not actor.is_authenticated:
        return _login_redirect(request, staff=staff)
    if roles and actor.role not in roles:
        return _forbidden(request, _("您当前的角色无权使用该页面。"))
    return None


def _status(exc: DomainError) -> int:
    return 400 if exc.status == 422 else exc.status


def _errors_to_form(form, exc: DomainError) -> None:
    """Put a service's error on the form's fields (or at the top when no field matches)."""
    placed = False
    for field, msgs in (exc.fields or {}).items():
        target = {"caller_phone": "caller_phone", "location": "address", "answer": "answer", "reply": "text"}.get(
            field, field)
        if target in form.fields:
            for m in (msgs if isinstance(msgs, (list, tuple)) else [msgs]):
                form.add_error(target, str(m) if str(m) else str(exc.message))
            placed = True
            break
    if not placed:
        form.add_error(None, str(exc.message))


def light_of(order: WorkOrder) -> dict | None:
    due = selectors.current_due(order)
    colour = selectors.light(due)
    if colour is None:
        return None
    return {"colour": colour, "label": str(LIGHT_LABELS[colour]), "due": due}


def _files(request, name: str) -> list[tuple[str, bytes]]:
    from .uploads import check_size

    out = []
    for f in request.FILES.getlist(name):
        check_size(f.size or 0, f.name or "photo", name)
        out.append((f.name or "photo", f.read()))
    return out


# -- the 12345 console -------------------------------------------------------------------------
def console(request):
    denied = _gate(request, Role.HOTLINE_OPERATOR)
    if denied:
        return denied
    actor = request.actor
    if request.method == "POST":
        form = ConsoleForm(request.POST)
        if form.is_valid():
            d = form.cleaned_data
            try:
                with transaction.atomic():
                    order = services.create_order(
                        actor, channel=Channel.PHONE, kind=d["kind"], text=d["text"], urgency=d["urgency"],
                        address=d["address"], lat=d["lat"], lng=d["lng"], caller_name=d["caller_name"],
                        caller_phone=d["caller_phone"], callback_preference=d["callback_preference"],
                        anonymous=d["anonymous"], category=d["category"] or None)
                    if d["intent"] == "dispatch":
                        services.dispatch(actor, order.number, department=d["department"], category=d["category"],
                                          assisting=d["assisting"])
                        messages.success(request, _("已登记并派单：%(n)s") % {"n": order.number})
                    elif d["intent"] == "answer":
                        services.answer(actor, order.number, d["answer"], article_id=d["article_id"])
                        messages.success(request, _("已直接答复并办结：%(n)s") % {"n": order.number})
                    else:
                        messages.success(request, _("已登记：%(n)s") % {"n": order.number})
                return redirect("hotline-order", number=order.number)
            except DomainError as exc:
                if exc.status == 403:
                    return _forbidden(request, exc.message)
                _errors_to_form(form, exc)
        status = 400
    else:
        form = ConsoleForm()
        status = 200
        if not getattr(settings, "TESTING", False):
            from . import classifier

            classifier.warm_async()
    counts = {q: selectors.centre_queue(actor, q).count() for q in ("new", "returned", "replied", "overdue")}
    return render(request, "hotline/console.html", {"form": form, "counts": counts}, status=status)


@require_GET
def console_assist(request):
    """The console's live panel (htmx): knowledge-base answers, service guides and dispatch
    suggestions for the text typed so far."""
    denied = _gate(request, Role.HOTLINE_OPERATOR)
    if denied:
        return denied
    text = (request.GET.get("text") or "").strip()[:2000]
    found = knowledge.search(text, limit=4) if text else {"articles": [], "guides": []}
    suggestions = []
    if len(text) >= 4:
        from .api import suggestions as suggest

        suggestions = suggest(text, 3)
    return render(request, "hotline/partials/assist.html", {"found": found, "suggestions": suggestions,
                                                            "text": text})


# -- orders ------------------------------------------------------------------------------------
def order_list(request):
    denied = _gate(request, staff=False)
    if denied:
        return denied
    actor = request.actor
    tabs, queue = (), request.GET.get("queue", "")
    if actor.role == Role.HOTLINE_OPERATOR:
        tabs, queue = CENTRE_QUEUES, queue or "new"
    elif actor.role == Role.SUPERVISOR:
        tabs, queue = SUPERVISOR_QUEUES, queue or "overdue"
    elif actor.role in (Role.HANDLER, Role.DEPT_HEAD):
        tabs, queue = (("department", _("本部门待办")), ("all", _("全部"))), queue or "department"
    try:
        if queue == "department":
            qs = selectors.department_queue(actor)
        elif queue and queue != "all":
            qs = selectors.centre_queue(actor, queue)
        else:
            qs = selectors.orders_visible_to(actor).order_by("-created_at")
    except DomainError as exc:
        return _forbidden(request, exc.message) if exc.status == 403 else _login_redirect(request)
    rows = [{"order": o, "light": light_of(o)} for o in qs[:200]]
    return render(request, "hotline/orders.html", {"rows": rows, "tabs": tabs, "queue": queue})


def _detail_context(request, order: WorkOrder, **extra) -> dict:
    actor = request.actor
    role = actor.role
    is_lead = role in (Role.HANDLER, Role.DEPT_HEAD) and actor.department_id == order.lead_department_id
    is_assist = role in (Role.HANDLER, Role.DEPT_HEAD) and order.assists.filter(
        department_id=actor.department_id).exists()
    can = {
        "dispatch": role == Role.HOTLINE_OPERATOR and order.status in (Status.NEW, Status.RETURNED)
        or role == Role.SUPERVISOR and order.status == Status.ESCALATED,
        "answer": role == Role.HOTLINE_OPERATOR and order.status == Status.NEW and order.kind in (
            Kind.CONSULT, Kind.SUGGESTION),
        "void": role == Role.HOTLINE_OPERATOR and order.status == Status.NEW,
        "merge": role == Role.HOTLINE_OPERATOR and order.status in (Status.NEW, Status.DISPATCHED, Status.IN_PROGRESS),
        "review_return": role == Role.HOTLINE_OPERATOR and order.status == Status.RETURNED,
        "callback": role == Role.HOTLINE_OPERATOR and order.status == Status.REPLIED,
        "reveal": role == Role.HOTLINE_OPERATOR,
        "accept": is_lead and order.status == Status.DISPATCHED,
        "return": is_lead and order.status in (Status.DISPATCHED, Status.IN_PROGRESS),
        "reply": is_lead and order.status == Status.IN_PROGRESS,
        "extension": is_lead and order.status == Status.IN_PROGRESS and not order.extensions.exclude(
            state=Extension.State.REJECTED).exists(),
        "assist": is_assist and order.status in (Status.DISPATCHED, Status.IN_PROGRESS),
        "supervise": role == Role.SUPERVISOR and order.status in (Status.DISPATCHED, Status.IN_PROGRESS,
                                                                  Status.RETURNED, Status.REPLIED),
        "decide_extension": role == Role.SUPERVISOR and order.extensions.filter(
            state=Extension.State.PENDING).exists(),
        "conclude": role == Role.SUPERVISOR and order.status == Status.ESCALATED,
        "rate": services._is_caller(actor, order) and order.status == Status.REPLIED,
        "photos": order.is_open and (role == Role.HOTLINE_OPERATOR or is_lead or services._is_caller(actor, order)
                                     or (role == Role.GRID_WORKER and order.reporter_id == actor.user.pk)),
    }
    ctx = {
        "order": order, "d": selectors.order_detail(order, actor), "light": light_of(order), "can": can,
        "is_lead": is_lead, "callback_results": Callback.Result.choices,
        "needs_fix_photo": order.channel == Channel.GRID,
    }
    if can["dispatch"] or can["review_return"]:
        ctx["category_groups"] = category_choices()
        ctx["department_choices"] = department_choices(_("（请选择）"))
        ctx["assist_choices"] = department_choices()
        if order.status == Status.NEW:
            from .api import suggestions

            try:
                ctx["suggestions"] = suggestions(order.text, 3)
            except Exception:  # noqa: BLE001 - the page works without suggestions
                ctx["suggestions"] = []
    if can["merge"]:
        ctx["duplicates"] = selectors.duplicate_candidates(order)
    ctx.update(extra)
    return ctx


def order_detail(request, number: str):
    denied = _gate(request, staff=False)
    if denied:
        return denied
    try:
        order = selectors.order_for(request.actor, number)
    except NotFound:
        return render(request, "404.html", status=404)
    return render(request, "hotline/order.html", _detail_context(request, order))


ACTION_FIELDS = ("text", "note", "reason", "opinion", "department", "category", "urgency", "result", "into")


@post_only
def order_action(request, number: str):
    denied = _gate(request, staff=False)
    if denied:
        return denied
    actor = request.actor
    try:
        order = selectors.order_for(actor, number)
    except NotFound:
        return render(request, "404.html", status=404)
    action = request.POST.get("action", "")
    if any("\x00" in v for _key, values in request.POST.lists() for v in values):
        # a multipart body is not checked by the NUL middleware; PostgreSQL cannot store it
        return render(request, "hotline/order.html",
                      _detail_context(request, order, error=_("请求中含有不允许的控制字符（NUL）。"),
                                      error_action=action, posted=request.POST), status=400)
    data = {k: request.POST.get(k) for k in ACTION_FIELDS if request.POST.get(k) not in (None, "")}
    if request.POST.getlist("assisting"):
        data["assisting"] = request.POST.getlist("assisting")
    if "resolved" in request.POST:
        data["resolved"] = {"yes": True, "no": False}.get(request.POST.get("resolved"))
    if request.POST.get("article_id", "").isdigit():
        data["article_id"] = int(request.POST["article_id"])
    try:
        if request.POST.get("days"):
            try:
                data["days"] = int(request.POST["days"])
            except ValueError:
                raise ValidationFailed(_("延期天数应为整数。"), code="extension_days_invalid",
                                       fields={"days": [_("延期天数应为整数。")]}) from None
        if action == "reply":
            services.reply(actor, number, data.get("text", ""), resolved=data.get("resolved", True) is not False,
                           fix_photos=_files(request, "fix_photos"))
        elif action == "photos":
            services.add_photos(actor, number, _files(request, "photos"),
                                kind=request.POST.get("kind") or "photo")
        elif action == "reveal":
            revealed = services.reveal_reporter(actor, number, request.POST.get("purpose", ""))
            if request.htmx:
                return render(request, "hotline/partials/revealed.html", {"revealed": revealed})
            order.refresh_from_db()
            return render(request, "hotline/order.html", _detail_context(request, order, revealed=revealed))
        else:
            services.perform(actor, number, action, data)
    except DomainError as exc:
        if isinstance(exc, NotAuthenticated):
            return _login_redirect(request)
        order.refresh_from_db()
        return render(request, "hotline/order.html",
                      _detail_context(request, order, error=exc.message, error_action=action, posted=request.POST),
                      status=_status(exc))
    messages.success(request, _("已完成：%(a)s") % {"a": services.label(action)})
    return redirect("hotline-order", number=number)


def attachment(request, pk: int):
    denied = _gate(request, staff=False)
    if denied:
        return denied
    try:
        att = selectors.attachment_for(request.actor, pk)
    except NotFound:
        return render(request, "404.html", status=404)
    response = FileResponse(att.file.open("rb"), content_type=att.content_type)
    response["Content-Disposition"] = f'inline; filename="photo-{att.pk}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


# -- the citizen portal ------------------------------------------------------------------------
def report(request):
    denied = _gate(request, Role.CITIZEN, Role.ENTERPRISE_AGENT, staff=False)
    if denied:
        return denied
    status = 200
    if request.method == "POST":
        form = ReportForm(request.POST, request.FILES)
        if form.is_valid():
            d = form.cleaned_data
            mobile = "Mobi" in request.headers.get("User-Agent", "")
            try:
                order = services.create_order(
                    request.actor, channel=Channel.MOBILE if mobile else Channel.WEB, kind=d["kind"], text=d["text"],
                    address=d["address"], lat=d["lat"], lng=d["lng"], anonymous=d["anonymous"],
                    callback_preference=d["callback_preference"], photos=_files(request, "photos"))
                messages.success(request, _("您的诉求已提交，工单编号 %(n)s。办理结果将告知您。") % {"n": order.number})
                return redirect("hotline-order", number=order.number)
            except DomainError as exc:
                _errors_to_form(form, exc)
        status = 400
    else:
        form = ReportForm()
    return render(request, "hotline/report.html", {"form": form}, status=status)


# -- the knowledge base ------------------------------------------------------------------------
KB_ROLES = (Role.HOTLINE_OPERATOR, Role.HANDLER, Role.DEPT_HEAD, Role.EDITOR, Role.PLATFORM_ADMIN)


def knowledge_list(request):
    denied = _gate(request, *KB_ROLES)
    if denied:
        return denied
    q = (request.GET.get("q") or "").strip()
    found = knowledge.search(q, limit=20, with_guides=False)["articles"] if q else None
    articles = knowledge.articles_editable_by(request.actor)[:200]
    return render(request, "hotline/knowledge.html", {"q": q, "found": found, "articles": articles})


def knowledge_edit(request, pk: int | None = None):
    denied = _gate(request, *KB_ROLES)
    if denied:
        return denied
    article = None
    if pk is not None:
        article = knowledge.articles_editable_by(request.actor).filter(pk=pk).first()
        if article is None:
            return render(request, "404.html", status=404)
    status = 200
    if request.method == "POST":
        form = ArticleForm(request.POST)
        if form.is_valid():
            d = form.cleaned_data
            try:
                knowledge.save_article(request.actor, article_id=pk, title=d["title"], answer=d["answer"],
                                       keywords=d["keywords"], category=d["category"] or None,
                                       is_published=d["is_published"], valid_until=d["valid_until"])
                messages.success(request, _("知识条目已保存。"))
                return redirect("hotline-knowledge")
            except DomainError as exc:
                if exc.status == 403:
                    return _forbidden(request, exc.message)
                _errors_to_form(form, exc)
        status = 400
    else:
        initial = {}
        if article is not None:
            initial = {"title": article.title, "answer": article.answer, "keywords": article.keywords,
                       "category": article.category.code if article.category_id else "",
                       "is_published": article.is_published, "valid_until": article.valid_until}
        form = ArticleForm(initial=initial)
    return render(request, "hotline/knowledge_edit.html", {"form": form, "article": article}, status=status)


# -- analytics ---------------------------------------------------------------------------------
ANALYTICS_ROLES = (Role.HOTLINE_OPERATOR, Role.SUPERVISOR, Role.PLATFORM_ADMIN, Role.DEPT_HEAD)


def analytics_page(request):
    denied = _gate(request, *ANALYTICS_ROLES)
    if denied:
        return denied
    ctx = {
        "hot": analytics.hot_topics(),
        "by_group": analytics.volumes("group"),
        "by_department": analytics.volumes("department"),
        "by_grid": analytics.volumes("grid"),
        "by_channel": analytics.volumes("channel"),
        "direct": WorkOrder.objects.filter(status=Status.ANSWERED).count(),
        "kb_top": KnowledgeArticle.objects.filter(use_count__gt=0).order_by("-use_count")[:10],
    }
    ctx["by_grid"]["items"] = ctx["by_grid"]["items"][:15]
    return render(request, "hotline/analytics.html", ctx)

