"""Small template helpers of the pages."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template

from duban.items.states import ACTIVE_STATUSES

register = template.Library()


@register.filter
def is_overdue(item: Any, today: dt.date) -> bool:
    """Overdue from the day after the deadline, while the item is active (R-U4)."""
    return bool(item.status in ACTIVE_STATUSES and item.deadline < today)
