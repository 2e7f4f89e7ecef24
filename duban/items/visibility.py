"""The one visibility rule (R-C5): may this person see this item?

Everything that shows items gets its rows from `Item.objects.visible_to(user)`,
which filters with `visible_items_filter`. The restricted kinds (R-C1–C4) extend
this function and nothing else.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Q

from duban.organisation.models import Role

from .models import Confidentiality, Item


def visible_items_filter(user: Any) -> Q:
    nothing = Q(pk__in=[])
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return nothing
    if user.role == Role.SCHOOL_LEADER:
        # Discipline items are seen only by their office and the lead unit (R-C2).
        return ~Q(confidentiality=Confidentiality.DISCIPLINE)
    if user.role == Role.OFFICE_SUPERVISOR and user.unit_id is not None:
        # Each supervising office sees the items it supervises (R-C2, R-C3).
        return Q(supervising_office_id=user.unit_id)
    if user.role in (Role.UNIT_HEAD, Role.LIAISON, Role.UNIT_MEMBER) and user.unit_id:
        cooperating = Item.cooperating_units.through.objects.filter(
            item_id=OuterRef("pk"), unit_id=user.unit_id
        )
        return Q(lead_unit_id=user.unit_id) | Q(Exists(cooperating))
    return nothing
