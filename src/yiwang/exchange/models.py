"""The data-sharing exchange (数据共享交换, 汇聚-分发): what departments publish, who may use it, the
copy the exchange serves from, and the log of every use.

* :class:`DataResource` — a resource in the catalog (数据资源目录): its fields, update frequency,
  legal basis and share class (国发〔2016〕51号: 无条件 / 有条件 / 不予共享).
* :class:`ShareRequest` → :class:`Grant` — a department asks for named fields for a stated purpose;
  the provider approves (a grant with fields, purpose and expiry) or refuses with a reason.
* :class:`DataRecord` — the exchange's copy of one subject's record (汇聚): pushed by the provider
  in full or incremental batches, values encrypted at rest, found by the subject's blind index.
* :class:`ExchangeClient` — a department's system calling the gateway with signed requests.
* :class:`QueryLog` — one row per gateway query or pipeline fetch, refused ones included.

Statuses move through explicit, idempotent transition methods; an illegal move raises
:class:`~yiwang.core.errors.Conflict` with the code ``illegal_transition``.
"""

from __future__ import annotations

import json

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yiwang.core.crypto import EncryptedTextField
from yiwang.core.errors import Conflict


def _illegal(what, current, target) -> Conflict:
    from django.utils.translation import gettext

    return Conflict(
        gettext("%(obj)s当前为“%(current)s”，不能变更为“%(target)s”。")
        % {"obj": what, "current": current, "target": target},
        code="illegal_transition",
    )


class ShareClass(models.TextChoices):
    UNCONDITIONAL = "unconditional", _("无条件共享")
    CONDITIONAL = "conditional", _("有条件共享")
    NOT_SHARED = "not_shared", _("不予共享")


class SubjectKind(models.TextChoices):
    RESIDENT_ID = "resident_id", _("自然人（居民身份证号码）")
    USCC = "uscc", _("法人和其他组织（统一社会信用代码）")


class UpdateFrequency(models.TextChoices):
    REALTIME = "realtime", _("实时")
    DAILY = "daily", _("每日")
    WEEKLY = "weekly", _("每周")
    MONTHLY = "monthly", _("每月")
    QUARTERLY = "quarterly", _("每季度")
    YEARLY = "yearly", _("每年")
    ON_CHANGE = "on_change", _("变更时")


class ResourceStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    PUBLISHED = "published", _("已发布")
    RETIRED = "retired", _("已停用")


class DataResource(models.Model):
    """One entry of the government data-resource catalog (政务信息资源目录)."""

    code = models.CharField(_("资源代码"), max_length=32, unique=True)
    name = models.CharField(_("资源名称"), max_length=128)
    provider = models.ForeignKey("core.Department", on_delete=models.PROTECT, related_name="data_resources",
                                 verbose_name=_("提供部门"))
    description = models.TextField(_("资源摘要"), blank=True)
    subject_kind = models.CharField(_("主体类型"), max_length=12, choices=SubjectKind.choices,
                                    default=SubjectKind.RESIDENT_ID)
    #: [{"key": "name", "name": "姓名"}, ...] — the items (信息项) a grant may name.
    fields = models.JSONField(_("信息项"), default=list)
    update_frequency = models.CharField(_("更新周期"), max_length=12, choices=UpdateFrequency.choices,
                                        default=UpdateFrequency.DAILY)
    legal_basis = models.TextField(_("共享依据"))
    share_class = models.CharField(_("共享类型"), max_length=16, choices=ShareClass.choices,
                                   default=ShareClass.CONDITIONAL)
    share_conditions = models.TextField(_("共享条件"), blank=True,
                                        help_text=_("有条件共享：使用要求；不予共享：法律、行政法规或党中央、国务院政策依据"))
    #: Licence types whose data this resource holds (e.g. 婚姻登记信息 → 结婚证 "JHZ"): when the licence
    #: library cannot supply the licence, a case may take the record instead (证照信息核验).
    licence_types = models.JSONField(_("对应电子证照类型"), default=list, blank=True)
    status = models.CharField(_("状态"), max_length=12, choices=ResourceStatus.choices, default=ResourceStatus.DRAFT)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("更新时间"), default=timezone.now)
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    retired_at = models.DateTimeField(_("停用时间"), null=True, blank=True)
    last_full_push_at = models.DateTimeField(_("最近全量汇聚"), null=True, blank=True)
    last_push_at = models.DateTimeField(_("最近汇聚"), null=True, blank=True)

    class Meta:
        verbose_name = _("数据资源")
        verbose_name_plural = _("数据资源")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"

    @property
    def field_keys(self) -> list[str]:
        return [f["key"] for f in self.fields]

    @property
    def field_names(self) -> dict[str, str]:
        return {f["key"]: f.get("name", f["key"]) for f in self.fields}

    def _move(self, target: str, allowed: tuple[str, ...]) -> bool:
        if self.status == target:
            return False
        if self.status not in allowed:
            raise _illegal(_("该数据资源"), self.get_status_display(), ResourceStatus(target).label)
        self.status = target
        return True

    def publish(self) -> bool:
        changed = self._move(ResourceStatus.PUBLISHED, (ResourceStatus.DRAFT, ResourceStatus.RETIRED))
        if changed:
            self.published_at = timezone.now()
            self.retired_at = None
        return changed

    def retire(self) -> bool:
        changed = self._move(ResourceStatus.RETIRED, (ResourceStatus.PUBLISHED,))
        if changed:
            self.retired_at = timezone.now()
        return changed


