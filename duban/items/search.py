"""Searching items by keyword: the one rule the ledger and the API share.

An item matches when its ledger number, title or content contains the keyword, case
aside (ILIKE), or when its lead unit's name or one of its aliases does. On PostgreSQL
a keyword of two characters or more is first looked up in the bigram index (migration
items 0009): every two-character slice of the keyword must be among the item's
slices, which the GIN index answers without reading the items; ILIKE then confirms
the match on the rows found. The two conditions together select exactly what ILIKE
alone would. A keyword of two caseless letters (two Chinese characters, the common
search) is its own one slice, and the index's answer is already exact
(`exact_by_slices`): ILIKE, which read each found item's whole content again, is left
out.
"""

from __future__ import annotations

import unicodedata

from django.db import connection
from django.db.models import BooleanField, Q
from django.db.models.expressions import RawSQL

from duban.organisation.models import Unit

# At most this many slices go into the index lookup; ILIKE checks the rest.
MAX_BIGRAMS = 32
INDEXED = (
    'duban_bigrams("items_item"."ledger_number" || \' \' || "items_item"."title" '
    '|| \' \' || "items_item"."content")'
)


def bigrams(keyword: str) -> list[str]:
    text = keyword.lower()
    slices = []
    for index in range(len(text) - 1):
        piece = text[index : index + 2]
        if piece not in slices:
            slices.append(piece)
    return slices[:MAX_BIGRAMS]


def tsquery(slices: list[str]) -> str:
    """The slices as a tsquery literal: each quoted, quotes and backslashes escaped."""
    quoted = ("'" + piece.replace("\\", "\\\\").replace("'", "''") + "'" for piece in slices)
    return " & ".join(quoted)


def exact_by_slices(keyword: str) -> bool:
    """Whether an item has the keyword's slices exactly when its number, title or
    content contains the keyword: a keyword of two letters without case (category Lo:
    Chinese characters, kana, Hangul). Its one slice is then the keyword itself, the
    same in lower and upper case, and no slice spans two of the fields, which are
    joined by spaces."""
    return len(keyword) == 2 and all(unicodedata.category(char) == "Lo" for char in keyword)


def keyword_filter(keyword: str) -> Q:
    """Items whose number, title or content contains `keyword` (see the module), or
    whose lead unit's name or alias does: the few units are looked up first (one
    query), so the items are found by the indexed lead unit, not by a join."""
    matches = (
        Q(title__icontains=keyword)
        | Q(ledger_number__icontains=keyword)
        | Q(content__icontains=keyword)
    )
    slices = bigrams(keyword)
    if connection.vendor == "postgresql" and slices:
        # The SQL is this module's constant; the keyword goes in as a parameter.
        indexed = RawSQL(  # noqa: S611
            f"{INDEXED} @@ %s::tsquery", [tsquery(slices)], output_field=BooleanField()
        )
        matches = Q(indexed) if exact_by_slices(keyword) else Q(indexed) & matches
    units = list(
        Unit.objects.filter(Q(name__icontains=keyword) | Q(aliases__icontains=keyword))
        .order_by()
        .values_list("pk", flat=True)
    )
    return matches | Q(lead_unit_id__in=units) if units else matches
