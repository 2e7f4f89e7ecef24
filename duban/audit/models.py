"""The audit trail: one row per event, written by the action that caused it.

Rows are only ever inserted (see `record`); an item's timeline is its events.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.utils.translation import gettext_lazy as _

from duban import clock

from .chain import GENESIS, event_hash, head_signature, key_id


class AuditEvent(models.Model):
    """One audit event. Rows are append-only: the app never updates or deletes them, and
    on PostgreSQL triggers refuse UPDATE and DELETE (migration 0003) and TRUNCATE (0004)."""

    sequence = models.PositiveBigIntegerField(_("序号"), unique=True)
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
    previous_hash = models.CharField(_("前一事件摘要"), max_length=64)
    hash = models.CharField(_("摘要"), max_length=64)
    # The fingerprint of the key that signed it (chain.key_id); outside the hash.
    key_id = models.CharField(_("密钥标识"), max_length=16, blank=True, default="", db_default="")

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("审计事件")
        verbose_name_plural = _("审计事件")
        indexes = [models.Index(fields=["item", "created_at"])]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.verb}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise PermissionError("audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise PermissionError("audit events are append-only")


class AuditHead(models.Model):
    """The chain's head: one row holding the newest sequence and hash. Locking it
    serialises audit writes, so the chain has no forks under concurrent actions.

    It is signed with the audit key (`chain.head_signature`), so it cannot be moved back
    by hand to hide removed events; on PostgreSQL a trigger lets it move only forward,
    along an unbroken chain of events, and refuses deleting or truncating it
    (migrations 0004, 0007)."""

    sequence = models.PositiveBigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default=GENESIS)
    signature = models.CharField(max_length=64, blank=True, default="", db_default="")


@dataclass(frozen=True)
class Entry:
    """One event to append (see `record_many`)."""

    actor: Any
    verb: str
    summary: str
    item: Any = None
    unit: Any = None
    data: dict[str, Any] | None = None
    # When the event happened, if not now: a batch of steps each taken at its own
    # moment (a ledger's filled-in history, `duban.ledger.actions`).
    created_at: Any = None


class AuditCheckpoint(models.Model):
    """A point up to which the chain was verified: the event's sequence and hash, signed
    with the audit key. `verify_audit` reads only the events after the newest valid one
    (`--full` reads them all); a checkpoint without a valid signature is ignored."""

    sequence = models.PositiveBigIntegerField(_("序号"))
    hash = models.CharField(_("摘要"), max_length=64)
    signature = models.CharField(_("签名"), max_length=64)
    created_at = models.DateTimeField(_("时间"))
    full = models.BooleanField(_("全量核验"), default=False)

    class Meta:
        ordering = ["-sequence", "-id"]
        verbose_name = _("审计核验检查点")
        verbose_name_plural = _("审计核验检查点")

    def __str__(self) -> str:
        return f"#{self.sequence} {self.created_at:%Y-%m-%d %H:%M}"


def record(
    actor: Any,
    verb: str,
    summary: str,
    *,
    item: Any = None,
    unit: Any = None,
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one audit event to the chain, inside the caller's transaction if any."""
    return record_many([Entry(actor, verb, summary, item=item, unit=unit, data=data)])[0]


def record_many(entries: Sequence[Entry]) -> list[AuditEvent]:
    """Append events to the chain in order, inside the caller's transaction if any: the
    head is locked once, the events inserted in one statement, and the head moved
    forward once, to the last of them."""
    if not entries:
        return []
    # No savepoint: an event that cannot be written fails the caller's whole action.
    with transaction.atomic(savepoint=False):
        head = AuditHead.objects.select_for_update().filter(pk=1).first()
        if head is None:  # the very first event
            AuditHead.objects.get_or_create(pk=1)
            head = AuditHead.objects.select_for_update().get(pk=1)
        now = clock.now()
        signer = key_id()
        events = []
        sequence, last_hash = head.sequence, head.last_hash
        for entry in entries:
            sequence += 1
            event = AuditEvent(
                sequence=sequence,
                created_at=entry.created_at or now,
                actor=entry.actor if getattr(entry.actor, "pk", None) else None,
                verb=entry.verb,
                summary=entry.summary,
                item=entry.item,
                unit=entry.unit,
                data=entry.data or {},
                previous_hash=last_hash,
                key_id=signer,
            )
            event.hash = last_hash = event_hash(
                {
                    "sequence": event.sequence,
                    "created_at": event.created_at,
                    "actor_id": event.actor_id,
                    "verb": event.verb,
                    "summary": event.summary,
                    "item_id": event.item_id,
                    "unit_id": event.unit_id,
                    "data": event.data,
                    "previous_hash": event.previous_hash,
                }
            )
            events.append(event)
        AuditEvent.objects.bulk_create(events)
        # One move of the head to the newest event (its PostgreSQL trigger checks that
        # every event passed over is there and linked: audit migration 0007).
        head.sequence, head.last_hash = sequence, last_hash
        head.signature = head_signature(sequence, last_hash)
        head.save(update_fields=["sequence", "last_hash", "signature"])
        # Item events go out to the webhooks that subscribe to them, in this same
        # transaction (duban.hooks.events: the one place they are queued).
        from duban.hooks.events import queue_for

        queue_for(events)
        return events


class VerificationStatus(models.TextChoices):
    QUEUED = "queued", _("排队中")
    INTACT = "intact", _("完整")
    BROKEN = "broken", _("不完整")


class AuditVerification(models.Model):
    """A verification the audit administrator asked for from the audit page (校验):
    queued for a worker, then its verdict."""

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, verbose_name=_("发起人")
    )
    requested_at = models.DateTimeField(_("发起时间"))
    full = models.BooleanField(_("全量核验"), default=False)
    status = models.CharField(
        _("结果"),
        max_length=10,
        choices=VerificationStatus.choices,
        default=VerificationStatus.QUEUED,
    )
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    events_read = models.PositiveBigIntegerField(_("核验条数"), default=0)
    message = models.TextField(_("说明"), blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = _("审计日志校验")
        verbose_name_plural = _("审计日志校验")

    def __str__(self) -> str:
        return f"{self.requested_at:%Y-%m-%d %H:%M} {self.get_status_display()}"
