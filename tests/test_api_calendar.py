"""The working-day calendar over the API (duban.api.calendar, R-D6): anyone signed in
reads a year; only the system administrator edits a day or loads the State Council's
notice, through duban.workcalendar.actions, audited, with the working-day deadlines
counted again. Every refusal is JSON with a Chinese message and changes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from duban.audit.models import AuditEvent
from duban.items.models import Item, ItemChange
from duban.workcalendar.calendar import is_workday
from duban.workcalendar.models import CalendarDay, CalendarYear
from tests.api_helpers import Api, assert_error
from tests.conftest import Org, establish, make_person

SHANGHAI = ZoneInfo("Asia/Shanghai")
DATA = Path(__file__).parent / "data"
NOT_CHANGES = ("login", "logout", "read_restricted", "download", "issue_api_token")
NOTICE_2027 = """国务院办公厅关于2027年部分节假日安排的通知
一、元旦：2026年12月31日（周四）至2027年1月3日（周日）放假调休，共4天。1月9日（周六）上班。
二、春节：2月6日（周六）至13日（周六）放假调休，共8天。2月20日（周六）上班。
三、国庆节：10月1日（周五）至7日（周四）放假调休，共7天。9月26日（周日）、10月9日（周六）上班。
"""


@pytest.fixture(autouse=True)
def monday() -> Iterator[None]:
    with time_machine.travel(dt.datetime(2026, 9, 28, 10, tzinfo=SHANGHAI), tick=False):
        yield


def calendar_state() -> dict[str, Any]:
    return {
        "days": list(CalendarDay.objects.order_by("day").values_list("day", "kind", "note")),
        "years": list(CalendarYear.objects.order_by("year").values_list("year", "status")),
        "items": list(Item.objects.order_by("pk").values_list("pk", "deadline")),
        "changes": ItemChange.objects.count(),
        "events": AuditEvent.objects.exclude(verb__in=NOT_CHANGES).count(),
    }


# ----------------------------------------------------------------------------- reading


@pytest.mark.parametrize(
    "persona", ["lead_liaison", "office_supervisor", "leader_in_charge", "system_admin"]
)
def test_anyone_signed_in_reads_a_year(client: Client, org: Org, persona: str) -> None:
    response = Api(client, getattr(org, persona)).get("/calendar/2026")

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["year"], body["status"], body["status_label"]) == (2026, "official", "正式")
    assert body["provisional"] is False
    holidays = {day["day"]: day for day in body["holidays"]}
    assert holidays["2026-10-01"] == {
        "day": "2026-10-01",
        "kind": "holiday",
        "kind_label": "休息日",
        "note": "国庆节",
        "weekday": 4,
    }
    # A make-up Saturday (R-E2's example) is a working day.
    assert "2026-10-10" in [day["day"] for day in body["make_up_workdays"]]
    assert all(day["weekday"] in (6, 7) for day in body["make_up_workdays"])
    assert all(day["weekday"] <= 5 for day in body["holidays"])
    assert body["workdays"] == sum(
        is_workday(dt.date(2026, 1, 1) + dt.timedelta(days=n)).is_workday for n in range(365)
    )


def test_a_year_without_data_is_provisional_monday_to_friday(client: Client, org: Org) -> None:
    body = Api(client, org.lead_liaison).get("/calendar/2031").json()
    assert (body["status"], body["provisional"]) == ("provisional", True)
    assert (body["holidays"], body["make_up_workdays"]) == ([], [])
    assert body["workdays"] == 261


@pytest.mark.parametrize("year", ["1899", "2101", "abc"])
def test_a_year_out_of_range_is_not_found(client: Client, org: Org, year: str) -> None:
    assert_error(Api(client, org.lead_liaison).get(f"/calendar/{year}"), 404, "not_found")


def test_the_calendar_needs_a_token(client: Client, org: Org) -> None:
    assert_error(client.get("/api/v1/calendar/2026"), 401, "unauthorized")


# ----------------------------------------------------------------------------- a day


def test_r_d6_the_system_administrator_makes_a_day_off_and_deadlines_move(
    client: Client, org: Org
) -> None:
    # Minutes of 2026-09-28: the 10th working day after is 2026-10-16 (RULES R-D2).
    item = establish(org)
    assert item.deadline == dt.date(2026, 10, 16)

    response = Api(client, org.system_admin).put(
        "/calendar/days/2026-10-12", {"kind": "holiday", "note": "校庆日"}
    )

    assert response.status_code == 200, response.content
    assert response.json() == {
        "day": {
            "day": "2026-10-12",
            "kind": "holiday",
            "kind_label": "休息日",
            "note": "校庆日",
            "weekday": 1,
        },
        "moved": 1,
        "confirmed": 0,
    }
    assert CalendarDay.objects.get(day=dt.date(2026, 10, 12)).kind == "holiday"
    item.refresh_from_db()
    assert item.deadline == dt.date(2026, 10, 19)
    event = AuditEvent.objects.filter(actor=org.system_admin).exclude(verb__in=NOT_CHANGES).first()
    assert event is not None
    assert "校庆日" in event.summary
    assert AuditEvent.objects.filter(item=item, verb="recompute_deadline").exists()


def test_a_day_of_a_year_never_stored_gets_its_year(client: Client, org: Org) -> None:
    response = Api(client, org.system_admin).put("/calendar/days/2031-05-02", {"kind": "holiday"})
    assert response.status_code == 200, response.content
    assert CalendarDay.objects.filter(day__year=2031).count() == 365
    assert CalendarYear.objects.get(year=2031).status == "provisional"


@pytest.mark.parametrize(
    "persona", ["office_supervisor", "leader_in_charge", "lead_liaison", "security_admin"]
)
def test_r_d6_no_one_else_edits_the_calendar(client: Client, org: Org, persona: str) -> None:
    item = establish(org)
    user = getattr(org, persona, None) or make_person(persona, persona, None, "安全管理员")
    person = Api(client, user)
    before = calendar_state()

    response = person.put("/calendar/days/2026-10-12", {"kind": "holiday", "note": "校庆日"})

    body = assert_error(response, 403, "forbidden")
    assert body["message"] == "只有系统管理员可以修改工作日历。"
    assert calendar_state() == before
    item.refresh_from_db()
    assert item.deadline == dt.date(2026, 10, 16)


def test_an_edit_without_a_token_is_refused(client: Client, org: Org) -> None:
    before = calendar_state()
    response = client.put(
        "/api/v1/calendar/days/2026-10-12", '{"kind": "holiday"}', content_type="application/json"
    )
    assert_error(response, 401, "unauthorized")
    assert calendar_state() == before


@pytest.mark.parametrize(
    ("path", "body", "status", "field"),
    [
        ("/calendar/days/2026-10-12", {"kind": "weekend"}, 400, "kind"),
        ("/calendar/days/2026-10-12", {}, 400, "kind"),
        ("/calendar/days/2026-10-12", {"kind": "holiday", "note": "长" * 101}, 400, "note"),
        ("/calendar/days/2026-10-12", {"kind": "holiday", "note": "a\x00b"}, 400, "note"),
        ("/calendar/days/2026-02-30", {"kind": "holiday"}, 404, None),
        ("/calendar/days/2101-01-01", {"kind": "holiday"}, 404, None),
    ],
)
def test_a_bad_edit_is_refused_and_changes_nothing(
    client: Client, org: Org, path: str, body: dict[str, Any], status: int, field: str | None
) -> None:
    person = Api(client, org.system_admin)
    before = calendar_state()
    answer = assert_error(
        person.put(path, body), status, "invalid" if status == 400 else "not_found"
    )
    if field:
        assert field in answer["errors"]
    assert calendar_state() == before


# ----------------------------------------------------------------------------- the notice


@pytest.fixture
def december() -> Iterator[None]:
    with time_machine.travel(dt.datetime(2026, 12, 21, 10, tzinfo=SHANGHAI), tick=False):
        yield


def test_r_d6_the_notice_is_previewed_then_loaded(client: Client, org: Org, december: None) -> None:
    item = establish(org, minutes_issued_on=dt.date(2026, 12, 18))
    assert (item.deadline, item.deadline_provisional) == (dt.date(2027, 1, 1), True)
    person = Api(client, org.system_admin)
    before = calendar_state()

    preview = person.post("/calendar/holiday-notice", {"text": NOTICE_2027})

    assert preview.status_code == 200, preview.content
    body = preview.json()
    assert (body["year"], body["loaded"]) == (2027, False)
    assert (len(body["holidays"]), len(body["make_up_workdays"])) == (19, 4)
    assert body["holidays"][0] == "2026-12-31"
    assert len(body["changes"]) == 16
    assert body["message"] == "预览：2027年放假19天，调休上班4天，日历未改动。"
    assert calendar_state() == before

    loaded = person.post("/calendar/holiday-notice", {"text": NOTICE_2027, "confirm": True})

    assert loaded.status_code == 200, loaded.content
    body = loaded.json()
    assert (body["loaded"], body["moved"]) == (True, 1)
    assert CalendarYear.objects.get(year=2027).status == "official"
    item.refresh_from_db()
    assert (item.deadline, item.deadline_provisional) == (dt.date(2027, 1, 5), False)
    assert AuditEvent.objects.filter(verb="admin_load_calendar", actor=org.system_admin).exists()


def test_an_official_year_is_replaced_only_when_asked(client: Client, org: Org) -> None:
    person = Api(client, org.system_admin)
    text = (DATA / "holiday_notice_2026.txt").read_text("utf-8")
    before = calendar_state()
    body = assert_error(
        person.post("/calendar/holiday-notice", {"text": text, "confirm": True}), 400, "invalid"
    )
    assert "已有正式日历" in body["message"]
    assert calendar_state() == before
    replaced = person.post(
        "/calendar/holiday-notice", {"text": text, "confirm": True, "replace": True}
    )
    assert replaced.status_code == 200, replaced.content
    assert replaced.json()["changes"] == []


@pytest.mark.parametrize(
    ("persona", "body", "status", "code"),
    [
        ("office_supervisor", {"text": NOTICE_2027, "confirm": True}, 403, "forbidden"),
        ("lead_liaison", {"text": NOTICE_2027}, 403, "forbidden"),
        ("system_admin", {"text": ""}, 400, "invalid"),
        ("system_admin", {"text": "这不是通知", "confirm": True}, 400, "invalid"),
    ],
)
def test_a_refused_notice_changes_nothing(
    client: Client, org: Org, persona: str, body: dict[str, Any], status: int, code: str
) -> None:
    person = Api(client, getattr(org, persona))
    before = calendar_state()
    assert_error(person.post("/calendar/holiday-notice", body), status, code)
    assert calendar_state() == before


# ----------------------------------------------------------------------------- a year's file


def test_r_d6_a_calendar_file_replaces_a_year(client: Client, org: Org) -> None:
    item = establish(org)  # deadline 2026-10-16, counted through 2026
    text = "# 校历调整\n2026-10-12 休息日 校庆日\n2026-10-01 holiday 国庆节\n"

    response = Api(client, org.system_admin).put("/calendar/2026", {"text": text})

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["year"], body["days"], body["moved"]) == (2026, 365, 1)
    assert body["message"].startswith("已导入2026年日历，共365天")
    # Only the two days listed are off; every other weekday works (the file says so).
    assert is_workday(dt.date(2026, 10, 12)).is_workday is False
    assert is_workday(dt.date(2026, 10, 2)).is_workday is True
    assert CalendarYear.objects.get(year=2026).status == "official"
    item.refresh_from_db()
    assert item.deadline == dt.date(2026, 10, 14)  # 10-01 and 10-12 off, 10-10 not worked
    event = AuditEvent.objects.get(verb="admin_load_calendar")
    assert (event.actor, event.summary) == (
        org.system_admin,
        "导入2026年日历（365天），该年度设为正式",
    )


@pytest.mark.parametrize(
    ("persona", "text", "status", "message"),
    [
        ("office_supervisor", "2026-10-12 休息日", 403, "只有系统管理员可以修改工作日历。"),
        ("system_admin", "2026-10-12 周末", 400, "第 2 行"),
        ("system_admin", "2027-01-01 休息日", 400, "不在 2026 年内"),
        ("system_admin", "# 只有注释", 400, "没有任何日期行"),
    ],
)
def test_a_refused_calendar_file_changes_nothing(
    client: Client, org: Org, persona: str, text: str, status: int, message: str
) -> None:
    person = Api(client, getattr(org, persona))
    before = calendar_state()
    body = assert_error(
        person.put("/calendar/2026", {"text": "# 文件\n" + text}),
        status,
        "forbidden" if status == 403 else "invalid",
    )
    assert message in body["message"]
    assert calendar_state() == before
