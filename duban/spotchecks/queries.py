"""Reading spot checks: who sees which rectifications, and their warning lights.

Every rectification shown comes through `visible_rectifications`, which keeps only
those whose item the person may see (`Item.objects.visible_to`, R-C5).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Case, CharField, Q, QuerySet, Value, When

from duban import clock
from duban.items.lights import GREEN, GREY, deadline_lights, due_soon_until
from duban.items.models import Item
from duban.organisation.models import Role

from .actions import may_spot_check
from .models import Rectification, RectificationStatus

UNIT_ROLES = (Role.LIAISON, Role.UNIT_HEAD, Role.UNIT_MEMBER)


def may_see_rectifications(user: Any) -> bool:
    return may_spot_check(user) or (user.role in UNIT_ROLES and user.unit_id is not None)


def visible_rectifications(user: Any) -> QuerySet[Rectification]:
    """The office's rectifications for its supervisors; a unit's own for its people."""
    rows = Rectification.objects.filter(item__in=Item.objects.visible_to(user))
    if may_spot_check(user):
        return rows.filter(spot_check__draw__office_id=user.unit_id)
    if user.role in UNIT_ROLES and user.unit_id is not None:
        return rows.filter(unit_id=user.unit_id)
    return rows.none()


def annotate_rectification_lights(
    queryset: QuerySet[Rectification], today: dt.date | None = None
) -> QuerySet[Rectification]:
    """Add `light` to each rectification, like an item's (R-U4), in the rows' own SQL:

    grey   — accepted (closed);
    red    — not accepted and overdue: today > deadline (from the day after it);
    yellow — not accepted and the deadline is within 3 working days, the deadline day
             itself included: deadline <= add_workdays(today, 3);
    green  — everything else.

    The working-day date is asked of the calendar module once, then compared in SQL.
    """
    today = today or clock.today()
    accepted = Q(status=RectificationStatus.ACCEPTED)
    return queryset.annotate(
        light=Case(
            When(accepted, then=Value(GREY)),
            *deadline_lights(~accepted, today, due_soon_until(today)),
            default=Value(GREEN),
            output_field=CharField(),
        )
    )
