"""The dashboard of the office and the leaders, and the reports to the leadership (R-F6).

The board (2026, read on 2026-04-01):

    A  president_meeting of 03-02, 教务处, deadline 04-30, completed 03-20   grey
    B  president_meeting of 03-02, 教务处, deadline 03-16, in progress       red (overdue)
    C  president_meeting of 03-02, 教务处, deadline 04-30, returned          green
    G  president_meeting of 03-02, 教务处, sensitive, assigned, no progress  yellow
    D  standing_committee of 03-02, 教务处, deadline 04-03, in progress     yellow (due soon)
    E  annual, 财务处, assigned 03-02, no progress since                     yellow
    F  other (李副校长's instruction), 人事处, deadline 06-30, established   green

王校长 (leader_in_charge) is in charge of every unit but 财务处, which 李副校长 has; neither
is named on G, so neither leader sees it (R-C1).
"""

from __future__ import annotations

import datetime as dt
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext

from duban.items import actions
from duban.items.models import Item
from duban.items.states import Status
from duban.organisation.models import Role, Unit, User
from duban.reports import leadership
from duban.reports.dashboard import build_dashboard
from tests.conftest import PASSWORD, Org, advance, establish, make_person

SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = dt.date(2026, 4, 1)
YEAR = 2026


def at(day: dt.date, hour: int = 9) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=SHANGHAI)


@pytest.fixture
def second_leader(org: Org) -> User:
    leader = make_person("vice_leader", Role.SCHOOL_LEADER, None, "李副校长")
    # The organisation's data, as the system administrator keeps it in the admin.
    Unit.objects.filter(pk=org.other_unit.pk).update(leader_in_charge=leader)
    return leader


@pytest.fixture
def board(org: Org, second_leader: User) -> dict[str, Item]:
    march_2 = dt.date(2026, 3, 2)
    items: dict[str, Item] = {}
    with time_machine.travel(at(march_2), tick=False) as traveller:
        for title, deadline in (("A", "2026-04-30"), ("B", "2026-03-16"), ("C", "2026-04-30")):
            items[title] = establish(
                org, title=title, minutes_deadline=dt.date.fromisoformat(deadline)
            )
        items["G"] = establish(
            org,
            title="G",
            confidentiality="sensitive",
            minutes_deadline=dt.date(2026, 4, 30),
        )
        items["D"] = establish(
            org,
            title="D",
            source_body="standing_committee",
            minutes_deadline=dt.date(2026, 4, 3),
        )
        items["E"] = actions.establish_item(
            org.office_supervisor,
            actions.EstablishInput(
                title="E",
                content="完成年度重点工作。",
                basis="2026年党政工作要点",
                source_kind="annual",
                source_body="work_points",
                lead_unit=org.other_unit,
            ),
        )
        items["F"] = actions.establish_item(
            org.office_supervisor,
            actions.EstablishInput(
                title="F",
                content="落实校领导批示。",
                basis="李副校长批示",
                source_kind="other",
                source_body="instruction",
                lead_unit=org.cooperating_unit,
                deciding_leader=second_leader,
                decided_on=march_2,
                instruction_deadline=dt.date(2026, 6, 30),
            ),
        )
        for title in ("A", "B", "D"):
            advance(org, items[title], Status.IN_PROGRESS)
        advance(org, items["C"], Status.RETURNED)
        for title in ("G", "E"):
            actions.assign_item(org.office_supervisor, items[title])
        traveller.move_to(at(dt.date(2026, 3, 20)))
        actions.draft_completion_report(org.lead_liaison, items["A"], "已完成")
        actions.confirm_report(org.lead_head, items["A"])
        actions.review_report(org.office_supervisor, items["A"], accept=True)
    return items


@pytest.fixture
def on_april_first() -> Iterator[None]:
    with time_machine.travel(at(TODAY), tick=False):
        yield


def bars(chart: Any) -> dict[str, int]:
    return {bar.label: bar.value for bar in chart.bars}


# ----------------------------------------------------------------------------- the figures


def test_the_office_dashboard_counts(org: Org, board: dict[str, Item]):
    board_ = build_dashboard(org.office_supervisor, YEAR, TODAY)
    assert board_.total == 7
    assert board_.overdue == 1
    assert bars(board_.chart("status")) == {
        "已立项": 1,
        "已交办": 2,
        "已退回": 1,
        "办理中": 2,
        "已报结": 0,
        "已办结": 1,
        "已归档": 0,
        "已终止": 0,
    }
    assert bars(board_.chart("light")) == {"红灯": 1, "黄灯": 3, "绿灯": 2, "灰灯": 1}
    assert bars(board_.chart("source")) == {"会议决定事项": 5, "年度重点工作": 1, "其他交办事项": 1}
    assert bars(board_.chart("unit")) == {"教务处": 5, "人事处": 1, "财务处": 1}
    assert bars(board_.chart("overdue")) == {"教务处": 1}
    assert board_.trend.established == [0, 0, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0]
    assert board_.trend.completed == [0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]
    assert not board_.leader_view and board_.in_charge == []


