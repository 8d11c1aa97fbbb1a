"""Cases in the browser: applying online (一网), the counter (一窗: queue, acceptance on behalf of a
walk-in citizen, delivery), the department workbench, and 我的办件.

Thin views: every read goes through :mod:`.selectors` (scoped to ``request.actor``), every change
through :mod:`.services` / :mod:`.queue`. A domain error becomes a page with its message at its
HTTP status (a 409 names the conflict; never a 500); form problems are a 400 with the GOV.UK error
summary and nothing created.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yiwang.accounts.actor import Actor
from yiwang.accounts.models import Role, RoleAssignment, User
from yiwang.core import audit
from yiwang.core.errors import (
    Conflict,
    DomainError,
    NotAuthenticated,
    NotFound,
    PermissionDeniedError,
    ValidationFailed,
)
from yiwang.core.identity import validate_resident_id
from yiwang.web.views import post_only

from . import drafts, queue, receipts, selectors, services, sla
from .forms import FIELD_PREFIX, FILE_PREFIX, UPLOAD_PREFIX, ApplicationForm, initial_from, prefill
from .models import (
    Case,
    CaseMaterial,
    CaseTask,
    Channel,
    DeliveryMethod,
    IdempotencyKey,
    QueueTicket,
    Status,
    SuspensionKind,
    TaskStatus,
)

APPLICANT_ROLES = (Role.CITIZEN, Role.ENTERPRISE_AGENT)
WORK_ROLES = (Role.REVIEWER, Role.DEPT_HEAD)
SESSION_COUNTER = "yw_counter_id"
SESSION_CITIZEN = "yw_counter_citizen"
MAX_FILES_PER_MATERIAL = 20


# -- small helpers -----------------------------------------------------------------------------
def _status(exc: DomainError) -> int:
    """HTML pages answer a validation problem with 400 (the JSON API uses 422)."""
    return 400 if exc.status == 422 else exc.status


def _login_redirect(request, staff: bool = False):
    base = "/accounts/login/staff/" if staff else settings.LOGIN_URL
    return redirect(f"{base}?{urlencode({'next': request.get_full_path()})}")


def _forbidden(request, message):
    return render(request, "403.html", {"message": message}, status=403)


def _not_found(request):
    return render(request, "404.html", status=404)


def _error_page(request, exc: DomainError):
    if isinstance(exc, NotFound):
        return _not_found(request)
    if isinstance(exc, NotAuthenticated):
        return _login_redirect(request)
    if exc.status == 403:
        return _forbidden(request, exc.message)
    return render(request, "cases/error.html", {"error": exc.message}, status=_status(exc))


def _new_key() -> str:
    return secrets.token_urlsafe(18)


def _tracking_url(request, case: Case) -> str:
    return request.build_absolute_uri(reverse("cases-detail", args=[case.number]))


LIGHT_LABELS = {
    sla.GREEN: gettext_lazy("正常"), sla.YELLOW: gettext_lazy("即将到期"), sla.RED: gettext_lazy("已超期"),
    sla.PAUSED: gettext_lazy("暂停计时"),
}


def light_of(case: Case) -> dict | None:
    """The SLA light of a case in words and colour (never colour alone)."""
    if not case.due_at:
        return None
    light = selectors.live_light(case)  # as in the API
    if light is not None:
        colour, days = light.colour, light.remaining_days
    else:
        colour, days = case.sla_light or sla.GREEN, None
    label = str(LIGHT_LABELS.get(colour, colour))
    if days is None:
        text = label
    elif days >= 0:
        text = _("%(label)s（剩余 %(n)d 个工作日）") % {"label": label, "n": days}
    else:
        text = _("%(label)s（超期 %(n)d 个工作日）") % {"label": label, "n": -days}
    return {"colour": colour, "label": label, "days": days, "text": text}


# -- what is being applied for ----------------------------------------------------------------
@dataclass
class Target:
    kind: str  # item | bundle
    code: str
    title: str
    department: object
    version: object | None
    fields: list[dict]
    materials: list[dict]
    promised_days: int | None = None
    fee: bool = False
    summary: str = ""
    items: list[dict] = field(default_factory=list)

    @property
    def submit_kwargs(self) -> dict:
        return {"bundle_code": self.code} if self.kind == "bundle" else {"item_code": self.code}

    @property
    def draft_kwargs(self) -> dict:
        return {"bundle_code": self.code} if self.kind == "bundle" else {"item_code": self.code}


def _item_target(code: str) -> Target:
    from yiwang.catalog import formschema
    from yiwang.catalog import selectors as catalog

    item = catalog.published_item(code)
    version = item.current
    return Target(
        kind="item", code=item.code, title=version.name, department=item.department, version=version,
        fields=formschema.ordered_fields(version.form_schema or {}),
        materials=[catalog.material_dict(m) for m in version.materials.all()],
        promised_days=version.promised_limit_days, fee=version.fee_required, summary=version.summary,
    )


def _bundle_target(code: str) -> Target:
    from yiwang.catalog import selectors as catalog

    bundle = catalog.published_bundle(code)
    guide = catalog.bundle_guide(bundle)
    return Target(
        kind="bundle", code=bundle.code, title=bundle.name, department=bundle.department, version=None,
        fields=guide["form_fields"], materials=guide["materials"], promised_days=guide["promised_days"],
        summary=guide["summary"], items=guide["items"],
    )


# -- applying (online and at the counter) ------------------------------------------------------
def apply_item(request, code: str):
    if request.method == "GET" and request.GET.get("bundle") == "1":  # a guide page's link to a bundle
        return redirect(reverse("cases-apply-bundle", kwargs={"code": code}))
    return _apply_online(request, lambda: _item_target(code))


def apply_bundle(request, code: str):
    return _apply_online(request, lambda: _bundle_target(code))


def _apply_online(request, load_target):
    actor = request.actor
    if not actor.is_authenticated:
        return _login_redirect(request)
    if actor.role not in APPLICANT_ROLES:
        message = _("网上申请请使用个人或法人账号登录。工作人员请在综合窗口为办事人代办。")
        return _forbidden(request, message)
    try:
        target = load_target()
    except DomainError as exc:
        return _error_page(request, exc)
    return _application(request, target, applicant=actor)


def _application(request, target: Target, *, applicant: Actor, clerk: Actor | None = None):
    """The application form for ``applicant``; at the counter ``clerk`` files it for them."""
    person, enterprise = applicant.user, applicant.enterprise
    pre = prefill(target.fields, person, enterprise)
    counter = clerk is not None
    # a material fetched for a person the form names is 免提交 once the form holds their number
    answers = ({k[len(FIELD_PREFIX):]: v for k, v in request.POST.items() if k.startswith(FIELD_PREFIX)}
               if request.method == "POST" else None)
    target.materials = _with_preview(target, person, enterprise, answers)
    form_kwargs = {"fields": target.fields, "materials": target.materials, "locked": pre.locked, "scan": counter}
    if request.method != "POST":
        initial, uploads, consent, draft = dict(pre.initial), {}, False, None
        if not counter:
            draft = drafts.load(applicant, **target.draft_kwargs)
            if draft is not None:
                data = draft.form_data or {}
                initial.update(data.get("answers") or {})
                uploads = drafts.valid_uploads(applicant, data.get("uploads") or {})
                consent = bool(data.get("consent"))
        form = ApplicationForm(initial=initial_from(initial, target.fields), **form_kwargs)
        return _render_application(request, target, form, uploads=uploads, key=_new_key(), consent=consent,
                                   clerk=clerk, applicant=applicant, draft=draft)

    key = (request.POST.get("idempotency_key") or "").strip()[:128] or _new_key()
    action = request.POST.get("action", "submit")
    if action == "submit":
        # A double click or a browser retry of a form that already went through: show that case.
        done = IdempotencyKey.objects.filter(owner=person, key=key).select_related("case").first()
        if done is not None:
            return _after_submit(request, done.case, clerk=clerk, replay=True)
    form = ApplicationForm(request.POST, request.FILES, **form_kwargs)
    form.is_valid()
    uploads = drafts.valid_uploads(applicant, {
        m["key"]: request.POST.getlist(UPLOAD_PREFIX + m["key"]) for m in target.materials if m.get("key")})
    source = CaseMaterial.Source.COUNTER_SCAN if counter else CaseMaterial.Source.APPLICANT
    for name in list(form.fields):
        files = request.FILES.getlist(name) if name.startswith(FILE_PREFIX) else []
        if not files:
            continue
        material_key, rows = name[len(FILE_PREFIX):], []
        for upload in files[:MAX_FILES_PER_MATERIAL]:
            try:
                if upload.size > 20 * 1024 * 1024:
                    raise ValidationFailed(_("文件“%(name)s”过大。") % {"name": upload.name}, code="upload_too_large")
                rows.append(services.upload_material(applicant, name=upload.name or "file", data=upload.read(),
                                                     key=material_key, source=source))
            except DomainError as exc:
                form.add_error(name, str(exc.message))
        if rows and len(rows) == len(files[:MAX_FILES_PER_MATERIAL]):
            uploads[material_key] = rows  # newly chosen files replace the ones uploaded before
    consent = request.POST.get("consent_data_sharing") == "1"

    if action == "draft" and not counter:
        drafts.save(applicant, title=target.title, department=target.department, version=target.version,
                    answers=form.raw_answers(), uploads={k: [r.upload_token for r in rows]
                                                         for k, rows in uploads.items()},
                    consent=consent, **target.draft_kwargs)
        messages.success(request, _("草稿已保存（尚未提交，没有办件编号）。您可以随时回到本页继续填写。"))
        return redirect(request.path)

    def again(status=400):
        return _render_application(request, target, form, uploads=uploads, key=key, consent=consent, clerk=clerk,
                                   applicant=applicant, status=status)

    if form.errors:
        return again()
    materials = [{"key": k, "upload": r.upload_token} for k, rows in uploads.items() for r in rows]
    try:
        with transaction.atomic():
            case, created = services.submit(
                applicant, form=form.form_data(), materials=materials, idempotency_key=key,
                channel=Channel.COUNTER if counter else Channel.WEB, consent_data_sharing=consent,
                **target.submit_kwargs)
            if counter and case.status == Status.SUBMITTED:
                # 前台综合受理: the clerk accepts at once; a failure undoes the submission too.
                services.accept(clerk, case.number, _("窗口收件，材料齐全，当场受理。"))
                case.refresh_from_db()
    except ValidationFailed as exc:
        if not form.add_service_errors(exc.fields):
            form.add_error(None, str(exc.message))
        return again()
    except Conflict as exc:
        if exc.code == "idempotency_key_reused":
            done = IdempotencyKey.objects.filter(owner=person, key=key).select_related("case").first()
            if done is not None:
                return _after_submit(request, done.case, clerk=clerk, replay=True)
        form.add_error(None, str(exc.message))
        return again(exc.status)
    except DomainError as exc:
        form.add_error(None, str(exc.message))
        return again(_status(exc))
    if not counter:
        drafts.discard(applicant, **target.draft_kwargs)
    else:
        _link_ticket(request, clerk, case)
    return _after_submit(request, case, clerk=clerk, replay=not created)


def _with_preview(target: Target, person, enterprise, answers: dict | None = None) -> list[dict]:
    """The target's materials, each material a department may hold with ``preview``: what the
    case pipeline would fetch for this applicant (their licence, or the department and resource
    that hold their record), or why it cannot (then ``needs_upload``: the applicant hands it in)."""
    from yiwang.exchange.selectors import fetch_preview

    version = target.version
    preview = fetch_preview(target.materials, person=person, enterprise=enterprise,
                            department_id=target.department.pk if target.department else None,
                            item_code=version.item.code if version is not None else "",
                            form_fields=target.fields, form=answers)
    materials = []
    for m in target.materials:
        entry = dict(m)
        if not m.get("applicant_submits"):
            entry["preview"] = preview.get(m.get("key"))
            entry["needs_upload"] = bool(m.get("key")) and not (entry["preview"] or {}).get("available")
        else:
            entry["needs_upload"] = bool(m.get("key"))
        materials.append(entry)
    return materials


def _render_application(request, target, form, *, uploads, key, consent, clerk, applicant, draft=None, status=200):
    materials = []
    for m in target.materials:
        entry = dict(m)
        name = FILE_PREFIX + m["key"] if m.get("key") else None
        entry["field"] = form[name] if name and name in form.fields else None
        entry["uploaded"] = uploads.get(m.get("key")) or []
        materials.append(entry)
    fetched = [m for m in target.materials if not m.get("applicant_submits") and not m.get("needs_upload")]
    third_party = [m for m in fetched if (m.get("preview") or {}).get("kind") == "third_party"]
    context = {
        "target": target, "form": form, "materials": materials, "fetched": fetched, "third_party": third_party,
        "third_party_names": "、".join(f"“{m['name']}”" for m in third_party), "idempotency_key": key,
        "consent": consent, "clerk": clerk, "applicant": applicant, "draft": draft,
        "locked": list(form.locked.values()),
        "person_fields": [form[n] for n in form.fields if not n.startswith(FILE_PREFIX)],
        "action_url": request.path,
    }
    return render(request, "cases/apply.html", context, status=status)


def _after_submit(request, case: Case, *, clerk: Actor | None, replay: bool):
    if replay:
        messages.info(request, _("该申请已提交过，未重复创建办件。"))
    return HttpResponseRedirect(reverse("cases-submitted", args=[case.number]))


def submitted(request, number: str):
    actor = request.actor
    if not actor.is_authenticated:
        return _login_redirect(request)
    try:
        case = selectors.case_for(actor, number)
    except DomainError as exc:
        return _error_page(request, exc)
    return render(request, "cases/submitted.html", {"case": case, "light": light_of(case),
                                                     "counter": actor.role == Role.CLERK})


# -- receipts and the process model ------------------------------------------------------------
def _pdf_response(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


def receipt(request, number: str):
    actor = request.actor
    if not actor.is_authenticated:
        return _login_redirect(request)
    try:
        case = selectors.case_for(actor, number)
    except DomainError as exc:
        return _error_page(request, exc)
    data = receipts.receipt_pdf(case, tracking_url=_tracking_url(request, case))
    return _pdf_response(data, f"receipt-{case.number}.pdf")


def notice(request, number: str):
    actor = request.actor
    if not actor.is_authenticated:
        return _login_redirect(request)
    try:
        case = selectors.case_for(actor, number)
    except DomainError as exc:
        return _error_page(request, exc)
    if not case.events.filter(action="request_correction").exists():
        return _not_found(request)
    data = receipts.correction_notice_pdf(case, tracking_url=_tracking_url(request, case))
    return _pdf_response(data, f"notice-{case.number}.pdf")


def process_xml(request, number: str):
    """The BPMN model the case runs (the version it pinned), for the diagram on the case page."""
    actor = request.actor
    if not actor.is_authenticated:
        return _login_redirect(request)
    try:
        case = selectors.case_for(actor, number)
    except DomainError as exc:
        return _error_page(request, exc)
    if case.process_model_id is None:
        return _not_found(request)
    response = HttpResponse(case.process_model.bpmn_xml, content_type="application/xml; charset=utf-8")
    response["Cache-Control"] = "private, max-age=300"
    return response


# -- 我的办件 and the case page -----------------------------------------------------------------
def mine(request):
    actor = request.actor
    if not actor.is_authenticated:
        return _login_redirect(request)
    if actor.role not in APPLICANT_ROLES:
        return _forbidden(request, _("“我的办件”供个人和法人查看自己的申请。工作人员请使用工作台。"))
    cases = list(selectors.cases_visible_to(actor).filter(number__isnull=False, parent__isnull=True)
                 .order_by("-submitted_at", "-id")[:200])
    rows = [{"case": c, "light": light_of(c), "needs_me": c.status in (Status.CORRECTION, Status.AWAITING_PAYMENT)}
            for c in cases]
    return render(request, "cases/mine.html", {"rows": rows, "drafts": list(drafts.drafts_of(actor)[:50])})


def _my_tasks(actor: Actor, case: Case) -> list[CaseTask]:
    if actor.role not in WORK_ROLES or not actor.department_id:
        return []
    return [t for t in case.tasks.filter(status__in=[TaskStatus.OPEN, TaskStatus.CLAIMED],
                                         department_id=actor.department_id).select_related("claimed_by")
            if t.role == actor.role or actor.role == Role.DEPT_HEAD]


def staff_actions(actor: Actor, case: Case) -> dict:
    """Which action forms to show; the services decide in the end (a refused move is a 409/403)."""
    role, status = actor.role, case.status
    front = role == Role.CLERK
    in_dept = role in WORK_ROLES and actor.department_id is not None and actor.department_id == case.department_id
    shown: list[str] = []
    if (front or in_dept) and status == Status.SUBMITTED and not case.parent_id:
        shown += ["accept", "refuse", "request_correction", "transfer"]
    if in_dept and status == Status.IN_REVIEW:
        shown += ["request_correction", "suspend", "transfer"]
    if in_dept and status == Status.SUSPENDED:
        shown.append("resume")
    tasks = _my_tasks(actor, case) if status == Status.IN_REVIEW else []
    review_tasks = [t for t in tasks if t.step != "decide"]
    decide_tasks = [t for t in tasks if t.step == "decide"]
    if review_tasks:
        shown.append("review")
    if decide_tasks:
        shown += ["approve", "reject"]
    if (front or in_dept) and status in (Status.APPROVED, Status.REJECTED):
        shown.append("deliver")
    if front and status == Status.AWAITING_PAYMENT:
        shown.append("pay_counter")
    return {"shown": shown, "review_tasks": review_tasks, "decide_tasks": decide_tasks}


def _materials_with_titles(case: Case, version_materials) -> list[CaseMaterial]:
    """The case's current materials, each with the name the guide gives it (``title``)."""
    titles = {m.key: m.name for m in version_materials if m.key}
    rows = list(case.materials.filter(superseded=False).order_by("uploaded_at", "id"))
    for row in rows:
        row.title = titles.get(row.material_key, "")
    return rows


