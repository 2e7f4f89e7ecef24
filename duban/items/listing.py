"""The ledger's filters: one rule for the ledger page, its Excel export and the API.

`filter_items(items, filters, thresholds)` narrows rows that carry their lights
(`lights.annotate_lights`, with the same `thresholds`). Each filter is a condition on
indexed columns where it can be: overdue and lights as status and deadline ranges
(R-U4), the keyword through `duban.items.search`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from .extension_rules import pending_extension_filter
from .lights import LightThresholds, light_filter, overdue_filter
from .models import Item
from .search import keyword_filter


@dataclass(frozen=True)
class LedgerFilters:
    year: int | None = None
    source_kind: str | None = None
    status: str | None = None
    lead_unit: int | None = None
    overdue: bool | None = None  # True: past the deadline and still active
    light: str | None = None
    pending_extension: bool = False  # an extension request awaits its approver (R-E3)
    keyword: str = ""


def filter_items(
    items: QuerySet[Item], filters: LedgerFilters, thresholds: LightThresholds
) -> QuerySet[Item]:
    conditions: dict[str, Any] = {
        "year": filters.year,
        "source_kind": filters.source_kind,
        "status": filters.status,
        "lead_unit_id": filters.lead_unit,
    }
    items = items.filter(**{name: value for name, value in conditions.items() if value})
    if filters.overdue is True:
        items = items.filter(overdue_filter(thresholds.today))
    elif filters.overdue is False:
        items = items.exclude(overdue_filter(thresholds.today))
    if filters.light:
        items = items.filter(light_filter(filters.light, thresholds))
    if filters.pending_extension:
        items = items.filter(pending_extension_filter())
    keyword = filters.keyword.strip()
    if keyword:
        items = items.filter(keyword_filter(keyword))
    return items
