"""Cases (办件): one record per application, whatever the channel, moving through explicit states.

Every move is a method on :class:`Case` that raises :class:`IllegalTransition` (HTTP 409, stable
code ``illegal_transition``) when the case is not in a state the move starts from. Services call
these methods inside a transaction that locks the row, then write the timeline event, the audit
event and the notifications.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yiwang.core.errors import Conflict


class IllegalTransition(Conflict):
    code = "illegal_transition"


class Status(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("待受理")
    CORRECTION = "correction", _("待补正")
    IN_REVIEW = "in_review", _("办理中")
    SUSPENDED = "suspended", _("特别程序中")
    AWAITING_PAYMENT = "awaiting_payment", _("待缴费")
    APPROVED = "approved", _("办结（准予）")
    REJECTED = "rejected", _("办结（不予许可）")
    REFUSED = "refused", _("不予受理")
    WITHDRAWN = "withdrawn", _("已撤回")
    DELIVERED = "delivered", _("已出件")


OPEN_STATUSES = {Status.SUBMITTED, Status.CORRECTION, Status.IN_REVIEW, Status.SUSPENDED, Status.AWAITING_PAYMENT}
CONCLUDED_STATUSES = {Status.APPROVED, Status.REJECTED, Status.REFUSED, Status.WITHDRAWN, Status.DELIVERED}


class Channel(models.TextChoices):
    WEB = "web", _("网上办事大厅")
    COUNTER = "counter", _("综合窗口")
    API = "api", _("移动端/小程序")
    KIOSK = "kiosk", _("自助终端")


class SuspensionKind(models.TextChoices):
    HEARING = "hearing", _("听证")
    EXPERT_REVIEW = "expert_review", _("专家评审")
    PUBLIC_NOTICE = "public_notice", _("公示")
    ON_SITE_INSPECTION = "on_site_inspection", _("现场勘验")
    TESTING = "testing", _("检验检测")


class DeliveryMethod(models.TextChoices):
    PICKUP = "pickup", _("窗口领取")
    POST = "post", _("邮寄送达")
    DOWNLOAD = "download", _("网上下载")


class ProcessModel(models.Model):
    """A BPMN 2.0 model, versioned: uploading a model with an existing key adds a version; cases
    keep the version they started with."""

    key = models.SlugField(_("流程标识"), max_length=64)
    version = models.PositiveIntegerField(_("版本"))
    name = models.CharField(_("名称"), max_length=200)
    process_id = models.CharField(max_length=128)
    bpmn_xml = models.TextField(_("BPMN 2.0 XML"))
    lane_roles = models.JSONField(default=dict)
    task_names = models.JSONField(default=dict)
    is_active = models.BooleanField(_("当前版本"), default=True)
    uploaded_by = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("流程模型")
        verbose_name_plural = _("流程模型")
        constraints = [models.UniqueConstraint(fields=["key", "version"], name="process_model_version_unique")]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"


class ProcessBinding(models.Model):
    """Which process an item runs (process as data). Items without a binding run the template for
    their case type: 即办件 → immediate, 承诺件 → promised. ``departments`` lists the department codes
    that review in parallel (并联审批) besides the implementing department."""

    item_code = models.CharField(_("事项实施编码"), max_length=64, unique=True)
    process_key = models.SlugField(_("流程标识"), max_length=64)
    departments = models.JSONField(_("并联审查部门编码"), default=list, blank=True)

    class Meta:
        verbose_name = _("事项流程配置")
        verbose_name_plural = _("事项流程配置")

    def __str__(self) -> str:
        return f"{self.item_code} → {self.process_key}"


class CaseNumberCounter(models.Model):
    """Daily sequence per division for case numbers (locked while a number is drawn)."""

    division = models.CharField(max_length=6)
    day = models.DateField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["division", "day"], name="case_counter_unique")]


class Case(models.Model):
    number = models.CharField(_("办件编号"), max_length=24, unique=True, null=True, blank=True)
    parent = models.ForeignKey("self", on_delete=models.CASCADE, null=True, blank=True, related_name="children",
                               verbose_name=_("一件事主件"))
    bundle_code = models.CharField(_("一件事编码"), max_length=64, blank=True)
    item_version = models.ForeignKey("catalog.ItemVersion", on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="cases", verbose_name=_("事项版本"))
    item_code = models.CharField(_("事项实施编码"), max_length=64, blank=True, db_index=True)
    title = models.CharField(_("办件名称"), max_length=200)
    department = models.ForeignKey("core.Department", on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="cases", verbose_name=_("承办部门"))
    applicant = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="cases",
                                  verbose_name=_("申请人"))
    enterprise = models.ForeignKey("accounts.Enterprise", on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="cases", verbose_name=_("申请单位"))
    applicant_name = models.CharField(_("申请人名称"), max_length=128)
    channel = models.CharField(_("申请渠道"), max_length=8, choices=Channel.choices, default=Channel.WEB)
    place = models.ForeignKey("core.ServicePlace", on_delete=models.SET_NULL, null=True, blank=True,
                              verbose_name=_("受理场所"))
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.DRAFT, db_index=True)
    form_data = models.JSONField(_("申请表"), default=dict, blank=True)
    consent_data_sharing = models.BooleanField(_("同意调取共享数据"), default=False)

    process_model = models.ForeignKey(ProcessModel, on_delete=models.PROTECT, null=True, blank=True)
    process_state = models.TextField(blank=True)
    review_departments = models.JSONField(default=list, blank=True)

    case_type = models.CharField(_("办件类型"), max_length=1, default="2")
    promised_days = models.PositiveSmallIntegerField(_("承诺时限（工作日）"), default=0)
    statutory_days = models.PositiveSmallIntegerField(_("法定时限（工作日）"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("受理时间"), null=True, blank=True, db_index=True)
    due_at = models.DateTimeField(_("承诺办结期限"), null=True, blank=True, db_index=True)
    statutory_due_at = models.DateTimeField(_("法定办结期限"), null=True, blank=True)
    clock_stopped_at = models.DateTimeField(_("计时暂停时间"), null=True, blank=True)
    stopped_days = models.PositiveSmallIntegerField(_("暂停工作日累计"), default=0)
    sla_light = models.CharField(_("时限灯"), max_length=8, default="green", db_index=True)
    suspension_kind = models.CharField(_("特别程序"), max_length=24, choices=SuspensionKind.choices, blank=True)
    correction_items = models.JSONField(_("补正材料清单"), default=list, blank=True)
    concluded_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    decision_reason = models.TextField(_("决定理由/法律依据"), blank=True)
    result_name = models.CharField(_("审批结果"), max_length=200, blank=True)
    delivery_method = models.CharField(_("送达方式"), max_length=12, choices=DeliveryMethod.choices, blank=True)
    delivery_address = models.CharField(_("邮寄地址"), max_length=200, blank=True)
    tracking_number = models.CharField(_("邮件单号"), max_length=64, blank=True)
    delivered_at = models.DateTimeField(_("出件时间"), null=True, blank=True)
    fee_amount = models.DecimalField(_("应缴金额（元）"), max_digits=10, decimal_places=2, default=0)
    paid_at = models.DateTimeField(_("缴费时间"), null=True, blank=True)
    lock_version = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("办件")
        verbose_name_plural = _("办件")
        indexes = [
            models.Index(fields=["applicant", "-created_at"]),
            models.Index(fields=["department", "status"]),
            models.Index(fields=["status", "due_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.number or '草稿'} {self.title}"

    # -- transitions ---------------------------------------------------------------------------
    def _move(self, target: str, allowed_from: set[str], action: str) -> None:
        if self.status not in allowed_from:
            raise IllegalTransition(
                _("办件当前状态为“%(status)s”，不能执行“%(action)s”。")
                % {"status": self.get_status_display(), "action": ACTION_LABELS.get(action, action)},
                fields={"action": [action], "status": [self.status]},
            )
        self.status = target
        self.lock_version += 1

    def submit(self):
        self._move(Status.SUBMITTED, {Status.DRAFT}, "submit")

    def accept(self):
        self._move(Status.IN_REVIEW, {Status.SUBMITTED}, "accept")

    def refuse(self):
        self._move(Status.REFUSED, {Status.SUBMITTED}, "refuse")

    def request_correction(self):
        self._move(Status.CORRECTION, {Status.SUBMITTED, Status.IN_REVIEW}, "request_correction")

    def resubmit(self):
        target = Status.IN_REVIEW if self.accepted_at else Status.SUBMITTED
        self._move(target, {Status.CORRECTION}, "resubmit")

    def suspend(self):
        self._move(Status.SUSPENDED, {Status.IN_REVIEW}, "suspend")

    def resume(self):
        self._move(Status.IN_REVIEW, {Status.SUSPENDED}, "resume")

    def require_review_state(self, action: str):
        if self.status != Status.IN_REVIEW:
            self._move(self.status, {Status.IN_REVIEW}, action)

    def approve(self, *, payment_due: bool):
        self._move(Status.AWAITING_PAYMENT if payment_due else Status.APPROVED, {Status.IN_REVIEW}, "approve")

    def mark_paid(self):
        self._move(Status.APPROVED, {Status.AWAITING_PAYMENT}, "pay")

    def reject(self):
        self._move(Status.REJECTED, {Status.IN_REVIEW}, "reject")

    def withdraw(self):
        self._move(Status.WITHDRAWN, {Status.DRAFT, Status.SUBMITTED, Status.CORRECTION, Status.IN_REVIEW,
                                      Status.SUSPENDED}, "withdraw")

    def deliver(self):
        self._move(Status.DELIVERED, {Status.APPROVED, Status.REJECTED}, "deliver")

    @property
    def clock_running(self) -> bool:
        return self.accepted_at is not None and self.clock_stopped_at is None and self.status == Status.IN_REVIEW

    @property
    def is_bundle(self) -> bool:
        return bool(self.bundle_code) and self.parent_id is None


ACTION_LABELS = {
    "submit": _("提交"),
    "accept": _("受理"),
    "refuse": _("不予受理"),
    "request_correction": _("一次性告知补正"),
    "resubmit": _("补正后重新提交"),
    "suspend": _("启动特别程序"),
    "resume": _("恢复办理"),
    "review": _("审查意见"),
    "approve": _("准予许可"),
    "reject": _("不予许可"),
    "pay": _("缴费"),
    "withdraw": _("撤回申请"),
    "transfer": _("移交部门"),
    "deliver": _("出件"),
    "claim": _("认领"),
    "release": _("退回任务池"),
    "reassign": _("改派"),
}


class CaseEvent(models.Model):
    """One step of the case's timeline, shown to the applicant and the staff."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    action = models.CharField(max_length=32)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    actor = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    actor_label = models.CharField(max_length=128, blank=True)
    role = models.CharField(max_length=32, blank=True)
    department = models.ForeignKey("core.Department", on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    opinion = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("办件记录")
        verbose_name_plural = _("办件记录")


class TaskStatus(models.TextChoices):
    OPEN = "open", _("待认领")
    CLAIMED = "claimed", _("办理中")
    DONE = "done", _("已完成")
    CANCELLED = "cancelled", _("已取消")


class CaseTask(models.Model):
    """A human task of the case's process, in a department's inbox, for a role."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="tasks")
    engine_task_id = models.CharField(max_length=64)
    step = models.CharField(_("环节标识"), max_length=64)
    name = models.CharField(_("环节"), max_length=128)
    role = models.CharField(_("角色"), max_length=32)
    department = models.ForeignKey("core.Department", on_delete=models.PROTECT, related_name="case_tasks")
    status = models.CharField(max_length=10, choices=TaskStatus.choices, default=TaskStatus.OPEN, db_index=True)
    claimed_by = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    claimed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True, blank=True,
                                     related_name="+")
    opinion = models.TextField(blank=True)

    class Meta:
        verbose_name = _("办理任务")
        verbose_name_plural = _("办理任务")
        indexes = [models.Index(fields=["department", "status"])]
        constraints = [models.UniqueConstraint(fields=["case", "engine_task_id"], name="case_task_engine_unique")]


class CaseMaterial(models.Model):
    """A material attached to a case: uploaded by the applicant, scanned at the counter, or
    fetched from a licence / shared-data source."""

    class Source(models.TextChoices):
        APPLICANT = "applicant", _("申请人提交")
        COUNTER_SCAN = "counter_scan", _("窗口扫描")
        LICENCE = "licence", _("电子证照")
        SHARED_DATA = "shared_data", _("共享数据")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="materials", null=True, blank=True)
    upload_token = models.CharField(max_length=40, unique=True, null=True, blank=True)
    material_key = models.CharField(_("材料标识"), max_length=64)
    name = models.CharField(_("材料名称"), max_length=200)
    source = models.CharField(_("来源"), max_length=16, choices=Source.choices, default=Source.APPLICANT)
    file = models.FileField(upload_to="cases/%Y/%m/", blank=True)
    content_type = models.CharField(max_length=64, blank=True)
    size = models.PositiveIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    uploaded_by = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)
    superseded = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("办件材料")
        verbose_name_plural = _("办件材料")


class IdempotencyKey(models.Model):
    """A submission's Idempotency-Key: the same key from the same person returns the same case."""

    key = models.CharField(max_length=128)
    owner = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="+")
    fingerprint = models.CharField(max_length=64)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["owner", "key"], name="idempotency_owner_key_unique")]


