"""Webhooks: endpoints outside the system that an office registers to hear of item
events, and the outbox of deliveries to them.

(Not to be confused with `duban.notify.webhooks`, the group robots of 企业微信/钉钉,
which carry notices to a chat group.)

An `Endpoint` belongs to a supervising office; its secret signs every delivery
(`duban.hooks.signing`). A `HookDelivery` is one event for one endpoint, written in the
transaction of the action that caused it (`duban.hooks.events`) and sent later by the
background worker (`duban.hooks.sending`), with a lease, retries and backoff.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class EventKind(models.TextChoices):
    ESTABLISHED = "item.established", _("立项")
    ASSIGNED = "item.assigned", _("交办")
    SIGNED_FOR = "item.signed_for", _("签收")
    RETURNED = "item.returned", _("退回")
    FEEDBACK = "item.feedback", _("反馈进展")
    REPORT_SUBMITTED = "item.report_submitted", _("报送办结报告")
    COMPLETED = "item.completed", _("办结")
    REPORT_RETURNED = "item.report_returned", _("办结报告退回")
    URGED = "item.urged", _("催办")
    OVERDUE = "item.overdue", _("超期")
    EXTENSION_REQUESTED = "item.extension_requested", _("申请延期")
    EXTENSION_DECIDED = "item.extension_decided", _("延期审批")
    CHANGED = "item.changed", _("变更或调整")
    TERMINATED = "item.terminated", _("终止")


# The test message sent from the endpoint's page; never subscribed to.
PING = "ping"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("待发送")
    SENT = "sent", _("已发送")
    FAILED = "failed", _("发送失败")


class Endpoint(models.Model):
    office = models.ForeignKey(
        "organisation.Unit",
        verbose_name=_("督办部门"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    name = models.CharField(_("名称"), max_length=100)
    url = models.URLField(_("接收地址"), max_length=500)
    events = models.JSONField(_("订阅事件"), default=list)
    # Kept readable: an HMAC needs the key itself. Shown only when made (see actions).
    secret = models.CharField(_("签名密钥"), max_length=100)
    is_active = models.BooleanField(_("启用"), default=True)
    failing_since = models.DateTimeField(
        _("发送失败时间"),
        null=True,
        blank=True,
        help_text=_("一次投递重试达到上限后记录；恢复前暂停向此地址发送"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("创建人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"))
    updated_at = models.DateTimeField(_("更新时间"))

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("事件推送地址")
        verbose_name_plural = _("事件推送地址")

    def __str__(self) -> str:
        return self.name

    @property
    def is_failing(self) -> bool:
        return self.failing_since is not None

    def event_labels(self) -> list[str]:
        labels = dict(EventKind.choices)
        return [str(labels[kind]) for kind in self.events if kind in labels]


class HookDelivery(models.Model):
    endpoint = models.ForeignKey(
        Endpoint, verbose_name=_("接收地址"), on_delete=models.PROTECT, related_name="deliveries"
    )
    # The event's id: the same for every endpoint the event goes to, and the same on
    # every attempt, so a receiver can drop a repeated delivery (X-Duban-Event-Id).
    event_id = models.UUIDField(_("事件编号"), default=uuid.uuid4)
    event = models.CharField(_("事件"), max_length=40)
    payload = models.JSONField(_("内容"))
    status = models.CharField(
        _("状态"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("已尝试次数"), default=0)
    next_attempt_at = models.DateTimeField(_("下次尝试时间"))
    claimed_until = models.DateTimeField(
        _("占用至"), null=True, blank=True, help_text=_("正在发送的后台进程持有的租约")
    )
    response_status = models.PositiveSmallIntegerField(_("HTTP 状态码"), null=True, blank=True)
    last_error = models.TextField(_("最近错误"), blank=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"))

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("事件推送投递")
        verbose_name_plural = _("事件推送投递")
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="hooks_delivery_due"),
            models.Index(fields=["endpoint", "created_at"], name="hooks_delivery_log"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "event_id"], name="one_delivery_per_event")
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.endpoint_id} {self.status}"

    def event_label(self) -> str:
        if self.event == PING:
            return str(_("测试消息"))
        return str(dict(EventKind.choices).get(self.event, self.event))