class RequestStatus(models.TextChoices):
    PENDING = "pending", _("待审核")
    APPROVED = "approved", _("已同意")
    REFUSED = "refused", _("已拒绝")
    WITHDRAWN = "withdrawn", _("已撤回")


class ShareRequest(models.Model):
    """A department's request to use a resource (共享申请)."""

    resource = models.ForeignKey(DataResource, on_delete=models.PROTECT, related_name="requests",
                                 verbose_name=_("数据资源"))
    requester = models.ForeignKey("core.Department", on_delete=models.PROTECT, related_name="share_requests",
                                  verbose_name=_("申请部门"))
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                     related_name="+")
    purpose = models.TextField(_("用途"))
    #: Service items (实施编码) or processes that need the data.
    items = models.JSONField(_("用于事项或业务"), default=list, blank=True)
    fields = models.JSONField(_("申请信息项"), default=list)
    requested_until = models.DateField(_("申请使用期限"))
    status = models.CharField(_("状态"), max_length=12, choices=RequestStatus.choices, default=RequestStatus.PENDING,
                              db_index=True)
    created_at = models.DateTimeField(_("申请时间"), default=timezone.now)
    due_at = models.DateTimeField(_("答复期限"), null=True, blank=True,
                                  help_text=_("有条件共享：申请后 10 个工作日内答复"))
    decided_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    reason = models.TextField(_("答复意见（拒绝理由）"), blank=True)
    overdue_flagged_at = models.DateTimeField(_("逾期提醒时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("共享申请")
        verbose_name_plural = _("共享申请")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "due_at"])]

    def __str__(self) -> str:
        return f"{self.requester} → {self.resource}"

    def _move(self, target: str) -> bool:
        if self.status == target:
            return False
        if self.status != RequestStatus.PENDING:
            raise _illegal(_("该共享申请"), self.get_status_display(), RequestStatus(target).label)
        self.status = target
        return True

    def approve(self) -> bool:
        return self._move(RequestStatus.APPROVED)

    def refuse(self) -> bool:
        return self._move(RequestStatus.REFUSED)

    def withdraw(self) -> bool:
        return self._move(RequestStatus.WITHDRAWN)

    @property
    def is_overdue(self) -> bool:
        return self.status == RequestStatus.PENDING and self.due_at is not None and self.due_at < timezone.now()


class GrantStatus(models.TextChoices):
    ACTIVE = "active", _("有效")
    REVOKED = "revoked", _("已撤销")


class Grant(models.Model):
    """Permission for one department to use named fields of a resource, for a purpose, until a date."""

    resource = models.ForeignKey(DataResource, on_delete=models.PROTECT, related_name="grants",
                                 verbose_name=_("数据资源"))
    grantee = models.ForeignKey("core.Department", on_delete=models.PROTECT, related_name="data_grants",
                                verbose_name=_("使用部门"))
    request = models.OneToOneField(ShareRequest, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="grant")
    fields = models.JSONField(_("授权信息项"), default=list)
    purpose = models.TextField(_("用途"))
    items = models.JSONField(_("限用事项"), default=list, blank=True,
                             help_text=_("空表示不限事项（仍须说明用途）"))
    expires_at = models.DateTimeField(_("有效期至"))
    status = models.CharField(_("状态"), max_length=10, choices=GrantStatus.choices, default=GrantStatus.ACTIVE)
    created_at = models.DateTimeField(_("授权时间"), default=timezone.now)
    granted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    revoke_reason = models.TextField(_("撤销理由"), blank=True)

    class Meta:
        verbose_name = _("共享授权")
        verbose_name_plural = _("共享授权")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["resource", "grantee", "status"])]

    def __str__(self) -> str:
        return f"{self.grantee} ← {self.resource}"

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()

    @property
    def is_usable(self) -> bool:
        return self.status == GrantStatus.ACTIVE and not self.is_expired

    @property
    def state_label(self) -> str:
        if self.status == GrantStatus.REVOKED:
            return str(_("已撤销"))
        return str(_("已过期")) if self.is_expired else str(_("有效"))

    def revoke(self) -> bool:
        if self.status == GrantStatus.REVOKED:
            return False
        self.status = GrantStatus.REVOKED
        self.revoked_at = timezone.now()
        return True