def _detail_context(request, case: Case) -> dict:
    actor = request.actor
    staff = actor.is_staff_role
    detail = selectors.case_detail(case, staff=staff)
    applicant = actor.role in APPLICANT_ROLES
    version_materials = list(case.item_version.materials.all()) if case.item_version_id else []
    materials = _materials_with_titles(case, version_materials)
    held = {row.material_key for row in materials}
    ctx = {
        "case": case, "d": detail, "light": light_of(case), "staff": staff, "is_applicant": applicant,
        "materials": materials,
        # 免提交 materials the pipeline could not fetch (no consent, or no department holds them)
        "fetched": [m for m in version_materials if not m.applicant_submits and m.key not in held],
        "children": list(case.children.select_related("department").order_by("id")),
        "has_notice": case.events.filter(action="request_correction").exists(),
        "done_steps": ",".join(sorted(set(case.tasks.filter(status=TaskStatus.DONE).values_list("step", flat=True)))),
        "current_steps": ",".join(sorted(set(case.tasks.filter(status__in=[TaskStatus.OPEN, TaskStatus.CLAIMED])
                                             .values_list("step", flat=True)))),
        "step_names": (case.process_model.task_names if case.process_model_id else {}),
    }
    for entry in detail["timeline"]:
        entry["label"] = services.action_label(entry["action"])
        entry["status_label"] = Status(entry["status"]).label if entry["status"] in Status.values else ""
    ctx["current_tasks"] = list(case.tasks.filter(status__in=[TaskStatus.OPEN, TaskStatus.CLAIMED])
                                .select_related("department", "claimed_by").order_by("created_at", "id"))
    if applicant:
        ctx["can_withdraw"] = case.status in (Status.SUBMITTED, Status.CORRECTION, Status.IN_REVIEW, Status.SUSPENDED)
        ctx["can_pay"] = case.status == Status.AWAITING_PAYMENT and case.paid_at is None
        ctx["resubmit_materials"] = [m for m in (case.item_version.materials.all() if case.item_version_id else [])
                                     if m.applicant_submits and m.key]
    if staff:
        from yiwang.core.models import Department

        ctx["actions"] = staff_actions(actor, case)
        ctx["suspension_kinds"] = SuspensionKind.choices
        ctx["delivery_methods"] = DeliveryMethod.choices
        ctx["departments"] = Department.objects.filter(is_active=True).exclude(pk=case.department_id).order_by("code")
        ctx["item_materials"] = (list(case.item_version.materials.all()) if case.item_version_id else [])
        ctx["back"] = "/counter/" if actor.role == Role.CLERK else "/work/"
    return ctx


