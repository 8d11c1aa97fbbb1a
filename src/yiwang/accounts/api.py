"""Identity and authentication endpoints (thin: the work is in services and selectors)."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.signals import user_logged_in
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from ninja.throttling import AnonRateThrottle

from yiwang.core.apiauth import actor_auth
from yiwang.core.errors import DomainError, NotAuthenticated, NotFound
from yiwang.core.identity import classify

from . import selectors, services
from .lockout import lockout_message
from .models import User

auth_router = Router(tags=["auth"], auth=actor_auth)
identity_router = Router(tags=["identity"])
router = Router(tags=["people"], auth=actor_auth)


class TokenIn(Schema):
    login: str
    password: str | None = None
    otp: str | None = None
    agent: str | None = None
    sms_code: str | None = None


class TokenOut(Schema):
    token: str
    expires_at: datetime
    role: str
    name: str
    enterprise: str | None = None


class ErrorOut(Schema):
    code: str
    message: str
    fields: dict


@auth_router.post(
    "/token",
    response={200: TokenOut, 401: ErrorOut, 422: ErrorOut, 429: ErrorOut},
    auth=None,
    throttle=[AnonRateThrottle(settings.API_LOGIN_RATE)],
    summary="登录并取得令牌",
)
def create_token(request, payload: TokenIn):
    """`login` is a resident ID number (with `password` or `sms_code`), a USCC (with the
    legal representative's or the agent's `password`, and the agent's ID number as `agent` when
    the enterprise has several) or a staff username (with `password` and the TOTP `otp`)."""
    user = authenticate(
        request,
        username=payload.login.strip(),
        password=payload.password,
        otp=payload.otp,
        agent=payload.agent,
        sms_code=payload.sms_code,
    )
    if getattr(request, "axes_locked_out", False):
        raise DomainError(lockout_message(), code="locked_out", status=429)
    if user is None:
        if request.path and not payload.password and not payload.sms_code:
            raise NotAuthenticated(_("请输入密码或短信验证码。"), code="credentials_missing")
        raise NotAuthenticated(_("账号、密码或验证码错误。"), code="invalid_credentials")
    # A successful login: resets the lock-out count (django-axes) and sets last_login, as on the web.
    user_logged_in.send(sender=user.__class__, request=request, user=user)
    enterprise = getattr(user, "_acting_enterprise", None)
    raw, token = services.issue_token(user, enterprise=enterprise)
    role = token.role_assignment.role if token.role_assignment_id else ("enterprise_agent" if enterprise else "citizen")
    return {"token": raw, "expires_at": token.expires_at, "role": role, "name": user.display_name,
            "enterprise": enterprise.name if enterprise else None}


class SmsCodeIn(Schema):
    id_number: str


@auth_router.post("/sms-code", response={202: dict, 422: ErrorOut, 429: ErrorOut}, auth=None,
                  throttle=[AnonRateThrottle("10/m")], summary="发送短信登录验证码")
def sms_code(request, payload: SmsCodeIn):
    services.request_sms_code(payload.id_number)
    return Status(202, {"message": _("如该号码已注册并绑定手机，验证码已发送。")})


@auth_router.post("/logout", response={204: None, 401: ErrorOut, 403: ErrorOut}, summary="退出登录")
def logout(request):
    """With a bearer token: revokes that token (other tokens and sessions stay). With the browser
    session (and its CSRF token in `X-CSRFToken`): ends the session."""
    header = request.headers.get("Authorization", "")
    if header:
        services.revoke_token(request.auth, header.partition(" ")[2].strip())
    else:
        services.end_session(request, channel="api")
    return Status(204, None)


class ValidateIn(Schema):
    number: str


class ValidateOut(Schema):
    valid: bool
    kind: str | None
    error: str | None
    message: str


@identity_router.post("/validate", response=ValidateOut, auth=None, summary="校验身份证号码或统一社会信用代码")
def validate_number(request, payload: ValidateIn):
    return classify(payload.number[:64]).as_dict()


class RoleOut(Schema):
    id: int
    role: str
    role_name: str
    unit_code: str
    unit_name: str


class MeOut(Schema):
    username: str
    name: str
    kind: str
    role: str
    masked_id_number: str
    masked_phone: str
    enterprise: dict | None
    roles: list[RoleOut]


def _role_out(a) -> dict:
    return {"id": a.pk, "role": a.role, "role_name": str(a.get_role_display()), "unit_code": a.unit_code,
            "unit_name": str(a.unit)}


@router.get("/me", response={200: MeOut, 401: ErrorOut}, summary="当前用户")
def me(request):
    actor = request.auth
    user = actor.user
    return {
        "username": user.username,
        "name": user.display_name,
        "kind": user.kind,
        "role": actor.role,
        "masked_id_number": user.masked_id_number,
        "masked_phone": user.masked_phone,
        "enterprise": {"uscc": actor.enterprise.uscc, "name": actor.enterprise.name} if actor.enterprise else None,
        "roles": [_role_out(a) for a in actor.assignments],
    }


class PersonOut(Schema):
    username: str
    name: str
    masked_id_number: str
    masked_phone: str


@router.get("/people/lookup", response={200: PersonOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut,
                                         422: ErrorOut}, summary="按身份证号查找市民（脱敏）")
def lookup_person(request, id_number: str):
    from yiwang.core.identity import validate_resident_id

    verdict = validate_resident_id(id_number)
    if not verdict.valid:
        from yiwang.core.errors import ValidationFailed

        raise ValidationFailed(verdict.message, code="invalid_id_number", fields={"id_number": [verdict.message]})
    person = selectors.find_citizen(request.auth, verdict.number)
    if person is None:
        raise NotFound(_("未找到该市民。"))
    return {"username": person.username, "name": person.display_name, "masked_id_number": person.masked_id_number,
            "masked_phone": person.masked_phone}


class RevealIn(Schema):
    field: str
    purpose: str = ""


@router.post("/people/{username}/reveal", response={200: dict, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut,
                                                     422: ErrorOut}, summary="查看完整个人信息（留痕）")
def reveal(request, username: str, payload: RevealIn):
    subject = User.objects.filter(username=username).first()
    if subject is None:
        raise NotFound(_("未找到该用户。"))
    value = services.reveal_personal_data(request.auth, subject, payload.field, purpose=payload.purpose)
    return {"field": payload.field, "value": value}


class StaffOut(Schema):
    username: str
    name: str
    role: str
    role_name: str
    unit_code: str
    unit_name: str


@router.get("/org/staff", response={200: list[StaffOut], 401: ErrorOut, 403: ErrorOut}, summary="工作人员（按部门范围）")
def staff(request):
    return [
        {"username": a.user.username, "name": a.user.display_name, **{k: v for k, v in _role_out(a).items() if k != "id"}}
        for a in selectors.staff_visible_to(request.auth)[:1000]
    ]
