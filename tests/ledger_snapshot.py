"""A year of the ledger as plain data, to compare two databases (the round trip of
tests/test_ledger_round_trip.py). Run in either database: inside a test, and in the
subprocess that exports the demo year (`manage.py shell -c`)."""

from __future__ import annotations

import json
from typing import Any

from django.utils import timezone

from duban.items.models import Confidentiality, ExtensionRequest, Item
from duban.items.states import Status

RESTRICTED = (Confidentiality.DISCIPLINE, Confidentiality.CLASSIFIED)
REPORTED = (Status.SUBMITTED, Status.COMPLETED, Status.ARCHIVED)


def _day(moment: Any) -> str | None:
    return timezone.localdate(moment).isoformat() if moment else None


def item_facts(item: Item) -> dict[str, Any]:
    """What the ledger says of an item: its number, units, deadlines, state, leaders
    and dates (the round trip keeps each)."""
    request = ExtensionRequest.objects.filter(item=item).first()
    return {
        "number": item.ledger_number,
        "year": item.year,
        "title": item.title,
        "content": item.content,
        "basis": item.basis,
        "source": [item.source_kind, item.source_body],
        "lead_unit": item.lead_unit.name,
        "cooperating_units": sorted(unit.name for unit in item.cooperating_units.all()),
        "deadline": str(item.deadline),
        "original_deadline": str(item.original_deadline),
        "status": item.status,
        "deciding_leader": item.deciding_leader.full_name if item.deciding_leader_id else None,
        "decided_on": str(item.decided_on) if item.decided_on else None,
        "confidentiality": item.confidentiality,
        "urgent": item.urgent,
        "established": _day(item.established_at),
        "assigned": _day(item.assigned_at),
        "submitted": _day(item.submitted_at) if item.status in REPORTED else None,
        "completed": _day(item.completed_at),
        "terminated": _day(item.terminated_at),
        "extension": request
        and [
            request.status,
            str(request.current_deadline),
            str(request.requested_deadline),
            _day(request.created_at),
            _day(request.decided_at),
        ],
    }


def year_snapshot(year: int) -> dict[str, dict[str, Any]]:
    """Every item of the year that `export_ledger --year` writes by default."""
    items = (
        Item.objects.filter(year=year)
        .exclude(confidentiality__in=RESTRICTED)
        .select_related("lead_unit", "deciding_leader")
        .order_by("ledger_number")
    )
    return {item.ledger_number: item_facts(item) for item in items}


def dump(year: int) -> str:
    return json.dumps(year_snapshot(year), ensure_ascii=False, sort_keys=True)