def test_the_leader_dashboard_puts_their_units_first(
    org: Org, board: dict[str, Item], second_leader: User
):
    mine = build_dashboard(second_leader, YEAR, TODAY)
    assert mine.leader_view
    # R-C1: G is sensitive and names no leader: out of both leaders' counts.
    assert mine.total == 6
    assert [(line.name, line.total, line.overdue) for line in mine.in_charge] == [("财务处", 1, 0)]
    units = mine.chart("unit").bars
    assert [(bar.label, bar.value, bar.highlight) for bar in units] == [
        ("财务处", 1, True),
        ("教务处", 4, False),
        ("人事处", 1, False),
    ]
    theirs = build_dashboard(org.leader_in_charge, YEAR, TODAY)
    assert [(line.name, line.total) for line in theirs.in_charge] == [
        ("党政办公室", 0),
        ("教务处", 4),
        ("人事处", 1),
    ]
    assert [bar.highlight for bar in theirs.chart("overdue").bars] == [True]


def test_every_count_links_to_a_ledger_listing_as_many_items(
    org: Org, board: dict[str, Item], client: Any, on_april_first: None
):
    for persona in ("office_supervisor", "leader_in_charge"):
        client.login(username=persona, password=PASSWORD)
        user = getattr(org, persona)
        board_ = build_dashboard(user, YEAR, TODAY)
        for chart in board_.charts:
            for bar in chart.bars:
                ledger = client.get(bar.href).content.decode()
                listed = re.search(r"共 (\d+) 项", ledger)
                assert listed is not None, bar.href
                assert int(listed.group(1)) == bar.value, (persona, chart.key, bar.label)


# ----------------------------------------------------------------------------- the page


SOURCES = re.compile(r'<(?:script|link|img)\b[^>]*\b(?:src|href)="([^"]*)"')


@pytest.mark.parametrize("persona", ["office_supervisor", "leader_in_charge"])
def test_the_dashboard_draws_its_charts_with_its_own_assets(
    org: Org, board: dict[str, Item], client: Any, persona: str, on_april_first: None
):
    client.login(username=persona, password=PASSWORD)
    response = client.get("/reports/dashboard/")
    assert response.status_code == 200
    html = response.content.decode()
    for key in ("status", "light", "unit", "source", "overdue", "trend"):
        assert f'<svg class="chart" id="chart-{key}"' in html
    assert html.count('<rect class="chart__bar') == 8 + 4 + 3 + 3 + 1 + 24
    sources = SOURCES.findall(html)
    assert "/static/reports/reports.css" in sources
    assert all(source.startswith("/") for source in sources), sources
    assert "http://" not in html and "https://" not in html
    assert "<script>" not in html and " style=" not in html  # CSP: no inline script or style
    assert ('id="in-charge"' in html) == (persona == "leader_in_charge")


def test_the_app_serves_its_own_stylesheet_and_script_and_they_print():
    from django.contrib.staticfiles import finders

    css = Path(str(finders.find("reports/reports.css"))).read_text()
    assert "@media print" in css and ".site-header" in css
    script = Path(str(finders.find("reports/reports.js"))).read_text()
    assert "window.print()" in script


@pytest.mark.parametrize(
    "path",
    [
        "/reports/dashboard/",
        "/reports/meetings/",
        "/reports/leaders/",
        "/reports/period/",
    ],
)
@pytest.mark.parametrize("persona", ["lead_liaison", "other_unit_liaison", "system_admin"])
def test_liaisons_and_administrators_are_refused(org: Org, client: Any, path: str, persona: str):
    client.login(username=persona, password=PASSWORD)
    response = client.get(path)
    assert response.status_code == 403
    assert "只有督办部门和校领导可以查看统计和报告。" in response.content.decode()


def test_the_reports_home_sends_each_reader_to_their_page(org: Org, client: Any):
    client.login(username="leader_in_charge", password=PASSWORD)
    assert client.get("/reports/").url == "/reports/dashboard/"
    client.login(username="lead_head", password=PASSWORD)
    assert client.get("/reports/").url == "/reports/assessment/"
    client.login(username="system_admin", password=PASSWORD)
    assert client.get("/reports/").status_code == 403