class DataRecord(models.Model):
    """The exchange's copy of one subject's record in one resource. ``payload`` is a JSON object,
    encrypted at rest; the subject is found only by its blind index."""

    resource = models.ForeignKey(DataResource, on_delete=models.CASCADE, related_name="records")
    subject_bidx = models.CharField(max_length=40)
    payload = EncryptedTextField(_("信息项取值（JSON）"))
    version = models.PositiveIntegerField(default=1)
    source_updated_at = models.DateTimeField(_("源系统更新时间"), null=True, blank=True)
    received_at = models.DateTimeField(_("汇聚时间"), default=timezone.now)
    batch = models.ForeignKey("PushBatch", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = _("共享数据记录")
        verbose_name_plural = _("共享数据记录")
        constraints = [models.UniqueConstraint(fields=["resource", "subject_bidx"], name="exchange_record_unique")]

    def data(self) -> dict:
        return json.loads(self.payload or "{}")


class PushBatch(models.Model):
    """One push of records by the provider: full (the whole set; absent subjects are removed) or
    incremental (upserts and deletions)."""

    class Mode(models.TextChoices):
        FULL = "full", _("全量")
        INCREMENTAL = "incremental", _("增量")

    resource = models.ForeignKey(DataResource, on_delete=models.CASCADE, related_name="batches")
    mode = models.CharField(max_length=12, choices=Mode.choices)
    client = models.ForeignKey("ExchangeClient", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    received_at = models.DateTimeField(default=timezone.now)
    upserted = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    deleted = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("汇聚批次")
        verbose_name_plural = _("汇聚批次")
        ordering = ["-received_at", "-id"]


class ExchangeClient(models.Model):
    """A department's system that calls the gateway. Requests are signed with HMAC-SHA256 over
    method, path, timestamp, nonce and body hash (see :mod:`yiwang.exchange.signing`); the secret is
    kept encrypted (the exchange needs it to check signatures)."""

    key_id = models.CharField(_("客户端标识"), max_length=64, unique=True)
    name = models.CharField(_("系统名称"), max_length=128)
    department = models.ForeignKey("core.Department", on_delete=models.PROTECT, related_name="exchange_clients",
                                   verbose_name=_("所属部门"))
    secret = EncryptedTextField(_("签名密钥"))
    rate_per_minute = models.PositiveIntegerField(_("每分钟请求上限"), default=600)
    is_active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("接入系统")
        verbose_name_plural = _("接入系统")

    def __str__(self) -> str:
        return f"{self.name}（{self.key_id}）"


class Nonce(models.Model):
    """A nonce seen within the timestamp window: a second request with it is a replay."""

    client = models.ForeignKey(ExchangeClient, on_delete=models.CASCADE, related_name="+")
    nonce = models.CharField(max_length=64)
    seen_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["client", "nonce"], name="exchange_nonce_unique")]


class QueryLog(models.Model):
    """Every use of shared data: a gateway query (answered or refused) or a fetch by the case
    pipeline. Subjects appear only as blind indexes; no value is ever logged."""

    class Channel(models.TextChoices):
        GATEWAY = "gateway", _("共享接口")
        PIPELINE = "pipeline", _("办件自动调取")

    class Kind(models.TextChoices):
        DATA = "data", _("共享数据")
        LICENCE = "licence", _("电子证照")

    at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)
    channel = models.CharField(_("渠道"), max_length=10, choices=Channel.choices)
    kind = models.CharField(_("类别"), max_length=8, choices=Kind.choices, default=Kind.DATA)
    client = models.ForeignKey(ExchangeClient, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    client_key = models.CharField(_("客户端标识"), max_length=64, blank=True)
    department = models.ForeignKey("core.Department", on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("使用部门"))
    resource = models.ForeignKey(DataResource, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    resource_code = models.CharField(_("资源或证照类型"), max_length=64, blank=True)
    resource_name = models.CharField(_("资源名称"), max_length=128, blank=True)
    grant = models.ForeignKey(Grant, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    subject_kind = models.CharField(max_length=12, blank=True)
    subject_bidx = models.CharField(max_length=40, blank=True, db_index=True)
    purpose = models.CharField(_("用途"), max_length=500, blank=True)
    case_number = models.CharField(_("办件编号"), max_length=32, blank=True)
    fields_requested = models.JSONField(default=list, blank=True)
    fields_returned = models.JSONField(default=list, blank=True)
    result_size = models.PositiveIntegerField(_("返回信息项数"), default=0)
    result_bytes = models.PositiveIntegerField(default=0)
    outcome = models.CharField(_("结果"), max_length=40, default="ok", help_text=_("ok 或拒绝原因代码"))
    http_status = models.PositiveSmallIntegerField(default=200)
    ip = models.CharField(max_length=64, blank=True)
    request_id = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("数据使用记录")
        verbose_name_plural = _("数据使用记录")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["department", "-at"]), models.Index(fields=["resource", "-at"])]

    @property
    def ok(self) -> bool:
        return self.outcome == "ok"