def detail(request, number: str):
    actor = request.actor
    if not actor.is_authenticated:
        return _login_redirect(request)
    try:
        case = selectors.case_for(actor, number)
    except DomainError as exc:
        return _error_page(request, exc)
    return render(request, "cases/detail.html", _detail_context(request, case))


def _detail_with_error(request, number: str, exc: DomainError, errors: list[str] | None = None):
    try:
        case = selectors.case_for(request.actor, number)
    except DomainError as inner:
        return _error_page(request, inner)
    ctx = _detail_context(request, case)
    messages_ = errors or [str(exc.message)]
    for name, msgs in (exc.fields or {}).items():
        for m in msgs if isinstance(msgs, (list, tuple)) else [msgs]:
            if str(m) not in messages_ and name not in ("action", "status"):
                messages_.append(str(m))
    ctx.update(action_error=messages_[0], action_errors=messages_, error_code=exc.code)
    return render(request, "cases/detail.html", ctx, status=_status(exc))


def _after_action(request, number: str, label: str, default: str):
    messages.success(request, label)
    if selectors.cases_visible_to(request.actor).filter(number=number).exists():
        return redirect(_safe_back(request, reverse("cases-detail", args=[number])))
    return redirect(default)


def _safe_back(request, default: str) -> str:
    target = request.POST.get("next") or ""
    if target.startswith("/") and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                                  require_https=request.is_secure()):
        return target
    return default


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


