"""A person's inbox: their notices, through the one visibility rule (R-C5).

A notice about an item is shown only while its reader may see the item — after a
recusal or a reassignment it disappears, title and all. Every inbox view, count and
API endpoint reads notices through `inbox`.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from duban.items.models import Item, Notice


def inbox(user: Any) -> QuerySet[Notice]:
    visible_items = Item.objects.visible_to(user).values("pk")
    return Notice.objects.filter(Q(item__isnull=True) | Q(item__in=visible_items), recipient=user)
