"""Assessment figures (R-K3): exact figures per unit from a known story, every number
equal to its drill-down list for every persona, visibility (R-C1, R-C5), and pages
whose number of queries does not grow with the items.

The story (2025–2026, official calendar), all through the real actions and the sweep:

    X  2025 item of 教务处, urged 2026-01-05, completed 2026-01-06 (late)
    E  annual item of 教务处, signed 2026-01-05; the sweep of 2026-03-02 urges its missed
       February report (phase-2026-02, R-F3)
    A  deadline 04-30, completed 03-20                      on time
    B  deadline 04-10, extension approved to 05-29, completed 04-20
                                                            on time now, late vs original
    C  deadline 03-31, completed 04-08                      late
    C2 deadline 03-31, report submitted 03-30, accepted 04-02
                                                            on time (the report's day)
    D  deadline 03-25, still in progress, urged 03-27      overdue
    F  returned by 教务处 (R-A2), reassigned to 财务处, deadline 03-31 passed
    G  report returned 03-10 (R-F5), completed 03-12; a spot check finds a problem
    H  sensitive, no cooperating unit, urged 03-10, completed 04-22
    I  deadline brought forward from 04-30 to 03-20, completed 03-25
                                                            late now, on time vs original
    T  deadline 03-20, terminated 03-10                     not overdue
    人事处 cooperates on every meeting item but H (and on E), reports on A once, on B twice.

The figures are read on 2026-06-01.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from duban.audit.models import AuditEvent
from duban.items import actions
from duban.items.models import Item
from duban.items.states import Status
from duban.items.sweep import run_sweep
from duban.items.urges import urges_received_by_unit
from duban.organisation.models import Role, Unit
from duban.reports import figures
from tests.conftest import PASSWORD, Org, advance, establish, make_person

SHANGHAI = ZoneInfo("Asia/Shanghai")
YEAR = 2026


def at(day: str, hour: int = 9) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour), tzinfo=SHANGHAI)


def report(org: Org, item: Item) -> None:
    actions.draft_completion_report(org.lead_liaison, item, "已完成全部工作")
    actions.confirm_report(org.lead_head, item)


def accept(org: Org, item: Item) -> None:
    actions.review_report(org.office_supervisor, item, accept=True)


def complete(org: Org, item: Item) -> None:
    report(org, item)
    accept(org, item)


def urge(org: Org, item: Item) -> None:
    actions.urge_item(
        org.office_supervisor, item, channel="system", recipient=org.lead_liaison, note=""
    )


def meeting_item(org: Org, title: str, deadline: str, **overrides: Any) -> Item:
    item = establish(
        org, title=title, minutes_deadline=dt.date.fromisoformat(deadline), **overrides
    )
    actions.assign_item(org.office_supervisor, item)
    return item


def spot_check_problem(org: Org, day: dt.date, item: Item) -> None:
    """Draw the one item completed on `day` and record a problem with it (R-K1)."""
    from duban.spotchecks import actions as spot_actions

    draw = spot_actions.draw_sample(
        org.office_supervisor, period_start=day, period_end=day, count=1, seed=7
    )
    check = draw.checks.get()
    assert check.item_id == item.pk
    spot_actions.record_check(
        org.office_supervisor,
        check,
        method="revisit",
        finding="回访发现培训记录不全",
        result="problem",
        rectification_deadline=day + dt.timedelta(days=30),
        rectification_requirement="补齐培训记录",
    )


@pytest.fixture
def story(org: Org) -> dict[str, Item]:
    items: dict[str, Item] = {}
    with time_machine.travel(at("2025-12-01"), tick=False) as traveller:
        items["X"] = establish(org, title="X", minutes_issued_on=dt.date(2025, 12, 1))
        advance(org, items["X"], Status.IN_PROGRESS)

        traveller.move_to(at("2026-01-05"))
        urge(org, items["X"])
        items["E"] = actions.establish_item(
            org.office_supervisor,
            actions.EstablishInput(
                title="E",
                content="完成年度重点工作。",
                basis="2026年党政工作要点",
                source_kind="annual",
                source_body="work_points",
                lead_unit=org.lead_unit,
                cooperating_units=[org.cooperating_unit],
            ),
        )
        advance(org, items["E"], Status.IN_PROGRESS)

        traveller.move_to(at("2026-01-06"))
        complete(org, items["X"])

        # Before the day's items exist: only E's missed February report is due.
        traveller.move_to(at("2026-03-02", 8))
        assert [notice.step for notice in run_sweep(at("2026-03-02", 8)).notices] == [
            "phase-2026-02"
        ]

        traveller.move_to(at("2026-03-02"))
        for title, deadline in (
            ("A", "2026-04-30"),
            ("B", "2026-04-10"),
            ("C", "2026-03-31"),
            ("C2", "2026-03-31"),
            ("D", "2026-03-25"),
            ("F", "2026-03-31"),
            ("G", "2026-04-30"),
            ("I", "2026-04-30"),
            ("T", "2026-03-20"),
        ):
            items[title] = meeting_item(org, title, deadline)
        items["H"] = meeting_item(
            org, "H", "2026-04-30", confidentiality="sensitive", cooperating_units=[]
        )
        for title in ("A", "B", "C", "C2", "D", "G", "H", "I", "T"):
            actions.sign_for_item(org.lead_liaison, items[title])
        actions.return_item(org.lead_liaison, items["F"], "不属于本单位职责")
        actions.reassign_item(
            org.office_supervisor, items["F"], note="改由财务处承办", lead_unit=org.other_unit
        )

        traveller.move_to(at("2026-03-05"))
        actions.report_contribution(org.cooperating_liaison, items["A"], "已调配人员。")
        actions.change_item(
            org.office_supervisor,
            items["I"],
            reason="校长办公会要求提前完成",
            deadline=dt.date(2026, 3, 20),
        )

        traveller.move_to(at("2026-03-06"))
        actions.report_contribution(org.cooperating_liaison, items["B"], "已提供数据。")
        traveller.move_to(at("2026-03-09"))
        actions.report_contribution(org.cooperating_liaison, items["B"], "已补充数据。")

        traveller.move_to(at("2026-03-10"))
        actions.terminate_item(
            org.office_supervisor,
            items["T"],
            decision_kind="meeting",
            meeting_name="校长办公会2026年第8次会议",
            meeting_date=dt.date(2026, 3, 9),
            basis="校长办公会纪要〔2026〕第8期",
            reason="上级政策调整，不再实施",
        )
        report(org, items["G"])
        actions.review_report(
            org.office_supervisor, items["G"], accept=False, comment="缺少验收材料"
        )
        urge(org, items["H"])

        traveller.move_to(at("2026-03-12"))
        complete(org, items["G"])

        traveller.move_to(at("2026-03-13"))
        spot_check_problem(org, dt.date(2026, 3, 12), items["G"])

        traveller.move_to(at("2026-03-20"))
        complete(org, items["A"])
        actions.request_extension(
            org.lead_liaison,
            items["B"],
            requested_deadline=dt.date(2026, 5, 29),
            reason="需等待上级文件",
        )
        actions.decide_extension(org.office_supervisor, items["B"], approve=True)

        traveller.move_to(at("2026-03-25"))
        complete(org, items["I"])
        traveller.move_to(at("2026-03-27"))
        urge(org, items["D"])
        traveller.move_to(at("2026-03-30"))
        report(org, items["C2"])
        traveller.move_to(at("2026-04-02"))
        accept(org, items["C2"])
        traveller.move_to(at("2026-04-08"))
        complete(org, items["C"])
        traveller.move_to(at("2026-04-20"))
        complete(org, items["B"])
        traveller.move_to(at("2026-04-22"))
        complete(org, items["H"])

    for item in items.values():
        item.refresh_from_db()
    return items


TODAY = dt.date(2026, 6, 1)

# 教务处's figures as the office supervisor sees them: every item of the story (the
# supervisor established H, so sees it).
LEAD_UNIT_FIGURES = {
    "led": 10,
    "completed": 7,
    "on_time": 5,
    "on_time_original": 5,
    "overdue": 3,
    "cooperated": 0,
    "parts_on_time": 0,
    "parts_late": 0,
    "contributions": 0,
    "extensions_requested": 1,
    "extensions_approved": 1,
    "returns": 1,
    "report_returns": 1,
    "urges_received": 4,
    "urges_manual": 3,
    "urges_automatic": 1,
    "phase_reports_late": 1,
    "spot_check_findings": 1,
}
# The items behind each of 教务处's figures (an item repeats for repeated events).
LEAD_UNIT_ROWS = {
    "led": ["A", "B", "C", "C2", "D", "E", "G", "H", "I", "T"],
    "completed": ["A", "B", "C", "C2", "G", "H", "I"],
    "on_time": ["A", "B", "C2", "G", "H"],
    "on_time_original": ["A", "C2", "G", "H", "I"],
    "overdue": ["C", "D", "I"],
    "cooperated": [],
    "parts_on_time": [],
    "parts_late": [],
    "contributions": [],
    "extensions_requested": ["B"],
    "extensions_approved": ["B"],
    "returns": ["F"],
    "report_returns": ["G"],
    "urges_received": ["D", "E", "H", "X"],
    "urges_manual": ["D", "H", "X"],
    "urges_automatic": ["E"],
    "phase_reports_late": ["E"],
    "spot_check_findings": ["G"],
}
ZERO = dict.fromkeys(LEAD_UNIT_FIGURES, 0)


def assess(user: Any, units: Any = None) -> figures.Assessment:
    units = units if units is not None else figures.assessment_units(user)
    return figures.compute_assessment(user, YEAR, units, TODAY)


def counts_by_unit(assessment: figures.Assessment) -> dict[str, dict[str, int]]:
    return {row.unit.name: row.counts for row in assessment.rows}


def titles(user: Any, unit: Unit, key: str, year: int = YEAR) -> list[str]:
    family = figures.FAMILIES[figures.FIGURES[key].family]
    rows = figures.figure_rows(user, year, unit.pk, key, TODAY)
    ids = figures.figure_item_ids(rows, family)
    names = dict(Item.objects.filter(pk__in=ids).values_list("pk", "title"))
    return sorted(names[pk] for pk in ids)


# ----------------------------------------------------------------------------- exact figures


def test_r_k3_exact_figures_per_unit_for_the_office(org: Org, story: dict[str, Item]):
    table = counts_by_unit(assess(org.office_supervisor))
    assert table == {
        "党政办公室": ZERO,
        "教务处": LEAD_UNIT_FIGURES,
        # Cooperation counts apart; it never enters 人事处's completion rate (R-K3).
        "人事处": {**ZERO, "cooperated": 10, "contributions": 3},
        # F, returned by 教务处 and reassigned: 财务处 leads it, and it is overdue.
        "财务处": {**ZERO, "led": 1, "overdue": 1},
    }
    rows = {row.unit.name: row for row in assess(org.office_supervisor).rows}
    assert rows["教务处"].completion_rate == pytest.approx(0.7)
    assert rows["人事处"].completion_rate is None


def test_r_k3_the_items_behind_each_figure(org: Org, story: dict[str, Item]):
    for key, expected in LEAD_UNIT_ROWS.items():
        assert titles(org.office_supervisor, org.lead_unit, key) == expected, key
    assert titles(org.office_supervisor, org.cooperating_unit, "contributions") == ["A", "B", "B"]
    assert titles(org.office_supervisor, org.other_unit, "overdue") == ["F"]


def test_r_e4_on_time_against_the_current_and_the_original_deadline(
    org: Org, story: dict[str, Item]
):
    # B: extended, reported after its original deadline and before its current one.
    # I: deadline brought forward, reported after the current and before the original.
    on_time = titles(org.office_supervisor, org.lead_unit, "on_time")
    on_time_original = titles(org.office_supervisor, org.lead_unit, "on_time_original")
    assert ("B" in on_time, "B" in on_time_original) == (True, False)
    assert ("I" in on_time, "I" in on_time_original) == (False, True)
    # C2's report came on 03-30, the office accepted it on 04-02, after the 03-31
    # deadline: the unit is judged by its report's day (as extension_rules.lateness).
    assert "C2" in on_time
    completed_at = story["C2"].completed_at
    assert completed_at is not None and completed_at.date() > story["C2"].deadline


def test_r_k3_the_year_of_items_and_of_events(org: Org, story: dict[str, Item]):
    # X is a 2025 item: it counts among 2025's items, its 2026 urge among 2026's urges.
    units = Unit.objects.all()
    last_year = counts_by_unit(figures.compute_assessment(org.office_supervisor, 2025, units))
    assert last_year["教务处"] == {**ZERO, "led": 1, "completed": 1, "overdue": 1}
    assert "X" in titles(org.office_supervisor, org.lead_unit, "urges_received")
    assert "X" not in titles(org.office_supervisor, org.lead_unit, "led")


def test_r_u2_urges_are_counted_as_duban_items_urges_counts_them(org: Org, story: dict[str, Item]):
    # For a viewer who sees every item, the figure is urges_received_by_unit's.
    table = counts_by_unit(assess(org.office_supervisor))
    by_unit = urges_received_by_unit(YEAR)
    assert {
        name: table[name]["urges_received"] for name in table if table[name]["urges_received"]
    } == {Unit.objects.get(pk=unit_id).name: count for unit_id, count in by_unit.items()}


def test_r_c1_a_leader_not_named_on_the_sensitive_item_does_not_count_it(
    org: Org, story: dict[str, Item]
):
    table = counts_by_unit(assess(org.leader_in_charge))
    # H (sensitive) and its urge are out of the leader's figures.
    assert table["教务处"] == {
        **LEAD_UNIT_FIGURES,
        "led": 9,
        "completed": 6,
        "on_time": 4,
        "on_time_original": 4,
        "urges_received": 3,
        "urges_manual": 2,
    }
    assert "H" not in titles(org.leader_in_charge, org.lead_unit, "led")


def test_a_leader_sees_their_own_units_first(org: Org, story: dict[str, Item]):
    vice = make_person("vice_leader", Role.SCHOOL_LEADER, None, "李副校长")
    Unit.objects.filter(pk=org.other_unit.pk).update(leader_in_charge=vice)
    rows = assess(vice).rows
    assert [(row.unit.name, row.in_charge) for row in rows] == [
        ("财务处", True),
        ("党政办公室", False),
        ("教务处", False),
        ("人事处", False),
    ]


def test_r_c1_a_unit_sees_its_own_figures_only(org: Org, story: dict[str, Item]):
    lead = assess(org.lead_liaison)
    assert [row.unit.name for row in lead.rows] == ["教务处"]
    # The lead unit sees its sensitive item H; F, now 财务处's, is no longer its to see,
    # so its return is not counted for it either (counts equal lists, for everyone).
    assert lead.rows[0].counts == {**LEAD_UNIT_FIGURES, "returns": 0}

    other = assess(org.other_unit_liaison)
    assert [(row.unit.name, row.counts) for row in other.rows] == [
        ("财务处", {**ZERO, "led": 1, "overdue": 1})
    ]
    # Asked for every unit, another unit's liaison still counts only what it may see:
    # none of 教务处's items (H, sensitive, least of all), only 教务处's return of F,
    # which 财务处 now leads and whose record it reads on F's page anyway.
    everything = counts_by_unit(assess(org.other_unit_liaison, Unit.objects.all()))
    assert everything["教务处"] == {**ZERO, "returns": 1}
    assert titles(org.other_unit_liaison, org.lead_unit, "led") == []
    assert titles(org.other_unit_liaison, org.lead_unit, "returns") == ["F"]


def test_people_without_a_unit_role_have_no_figures(org: Org, story: dict[str, Item]):
    member = make_person("lead_member", Role.UNIT_MEMBER, org.lead_unit, "王干事")
    assert figures.assessment_units(member) is None
    assert figures.assessment_units(org.system_admin) is None


def test_spot_check_findings_show_zero_with_a_note_without_the_app(
    org: Org, story: dict[str, Item], monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(figures, "spot_check_model", lambda: None)
    assessment = assess(org.office_supervisor)
    assert assessment.unavailable == {"spot_check_findings"}
    assert counts_by_unit(assessment)["教务处"]["spot_check_findings"] == 0


# ----------------------------------------------------------------------------- numbers = lists

PERSONAS = [
    "office_supervisor",
    "leader_in_charge",
    "lead_liaison",
    "lead_head",
    "cooperating_liaison",
    "other_unit_liaison",
]


@pytest.mark.parametrize("persona", PERSONAS)
def test_r_c5_every_figure_equals_its_drill_down_for_each_persona(
    org: Org, story: dict[str, Item], persona: str
):
    user = getattr(org, persona)
    assessment = assess(user)
    visible = set(Item.objects.visible_to(user).values_list("pk", flat=True))
    checked = 0
    for row in assessment.rows:
        for figure in assessment.figures:
            family = figures.FAMILIES[figure.family]
            rows = figures.figure_rows(user, YEAR, row.unit.pk, figure.key, TODAY)
            ids = figures.figure_item_ids(rows, family)
            assert len(ids) == row.counts[figure.key], (row.unit.name, figure.key)
            assert set(ids) <= visible, (row.unit.name, figure.key)
            checked += 1
    assert checked == len(assessment.rows) * len(figures.FIGURE_LIST)


LINK = re.compile(
    r'<a href="(?P<url>/reports/assessment/\d+/(?P<unit>\d+)/(?P<figure>[a-z_]+)/)"'
    r' data-figure="(?P=figure)"[^>]*>(?P<count>\d+)</a>'
)


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_number_on_the_page_links_to_as_many_rows(
    org: Org, story: dict[str, Item], persona: str, client: Any
):
    client.login(username=getattr(org, persona).username, password=PASSWORD)
    with time_machine.travel(at(TODAY.isoformat()), tick=False):
        page = client.get(f"/reports/assessment/?year={YEAR}")
        assert page.status_code == 200
        html = page.content.decode()
        links = list(LINK.finditer(html))
        units = len(assess(getattr(org, persona)).rows)
        assert len(links) == units * len(figures.FIGURE_LIST)
        shown: Counter[str] = Counter()
        for link in links:
            listed = client.get(link["url"])
            assert listed.status_code == 200, link["url"]
            rows = listed.content.decode().count('<tr data-item="')
            assert rows == int(link["count"]), link["url"]
            shown[link["figure"]] += rows
    if persona == "office_supervisor":
        assert shown["led"] == 11 and shown["urges_received"] == 4


def test_the_page_shows_each_definition(org: Org, item: Item, client: Any):
    client.login(username="office_supervisor", password=PASSWORD)
    html = client.get(f"/reports/assessment/?year={YEAR}").content.decode()
    for key, definition in figures.definitions().items():
        assert f'data-definition="{key}"' in html
        assert definition in html  # in the table under the figures, and as a tooltip
        assert f'title="{definition}"' in html


# ----------------------------------------------------------------------------- access


def test_a_liaison_sees_only_their_own_unit(org: Org, story: dict[str, Item], client: Any):
    client.login(username="lead_liaison", password=PASSWORD)
    page = client.get(f"/reports/assessment/?year={YEAR}").content.decode()
    assert "教务处" in page and "财务处" not in page
    own = client.get(f"/reports/assessment/{YEAR}/{org.lead_unit.pk}/led/")
    assert own.status_code == 200
    other = client.get(f"/reports/assessment/{YEAR}/{org.other_unit.pk}/led/")
    assert other.status_code == 403
    assert "只能查看本单位的考核数据。" in other.content.decode()


@pytest.mark.parametrize(
    "path",
    [
        "/reports/assessment/2026/{unit}/no_such_figure/",
        "/reports/assessment/2026/999999/led/",
        "/reports/assessment/1999/{unit}/led/",
    ],
)
def test_unknown_figures_units_and_years_are_not_found(
    org: Org, item: Item, client: Any, path: str
):
    client.login(username="office_supervisor", password=PASSWORD)
    assert client.get(path.format(unit=org.lead_unit.pk)).status_code == 404


@pytest.mark.parametrize("persona", ["system_admin", "lead_member"])
def test_others_are_refused_the_assessment(org: Org, client: Any, persona: str):
    make_person("lead_member", Role.UNIT_MEMBER, org.lead_unit, "王干事")
    client.login(username=persona, password=PASSWORD)
    for path in ("/reports/assessment/", f"/reports/assessment/{YEAR}/{org.lead_unit.pk}/led/"):
        response = client.get(path)
        assert response.status_code == 403
        assert "考核统计" in response.content.decode()


def test_the_export_holds_the_same_figures(org: Org, story: dict[str, Item], client: Any):
    client.login(username="office_supervisor", password=PASSWORD)
    with time_machine.travel(at(TODAY.isoformat()), tick=False):
        response = client.get(f"/reports/assessment/export/?year={YEAR}")
    text = response.content.decode("utf-8-sig")
    lines = [line.split(",") for line in text.strip().splitlines()]
    header = lines[0]
    assert header[:3] == ["单位代码", "单位", "牵头事项"]
    row = next(line for line in lines if line[1] == "教务处")
    values = dict(zip(header, row, strict=True))
    for figure in figures.FIGURE_LIST:
        assert int(values[str(figure.label)]) == LEAD_UNIT_FIGURES[figure.key]
    assert values["办结率"] == "70.0%"
    event = AuditEvent.objects.get(verb="export_assessment")
    assert (event.actor, event.data) == (org.office_supervisor, {"year": YEAR, "units": 4})


# ----------------------------------------------------------------------------- queries


def build_items(org: Org, count: int) -> None:
    for number in range(count):
        item = establish(org, title=f"事项{number}")
        if number % 3 == 0:
            advance(org, item, Status.COMPLETED)
        elif number % 3 == 1:
            advance(org, item, Status.RETURNED)
        else:
            advance(org, item, Status.IN_PROGRESS)
            urge(org, item)


def page_queries(client: Any, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize(
    ("path", "budget"),
    [
        ("/reports/assessment/", 14),  # the session, units, and one per family (8)
        ("/reports/assessment/2026/{unit}/led/", 11),
        ("/reports/assessment/2026/{unit}/urges_received/", 7),
        ("/reports/assessment/2026/{unit}/returns/", 7),
    ],
)
def test_the_figures_pages_do_not_query_per_item(
    org: Org, client: Any, path: str, budget: int, django_assert_max_num_queries: Any
):
    client.login(username="office_supervisor", password=PASSWORD)
    url = path.format(unit=org.lead_unit.pk)
    with time_machine.travel(at("2026-03-02"), tick=False):
        build_items(org, 3)
        page_queries(client, url)  # the session's first touch aside
        few = page_queries(client, url)
        build_items(org, 27)
        assert Item.objects.count() == 30
        with django_assert_max_num_queries(budget):
            many = page_queries(client, url)
    assert many == few