@post_only
def act(request, number: str):
    """One staff (or applicant) action on a case, through ``services.perform``."""
    actor = request.actor
    if not actor.is_authenticated:
        return _login_redirect(request)
    action = request.POST.get("action", "")
    try:
        selectors.case_for(actor, number)  # 404 outside the actor's scope
        payload: dict = {"opinion": request.POST.get("opinion", "")}
        if request.POST.get("expected_version", "").isdigit():
            payload["expected_version"] = int(request.POST["expected_version"])
        if request.POST.get("task_id", "").isdigit():
            payload["task_id"] = int(request.POST["task_id"])
        if action == "request_correction":
            payload["items"] = request.POST.getlist("materials") + _lines(request.POST.get("items", ""))
        elif action == "suspend":
            payload["kind"] = request.POST.get("kind", "")
        elif action == "transfer":
            payload["department"] = request.POST.get("department", "")
        elif action == "deliver":
            payload.update(method=request.POST.get("method", ""), address=request.POST.get("address", ""),
                           tracking_number=request.POST.get("tracking_number", ""))
        elif action == "pay_counter":
            action = "pay"
            payload.update(provider="counter", reference=request.POST.get("reference", ""))
        services.perform(actor, number, action, payload)
    except DomainError as exc:
        if isinstance(exc, NotFound) and exc.code == "case_not_found":
            return _not_found(request)
        return _detail_with_error(request, number, exc)
    default = "/counter/" if actor.role == Role.CLERK else ("/work/" if actor.is_staff_role else "/cases/mine/")
    return _after_action(request, number, _("已完成：%(a)s") % {"a": services.action_label(action)}, default)


