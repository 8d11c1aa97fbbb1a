"""The web shell: home, sign-in for every kind of account, the personal centre. Thin views: the
work is in accounts.services / selectors."""

from __future__ import annotations

from functools import wraps
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login
from django.db import connection
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from yiwang.accounts import selectors as account_selectors
from yiwang.accounts import services as account_services
from yiwang.accounts.lockout import lockout_message
from yiwang.accounts.middleware import SESSION_ENTERPRISE, SESSION_ROLE
from yiwang.core.errors import DomainError
from yiwang.core.identity import mask_phone, validate_resident_id, validate_uscc

ELDERLY_COOKIE = "yw_elderly"


def post_only(view):
    """Like ``require_POST``, but a person who follows a link here gets a page that says what to do
    (405 with an ``Allow`` header) instead of an empty response."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method != "POST":
            response = render(request, "405.html", status=405)
            response["Allow"] = "POST"
            return response
        return view(request, *args, **kwargs)

    return wrapper


# -- health ------------------------------------------------------------------------------------
@require_GET
def healthz(request):
    status = {"status": "ok", "database": "ok", "queue": "ok"}
    code = 200
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:  # noqa: BLE001
        status.update(status="error", database=f"error: {exc.__class__.__name__}")
        code = 503
    try:
        from django.utils import timezone
        from django_tasks_db.models import DBTaskResult

        ready = DBTaskResult.objects.ready()
        status["queue_backend"] = settings.TASKS["default"]["BACKEND"].rsplit(".", 1)[-1]
        status["queue_ready"] = ready.count()
        oldest = ready.order_by("enqueued_at").values_list("enqueued_at", flat=True).first()
        status["queue_oldest_seconds"] = int((timezone.now() - oldest).total_seconds()) if oldest else 0
    except Exception as exc:  # noqa: BLE001
        status.update(status="error", queue=f"error: {exc.__class__.__name__}")
        code = 503
    if settings.REDIS_URL:
        try:
            import redis

            redis.Redis.from_url(settings.REDIS_URL, socket_timeout=1).ping()
            status["redis"] = "ok"
        except Exception as exc:  # noqa: BLE001
            status.update(status="error", redis=f"error: {exc.__class__.__name__}")
            code = 503
    return JsonResponse(status, status=code)


# -- home --------------------------------------------------------------------------------------
def home(request):
    demo = None
    if settings.DEMO_MODE:
        from yiwang.web.demo import demo_accounts_by_role

        demo = demo_accounts_by_role()
    return render(request, "web/home.html", {"demo": demo})


# -- sign-in -----------------------------------------------------------------------------------
def _safe_next(request, default: str = settings.LOGIN_REDIRECT_URL) -> str:
    target = request.POST.get("next") or request.GET.get("next") or default
    # Only a path on this site: "/..." (not "//host", not a bare word that redirect() would try to
    # reverse as a URL name and fail on with a 500).
    if target.startswith("/") and not target.startswith("//") and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return default


def _required(message):
    return {"required": message}


def _text(autocomplete: str = "off", **attrs):
    return forms.TextInput(attrs={"autocomplete": autocomplete, "spellcheck": "false", **attrs})


def _password(autocomplete: str = "current-password"):
    return forms.PasswordInput(attrs={"autocomplete": autocomplete})


def _digits(value: str) -> str:
    """What people type with spaces or hyphens (and full-width digits from a Chinese IME)."""
    import unicodedata

    return "".join(ch for ch in unicodedata.normalize("NFKC", value) if ch not in " -")


def _clean_resident_id(value: str) -> str:
    verdict = validate_resident_id(value)
    if not verdict.valid:
        raise forms.ValidationError(verdict.message, code=verdict.error)
    return verdict.number


# Identity numbers may be typed with spaces ("3201 0219 ..."); the validator strips them and gives
# the precise message, so the form's own length limit is generous.
ID_MAX = 40


class CitizenLoginForm(forms.Form):
    id_number = forms.CharField(label=gettext_lazy("居民身份证号码"), max_length=ID_MAX,
                                error_messages=_required(gettext_lazy("请输入居民身份证号码。")),
                                widget=_text("username"))
    method = forms.ChoiceField(label=gettext_lazy("登录方式"), choices=[("password", gettext_lazy("密码")),
                                                                     ("sms", gettext_lazy("短信验证码"))],
                               initial="password", widget=forms.RadioSelect,
                               error_messages={"required": gettext_lazy("请选择登录方式。"),
                                               "invalid_choice": gettext_lazy("请选择登录方式。")})
    password = forms.CharField(label=gettext_lazy("密码"), required=False, strip=False, max_length=128,
                               widget=_password())
    sms_code = forms.CharField(label=gettext_lazy("短信验证码"), required=False, max_length=12,
                               widget=_text("one-time-code", inputmode="numeric"))

    def clean_id_number(self):
        return _clean_resident_id(self.cleaned_data["id_number"])

    def clean_sms_code(self):
        return _digits(self.cleaned_data["sms_code"])

    def clean(self):
        data = super().clean()
        method = data.get("method", "password")
        if method == "sms":
            code = data.get("sms_code", "")
            if not code:
                self.add_error("sms_code", _("请输入短信验证码。"))
            elif not (len(code) == 6 and code.isascii() and code.isdigit()):
                self.add_error("sms_code", _("短信验证码应为 6 位数字。"))
        elif method == "password" and not data.get("password"):
            self.add_error("password", _("请输入密码。"))
        return data


class EnterpriseLoginForm(forms.Form):
    uscc = forms.CharField(label=gettext_lazy("统一社会信用代码"), max_length=ID_MAX,
                           error_messages=_required(gettext_lazy("请输入统一社会信用代码。")),
                           widget=_text("username"))
    agent = forms.CharField(label=gettext_lazy("法定代表人或经办人身份证号码"), max_length=ID_MAX,
                            error_messages=_required(gettext_lazy("请输入法定代表人或经办人的身份证号码。")),
                            widget=_text())
    password = forms.CharField(label=gettext_lazy("法定代表人或经办人的个人密码"), strip=False, max_length=128,
                               error_messages=_required(gettext_lazy("请输入密码。")), widget=_password())

    def clean_uscc(self):
        verdict = validate_uscc(self.cleaned_data["uscc"])
        if not verdict.valid:
            raise forms.ValidationError(verdict.message, code=verdict.error)
        return verdict.number

    def clean_agent(self):
        return _clean_resident_id(self.cleaned_data["agent"])


class StaffLoginForm(forms.Form):
    username = forms.CharField(label=gettext_lazy("用户名"), max_length=150,
                               error_messages=_required(gettext_lazy("请输入用户名。")), widget=_text("username"))
    password = forms.CharField(label=gettext_lazy("密码"), strip=False, max_length=128,
                               error_messages=_required(gettext_lazy("请输入密码。")), widget=_password())
    otp = forms.CharField(label=gettext_lazy("动态口令（6 位）"), max_length=12,
                          help_text=gettext_lazy("打开身份验证器应用，输入当前显示的 6 位数字。"),
                          error_messages=_required(gettext_lazy("请输入动态口令。")),
                          widget=_text("one-time-code", inputmode="numeric"))

    def clean_otp(self):
        code = _digits(self.cleaned_data["otp"])
        if not (len(code) == 6 and code.isascii() and code.isdigit()):
            raise forms.ValidationError(_("动态口令应为 6 位数字。"), code="otp_format")
        return code


def _finish_login(request, user, *, enterprise=None):
    login(request, user, backend="yiwang.accounts.backends.IdentityBackend")
    device = getattr(user, "_otp_device", None)
    if device is not None:
        from django_otp import login as otp_login

        otp_login(request, device)
    # The new login decides whom the session acts for: Django keeps the session of the same person,
    # so an earlier enterprise login (or chosen staff role) must not carry over into this one.
    request.session.pop(SESSION_ENTERPRISE, None)
    request.session.pop(SESSION_ROLE, None)
    if enterprise is not None:
        request.session[SESSION_ENTERPRISE] = enterprise.pk
    from yiwang.core import audit

    audit.record("auth.login", user, actor=user, role="enterprise_agent" if enterprise else
                 ("citizen" if user.kind == "citizen" else ""), department=enterprise.uscc if enterprise else "",
                 data={"channel": "web"})


def _login_failed(request, form, template, message, default_next=settings.LOGIN_REDIRECT_URL):
    context = {"form": form, "next": _safe_next(request, default_next)}
    if getattr(request, "axes_locked_out", False):
        form.add_error(None, lockout_message())
        return render(request, template, context, status=429)
    form.add_error(None, message)
    return render(request, template, context, status=400)


def citizen_login(request):
    template = "web/login_citizen.html"
    if request.method == "POST" and "send_sms" in request.POST:
        return _send_sms_page(request)  # the "获取短信验证码" button without JavaScript
    form = CitizenLoginForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if not form.is_valid():
            return render(request, template, {"form": form, "next": _safe_next(request)}, status=400)
        data = form.cleaned_data
        user = authenticate(request, username=data["id_number"],
                            password=data["password"] if data["method"] == "password" else None,
                            sms_code=data["sms_code"] if data["method"] == "sms" else None)
        if user is None:
            message = (_("身份证号码或短信验证码错误。") if data["method"] == "sms"
                       else _("身份证号码或密码错误。"))
            return _login_failed(request, form, template, message)
        _finish_login(request, user)
        return HttpResponseRedirect(_safe_next(request))
    return render(request, template, {"form": form, "next": _safe_next(request)})


def _request_sms_code(request) -> tuple[str, int]:
    """Send a login code; (message for the person, HTTP status)."""
    number = request.POST.get("id_number", "")
    try:
        account_services.request_sms_code(number)
    except DomainError as exc:
        return str(exc.message), (400 if exc.status == 422 else exc.status)
    minutes = int(settings.SMS_LOGIN_CODE_TTL.total_seconds() // 60)
    return _("如该号码已注册并绑定手机，验证码已发送，%(minutes)d 分钟内有效。") % {"minutes": minutes}, 200


def _send_sms_page(request):
    """The login page after "获取短信验证码" was pressed without JavaScript: the SMS method chosen,
    the ID number kept, and either the status line or the error summary."""
    number = request.POST.get("id_number", "")
    text, status = _request_sms_code(request)
    context = {"next": _safe_next(request)}
    if status == 200:
        context.update(form=CitizenLoginForm(initial={"id_number": validate_resident_id(number).number,
                                                      "method": "sms"}),
                       sms_text=text, sms_ok=True)
    else:
        form = CitizenLoginForm(data={"id_number": number, "method": "sms"})
        form.is_valid()
        form.errors.pop("sms_code", None)  # not asked for yet
        if "id_number" not in form.errors:
            form.add_error(None, text)
        context["form"] = form
    return render(request, "web/login_citizen.html", context, status=status)


@post_only
def send_sms_code(request):
    """htmx: the status line under the button; without htmx: the whole login page."""
    if not request.htmx:
        return _send_sms_page(request)
    text, status = _request_sms_code(request)
    return render(request, "web/partials/sms_status.html", {"text": text, "ok": status == 200}, status=status)


def enterprise_login(request):
    template = "web/login_enterprise.html"
    form = EnterpriseLoginForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if not form.is_valid():
            return render(request, template, {"form": form, "next": _safe_next(request)}, status=400)
        data = form.cleaned_data
        user = authenticate(request, username=data["uscc"], password=data["password"], agent=data["agent"])
        if user is None:
            return _login_failed(request, form, template,
                                 _("统一社会信用代码、经办人身份证号码或密码错误，或该经办人未获企业授权。"))
        _finish_login(request, user, enterprise=user._acting_enterprise)
        return HttpResponseRedirect(_safe_next(request))
    return render(request, template, {"form": form, "next": _safe_next(request)})


def staff_login(request):
    template = "web/login_staff.html"
    form = StaffLoginForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if not form.is_valid():
            return render(request, template, {"form": form, "next": _safe_next(request, "/staff/")}, status=400)
        data = form.cleaned_data
        user = authenticate(request, username=data["username"], password=data["password"], otp=data["otp"])
        if user is None:
            form.data = form.data.copy()
            form.data["otp"] = ""  # a used one-time code is of no further use: ask for the next one
            return _login_failed(request, form, template, _("用户名、密码或动态口令错误。"), "/staff/")
        _finish_login(request, user)
        return HttpResponseRedirect(_safe_next(request, "/staff/"))
    return render(request, template, {"form": form, "next": _safe_next(request, "/staff/")})


def staff_login_redirect(request):
    return redirect("/accounts/login/staff/?" + urlencode({"next": request.GET.get("next", "/admin/")}))


@post_only
def logout_view(request):
    account_services.end_session(request, channel="web")
    messages.info(request, _("您已安全退出。"))
    return redirect("/")


class RegisterForm(forms.Form):
    id_number = forms.CharField(label=gettext_lazy("居民身份证号码"), max_length=ID_MAX,
                                error_messages=_required(gettext_lazy("请输入居民身份证号码。")), widget=_text())
    name = forms.CharField(label=gettext_lazy("姓名"), max_length=30,
                           help_text=gettext_lazy("与身份证上的姓名一致。"),
                           error_messages=_required(gettext_lazy("请输入姓名。")),
                           widget=forms.TextInput(attrs={"autocomplete": "name"}))
    phone = forms.CharField(label=gettext_lazy("手机号码"), max_length=20,
                            help_text=gettext_lazy("用于接收短信验证码和办事进度提醒。"),
                            error_messages=_required(gettext_lazy("请输入手机号码。")),
                            widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}))
    password = forms.CharField(label=gettext_lazy("设置密码"), strip=False, max_length=128,
                               error_messages=_required(gettext_lazy("请设置密码。")), widget=_password("new-password"),
                               help_text=gettext_lazy("至少 8 位，不能全是数字。"))

    def clean_id_number(self):
        return _clean_resident_id(self.cleaned_data["id_number"])

    def clean_phone(self):
        return _digits(self.cleaned_data["phone"])


SESSION_PENDING_REGISTRATION = "yiwang_pending_registration"


def register(request):
    """Step one: the details, then an SMS code to the phone. The page that follows is the same
    whether or not the ID number is registered already; the account exists only once the code is
    confirmed (``register_confirm``)."""
    form = RegisterForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            pending = account_services.start_registration(**form.cleaned_data)
        except DomainError as exc:
            for field, msgs in exc.fields.items():
                for msg in msgs:
                    form.add_error(field if field in form.fields else None, str(msg))
            if not exc.fields:  # e.g. "请求过于频繁，请稍后再试。"
                form.add_error(None, str(exc.message))
            status = 429 if exc.status == 429 else 400
            return render(request, "web/register.html", {"form": form}, status=status)
        request.session[SESSION_PENDING_REGISTRATION] = pending.pk
        return redirect("register-confirm")
    return render(request, "web/register.html", {"form": form}, status=400 if request.method == "POST" else 200)


class RegisterConfirmForm(forms.Form):
    sms_code = forms.CharField(label=gettext_lazy("短信验证码"), max_length=12,
                               error_messages=_required(gettext_lazy("请输入短信验证码。")),
                               widget=_text("one-time-code", inputmode="numeric"))

    def clean_sms_code(self):
        code = _digits(self.cleaned_data["sms_code"])
        if not (len(code) == 6 and code.isascii() and code.isdigit()):
            raise forms.ValidationError(_("短信验证码应为 6 位数字。"), code="sms_code_format")
        return code


def register_confirm(request):
    """Step two: the SMS code creates the account and signs the person in."""
    pending = account_selectors.open_registration(request.session.get(SESSION_PENDING_REGISTRATION))
    if pending is None:
        return redirect("register")
    minutes = int(settings.REGISTRATION_CODE_TTL.total_seconds() // 60)
    context = {"masked_phone": mask_phone(pending.phone), "minutes": minutes}
    form = RegisterConfirmForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            user = account_services.confirm_registration(pending.pk, form.cleaned_data["sms_code"])
        except DomainError as exc:
            if exc.code in ("registration_expired", "already_registered"):
                request.session.pop(SESSION_PENDING_REGISTRATION, None)
                context["restart"] = True
            form.add_error("sms_code" if "sms_code" in exc.fields else None, str(exc.message))
            return render(request, "web/register_confirm.html", {**context, "form": form}, status=400)
        request.session.pop(SESSION_PENDING_REGISTRATION, None)
        _finish_login(request, user)
        messages.success(request, _("注册成功，欢迎使用一网通办。"))
        return redirect(settings.LOGIN_REDIRECT_URL)
    return render(request, "web/register_confirm.html", {**context, "form": form},
                  status=400 if request.method == "POST" else 200)


# -- personal centre ---------------------------------------------------------------------------
def _require_login(request):
    if not request.actor.is_authenticated:
        return redirect(f"{settings.LOGIN_URL}?{urlencode({'next': request.get_full_path()})}")
    return None


def me(request):
    if (response := _require_login(request)) is not None:
        return response
    from yiwang.notifications.models import Channel, Notification

    inbox = Notification.objects.filter(recipient=request.actor.user, channel=Channel.SITE)[:20]
    return render(request, "web/me.html", {"actor": request.actor, "inbox": inbox})


@post_only
def reveal(request, username: str, field: str):
    """Show one personal-data field in full (audited). htmx swaps in the value; without JavaScript
    the button posts here and gets a small page with the value and a way back."""
    if not request.actor.is_authenticated:
        if request.htmx:
            return render(request, "web/partials/reveal.html", {"error": _("登录已过期，请重新登录。")}, status=401)
        return redirect(f"{settings.LOGIN_URL}?{urlencode({'next': '/me/'})}")
    from yiwang.accounts.models import User

    subject = User.objects.filter(username=username).first() if "\x00" not in username else None
    if subject is None:
        if request.htmx:
            return render(request, "web/partials/reveal.html", {"error": _("未找到该用户。")}, status=404)
        return render(request, "404.html", status=404)
    back = _safe_next(request, "/staff/" if request.actor.is_staff_role else "/me/")
    try:
        value = account_services.reveal_personal_data(request.actor, subject, field,
                                                      purpose=request.POST.get("purpose", ""))
    except DomainError as exc:
        status = 400 if exc.status == 422 else exc.status
        if request.htmx:
            return render(request, "web/partials/reveal.html", {"error": exc.message}, status=status)
        return render(request, "403.html" if status == 403 else "web/revealed.html",
                      {"error": exc.message, "message": exc.message, "back": back}, status=status)
    if request.htmx:
        return render(request, "web/partials/reveal.html", {"value": value})
    labels = {"id_number": _("居民身份证号码"), "phone": _("手机号码")}
    return render(request, "web/revealed.html", {"value": value, "label": labels.get(field, field),
                                                 "subject": subject, "back": back})


def staff_home(request):
    if (response := _require_login(request)) is not None:
        return redirect("/accounts/login/staff/?next=/staff/")
    actor = request.actor
    if not actor.is_staff_role:
        return render(request, "403.html", {"message": _("该页面仅供工作人员使用。")}, status=403)
    if "id_number" in request.GET:
        return redirect("/staff/")  # an old-style lookup link: drop the number from the address
    context = {"actor": actor}
    status = 200
    # The lookup is a POST: an ID number in a URL would end up in history, logs and the next= links.
    lookup_id = request.POST.get("id_number", "").strip() if request.method == "POST" else ""
    if lookup_id:
        from yiwang.accounts import selectors

        context["lookup_id"] = lookup_id[:40]  # shown again only with an error (else it stays masked)

        verdict = validate_resident_id(lookup_id)
        if not verdict.valid:
            context["lookup_error"], status = verdict.message, 400
        else:
            try:
                context["person"] = selectors.find_citizen(actor, verdict.number)
                context["lookup_done"] = True
            except DomainError as exc:
                context["lookup_error"], status = exc.message, (400 if exc.status == 422 else exc.status)
    if actor.role in ("platform_admin", "supervisor", "dept_head"):
        from yiwang.core.selectors import audit_events_for

        context["events"] = audit_events_for(actor)[:20]
    return render(request, "web/staff.html", context, status=status)


@post_only
def switch_role(request):
    if not request.actor.is_authenticated or not request.actor.is_staff_role:
        return render(request, "403.html", {"message": _("该页面仅供工作人员使用。")}, status=403)
    try:
        assignment = account_services.set_active_role(request.actor, int(request.POST.get("role_id", "")))
    except (DomainError, ValueError):
        return render(request, "403.html", {"message": _("您没有该角色。")}, status=403)
    request.session[SESSION_ROLE] = assignment.pk
    messages.success(request, _("已切换为：%(role)s") % {"role": assignment})
    return redirect("/staff/")


@post_only
def toggle_elderly(request):
    on = request.COOKIES.get(ELDERLY_COOKIE) != "1"
    target = _safe_next(request, "/")
    response = HttpResponseRedirect(target)
    response.set_cookie(ELDERLY_COOKIE, "1" if on else "0", max_age=365 * 24 * 3600, samesite="Lax",
                        secure=request.is_secure(), httponly=True)
    return response


def csrf_failure(request, reason=""):
    return render(request, "403.html", {"message": _("页面已过期或请求来源无效，请刷新页面后重试。")}, status=403)
