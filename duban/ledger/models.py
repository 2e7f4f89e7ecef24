"""An uploaded ledger file waiting for, or done with, its import (the import page).

The page reads the file in two steps — upload (which shows the detected columns and
the report of a dry run) and confirmation — so the file is kept between them, in the
database: the app servers keep no files of their own (DESIGN.md, "Scale"). Only the
person who uploaded it sees or imports it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportStatus(models.TextChoices):
    PREVIEWED = "previewed", _("待确认导入")
    IMPORTED = "imported", _("已导入")


class LedgerImport(models.Model):
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("上传人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    filename = models.CharField(_("文件名"), max_length=200)
    size = models.PositiveIntegerField(_("文件大小"))
    sha256 = models.CharField(_("文件摘要"), max_length=64)
    content = models.BinaryField(_("文件内容"))
    year = models.PositiveSmallIntegerField(_("台账年度"), null=True, blank=True)
    status = models.CharField(
        _("状态"), max_length=20, choices=ImportStatus.choices, default=ImportStatus.PREVIEWED
    )
    # The report of the last check (the dry run at upload, or the import itself).
    report = models.JSONField(_("检查结果"), default=dict, blank=True)
    item_count = models.PositiveIntegerField(_("导入事项数"), default=0)
    created_at = models.DateTimeField(_("上传时间"))
    imported_at = models.DateTimeField(_("导入时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("台账导入")
        verbose_name_plural = _("台账导入")

    def __str__(self) -> str:
        return self.filename
