"""A document read for intake (minutes or a work plan) and the proposals read from it.

A proposal is a draft of an item kept here, not an item: items begin at `establish_item`
(duban.items.actions), which the office's confirmation calls for each proposal, so the
item's life (DESIGN.md) has no draft state to skip. Drafts are shared by the office
supervisors of the General Office, who confirm them together or one after the other.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from duban.items.models import SourceBody


class DocumentKind(models.TextChoices):
    MINUTES = "minutes", _("会议纪要")
    WORK_PLAN = "work_plan", _("党政工作要点")


class DocumentStatus(models.TextChoices):
    DRAFT = "draft", _("待确认立项")
    CONFIRMED = "confirmed", _("已确认立项")


class DeadlineBasis(models.TextChoices):
    GIVEN = "given", _("纪要明确的时限")  # R-D1
    TEN_WORKDAYS = "R-D2", _("纪要印发后第10个工作日")
    OFFICE = "R-D3", _("督办部门根据实际确定")
    YEAR_END = "R-D4", _("当年12月31日")


class IntakeDocument(models.Model):
    kind = models.CharField(_("文件类别"), max_length=20, choices=DocumentKind.choices)
    filename = models.CharField(_("文件名"), max_length=200)
    size = models.PositiveIntegerField(_("文件大小"))
    sha256 = models.CharField(_("文件摘要"), max_length=64)
    source_body = models.CharField(_("具体来源"), max_length=30, choices=SourceBody.choices)
    number = models.CharField(_("文件编号"), max_length=200, blank=True)
    number_words = models.CharField(_("编号原文"), max_length=200, blank=True)
    issued_on = models.DateField(_("纪要印发日期"), null=True, blank=True)
    year = models.PositiveSmallIntegerField(_("年度"))
    # The document as the rules saw it: one line per paragraph, numbered from 1.
    lines = models.JSONField(_("文件内容"), default=list)
    flags = models.JSONField(_("提示"), default=list, blank=True)
    status = models.CharField(
        _("状态"), max_length=20, choices=DocumentStatus.choices, default=DocumentStatus.DRAFT
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("上传人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("读取时间"))
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("确认人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    confirmed_at = models.DateTimeField(_("确认立项时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("纪要与要点读取")
        verbose_name_plural = _("纪要与要点读取")

    def __str__(self) -> str:
        return self.number or self.filename

    @property
    def is_draft(self) -> bool:
        return self.status == DocumentStatus.DRAFT


class Proposal(models.Model):
    document = models.ForeignKey(IntakeDocument, on_delete=models.CASCADE, related_name="proposals")
    position = models.PositiveIntegerField(_("序号"))
    label = models.CharField(_("原编号"), max_length=20, blank=True)
    title = models.CharField(_("事项名称"), max_length=200)
    content = models.TextField(_("工作内容"))
    basis = models.TextField(_("督办依据"))
    category = models.CharField(_("类别"), max_length=300, blank=True)
    source_text = models.TextField(_("原文"))
    first_line = models.PositiveIntegerField(_("起始行"))
    last_line = models.PositiveIntegerField(_("结束行"))
    lead_unit = models.ForeignKey(
        "organisation.Unit",
        verbose_name=_("承办单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    cooperating_units = models.ManyToManyField(
        "organisation.Unit", verbose_name=_("配合单位"), blank=True, related_name="+"
    )
    deadline = models.DateField(_("办结时限"), null=True, blank=True)
    deadline_basis = models.CharField(_("时限依据"), max_length=10, choices=DeadlineBasis.choices)
    deadline_words = models.CharField(_("时限原文"), max_length=100, blank=True)
    office_reason = models.TextField(_("时限确定理由"), blank=True)
    # [{"field", "words", "start", "end", "note"}]: what each recognised field came from.
    evidence = models.JSONField(_("识别依据"), default=list, blank=True)
    flags = models.JSONField(_("提示"), default=list, blank=True)
    edited = models.BooleanField(_("已修改"), default=False)
    dropped = models.BooleanField(_("不立项"), default=False)
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("并入"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="merged",
    )
    item = models.OneToOneField(
        "items.Item",
        verbose_name=_("立项后的事项"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="intake_proposal",
    )

    class Meta:
        ordering = ["document", "position"]
        verbose_name = _("拟立项事项")
        verbose_name_plural = _("拟立项事项")

    def __str__(self) -> str:
        return self.title
