"""Fast by construction (issue: scale): the ledger's first page, its count and the
header's unread count can be answered from indexes, without reading the whole items,
notices or audit tables. On PostgreSQL with sequential scans priced out
(`enable_seqscan = off`), a plan that still reads one of those tables from end to end
has no index to use: that is the regression this test catches. On SQLite every read
of the items for the ledger's page goes through an index."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import pytest
from django.db import connection
from django.http import QueryDict
from django.utils.timezone import now

from duban.items import actions
from duban.items.models import Item, Notice
from duban.items.states import ACTIVE_STATUSES
from duban.items.visibility import count_gate
from duban.notify.inbox import inbox
from duban.web.views import PAGE_SIZE, ledger_items, ledger_sort

from .conftest import Org, advance, establish

BIG_TABLES = {"items_item", "items_notice", "audit_auditevent"}


def plan_nodes(
    sql: str, params: Any = (), *before: str, own_rows_only: bool = False
) -> list[dict[str, Any]]:
    """Every node of PostgreSQL's plan of `sql`, run after the `before` statements
    (settings; the test's transaction rolls them back). `own_rows_only` leaves out the
    InitPlans and SubPlans: the visibility rule's id lists, not the query's rows."""
    with connection.cursor() as cursor:
        for statement in before:
            cursor.execute(statement)
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    plan = json.loads(plan) if isinstance(plan, str) else plan
    nodes: list[dict[str, Any]] = []

    def walk(node: dict[str, Any]) -> None:
        if own_rows_only and node.get("Parent Relationship") in ("InitPlan", "SubPlan"):
            return
        nodes.append(node)
        for child in node.get("Plans", []):
            walk(child)

    walk(plan[0]["Plan"])
    return nodes


def scans(queryset: Any) -> list[tuple[str, str, str, bool]]:
    """(table, node type, index, has an index condition) of each read of a big table."""
    sql, params = queryset.query.sql_with_params()
    return [
        (
            node["Relation Name"],
            node["Node Type"],
            node.get("Index Name", ""),
            # A bitmap heap scan reads only what its index conditions found.
            "Index Cond" in node or node["Node Type"] == "Bitmap Heap Scan",
        )
        for node in plan_nodes(sql, params, "SET LOCAL enable_seqscan = off")
        if node.get("Relation Name") in BIG_TABLES
    ]


def sequential_scans(queryset: Any) -> list[str]:
    return [table for table, node, _index, _cond in scans(queryset) if node == "Seq Scan"]


@pytest.fixture
def ledger(org: Org) -> Org:
    for _ in range(3):
        advance(org, establish(org), "in_progress")
    return org


# The index each of the ledger's orders is read in (duban.web.views.LEDGER_SORTS), in
# either direction. An order by the lead unit reads the units in their code's order and
# each unit's items through an index condition.
SORT_INDEXES = {
    "number": "item_ledger_order",
    "deadline": "item_sort_deadline",
    "status": "item_sort_status",
    "unit": "item_sort_unit",
}
SORTS = [f"{sign}{key}" for key in SORT_INDEXES for sign in ("", "-")]
# The covering indexes of the figures and the dashboard (condition FIGURE_ROWS).
FIGURE_INDEXES = {"item_year_figures", "item_established", "item_completed"}


@pytest.mark.parametrize("who", ["office_supervisor", "lead_liaison", "leader_in_charge"])
@pytest.mark.parametrize(
    "query",
    [
        "",
        "light=red",
        "status=in_progress",
        "page=2",
        "year=this",
        *(f"sort={sort}" for sort in SORTS),
        "sort=deadline&status=in_progress",
        "sort=-status&light=red",
        "sort=bogus",
    ],
)
def test_the_ledger_and_the_unread_count_use_indexes(ledger: Org, who: str, query: str) -> None:
    user = getattr(ledger, who)
    query = query.replace("year=this", f"year={Item.objects.values_list('year', flat=True)[0]}")
    _form, items = ledger_items(user, QueryDict(query))
    page = items.select_related("lead_unit")[:PAGE_SIZE]
    count = items.filter(count_gate(user)).order_by().values("pk")  # as the page counts
    unread = inbox(user).filter(read_at__isnull=True).values("pk")
    if connection.vendor == "postgresql":
        assert sequential_scans(page) == []
        assert sequential_scans(count) == []
        assert sequential_scans(unread) == []
        # Items are read in the ledger's order (the first page stops after 20 rows) or
        # through an index condition; counted from the narrow visibility index; and the
        # notices only those of the reader.
        # Never from the figures' covering indexes, whose condition the ledger does not
        # state: from those the planner tested a unit person's visibility arrays
        # against every row (300 ms at 100,000 items).
        for queryset in (page, count):
            assert not {index for *_rest, index, _c in scans(queryset)} & FIGURE_INDEXES
        sort_index = SORT_INDEXES[ledger_sort(QueryDict(query)).removeprefix("-")]
        # The red light's page may walk the same order over the active items only
        # (`item_ledger_order_active`, which only such a filter can use).
        order_indexes = {sort_index, f"{sort_index}_active"}
        for table, _node, index, condition in scans(page):
            assert table != "items_item" or index in order_indexes or condition, scans(page)
        for table, _node, index, condition in scans(count):
            assert table != "items_item" or index == "item_visibility" or condition, scans(count)
        for table, _node, _index, condition in scans(unread):
            assert table != "items_notice" or condition
        return
    # SQLite: every read of the items goes through an index.
    sql, params = page.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        steps = [row[-1] for row in cursor.fetchall()]
    reads = [step for step in steps if " items_item " in f"{step} "]
    assert reads and all("USING" in step for step in reads), steps
    assert Item.objects.count() == 3


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's planner")
@pytest.mark.parametrize("who", ["lead_liaison", "lead_head", "cooperating_liaison"])
def test_a_unit_persons_count_finds_the_units_items_from_one_index(ledger: Org, who: str) -> None:
    """A unit person's ledger count can read the items its gate's index conditions find
    (`unit_ids` by its GIN index, or the person as supervisor), testing the rule on
    each — not walk a whole index testing the rule on every entry, which is what the
    planner did without the gate on the tests' tables (an index-only scan of the
    visibility index, no condition). Which of the index conditions it combines depends
    on the statistics it has of the tests' few rows (autovacuum analyzes them at any
    time); at 100,000 items it takes the gate alone (docs/performance.md)."""
    user = getattr(ledger, who)
    _form, items = ledger_items(user, QueryDict(""))
    sql, params = items.filter(count_gate(user)).order_by().values("pk").query.sql_with_params()
    nodes = plan_nodes(
        sql,
        params,
        "SET LOCAL enable_seqscan = off",
        "UPDATE pg_class SET relpages = 1000, reltuples = 100000, relallvisible = 1000"
        " WHERE relname = 'items_item'",
        "UPDATE pg_class SET reltuples = 100000 WHERE oid IN"
        " (SELECT indexrelid FROM pg_index WHERE indrelid = 'items_item'::regclass)",
        own_rows_only=True,
    )
    reads = [node for node in nodes if node.get("Relation Name") == "items_item"]
    assert reads and all(
        "Index Cond" in node or node["Node Type"] == "Bitmap Heap Scan" for node in reads
    ), reads
    gin = [node for node in nodes if node.get("Index Name") == "item_unit_ids"]
    assert gin and all("unit_ids" in node["Index Cond"] for node in gin), nodes
    assert items.filter(count_gate(user)).count() == items.count() > 0


@pytest.mark.parametrize("who", ["office_supervisor", "lead_liaison"])
def test_the_newest_notices_are_read_in_the_inbox_order_index(ledger: Org, who: str) -> None:
    """The inbox, the header's menu and the API list a person's notices newest first:
    a walk of `notice_inbox_order` within the recipient, with no sort of the notices,
    that stops at the page — whether the person has many notices or none."""
    user = getattr(ledger, who)
    for day in range(5):
        Notice.objects.create(
            recipient=ledger.lead_liaison,
            item=Item.objects.first(),
            title=f"通知{day}",
            created_at=now() - dt.timedelta(days=day),
        )
    newest = inbox(user).order_by("-created_at", "-id")[:6]
    sql, params = newest.query.sql_with_params()
    if connection.vendor == "postgresql":
        # Sorts and whole-table reads priced out: the notices come in the inbox's order
        # from an index, or the plan still has to sort them.
        nodes = plan_nodes(
            sql,
            params,
            "SET LOCAL enable_seqscan = off",
            "SET LOCAL enable_sort = off",
            own_rows_only=True,
        )
        reads = [node for node in nodes if node.get("Relation Name") == "items_notice"]
        assert [node.get("Index Name") for node in reads] == ["notice_inbox_order"], reads
        assert not [node for node in nodes if node["Node Type"] in ("Sort", "Incremental Sort")]
    else:
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
            steps = [row[-1] for row in cursor.fetchall()]
        assert "SEARCH items_notice USING INDEX notice_inbox_order (recipient_id=?)" in steps
        assert not any("TEMP B-TREE" in step for step in steps), steps
    every = sorted(inbox(user), key=lambda notice: (notice.created_at, notice.id), reverse=True)
    assert list(newest) == every[:6]
    if who == "lead_liaison":  # the five above and the assignments' notices
        assert len(every) > 6 and newest[0].title == "通知0"


@pytest.mark.parametrize(
    "keyword",
    ["专项", "修订本科生", "第0002号", "o", "It's 50%", "教务\\处", "革专", "项目", "号课", "it"],
)
def test_search_finds_exactly_what_the_keyword_is_in(org: Org, keyword: str) -> None:
    """`keyword_filter` (with the bigram index on PostgreSQL) selects exactly the items
    whose number, title or content contains the keyword, case aside: two Chinese
    characters found by the index alone (`exact_by_slices`) too, none across the end of
    one field and the start of the next (专|项, 号|课 from the number to the title)."""
    from django.db.models import Q

    from duban.items.search import exact_by_slices, keyword_filter

    establish(org, title="修订本科生培养方案", content="完成专项整改")
    establish(org, title="It's 50% done", content="教务\\处 IT")
    establish(org, title="其他事项", content="无关内容")
    establish(org, title="课程改革专", content="项目推进")
    assert exact_by_slices(keyword) == (keyword in ("专项", "革专", "项目", "号课"))
    plain = (
        Q(title__icontains=keyword)
        | Q(ledger_number__icontains=keyword)
        | Q(content__icontains=keyword)
    )
    expected = set(Item.objects.filter(plain).values_list("pk", flat=True))
    assert set(Item.objects.filter(keyword_filter(keyword)).values_list("pk", flat=True)) == (
        expected
    )
    # 号课 is found nowhere: it spans a number's end and a title's start only.
    assert expected or keyword in ("o", "号课")
    if keyword == "号课":
        assert any(
            number.endswith("号") and title.startswith("课")
            for number, title in Item.objects.values_list("ledger_number", "title")
        )


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's bigram function")
@pytest.mark.django_db
def test_the_planner_weighs_the_bigram_function_as_costly() -> None:
    """Declared cheap, `duban_bigrams` led the planner to walk the ledger's order index
    testing every item for a reader who sees a few of them (migration items 0016): its
    cost stays at the value that makes it look up the keyword's and the reader's items
    in their indexes instead."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT procost FROM pg_proc WHERE proname = 'duban_bigrams'")
        assert [row[0] for row in cursor.fetchall()] == [1000]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's statistics")
