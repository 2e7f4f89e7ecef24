"""What follows from a change of an item, in the changing action's transaction:

- it closes (completed, terminated, archived): its waiting extension request expires
  (R-E1) and its open work parts close (R-A4) — `close_with_item`, called by every
  action that closes an item;
- its deadline moves: open parts dated after it are flagged for the lead unit to
  re-date (R-A4) — `flag_parts_past_deadline`, called by every action that sets one."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.utils.translation import gettext as _

from duban import clock
from duban.audit.models import record

from ..models import (
    OPEN_PART_STATUSES,
    ExtensionRequest,
    ExtensionStatus,
    Item,
    PartStatus,
    WorkPart,
)


def expire_pending_request(actor: Any, item: Item, reason: str) -> ExtensionRequest | None:
    """An item that closes (completed, terminated, archived) takes its waiting extension
    request with it: 已失效, with the reason, audited. Call inside the closing action's
    transaction; nothing stays 待审批 on a closed item."""
    request = (
        ExtensionRequest.objects.select_for_update()
        .filter(item=item, status=ExtensionStatus.PENDING)
        .first()
    )
    if request is None:
        return None
    request.status = ExtensionStatus.EXPIRED
    request.decided_at = clock.now()
    request.comment = reason
    request.save(update_fields=["status", "decided_at", "comment"])
    record(
        actor,
        "expire_extension",
        _("延期申请已失效：%(reason)s") % {"reason": reason},
        item=item,
        data={"request": request.pk, "reason": reason},
    )
    return request


def close_open_parts(item: Item) -> int:
    """The item closed: its parts not yet reported close with it and take no more
    reports (a frozen part)."""
    return item.parts.filter(status__in=OPEN_PART_STATUSES).update(
        status=PartStatus.CLOSED, closed_at=clock.now()
    )


def close_with_item(actor: Any, item: Item, reason: str) -> None:
    close_with_items(actor, [item], reason)


def close_with_items(actor: Any, items: Sequence[Item], reason: str) -> None:
    """`close_with_item` for the items a batch closes: their waiting requests found
    and their open parts closed with one query each, however many items (the parts
    are dated at the moment of the call)."""
    if not items:
        return
    waiting = set(
        ExtensionRequest.objects.filter(
            item__in=[item.pk for item in items], status=ExtensionStatus.PENDING
        ).values_list("item_id", flat=True)
    )
    for item in items:
        if item.pk in waiting:
            expire_pending_request(actor, item, reason)
    WorkPart.objects.filter(
        item__in=[item.pk for item in items], status__in=OPEN_PART_STATUSES
    ).update(status=PartStatus.CLOSED, closed_at=clock.now())


def flag_parts_past_deadline(item: Item) -> int:
    """Open parts dated after the item's (new) deadline wait for the lead unit to
    re-date them; returns how many were flagged."""
    return item.parts.filter(status__in=OPEN_PART_STATUSES, deadline__gt=item.deadline).update(
        needs_redate=True
    )
