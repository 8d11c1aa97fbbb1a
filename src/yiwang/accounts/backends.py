"""One authentication backend for every kind of login (一号).

``authenticate(request, username=<login>, password=..., otp=..., agent=..., sms_code=...)`` where
the login is a resident ID number (citizen), a USCC (enterprise, with the legal representative's
or an authorised agent's identity and password) or a staff username (with a TOTP code). The kind
is decided by the login's shape. Failures return ``None`` so django-axes counts them.
"""

from __future__ import annotations

import hashlib
import hmac

from django.contrib.auth.backends import BaseBackend
from django.db.models import F
from django.utils import timezone

from yiwang.core.identity import classify

from .models import Enterprise, EnterpriseMember, SmsLoginCode, User


def hash_code(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def login_kind(login: str) -> str:
    """"resident_id", "uscc" or "staff" by the shape of the login."""
    login = (login or "").strip()
    if len(login) == 18 and any(ch.isdigit() for ch in login[:6]):
        verdict = classify(login)
        if verdict.kind in ("resident_id", "uscc"):
            return verdict.kind
    return "staff"


class IdentityBackend(BaseBackend):
    def authenticate(self, request, username=None, password=None, otp=None, agent=None, sms_code=None, **kwargs):
        user = self._authenticate(username, password, otp, agent, sms_code)
        if user is not None and request is not None:
            from .lockout import AUTHENTICATED_USERNAME

            setattr(request, AUTHENTICATED_USERNAME, user.get_username())  # lets axes reset the right count
        return user

    def _authenticate(self, username, password, otp, agent, sms_code):
        if not username:
            return None
        kind = login_kind(username)
        if kind in ("resident_id", "uscc"):
            username = classify(username).number  # spaces and full-width input normalised
        if kind == "resident_id":
            user = User.objects.find_by_id_number(username)
            if user is None or user.kind != User.Kind.CITIZEN or not user.is_active:
                User().set_password(password or "x")  # same work as a real check: no timing oracle
                return None
            if sms_code:
                return user if self._check_sms(user, sms_code) else None
            return user if password and user.check_password(password) else None
        if kind == "uscc":
            return self._enterprise(username, password, agent)
        return self._staff(username, password, otp)

    # -- enterprise ------------------------------------------------------------------------------
    def _enterprise(self, uscc, password, agent):
        enterprise = Enterprise.objects.filter(uscc=uscc.strip().upper(), is_active=True).first()
        if enterprise is None or not password:
            return None
        members = EnterpriseMember.objects.filter(enterprise=enterprise).select_related("user")
        if agent:
            person = User.objects.find_by_id_number(classify(agent).number)
            member = members.filter(user=person).first() if person else None
        else:
            legal = [m for m in members if m.kind == EnterpriseMember.Kind.LEGAL_REP]
            member = legal[0] if len(legal) == 1 else None
        if member is None or not member.is_current() or not member.user.is_active:
            return None
        if member.user.kind != User.Kind.CITIZEN:
            # A staff account acts for enterprises only as a person: this login has no second
            # factor, and a staff user's token would otherwise carry their staff role.
            return None
        if not member.user.check_password(password):
            return None
        user = member.user
        user._acting_enterprise = enterprise
        return user

    # -- staff -----------------------------------------------------------------------------------
    def _staff(self, username, password, otp):
        from django_otp.plugins.otp_totp.models import TOTPDevice

        user = User.objects.filter(username=username.strip(), kind=User.Kind.STAFF, is_active=True).first()
        if user is None or not password or not user.check_password(password):
            return None
        if not otp:
            return None
        device = (
            TOTPDevice.objects.filter(user=user, confirmed=True).first()
        )
        if device is None or not device.verify_token(str(otp).strip()):
            return None
        user._otp_device = device
        return user

    # -- SMS code --------------------------------------------------------------------------------
    def _check_sms(self, user, code) -> bool:
        now = timezone.now()
        entry = (
            SmsLoginCode.objects.filter(user=user, used_at__isnull=True, expires_at__gt=now)
            .order_by("-created_at")
            .first()
        )
        if entry is None or entry.attempts >= 5:
            return False
        if not hmac.compare_digest(entry.code_hash, hash_code(str(code).strip())):
            SmsLoginCode.objects.filter(pk=entry.pk).update(attempts=F("attempts") + 1)  # atomic under concurrency
            return False
        # Single use even when two requests race with the same code: only one update wins.
        return SmsLoginCode.objects.filter(pk=entry.pk, used_at__isnull=True, attempts__lt=5).update(used_at=now) == 1

    def get_user(self, user_id):
        user = User.objects.filter(pk=user_id).first()
        return user if user and user.is_active else None