@pytest.mark.django_db
def test_the_planner_knows_states_and_deadlines_go_together() -> None:
    """Items at work have later deadlines than closed ones; from the columns' own
    statistics the planner took the two as independent and expected a quarter of the
    items at work with a later deadline (the yellow light's candidates). Items
    migration 0021 keeps the pairs' statistics on the items; shown here on a table of
    the same two columns, as correlated (an ANALYZE of the items table itself would
    leave its row counts behind for the other tests: PostgreSQL writes them in place,
    outside the test's transaction)."""
    import importlib

    migration = importlib.import_module("duban.items.migrations.0021_status_deadline_statistics")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT stxkind, ARRAY(SELECT attname::text FROM pg_attribute"
            " WHERE attrelid = stxrelid AND attnum = ANY(stxkeys) ORDER BY attname)"
            " FROM pg_statistic_ext WHERE stxname = %s AND stxrelid = 'items_item'::regclass",
            [migration.NAME],
        )
        assert cursor.fetchall() == [(["m"], ["deadline", "status"])]
        cursor.execute("CREATE TEMPORARY TABLE pairs (status varchar(20), deadline date)")
        today = dt.date(2026, 6, 1)
        rows = []
        for index in range(400):
            at_work = index % 2 == 0
            day = today + dt.timedelta(days=index % 5 + (30 if at_work else -300))
            rows.append(("in_progress" if at_work else "completed", day))
        cursor.executemany("INSERT INTO pairs VALUES (%s, %s)", rows)
        at_work = (
            "SELECT 1 FROM pairs WHERE status IN ('assigned', 'in_progress')"
            " AND status = ANY(%s) AND deadline > %s"
        )
        params = [list(ACTIVE_STATUSES), today]

        def estimate() -> float:
            cursor.execute("ANALYZE pairs")
            cursor.execute(f"EXPLAIN (FORMAT JSON) {at_work}", params)
            plan = cursor.fetchone()[0]
            return (json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"]["Plan Rows"]

        cursor.execute(f"SELECT COUNT(*) FROM ({at_work}) AS found", params)
        actual = cursor.fetchone()[0]
        alone = estimate()
        cursor.execute(migration.statistics("pairs_status_deadline", "pairs"))
        together = estimate()
    assert actual == 200
    assert alone < actual / 2, (alone, actual)
    assert actual / 2 <= together <= actual * 2, (together, actual)


def item_reads(sql: str, params: Any = (), *before: str) -> list[tuple[str, str]]:
    """(node type, index) of each read of the items in the query's own rows (not its
    InitPlans, the visibility rule's id lists), planned as PostgreSQL would on a
    vacuumed table (every page all-visible, as autovacuum keeps it) with sequential
    and bitmap scans priced out (and whatever else `before` sets)."""
    nodes = plan_nodes(
        sql,
        params,
        "SET LOCAL enable_seqscan = off",
        "SET LOCAL enable_bitmapscan = off",
        *before,
        # What VACUUM records, for the table and its indexes (whatever an earlier
        # VACUUM or ANALYZE of the tests' database wrote there in place).
        "UPDATE pg_class SET relpages = 1000, reltuples = 100000, relallvisible = 1000"
        " WHERE relname = 'items_item'",
        "UPDATE pg_class SET reltuples = 100000 WHERE oid IN"
        " (SELECT indexrelid FROM pg_index WHERE indrelid = 'items_item'::regclass)",
        own_rows_only=True,
    )
    return [
        (node["Node Type"], node.get("Index Name", ""))
        for node in nodes
        if node.get("Relation Name") == "items_item"
    ]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's covering indexes")
@pytest.mark.parametrize("who", ["office_supervisor", "leader_in_charge", "lead_liaison"])
def test_the_figures_count_a_year_from_covering_indexes(ledger: Org, who: str) -> None:
    """The year's items for the assessment (led, cooperated) and the dashboard (its
    counts by unit, state, source and light, and its monthly trend) are counted from
    indexes that hold every column the counts, the lights and the visibility rule
    read, never from the wide item rows."""
    from django.test.utils import CaptureQueriesContext

    from duban import clock
    from duban.reports import dashboard, figures

    user = getattr(ledger, who)
    year = Item.objects.values_list("year", flat=True)[0]
    today = clock.today()
    for key in (figures.LED, figures.COOPERATION):
        visible = Item.objects.visible_to(user)
        query = figures.family_query(figures.FAMILIES[key], visible, year, today)
        sql, params = query.query.sql_with_params()
        assert item_reads(sql, params) == [("Index Only Scan", "item_year_figures")]
    with CaptureQueriesContext(connection) as captured:
        dashboard.build_dashboard(user, year, today)
    counted = [
        query["sql"]
        for query in captured.captured_queries
        if 'FROM "items_item"' in query["sql"] and '"lead_unit_id" IS NOT NULL' in query["sql"]
    ]
    # The year's counts by unit, state, source and light; the trend's two months series.
    assert len(counted) == 3
    assert sorted(item_reads(sql)[0] for sql in counted) == [
        ("Index Only Scan", "item_completed"),
        ("Index Only Scan", "item_established"),
        ("Index Only Scan", "item_year_figures"),
    ]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's planner")
@pytest.mark.parametrize("who", ["office_supervisor", "leader_in_charge", "lead_liaison"])
@pytest.mark.parametrize(
    "query", ["light=red", "light=yellow", "overdue=yes", "status=in_progress"]
)
def test_the_active_filters_walk_only_the_active_items_in_the_ledger_order(
    ledger: Org, who: str, query: str
) -> None:
    """The red, yellow, overdue and active-status filters keep only active items: their
    first page walks the ledger's order over the active items (a partial index, a third
    of the items), not over every item, closed ones included (a unit's first 20 red
    items lay 12,000 rows into the whole order at 100,000 items). Sorting is priced
    out: of the two walks in the ledger's order the planner takes the shorter (on the
    tests' tiny tables it may as well sort the few rows another index finds)."""
    _form, items = ledger_items(getattr(ledger, who), QueryDict(query))
    page = items.select_related("lead_unit")[:PAGE_SIZE]
    sql, params = page.query.sql_with_params()
    walk = item_reads(sql, params, "SET LOCAL enable_sort = off")
    assert walk == [("Index Scan", "item_ledger_order_active")]
    # The index holds exactly the active states (R-U4's "still active").
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_indexdef('item_ledger_order_active'::regclass)")
        predicate = cursor.fetchone()[0].partition(" WHERE ")[2]
    assert set(re.findall(r"'(\w+)'", predicate)) == set(ACTIVE_STATUSES)


def columns_read(sql: str) -> set[str]:
    """The columns of the item row that `sql` reads (`unit_ids` is written unquoted)."""
    found = re.findall(r'"items_item"\.(?:"(\w+)"|(unit_ids))', sql)
    return {quoted or bare for quoted, bare in found}


def index_columns(name: str) -> tuple[list[str], set[str]]:
    """An index's key columns, in order, and all the columns it holds."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_indexdef(%s::regclass)", [name])
        definition = cursor.fetchone()[0]
    keys, _include, included = definition.partition("USING btree (")[2].partition(")")
    key_columns = [column.strip() for column in keys.split(",")]
    return key_columns, set(key_columns) | set(re.findall(r"\w+", included))


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's covering indexes")
@pytest.mark.parametrize("who", ["office_supervisor", "leader_in_charge", "lead_liaison"])
@pytest.mark.parametrize(
    "query", ["light=red", "light=yellow", "light=green", "overdue=yes", "status=in_progress"]
)
def test_the_status_filters_are_counted_from_the_status_index(
    ledger: Org, who: str, query: str
) -> None:
    """The ledger's light, overdue and status filters are ranges of status and
    deadline (yellow and green with the light itself): their count (duban.web.paging)
    reads the status index alone, which holds every column the visibility rule and the
    light read, `unit_ids` included (items 0018), instead of the item row of every
    match (the office's red lights: 6,000 pages at 100,000 items)."""
    from duban.web.paging import COUNT_LIMIT

    user = getattr(ledger, who)
    _form, items = ledger_items(user, QueryDict(query))
    counted = items.filter(count_gate(user))  # as the page counts
    sql, params = counted.order_by().values("pk")[: COUNT_LIMIT + 1].query.sql_with_params()
    keys, held = index_columns("item_sort_status")
    read = columns_read(sql)
    assert keys[0] == "status" and re.search(r'"items_item"\."status" (IN|=) ', sql)
    assert {"id", "status", "confidentiality"} <= read and read <= held, read - held
    assert "unit_ids" in held
    # On the tests' tiny tables the planner may take another index of the deadline for
    # a handful of rows (at 100,000 items it reads this one alone); with sequential and
    # bitmap scans priced out, either way the count reads no item row it does not need.
    assert all(node != "Seq Scan" for node, _index in item_reads(sql, params))


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's covering indexes")
def test_the_attention_list_is_chosen_from_the_status_index(ledger: Org) -> None:
    """The attention page chooses its items by id from the status index alone (every
    column the rule, the light and the flags read), then reads the rows chosen: not
    the item row of every item being worked on (17,000 at 100,000 items)."""
    from duban.items.lights import light_thresholds
    from duban.web.supervision_views import attention_choice

    chosen = attention_choice(ledger.office_supervisor, light_thresholds())
    sql, _params = chosen.query.sql_with_params()
    keys, held = index_columns("item_sort_status")
    read = columns_read(sql)
    assert keys[0] == "status" and '"items_item"."status" IN' in sql
    assert {"id", "status", "deadline", "last_feedback_at"} <= read and read <= held, read - held


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's covering indexes")
@pytest.mark.parametrize("who", ["office_supervisor", "leader_in_charge", "lead_liaison"])
def test_the_id_index_holds_every_column_the_rule_reads(ledger: Org, who: str) -> None:
    """The figures of events (the year's urges, extension requests, feedback) ask the
    rule of each event's item, looked up by id (`figures.on_visible_items`). The index
    of the rule's columns by id (items 0019) holds every column of the item row the
    rule reads for each kind of person, `unit_ids` included, so those lookups read no
    item row (the office's urges at 100,000 items: 19 → 9 ms; which index the planner
    takes for a handful of ids on this tiny table depends on the indexes' sizes)."""
    from duban.items.models import Urge
    from duban.reports import figures

    item = Item.objects.first()
    actions.urge_item(
        ledger.office_supervisor, item, channel="phone", recipient=ledger.lead_head, note="已提醒"
    )
    visible = Item.objects.visible_to(getattr(ledger, who))
    items = visible.filter(pk__any_of=Urge.objects.values("item_id")).order_by().values("pk")
    sql, _params = items.query.sql_with_params()
    keys, held = index_columns("item_visible_by_id")
    read = columns_read(sql)
    assert keys == ["id"] and {"id", "confidentiality"} <= read
    assert read <= held and "unit_ids" in held, read - held
    urges = figures.on_visible_items(visible, Urge.objects.all())
    assert list(urges.values_list("item_id", flat=True)) == [item.pk]


def unit_ids(item: Item) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT unit_ids FROM items_item WHERE id = %s", [item.pk])
        return list(cursor.fetchone()[0])


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's array of units")
def test_each_item_keeps_its_lead_and_cooperating_units_whatever_writes_them(org: Org) -> None:
    # R-C5 reads a unit's items from `unit_ids` (migration items 0015), kept by
    # triggers: an action, a bulk insert, a queryset update all keep it true.
    item = establish(org)
    assert unit_ids(item) == sorted([org.lead_unit.pk, org.cooperating_unit.pk])
    item.cooperating_units.add(org.other_unit)
    assert unit_ids(item) == sorted([org.lead_unit.pk, org.cooperating_unit.pk, org.other_unit.pk])
    item.cooperating_units.remove(org.cooperating_unit)
    assert unit_ids(item) == sorted([org.lead_unit.pk, org.other_unit.pk])
    Item.objects.filter(pk=item.pk).update(lead_unit=org.cooperating_unit)
    assert unit_ids(item) == sorted([org.cooperating_unit.pk, org.other_unit.pk])
    item.cooperating_units.clear()
    assert unit_ids(item) == [org.cooperating_unit.pk]
    through = Item.cooperating_units.through
    other = establish(org, cooperating_units=[])
    through.objects.bulk_create(
        [through(item=item, unit=org.lead_unit), through(item=other, unit=org.other_unit)]
    )
    assert unit_ids(item) == sorted([org.cooperating_unit.pk, org.lead_unit.pk])
    assert unit_ids(other) == sorted([org.lead_unit.pk, org.other_unit.pk])
    # And the rule reads it: the other unit's liaison sees the item it now cooperates on.
    assert Item.objects.visible_to(org.other_unit_liaison).filter(pk=other.pk).exists()
    assert not Item.objects.visible_to(org.other_unit_liaison).filter(pk=item.pk).exists()
