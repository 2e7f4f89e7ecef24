"""The outbox's rows: one `Delivery` per notice and outside channel, each person's
`ChannelPreference`, and `PeriodicRun`, which lets many workers share one schedule.

A notice (`items.Notice`) is the in-app message; a delivery is one attempt-tracked
copy of it on email, SMS, a group robot or a personal work notice (企业微信, 钉钉).
`PlatformAccount` keeps each person's account id on those platforms, and
`CalendarFeed` the hash of each person's calendar URL. Deliveries are written in the same
transaction as their notice and sent later by the background worker
(`duban.notify.delivery`).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    EMAIL = "email", _("电子邮件")
    SMS = "sms", _("短信")
    WECOM = "wecom", _("企业微信群")
    DINGTALK = "dingtalk", _("钉钉群")
    WECOM_APP = "wecom_app", _("企业微信工作通知")
    DINGTALK_APP = "dingtalk_app", _("钉钉工作通知")


# Group robots post one message per notice batch to a chat group, not to a person.
GROUP_CHANNELS = (Channel.WECOM, Channel.DINGTALK)


class Platform(models.TextChoices):
    WECOM = "wecom", _("企业微信")
    DINGTALK = "dingtalk", _("钉钉")


# Personal work notices: one message to one person's account on the platform.
PLATFORM_OF_CHANNEL = {Channel.WECOM_APP: Platform.WECOM, Channel.DINGTALK_APP: Platform.DINGTALK}


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("待发送")
    SENT = "sent", _("已发送")
    FAILED = "failed", _("发送失败")


class Delivery(models.Model):
    notice = models.ForeignKey(
        "items.Notice",
        verbose_name=_("通知"),
        on_delete=models.PROTECT,
        related_name="deliveries",
    )
    channel = models.CharField(_("渠道"), max_length=20, choices=Channel.choices)
    address = models.CharField(
        _("地址"),
        max_length=254,
        blank=True,
        help_text=_("邮箱、手机号或企业微信/钉钉账号；群机器人为空"),
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("已尝试次数"), default=0)
    next_attempt_at = models.DateTimeField(_("下次尝试时间"))
    claimed_until = models.DateTimeField(
        _("占用至"), null=True, blank=True, help_text=_("正在发送的后台进程持有的租约")
    )
    last_error = models.TextField(_("最近错误"), blank=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"))

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("通知发送")
        verbose_name_plural = _("通知发送")
        indexes = [
            # The worker's question: which pending deliveries are due?
            models.Index(fields=["status", "next_attempt_at"], name="notify_delivery_due"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.address or '-'} {self.status}"


class ChannelPreference(models.Model):
    """Which outside channels a person wants; without a row, email only."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("人员"),
        on_delete=models.CASCADE,
        related_name="channel_preference",
    )
    email = models.BooleanField(_("电子邮件"), default=True)
    sms = models.BooleanField(_("短信"), default=False)
    wecom = models.BooleanField(_("企业微信群"), default=False)
    dingtalk = models.BooleanField(_("钉钉群"), default=False)
    wecom_app = models.BooleanField(_("企业微信工作通知"), default=False)
    dingtalk_app = models.BooleanField(_("钉钉工作通知"), default=False)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("通知方式")
        verbose_name_plural = _("通知方式")

    def __str__(self) -> str:
        return f"{self.user_id}"

    def wants(self, channel: str) -> bool:
        return bool(getattr(self, channel))


class PeriodicRun(models.Model):
    """When each periodic task was last put on the queue, by any worker."""

    name = models.CharField(_("任务"), max_length=200, unique=True)
    last_enqueued_at = models.DateTimeField(_("最近加入队列时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("周期任务")
        verbose_name_plural = _("周期任务")

    def __str__(self) -> str:
        return self.name


class AccountSource(models.TextChoices):
    MOBILE = "mobile", _("按手机号匹配")
    STAFF_NUMBER = "staff_number", _("按工号匹配")
    MANUAL = "manual", _("系统管理员登记")


class PlatformAccount(models.Model):
    """A person's account id (userid) on 企业微信 or 钉钉, the address of their personal
    work notices: found by their 手机 through the platform's lookup API
    (`duban.notify.platforms.account_id`) or entered by the system administrator."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("人员"),
        on_delete=models.CASCADE,
        related_name="platform_accounts",
    )
    platform = models.CharField(_("平台"), max_length=20, choices=Platform.choices)
    account_id = models.CharField(
        _("账号"), max_length=64, help_text=_("该人员在企业微信或钉钉中的账号（成员的用户标识）")
    )
    source = models.CharField(
        _("来源"), max_length=20, choices=AccountSource.choices, default=AccountSource.MANUAL
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("企业微信/钉钉账号")
        verbose_name_plural = _("企业微信/钉钉账号")
        ordering = ["platform", "user_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "platform"],
                name="one_account_per_platform",
                violation_error_message=_("该人员在此平台已登记账号，请修改原记录。"),
            ),
            models.UniqueConstraint(
                fields=["platform", "account_id"],
                name="account_id_unique_per_platform",
                violation_error_message=_("该账号已登记给其他人员，请核对。"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_platform_display()} {self.account_id}"


class CalendarFeed(models.Model):
    """A person's secret calendar URL, /calendar/<token>.ics. Only the token's SHA-256
    is kept: the URL is shown once, when made; a new one replaces (revokes) the old."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("人员"),
        on_delete=models.CASCADE,
        related_name="calendar_feed",
    )
    token_hash = models.CharField(_("令牌摘要"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("生成时间"))

    class Meta:
        verbose_name = _("日历订阅")
        verbose_name_plural = _("日历订阅")

    def __str__(self) -> str:
        return f"{self.user_id}"