def test_the_nav_shows_the_reports_to_those_who_may_read_them(org: Org, client: Any):
    for persona, shown in (
        ("office_supervisor", True),
        ("leader_in_charge", True),
        ("lead_liaison", True),
        ("system_admin", False),
    ):
        client.login(username=persona, password=PASSWORD)
        assert ('href="/reports/"' in client.get("/").content.decode()) == shown, persona


# ----------------------------------------------------------------------------- R-F6


def rows(html: str) -> list[str]:
    """The titles of a report's item rows, in order."""
    return re.findall(r'<tr data-item="\d+">.*?<a href="/items/\d+/">([^<]+)</a>', html, re.S)


def test_r_f6_per_meeting(org: Org, board: dict[str, Item], client: Any, on_april_first: None):
    meetings = leadership.meetings(org.office_supervisor, YEAR, TODAY)
    assert [
        (m.source_body, m.minutes_issued_on, m.total, m.completed, m.active, m.overdue)
        for m in meetings
    ] == [
        ("president_meeting", dt.date(2026, 3, 2), 4, 1, 3, 1),
        ("standing_committee", dt.date(2026, 3, 2), 1, 0, 1, 0),
    ]
    client.login(username="office_supervisor", password=PASSWORD)
    page = client.get("/reports/meetings/president_meeting/2026-03-02/").content.decode()
    assert "校长办公会（2026年3月2日印发纪要）决定事项落实情况" in page
    assert rows(page) == ["B", "A", "C", "G"]  # by deadline
    # R-E4: B is 12 working days late (03-17 … 04-01).
    assert "超期12个工作日" in page
    assert "data-print" in page and "/static/reports/reports.css" in page

    client.login(username="leader_in_charge", password=PASSWORD)
    page = client.get("/reports/meetings/president_meeting/2026-03-02/").content.decode()
    assert rows(page) == ["B", "A", "C"]  # R-C1: not G
    assert client.get("/reports/meetings/president_meeting/2026-03-03/").status_code == 404
    assert client.get("/reports/meetings/no_such_body/2026-03-02/").status_code == 404
    assert client.get("/reports/meetings/president_meeting/yesterday/").status_code == 404


def test_r_f6_per_leader(
    org: Org, board: dict[str, Item], second_leader: User, client: Any, on_april_first: None
):
    lines = {
        line.leader.full_name: (line.in_charge["total"], line.decided["total"])
        for line in leadership.leader_lines(org.office_supervisor, YEAR, TODAY)
    }
    assert lines == {"王校长": (6, 0), "李副校长": (1, 1)}
    client.login(username="office_supervisor", password=PASSWORD)
    page = client.get(f"/reports/leaders/{second_leader.pk}/?year={YEAR}").content.decode()
    in_charge, decided = page.split('id="decided-items"')
    assert rows(in_charge) == ["E"]
    assert rows(decided) == ["F"]
    page = client.get(f"/reports/leaders/{org.leader_in_charge.pk}/").content.decode()
    in_charge, decided = page.split('id="decided-items"')
    assert sorted(rows(in_charge)) == ["A", "B", "C", "D", "F", "G"]
    assert rows(decided) == []
    assert client.get(f"/reports/leaders/{org.lead_liaison.pk}/").status_code == 404


def test_r_f6_per_period(org: Org, board: dict[str, Item], client: Any, on_april_first: None):
    client.login(username="office_supervisor", password=PASSWORD)
    page = client.get("/reports/period/?start=2026-03-01&end=2026-03-31").content.decode()
    established, rest = page.split('id="completed"')
    completed, overdue = rest.split('id="overdue"')
    assert sorted(rows(established)) == ["A", "B", "C", "D", "E", "F", "G"]
    assert rows(completed) == ["A"]
    assert rows(overdue) == ["B"]  # deadline 03-16 in March, missed; D's (04-03) is not
    # The default period is this month so far: nothing yet in April.
    page = client.get("/reports/period/").content.decode()
    assert "2026-04-01至2026-04-01" in page
    bad = client.get("/reports/period/?start=2026-04-01&end=2026-03-01").content.decode()
    assert "起始日期不能晚于截止日期。" in bad


# ----------------------------------------------------------------------------- queries


def build_items(org: Org, count: int) -> None:
    for number in range(count):
        item = establish(org, title=f"事项{number}")
        advance(org, item, (Status.COMPLETED, Status.RETURNED, Status.IN_PROGRESS)[number % 3])


