"""Item events become webhook deliveries here, and only here.

Every action records its audit event through `duban.audit.models.record_many`, in the
action's transaction; that function hands the events to `queue_for`, which maps the
audit verbs to webhook event kinds (`VERB_EVENTS`) and writes one `HookDelivery` per
event and subscribed endpoint, in the same transaction: an action that rolls back
sends nothing, and one that commits is sure to be sent. The worker is asked to send
them after the commit; sending never runs inside an action, so a receiver that is
down never holds one up.

Who hears what (R-C5): an endpoint receives the events of the items its creator may
see, by the one visibility rule. And as a chat group is no list of the people allowed
to see an item, neither is an outside system: an event about a sensitive, discipline
or classified item carries only its id, kind and time (`payload`), by the same rule
the group robots follow (`duban.notify.channels.may_post_to_group`).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from duban import clock
from duban.items.visibility import visible_pairs
from duban.notify.channels import may_post_to_group
from duban.notify.outbox import is_inbox_only

from .models import PING, Endpoint, EventKind, HookDelivery

VERB_EVENTS: dict[str, str] = {
    "establish": EventKind.ESTABLISHED,
    "assign": EventKind.ASSIGNED,
    "reassign": EventKind.ASSIGNED,
    "sign_for": EventKind.SIGNED_FOR,
    "return": EventKind.RETURNED,
    "submit_feedback": EventKind.FEEDBACK,
    "confirm_report": EventKind.REPORT_SUBMITTED,
    "accept_report": EventKind.COMPLETED,
    "return_report": EventKind.REPORT_RETURNED,
    "urge": EventKind.URGED,
    "request_extension": EventKind.EXTENSION_REQUESTED,
    "decide_extension": EventKind.EXTENSION_DECIDED,
    "change": EventKind.CHANGED,
    "adjust": EventKind.CHANGED,
    "terminate": EventKind.TERMINATED,
}


def event_kind(verb: str, data: dict[str, Any] | None) -> str | None:
    """The webhook event of an audit event, if it is one. The sweep's reminders
    (`duban.items.sweep`) are `item.overdue` when they are the overdue steps of the
    item itself (overdue-1, overdue-4, ..., leader-5), not of a part."""
    if verb == "reminder":
        step = str((data or {}).get("step", "")).split("@")[0]
        if step.startswith("overdue-") or step == "leader-5":
            return EventKind.OVERDUE
        return None
    return VERB_EVENTS.get(verb)


def item_url(item_id: int) -> str:
    return f"{settings.SITE_URL}{reverse('item-detail', args=[item_id])}"


def payload(event_id: uuid.UUID, kind: str, at: Any, item: Any, step: str = "") -> dict[str, Any]:
    """What a receiver is sent about `item`. Only an ordinary item's title, number,
    status, deadline and units leave the system; a restricted item's event says only
    which item (its id, to look up through the API with a token that may see it)."""
    body: dict[str, Any] = {
        "id": str(event_id),
        "event": kind,
        "created_at": timezone.localtime(at).isoformat(),
    }
    if not may_post_to_group(item):
        body["item"] = {"id": item.pk, "restricted": True, "url": item_url(item.pk)}
        return body
    body["item"] = {
        "id": item.pk,
        "restricted": False,
        "url": item_url(item.pk),
        "ledger_number": item.ledger_number,
        "title": item.title,
        "status": item.status,
        "status_label": str(item.get_status_display()),
        "deadline": item.deadline.isoformat(),
        "urgent": item.urgent,
        "lead_unit": {"id": item.lead_unit_id, "name": item.lead_unit.name},
    }
    if step:
        body["step"] = step
    return body


def ping_payload(event_id: uuid.UUID, endpoint: Endpoint, at: Any) -> dict[str, Any]:
    return {
        "id": str(event_id),
        "event": PING,
        "created_at": timezone.localtime(at).isoformat(),
        "endpoint": {"id": endpoint.pk, "name": endpoint.name},
    }


def queue_for(events: Sequence[Any]) -> list[HookDelivery]:
    """Write the deliveries of these just-recorded audit events (see the module's doc):
    nothing at all, not even a query, unless one of them is an item event."""
    if is_inbox_only():
        return []  # steps filled in from an old ledger happened long ago
    found = []
    for event in events:
        if event.item_id is None:
            continue
        kind = event_kind(event.verb, event.data)
        if kind is not None:
            found.append((event, kind))
    if not found:
        return []
    endpoints = list(Endpoint.objects.filter(is_active=True).select_related("created_by"))
    wanted = [
        (event, kind, [endpoint for endpoint in endpoints if kind in endpoint.events])
        for event, kind in found
    ]
    pairs = [
        (endpoint.created_by, event.item_id)
        for event, _kind, subscribed in wanted
        for endpoint in subscribed
    ]
    if not pairs:
        return []
    seeing = visible_pairs(pairs)
    now = clock.now()
    deliveries = []
    for event, kind, subscribed in wanted:
        readers = [e for e in subscribed if (e.created_by_id, event.item_id) in seeing]
        if not readers:
            continue
        event_id = uuid.uuid4()
        step = str((event.data or {}).get("step", "")) if kind == EventKind.OVERDUE else ""
        body = payload(event_id, kind, event.created_at, event.item, step)
        deliveries += [
            HookDelivery(
                endpoint=endpoint,
                event_id=event_id,
                event=kind,
                payload=body,
                next_attempt_at=now,
                created_at=now,
            )
            for endpoint in readers
        ]
    return write(deliveries)


def write(deliveries: Iterable[HookDelivery]) -> list[HookDelivery]:
    rows = HookDelivery.objects.bulk_create(list(deliveries))
    if rows:
        transaction.on_commit(enqueue_sending, robust=True)
    return rows


def enqueue_sending() -> None:
    """Queue the sending task now (called after the commit); should that fail, the
    periodic run picks the deliveries up."""
    from .tasks import deliver_due

    deliver_due.enqueue()
