"""The service catalog: items (政务服务事项) and their implementation lists (实施清单) as versioned
guides, their materials, and life-event bundles (一件事).

Data elements follow GB/T 39554 (see DESIGN.md section 4). An item (:class:`ServiceItem`) is the
stable identity — its implementation code and owning department. Everything a guide says lives on an
:class:`ItemVersion`: a version is drafted, reviewed, published and finally retired, and once
published it never changes in place, so a case can always show the guide it was filed under.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yiwang.core.errors import Conflict


# --- code tables ------------------------------------------------------------------------------
class ItemType(models.TextChoices):
    LICENSING = "01", _("行政许可")
    PENALTY = "02", _("行政处罚")
    COERCION = "03", _("行政强制")
    LEVY = "04", _("行政征收")
    BENEFIT = "05", _("行政给付")
    INSPECTION = "06", _("行政检查")
    CONFIRMATION = "07", _("行政确认")
    REWARD = "08", _("行政奖励")
    ADJUDICATION = "09", _("行政裁决")
    OTHER_POWER = "10", _("其他行政权力")
    PUBLIC_SERVICE = "20", _("公共服务")


class CaseType(models.TextChoices):
    IMMEDIATE = "1", _("即办件")
    PROMISED = "2", _("承诺件")


class ServiceObject(models.TextChoices):
    PERSON = "1", _("自然人")
    ENTERPRISE = "2", _("企业法人")
    PUBLIC_INSTITUTION = "3", _("事业法人")
    SOCIAL_ORG = "4", _("社会组织法人")
    UNINCORPORATED = "5", _("非法人企业")
    GOVERNMENT = "6", _("行政机关")
    OTHER = "9", _("其他组织")


class OnlineDepth(models.IntegerChoices):
    INFO = 1, _("Ⅰ级（网上提供办事指南）")
    DOWNLOAD = 2, _("Ⅱ级（网上预约、表格下载）")
    PRE_REVIEW = 3, _("Ⅲ级（网上预审、网上受理）")
    FULL = 4, _("Ⅳ级（全程网办）")


class SubjectNature(models.TextChoices):
    STATUTORY = "1", _("法定机关")
    AUTHORISED = "2", _("法律法规授权组织")
    ENTRUSTED = "3", _("受委托组织")


class PowerSource(models.TextChoices):
    OWN = "1", _("法定本级行使")
    DELEGATED_DOWN = "2", _("上级下放")
    AUTHORISED_UP = "3", _("上级授权")
    AUTHORISED_PEER = "4", _("同级授权")
    ENTRUSTED_UP = "5", _("上级委托")
    ENTRUSTED_PEER = "6", _("同级委托")


class ResultType(models.TextChoices):
    LICENCE = "1", _("证照")
    APPROVAL = "2", _("批文")
    OTHER = "3", _("其他")


class Tier(models.TextChoices):
    DISTRICT = "district", _("区政务服务中心")
    STREET = "street", _("街道便民服务中心")
    COMMUNITY = "community", _("社区便民服务站")


class LifeEvent(models.TextChoices):
    """Life events and business stages for browsing (主题服务)."""

    BIRTH = "birth", _("出生")
    EDUCATION = "education", _("上学")
    EMPLOYMENT = "employment", _("就业")
    MARRIAGE = "marriage", _("婚育")
    HOUSING = "housing", _("住房")
    HOUSEHOLD = "household", _("户籍证件")
    TRAVEL = "travel", _("出入境")
    TRANSPORT = "transport", _("交通出行")
    MEDICAL = "medical", _("医疗")
    SOCIAL_SECURITY = "social_security", _("社会保险")
    ASSISTANCE = "assistance", _("社会救助")
    ELDERLY = "elderly", _("养老")
    DISABILITY = "disability", _("助残")
    RETIREMENT = "retirement", _("退休")
    STARTUP = "startup", _("开办企业")
    OPERATION = "operation", _("经营")
    CONSTRUCTION = "construction", _("工程建设")
    CLOSURE = "closure", _("注销")
    CERTIFICATES = "certificates", _("证明开具")


class MaterialRequirement(models.TextChoices):
    REQUIRED = "required", _("必要")
    CONDITIONAL = "conditional", _("容缺或按情形提供")


class MaterialForm(models.TextChoices):
    ORIGINAL = "original", _("原件")
    COPY = "copy", _("复印件")
    ORIGINAL_AND_COPY = "original_and_copy", _("原件和复印件")
    ELECTRONIC = "electronic", _("电子材料")


class MaterialSource(models.TextChoices):
    APPLICANT = "applicant", _("申请人自备")
    LICENCE = "licence", _("电子证照库调取")
    SHARED_DATA = "shared_data", _("部门共享数据获取")


class VersionStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    REVIEW = "review", _("待审核")
    PUBLISHED = "published", _("已发布")
    RETIRED = "retired", _("已停用")


class BundleStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    PUBLISHED = "published", _("已发布")
    RETIRED = "retired", _("已停用")


def _illegal(obj_label: str, current: str, target: str) -> Conflict:
    from django.utils.translation import gettext

    return Conflict(
        gettext("%(obj)s当前为“%(current)s”，不能变更为“%(target)s”。")
        % {"obj": obj_label, "current": current, "target": target},
        code="illegal_transition",
    )


# --- items ------------------------------------------------------------------------------------
class ServiceItem(models.Model):
    """One implementation-list entry (实施清单): stable code, owning department, current guide."""

    code = models.CharField(_("实施编码"), max_length=64, unique=True)
    basic_code = models.CharField(_("基本编码"), max_length=32, db_index=True)
    department = models.ForeignKey(
        "core.Department", on_delete=models.PROTECT, related_name="service_items", verbose_name=_("实施主体")
    )
    name = models.CharField(_("事项名称"), max_length=200, help_text=_("最新版本的名称"))
    current = models.OneToOneField(
        "ItemVersion", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("现行版本"),
    )
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    class Meta:
        verbose_name = _("政务服务事项")
        verbose_name_plural = _("政务服务事项")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"

    @property
    def is_published(self) -> bool:
        return self.current_id is not None


#: Columns that may still change on a published or retired version: only its retirement.
_FROZEN_WRITABLE = {"status", "retired_at", "retired_reason"}


class ItemVersion(models.Model):
    """The guide of an item as of one version. Immutable once published."""

    item = models.ForeignKey(ServiceItem, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("版本号"))
    status = models.CharField(_("状态"), max_length=12, choices=VersionStatus.choices, default=VersionStatus.DRAFT)
    change_note = models.CharField(_("修订说明"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    submitted_at = models.DateTimeField(_("提交审核时间"), null=True, blank=True)
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    retired_at = models.DateTimeField(_("停用时间"), null=True, blank=True)
    retired_reason = models.CharField(_("停用原因"), max_length=200, blank=True)
    review_note = models.CharField(_("审核意见"), max_length=500, blank=True)

    # -- what the guide says (GB/T 39554 data elements) --
    name = models.CharField(_("事项名称"), max_length=200)
    aliases = models.CharField(_("俗称与关键词"), max_length=500, blank=True,
                               help_text=_("群众常用的说法，用顿号分隔，用于搜索"))
    summary = models.TextField(_("一句话说明"), blank=True)
    item_type = models.CharField(_("事项类型"), max_length=2, choices=ItemType.choices)
    basic_code = models.CharField(_("基本编码"), max_length=32)
    subject_nature = models.CharField(_("实施主体性质"), max_length=1, choices=SubjectNature.choices,
                                      default=SubjectNature.STATUTORY)
    power_source = models.CharField(_("权力来源"), max_length=1, choices=PowerSource.choices, default=PowerSource.OWN)
    legal_basis = models.TextField(_("设定依据"))
    acceptance_conditions = models.TextField(_("受理条件"))
    service_objects = models.CharField(_("服务对象"), max_length=32, help_text=_("代码，逗号分隔"))
    statutory_limit_days = models.PositiveSmallIntegerField(_("法定办结时限（工作日）"), null=True, blank=True)
    promised_limit_days = models.PositiveSmallIntegerField(_("承诺办结时限（工作日）"))
    case_type = models.CharField(_("办件类型"), max_length=1, choices=CaseType.choices)
    visits = models.PositiveSmallIntegerField(_("到办事现场次数"))
    online_depth = models.PositiveSmallIntegerField(_("网办深度"), choices=OnlineDepth.choices)
    fee_required = models.BooleanField(_("是否收费"), default=False)
    fees = models.JSONField(_("收费项目"), default=list, blank=True, help_text=_("[{name, standard}]"))
    fee_basis = models.TextField(_("收费依据"), blank=True)
    process = models.JSONField(_("办理流程"), default=list, blank=True, help_text=_("[{step, description}]"))
    handling_place = models.TextField(_("办理地点"))
    handling_hours = models.CharField(_("办理时间"), max_length=300)
    consultation = models.CharField(_("咨询方式"), max_length=300)
    complaint = models.CharField(_("监督投诉方式"), max_length=300)
    special_procedures = models.JSONField(_("特别程序"), default=list, blank=True,
                                          help_text=_("[{name, limit, note}]"))
    result_type = models.CharField(_("审批结果类型"), max_length=1, choices=ResultType.choices)
    result_name = models.CharField(_("审批结果名称"), max_length=200)
    licence_type = models.CharField(_("电子证照类型代码"), max_length=32, blank=True)
    delivery = models.CharField(_("结果送达方式"), max_length=200, blank=True)
    tier_district = models.BooleanField(_("区级可办"), default=True)
    tier_street = models.BooleanField(_("街道可办"), default=False)
    tier_community = models.BooleanField(_("社区可办"), default=False)
    citywide = models.BooleanField(_("全市通办"), default=False)
    life_events = models.CharField(_("主题分类"), max_length=200, blank=True, help_text=_("代码，逗号分隔"))
    form_schema = models.JSONField(_("申请表（JSON Schema）"), default=dict, blank=True)

    class Meta:
        verbose_name = _("事项版本（办事指南）")
        verbose_name_plural = _("事项版本（办事指南）")
        ordering = ["item", "-number"]
        constraints = [models.UniqueConstraint(fields=["item", "number"], name="catalog_version_unique_number")]
        indexes = [models.Index(fields=["status"])]

    def __str__(self) -> str:
        return f"{self.name} v{self.number}（{self.get_status_display()}）"

    # -- immutability --
    @classmethod
    def from_db(cls, db, field_names, values):
        obj = super().from_db(db, field_names, values)
        obj._db_status = obj.status if "status" in field_names else None
        return obj

    @property
    def frozen(self) -> bool:
        """Published or retired in the database: the content can no longer change."""
        return getattr(self, "_db_status", None) in (VersionStatus.PUBLISHED, VersionStatus.RETIRED)

    def save(self, *args, **kwargs):
        update_fields = kwargs.get("update_fields")
        if self.frozen and (update_fields is None or not set(update_fields) <= _FROZEN_WRITABLE):
            from django.utils.translation import gettext

            raise Conflict(gettext("已发布的版本不能修改，请创建新版本。"), code="version_frozen")
        super().save(*args, **kwargs)
        self._db_status = self.status

    def delete(self, *args, **kwargs):
        if self.frozen:
            from django.utils.translation import gettext

            raise Conflict(gettext("已发布的版本不能删除。"), code="version_frozen")
        return super().delete(*args, **kwargs)

    # -- transitions (idempotent; illegal moves raise Conflict "illegal_transition") --
    def _move(self, target: str, allowed_from: tuple[str, ...]) -> bool:
        if self.status == target:
            return False
        if self.status not in allowed_from:
            raise _illegal(str(_("该版本")), self.get_status_display(), VersionStatus(target).label)
        self.status = target
        return True

    def submit(self) -> bool:
        changed = self._move(VersionStatus.REVIEW, (VersionStatus.DRAFT,))
        if changed:
            self.submitted_at = timezone.now()
        return changed

    def send_back(self, note: str = "") -> bool:
        changed = self._move(VersionStatus.DRAFT, (VersionStatus.REVIEW,))
        if changed:
            self.review_note = note[:500]
        return changed

    def publish(self, user=None) -> bool:
        changed = self._move(VersionStatus.PUBLISHED, (VersionStatus.REVIEW,))
        if changed:
            self.published_at = timezone.now()
            self.published_by = user
        return changed

    def retire(self, reason: str = "") -> bool:
        changed = self._move(VersionStatus.RETIRED, (VersionStatus.PUBLISHED,))
        if changed:
            self.retired_at = timezone.now()
            self.retired_reason = reason[:200]
        return changed

    # -- derived facts for the guide --
    @property
    def service_object_codes(self) -> list[str]:
        return [c for c in self.service_objects.split(",") if c]

    @property
    def service_object_labels(self) -> list[str]:
        labels = dict(ServiceObject.choices)
        return [str(labels.get(c, c)) for c in self.service_object_codes]

    @property
    def life_event_codes(self) -> list[str]:
        return [c for c in self.life_events.split(",") if c]

    @property
    def life_event_labels(self) -> list[str]:
        labels = dict(LifeEvent.choices)
        return [str(labels.get(c, c)) for c in self.life_event_codes]

    @property
    def alias_list(self) -> list[str]:
        import re

        return [a for a in (x.strip() for x in re.split(r"[、，,；;\n]", self.aliases)) if a]

    @property
    def tiers(self) -> list[str]:
        return [t for t, on in (("district", self.tier_district), ("street", self.tier_street),
                                ("community", self.tier_community)) if on]

    @property
    def tier_labels(self) -> list[str]:
        labels = dict(Tier.choices)
        return [str(labels[t]) for t in self.tiers]


def derived_material_key(name: str) -> str:
    """The key of a material the catalog gave none: derived from its name (spaces and brackets
    ignored), so the same material keeps the same key across items and versions, and a bundle
    still merges it. Every material needs a key: the application form's upload field, the
    submission's ``materials[].key`` and the case's attached files are matched by it."""
    import hashlib
    import re

    return "m_" + hashlib.sha1(re.sub(r"[\s（）()]", "", name).encode()).hexdigest()[:12]


class Material(models.Model):
    """An application material (申请材料) of one item version."""

    version = models.ForeignKey(ItemVersion, on_delete=models.CASCADE, related_name="materials")
    order = models.PositiveSmallIntegerField(_("序号"), default=0)
    key = models.CharField(_("材料标识"), max_length=64, blank=True,
                           help_text=_("同一种材料在各事项中使用相同标识，一件事据此合并去重"))
    name = models.CharField(_("材料名称"), max_length=200)
    requirement = models.CharField(_("必要性"), max_length=12, choices=MaterialRequirement.choices,
                                   default=MaterialRequirement.REQUIRED)
    condition = models.CharField(_("提交情形"), max_length=300, blank=True)
    form = models.CharField(_("材料形式"), max_length=20, choices=MaterialForm.choices, default=MaterialForm.ORIGINAL)
    copies = models.PositiveSmallIntegerField(_("份数"), default=1)
    source = models.CharField(_("来源渠道"), max_length=12, choices=MaterialSource.choices,
                              default=MaterialSource.APPLICANT)
    source_ref = models.CharField(_("证照类型或数据资源代码"), max_length=64, blank=True)
    source_name = models.CharField(_("证照或数据资源名称"), max_length=200, blank=True)
    subject_field = models.CharField(
        _("数据主体字段"), max_length=64, blank=True,
        help_text=_("材料记载的不是申请人本人而是申请表中另一人（如死者、子女、配偶）时，填写申请表中该人身份证号码"
                    "（或统一社会信用代码）字段的字段名；平台按该字段所填号码调取。留空即调取申请人本人的。"))
    acceptance_standard = models.TextField(_("受理标准"), blank=True)
    note = models.CharField(_("备注"), max_length=300, blank=True)
    blank_form = models.FileField(_("空白表格"), upload_to="catalog/forms/", blank=True)
    sample = models.FileField(_("填写示例"), upload_to="catalog/samples/", blank=True)

    class Meta:
        verbose_name = _("申请材料")
        verbose_name_plural = _("申请材料")
        ordering = ["version", "order", "id"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        if self.version_id and ItemVersion.objects.filter(
            pk=self.version_id, status__in=[VersionStatus.PUBLISHED, VersionStatus.RETIRED]
        ).exists():
            from django.utils.translation import gettext

            raise Conflict(gettext("已发布的版本不能修改，请创建新版本。"), code="version_frozen")
        if not self.key:
            self.key = derived_material_key(self.name)
        super().save(*args, **kwargs)

    @property
    def applicant_submits(self) -> bool:
        """Whether the applicant hands it in, or the platform fetches it (免提交)."""
        return self.source == MaterialSource.APPLICANT

    @property
    def about_third_party(self) -> bool:
        """Whether the platform fetches it for a person named in the form rather than the applicant."""
        return bool(self.subject_field) and not self.applicant_submits

    def dedupe_key(self) -> str:
        import re

        return self.key or "name:" + re.sub(r"[\s（）()]", "", self.name)


# --- bundles ----------------------------------------------------------------------------------
class Bundle(models.Model):
    """A life-event bundle (一件事一次办): several items of several departments, one guide."""

    code = models.CharField(_("编码"), max_length=64, unique=True)
    name = models.CharField(_("名称"), max_length=200)
    life_event = models.CharField(_("主题分类"), max_length=24, choices=LifeEvent.choices)
    aliases = models.CharField(_("俗称与关键词"), max_length=500, blank=True)
    summary = models.TextField(_("一句话说明"), blank=True)
    description = models.TextField(_("办理说明"), blank=True)
    department = models.ForeignKey(
        "core.Department", on_delete=models.PROTECT, related_name="bundles", verbose_name=_("牵头部门")
    )
    status = models.CharField(_("状态"), max_length=12, choices=BundleStatus.choices, default=BundleStatus.DRAFT)
    promised_limit_days = models.PositiveSmallIntegerField(_("承诺办结时限（工作日）"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    retired_at = models.DateTimeField(_("停用时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("一件事")
        verbose_name_plural = _("一件事")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    def _move(self, target: str, allowed_from: tuple[str, ...]) -> bool:
        if self.status == target:
            return False
        if self.status not in allowed_from:
            raise _illegal(str(_("该一件事")), self.get_status_display(), BundleStatus(target).label)
        self.status = target
        return True

    def publish(self) -> bool:
        changed = self._move(BundleStatus.PUBLISHED, (BundleStatus.DRAFT, BundleStatus.RETIRED))
        if changed:
            self.published_at, self.retired_at = timezone.now(), None
        return changed

    def retire(self) -> bool:
        changed = self._move(BundleStatus.RETIRED, (BundleStatus.PUBLISHED, BundleStatus.DRAFT))
        if changed:
            self.retired_at = timezone.now()
        return changed

    @property
    def alias_list(self) -> list[str]:
        import re

        return [a for a in (x.strip() for x in re.split(r"[、，,；;\n]", self.aliases)) if a]


class BundleItem(models.Model):
    bundle = models.ForeignKey(Bundle, on_delete=models.CASCADE, related_name="entries")
    item = models.ForeignKey(ServiceItem, on_delete=models.PROTECT, related_name="bundle_entries")
    order = models.PositiveSmallIntegerField(_("序号"), default=0)
    note = models.CharField(_("说明"), max_length=300, blank=True, help_text=_("如：仅在……时需要办理"))

    class Meta:
        verbose_name = _("一件事包含的事项")
        verbose_name_plural = _("一件事包含的事项")
        ordering = ["bundle", "order", "id"]
        constraints = [models.UniqueConstraint(fields=["bundle", "item"], name="catalog_bundle_item_unique")]


class CatalogRevision(models.Model):
    """One row: a counter bumped (in the same transaction) whenever what the public sees changes, so
    every process knows when to rebuild its search index."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    number = models.BigIntegerField(default=0)
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("目录修订号")
        verbose_name_plural = _("目录修订号")


class SearchVector(models.Model):
    """A cached passage embedding for catalog search, keyed by a hash of the model and the text."""

    text_hash = models.CharField(max_length=40, primary_key=True)
    vector = models.BinaryField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("搜索向量缓存")
        verbose_name_plural = _("搜索向量缓存")