def _applicant_only(actor: Actor) -> None:
    if actor.role not in APPLICANT_ROLES:
        raise PermissionDeniedError(_("只有申请人本人或企业经办人可以进行此操作。"), code="applicant_only")


@post_only
def resubmit(request, number: str):
    """补正: the applicant uploads the corrected materials and sends the case back."""
    actor = request.actor
    if not actor.is_authenticated:
        return _login_redirect(request)
    try:
        case = selectors.case_for(actor, number)
        _applicant_only(actor)
        materials = []
        for name in request.FILES:
            if not name.startswith(FILE_PREFIX):
                continue
            key = name[len(FILE_PREFIX):]
            for upload in request.FILES.getlist(name)[:MAX_FILES_PER_MATERIAL]:
                row = services.upload_material(actor, name=upload.name or "file", data=upload.read(), key=key)
                materials.append({"key": key, "upload": row.upload_token})
        if not materials and not request.POST.get("confirm"):
            raise ValidationFailed(_("请上传补正后的材料，或勾选“已按告知内容补正”后提交。"), code="resubmit_empty",
                                   fields={"materials": [_("请上传补正材料。")]})
        services.resubmit(actor, case.number, None, materials)
    except DomainError as exc:
        if isinstance(exc, NotFound) and exc.code == "case_not_found":
            return _not_found(request)
        return _detail_with_error(request, number, exc)
    return _after_action(request, number, _("补正材料已提交。"), "/cases/mine/")


