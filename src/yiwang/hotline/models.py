"""12345 work orders (工单): one record per call, report or message, whatever the channel, moving
through explicit states from intake to the caller's callback (受理 → 派单 → 办理 → 答复 → 回访).

Every move is a method on :class:`WorkOrder` that raises :class:`IllegalTransition` (HTTP 409,
stable code ``illegal_transition``) when the order is not in a state the move starts from. Services
call these methods inside a transaction that locks the row, then write the history event, the audit
event and the notifications.

The category tree, the time-limit rules and the knowledge base are data an admin or a department
edits without a release.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yiwang.core.crypto import EncryptedTextField
from yiwang.core.errors import Conflict


class IllegalTransition(Conflict):
    code = "illegal_transition"


class Kind(models.TextChoices):
    CONSULT = "consult", _("咨询")
    HELP = "help", _("求助")
    COMPLAINT = "complaint", _("投诉")
    REPORT = "report", _("举报")
    SUGGESTION = "suggestion", _("建议")


class Channel(models.TextChoices):
    PHONE = "phone", _("12345 电话")
    WEB = "web", _("网站")
    MOBILE = "mobile", _("移动端")
    API = "api", _("小程序/接口")
    GRID = "grid", _("网格员上报")
    OPEN311 = "open311", _("Open311 接口")
    RATING = "rating", _("差评转办")


class Urgency(models.TextChoices):
    NORMAL = "normal", _("一般")
    URGENT = "urgent", _("紧急")


class CallbackPreference(models.TextChoices):
    PHONE = "phone", _("电话回访")
    SMS = "sms", _("短信告知")
    NONE = "none", _("无需回访")


class Status(models.TextChoices):
    NEW = "new", _("待派单")
    ANSWERED = "answered", _("直接答复")
    DISPATCHED = "dispatched", _("待签收")
    RETURNED = "returned", _("退单待审核")
    IN_PROGRESS = "in_progress", _("办理中")
    REPLIED = "replied", _("待回访")
    ESCALATED = "escalated", _("升级督办")
    CLOSED = "closed", _("已办结")
    MERGED = "merged", _("已合并")
    VOID = "void", _("无效工单")


OPEN_STATUSES = {Status.NEW, Status.DISPATCHED, Status.RETURNED, Status.IN_PROGRESS, Status.REPLIED,
                 Status.ESCALATED}
FINAL_STATUSES = {Status.ANSWERED, Status.CLOSED, Status.VOID}
#: States in which a department holds the order (the time limits run).
DEPARTMENT_STATUSES = {Status.DISPATCHED, Status.IN_PROGRESS}


class Category(models.Model):
    """The configurable category tree (e.g. 城市管理 › 占道经营). Leaves are what orders are filed
    under and what Open311 calls services; each has the department that usually leads."""

    code = models.CharField(_("分类编码"), max_length=32, unique=True)
    name = models.CharField(_("分类名称"), max_length=64)
    parent = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="children",
                               verbose_name=_("上级分类"))
    department = models.ForeignKey("core.Department", on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name=_("默认承办部门"))
    description = models.CharField(_("说明"), max_length=200, blank=True)
    keywords = models.CharField(_("关键词"), max_length=200, blank=True, help_text=_("逗号分隔"))
    open311 = models.BooleanField(_("通过 Open311 公开"), default=True)
    is_active = models.BooleanField(_("启用"), default=True)
    sort = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("工单分类")
        verbose_name_plural = _("工单分类")
        ordering = ["sort", "code"]

    def __str__(self) -> str:
        return self.path

    @property
    def path(self) -> str:
        names, node, seen = [], self, set()
        while node is not None and node.pk not in seen:
            seen.add(node.pk)
            names.append(node.name)
            node = node.parent
        return " › ".join(reversed(names))

    def ancestors(self) -> list["Category"]:
        out, node, seen = [], self.parent, {self.pk}
        while node is not None and node.pk not in seen:
            seen.add(node.pk)
            out.append(node)
            node = node.parent
        return out


class TimeLimitRule(models.Model):
    """Time limits, per category (a rule on a parent covers its children) and urgency. The most
    specific rule wins: the order's category before its ancestors before "any category", and at
    each level a rule for the order's urgency before one for any urgency."""

    category = models.ForeignKey(Category, on_delete=models.CASCADE, null=True, blank=True,
                                 related_name="time_limits", verbose_name=_("分类（空 = 全部）"))
    urgency = models.CharField(_("紧急程度（空 = 全部）"), max_length=8, choices=Urgency.choices, blank=True)
    accept_minutes = models.PositiveIntegerField(_("签收时限（分钟）"), null=True, blank=True,
                                                 help_text=_("填写则按自然时间计算，优先于签收工作日"))
    accept_working_days = models.PositiveSmallIntegerField(_("签收时限（工作日）"), default=1)
    reply_working_days = models.PositiveSmallIntegerField(_("答复时限（工作日）"), default=5)
    return_working_days = models.PositiveSmallIntegerField(_("退单时限（工作日）"), default=2)
    max_extension_days = models.PositiveSmallIntegerField(_("最长延期（工作日）"), default=10)
    note = models.CharField(_("依据/说明"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("办理时限规则")
        verbose_name_plural = _("办理时限规则")
        constraints = [models.UniqueConstraint(fields=["category", "urgency"], name="time_limit_rule_unique")]

    def clean(self):
        from django.core.exceptions import ValidationError

        clash = TimeLimitRule.objects.filter(category_id=self.category_id, urgency=self.urgency).exclude(pk=self.pk)
        if clash.exists():  # the unique constraint does not see two NULL categories as equal
            raise ValidationError(_("该分类和紧急程度已有一条时限规则。"))

    def __str__(self) -> str:
        cat = self.category.name if self.category_id else _("全部分类")
        urg = self.get_urgency_display() if self.urgency else _("全部紧急程度")
        return f"{cat} / {urg}"


class OrderNumberCounter(models.Model):
    day = models.DateField(unique=True)
    last = models.PositiveIntegerField(default=0)


class WorkOrder(models.Model):
    number = models.CharField(_("工单编号"), max_length=20, unique=True)
    kind = models.CharField(_("诉求类型"), max_length=12, choices=Kind.choices)
    channel = models.CharField(_("来源渠道"), max_length=8, choices=Channel.choices)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, null=True, blank=True, related_name="orders",
                                 verbose_name=_("分类"))
    urgency = models.CharField(_("紧急程度"), max_length=8, choices=Urgency.choices, default=Urgency.NORMAL)
    title = models.CharField(_("标题"), max_length=120)
    text = models.TextField(_("诉求内容"))
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.NEW, db_index=True)

    # location
    address = models.CharField(_("地址"), max_length=200, blank=True)
    lat = models.FloatField(_("纬度"), null=True, blank=True)
    lng = models.FloatField(_("经度"), null=True, blank=True)
    grid = models.ForeignKey("grid.Grid", on_delete=models.SET_NULL, null=True, blank=True, related_name="orders",
                             verbose_name=_("网格"))
    community = models.ForeignKey("core.Division", on_delete=models.SET_NULL, null=True, blank=True,
                                  related_name="+", verbose_name=_("社区"))
    street = models.ForeignKey("core.Division", on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="+", verbose_name=_("街道"))

    # the caller (empty for an anonymous report: the identity is in SealedReporter)
    is_anonymous = models.BooleanField(_("匿名举报"), default=False)
    caller_name = models.CharField(_("来电人"), max_length=64, blank=True)
    caller_phone = EncryptedTextField(_("联系电话"), blank=True, default="")
    caller_phone_bidx = models.CharField(max_length=40, blank=True, default="", db_index=True, editable=False)
    caller_user = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="work_orders", verbose_name=_("提交人账号"))
    callback_preference = models.CharField(_("回访方式"), max_length=8, choices=CallbackPreference.choices,
                                           default=CallbackPreference.PHONE)
    reporter = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="+", verbose_name=_("登记人（话务员/网格员）"))
    external_id = models.CharField(_("外部系统编号"), max_length=64, blank=True)
    open311_token = models.CharField(max_length=40, blank=True, default="", db_index=True)
    open311_client = models.ForeignKey("Open311Client", on_delete=models.SET_NULL, null=True, blank=True,
                                       related_name="orders")
    media_url = models.URLField(_("媒体链接"), max_length=500, blank=True)

    # dispatch
    lead_department = models.ForeignKey("core.Department", on_delete=models.PROTECT, null=True, blank=True,
                                        related_name="lead_work_orders", verbose_name=_("主办部门"))
    assisting_departments = models.ManyToManyField("core.Department", through="Assist", related_name="+",
                                                   blank=True, verbose_name=_("协办部门"))
    suggested_department = models.CharField(_("推荐部门"), max_length=32, blank=True)
    suggested_category = models.CharField(_("推荐分类"), max_length=32, blank=True)
    dispatch_count = models.PositiveSmallIntegerField(_("派单次数"), default=0)

    # clocks
    created_at = models.DateTimeField(_("登记时间"), default=timezone.now, db_index=True)
    dispatched_at = models.DateTimeField(_("派单时间"), null=True, blank=True)
    accept_due_at = models.DateTimeField(_("签收期限"), null=True, blank=True, db_index=True)
    return_due_at = models.DateTimeField(_("退单期限"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("签收时间"), null=True, blank=True)
    reply_due_at = models.DateTimeField(_("答复期限"), null=True, blank=True, db_index=True)
    replied_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True, db_index=True)
    updated_at = models.DateTimeField(_("更新时间"), default=timezone.now)
    extension_days = models.PositiveSmallIntegerField(_("已批准延期（工作日）"), default=0)

    # outcome
    answer_text = models.TextField(_("直接答复内容"), blank=True)
    answered_from = models.ForeignKey("KnowledgeArticle", on_delete=models.SET_NULL, null=True, blank=True,
                                      related_name="answered_orders", verbose_name=_("引用知识"))
    reply_text = models.TextField(_("办理答复"), blank=True)
    reply_resolved = models.BooleanField(_("问题已解决"), null=True, blank=True)
    return_reason = models.TextField(_("退单理由"), blank=True)
    satisfaction = models.CharField(_("回访结果"), max_length=16, blank=True)
    reopen_count = models.PositiveSmallIntegerField(_("重办次数"), default=0)
    escalation_level = models.PositiveSmallIntegerField(_("督办等级"), default=0)
    merged_into = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="duplicates", verbose_name=_("合并至"))
    self_resolved = models.BooleanField(_("网格员现场处置"), default=False)
    lock_version = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("工单")
        verbose_name_plural = _("工单")
        indexes = [
            models.Index(fields=["lead_department", "status"]),
            models.Index(fields=["status", "reply_due_at"]),
            models.Index(fields=["category", "created_at"]),
            models.Index(fields=["grid", "created_at"]),
            models.Index(fields=["caller_user", "-created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    # -- transitions ---------------------------------------------------------------------------
    def _move(self, target: str, allowed_from: set[str], action: str) -> str:
        if self.status not in allowed_from:
            raise IllegalTransition(
                _("工单当前状态为“%(status)s”，不能执行“%(action)s”。")
                % {"status": self.get_status_display(), "action": ACTION_LABELS.get(action, action)},
                fields={"action": [action], "status": [self.status]},
            )
        previous = self.status
        self.status = target
        self.lock_version += 1
        self.updated_at = timezone.now()
        return previous

    def answer(self):
        return self._move(Status.ANSWERED, {Status.NEW}, "answer")

    def dispatch(self):
        return self._move(Status.DISPATCHED, {Status.NEW, Status.RETURNED, Status.ESCALATED}, "dispatch")

    def void(self):
        return self._move(Status.VOID, {Status.NEW}, "void")

    def accept(self):
        return self._move(Status.IN_PROGRESS, {Status.DISPATCHED}, "accept")

    def give_back(self):  # 退单
        return self._move(Status.RETURNED, {Status.DISPATCHED, Status.IN_PROGRESS}, "return")

    def reject_return(self):
        return self._move(Status.DISPATCHED, {Status.RETURNED}, "reject_return")

    def reply(self):
        return self._move(Status.REPLIED, {Status.IN_PROGRESS}, "reply")

    def close(self):
        return self._move(Status.CLOSED, {Status.REPLIED, Status.ESCALATED}, "close")

    def reopen(self):
        return self._move(Status.IN_PROGRESS, {Status.REPLIED}, "reopen")

    def escalate(self):
        return self._move(Status.ESCALATED, {Status.REPLIED}, "escalate")

    def merge(self):
        return self._move(Status.MERGED, {Status.NEW, Status.DISPATCHED, Status.IN_PROGRESS}, "merge")

    def close_merged(self):
        return self._move(Status.CLOSED, {Status.MERGED}, "close")

    def resolve_on_site(self):
        return self._move(Status.CLOSED, {Status.NEW}, "resolve_on_site")

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def open311_status(self) -> str:
        return "open" if self.status in OPEN_STATUSES else "closed"


ACTION_LABELS = {
    "create": _("登记"),
    "answer": _("直接答复"),
    "dispatch": _("派单"),
    "redispatch": _("改派"),
    "void": _("作废"),
    "accept": _("签收"),
    "return": _("退单"),
    "approve_return": _("同意退单"),
    "reject_return": _("驳回退单"),
    "reply": _("答复"),
    "assist_reply": _("协办意见"),
    "request_extension": _("申请延期"),
    "approve_extension": _("批准延期"),
    "reject_extension": _("驳回延期"),
    "supervise": _("督办"),
    "callback": _("回访"),
    "reopen": _("重办"),
    "escalate": _("升级督办"),
    "close": _("办结"),
    "merge": _("合并"),
    "attach": _("上传附件"),
    "resolve_on_site": _("现场处置办结"),
    "reveal_reporter": _("查看举报人身份"),
    "reveal_phone": _("查看来电号码"),
}


class Assist(models.Model):
    """An assisting department (协办单位): it adds its opinion; the lead department replies."""

    order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="assists")
    department = models.ForeignKey("core.Department", on_delete=models.PROTECT, related_name="assisted_orders")
    opinion = models.TextField(_("协办意见"), blank=True)
    replied_at = models.DateTimeField(null=True, blank=True)
    replied_by = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = _("协办部门")
        verbose_name_plural = _("协办部门")
        constraints = [models.UniqueConstraint(fields=["order", "department"], name="assist_unique")]


class SealedReporter(models.Model):
    """Who filed an anonymous report (匿名举报). Kept apart from the order and never shown to any
    department; only the 12345 centre may open it, on an audited reveal, to call the reporter back."""

    order = models.OneToOneField(WorkOrder, on_delete=models.CASCADE, related_name="sealed_reporter")
    name = EncryptedTextField(_("姓名"), blank=True, default="")
    phone = EncryptedTextField(_("电话"), blank=True, default="")
    phone_bidx = models.CharField(max_length=40, blank=True, default="", db_index=True, editable=False)
    user = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                             db_constraint=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("匿名举报人（密封）")
        verbose_name_plural = _("匿名举报人（密封）")


class Event(models.Model):
    """One step of the order's history (全程留痕)."""

    order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    action = models.CharField(max_length=32)
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12, blank=True)
    actor = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    actor_label = models.CharField(max_length=128, blank=True)
    role = models.CharField(max_length=32, blank=True)
    department = models.ForeignKey("core.Department", on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    note = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("工单记录")
        verbose_name_plural = _("工单记录")


class Attachment(models.Model):
    class Kind(models.TextChoices):
        PHOTO = "photo", _("现场照片")
        FIX = "fix", _("整改后照片")
        DOCUMENT = "document", _("材料")

    order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="attachments")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.PHOTO)
    file = models.FileField(upload_to="hotline/%Y/%m/")
    name = models.CharField(max_length=200, blank=True)
    content_type = models.CharField(max_length=64)
    size = models.PositiveIntegerField(default=0)
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("工单附件")
        verbose_name_plural = _("工单附件")


