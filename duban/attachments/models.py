"""An attachment: one uploaded file of an item, or of one of its reports.

Rows are written only by `actions.attach_file` and never edited or deleted (R-F7:
superseded, not edited); rows are read through `Attachment.objects.visible_to(user)`,
which keeps to the item's visibility rule (R-C5).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .storage import attachment_storage


class AttachmentQuerySet(models.QuerySet["Attachment"]):
    def visible_to(self, user: Any) -> AttachmentQuerySet:
        """The attachments of the items `user` may see (the one visibility rule)."""
        from duban.items.models import Item

        return self.filter(item__in=Item.objects.visible_to(user).values("pk"))


class Attachment(models.Model):
    item = models.ForeignKey(
        "items.Item",
        verbose_name=_("督办事项"),
        on_delete=models.PROTECT,
        related_name="attachments",
    )
    feedback = models.ForeignKey(
        "items.Feedback",
        verbose_name=_("所属报告"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="attachments",
    )
    # A random name under ATTACHMENT_ROOT (storage.new_name), never the client's.
    file = models.FileField(_("文件"), storage=attachment_storage, max_length=100)
    original_name = models.CharField(_("文件名"), max_length=255)
    content_type = models.CharField(
        _("文件类型"), max_length=100, help_text=_("按文件内容识别的类型，而非上传时声称的类型")
    )
    size = models.PositiveBigIntegerField(_("大小（字节）"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("上传人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    unit = models.ForeignKey(
        "organisation.Unit",
        verbose_name=_("上传单位"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("上传时间"))

    objects = AttachmentQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("附件")
        verbose_name_plural = _("附件")
        indexes = [models.Index(fields=["item", "created_at"])]

    def __str__(self) -> str:
        return self.original_name

    @property
    def served_content_type(self) -> str:
        """The Content-Type of a download; text is always UTF-8 (validation)."""
        if self.content_type == "text/plain":
            return "text/plain; charset=utf-8"
        return self.content_type
