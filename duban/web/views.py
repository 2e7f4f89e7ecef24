"""我的工作, the ledger (督办工作台账) and the inbox.

The item pages (detail, establish, actions) live in `item_views`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe

from duban import clock
from duban.items import actions
from duban.items.lights import annotate_lights, light_thresholds
from duban.items.listing import LedgerFilters, filter_items
from duban.items.models import Item, ledger_years
from duban.items.visibility import count_gate
from duban.notify.inbox import inbox as readable_notices
from duban.organisation.models import User

from .forms import LedgerFilterForm
from .paging import BoundedPaginator
from .saved_views import saved_views_of
from .worklists import ROW_COLUMNS, work_lists

PAGE_SIZE = 20


def current_user(request: HttpRequest) -> User:
    """The signed-in person (the views are all behind `login_required`)."""
    return cast(User, request.user)


@require_safe
@login_required
def my_work(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    return render(
        request,
        "web/my_work.html",
        {"work_lists": work_lists(user), "today": clock.today()},
    )


# ----------------------------------------------------------------------------- ledger


def ledger_filters(cleaned: dict[str, Any]) -> LedgerFilters:
    """The form's valid filters as the ledger's rule takes them."""
    overdue = {"yes": True, "no": False}.get(cleaned.get("overdue") or "")
    unit = cleaned.get("lead_unit")
    return LedgerFilters(
        year=cleaned.get("year") or None,
        source_kind=cleaned.get("source_kind") or None,
        status=cleaned.get("status") or None,
        lead_unit=unit.pk if unit is not None else None,
        overdue=overdue,
        light=cleaned.get("light") or None,
        pending_extension=cleaned.get("extension") == "pending",
        keyword=cleaned.get("q") or "",
    )


# The ledger's orders, each read in the order of an index of the items (duban/items
# migration 0010; tests/test_query_plans.py): the first page of any order stops after
# its rows instead of sorting every visible item. "-key" is each order reversed.
LEDGER_SORTS: dict[str, tuple[str, ...]] = {
    # By ledger number: year, category and serial (Item.Meta.ordering is "-number").
    "number": ("year", "-source_kind", "serial"),
    "deadline": ("deadline", "id"),
    # By the lead unit's code (the university's own order of its units).
    "unit": ("lead_unit__code", "deadline", "id"),
    # By status, grouped by its code; within a status, the nearest deadline first.
    "status": ("status", "deadline", "id"),
}
DEFAULT_SORT = "-number"
# The same orders as a choice in the filter form, for phones (where the table's header
# row, with its sort links, is not shown).
SORT_CHOICES = (
    ("-number", gettext_lazy("台账编号（新→旧）")),
    ("number", gettext_lazy("台账编号（旧→新）")),
    ("deadline", gettext_lazy("办结时限（近→远）")),
    ("-deadline", gettext_lazy("办结时限（远→近）")),
    ("unit", gettext_lazy("承办单位")),
    ("-unit", gettext_lazy("承办单位（倒序）")),
    ("status", gettext_lazy("状态")),
    ("-status", gettext_lazy("状态（倒序）")),
)
PAGE_SIZES = (20, 50, 100)


def _reversed(field: str) -> str:
    return field[1:] if field.startswith("-") else f"-{field}"


def ledger_sort(query: Any) -> str:
    """The sort the query asks for, if it is one of LEDGER_SORTS; the default otherwise."""
    sort = str((query or {}).get("sort") or "")
    return sort if sort.removeprefix("-") in LEDGER_SORTS else DEFAULT_SORT


def ledger_order(sort: str) -> tuple[str, ...]:
    fields = LEDGER_SORTS[sort.removeprefix("-")]
    if sort.startswith("-"):
        return tuple(_reversed(field) for field in fields)
    return fields


def ledger_page_size(query: Any) -> int:
    """The page size the query asks for, if it is one of PAGE_SIZES; 20 otherwise."""
    asked = str((query or {}).get("per_page") or "")
    return int(asked) if asked in {str(size) for size in PAGE_SIZES} else PAGE_SIZE


def ledger_items(user: User, query: Any) -> tuple[LedgerFilterForm, QuerySet[Item]]:
    """The ledger's filter form and rows for `query` (the page's GET parameters), in the
    order it asks for: the page and its Excel export (duban.ledger) both take their rows
    from here."""
    visible = Item.objects.visible_to(user)
    form = LedgerFilterForm(query or None, years=ledger_years())
    filters: dict[str, Any] = {}
    if form.is_bound:
        form.is_valid()  # an invalid filter is shown as an error and ignored
        filters = form.cleaned_data
    thresholds = light_thresholds()
    rows = annotate_lights(visible, thresholds=thresholds)
    rows = filter_items(rows, ledger_filters(filters), thresholds)
    return form, rows.order_by(*ledger_order(ledger_sort(query)))


@dataclass(frozen=True)
class SortColumn:
    """A sortable column's header: its link (the current filters with this column's
    sort) and how the rows are sorted by it now, for aria-sort."""

    query: str
    aria_sort: str  # "ascending", "descending" or "" (not sorted by this column)


def sort_columns(query: QueryDict, sort: str) -> dict[str, SortColumn]:
    columns = {}
    for key in LEDGER_SORTS:
        linked = query.copy()
        linked.pop("page", None)
        if sort == key:
            linked["sort"], aria_sort = f"-{key}", "ascending"
        elif sort == f"-{key}":
            linked["sort"], aria_sort = key, "descending"
        else:
            linked["sort"], aria_sort = key, ""
        columns[key] = SortColumn(linked.urlencode(), aria_sort)
    return columns


@require_safe
@login_required
def ledger(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    form, items = ledger_items(user, request.GET)
    items = items.select_related("lead_unit").only(*ROW_COLUMNS)
    page_size = ledger_page_size(request.GET)
    counted = items.filter(count_gate(user))
    page = BoundedPaginator(items, page_size, counted=counted).get_page(request.GET.get("page"))
    sort = ledger_sort(request.GET)
    return render(
        request,
        "web/ledger.html",
        {
            "form": form,
            "page_obj": page,
            "today": clock.today(),
            "sort": sort,
            "sort_choices": SORT_CHOICES,
            "sort_columns": sort_columns(request.GET, sort),
            "page_size": page_size,
            "page_sizes": PAGE_SIZES,
            "saved_views": saved_views_of(user),
            "bulk": user.is_office_supervisor,
        },
    )


# ----------------------------------------------------------------------------- inbox


@require_safe
@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    # Notices about items the reader may no longer see are left out (R-C5).
    notices = readable_notices(user).order_by("-created_at", "-id")
    page = Paginator(notices, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    for notice in rows:
        notice.item_visible = notice.item_id is not None
    return render(request, "web/inbox.html", {"page_obj": page, "notices": rows})


@require_safe
def favicon(request: HttpRequest) -> HttpResponse:
    """/favicon.ico, which browsers ask for on every page: the static icon."""
    return redirect(static("duban/favicon.ico"), permanent=True)


NOTICE_MENU_SIZE = 6


@require_safe
@login_required
def notice_menu(request: HttpRequest) -> HttpResponse:
    """The header's notification dropdown (htmx, on opening): the latest notices."""
    user = current_user(request)
    notices = list(readable_notices(user).order_by("-created_at", "-id")[:NOTICE_MENU_SIZE])
    return render(request, "web/_notice_menu.html", {"notices": notices})


@require_POST
@login_required
def mark_all_notices_read(request: HttpRequest) -> HttpResponse:
    """全部标为已读: the person's readable notices, all at once."""
    user = current_user(request)
    count = actions.mark_all_notices_read(user, readable_notices(user))
    if count:
        messages.success(request, _("已将%(count)d条通知标为已读。") % {"count": count})
    else:
        messages.info(request, _("没有未读通知。"))
    return redirect("inbox")


@require_POST
@login_required
def mark_notice_read(request: HttpRequest, notice_id: int) -> HttpResponse:
    user = current_user(request)
    notice = readable_notices(user).filter(pk=notice_id).first()
    if notice is None:
        raise Http404
    actions.mark_notice_read(user, notice_id)
    if request.headers.get("HX-Request") != "true":
        return redirect("inbox")
    notice.refresh_from_db()
    notice.item_visible = notice.item_id is not None  # type: ignore[attr-defined]
    # The row is swapped in place; the header's badge is updated out of band.
    return render(request, "web/_notice_read.html", {"notice": notice})