class Extension(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", _("待审批")
        APPROVED = "approved", _("已批准")
        REJECTED = "rejected", _("已驳回")

    order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="extensions")
    days = models.PositiveSmallIntegerField(_("延期（工作日）"))
    reason = models.TextField(_("理由"))
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    requested_by = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True, related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)

    class Meta:
        verbose_name = _("延期申请")
        verbose_name_plural = _("延期申请")
        constraints = [models.UniqueConstraint(fields=["order"], condition=Q(state__in=["pending", "approved"]),
                                               name="one_live_extension_per_order")]


class Supervision(models.Model):
    """督办: by a supervisor, or by the sweep when an order is overdue (level 1 to the department
    head, level 2 to the supervisors, level 3 reported to the district's leaders)."""

    order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="supervisions")
    level = models.PositiveSmallIntegerField(_("督办等级"), default=1)
    reason = models.CharField(_("督办事由"), max_length=32)  # accept_overdue | reply_overdue | manual | unsatisfied
    note = models.TextField(_("督办意见"), blank=True)
    department = models.ForeignKey("core.Department", on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    created_by = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("督办")
        verbose_name_plural = _("督办")
        ordering = ["created_at"]


class Callback(models.Model):
    class Result(models.TextChoices):
        SATISFIED = "satisfied", _("满意")
        BASIC = "basic", _("基本满意")
        UNSATISFIED = "unsatisfied", _("不满意")
        UNREACHABLE = "unreachable", _("无法联系")

    order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="callbacks")
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    result = models.CharField(max_length=12, choices=Result.choices)
    resolved = models.BooleanField(_("问题是否解决"), null=True, blank=True)
    note = models.TextField(blank=True)
    by_caller = models.BooleanField(_("由诉求人在线评价"), default=False)

    class Meta:
        verbose_name = _("回访")
        verbose_name_plural = _("回访")
        ordering = ["at"]


