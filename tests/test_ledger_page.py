"""The ledger page (/items/): sortable columns, the page size, the compact columns and
its query count (issue 9, part 5). Bulk actions: test_ledger_page_bulk.py; 我的视图:
test_ledger_page_views.py."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from duban import clock
from duban.items.models import Item
from tests.conftest import Org, advance, establish
from tests.test_pages import html, ledger_numbers, signed_in

pytestmark = pytest.mark.django_db


def header(page: str, label: str) -> str:
    """The <th> of the ledger's column `label`."""
    match = re.search(rf'<th scope="col"[^>]*>(?:(?!</th>).)*?{label}.*?</th>', page, re.S)
    assert match, label
    return match.group(0)


def numbers(items: list[Item]) -> list[str]:
    return [item.ledger_number for item in items]


@pytest.fixture
def spread(org: Org) -> dict[str, Item]:
    """Four items with different deadlines, lead units and statuses."""
    today = clock.today()
    early = establish(
        org,
        title="最早到期",
        lead_unit=org.other_unit,
        minutes_deadline=today + dt.timedelta(days=5),
    )
    late = establish(org, title="最晚到期", minutes_deadline=today + dt.timedelta(days=60))
    middle = establish(
        org,
        title="中间到期",
        lead_unit=org.cooperating_unit,
        cooperating_units=[],
        minutes_deadline=today + dt.timedelta(days=20),
    )
    assigned = establish(org, title="已交办事项", minutes_deadline=today + dt.timedelta(days=10))
    advance(org, assigned, "assigned")
    return {"early": early, "late": late, "middle": middle, "assigned": assigned}


def by(items: dict[str, Item], key: Any) -> list[Item]:
    rows = [Item.objects.select_related("lead_unit").get(pk=item.pk) for item in items.values()]
    return sorted(rows, key=key)


def test_the_default_order_is_the_ledger_numbers_newest_first(client: Client, org: Org, spread):
    page = html(signed_in(client, org.office_supervisor).get(reverse("ledger")))
    expected = numbers(by(spread, lambda item: (-item.year, item.source_kind, -item.serial)))
    assert ledger_numbers(page) == expected
    assert 'aria-sort="descending"' in header(page, "台账编号")
    assert "aria-sort" not in header(page, "办结时限")


@pytest.mark.parametrize(
    ("sort", "key"),
    [
        ("deadline", lambda item: (item.deadline, item.pk)),
        ("unit", lambda item: (item.lead_unit.code, item.deadline, item.pk)),
        ("status", lambda item: (item.status, item.deadline, item.pk)),
        ("number", lambda item: (item.year, item.serial)),
    ],
)
def test_each_column_sorts_both_ways(client: Client, org: Org, spread, sort: str, key: Any):
    signed_in(client, org.office_supervisor)
    ascending = numbers(by(spread, key))
    page = html(client.get(reverse("ledger"), {"sort": sort}))
    assert ledger_numbers(page) == ascending
    descending = html(client.get(reverse("ledger"), {"sort": f"-{sort}"}))
    assert ledger_numbers(descending) == ascending[::-1]


def test_sort_links_carry_the_filters_and_show_the_sort(client: Client, org: Org, spread):
    signed_in(client, org.office_supervisor)
    page = html(
        client.get(reverse("ledger"), {"status": "established", "sort": "deadline", "page": "1"})
    )
    deadline = header(page, "办结时限")
    assert 'aria-sort="ascending"' in deadline
    # Clicking the sorted column again reverses it; the page number is left out.
    assert 'href="?status=established&amp;sort=-deadline"' in deadline
    assert 'href="?status=established&amp;sort=unit"' in header(page, "承办单位")
    assert 'href="?status=established&amp;sort=status"' in header(page, "状态")
    assert "aria-sort" not in header(page, "台账编号")
    assert 'href="?status=established&amp;sort=number"' in header(page, "台账编号")
    # The filter form keeps the sort when the filters change (and offers it on phones).
    assert '<option value="deadline" selected>办结时限（近→远）</option>' in page
    reversed_page = html(client.get(reverse("ledger"), {"sort": "-deadline"}))
    assert 'aria-sort="descending"' in header(reversed_page, "办结时限")
    assert 'href="?sort=deadline"' in header(reversed_page, "办结时限")


@pytest.mark.parametrize("sort", ["title", "-", "deadline;drop", "--deadline", "DEADLINE", "id"])
def test_an_unknown_sort_falls_back_to_the_default_order(
    client: Client, org: Org, spread, sort: str
):
    signed_in(client, org.office_supervisor)
    default = ledger_numbers(html(client.get(reverse("ledger"))))
    response = client.get(reverse("ledger"), {"sort": sort})
    assert response.status_code == 200
    page = html(response)
    assert ledger_numbers(page) == default
    assert 'aria-sort="descending"' in header(page, "台账编号")
    assert '<option value="-number" selected>台账编号（新→旧）</option>' in page


def test_the_page_size_is_chosen_among_20_50_and_100(client: Client, org: Org):
    items = [establish(org, title=f"分页事项{n:02d}") for n in range(25)]
    signed_in(client, org.office_supervisor)
    page = html(client.get(reverse("ledger"), {"per_page": "50"}))
    assert len(ledger_numbers(page)) == 25
    assert "第 1 / 2 页" not in page
    assert '<option value="50" selected>50 项</option>' in page
    first = html(client.get(reverse("ledger"), {"per_page": "20", "sort": "deadline"}))
    assert len(ledger_numbers(first)) == 20
    # The page links keep the size and the sort.
    assert 'href="?per_page=20&amp;sort=deadline&amp;page=2"' in first
    second = html(client.get(reverse("ledger"), {"per_page": "20", "page": "2"}))
    assert len(ledger_numbers(second)) == 5
    assert len(ledger_numbers(html(client.get(reverse("ledger"), {"per_page": "100"})))) == 25
    assert len(items) == 25


