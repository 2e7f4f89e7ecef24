"""The record of each scheduled backup, shown to the security administrator."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class BackupRun(models.Model):
    started_at = models.DateTimeField(_("开始时间"))
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    ok = models.BooleanField(_("成功"), default=False)
    message = models.TextField(_("结果"), blank=True)
    path = models.CharField(_("备份目录"), max_length=500, blank=True)
    size = models.PositiveBigIntegerField(_("大小（字节）"), default=0)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("备份记录")
        verbose_name_plural = _("备份记录")

    def __str__(self) -> str:
        return f"{self.started_at:%Y-%m-%d %H:%M} {'ok' if self.ok else 'failed'}"
