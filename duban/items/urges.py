"""Reading urges (R-U2): an item's record of chases and the count per unit.

Urges are written only by `actions.urge_item` (manual) and `sweep` (automatic).
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q, QuerySet

from .lights import start_of
from .models import Item, Urge

# Reminders before the deadline go to every unit for every item; they chase nobody, so
# they are not counted against a unit (the steps "deadline-3" and "deadline-0").
PRE_DEADLINE_STEPS = "deadline-"


def item_urges(item: Item) -> QuerySet[Urge]:
    """The item's urges, oldest first, with the people shown (one query)."""
    return item.urges.select_related("unit", "recipient", "urged_by").order_by("created_at", "id")


def counted_urges() -> QuerySet[Urge]:
    """Urges counted against the unit urged: every manual urge and every automatic one
    but the reminders before the deadline. Urges about a cooperating unit's part (R-A4:
    by the lead unit, or the part's own reminders) are counted apart (`part_urges`)."""
    return Urge.objects.filter(part__isnull=True).exclude(step__startswith=PRE_DEADLINE_STEPS)


def part_urges() -> QuerySet[Urge]:
    """Urges of cooperating units about their parts (R-A4), apart from the office's."""
    return Urge.objects.filter(part__isnull=False).exclude(step__contains="-deadline-")


# A manual urge has no sweep step; an automatic one is a step of the ladder (R-U2).
MANUAL = Q(step="")
AUTOMATIC = ~Q(step="")


def urges_received_by_unit(year: int) -> dict[int, int]:
    """Urges each unit received in `year` (local calendar year), by unit id; units
    without any are absent. One aggregate query."""
    rows = (
        counted_urges()
        .filter(
            created_at__gte=start_of(dt.date(year, 1, 1)),
            created_at__lt=start_of(dt.date(year + 1, 1, 1)),
        )
        .values("unit_id")
        .annotate(count=Count("id"))
        .order_by()
    )
    return {row["unit_id"]: row["count"] for row in rows}
