"""Pluggable payment providers (``CASE_PAYMENT_PROVIDERS``: name → dotted class path).

* ``counter`` — cash or POS at the counter: a clerk records it with the POS slip / receipt number.
* ``sandbox`` — the demo online provider: the applicant pays; the provider's confirmation is an
  HMAC-signed reference (``sandbox_reference(case)``), which the platform verifies, as a real
  provider's signed callback would be.
A real provider (the provincial non-tax payment platform) implements ``may_record`` and
``confirm`` the same way.
"""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from yiwang.accounts.models import Role
from yiwang.core.errors import ValidationFailed

DEFAULT_PROVIDERS = {
    "counter": "yiwang.cases.payments.CounterProvider",
    "sandbox": "yiwang.cases.payments.SandboxProvider",
}


class CounterProvider:
    label = _("窗口现金/POS")

    def may_record(self, actor, case) -> bool:
        return actor.role == Role.CLERK

    def confirm(self, case, reference: str) -> str:
        reference = (reference or "").strip()
        if not reference:
            raise ValidationFailed(_("请填写收据号或 POS 交易参考号。"), code="payment_reference_required",
                                   fields={"reference": [_("必填。")]})
        return reference[:128]


def sandbox_reference(case) -> str:
    """What the sandbox provider returns after a successful payment (signed, so it can't be forged)."""
    msg = f"{case.number}:{case.fee_amount}".encode()
    sig = hmac.new(settings.SECRET_KEY.encode(), msg, hashlib.sha256).hexdigest()[:24]
    return f"SBX-{case.number}-{sig}"


class SandboxProvider:
    label = _("在线支付（演示沙箱）")

    def may_record(self, actor, case) -> bool:
        from .services import _is_applicant

        return _is_applicant(actor, case)

    def confirm(self, case, reference: str) -> str:
        if not hmac.compare_digest((reference or "").strip(), sandbox_reference(case)):
            raise ValidationFailed(_("支付凭证无效，未确认到账。"), code="payment_not_confirmed",
                                   fields={"reference": [_("支付凭证校验失败。")]})
        return reference


def provider_for(name: str):
    providers = {**DEFAULT_PROVIDERS, **getattr(settings, "CASE_PAYMENT_PROVIDERS", {})}
    if name not in providers:
        raise ValidationFailed(_("不支持的支付方式。"), code="payment_provider_unknown",
                               fields={"provider": [_("可选：%(v)s") % {"v": "、".join(providers)}]})
    return import_string(providers[name])()
