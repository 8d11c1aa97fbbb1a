from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yiwang.core.crypto import EncryptedTextField


class Channel(models.TextChoices):
    SMS = "sms", _("短信")
    EMAIL = "email", _("电子邮件")
    SITE = "site", _("站内消息")


class Template(models.Model):
    """A message template per event and channel, in Django template syntax. Admin-editable."""

    code = models.CharField(_("模板编码"), max_length=64)
    channel = models.CharField(_("渠道"), max_length=8, choices=Channel.choices)
    language = models.CharField(_("语言"), max_length=8, default="zh-hans")
    subject = models.CharField(_("标题"), max_length=200, blank=True)
    body = models.TextField(_("正文"))

    class Meta:
        verbose_name = _("消息模板")
        verbose_name_plural = _("消息模板")
        unique_together = [("code", "channel", "language")]

    def __str__(self) -> str:
        return f"{self.code} / {self.get_channel_display()}"


class Notification(models.Model):
    """One message to one person on one channel. Never deleted: a failure is retried with backoff
    and, after the last attempt, stays ``failed`` for an operator to resend."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("待发送")
        SENT = "sent", _("已发送")
        RETRYING = "retrying", _("重试中")
        FAILED = "failed", _("发送失败")

    recipient = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="notifications"
    )
    channel = models.CharField(_("渠道"), max_length=8, choices=Channel.choices)
    to_address = EncryptedTextField(_("接收地址"), blank=True, default="")
    template = models.CharField(_("模板"), max_length=64)
    subject = models.CharField(_("标题"), max_length=200, blank=True)
    body = EncryptedTextField(_("正文"))
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True)
    attempts = models.PositiveSmallIntegerField(_("已尝试次数"), default=0)
    last_error = models.TextField(_("最近错误"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now, db_index=True)
    next_attempt_at = models.DateTimeField(_("下次尝试"), null=True, blank=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    read_at = models.DateTimeField(_("阅读时间"), null=True, blank=True)
    provider_ref = models.CharField(_("通道回执"), max_length=128, blank=True)
    sensitive = models.BooleanField(_("含验证码等敏感内容"), default=False)

    class Meta:
        verbose_name = _("消息")
        verbose_name_plural = _("消息")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["recipient", "channel", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} {self.template} → {self.recipient_id}"
