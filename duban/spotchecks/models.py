"""Spot checks (R-K1): draws, the check of each drawn item, and rectifications.

A draw keeps its seed and its population (the ordered ids of the items it drew from),
so the sample can be worked out again at any time (`sampling.draw_sample_ids`); the
stored sample is the draw's `SpotCheck` rows in `position` order. State changes happen
only in `duban.spotchecks.actions`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class SizeMethod(models.TextChoices):
    COUNT = "count", _("按数量")
    PERCENTAGE = "percentage", _("按比例")


class SpotCheckDraw(models.Model):
    """One random draw (随机抽查) of an office's completed items of a period."""

    office = models.ForeignKey(
        "organisation.Unit",
        verbose_name=_("督办部门"),
        on_delete=models.PROTECT,
        related_name="spot_check_draws",
    )
    period_start = models.DateField(_("办结日期自"))
    period_end = models.DateField(_("办结日期至"))
    method_of_size = models.CharField(_("抽取方式"), max_length=20, choices=SizeMethod.choices)
    requested = models.PositiveIntegerField(
        _("抽取数量或比例"), help_text=_("按数量时为事项数，按比例时为百分数")
    )
    seed = models.PositiveBigIntegerField(_("随机种子"))
    population = models.JSONField(
        _("抽样总体"), default=list, help_text=_("按事项ID升序排列的可抽查事项ID")
    )
    sample_size = models.PositiveIntegerField(_("抽取事项数"))
    drawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("抽取人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    drawn_at = models.DateTimeField(_("抽取时间"))

    class Meta:
        ordering = ["-drawn_at", "-id"]
        verbose_name = _("抽查批次")
        verbose_name_plural = _("抽查批次")

    def __str__(self) -> str:
        return f"{self.period_start}—{self.period_end} #{self.pk}"


class CheckMethod(models.TextChoices):
    REVISIT = "revisit", _("回访")
    REVIEW = "review", _("复查")


class CheckResult(models.TextChoices):
    OK = "ok", _("未发现问题")
    PROBLEM = "problem", _("发现问题")


class SpotCheck(models.Model):
    """The check of one drawn item; empty (`result` blank) until it is recorded."""

    draw = models.ForeignKey(SpotCheckDraw, on_delete=models.PROTECT, related_name="checks")
    item = models.ForeignKey(
        "items.Item",
        verbose_name=_("督办事项"),
        on_delete=models.PROTECT,
        related_name="spot_checks",
    )
    position = models.PositiveIntegerField(_("抽中顺序"))
    method = models.CharField(_("抽查方式"), max_length=20, choices=CheckMethod.choices, blank=True)
    finding = models.TextField(_("抽查情况"), blank=True)
    result = models.CharField(_("抽查结论"), max_length=20, choices=CheckResult.choices, blank=True)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("抽查人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    checked_at = models.DateTimeField(_("抽查时间"), null=True, blank=True)

    class Meta:
        ordering = ["draw", "position"]
        verbose_name = _("抽查记录")
        verbose_name_plural = _("抽查记录")
        constraints = [
            models.UniqueConstraint(fields=["draw", "item"], name="each_item_once_per_draw"),
            models.UniqueConstraint(fields=["draw", "position"], name="one_item_per_position"),
        ]

    @property
    def is_recorded(self) -> bool:
        return bool(self.result)


class RectificationStatus(models.TextChoices):
    OPEN = "open", _("待整改")
    SUBMITTED = "submitted", _("整改情况待审核")
    ACCEPTED = "accepted", _("整改通过")
    RETURNED = "returned", _("退回重新整改")


class Rectification(models.Model):
    """A problem found by a spot check, to be put right by the lead unit by a deadline
    and followed by the office like an item: report, accept or return (R-K1)."""

    spot_check = models.OneToOneField(
        SpotCheck, on_delete=models.PROTECT, related_name="rectification"
    )
    item = models.ForeignKey(
        "items.Item",
        verbose_name=_("督办事项"),
        on_delete=models.PROTECT,
        related_name="rectifications",
    )
    unit = models.ForeignKey(
        "organisation.Unit",
        verbose_name=_("整改单位"),
        on_delete=models.PROTECT,
        related_name="rectifications",
    )
    requirement = models.TextField(_("整改要求"))
    deadline = models.DateField(_("整改期限"), db_index=True)
    status = models.CharField(
        _("状态"),
        max_length=20,
        choices=RectificationStatus.choices,
        default=RectificationStatus.OPEN,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("提出人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("提出时间"))
    updated_at = models.DateTimeField(_("最近更新"))

    class Meta:
        ordering = ["deadline", "id"]
        verbose_name = _("整改")
        verbose_name_plural = _("整改")
        indexes = [models.Index(fields=["unit", "status"])]


class RectificationReminder(models.Model):
    """One step of the reminder ladder (R-U3) sent for a rectification: the unique
    (rectification, step) is the claim that sends it exactly once
    (`duban.spotchecks.reminders`)."""

    rectification = models.ForeignKey(
        Rectification, on_delete=models.PROTECT, related_name="reminders"
    )
    step = models.CharField(_("提醒步骤"), max_length=60)
    sent_at = models.DateTimeField(_("发送时间"))

    class Meta:
        ordering = ["sent_at", "id"]
        verbose_name = _("整改提醒")
        verbose_name_plural = _("整改提醒")
        constraints = [
            models.UniqueConstraint(
                fields=["rectification", "step"], name="one_reminder_per_rectification_step"
            )
        ]


class ReportOutcome(models.TextChoices):
    ACCEPTED = "accepted", _("审核通过")
    RETURNED = "returned", _("审核退回")


class RectificationReport(models.Model):
    """The lead unit's report of its rectification, dated by the system and never
    edited; a returned report stays, and the next one is a new row (R-F7)."""

    rectification = models.ForeignKey(
        Rectification, on_delete=models.PROTECT, related_name="reports"
    )
    text = models.TextField(_("整改情况"))
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("报送人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    submitted_at = models.DateTimeField(_("报送时间"))
    outcome = models.CharField(
        _("审核结果"), max_length=20, choices=ReportOutcome.choices, blank=True
    )
    comment = models.TextField(_("审核意见"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审核人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("审核时间"), null=True, blank=True)

    class Meta:
        ordering = ["submitted_at", "id"]
        verbose_name = _("整改报告")
        verbose_name_plural = _("整改报告")
