"""Reading work parts (R-A4): an item's parts with their lights, and finding the part a
person acts on. Parts are seen with their item (the visibility rule, R-C5): whoever sees
the item sees its division; a cooperating unit acts only on its own parts, and another
unit's part is not found for it (404)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet

from .lights import annotate_part_lights
from .models import Item, WorkPart
from .policy import cooperating_unit_of


def item_parts(item: Item, today: dt.date | None = None) -> QuerySet[WorkPart]:
    """The item's parts, by date, with `light` (one query)."""
    return annotate_part_lights(
        WorkPart.objects.filter(item=item).select_related("unit").order_by("deadline", "pk"),
        today,
    )


def part_to_act_on(user: Any, item: Item, part_id: int, *, own_only: bool) -> WorkPart | None:
    """The part `part_id` of a visible `item`; with `own_only` (signing, reporting)
    only one of the person's own cooperating unit."""
    parts = WorkPart.objects.filter(item=item, pk=part_id).select_related("unit", "item")
    if own_only:
        unit = cooperating_unit_of(user, item)
        if unit is None:
            return None
        parts = parts.filter(unit=unit)
    return parts.first()
