"""The one visibility rule (R-C5): may this person see this item?

Everything that shows items gets its rows from `Item.objects.visible_to(user)`,
which filters with `visible_items_filter`. The restricted kinds (R-C1–C4) extend
this function and nothing else.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Q

from duban.organisation.models import Role, UnitKind


def visible_items_filter(user: Any) -> Q:
    from .models import Item

    nothing = Q(pk__in=[])
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return nothing
    if user.role == Role.SCHOOL_LEADER:
        return Q()
    if user.role == Role.OFFICE_SUPERVISOR and user.unit_id is not None:
        if user.unit.kind == UnitKind.GENERAL_OFFICE:
            return Q()
        return Q(supervising_office_id=user.unit_id)
    if user.role in (Role.UNIT_HEAD, Role.LIAISON, Role.UNIT_MEMBER) and user.unit_id:
        cooperating = Item.cooperating_units.through.objects.filter(
            item_id=OuterRef("pk"), unit_id=user.unit_id
        )
        return Q(lead_unit_id=user.unit_id) | Q(Exists(cooperating))
    return nothing
