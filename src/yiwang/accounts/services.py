"""State changes for identities and credentials. One function per business action, one
transaction, one audit event."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.core import audit
from yiwang.core.errors import Conflict, NotAuthenticated, PermissionDeniedError, RateLimited, ValidationFailed
from yiwang.core.identity import validate_resident_id

from . import selectors
from .actor import Actor, staff_actor
from .backends import hash_code
from .models import ApiToken, PendingRegistration, RoleAssignment, SmsLoginCode, User

TOKEN_PREFIX = "yw_"


def _token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def issue_token(user: User, *, enterprise=None, assignment: RoleAssignment | None = None) -> tuple[str, ApiToken]:
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    if assignment is None and user.kind == User.Kind.STAFF:
        assignment = user.roles.order_by("id").first()
    token = ApiToken.objects.create(
        key_hash=_token_hash(raw),
        prefix=raw[:8],
        user=user,
        enterprise=enterprise,
        role_assignment=assignment,
        expires_at=timezone.now() + settings.API_TOKEN_TTL,
    )
    audit.record(
        "auth.token_issued",
        token,
        actor=user,
        role=assignment.role if assignment else ("enterprise_agent" if enterprise else "citizen"),
        department=assignment.unit_code if assignment else (enterprise.uscc if enterprise else ""),
        data={"enterprise": enterprise.uscc if enterprise else None},
    )
    return raw, token


def resolve_token(raw: str) -> Actor:
    """The actor behind a bearer token, or NotAuthenticated with a precise code."""
    if not raw or not raw.startswith(TOKEN_PREFIX):
        raise NotAuthenticated(_("令牌格式无效。"), code="token_invalid")
    try:
        token = ApiToken.objects.select_related("user").get(key_hash=_token_hash(raw))
    except ApiToken.DoesNotExist:
        raise NotAuthenticated(_("令牌无效。"), code="token_invalid") from None
    now = timezone.now()
    if token.revoked_at is not None:
        raise NotAuthenticated(_("令牌已注销，请重新登录。"), code="token_revoked")
    if token.expires_at <= now:
        raise NotAuthenticated(_("令牌已过期，请重新登录。"), code="token_expired")
    if not token.user.is_active:
        raise NotAuthenticated(_("账号已停用。"), code="account_disabled")
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    if token.enterprise_id and not selectors.may_act_for(token.user, token.enterprise):
        raise NotAuthenticated(_("企业授权已终止或过期，请重新登录。"), code="enterprise_authorisation_ended")
    if token.role_assignment_id:
        actor = staff_actor(token.user, token.role_assignment_id, channel="api", otp_verified=True)
    else:
        actor = Actor(user=token.user, enterprise=token.enterprise, channel="api")
    actor.token_id = token.pk
    return actor


@transaction.atomic
def revoke_token(actor: Actor, raw: str) -> None:
    token = ApiToken.objects.filter(key_hash=_token_hash(raw), user=actor.user, revoked_at__isnull=True).first()
    if token is None:
        raise NotAuthenticated(_("令牌无效。"), code="token_invalid")
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit.record("auth.token_revoked", token)


def _too_many_from_here(scope: str, rates: str) -> None:
    """Per client address: the same answer for every number asked about, so it tells nothing."""
    from yiwang.core.ratelimit import allow, client_key

    if not allow(scope, client_key(), rates):
        raise RateLimited(_("请求过于频繁，请稍后再试。"), code="rate_limited")


def _sms_budget_left(phone: str) -> bool:
    """Counts one SMS code to ``phone`` (login or registration); False once its quota is used."""
    from yiwang.core.ratelimit import allow, phone_key

    return allow("sms-phone", phone_key(phone), settings.SMS_RATE_PER_PHONE)


def request_sms_code(id_number: str) -> None:
    """Send a 6-digit login code to the citizen's registered phone. Says nothing about whether the
    number is registered (the caller always gets the same answer)."""
    from yiwang.notifications.services import notify

    verdict = validate_resident_id(id_number)
    if not verdict.valid:
        raise ValidationFailed(verdict.message, code="invalid_id_number", fields={"id_number": [verdict.message]})
    _too_many_from_here("sms-code-ip", settings.SMS_CODE_RATE_PER_IP)
    # One request a minute per number, registered or not: limiting only registered numbers would
    # tell a caller who is registered (a second request would answer 429 only for them).
    from django.core.cache import cache

    from yiwang.core.crypto import blind_index

    if not cache.add(f"yiwang:sms-code:{blind_index(verdict.number, 'sms-code')}", 1, timeout=60):
        raise Conflict(_("验证码已发送，请 60 秒后再试。"), code="sms_code_too_frequent", status=429)
    user = User.objects.find_by_id_number(verdict.number)
    if user is None or not user.phone or not user.is_active:
        return
    # The phone's quota is only known for registered numbers, so running out of it is silent:
    # a 429 here would again single out who is registered.
    if not _sms_budget_left(user.phone):
        return
    now = timezone.now()
    code = f"{secrets.randbelow(10**6):06d}"
    with transaction.atomic():
        SmsLoginCode.objects.create(
            user=user, code_hash=hash_code(code), expires_at=now + settings.SMS_LOGIN_CODE_TTL
        )
        notify(user, "login_code", {"code": code, "minutes": int(settings.SMS_LOGIN_CODE_TTL.total_seconds() // 60)},
               channels=["sms"], sensitive=True)
        audit.record("auth.sms_code_sent", user, actor=user, role="citizen")


# -- registration ------------------------------------------------------------------------------
#: Wrong codes a pending registration survives; then it must be started again.
REGISTRATION_MAX_ATTEMPTS = 5


def _clean_registration(id_number: str, name: str, phone: str, password: str) -> tuple[str, str, str]:
    verdict = validate_resident_id(id_number)
    fields: dict[str, list[str]] = {}
    if not verdict.valid:
        fields["id_number"] = [str(verdict.message)]
    name = (name or "").strip()
    if not (2 <= len(name) <= 30):
        fields["name"] = [_("请填写证件上的姓名。")]
    phone = (phone or "").strip()
    if not (len(phone) == 11 and phone.isdigit() and phone.startswith("1")):
        fields["phone"] = [_("请填写 11 位手机号码。")]
    try:
        validate_password(password, User(name=name))
    except ValidationError as exc:
        fields["password"] = [str(m) for m in exc.messages]
    if fields:
        raise ValidationFailed(_("请更正以下问题。"), fields=fields)
    return verdict.number, name, phone


def start_registration(*, id_number: str, name: str, phone: str, password: str) -> PendingRegistration:
    """Step one of registering: check the details and send an SMS code to ``phone``.

    The answer is the same whether or not the ID number is registered already (a registration
    form that says "already registered" tells anyone who is). For a new number the SMS carries
    the code; for a registered one it says so and how to sign in, only to whoever holds that
    phone, and the account holder finds a notice in their messages. Limited per client address
    and per phone, both the same for every number.
    """
    from django.contrib.auth.hashers import make_password

    from yiwang.notifications.services import notify

    number, name, phone = _clean_registration(id_number, name, phone, password)
    _too_many_from_here("register-ip", settings.REGISTER_RATE_PER_IP)
    if not _sms_budget_left(phone):
        raise RateLimited(_("发往该手机号码的验证码过多，请 1 小时后再试。"), code="phone_rate_limited",
                          fields={"phone": [_("发往该手机号码的验证码过多，请 1 小时后再试。")]})
    existing = User.objects.find_by_id_number(number)
    # Expired registrations go (they hold a password hash and encrypted personal data).
    PendingRegistration.objects.filter(expires_at__lt=timezone.now()).delete()
    code = f"{secrets.randbelow(10**6):06d}"
    minutes = int(settings.REGISTRATION_CODE_TTL.total_seconds() // 60)
    with transaction.atomic():
        pending = PendingRegistration.objects.create(
            id_number=number, name=name, phone=phone, password=make_password(password),
            code_hash="" if existing else hash_code(code), already_registered=existing is not None,
            expires_at=timezone.now() + settings.REGISTRATION_CODE_TTL,
        )
        if existing is None:
            notify(None, "register_code", {"code": code, "minutes": minutes}, channels=["sms"], to=phone,
                   sensitive=True)
        else:
            notify(None, "register_existing", {}, channels=["sms"], to=phone)
            notify(existing, "register_attempt", {}, channels=["site"])
        audit.record("account.registration_started", pending, role="citizen",
                     data={"already_registered": existing is not None})
    return pending


def confirm_registration(pending_id: int | None, code: str) -> User:
    """Step two: the SMS code confirms the phone and creates the account. A wrong code counts
    against the registration (committed even though an error is raised)."""
    now = timezone.now()
    pending = selectors.open_registration(pending_id)
    if pending is None or pending.expires_at <= now or pending.attempts >= REGISTRATION_MAX_ATTEMPTS:
        raise ValidationFailed(_("验证码已失效，请重新填写注册信息。"), code="registration_expired")
    code = (code or "").strip()
    if not pending.code_hash or not hmac.compare_digest(pending.code_hash, hash_code(code)):
        PendingRegistration.objects.filter(pk=pending.pk).update(attempts=F("attempts") + 1)
        message = _("短信验证码错误。")
        raise ValidationFailed(message, code="invalid_sms_code", fields={"sms_code": [message]})
    with transaction.atomic():
        # Single use even when two requests race with the same code: only one update wins.
        if PendingRegistration.objects.filter(pk=pending.pk, completed_at__isnull=True).update(completed_at=now) != 1:
            raise ValidationFailed(_("验证码已失效，请重新填写注册信息。"), code="registration_expired")
        if User.objects.find_by_id_number(pending.id_number):  # registered in the meantime
            raise Conflict(_("该身份证号码已注册，请直接登录。"), code="already_registered")
        user = User(username="c" + secrets.token_hex(8), kind=User.Kind.CITIZEN, name=pending.name,
                    id_number=pending.id_number, phone=pending.phone, password=pending.password)
        try:
            with transaction.atomic():
                user.save()
        except IntegrityError:
            raise Conflict(_("该身份证号码已注册，请直接登录。"), code="already_registered") from None
        audit.record("account.registered", user, actor=user, role="citizen")
        pending.delete()
    return user


def end_session(request, *, channel: str) -> None:
    """Sign a browser session out (web page or the API's session channel), audited."""
    from django.contrib.auth import logout

    if request.user.is_authenticated:
        audit.record("auth.logout", request.user, data={"channel": channel})
    logout(request)


PII_FIELDS = {"id_number": "masked_id_number", "phone": "masked_phone"}


def reveal_personal_data(actor: Actor, subject: User, field: str, *, purpose: str = "") -> str:
    """Return one personal-data field in full, after checking the actor may see it; the reveal is
    written to the audit trail (committed) before the value is returned.

    Not wrapped in one transaction on purpose: a refusal is audited too, and raising the error
    inside the same atomic block would roll the ``pii.reveal_denied`` event back.
    """
    if field not in PII_FIELDS:
        raise ValidationFailed(_("不支持的字段。"), code="unknown_field", fields={"field": [_("不支持的字段。")]})
    who = {"actor": actor.user, "role": actor.role, "department": actor.unit_code} if actor.is_authenticated else {}
    if not selectors.can_reveal(actor, subject):
        audit.record("pii.reveal_denied", subject, data={"field": field}, **who)
        raise PermissionDeniedError(_("您的角色无权查看完整的个人信息。"), code="reveal_forbidden")
    audit.record("pii.reveal", subject, data={"field": field, "purpose": purpose[:200]}, **who)
    return getattr(subject, field)


@transaction.atomic
def set_active_role(actor: Actor, assignment_id: int) -> RoleAssignment:
    assignment = RoleAssignment.objects.filter(pk=assignment_id, user=actor.user).first()
    if assignment is None:
        raise PermissionDeniedError(_("您没有该角色。"), code="role_not_held")
    audit.record("auth.role_switched", assignment, data={"role": assignment.role})
    return assignment
