"""What each outside channel says and how it is sent.

`available()` tells which channels this deployment has switched on (from the
environment, see docs/deployment.md); `send(delivery)` sends one delivery and raises
on any failure, which the worker records and retries.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.urls import reverse
from django.utils.translation import gettext as _

from duban.items.models import Confidentiality, Notice

from . import platforms, sms, webhooks
from .models import PLATFORM_OF_CHANNEL, Channel, Delivery

SUBJECT_PREFIX = "[督办系统]"


def available() -> set[str]:
    """The channels this deployment can use: SMS always (the logging gateway at
    least), email when EMAIL_HOST is set, each group robot when its webhook is set,
    each personal work notice when its app's credentials are set."""
    channels = {Channel.SMS.value}
    if settings.EMAIL_HOST:
        channels.add(Channel.EMAIL.value)
    if settings.WECOM_WEBHOOK_URL:
        channels.add(Channel.WECOM.value)
    if settings.DINGTALK_WEBHOOK_URL:
        channels.add(Channel.DINGTALK.value)
    for channel, platform in PLATFORM_OF_CHANNEL.items():
        if platforms.is_configured(platform):
            channels.add(channel.value)
    return channels


def may_post_to_group(item: Any) -> bool:
    """A chat group is not a list of people allowed to see an item (R-C5): group
    robots carry only notices about ordinary items, or about no item."""
    return item is None or item.confidentiality == Confidentiality.ORDINARY


def link(notice: Notice) -> str:
    path = reverse("item-detail", args=[notice.item_id]) if notice.item_id else reverse("inbox")
    return f"{settings.SITE_URL}{path}"


def ledger_line(notice: Notice) -> str:
    if notice.item is None:
        return ""
    return _("台账编号：%(number)s") % {"number": notice.item.ledger_number}


def email_subject(notice: Notice) -> str:
    return f"{SUBJECT_PREFIX} {notice.title}"


def email_body(notice: Notice) -> str:
    lines = [notice.recipient.full_name or notice.recipient.username, "", notice.title]
    if notice.body:
        lines.append(notice.body)
    lines.append("")
    if notice.item is not None:
        lines.append(ledger_line(notice))
        lines.append(_("事项名称：%(title)s") % {"title": notice.item.title})
    lines.append(_("查看详情：%(link)s") % {"link": link(notice)})
    lines += ["", _("此邮件由督办系统自动发送，请勿直接回复。")]
    return "\n".join(lines)


def sms_text(notice: Notice) -> str:
    parts = [notice.title]
    if notice.body:
        parts.append(notice.body)
    if notice.item is not None:
        parts.append(ledger_line(notice))
    parts.append(_("详见%(link)s") % {"link": link(notice)})
    return "；".join(part.rstrip("。；") for part in parts) + "。"


def group_text(notice: Notice, recipient_names: list[str]) -> str:
    lines = [f"{SUBJECT_PREFIX} {notice.title}"]
    if notice.body:
        lines.append(notice.body)
    if notice.item is not None:
        lines.append(ledger_line(notice))
    if recipient_names:
        lines.append(_("接收人：%(names)s") % {"names": "、".join(recipient_names)})
    lines.append(_("查看详情：%(link)s") % {"link": link(notice)})
    return "\n".join(lines)


def work_notice_text(notice: Notice) -> str:
    """The body of a personal work notice (企业微信 text card, 钉钉 action card)."""
    lines = []
    if notice.body:
        lines.append(notice.body)
    if notice.item is not None:
        lines.append(ledger_line(notice))
        lines.append(_("事项名称：%(title)s") % {"title": notice.item.title})
    return "\n".join(lines) or notice.title


def batch_recipient_names(notice: Notice) -> list[str]:
    """Everyone who got the same notice in the same batch (`notify` dates a batch once)."""
    batch = Notice.objects.filter(title=notice.title, created_at=notice.created_at)
    if notice.item_id is None:
        batch = batch.filter(item__isnull=True)
    else:
        batch = batch.filter(item_id=notice.item_id)
    return [
        full_name or username
        for full_name, username in batch.order_by("id").values_list(
            "recipient__full_name", "recipient__username"
        )
    ]


def send(delivery: Delivery) -> None:
    """Send one delivery now; raises on failure. `delivery.notice` with its item and
    recipient should be loaded (select_related) by the caller."""
    notice = delivery.notice
    if delivery.channel == Channel.EMAIL:
        with get_connection(fail_silently=False, timeout=settings.EMAIL_TIMEOUT) as connection:
            EmailMessage(
                subject=email_subject(notice),
                body=email_body(notice),
                from_email=settings.DEFAULT_FROM_EMAIL,
                to=[delivery.address],
                connection=connection,
            ).send()
    elif delivery.channel == Channel.SMS:
        sms.gateway().send(delivery.address, sms_text(notice))
    elif delivery.channel == Channel.WECOM:
        webhooks.send_wecom(group_text(notice, batch_recipient_names(notice)))
    elif delivery.channel == Channel.DINGTALK:
        webhooks.send_dingtalk(group_text(notice, batch_recipient_names(notice)))
    elif delivery.channel in PLATFORM_OF_CHANNEL:
        platform = PLATFORM_OF_CHANNEL[Channel(delivery.channel)]
        account = platforms.account_id(platform, notice.recipient)
        title = f"{SUBJECT_PREFIX} {notice.title}"
        if platform == platforms.Platform.WECOM:
            platforms.send_wecom(account, title, work_notice_text(notice), link(notice))
        else:
            text = f"### {title}\n\n" + work_notice_text(notice).replace("\n", "\n\n")
            platforms.send_dingtalk(account, title, text, link(notice))
    else:
        raise ValueError(f"unknown channel {delivery.channel!r}")
