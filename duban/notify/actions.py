"""The outbox's actions: resending a failed delivery, setting one's channels, making
and revoking one's calendar URL.

Like every action (DESIGN.md), each checks who may act, changes the rows and writes
its audit event in one transaction; a refusal raises an `ActionError` and changes
nothing.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from duban import clock
from duban.audit.models import record
from duban.items.errors import PermissionRefused, StateRefused

from . import calendar_feed
from .models import CalendarFeed, Channel, ChannelPreference, Delivery, DeliveryStatus
from .outbox import enqueue_delivery
from .queries import deliveries_visible_to


@transaction.atomic
def retry_delivery(actor: Any, delivery: Delivery) -> Delivery:
    """Put a failed delivery back on the queue, with its attempts counted afresh."""
    if not getattr(actor, "is_office_supervisor", False):
        raise PermissionRefused(_("只有督办员可以重新发送通知。"))
    locked = (
        deliveries_visible_to(actor)
        .select_for_update(of=("self",))
        .select_related("notice__item", "notice__recipient")
        .filter(pk=delivery.pk)
        .first()
    )
    if locked is None:
        raise PermissionRefused(_("您无权查看这条通知。"))
    if locked.status != DeliveryStatus.FAILED:
        raise StateRefused(_("只有发送失败的通知可以重新发送。"))
    locked.status = DeliveryStatus.PENDING
    locked.attempts = 0
    locked.next_attempt_at = clock.now()
    locked.claimed_until = None
    locked.save(update_fields=["status", "attempts", "next_attempt_at", "claimed_until"])
    notice = locked.notice
    record(
        actor,
        "retry_delivery",
        _("重新发送通知“%(title)s”（%(channel)s，%(to)s）")
        % {
            "title": notice.title,
            "channel": locked.get_channel_display(),
            "to": locked.address or _("群机器人"),
        },
        item=notice.item,
        data={"delivery": locked.pk, "channel": locked.channel, "last_error": locked.last_error},
    )
    transaction.on_commit(enqueue_delivery, robust=True)
    return locked


@transaction.atomic
def set_channel_preferences(
    actor: Any,
    *,
    email: bool,
    sms: bool,
    wecom: bool,
    dingtalk: bool,
    wecom_app: bool = False,
    dingtalk_app: bool = False,
) -> ChannelPreference:
    """A person chooses the outside channels their notices also go to."""
    if not getattr(actor, "is_authenticated", False):
        raise PermissionRefused(_("请先登录。"))
    choices = {
        "email": email,
        "sms": sms,
        "wecom": wecom,
        "dingtalk": dingtalk,
        "wecom_app": wecom_app,
        "dingtalk_app": dingtalk_app,
    }
    preference, _created = ChannelPreference.objects.update_or_create(user=actor, defaults=choices)
    chosen = [str(Channel(name).label) for name, wanted in choices.items() if wanted]
    record(
        actor,
        "set_channel_preferences",
        _("设置通知方式：%(channels)s") % {"channels": "、".join(chosen) or _("仅站内通知")},
        data=choices,
    )
    return preference


@transaction.atomic
def create_calendar_feed(actor: Any) -> str:
    """Make the person's secret calendar URL, replacing (revoking) any earlier one;
    returns the token, which is shown once and kept only as its hash."""
    if not getattr(actor, "is_authenticated", False) or not actor.is_active:
        raise PermissionRefused(_("请先登录。"))
    token = calendar_feed.new_token()
    _feed, created = CalendarFeed.objects.update_or_create(
        user=actor,
        defaults={"token_hash": calendar_feed.token_hash(token), "created_at": clock.now()},
    )
    record(
        actor,
        "create_calendar_feed",
        _("生成日历订阅地址") if created else _("重新生成日历订阅地址，原地址已失效"),
    )
    return token


@transaction.atomic
def revoke_calendar_feed(actor: Any) -> None:
    """Stop the person's calendar URL: it answers 404 from now on."""
    if not getattr(actor, "is_authenticated", False):
        raise PermissionRefused(_("请先登录。"))
    deleted, _rows = CalendarFeed.objects.filter(user=actor).delete()
    if not deleted:
        raise StateRefused(_("您还没有日历订阅地址，无需停用。"))
    record(actor, "revoke_calendar_feed", _("停用日历订阅地址"))
