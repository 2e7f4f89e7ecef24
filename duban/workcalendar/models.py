"""The stored working-day calendar (RULES R-D6).

A loaded year has one `CalendarDay` row for each of its days. Only
`duban.workcalendar.calendar` reads these tables to answer working-day questions.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class YearStatus(models.TextChoices):
    OFFICIAL = "official", _("正式")
    PROVISIONAL = "provisional", _("暂定")


class DayKind(models.TextChoices):
    WORKDAY = "workday", _("工作日")
    HOLIDAY = "holiday", _("休息日")


class CalendarYear(models.Model):
    year = models.PositiveSmallIntegerField(_("年度"), unique=True)
    status = models.CharField(
        _("状态"), max_length=20, choices=YearStatus.choices, default=YearStatus.PROVISIONAL
    )
    source = models.CharField(_("来源"), max_length=100, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        ordering = ["-year"]
        verbose_name = _("日历年度")
        verbose_name_plural = _("日历年度")

    def __str__(self) -> str:
        return f"{self.year}（{self.get_status_display()}）"


class CalendarDay(models.Model):
    day = models.DateField(_("日期"), unique=True)
    kind = models.CharField(_("类型"), max_length=10, choices=DayKind.choices)
    note = models.CharField(_("备注"), max_length=100, blank=True)

    class Meta:
        ordering = ["day"]
        verbose_name = _("日历日")
        verbose_name_plural = _("日历日")

    def __str__(self) -> str:
        return f"{self.day.isoformat()} {self.get_kind_display()}"
