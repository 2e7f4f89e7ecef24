"""The ledger's pages: counted up to a bound, so a page costs the same at any size.

Counting every row a person may see costs a read of each: 40 ms for the office's 92,000
items at 100,000, on every ledger page, for a figure nobody pages through. The ledger
counts at most `COUNT_LIMIT` rows (an index walk that stops there); beyond it the page
says "more than 10,000 items", lists the first 10,000 (500 pages of 20) and asks to
narrow them with the filters. The exact figures of a year are the dashboard's and the
assessment's (duban.reports), and the export carries every filtered row up to its own
limit.
"""

from __future__ import annotations

from typing import Any, cast

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.utils.functional import cached_property

COUNT_LIMIT = 10_000


def bounded_count(rows: QuerySet[Any], limit: int = COUNT_LIMIT) -> int:
    """How many rows there are, counted up to `limit + 1` (more than `limit` when the
    answer is larger): COUNT(*) over `SELECT id ... LIMIT limit + 1`, no sort, no
    annotations."""
    return rows.order_by().values("pk")[: limit + 1].count()


class BoundedPaginator(Paginator):
    """A paginator over at most `limit` rows; `more` says whether there are others."""

    def __init__(
        self,
        object_list: Any,
        per_page: int,
        limit: int | None = None,
        counted: QuerySet[Any] | None = None,
    ) -> None:
        super().__init__(object_list, per_page)
        self.limit = COUNT_LIMIT if limit is None else limit
        # The same rows as counted, when a form of them counts faster (count_gate).
        self.counted_rows = cast(QuerySet[Any], object_list) if counted is None else counted

    @cached_property
    def _counted(self) -> int:
        return bounded_count(self.counted_rows, self.limit)

    @cached_property
    def count(self) -> int:
        return min(self._counted, self.limit)

    @cached_property
    def more(self) -> bool:
        return self._counted > self.limit
