"""A person's inbox: their notices, through the one visibility rule (R-C5).

A notice about an item is shown only while its reader may see the item — after a
recusal or a reassignment it disappears, title and all. Every inbox view, count and
API endpoint reads notices through `inbox`.
"""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.db.models import Q, QuerySet

from duban.compiled import NOTHING, compiled_once
from duban.items.models import Notice
from duban.items.visibility import person_key, visible_items_filter


def inbox(user: Any) -> QuerySet[Notice]:
    # The rule is applied to each notice's own item (a join on the recipient's few
    # notices), not by listing every item the reader may see.
    return Notice.objects.filter(
        Q(item__isnull=True) | visible_items_filter(user, "item__"), recipient=user
    )


def unread_count(user: Any) -> int:
    """How many of the inbox's notices are unread (every page's header): the count's
    SQL compiled once per person (`compiled_once`) and run as it is."""

    def compile_sql() -> tuple[str, tuple[Any, ...]]:
        rows = inbox(user).filter(read_at__isnull=True).order_by().values("pk")
        sql, params = rows.query.sql_with_params()
        return f"SELECT COUNT(*) FROM ({sql}) unread", tuple(params)  # noqa: S608

    entry = compiled_once(("unread", connection.vendor, *person_key(user)), compile_sql)
    if entry is NOTHING:  # the rule lets this person see no notice
        return 0
    sql, params = entry
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return int(cursor.fetchone()[0])