class Payment(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("待支付")
        PAID = "paid", _("已支付")
        FAILED = "failed", _("支付失败")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="payments")
    provider = models.CharField(_("支付渠道"), max_length=32)
    amount = models.DecimalField(_("金额（元）"), max_digits=10, decimal_places=2)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    order_no = models.CharField(_("订单号"), max_length=64, unique=True)
    reference = models.CharField(_("支付流水号"), max_length=128, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("缴费")
        verbose_name_plural = _("缴费")
        constraints = [
            models.UniqueConstraint(fields=["case"], condition=Q(status="paid"), name="one_paid_payment_per_case"),
        ]


class QueueTicket(models.Model):
    """A queue number (取号) at a service place; called to a counter (叫号)."""

    class Status(models.TextChoices):
        WAITING = "waiting", _("等候中")
        CALLED = "called", _("已叫号")
        SERVING = "serving", _("办理中")
        DONE = "done", _("已完成")
        NO_SHOW = "no_show", _("过号")

    place = models.ForeignKey("core.ServicePlace", on_delete=models.CASCADE, related_name="tickets")
    day = models.DateField(default=timezone.localdate)
    number = models.CharField(_("号码"), max_length=8)
    seq = models.PositiveIntegerField()
    category = models.CharField(_("业务类别"), max_length=1, default="A")
    person_bidx = models.CharField(max_length=40, blank=True)
    person = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.WAITING, db_index=True)
    counter = models.ForeignKey("core.Counter", on_delete=models.SET_NULL, null=True, blank=True)
    taken_at = models.DateTimeField(default=timezone.now)
    called_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    case = models.ForeignKey(Case, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = _("排队号")
        verbose_name_plural = _("排队号")
        constraints = [models.UniqueConstraint(fields=["place", "day", "seq"], name="ticket_seq_unique")]
        ordering = ["day", "seq"]
