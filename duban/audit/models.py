"""The audit trail: one row per event, written by the action that caused it.

Rows are only ever inserted (see `record`); an item's timeline is its events.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from duban import clock


class AuditEvent(models.Model):
    created_at = models.DateTimeField(_("时间"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    verb = models.CharField(_("操作"), max_length=50, db_index=True)
    summary = models.TextField(_("摘要"))
    item = models.ForeignKey(
        "items.Item",
        verbose_name=_("督办事项"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="events",
    )
    unit = models.ForeignKey(
        "organisation.Unit",
        verbose_name=_("相关单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("事件所涉单位，例如退回事项的单位（用于统计）"),
    )
    data = models.JSONField(_("数据"), default=dict, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("审计事件")
        verbose_name_plural = _("审计事件")
        indexes = [models.Index(fields=["item", "created_at"])]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.verb}"


def record(
    actor: Any,
    verb: str,
    summary: str,
    *,
    item: Any = None,
    unit: Any = None,
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Write one audit event. Call it inside the action's transaction."""
    return AuditEvent.objects.create(
        created_at=clock.now(),
        actor=actor if getattr(actor, "pk", None) else None,
        verb=verb,
        summary=summary,
        item=item,
        unit=unit,
        data=data or {},
    )
