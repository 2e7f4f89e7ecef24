"""A person's inbox: their notices, through the one visibility rule (R-C5).

A notice about an item is shown only while its reader may see the item — after a
recusal or a reassignment it disappears, title and all. Every inbox view, count and
API endpoint reads notices through `inbox`.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from duban.items.models import Notice
from duban.items.visibility import visible_items_filter


def inbox(user: Any) -> QuerySet[Notice]:
    # The rule is applied to each notice's own item (a join on the recipient's few
    # notices), not by listing every item the reader may see.
    return Notice.objects.filter(
        Q(item__isnull=True) | visible_items_filter(user, "item__"), recipient=user
    )
