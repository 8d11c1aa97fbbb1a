"""People, enterprises, roles and the credentials of every channel."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yiwang.core.crypto import EncryptedTextField, blind_index
from yiwang.core.identity import mask_id_number, mask_phone


class Role(models.TextChoices):
    CITIZEN = "citizen", _("市民")
    ENTERPRISE_AGENT = "enterprise_agent", _("企业经办人")
    CLERK = "clerk", _("综合窗口受理员")
    REVIEWER = "reviewer", _("部门审批人员")
    DEPT_HEAD = "dept_head", _("部门负责人")
    HOTLINE_OPERATOR = "hotline_operator", _("12345 话务员")
    HANDLER = "handler", _("工单承办人员")
    GRID_WORKER = "grid_worker", _("网格员")
    SUPERVISOR = "supervisor", _("督查人员")
    DATA_STEWARD = "data_steward", _("数据管理员")
    EDITOR = "editor", _("信息发布编辑")
    PLATFORM_ADMIN = "platform_admin", _("平台管理员")


#: Staff roles and where they are held: "department", "place" or either.
STAFF_ROLE_SCOPE = {
    Role.CLERK: "place",
    Role.REVIEWER: "department",
    Role.DEPT_HEAD: "department",
    Role.HOTLINE_OPERATOR: "department",
    Role.HANDLER: "department",
    Role.GRID_WORKER: "either",
    Role.SUPERVISOR: "department",
    Role.DATA_STEWARD: "department",
    Role.EDITOR: "department",
    Role.PLATFORM_ADMIN: "department",
}


class UserQuerySet(models.QuerySet):
    def find_by_id_number(self, number: str):
        return self.filter(id_number_bidx=blind_index(number, "resident_id")).first()

    def find_by_phone(self, phone: str):
        return self.filter(phone_bidx=blind_index(phone, "phone")).first()


class UserManager(BaseUserManager.from_queryset(UserQuerySet)):
    use_in_migrations = True

    def create_user(self, username, password=None, **extra):
        user = self.model(username=username, **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, username, password=None, **extra):
        extra.update(is_staff=True, is_superuser=True, kind=User.Kind.STAFF)
        return self.create_user(username, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """One person. Citizens are found by their resident ID number (via its blind index); staff log
    in by username. ``id_number`` and ``phone`` are encrypted at rest."""

    class Kind(models.TextChoices):
        CITIZEN = "citizen", _("自然人")
        STAFF = "staff", _("工作人员")

    username = models.CharField(_("用户名"), max_length=64, unique=True)
    kind = models.CharField(_("类别"), max_length=8, choices=Kind.choices, default=Kind.CITIZEN)
    name = models.CharField(_("姓名"), max_length=64)
    id_number = EncryptedTextField(_("居民身份证号码"), blank=True, default="")
    id_number_bidx = models.CharField(max_length=40, unique=True, null=True, blank=True, editable=False)
    phone = EncryptedTextField(_("手机号码"), blank=True, default="")
    phone_bidx = models.CharField(max_length=40, blank=True, default="", db_index=True, editable=False)
    email = models.EmailField(_("电子邮箱"), blank=True)
    gender = models.CharField(_("性别"), max_length=1, blank=True, choices=[("M", _("男")), ("F", _("女"))])
    birth_date = models.DateField(_("出生日期"), null=True, blank=True)
    address = models.CharField(_("住址"), max_length=200, blank=True)
    division = models.ForeignKey(
        "core.Division", on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("居住社区")
    )
    is_active = models.BooleanField(_("有效"), default=True)
    is_staff = models.BooleanField(_("可进入管理后台"), default=False)
    date_joined = models.DateTimeField(_("注册时间"), default=timezone.now)
    preferred_language = models.CharField(_("语言"), max_length=8, blank=True)

    objects = UserManager()

    USERNAME_FIELD = "username"
    REQUIRED_FIELDS = ["name"]

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.name or self.username

    @property
    def masked_id_number(self) -> str:
        return mask_id_number(self.id_number)

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)

    def save(self, *args, **kwargs):
        self.id_number_bidx = blind_index(self.id_number, "resident_id") if self.id_number else None
        self.phone_bidx = blind_index(self.phone, "phone") if self.phone else ""
        if self.id_number and not self.birth_date:
            from yiwang.core.identity import validate_resident_id

            verdict = validate_resident_id(self.id_number)
            if verdict.valid:
                self.birth_date = verdict.details["birth_date"]
                self.gender = verdict.details["gender"]
        super().save(*args, **kwargs)


class Enterprise(models.Model):
    """An enterprise or other organisation, identified by its unified social credit code."""

    class SubjectType(models.TextChoices):
        ENTERPRISE = "2", _("企业法人")
        PUBLIC_INSTITUTION = "3", _("事业法人")
        SOCIAL_ORG = "4", _("社会组织法人")
        UNINCORPORATED = "5", _("非法人企业")
        GOVERNMENT = "6", _("行政机关")
        OTHER = "9", _("其他组织")

    uscc = models.CharField(_("统一社会信用代码"), max_length=18, unique=True)
    name = models.CharField(_("名称"), max_length=128)
    subject_type = models.CharField(_("主体类型"), max_length=1, choices=SubjectType.choices, default="2")
    legal_representative = models.CharField(_("法定代表人"), max_length=64)
    address = models.CharField(_("住所"), max_length=200, blank=True)
    division = models.ForeignKey("core.Division", on_delete=models.SET_NULL, null=True, blank=True)
    established = models.DateField(_("成立日期"), null=True, blank=True)
    business_scope = models.TextField(_("经营范围"), blank=True)
    registered_capital = models.DecimalField(_("注册资本（万元）"), max_digits=14, decimal_places=2, null=True, blank=True)
    is_active = models.BooleanField(_("存续"), default=True)

    class Meta:
        verbose_name = _("企业（法人）")
        verbose_name_plural = _("企业（法人）")

    def __str__(self) -> str:
        return self.name


class EnterpriseMember(models.Model):
    """Who may act for an enterprise: its legal representative or an authorised agent (经办人)."""

    class Kind(models.TextChoices):
        LEGAL_REP = "legal_rep", _("法定代表人")
        AGENT = "agent", _("授权经办人")

    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="enterprise_memberships")
    kind = models.CharField(_("身份"), max_length=12, choices=Kind.choices)
    valid_until = models.DateField(_("授权截止"), null=True, blank=True)

    class Meta:
        verbose_name = _("企业经办授权")
        verbose_name_plural = _("企业经办授权")
        unique_together = [("enterprise", "user")]

    def is_current(self) -> bool:
        return self.valid_until is None or self.valid_until >= timezone.localdate()


class RoleAssignment(models.Model):
    """A staff role, always held within a department or a service place."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="roles")
    role = models.CharField(_("角色"), max_length=20, choices=Role.choices)
    department = models.ForeignKey(
        "core.Department", on_delete=models.CASCADE, null=True, blank=True, related_name="role_assignments"
    )
    place = models.ForeignKey(
        "core.ServicePlace", on_delete=models.CASCADE, null=True, blank=True, related_name="role_assignments"
    )

    class Meta:
        verbose_name = _("角色授权")
        verbose_name_plural = _("角色授权")
        constraints = [
            models.CheckConstraint(
                condition=(Q(department__isnull=False, place__isnull=True) | Q(department__isnull=True, place__isnull=False)),
                name="role_held_in_exactly_one_unit",
            ),
            models.UniqueConstraint(fields=["user", "role", "department", "place"], name="role_assignment_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()} @ {self.unit}"

    @property
    def unit(self):
        return self.department or self.place

    @property
    def unit_code(self) -> str:
        return self.department.code if self.department_id else self.place.code

    def clean(self):
        from django.core.exceptions import ValidationError

        scope = STAFF_ROLE_SCOPE.get(self.role)
        if scope is None:
            raise ValidationError({"role": _("市民与企业经办人不是工作人员角色。")})
        if scope == "place" and not self.place_id:
            raise ValidationError({"place": _("该角色应设在服务场所。")})
        if scope == "department" and not self.department_id:
            raise ValidationError({"department": _("该角色应设在部门。")})


class ApiToken(models.Model):
    """A bearer token for apps, kiosks and the mini-program. Only its SHA-256 is stored."""

    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, null=True, blank=True)
    role_assignment = models.ForeignKey(RoleAssignment, on_delete=models.CASCADE, null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("接口令牌")
        verbose_name_plural = _("接口令牌")


class SmsLoginCode(models.Model):
    """A one-time SMS login code for a citizen (only its hash is kept)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="sms_codes")
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)


class PendingRegistration(models.Model):
    """A citizen registration waiting for the SMS code sent to the phone it names.

    The account is created only when the code is confirmed, so the registration form answers the
    same way whether or not the ID number is already registered (no enumeration oracle). For an
    already registered number ``code_hash`` stays empty: no code can confirm it.
    """

    id_number = EncryptedTextField(_("居民身份证号码"))
    name = models.CharField(_("姓名"), max_length=64)
    phone = EncryptedTextField(_("手机号码"))
    password = models.CharField(max_length=128)  # a Django password hash, never the password
    code_hash = models.CharField(max_length=64, blank=True)
    already_registered = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("待确认的注册")
        verbose_name_plural = _("待确认的注册")
