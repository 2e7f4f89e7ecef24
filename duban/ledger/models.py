"""An uploaded ledger file waiting for, or done with, its import (the import page).

The page reads the file in two steps — upload (which checks it by a dry run and then
shows the detected columns and the report) and confirmation, which queues the import
for a background worker — so the file is kept between them, in the database: the app
servers keep no files of their own (DESIGN.md, "Scale"). Only the person who uploaded
it sees or imports it.

(a small file: checked within the upload)                previewed
(a larger one) checking → (a worker checks it)            previewed | failed
previewed → (confirm) queued → (a worker claims it) running → imported | failed
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportStatus(models.TextChoices):
    CHECKING = "checking", _("正在检查")
    PREVIEWED = "previewed", _("待确认导入")
    QUEUED = "queued", _("排队等待导入")
    RUNNING = "running", _("正在导入")
    IMPORTED = "imported", _("已导入")
    FAILED = "failed", _("导入未成功")


# An upload being imported: its uploader may confirm no other until it ends.
IMPORTING = (ImportStatus.QUEUED, ImportStatus.RUNNING)


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
    # The background check or import (duban.ledger.tasks): rows to do, rows done when
    # it ended (the running count is in the cache: `progress_of`), and when it ran.
    rows_total = models.PositiveIntegerField(_("待处理行数"), default=0)
    rows_done = models.PositiveIntegerField(_("已处理行数"), default=0)
    created_at = models.DateTimeField(_("上传时间"))
    # When a worker claimed the check of a larger upload (`actions.check_ledger_import`);
    # its lease then runs from its last sign of life (`actions.give_up_lost_checks`).
    check_started_at = models.DateTimeField(_("开始检查时间"), null=True, blank=True)
    checked_at = models.DateTimeField(_("检查完成时间"), null=True, blank=True)
    queued_at = models.DateTimeField(_("确认导入时间"), null=True, blank=True)
    started_at = models.DateTimeField(_("开始导入时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("导入结束时间"), null=True, blank=True)
    imported_at = models.DateTimeField(_("导入时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("台账导入")
        verbose_name_plural = _("台账导入")

    def __str__(self) -> str:
        return self.filename

    @property
    def importing(self) -> bool:
        return self.status in IMPORTING

    @property
    def checking(self) -> bool:
        return self.status == ImportStatus.CHECKING


class ExportStatus(models.TextChoices):
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("正在生成")
    DONE = "done", _("已完成")
    FAILED = "failed", _("生成失败")
    EXPIRED = "expired", _("已过期")


class LedgerExport(models.Model):
    """A ledger export too large to write within the request (`duban.ledger.exporting`): a
    worker writes it, the page shows its progress, and the finished file is kept here,
    in the database like an uploaded ledger, for its requester to download until it
    expires (settings.LEDGER_EXPORT_KEEP_HOURS)."""

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("导出人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    # The ledger page's query string: the rows are chosen again, as the requester,
    # when the worker writes the file.
    query = models.TextField(_("筛选条件参数"), blank=True)
    description = models.TextField(_("筛选条件"))
    year = models.PositiveSmallIntegerField(_("台账年度"), null=True, blank=True)
    status = models.CharField(
        _("状态"), max_length=20, choices=ExportStatus.choices, default=ExportStatus.QUEUED
    )
    total = models.PositiveIntegerField(_("事项数"), default=0)
    written = models.PositiveIntegerField(_("已写入"), default=0)
    filename = models.CharField(_("文件名"), max_length=200)
    content = models.BinaryField(_("文件内容"), null=True, blank=True)
    size = models.PositiveIntegerField(_("文件大小"), default=0)
    message = models.TextField(_("说明"), blank=True)
    created_at = models.DateTimeField(_("申请时间"))
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("台账导出")
        verbose_name_plural = _("台账导出")
        indexes = [models.Index(fields=["requested_by", "status"], name="ledger_export_by_status")]

    def __str__(self) -> str:
        return self.filename

    @property
    def percent(self) -> int:
        return 100 if not self.total else min(100, self.written * 100 // self.total)
