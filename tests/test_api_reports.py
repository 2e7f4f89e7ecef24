"""The figures and reports over the API (duban.api.reports): the same numbers and rows
as the pages of duban.reports.views, for the same people, in a number of queries that
does not grow with the items; every refusal is JSON with a Chinese message and
changes nothing.

The world (read on Monday 2026-09-28; established 2026-08-03 from that day's minutes):

    done     教务处, deadline 09-30, completed 08-20                     grey
    late     教务处, deadline 09-10, in progress, urged by phone 09-14   red (overdue)
    returned 教务处 → returned by the liaison, deadline 10-30            green
    hidden   教务处, sensitive, deadline 10-30, assigned (R-C1: the leader is not named)
    other    财务处, deadline 10-30, assigned
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from duban.audit.models import AuditEvent
from duban.items import actions
from duban.items.models import Item
from duban.items.states import Status
from duban.reports import figures
from tests.api_helpers import Api, assert_error
from tests.conftest import Org, advance, establish

SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = dt.date(2026, 9, 28)
YEAR = 2026
NOT_CHANGES = ("login", "logout", "read_restricted", "download", "issue_api_token")


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=SHANGHAI)


@pytest.fixture
def world(org: Org) -> dict[str, Item]:
    items: dict[str, Item] = {}
    with time_machine.travel(at(dt.date(2026, 8, 3)), tick=False) as traveller:
        items["done"] = establish(org, title="已办结事项", minutes_deadline=dt.date(2026, 9, 30))
        items["late"] = establish(org, title="超期事项", minutes_deadline=dt.date(2026, 9, 10))
        items["returned"] = establish(org, title="退回事项", minutes_deadline=dt.date(2026, 10, 30))
        items["hidden"] = establish(
            org,
            title="敏感信访事项",
            confidentiality="sensitive",
            minutes_deadline=dt.date(2026, 10, 30),
        )
        items["other"] = establish(
            org,
            title="财务处事项",
            lead_unit=org.other_unit,
            source_body="standing_committee",
            minutes_deadline=dt.date(2026, 10, 30),
        )
        advance(org, items["late"], Status.IN_PROGRESS)
        advance(org, items["returned"], Status.RETURNED)
        for name in ("hidden", "other"):
            actions.assign_item(org.office_supervisor, items[name])
        traveller.move_to(at(dt.date(2026, 8, 20)))
        advance(org, items["done"], Status.COMPLETED)
        traveller.move_to(at(dt.date(2026, 9, 14)))
        actions.urge_item(
            org.office_supervisor,
            items["late"],
            channel="phone",
            recipient=org.lead_liaison,
            note="电话催办，要求本周内报送进展。",
        )
    for item in items.values():
        item.refresh_from_db()
    return items


@pytest.fixture(autouse=True)
def on_monday(request: pytest.FixtureRequest) -> Iterator[None]:
    # After the world is built (it travels on its own).
    if "world" in request.fixturenames:
        request.getfixturevalue("world")
    with time_machine.travel(at(TODAY), tick=False):
        yield


def api(client: Client, user: Any) -> Api:
    return Api(client, user)


def page_context(user: Any, path: str) -> Any:
    """The context the page rendered for `user` (a fresh client: its own session)."""
    page = Client()
    page.force_login(user)
    response = page.get(path)
    assert response.status_code == 200, path
    return response.context


def unchanged() -> tuple[int, list[tuple[Any, ...]]]:
    """The audit trail (but sign-ins and reads, which are not changes) and the items."""
    changes = AuditEvent.objects.exclude(verb__in=NOT_CHANGES)
    return changes.count(), list(
        Item.objects.order_by("pk").values_list("pk", "status", "deadline", "updated_at")
    )


# ----------------------------------------------------------------------------- dashboard


@pytest.mark.parametrize("persona", ["office_supervisor", "leader_in_charge"])
def test_the_dashboard_is_the_pages(
    client: Client, org: Org, world: dict[str, Item], persona: str
) -> None:
    user = getattr(org, persona)
    board = page_context(user, f"/reports/dashboard/?year={YEAR}")["dashboard"]

    response = api(client, user).get("/reports/dashboard", year=YEAR)

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["year"], body["total"], body["overdue"]) == (YEAR, board.total, board.overdue)
    assert body["leader_view"] is (persona == "leader_in_charge")
    assert [chart["key"] for chart in body["charts"]] == [chart.key for chart in board.charts]
    for chart, page_chart in zip(body["charts"], board.charts, strict=True):
        assert [(bar["label"], bar["value"]) for bar in chart["bars"]] == [
            (bar.label, bar.value) for bar in page_chart.bars
        ]
    assert body["trend"]["established"] == board.trend.established
    assert body["trend"]["completed"] == board.trend.completed
    assert body["trend"]["months"][0] == "1月"


def test_the_dashboard_counts_what_its_user_may_see(
    client: Client, org: Org, world: dict[str, Item]
) -> None:
    # The leader is not named on the sensitive item (R-C1): it is not counted for them.
    office = api(client, org.office_supervisor).get("/reports/dashboard").json()
    leader = api(client, org.leader_in_charge).get("/reports/dashboard").json()

    assert (office["total"], office["overdue"]) == (5, 1)
    assert (leader["total"], leader["overdue"]) == (4, 1)
    assert [line["unit"]["name"] for line in leader["in_charge"]] == [
        "党政办公室",
        "教务处",
        "人事处",
        "财务处",
    ]


def test_each_bar_lists_exactly_the_items_it_counts(
    client: Client, org: Org, world: dict[str, Item]
) -> None:
    person = api(client, org.office_supervisor)
    body = person.get("/reports/dashboard", year=YEAR).json()
    checked = 0
    for chart in body["charts"]:
        for bar in chart["bars"]:
            if not bar["value"]:
                continue
            path = bar["items_url"].removeprefix("/api/v1")
            listed = person.client.get(f"/api/v1{path}&page_size=100", headers=person.headers)
            assert listed.status_code == 200, (bar, listed.content)
            assert listed.json()["count"] == bar["value"], bar
            checked += 1
    assert checked >= 8


@pytest.mark.parametrize("persona", ["lead_liaison", "lead_head", "system_admin"])
def test_the_dashboard_is_refused_to_everyone_else(
    client: Client, org: Org, world: dict[str, Item], persona: str
) -> None:
    before = unchanged()
    response = api(client, getattr(org, persona)).get("/reports/dashboard")
    body = assert_error(response, 403, "forbidden")
    assert body["message"] == "只有督办部门和校领导可以查看统计和报告。"
    assert unchanged() == before


def test_the_reports_need_a_token(client: Client, org: Org) -> None:
    for path in ("/reports/dashboard", "/reports/assessment", "/reports/period"):
        assert_error(client.get(f"/api/v1{path}"), 401, "unauthorized")


def test_a_year_out_of_range_is_refused_with_the_field_named(client: Client, org: Org) -> None:
    response = api(client, org.office_supervisor).get("/reports/dashboard", year=1999)
    body = assert_error(response, 400, "invalid")
    assert body["errors"] == {"year": "不能小于2000。"}


# ----------------------------------------------------------------------------- assessment


def page_counts(user: Any) -> dict[str, dict[str, int]]:
    table = page_context(user, f"/reports/assessment/?year={YEAR}")["assessment"]
    return {row.unit.name: row.counts for row in table.rows}


@pytest.mark.parametrize("persona", ["office_supervisor", "leader_in_charge", "lead_liaison"])
def test_the_assessment_is_the_pages(
    client: Client, org: Org, world: dict[str, Item], persona: str
) -> None:
    user = getattr(org, persona)
    response = api(client, user).get("/reports/assessment", year=YEAR)

    assert response.status_code == 200, response.content
    body = response.json()
    assert {row["unit"]["name"]: row["counts"] for row in body["rows"]} == page_counts(user)
    assert [figure["key"] for figure in body["figures"]] == list(figures.FIGURES)
    assert body["own_unit_only"] is (persona == "lead_liaison")


def test_the_assessment_figures_of_the_lead_unit(
    client: Client, org: Org, world: dict[str, Item]
) -> None:
    body = api(client, org.office_supervisor).get("/reports/assessment").json()
    row = next(row for row in body["rows"] if row["unit"]["id"] == org.lead_unit.pk)
    counts = row["counts"]
    wanted = {"led": 4, "completed": 1, "on_time": 1, "overdue": 1, "returns": 1}
    wanted.update({"urges_received": 1, "urges_manual": 1, "urges_automatic": 0})
    assert {key: counts[key] for key in wanted} == wanted
    assert row["completion_rate"] == 0.25


def test_a_unit_sees_only_its_own_row(client: Client, org: Org, world: dict[str, Item]) -> None:
    body = api(client, org.lead_liaison).get("/reports/assessment").json()
    assert [row["unit"]["name"] for row in body["rows"]] == ["教务处"]


@pytest.mark.parametrize("persona", ["system_admin", "security_admin"])
def test_the_assessment_is_refused_to_people_without_a_unit(
    client: Client, org: Org, world: dict[str, Item], persona: str
) -> None:
    from tests.conftest import make_person

    user = getattr(org, persona, None) or make_person(persona, persona, None, "安全管理员")
    before = unchanged()
    response = api(client, user).get("/reports/assessment")
    body = assert_error(response, 403, "forbidden")
    assert body["message"] == "只有督办部门、校领导和各单位负责人、联络员可以查看考核统计。"
    assert unchanged() == before


def test_the_assessment_export_is_the_pages_and_is_audited(
    client: Client, org: Org, world: dict[str, Item]
) -> None:
    page = Client()
    page.force_login(org.lead_liaison)
    expected = page.get(f"/reports/assessment/export/?year={YEAR}")

    response = api(client, org.lead_liaison).get("/reports/assessment/export", year=YEAR)

    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="assessment-2026.csv"'
    assert response.content == expected.content
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("单位代码,单位,牵头事项,已办结")
    assert lines[1:] == ["0200,教务处,4,1,1,1,1,0,0,0,0,0,0,1,0,1,1,0,0,0,25.0%"]
    events = AuditEvent.objects.filter(verb="export_assessment", actor=org.lead_liaison)
    assert events.count() == 2  # the page's and the API's


def test_the_assessment_export_is_refused_to_people_without_a_unit(
    client: Client, org: Org, world: dict[str, Item]
) -> None:
    person = api(client, org.system_admin)
    before = unchanged()
    assert_error(person.get("/reports/assessment/export"), 403, "forbidden")
    assert unchanged() == before


# ----------------------------------------------------------------------------- drill-down


def drill(person: Api, unit_id: int, figure: str) -> Any:
    return person.get(f"/reports/assessment/{YEAR}/{unit_id}/{figure}")


def test_every_number_lists_as_many_rows_as_it_says(
    client: Client, org: Org, world: dict[str, Item]
) -> None:
    person = api(client, org.office_supervisor)
    table = person.get("/reports/assessment", year=YEAR).json()
    checked = 0
    for row in table["rows"]:
        for figure in table["figures"]:
            if not figure["available"]:
                continue
            number = row["counts"][figure["key"]]
            if not number:
                continue
            response = drill(person, row["unit"]["id"], figure["key"])
            assert response.status_code == 200, response.content
            body = response.json()
            assert body["count"] == number == len(body["items"]) + len(body["events"])
            checked += 1
    assert checked >= 10


def test_a_drill_down_is_the_pages(client: Client, org: Org, world: dict[str, Item]) -> None:
    person = api(client, org.office_supervisor)
    for figure in ("led", "overdue", "urges_received", "returns"):
        page = page_context(
            org.office_supervisor, f"/reports/assessment/{YEAR}/{org.lead_unit.pk}/{figure}/"
        )
        body = drill(person, org.lead_unit.pk, figure).json()
        assert body["count"] == page["count"]
        if body["lists_items"]:
            assert [row["id"] for row in body["items"]] == [item.pk for item in page["items"]]
        else:
            assert [(event["id"], event["detail"]) for event in body["events"]] == [
                (event.pk, event.detail) for event in page["events"]
            ]


def test_the_overdue_list_shows_lateness_against_both_deadlines(
    client: Client, org: Org, world: dict[str, Item]
) -> None:
    body = drill(api(client, org.office_supervisor), org.lead_unit.pk, "overdue").json()
    [row] = body["items"]
    assert row["ledger_number"] == world["late"].ledger_number
    assert (row["light"], row["light_label"]) == ("red", "红灯")
    # 09-10 → 09-28: 12 working days late (2026's official calendar).
    assert row["lateness"] == {"against_current": 12, "against_original": 12}
    assert row["lead_unit"] == {"id": org.lead_unit.pk, "name": "教务处"}


def test_the_urges_list_says_who_urged_how(
    client: Client, org: Org, world: dict[str, Item]
) -> None:
    body = drill(api(client, org.office_supervisor), org.lead_unit.pk, "urges_manual").json()
    [event] = body["events"]
    assert event["detail"] == "电话 · 孙督办：电话催办，要求本周内报送进展。"
    assert event["item"]["id"] == world["late"].pk
    assert event["moment"].startswith("2026-09-14T10:00:00+08:00")


def test_a_unit_may_not_open_another_units_numbers(
    client: Client, org: Org, world: dict[str, Item]
) -> None:
    before = unchanged()
    response = drill(api(client, org.cooperating_liaison), org.lead_unit.pk, "led")
    body = assert_error(response, 403, "forbidden")
    assert body["message"] == "只能查看本单位的考核数据。"
    assert unchanged() == before


@pytest.mark.parametrize(
    "path",
    [
        f"/reports/assessment/{YEAR}/999999/led",
        "/reports/assessment/{year}/{unit}/no_such_figure",
        "/reports/assessment/1999/{unit}/led",
        "/reports/assessment/abc/{unit}/led",
    ],
)
def test_a_missing_number_is_not_found(
    client: Client, org: Org, world: dict[str, Item], path: str
) -> None:
    url = path.format(year=YEAR, unit=org.lead_unit.pk)
    assert_error(api(client, org.office_supervisor).get(url), 404, "not_found")


# ----------------------------------------------------------------------------- R-F6


def test_the_meetings_are_the_pages(client: Client, org: Org, world: dict[str, Item]) -> None:
    person = api(client, org.office_supervisor)
    page = page_context(org.office_supervisor, f"/reports/meetings/?year={YEAR}")["meetings"]
    body = person.get("/reports/meetings", year=YEAR).json()
    assert [(m["source_body"], m["minutes"], m["total"], m["overdue"]) for m in body] == [
        (m.source_body, m.date_slug, m.total, m.overdue) for m in page
    ]
    assert body[0]["body_label"]

    meeting = next(m for m in body if m["source_body"] == "president_meeting")
    assert (meeting["minutes"], meeting["total"], meeting["completed"]) == ("2026-08-03", 4, 1)
    report = person.get(f"/reports/meetings/president_meeting/{meeting['minutes']}").json()
    page_items = page_context(
        org.office_supervisor, "/reports/meetings/president_meeting/2026-08-03/"
    )["items"]
    assert [row["id"] for row in report["items"]] == [item.pk for item in page_items]
    assert report["bases"] == ["校长办公会纪要〔2026〕第12期"]


def test_a_meeting_without_visible_items_is_not_found(
    client: Client, org: Org, world: dict[str, Item]
) -> None:
    person = api(client, org.leader_in_charge)
    for path in (
        "/reports/meetings/president_meeting/2026-08-04",
        "/reports/meetings/no_such_body/2026-08-03",
        "/reports/meetings/president_meeting/not-a-date",
    ):
        assert_error(person.get(path), 404, "not_found")


def test_the_leaders_are_the_pages(client: Client, org: Org, world: dict[str, Item]) -> None:
    person = api(client, org.leader_in_charge)
    lines = person.get("/reports/leaders", year=YEAR).json()
    assert [(line["leader"]["id"], line["in_charge"]) for line in lines] == [
        (org.leader_in_charge.pk, {"total": 4, "completed": 1, "active": 3, "overdue": 1})
    ]

    report = person.get(f"/reports/leaders/{org.leader_in_charge.pk}", year=YEAR).json()
    page = page_context(org.leader_in_charge, f"/reports/leaders/{org.leader_in_charge.pk}/")
    assert [row["id"] for row in report["in_charge"]] == [item.pk for item in page["in_charge"]]
    assert report["decided"] == []
    assert world["hidden"].pk not in [row["id"] for row in report["in_charge"]]  # R-C1
    assert_error(person.get(f"/reports/leaders/{org.lead_head.pk}"), 404, "not_found")


def test_the_period_report_is_the_pages(client: Client, org: Org, world: dict[str, Item]) -> None:
    query = "start=2026-08-01&end=2026-09-28"
    page = page_context(org.office_supervisor, f"/reports/period/?{query}")["report"]
    body = (
        api(client, org.office_supervisor)
        .get("/reports/period", start="2026-08-01", end="2026-09-28")
        .json()
    )
    for name in ("established", "completed", "overdue"):
        assert [row["id"] for row in body[name]] == [item.pk for item in getattr(page, name)]
    assert len(body["established"]) == 5
    assert [row["id"] for row in body["completed"]] == [world["done"].pk]
    assert [row["id"] for row in body["overdue"]] == [world["late"].pk]
    assert body["title"] == "2026-08-01至2026-09-28"


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"start": "2026-09-28", "end": "2026-09-01"}, "start", "起始日期不能晚于截止日期。"),
        ({"start": "2016-01-01", "end": "2026-09-01"}, "end", "时间段不能超过五年。"),
        ({"start": "2026-02-30"}, "start", "日期无效，请使用YYYY-MM-DD格式的有效日期。"),
    ],
)
def test_a_bad_period_is_refused_with_the_field_named(
    client: Client, org: Org, params: dict[str, str], field: str, message: str
) -> None:
    response = api(client, org.office_supervisor).get("/reports/period", **params)
    body = assert_error(response, 400, "invalid")
    assert body["errors"] == {field: message}


@pytest.mark.parametrize(
    "path",
    ["/reports/meetings", "/reports/leaders", "/reports/period", "/reports/leaders/1"],
)
def test_the_reports_to_the_leadership_are_refused_to_units(
    client: Client, org: Org, world: dict[str, Item], path: str
) -> None:
    before = unchanged()
    assert_error(api(client, org.lead_head).get(path), 403, "forbidden")
    assert unchanged() == before


# ----------------------------------------------------------------------------- queries


def more_items(org: Org, count: int) -> None:
    with time_machine.travel(at(dt.date(2026, 8, 3)), tick=False):
        for number in range(count):
            item = establish(org, title=f"加测事项{number}", minutes_deadline=dt.date(2026, 9, 10))
            advance(org, item, Status.IN_PROGRESS)
            actions.urge_item(
                org.office_supervisor,
                item,
                channel="phone",
                recipient=org.lead_liaison,
                note="电话催办。",
            )


def query_counts(person: Api, paths: list[str]) -> dict[str, int]:
    person.get("/me")  # the token's first use of the moment is noted: not the reports'
    counts = {}
    for path in paths:
        with CaptureQueriesContext(connection) as queries:
            response = person.client.get(f"/api/v1{path}", headers=person.headers)
        assert response.status_code == 200, (path, response.content)
        counts[path] = len(queries)
    return counts


def test_the_queries_do_not_grow_with_the_rows(
    client: Client, org: Org, world: dict[str, Item]
) -> None:
    person = api(client, org.office_supervisor)
    unit = org.lead_unit.pk
    paths = [
        "/reports/dashboard",
        "/reports/assessment",
        f"/reports/assessment/{YEAR}/{unit}/led",
        f"/reports/assessment/{YEAR}/{unit}/overdue",
        f"/reports/assessment/{YEAR}/{unit}/urges_received",
        "/reports/meetings",
        "/reports/meetings/president_meeting/2026-08-03",
        "/reports/leaders",
        f"/reports/leaders/{org.leader_in_charge.pk}",
        "/reports/period?start=2026-08-01&end=2026-09-28",
    ]
    before = query_counts(person, paths)
    more_items(org, 6)
    after = query_counts(person, paths)
    assert after == before
    grown = person.get(f"/reports/assessment/{YEAR}/{unit}/overdue").json()
    assert grown["count"] == 7


# ----------------------------------------------------------------------------- the document

NEW_OPERATIONS = {
    ("get", "/api/v1/reports/dashboard"),
    ("get", "/api/v1/reports/assessment"),
    ("get", "/api/v1/reports/assessment/export"),
    ("get", "/api/v1/reports/assessment/{year}/{unit_id}/{figure}"),
    ("get", "/api/v1/reports/meetings"),
    ("get", "/api/v1/reports/meetings/{source_body}/{minutes}"),
    ("get", "/api/v1/reports/leaders"),
    ("get", "/api/v1/reports/leaders/{leader_id}"),
    ("get", "/api/v1/reports/period"),
    ("get", "/api/v1/ledger/export"),
    ("post", "/api/v1/ledger/exports"),
    ("get", "/api/v1/ledger/exports/{export_id}"),
    ("get", "/api/v1/ledger/exports/{export_id}/file"),
    ("get", "/api/v1/ledger/imports"),
    ("post", "/api/v1/ledger/imports"),
    ("get", "/api/v1/ledger/imports/{import_id}"),
    ("post", "/api/v1/ledger/imports/{import_id}/confirm"),
    ("get", "/api/v1/calendar/{year}"),
    ("put", "/api/v1/calendar/{year}"),
    ("put", "/api/v1/calendar/days/{day}"),
    ("post", "/api/v1/calendar/holiday-notice"),
}


def test_the_openapi_document_describes_the_new_endpoints_in_chinese(client: Client) -> None:
    document = client.get("/api/v1/openapi.json").json()
    operations = {
        (method, path): operation
        for path, methods in document["paths"].items()
        for method, operation in methods.items()
    }
    assert NEW_OPERATIONS <= set(operations)
    for key in NEW_OPERATIONS:
        summary = operations[key]["summary"]
        assert any("\u4e00" <= char <= "\u9fff" for char in summary), (key, summary)
        if key[0] != "get" or "{" in key[1]:
            assert {"401", "404"} <= set(operations[key]["responses"]), key

    def parameter(key: tuple[str, str], name: str) -> dict[str, Any]:
        found = next(p for p in operations[key]["parameters"] if p["name"] == name)
        schema: dict[str, Any] = found["schema"]
        return schema

    year = parameter(("get", "/api/v1/reports/dashboard"), "year")
    assert "anyOf" in year or (year["minimum"], year["maximum"]) == (2000, 2100)
    assert (2000, 2100) in {
        (option.get("minimum"), option.get("maximum")) for option in year.get("anyOf", [year])
    }
    calendar_year = parameter(("get", "/api/v1/calendar/{year}"), "year")
    assert (calendar_year["minimum"], calendar_year["maximum"]) == (1900, 2100)
    schemas = document["components"]["schemas"]
    assert schemas["CalendarDayIn"]["properties"]["note"]["maxLength"] == 100
    assert schemas["CalendarDayIn"]["required"] == ["kind"]
    assert schemas["HolidayNoticeIn"]["properties"]["text"]["minLength"] == 1
    export = operations[("get", "/api/v1/ledger/export")]
    assert (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        in export["responses"]["200"]["content"]
    )


def test_an_id_too_large_for_the_database_is_not_found(client: Client, org: Org) -> None:
    person = api(client, org.office_supervisor)
    huge = 2**64
    assert_error(person.get(f"/reports/assessment/{YEAR}/{huge}/led"), 404, "not_found")
    assert_error(person.get(f"/reports/leaders/{huge}"), 404, "not_found")
    assert_error(person.get(f"/ledger/imports/{huge}"), 404, "not_found")
    assert_error(person.post(f"/ledger/imports/{huge}/confirm"), 404, "not_found")