@post_only
def pay(request, number: str):
    """Online payment through the demo sandbox provider: its signed confirmation is simulated."""
    from .payments import sandbox_reference

    actor = request.actor
    if not actor.is_authenticated:
        return _login_redirect(request)
    try:
        case = selectors.case_for(actor, number)
        _applicant_only(actor)
        services.pay(actor, case.number, "sandbox", sandbox_reference(case))
    except DomainError as exc:
        if isinstance(exc, NotFound) and exc.code == "case_not_found":
            return _not_found(request)
        return _detail_with_error(request, number, exc)
    return _after_action(request, number, _("缴费成功。"), "/cases/mine/")


# -- department workbench ----------------------------------------------------------------------
def _work_guard(request):
    actor = request.actor
    if not actor.is_authenticated:
        return _login_redirect(request, staff=True)
    if actor.role not in WORK_ROLES or not actor.department_id:
        return _forbidden(request, _("待办工作台供部门审批人员和部门负责人使用。"))
    return None


def _work_page(request, error: str | None = None, status: int = 200):
    actor = request.actor
    tasks = list(selectors.inbox(actor)[:300])
    rows = [{"task": t, "light": light_of(t.case), "mine": t.claimed_by_id == actor.user.pk} for t in tasks]
    colleagues = []
    if actor.role == Role.DEPT_HEAD:
        seen = set()
        for a in (RoleAssignment.objects.filter(department_id=actor.department_id, role__in=WORK_ROLES)
                  .select_related("user").order_by("user__name")):
            if a.user_id not in seen and a.user.is_active:
                seen.add(a.user_id)
                colleagues.append(a.user)
    context = {
        "rows": rows, "colleagues": colleagues, "is_head": actor.role == Role.DEPT_HEAD,
        "acceptance": list(selectors.acceptance_queue(actor)[:50]), "error": error,
    }
    return render(request, "cases/work.html", context, status=status)


def work(request):
    if (response := _work_guard(request)) is not None:
        return response
    return _work_page(request)


@post_only
def task_action(request, task_id: int):
    if (response := _work_guard(request)) is not None:
        return response
    actor = request.actor
    action = request.POST.get("action", "")
    try:
        if action == "claim":
            task = services.claim(actor, task_id)
            text = _("已认领：%(n)s %(s)s") % {"n": task.case.number, "s": task.name}
        elif action == "release":
            task = services.release(actor, task_id)
            text = _("已退回任务池：%(n)s %(s)s") % {"n": task.case.number, "s": task.name}
        elif action == "reassign":
            username = request.POST.get("username", "")
            task = services.reassign(actor, task_id, username)
            text = _("已改派给 %(who)s：%(n)s") % {"who": task.claimed_by.display_name if task.claimed_by else username,
                                                 "n": task.case.number}
        else:
            raise ValidationFailed(_("未知的操作。"), code="unknown_action")
    except DomainError as exc:
        if isinstance(exc, NotFound):
            return _work_page(request, str(exc.message), 404)
        return _work_page(request, str(exc.message), _status(exc))
    messages.success(request, text)
    return redirect(_safe_back(request, "/work/"))


