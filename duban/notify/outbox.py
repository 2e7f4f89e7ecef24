"""The one outbox: every notice is written here, in the transaction of the event
that causes it, and delivered later by the background engine.

`notify` writes the in-app notices and, in the same transaction, one `Delivery` per
outside channel each person receives: their preferences (`ChannelPreference`; email
only without one) plus the channels the sender forces, each only where the
deployment has the channel and the person has an address. A group robot (WeCom,
DingTalk) gets one delivery per batch, not one per person. A personal work notice
(企业微信, 钉钉) goes to a person with a recorded account on the platform, or with a
手机 by which the sender finds it (`platforms.account_id`). After the commit the
delivery task is queued; should that fail, the periodic run picks the rows up.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from duban import clock
from duban.items.models import Notice
from duban.items.visibility import is_visible_to

from . import channels, platforms
from .models import (
    GROUP_CHANNELS,
    PLATFORM_OF_CHANNEL,
    Channel,
    ChannelPreference,
    Delivery,
    PlatformAccount,
)

logger = logging.getLogger("duban.notify")

# Every channel a sender may force; "system" is the in-app inbox, which everyone gets.
FORCEABLE_CHANNELS = frozenset({"system", *Channel.values})


_quiet = threading.local()


@contextlib.contextmanager
def inbox_only() -> Iterator[None]:
    """Within the block notices reach the inbox only, with no email, SMS or robot
    message: for steps filled in from an old ledger, which happened long ago."""
    previous = getattr(_quiet, "on", False)
    _quiet.on = True
    try:
        yield
    finally:
        _quiet.on = previous


def is_inbox_only() -> bool:
    """Whether the caller is inside `inbox_only` (webhooks stay quiet there too)."""
    return bool(getattr(_quiet, "on", False))


@dataclass(frozen=True)
class Message:
    """One notice to several people about one item (see `notify_many`)."""

    recipients: Iterable[Any]
    item: Any
    title: str
    body: str = ""
    seeing: frozenset[int] = frozenset()
    created_at: Any = None  # when it was written, if not now (a batch of dated steps)


def notify(
    recipients: Iterable[Any],
    item: Any,
    title: str,
    body: str = "",
    *,
    force_channels: Sequence[str] = (),
    seeing: frozenset[int] = frozenset(),
) -> list[Notice]:
    """Put a notice in each recipient's inbox (once per person) and queue its delivery
    on the person's channels; `force_channels` (e.g. ("sms",)) adds channels the
    sender chose regardless of preferences. `seeing`: the ids of recipients the caller
    has just found may see the item (`visibility.visible_pairs`), not asked again.
    Returns the notices written."""
    message = Message(recipients, item, title, body, seeing)
    return notify_many([message], force_channels=force_channels)[0]


def notify_roles(roles: Sequence[str], title: str, body: str = "") -> list[Notice]:
    """A notice about no item to every active person holding one of `roles` (the
    administrators: a broken audit chain, a failed backup, a new supervisor)."""
    from duban.organisation.models import User

    people = User.objects.filter(role__in=roles, is_active=True).order_by("pk")
    return notify(list(people), None, title, body)


def notify_many(
    messages: Sequence[Message], *, force_channels: Sequence[str] = ()
) -> list[list[Notice]]:
    """`notify` for several messages at once, in a constant number of queries (the
    sweep's batches): the notices written for each message, in order."""
    unknown = set(force_channels) - FORCEABLE_CHANNELS
    if unknown:
        raise ValueError(f"unknown notification channels: {sorted(unknown)}")
    now = clock.now()
    addressed: list[tuple[Message, list[Any]]] = []
    for message in messages:
        people: list[Any] = []
        seen: set[int] = set()
        for person in message.recipients:
            if person is None or person.pk in seen:
                continue
            seen.add(person.pk)
            people.append(person)
        if message.item is not None:
            # A notice shows its item, so it goes only to people who may see it (R-C5):
            # never to a recused person or unit, whatever their role (R-C4).
            people = [
                person
                for person in people
                if person.pk in message.seeing or is_visible_to(person, message.item)
            ]
        addressed.append((message, people))
    if not any(people for _message, people in addressed):
        return [[] for _message in messages]
    with transaction.atomic(savepoint=False):
        notices = Notice.objects.bulk_create(
            [
                Notice(
                    recipient=person,
                    item=message.item,
                    title=message.title,
                    body=message.body,
                    created_at=message.created_at or now,
                )
                for message, people in addressed
                for person in people
            ]
        )
        written: list[list[Notice]] = []
        for _message, people in addressed:
            written.append(notices[: len(people)])
            notices = notices[len(people) :]
        deliveries = (
            []
            if getattr(_quiet, "on", False)
            else _deliveries(addressed, written, set(force_channels), now)
        )
        if deliveries:
            Delivery.objects.bulk_create(deliveries)
            transaction.on_commit(enqueue_delivery, robust=True)
    return written


def _deliveries(
    addressed: list[tuple[Message, list[Any]]],
    written: list[list[Notice]],
    forced: set[str],
    now: Any,
) -> list[Delivery]:
    open_channels = channels.available()
    if not open_channels:
        return []
    everyone = {person.pk for _message, people in addressed for person in people}
    # One query for everyone's preferences; a person without a row gets the defaults.
    preferences = {
        preference.user_id: preference
        for preference in ChannelPreference.objects.filter(user_id__in=everyone)
    }
    personal = [channel for channel in PLATFORM_OF_CHANNEL if channel in open_channels]
    accounts: dict[tuple[int, str], str] = {}
    if personal:
        accounts = {
            (user_id, platform): account
            for user_id, platform, account in PlatformAccount.objects.filter(
                user_id__in=everyone
            ).values_list("user_id", "platform", "account_id")
        }
    default = ChannelPreference()
    deliveries: list[Delivery] = []
    for (message, people), notices in zip(addressed, written, strict=True):
        group_notice: dict[str, Notice] = {}
        for person, notice in zip(people, notices, strict=True):
            if not person.is_active:
                continue
            preference = preferences.get(person.pk, default)

            def wanted(channel: str, preference: ChannelPreference = preference) -> bool:
                return channel in open_channels and (channel in forced or preference.wants(channel))

            if wanted(Channel.EMAIL) and person.email:
                deliveries.append(_delivery(notice, Channel.EMAIL, person.email, now))
            if wanted(Channel.SMS) and person.phone:
                deliveries.append(_delivery(notice, Channel.SMS, person.phone, now))
            for channel in personal:
                # The address shown to the office: the account (recorded, or the 工号 where
                # the platform's userids are the 工号), else the 手机 it is found by.
                platform = PLATFORM_OF_CHANNEL[channel]
                address = (
                    accounts.get((person.pk, platform))
                    or platforms.account_by_staff_number(platform, person)
                    or person.phone
                )
                if wanted(channel) and address:
                    deliveries.append(_delivery(notice, channel, address, now))
            for channel in GROUP_CHANNELS:
                if wanted(channel) and channel not in group_notice:
                    group_notice[channel] = notice
        if group_notice and channels.may_post_to_group(message.item):
            for group_channel, first_notice in group_notice.items():
                deliveries.append(_delivery(first_notice, group_channel, "", now))
    return deliveries


def _delivery(notice: Notice, channel: str, address: str, now: Any) -> Delivery:
    return Delivery(
        notice=notice,
        channel=channel,
        address=address,
        next_attempt_at=now,
        created_at=now,
    )


def enqueue_delivery() -> None:
    """Queue the delivery task now (called after the commit)."""
    from .tasks import deliver_due

    deliver_due.enqueue()
