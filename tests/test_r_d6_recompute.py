"""Issue 11, section 2 (R-D6): loading or editing a year's calendar counts again every
working-day deadline through that year that has not passed. A moved deadline is a
recorded change ("国务院节假日安排公布后重算"), told to the lead unit; the provisional flag
clears; given deadlines and deadlines given since never move."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from io import StringIO
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from duban.api.tokens import issue_token
from duban.audit.models import AuditEvent
from duban.items import actions
from duban.items.models import Item, ItemChange, Notice
from duban.items.sweep import run_sweep
from duban.workcalendar.models import CalendarDay

from .conftest import Org, advance, establish

SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = dt.datetime(2026, 12, 21, 10, 0, tzinfo=SHANGHAI)
ISSUED = dt.date(2026, 12, 18)  # a Friday; its 10th working day falls in 2027
REASON = "国务院节假日安排公布后重算"


@pytest.fixture(autouse=True)
def december() -> Iterator[None]:
    with time_machine.travel(TODAY, tick=False):
        yield


@pytest.fixture
def schedule_2027(tmp_path: Path) -> Path:
    path = tmp_path / "2027.txt"
    path.write_text("2027-01-01 holiday 元旦\n", "utf-8")
    return path


def load(path: Path) -> str:
    out = StringIO()
    call_command("workdays", "load", "2027", str(path), stdout=out)
    return out.getvalue()


@pytest.fixture
def counted(org: Org) -> Item:
    item = advance(org, establish(org, minutes_issued_on=ISSUED), "in_progress")
    # Monday to Friday in a provisional 2027: 2027-01-01 is the 10th working day.
    assert (item.deadline, item.deadline_provisional) == (dt.date(2027, 1, 1), True)
    return item


def test_r_d6_loaded_year_moves_provisional_deadline(
    org: Org, counted: Item, schedule_2027: Path
) -> None:
    output = load(schedule_2027)
    assert output.splitlines() == [
        "deadlines recounted: 1 moved, 0 confirmed",
        "loaded 2027 365 days",
    ]
    counted.refresh_from_db()
    assert counted.deadline == dt.date(2027, 1, 4)  # 元旦 is off: the next Monday
    assert counted.deadline_provisional is False
    assert counted.original_deadline == dt.date(2027, 1, 1)  # the first date stays visible
    change = ItemChange.objects.get(item=counted)
    assert (change.field, change.old_value, change.new_value) == (
        "deadline",
        "2027-01-01",
        "2027-01-04",
    )
    assert change.reason == REASON
    assert change.changed_by is None
    event = AuditEvent.objects.get(item=counted, verb="recompute_deadline")
    assert event.summary == "2027年日历公布，按工作日重算办结时限：2027-01-01→2027-01-04"
    notices = Notice.objects.filter(item=counted, title=f"办结时限已调整：{counted.title}")
    assert {notice.recipient for notice in notices} == {org.lead_liaison, org.lead_head}


def test_r_d6_the_item_page_and_api_show_the_recorded_change(
    org: Org, counted: Item, schedule_2027: Path
) -> None:
    load(schedule_2027)
    client = Client()
    client.force_login(org.lead_liaison)
    page = client.get(reverse("item-detail", args=[counted.pk])).content.decode()
    assert REASON in page
    assert "2027-01-04" in page
    token = issue_token(org.lead_liaison)[0]
    detail = Client(headers={"Authorization": f"Bearer {token}"}).get(f"/api/v1/items/{counted.pk}")
    body = detail.json()
    assert body["deadline"] == "2027-01-04"
    assert body["deadline_provisional"] is False
    assert body["changes"][0]["reason"] == REASON
    assert body["changes"][0]["changed_by"] is None


def test_r_d6_a_count_the_schedule_does_not_move_is_confirmed(org: Org, tmp_path: Path) -> None:
    item = advance(org, establish(org, minutes_issued_on=dt.date(2026, 12, 21)), "assigned")
    assert (item.deadline, item.deadline_provisional) == (dt.date(2027, 1, 4), True)
    path = tmp_path / "2027.txt"
    path.write_text("2027-02-11 holiday 春节\n", "utf-8")  # nothing in early January
    assert load(path).splitlines()[0] == "deadlines recounted: 0 moved, 1 confirmed"
    item.refresh_from_db()
    assert (item.deadline, item.deadline_provisional) == (dt.date(2027, 1, 4), False)
    assert not ItemChange.objects.filter(item=item).exists()


def test_r_d6_given_deadline_not_moved(org: Org, schedule_2027: Path) -> None:
    given = establish(org, minutes_deadline=dt.date(2027, 1, 1))  # R-D1
    assert load(schedule_2027).splitlines()[0] == "deadlines recounted: 0 moved, 0 confirmed"
    given.refresh_from_db()
    assert given.deadline == dt.date(2027, 1, 1)
    assert not ItemChange.objects.exists()


def test_r_d6_a_deadline_changed_since_is_not_moved(
    org: Org, counted: Item, schedule_2027: Path
) -> None:
    actions.change_item(
        org.office_supervisor, counted, reason="会议决定延后", deadline=dt.date(2027, 1, 8)
    )
    assert load(schedule_2027).splitlines()[0] == "deadlines recounted: 0 moved, 0 confirmed"
    counted.refresh_from_db()
    assert counted.deadline == dt.date(2027, 1, 8)


def test_r_d6_a_closed_item_is_not_moved(org: Org, schedule_2027: Path) -> None:
    item = advance(org, establish(org, minutes_issued_on=ISSUED), "completed")
    load(schedule_2027)
    item.refresh_from_db()
    assert item.deadline == dt.date(2027, 1, 1)


def test_r_d6_the_reminder_ladder_follows_the_new_date(
    org: Org, counted: Item, schedule_2027: Path
) -> None:
    load(schedule_2027)
    # 2027-01-04 is the new deadline: its deadline-day reminder carries the new date.
    with time_machine.travel(dt.datetime(2027, 1, 4, 9, 0, tzinfo=SHANGHAI), tick=False):
        run_sweep(dt.datetime(2027, 1, 4, 9, 0, tzinfo=SHANGHAI))
    steps = list(counted.urges.values_list("step", flat=True))
    assert "deadline-0@2027-01-04" in steps


def test_r_d6_a_day_edited_in_the_admin_recounts(org: Org, counted: Item) -> None:
    admin = org.system_admin
    admin.is_staff = admin.is_superuser = True
    admin.save()
    client = Client()
    client.force_login(admin)
    # 2027 has no stored days yet; editing one stores the year (still provisional).
    response = client.post(
        "/admin/workcalendar/calendarday/add/", {"day": "2027-01-01", "kind": "holiday"}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert CalendarDay.objects.get(day="2027-01-01").kind == "holiday"
    counted.refresh_from_db()
    assert counted.deadline == dt.date(2027, 1, 4)
    assert counted.deadline_provisional is True  # 2027 is still not official
    change = ItemChange.objects.get(item=counted)
    assert change.changed_by == admin


def test_r_d6_recounting_again_is_idempotent(org: Org, counted: Item, schedule_2027: Path) -> None:
    load(schedule_2027)
    assert load(schedule_2027).splitlines()[0] == "deadlines recounted: 0 moved, 0 confirmed"
    assert ItemChange.objects.filter(item=counted).count() == 1