# -- the counter (一窗) ------------------------------------------------------------------------
def _counter_guard(request):
    actor = request.actor
    if not actor.is_authenticated:
        return _login_redirect(request, staff=True)
    if actor.role != Role.CLERK or not actor.place_id:
        return _forbidden(request, _("综合窗口页面仅供综合窗口受理人员使用。"))
    return None


def _my_counter(request, place):
    counters = list(queue.counters_of(place))
    chosen = request.session.get(SESSION_COUNTER)
    counter = next((c for c in counters if c.pk == chosen), counters[0] if counters else None)
    return counters, counter


def _session_citizen(request) -> User | None:
    pk = request.session.get(SESSION_CITIZEN)
    if not pk:
        return None
    return User.objects.filter(pk=pk, kind=User.Kind.CITIZEN, is_active=True).first()


def _link_ticket(request, clerk: Actor, case: Case) -> None:
    place = clerk.assignment.place
    _counters, counter = _my_counter(request, place)
    ticket = queue.current_ticket(counter)
    if ticket is not None and ticket.case_id is None:
        try:
            queue.link_case(clerk, ticket.pk, case)
        except DomainError:
            pass


def _counter_page(request, *, error: str | None = None, error_field: str = "", status: int = 200, lookup: str = ""):
    from yiwang.catalog import selectors as catalog

    actor = request.actor
    place = actor.assignment.place
    counters, counter = _my_counter(request, place)
    current = queue.current_ticket(counter)
    q = request.GET.get("q", "").strip()[:50]
    citizen = _session_citizen(request)
    context = {
        "place": place, "counters": counters, "counter": counter, "current": current,
        "waiting": list(queue.waiting(place)[:30]), "estimate": queue.estimate_wait(place),
        "citizen": citizen, "q": q, "items": list(catalog.find_items(q)[:30]) if q else None,
        "acceptance": list(selectors.acceptance_queue(actor).select_related("department")[:30]),
        "deliveries": list(selectors.cases_visible_to(actor).filter(
            status__in=[Status.APPROVED, Status.REJECTED], parent__isnull=True).order_by("concluded_at")[:50]),
        "awaiting_payment": list(selectors.cases_visible_to(actor).filter(status=Status.AWAITING_PAYMENT)
                                 .order_by("concluded_at")[:30]),
        "error": error, "error_field": error_field, "lookup": lookup,
        "served": list(queue.today_tickets(place).filter(counter=counter, status=QueueTicket.Status.DONE)
                       .select_related("case").order_by("-finished_at")[:10]) if counter else [],
    }
    return render(request, "cases/counter.html", context, status=status)


def counter(request):
    if (response := _counter_guard(request)) is not None:
        return response
    return _counter_page(request)


@post_only
def counter_seat(request):
    """Which counter (窗口) the clerk sits at today."""
    if (response := _counter_guard(request)) is not None:
        return response
    place = request.actor.assignment.place
    counter_id = request.POST.get("counter", "")
    found = queue.counters_of(place).filter(pk=int(counter_id) if counter_id.isdigit() else 0).first()
    if found is None:
        return _counter_page(request, error=_("请选择您所在的窗口。"), error_field="counter", status=400)
    request.session[SESSION_COUNTER] = found.pk
    messages.success(request, _("当前窗口：%(c)s") % {"c": found.name or found.number})
    return redirect("/counter/")