@pytest.mark.parametrize("size", ["37", "0", "-20", "abc", "1000", "20.0", ""])
def test_any_other_page_size_falls_back_to_20(client: Client, org: Org, size: str):
    for n in range(22):
        establish(org, title=f"事项{n}")
    response = signed_in(client, org.office_supervisor).get(reverse("ledger"), {"per_page": size})
    assert response.status_code == 200
    page = html(response)
    assert len(ledger_numbers(page)) == 20
    assert '<option value="20" selected>20 项</option>' in page


def test_columns_keep_to_one_line_and_the_source_is_compact(client: Client, org: Org, item: Item):
    page = html(signed_in(client, org.office_supervisor).get(reverse("ledger")))
    assert 'href="/static/duban/ledger.css"' in page
    row = re.search(r"<tbody>(.*?)</tbody>", page, re.S)
    assert row
    cells = row.group(1)
    assert f'<td class="nowrap" data-label="台账编号">{item.ledger_number}</td>' in cells
    assert '<td class="nowrap" data-label="承办单位">教务处</td>' in cells
    assert '<td class="nowrap" data-label="办结时限">' in cells
    # The source: its body only, the kind in the title.
    assert (
        '<td class="ledger-source" data-label="来源"><span title="会议决定事项 · 校长办公会">'
        "校长办公会</span></td>"
    ) in cells
    assert '<th scope="col" class="ledger-title">事项名称</th>' in page


def test_the_stylesheet_keeps_numbers_and_dates_on_one_line(client: Client):
    from django.contrib.staticfiles import finders

    path = finders.find("duban/ledger.css")
    assert path
    css = open(path, encoding="utf-8").read()
    assert "#ledger-table .ledger-title { width: 40%; }" in css
    assert "text-overflow: ellipsis" in css


# The page's queries do not grow with its rows, its page size or its sort (STYLE.md):
# tests/test_pages.py's LEDGER_QUERIES, the saved views included.
LEDGER_QUERIES = 9


@pytest.mark.parametrize("count", [3, 30])
@pytest.mark.parametrize("query", [{"per_page": "100", "sort": "unit"}, {"sort": "-status"}])
def test_ledger_queries_do_not_grow_with_rows_or_page_size(
    client: Client, org: Org, count: int, query: dict[str, str], django_assert_num_queries
):
    from duban.web.saved_views import save_view

    for n in range(count):
        advance(org, establish(org, title=f"事项{n}"), "assigned")
    for n in range(3):
        save_view(org.office_supervisor, f"视图{n}", "status=assigned")
    signed_in(client, org.office_supervisor)
    client.get(reverse("ledger"))  # the session is read and touched once
    with django_assert_num_queries(LEDGER_QUERIES):
        response = client.get(reverse("ledger"), query)
    page = html(response)
    assert len(ledger_numbers(page)) == min(count, int(query.get("per_page", 20)))
    assert page.count('name="items"') == min(count, int(query.get("per_page", 20)))


def test_the_rows_statement_reads_only_the_columns_the_list_shows(
    client: Client, org: Org, spread: dict[str, Item]
):
    """An item's long texts and timestamps are not read for the list (duban.web.worklists
    ROW_COLUMNS): the rows' statement names none of them, and the page still
    shows every column of each row, with no query per row."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    item = spread["assigned"]
    Item.objects.filter(pk=item.pk).update(
        deadline=item.deadline + dt.timedelta(days=7), deadline_provisional=True, urgent=True
    )
    signed_in(client, org.office_supervisor)
    client.get(reverse("ledger"))
    with CaptureQueriesContext(connection) as queries:
        page = html(client.get(reverse("ledger")))
    rows = [q["sql"] for q in queries.captured_queries if '"items_item"."title"' in q["sql"]]
    assert len(rows) == 1
    for column in ("content", "basis", "established_at", "created_at", "updated_at"):
        assert f'"items_item"."{column}"' not in rows[0], column
    assert len(queries.captured_queries) == LEDGER_QUERIES
    row = re.search(rf"<tr>(?:(?!</tr>).)*{item.ledger_number}.*?</tr>", page, re.S)
    assert row, page
    shown = row.group(0)
    for text in (item.title, item.lead_unit.name, "紧急", "已交办", "原定"):
        assert text in shown, text
    assert str(item.deadline + dt.timedelta(days=7)) in shown
    assert f"原定 {item.original_deadline}" in shown or str(item.original_deadline) in shown


@pytest.mark.parametrize("sort", ["unit", "-status", "deadline"])
def test_the_export_link_carries_the_sort_and_the_file_keeps_register_order(
    client: Client, org: Org, spread: dict[str, Item], sort: str
):
    """The file is the register (duban.ledger.export: by year, category and number),
    whatever the page's sort; it holds the same rows."""
    import io

    import openpyxl

    signed_in(client, org.office_supervisor)
    page = html(client.get(reverse("ledger"), {"sort": sort}))
    assert f'href="/ledger/export/?sort={sort}"' in page
    response = client.get("/ledger/export/", {"sort": sort})
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    wanted = set(numbers(list(spread.values())))
    in_file = [cell for row in sheet.iter_rows(values_only=True) for cell in row if cell in wanted]
    assert in_file == sorted(wanted)