def page_queries(client: Any, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize(
    ("url", "budget"),
    [
        ("/reports/dashboard/", 12),
        ("/reports/assessment/", 14),
        ("/reports/meetings/", 6),
        ("/reports/leaders/", 8),
        ("/reports/period/?start=2026-01-01&end=2026-12-31", 11),
    ],
)
def test_report_pages_do_not_query_per_item(
    org: Org, client: Any, url: str, budget: int, django_assert_max_num_queries: Any
):
    client.login(username="office_supervisor", password=PASSWORD)
    with time_machine.travel(at(dt.date(2026, 3, 2)), tick=False):
        build_items(org, 3)
        page_queries(client, url)  # the session's first touch aside
        few = page_queries(client, url)
        build_items(org, 27)
        assert Item.objects.count() == 30
        with django_assert_max_num_queries(budget):
            many = page_queries(client, url)
    assert many == few


# ----------------------------------------------------------------------------- a phone


CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# /tmp/duban-dashboard-phone.png: a look at the leader's dashboard on a phone.
PHONE_SCREENSHOT = Path(tempfile.gettempdir()) / "duban-dashboard-phone.png"


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_leader_reads_the_dashboard_on_a_phone(
    org: Org, board: dict[str, Item], live_server: Any, monkeypatch: pytest.MonkeyPatch
):
    from playwright.sync_api import expect, sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(
                locale="zh-CN", viewport={"width": 375, "height": 812}, is_mobile=True
            )
            page = context.new_page()
            blocked: list[str] = []
            page.on("console", lambda message: blocked.append(message.text))
            page.goto(f"{live_server.url}/login/")
            page.fill("#id_username", "leader_in_charge")
            page.fill("#id_password", PASSWORD)
            page.click("form button[type=submit]")
            expect(page.locator("main h1")).to_have_text("我的工作")
            page.click("[data-menu-toggle]")  # on a phone the menu folds behind 菜单
            page.click("nav >> text=统计报告")
            expect(page.locator("main h1")).to_contain_text("督办工作概览（校领导）")
            expect(page.locator("#in-charge")).to_be_visible()
            for key in ("status", "light", "unit", "source", "overdue", "trend"):
                chart = page.locator(f"#chart-{key}")
                expect(chart).to_be_visible()
                box = chart.bounding_box()
                assert box is not None and box["width"] <= 375 and box["height"] > 20
            # Nothing wider than the phone: no sideways scrolling of the page.
            assert page.evaluate("document.documentElement.scrollWidth") <= 375
            page.screenshot(path=str(PHONE_SCREENSHOT), full_page=True)
            # A bar leads to the ledger's matching items, as many as it says (the page
            # runs on today's real date, so count what the bar shows).
            bar = page.locator("#chart-overdue a").first
            value = int(bar.locator("g").get_attribute("data-value") or "0")
            bar.click()
            expect(page.locator("main h1")).to_have_text("督办工作台账")
            expect(page.locator("#ledger-table tbody tr")).to_have_count(value)
            assert not [text for text in blocked if "Content Security Policy" in text]
        finally:
            browser.close()
            connections.close_all()
    assert PHONE_SCREENSHOT.stat().st_size > 0


def test_a_bar_charts_rows_escape_the_labels_and_links_and_shorten_long_labels() -> None:
    """`chart_rows` and `chart_table_rows` (reports' figure_tags) write each bar as a
    link with its value; a label or link is text, never markup."""
    from duban.reports.charts import Bar, BarChart
    from duban.reports.templatetags.figure_tags import chart_rows, chart_table_rows

    chart = BarChart(
        "units",
        "各单位",
        "",
        [
            Bar("<b>教务处</b>", 4, href="/items/?unit=1&year=2026", highlight=True),
            Bar("研究生院与继续教育学院", 1, href="/items/?unit=2"),
            Bar("财务处", 0),
        ],
    )
    svg, table = str(chart_rows(chart)), str(chart_table_rows(chart))
    assert "<b>" not in svg + table
    assert '<g class="chart__row chart__row--highlight" data-bar="&lt;b&gt;教务处&lt;/b&gt;"' in svg
    assert '<a href="/items/?unit=1&amp;year=2026">' in svg
    assert ">研究生院与继续…</text>" in svg
    # Bars of 4, 1 and 0 on 208 units of room: the largest fills it, a small one shows.
    assert [int(w) for w in re.findall(r'width="(\d+)" height="16"', svg)] == [208, 52, 0]
    assert table.count("<tr>") == 3
    assert '<a href="/items/?unit=1&amp;year=2026">4</a>' in table
