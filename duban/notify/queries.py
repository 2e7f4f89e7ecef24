"""Which deliveries a person may see: those of notices about items they may see
(through the one visibility rule, R-C5), and those of notices about no item."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from duban.items.models import Item

from .models import Delivery, DeliveryStatus


def deliveries_visible_to(user: Any) -> QuerySet[Delivery]:
    return Delivery.objects.filter(
        Q(notice__item__isnull=True) | Q(notice__item__in=Item.objects.visible_to(user))
    )


def troubled(deliveries: QuerySet[Delivery]) -> QuerySet[Delivery]:
    """Failed deliveries and those still being retried after a failure."""
    return deliveries.filter(
        Q(status=DeliveryStatus.FAILED) | Q(status=DeliveryStatus.PENDING, attempts__gt=0)
    )
