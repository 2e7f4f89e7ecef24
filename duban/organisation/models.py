"""Units and people.

A unit has exactly one head (第一责任人), exactly one liaison (联络员) and a leader in
charge (分管校领导). Three units have a special role as supervising offices: the General
Office, 纪委办公室/监察处 and 保密办公室 (RULES R-C2, R-C3).
"""

from __future__ import annotations

import re

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from duban.choicelabels import ChoiceLabels


class Role(models.TextChoices):
    OFFICE_SUPERVISOR = "office_supervisor", _("督办员")
    UNIT_HEAD = "unit_head", _("单位负责人")
    LIAISON = "liaison", _("联络员")
    UNIT_MEMBER = "unit_member", _("单位成员")
    SCHOOL_LEADER = "school_leader", _("校领导")
    SYSTEM_ADMIN = "system_admin", _("系统管理员")
    SECURITY_ADMIN = "security_admin", _("安全管理员")
    AUDIT_ADMIN = "audit_admin", _("审计管理员")


class UnitKind(models.TextChoices):
    GENERAL_OFFICE = "general_office", _("党政办公室")
    DISCIPLINE_OFFICE = "discipline_office", _("纪委办公室/监察处")
    SECRECY_OFFICE = "secrecy_office", _("保密办公室")
    DEPARTMENT = "department", _("职能部门")
    SCHOOL = "school", _("学院")


SUPERVISING_OFFICE_KINDS = (
    UnitKind.GENERAL_OFFICE,
    UnitKind.DISCIPLINE_OFFICE,
    UnitKind.SECRECY_OFFICE,
)


class Unit(models.Model):
    code = models.CharField(_("单位代码"), max_length=20, unique=True)
    name = models.CharField(_("单位名称"), max_length=100, unique=True)
    kind = models.CharField(_("单位类别"), max_length=20, choices=UnitKind.choices)
    head = models.ForeignKey(
        "organisation.User",
        verbose_name=_("第一责任人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="headed_units",
    )
    liaison = models.ForeignKey(
        "organisation.User",
        verbose_name=_("督办工作联络员"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="liaison_units",
    )
    leader_in_charge = models.ForeignKey(
        "organisation.User",
        verbose_name=_("分管校领导"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="units_in_charge",
    )
    # Other names the unit goes by in minutes and plans (计财处 for 财务处): the intake
    # (duban.intake) matches unit names against these too. Kept by the system administrator.
    aliases = models.CharField(
        _("别名"),
        max_length=300,
        blank=True,
        help_text=_("会议纪要、工作要点中对本单位的其他称呼，多个用顿号分隔，如：计财处、财务部"),
    )
    is_active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("单位")
        verbose_name_plural = _("单位")
        constraints = [
            # Each special office exists at most once.
            models.UniqueConstraint(
                fields=["kind"],
                condition=models.Q(
                    kind__in=["general_office", "discipline_office", "secrecy_office"]
                ),
                name="one_unit_per_office_kind",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_supervising_office(self) -> bool:
        return self.kind in SUPERVISING_OFFICE_KINDS

    @property
    def alias_list(self) -> list[str]:
        return split_aliases(self.aliases)


ALIAS_SEPARATORS = re.compile(r"[、，,；;\s]+")


def split_aliases(text: str) -> list[str]:
    """The aliases of a unit's `aliases` field, in order, without repeats."""
    names = [name.strip() for name in ALIAS_SEPARATORS.split(text or "")]
    return list(dict.fromkeys(name for name in names if name))


class User(ChoiceLabels, AbstractUser):
    """A person who signs in. `full_name` is the name shown everywhere."""

    full_name = models.CharField(_("姓名"), max_length=50)
    role = models.CharField(_("角色"), max_length=30, choices=Role.choices)
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("所在单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="members",
    )
    title = models.CharField(_("职务"), max_length=100, blank=True)
    portfolio = models.CharField(_("分管工作"), max_length=200, blank=True)
    phone = models.CharField(_("手机号"), max_length=20, blank=True)
    # The university's staff number: how CAS sign-in (duban.accounts.cas) and the
    # people directory (duban.organisation.directory) find the person.
    staff_number = models.CharField(_("工号"), max_length=32, blank=True, default="")

    class Meta:
        verbose_name = _("人员")
        verbose_name_plural = _("人员")
        ordering = ["username"]
        constraints = [
            models.UniqueConstraint(
                fields=["staff_number"],
                condition=~models.Q(staff_number=""),
                name="unique_staff_number",
            )
        ]

    def __str__(self) -> str:
        return self.full_name or self.username

    @property
    def is_office_supervisor(self) -> bool:
        return self.role == Role.OFFICE_SUPERVISOR

    @property
    def is_school_leader(self) -> bool:
        return self.role == Role.SCHOOL_LEADER


class DirectorySyncStatus(models.TextChoices):
    PREVIEWED = "previewed", _("待确认同步")
    SYNCED = "synced", _("已同步")


class DirectorySync(models.Model):
    """A directory spreadsheet uploaded on the system administrator's page, kept in
    the database between the preview and 确认同步 (the app servers keep no files)."""

    uploaded_by = models.ForeignKey(
        "organisation.User", verbose_name=_("上传人"), on_delete=models.PROTECT, related_name="+"
    )
    filename = models.CharField(_("文件名"), max_length=200)
    sha256 = models.CharField(_("文件摘要"), max_length=64)
    content = models.BinaryField(_("文件内容"))
    deactivate_missing = models.BooleanField(_("停用名单中没有的人员和单位"), default=False)
    status = models.CharField(
        _("状态"),
        max_length=20,
        choices=DirectorySyncStatus.choices,
        default=DirectorySyncStatus.PREVIEWED,
    )
    # The report of the last check (the preview at upload, or the sync itself).
    report = models.JSONField(_("检查结果"), default=dict, blank=True)
    created_at = models.DateTimeField(_("上传时间"))
    synced_at = models.DateTimeField(_("同步时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("人员同步")
        verbose_name_plural = _("人员同步")

    def __str__(self) -> str:
        return self.filename