class KnowledgeArticle(models.Model):
    """An answer in the knowledge base (知识库), maintained by the department that owns it."""

    department = models.ForeignKey("core.Department", on_delete=models.PROTECT, related_name="knowledge",
                                   verbose_name=_("维护部门"))
    category = models.ForeignKey(Category, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                 verbose_name=_("分类"))
    title = models.CharField(_("问题"), max_length=120)
    answer = models.TextField(_("答复口径"))
    keywords = models.CharField(_("关键词"), max_length=200, blank=True)
    is_published = models.BooleanField(_("已发布"), default=True)
    valid_until = models.DateField(_("有效期至"), null=True, blank=True)
    use_count = models.PositiveIntegerField(_("引用次数"), default=0)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = _("知识库条目")
        verbose_name_plural = _("知识库条目")
        ordering = ["-updated_at"]

    def __str__(self) -> str:
        return self.title


class DispatchFeedback(models.Model):
    """What the dispatch classifier learns from: every dispatch, with what was suggested and what
    the operator chose (a correction when they differ)."""

    order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="+", null=True, blank=True)
    text = models.TextField()
    category_code = models.CharField(max_length=32)
    department_code = models.CharField(max_length=32)
    suggested_category = models.CharField(max_length=32, blank=True)
    suggested_department = models.CharField(max_length=32, blank=True)
    corrected = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)


class Open311Client(models.Model):
    """A system allowed to POST service requests through Open311 (api_key; only its hash is kept)."""

    name = models.CharField(_("名称"), max_length=100)
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)
    is_active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("Open311 接入方")
        verbose_name_plural = _("Open311 接入方")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
