"""我的视图: each person's saved ledger filters.

A saved view is a personal preference, not part of the supervision record: these
small functions save and delete it without an audit event. Only the owner sees or
deletes a view. What is kept is the ledger's own query string, cleaned of anything
the ledger does not read (the page number, unknown parameters), so opening a view is
just opening /items/?<query>, through the visibility rule like any ledger page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.http import QueryDict
from django.utils.translation import gettext as _

from .models import SavedView

VIEW_LIMIT = 20  # views per person
NAME_LIMIT = 40
QUERY_LIMIT = 1000
# The parameters of the ledger page that a view keeps (LedgerFilterForm, sort, size).
KEPT_PARAMETERS = (
    "year",
    "source_kind",
    "status",
    "lead_unit",
    "overdue",
    "extension",
    "light",
    "q",
    "sort",
    "per_page",
)


class ViewRefused(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Saved:
    view: SavedView
    replaced: bool  # a view of that name existed and now holds the new query


def saved_views_of(user: Any) -> QuerySet[SavedView]:
    return SavedView.objects.filter(owner_id=user.pk).only("id", "name", "query")


def clean_query(query: str) -> str:
    """The ledger parameters of `query` (a query string), in a fixed order, empty
    values left out."""
    parsed = QueryDict(query)
    kept = QueryDict(mutable=True)
    for name in KEPT_PARAMETERS:
        values = [value for value in parsed.getlist(name) if value.strip()]
        if values:
            kept.setlist(name, values[:1])
    return kept.urlencode()


def save_view(user: Any, name: str, query: str) -> Saved:
    """Save the ledger's `query` as `name` for `user`; a view of the same name is
    replaced. Refuses (ViewRefused, with the reason in Chinese) an empty or long name,
    a long query, or a 21st view."""
    name = " ".join(str(name or "").split())
    if not name:
        raise ViewRefused(_("请填写视图名称。"))
    if len(name) > NAME_LIMIT:
        raise ViewRefused(_("视图名称最多%(limit)d个字。") % {"limit": NAME_LIMIT})
    query = clean_query(str(query or ""))
    if len(query) > QUERY_LIMIT:
        raise ViewRefused(_("筛选条件过长，无法保存为视图。"))
    with transaction.atomic():
        existing = SavedView.objects.select_for_update().filter(owner_id=user.pk, name=name)
        view = existing.first()
        if view is not None:
            view.query = query
            view.save(update_fields=["query", "updated_at"])
            return Saved(view, replaced=True)
        if SavedView.objects.filter(owner_id=user.pk).count() >= VIEW_LIMIT:
            raise ViewRefused(
                _("最多保存%(limit)d个视图，请先删除不再使用的视图。") % {"limit": VIEW_LIMIT}
            )
        try:
            with transaction.atomic():
                view = SavedView.objects.create(owner=user, name=name, query=query)
        except IntegrityError:  # the same name saved at the same moment by another tab
            raise ViewRefused(_("已有同名视图，请刷新页面后重试。")) from None
    return Saved(view, replaced=False)


def delete_view(user: Any, view_id: int) -> SavedView | None:
    """Delete the view if `user` owns it; None (nothing deleted) otherwise."""
    view = SavedView.objects.filter(owner_id=user.pk, pk=view_id).first()
    if view is None:
        return None
    view.delete()
    return view
