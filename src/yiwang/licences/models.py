"""Electronic licences (电子证照): types and the licence library. Metadata after GB/T 36903."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yiwang.core.crypto import EncryptedTextField
from yiwang.core.errors import Conflict


class LicenceType(models.Model):
    class HolderKind(models.TextChoices):
        PERSON = "person", _("自然人")
        ORGANISATION = "organisation", _("法人和其他组织")

    code = models.CharField(_("证照类型代码"), max_length=32, unique=True)
    name = models.CharField(_("证照名称"), max_length=100)
    holder_kind = models.CharField(_("持证主体"), max_length=12, choices=HolderKind.choices)
    issuer = models.ForeignKey("core.Department", on_delete=models.PROTECT, related_name="licence_types",
                               verbose_name=_("颁发部门"))
    validity_years = models.PositiveSmallIntegerField(_("有效期（年）"), null=True, blank=True,
                                                      help_text=_("留空表示长期有效"))
    fields = models.JSONField(_("证面信息项"), default=list, blank=True, help_text=_("[{key, label}]"))

    class Meta:
        verbose_name = _("证照类型")
        verbose_name_plural = _("证照类型")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Licence(models.Model):
    class Status(models.TextChoices):
        VALID = "valid", _("有效")
        REVOKED = "revoked", _("已注销")

    identifier = models.CharField(_("证照标识"), max_length=120, unique=True)
    type = models.ForeignKey(LicenceType, on_delete=models.PROTECT, related_name="licences")
    number = models.CharField(_("证照编号"), max_length=64)
    version = models.PositiveSmallIntegerField(_("版本号"), default=1)
    holder_user = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="licences")
    holder_enterprise = models.ForeignKey("accounts.Enterprise", on_delete=models.PROTECT, null=True, blank=True,
                                          related_name="licences")
    holder_name = models.CharField(_("持证主体名称"), max_length=128)
    holder_code = EncryptedTextField(_("持证主体代码"))
    holder_code_bidx = models.CharField(max_length=40, db_index=True)
    holder_code_type = models.CharField(_("持证主体代码类型"), max_length=16)  # resident_id | uscc
    issuer = models.ForeignKey("core.Department", on_delete=models.PROTECT, related_name="licences",
                               verbose_name=_("颁发机构"))
    issuer_code = models.CharField(_("颁发机构代码"), max_length=18)
    issued_at = models.DateTimeField(_("颁证时间"), default=timezone.now)
    valid_from = models.DateField(_("有效期起始"))
    valid_until = models.DateField(_("有效期截止"), null=True, blank=True)
    status = models.CharField(_("状态"), max_length=8, choices=Status.choices, default=Status.VALID, db_index=True)
    revoked_at = models.DateTimeField(_("注销时间"), null=True, blank=True)
    revoke_reason = models.CharField(_("注销原因"), max_length=300, blank=True)
    data = EncryptedTextField(_("证面信息（JSON）"), default="{}")
    pdf = models.FileField(upload_to="licences/%Y/", blank=True)
    pdf_sha256 = models.CharField(max_length=64, blank=True)
    case = models.ForeignKey("cases.Case", on_delete=models.SET_NULL, null=True, blank=True, related_name="licences")

    class Meta:
        verbose_name = _("电子证照")
        verbose_name_plural = _("电子证照")
        indexes = [models.Index(fields=["holder_code_bidx", "type"])]

    def __str__(self) -> str:
        return f"{self.type.name} {self.number}"

    def state(self, today=None) -> str:
        """valid | revoked | expired"""
        if self.status == self.Status.REVOKED:
            return "revoked"
        today = today or timezone.localdate()
        if self.valid_until is not None and self.valid_until < today:
            return "expired"
        return "valid"

    def revoke(self, reason: str) -> None:
        if self.status == self.Status.REVOKED:
            raise Conflict(_("该证照已注销。"), code="illegal_transition")
        self.status = self.Status.REVOKED
        self.revoked_at = timezone.now()
        self.revoke_reason = reason[:300]