@post_only
def counter_queue(request):
    """叫号, 开始办理, 办结, 过号, 重呼 — and 代取号 for someone without the kiosk."""
    if (response := _counter_guard(request)) is not None:
        return response
    actor = request.actor
    place = actor.assignment.place
    _counters, counter = _my_counter(request, place)
    action = request.POST.get("action", "")
    ticket_id = int(request.POST["ticket"]) if request.POST.get("ticket", "").isdigit() else 0
    try:
        if action == "call":
            if counter is None:
                raise ValidationFailed(_("本服务场所尚未设置窗口，无法叫号。"), code="counter_required")
            ticket = queue.call_next(actor, counter.pk)
            text = (_("请 %(n)s 号到 %(c)s 号窗口办理。") % {"n": ticket.number, "c": counter.number}
                    if ticket else _("目前没有等候的号码。"))
        elif action == "start":
            ticket = queue.start(actor, ticket_id)
            text = _("%(n)s 号开始办理。请核验办事人身份证件。") % {"n": ticket.number}
            request.session.pop(SESSION_CITIZEN, None)  # a new person at the counter
        elif action == "finish":
            ticket = queue.finish(actor, ticket_id)
            request.session.pop(SESSION_CITIZEN, None)
            text = _("%(n)s 号已办结。") % {"n": ticket.number}
        elif action == "no_show":
            ticket = queue.no_show(actor, ticket_id)
            text = _("%(n)s 号已过号。") % {"n": ticket.number}
        elif action == "recall":
            ticket = queue.recall(actor, ticket_id)
            text = _("已重新呼叫 %(n)s 号。") % {"n": ticket.number}
        elif action == "take":
            ticket, created = queue.take_ticket(place, request.POST.get("id_number", ""))
            text = (_("已取号：%(n)s。") if created else _("该办事人今天已取号：%(n)s。")) % {"n": ticket.number}
        else:
            raise ValidationFailed(_("未知的操作。"), code="unknown_action")
    except DomainError as exc:
        field_ = "take_id_number" if action == "take" else ""
        return _counter_page(request, error=str(exc.message), error_field=field_, status=_status(exc))
    messages.success(request, text)
    return redirect("/counter/")


@post_only
def counter_citizen(request):
    """Find the walk-in citizen by ID number (the one the application will be filed for)."""
    if (response := _counter_guard(request)) is not None:
        return response
    from yiwang.accounts import selectors as account_selectors

    actor = request.actor
    if request.POST.get("action") == "clear":
        request.session.pop(SESSION_CITIZEN, None)
        return redirect("/counter/")
    raw = request.POST.get("id_number", "")
    verdict = validate_resident_id(raw)
    if not verdict.valid:
        return _counter_page(request, error=str(verdict.message), error_field="id_number", status=400,
                             lookup=raw.strip()[:18])
    try:
        citizen = account_selectors.find_citizen(actor, verdict.number)
    except DomainError as exc:
        return _error_page(request, exc)
    if citizen is None or not citizen.is_active:
        return _counter_page(request, error=_("未找到该市民的账号。请先协助办事人注册（一号登录），再为其代办。"),
                             error_field="id_number", status=404, lookup=verdict.number)
    request.session[SESSION_CITIZEN] = citizen.pk
    audit.record("counter.applicant_identified", citizen, data={"place": actor.assignment.place.code})
    messages.success(request, _("办事人：%(name)s（%(id)s）") % {"name": citizen.display_name,
                                                             "id": citizen.masked_id_number})
    return redirect("/counter/#items")


def counter_apply(request, code: str):
    """The same application form, filed by the clerk for the identified citizen and accepted at once."""
    if (response := _counter_guard(request)) is not None:
        return response
    citizen = _session_citizen(request)
    if citizen is None:
        messages.error(request, _("请先核验办事人身份（输入身份证号码查询）。"))
        return redirect("/counter/#applicant")
    try:
        target = _item_target(code)
    except DomainError as exc:
        return _error_page(request, exc)
    applicant = Actor(user=citizen, channel="counter")
    return _application(request, target, applicant=applicant, clerk=request.actor)


# -- the hall: kiosk and screen (public) -------------------------------------------------------
def kiosk_take(request, place_code: str):
    """自助取号: anyone at the service place takes a number with their ID number."""
    try:
        place = queue.place_by_code(place_code)
    except DomainError as exc:
        return _error_page(request, exc)
    context = {"place": place, "estimate": queue.estimate_wait(place)}
    if request.method == "POST":
        raw = request.POST.get("id_number", "")
        try:
            ticket, created = queue.take_ticket(place, raw)
        except DomainError as exc:
            context.update(error=str(exc.message), value=raw.strip()[:18])
            return render(request, "cases/kiosk.html", context, status=_status(exc))
        context.update(ticket=ticket, created=created, ticket_estimate=queue.estimate_wait(place, ticket))
        return render(request, "cases/kiosk.html", context, status=201 if created else 200)
    return render(request, "cases/kiosk.html", context)


def screen(request, place_code: str):
    """The hall screen: numbers called and to which counter; htmx refreshes it every few seconds."""
    try:
        place = queue.place_by_code(place_code)
    except DomainError as exc:
        return _error_page(request, exc)
    called = list(queue.recently_called(place))
    context = {"place": place, "latest": called[0] if called else None, "called": called[1:],
               "waiting_count": queue.waiting(place).count(), "estimate": queue.estimate_wait(place)}
    if request.htmx:
        return render(request, "cases/partials/screen.html", context)
    return render(request, "cases/screen.html", context)

