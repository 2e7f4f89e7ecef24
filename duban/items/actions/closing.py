"""What closes with an item (completed, terminated, archived): its waiting extension
request (R-E1). One function, called by every action that closes an item."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from duban import clock
from duban.audit.models import record

from ..models import ExtensionRequest, ExtensionStatus, Item


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
