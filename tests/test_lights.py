"""Warning lights (R-U4) and the progress flags (R-U1, R-F3) of duban.items.lights, and
where they are shown: the ledger (a column and a filter), my work, the item page and
the API.

Dates are in the official 2026 calendar: National Day off 10-01..10-07, make-up
working days Sun 09-20 and Sat 10-10; Mid-Autumn off 09-25..09-27.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from duban.items import actions
from duban.items.lights import annotate_lights, light_thresholds
from duban.items.models import Item
from tests.conftest import Org, advance, establish
from tests.test_api import Api

SHANGHAI = ZoneInfo("Asia/Shanghai")
FLAGS = ("light", "no_progress", "missed_milestone", "missed_phase_report")


@pytest.fixture(autouse=True)
def without_second_factor(settings: Any) -> None:
    # The pages here are about lights, not sign-in (two-factor is tested by its app).
    settings.OTP_REQUIRED = False


def moment(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, 0, tzinfo=SHANGHAI)


def item_on(org: Org, day: dt.date, deadline: dt.date | None, status: str = "in_progress", **extra):
    if deadline is not None:
        extra.setdefault("minutes_deadline", deadline)
    with time_machine.travel(moment(day), tick=False):
        return advance(org, establish(org, **extra), status)


def light_on(item: Item, day: dt.date) -> dict[str, Any]:
    return annotate_lights(Item.objects.filter(pk=item.pk), day).values(*FLAGS).get()


def light(item: Item, day: dt.date) -> str:
    return str(light_on(item, day)["light"])


# ----------------------------------------------------------------------------- R-U4


def test_r_u4_the_light_day_by_day_around_national_day(org: Org) -> None:
    item = item_on(org, dt.date(2026, 9, 24), dt.date(2026, 10, 9))
    assert {
        day: light(item, day)
        for day in (
            dt.date(2026, 9, 28),  # 3 working days on is 10-08: green
            dt.date(2026, 9, 29),  # 09-30, 10-08, 10-09: within 3 working days
            dt.date(2026, 10, 3),  # a holiday: 10-08, 10-09, 10-10
            dt.date(2026, 10, 9),  # the deadline day itself is yellow
            dt.date(2026, 10, 10),  # overdue from the day after (a make-up Saturday)
            dt.date(2026, 10, 11),
        )
    } == {
        dt.date(2026, 9, 28): "green",
        dt.date(2026, 9, 29): "yellow",
        dt.date(2026, 10, 3): "yellow",
        dt.date(2026, 10, 9): "yellow",
        dt.date(2026, 10, 10): "red",
        dt.date(2026, 10, 11): "red",
    }


def test_r_u4_a_completed_item_is_grey_even_past_its_deadline(org: Org) -> None:
    item = item_on(org, dt.date(2026, 9, 24), dt.date(2026, 10, 9), status="completed")
    assert light(item, dt.date(2026, 10, 20)) == "grey"
    assert light(item, dt.date(2026, 9, 25)) == "grey"


def test_r_u4_a_terminated_item_is_grey(org: Org) -> None:
    item = item_on(org, dt.date(2026, 9, 24), dt.date(2026, 10, 9))
    with time_machine.travel(moment(dt.date(2026, 9, 29)), tick=False):
        actions.terminate_item(
            org.office_supervisor,
            item,
            decision_kind="meeting",
            meeting_name="2026年第20次校长办公会",
            meeting_date=dt.date(2026, 9, 28),
            basis="校长办公会纪要〔2026〕第20期",
            reason="上级已撤销该项工作部署",
        )
    assert light(item, dt.date(2026, 10, 20)) == "grey"


def test_r_u4_an_item_not_yet_assigned_has_no_progress_flags(org: Org) -> None:
    """Nobody has been asked to act: only the deadline colours it."""
    item = item_on(org, dt.date(2026, 9, 1), dt.date(2026, 12, 18), status="established")
    assert light_on(item, dt.date(2026, 11, 2)) == {
        "light": "green",
        "no_progress": False,
        "missed_milestone": False,
        "missed_phase_report": False,
    }
    assert light(item, dt.date(2026, 12, 16)) == "yellow"
    assert light(item, dt.date(2026, 12, 21)) == "red"


def test_r_u4_a_submitted_item_past_its_deadline_is_red(org: Org) -> None:
    item = item_on(org, dt.date(2026, 9, 24), dt.date(2026, 10, 9), status="submitted")
    assert light_on(item, dt.date(2026, 10, 12))["light"] == "red"


# ----------------------------------------------------------------------------- R-U1


def test_r_u1_no_feedback_for_10_working_days_turns_yellow(org: Org) -> None:
    # Signed for on 09-24; ten working days on, across the holiday, is 10-15.
    item = item_on(org, dt.date(2026, 9, 24), dt.date(2026, 12, 18))
    assert light_on(item, dt.date(2026, 10, 15)) == {
        "light": "green",
        "no_progress": False,
        "missed_milestone": False,
        "missed_phase_report": False,
    }
    assert light_on(item, dt.date(2026, 10, 16)) == {
        "light": "yellow",
        "no_progress": True,
        "missed_milestone": False,
        "missed_phase_report": False,
    }
    with time_machine.travel(moment(dt.date(2026, 10, 16), 9), tick=False):
        actions.submit_feedback(org.lead_liaison, item, "已完成调研。")
    assert light_on(item, dt.date(2026, 10, 16))["light"] == "green"
    # And ten working days from that feedback: 10-30 is fine, 11-02 is not.
    assert light_on(item, dt.date(2026, 10, 30))["no_progress"] is False
    assert light_on(item, dt.date(2026, 11, 2))["no_progress"] is True


def test_r_u1_an_assigned_item_not_signed_for_counts_from_its_assignment(org: Org) -> None:
    item = item_on(org, dt.date(2026, 9, 24), dt.date(2026, 12, 18), status="assigned")
    assert light_on(item, dt.date(2026, 10, 15))["no_progress"] is False
    assert light_on(item, dt.date(2026, 10, 16))["no_progress"] is True


def test_r_u1_a_missed_milestone_of_the_current_plan(org: Org) -> None:
    item = item_on(org, dt.date(2026, 9, 24), dt.date(2026, 12, 18))
    with time_machine.travel(moment(dt.date(2026, 9, 28)), tick=False):
        actions.record_plan(
            org.lead_liaison,
            item,
            "按期完成",
            [
                actions.MilestoneInput("形成初稿", dt.date(2026, 10, 9)),
                actions.MilestoneInput("征求意见", dt.date(2026, 11, 13)),
            ],
        )
        # Feedback before the milestone's date does not report it.
        actions.submit_feedback(org.lead_liaison, item, "已启动。")
    assert light_on(item, dt.date(2026, 10, 9))["missed_milestone"] is False
    assert light_on(item, dt.date(2026, 10, 10)) == {
        "light": "yellow",
        "no_progress": False,
        "missed_milestone": True,
        "missed_phase_report": False,
    }
    # Feedback on the milestone's date reports it.
    with time_machine.travel(moment(dt.date(2026, 10, 9), 17), tick=False):
        actions.submit_feedback(org.lead_liaison, item, "初稿已形成。")
    assert light_on(item, dt.date(2026, 10, 12))["missed_milestone"] is False
    assert light_on(item, dt.date(2026, 11, 16))["missed_milestone"] is True


def test_r_u1_a_superseded_plan_misses_nothing(org: Org) -> None:
    item = item_on(org, dt.date(2026, 9, 24), dt.date(2026, 12, 18))
    with time_machine.travel(moment(dt.date(2026, 9, 28)), tick=False):
        actions.record_plan(
            org.lead_liaison, item, "旧计划", [actions.MilestoneInput("初稿", dt.date(2026, 10, 9))]
        )
        actions.record_plan(
            org.lead_liaison, item, "新计划", [actions.MilestoneInput("初稿", dt.date(2026, 11, 9))]
        )
    assert light_on(item, dt.date(2026, 10, 12))["missed_milestone"] is False


# ----------------------------------------------------------------------------- R-F3


@pytest.mark.parametrize(
    ("deadline", "long"),
    [
        # Signed 08-31: 30 working days on is 10-16 (September has 22, then 10-08,
        # 10-09, 10-10, 10-12 ... 10-16). A deadline on that day is not "more than 30".
        (dt.date(2026, 10, 16), False),
        (dt.date(2026, 10, 19), True),
        (dt.date(2026, 11, 30), True),
    ],
)
def test_r_f3_only_long_items_owe_a_monthly_report(org: Org, deadline: dt.date, long: bool) -> None:
    item = item_on(org, dt.date(2026, 8, 31), deadline)
    # 10-09: September, the last whole month, passed without a report.
    assert light_on(item, dt.date(2026, 10, 9))["missed_phase_report"] is long


def test_r_f3_the_30_working_days_count_from_the_assignment(org: Org) -> None:
    # Assigned 08-28 (Friday): 30 working days on is 10-15, so 10-16 is long.
    item = item_on(org, dt.date(2026, 8, 28), dt.date(2026, 10, 16))
    assert light_on(item, dt.date(2026, 10, 9))["missed_phase_report"] is True


def test_r_f3_every_annual_item_owes_a_monthly_report(org: Org) -> None:
    item = item_on(
        org,
        dt.date(2026, 8, 20),
        None,
        source_kind="annual",
        source_body="work_points",
        minutes_issued_on=None,
    )
    assert light_on(item, dt.date(2026, 9, 30))["missed_phase_report"] is False  # Aug: signed
    assert light_on(item, dt.date(2026, 10, 9)) == {
        "light": "yellow",
        "no_progress": True,
        "missed_milestone": False,
        "missed_phase_report": True,
    }
    # A late report for September, sent in October, clears it.
    with time_machine.travel(moment(dt.date(2026, 10, 12)), tick=False):
        actions.submit_feedback(org.lead_liaison, item, "九月进展。")
    assert light_on(item, dt.date(2026, 10, 12)) == {
        "light": "green",
        "no_progress": False,
        "missed_milestone": False,
        "missed_phase_report": False,
    }
    # November: October passed with only that report of 10-12: fine. December: not.
    assert light_on(item, dt.date(2026, 11, 2))["missed_phase_report"] is False
    assert light_on(item, dt.date(2026, 12, 1))["missed_phase_report"] is True


def test_r_f3_an_overdue_item_is_chased_by_the_ladder_not_by_phase_reports(org: Org) -> None:
    item = item_on(org, dt.date(2026, 8, 3), dt.date(2026, 9, 30))
    assert light_on(item, dt.date(2026, 10, 12)) == {
        "light": "red",
        "no_progress": True,
        "missed_milestone": False,
        "missed_phase_report": False,
    }


def test_lights_cost_two_queries_whatever_the_number_of_items(
    org: Org, django_assert_num_queries: Any
) -> None:
    for _ in range(5):
        item_on(org, dt.date(2026, 9, 24), dt.date(2026, 10, 9))
    with django_assert_num_queries(2):  # the calendar (days and years), then the rows
        rows = list(annotate_lights(Item.objects.all(), dt.date(2026, 10, 9)))
    assert {row.light for row in rows} == {"yellow"}  # type: ignore[attr-defined]
    limits = light_thresholds(dt.date(2026, 10, 9))
    with django_assert_num_queries(1):
        list(annotate_lights(Item.objects.all(), thresholds=limits))


# ----------------------------------------------------------------------------- pages


def lights_in_table(page: str) -> dict[str, str]:
    """Ledger number -> the light shown in its row."""
    rows = re.findall(r'data-label="台账编号">(督[^<]+)</td>.*?data-light="([a-z]+)"', page, re.S)
    return dict(rows)


@pytest.fixture
def mixed(org: Org) -> dict[str, Item]:
    return {
        "red": item_on(org, dt.date(2026, 9, 24), dt.date(2026, 10, 9)),
        "yellow": item_on(org, dt.date(2026, 9, 24), dt.date(2026, 10, 14)),
        "green": item_on(org, dt.date(2026, 10, 8), dt.date(2026, 12, 18)),
        "grey": item_on(org, dt.date(2026, 9, 24), dt.date(2026, 10, 9), status="completed"),
    }


def test_r_u4_the_ledger_shows_each_light_and_filters_by_it(
    client: Client, org: Org, mixed: dict[str, Item]
) -> None:
    with time_machine.travel(moment(dt.date(2026, 10, 12)), tick=False):
        client.force_login(org.office_supervisor)
        page = client.get(reverse("ledger")).content.decode()
        assert lights_in_table(page) == {
            item.ledger_number: colour for colour, item in mixed.items()
        }
        assert ">红灯</span>" in page and ">黄灯</span>" in page
        for colour, item in mixed.items():
            filtered = client.get(reverse("ledger"), {"light": colour}).content.decode()
            assert lights_in_table(filtered) == {item.ledger_number: colour}
        assert '<select name="light"' in page


def test_r_u4_my_work_shows_the_lights(client: Client, org: Org, mixed: dict[str, Item]) -> None:
    with time_machine.travel(moment(dt.date(2026, 10, 12)), tick=False):
        client.force_login(org.lead_liaison)
        page = client.get(reverse("my-work")).content.decode()
    in_progress = re.search(r'id="work-in_progress">(.*?)</section>', page, re.S)
    assert in_progress is not None
    assert lights_in_table(in_progress.group(1)) == {
        mixed[colour].ledger_number: colour for colour in ("red", "yellow", "green")
    }


def test_r_u4_the_item_page_shows_the_light_and_its_flags(client: Client, org: Org) -> None:
    item = item_on(org, dt.date(2026, 9, 24), dt.date(2026, 12, 18))
    with time_machine.travel(moment(dt.date(2026, 10, 16)), tick=False):
        client.force_login(org.office_supervisor)
        page = client.get(reverse("item-detail", kwargs={"pk": item.pk})).content.decode()
    head = re.search(r'<span id="item-light">(.*?)</span>\s*\n', page, re.S)
    assert head is not None
    assert 'data-light="yellow"' in head.group(1)
    assert "10个工作日无反馈" in head.group(1)


def test_r_u4_the_api_gives_the_light_in_the_list_and_the_detail(
    client: Client, org: Org, mixed: dict[str, Item]
) -> None:
    with time_machine.travel(moment(dt.date(2026, 10, 12)), tick=False):
        api = Api(client, org.office_supervisor)
        rows = api.get("/items").json()["results"]
        detail = api.get(f"/items/{mixed['yellow'].pk}").json()
        only_red = api.get("/items", light="red").json()["results"]
    assert {row["ledger_number"]: row["light"] for row in rows} == {
        item.ledger_number: colour for colour, item in mixed.items()
    }
    assert {key: detail[key] for key in (*FLAGS, "light_label", "light_meaning")} == {
        "light": "yellow",
        "light_label": "黄灯",
        "light_meaning": "3个工作日内到期或进展滞后",
        "no_progress": False,
        "missed_milestone": False,
        "missed_phase_report": False,
    }
    assert [row["ledger_number"] for row in only_red] == [mixed["red"].ledger_number]


def test_r_u4_light_filter_selects_exactly_the_rows_of_each_light(
    org: Org, mixed: dict[str, Item]
) -> None:
    """The ledger and the API filter lights by `light_filter` (ranges of indexed columns
    first); it must pick exactly the rows whose light is that colour, on any day."""
    from duban.items.lights import LIGHTS, light_filter, light_thresholds

    item_on(org, dt.date(2026, 9, 1), dt.date(2026, 12, 18))  # yellow by no progress
    item_on(org, dt.date(2026, 10, 9), dt.date(2026, 10, 13), status="established")
    item_on(org, dt.date(2026, 9, 24), dt.date(2026, 10, 9), status="submitted")
    item_on(org, dt.date(2026, 9, 24), dt.date(2026, 10, 20), status="assigned")
    for day in (dt.date(2026, 10, 9), dt.date(2026, 10, 12), dt.date(2026, 10, 15)):
        limits = light_thresholds(day)
        rows = annotate_lights(Item.objects.all(), thresholds=limits)
        seen = set()
        for code in LIGHTS:
            expected = set(rows.filter(light=code).values_list("pk", flat=True))
            assert set(rows.filter(light_filter(code, limits)).values_list("pk", flat=True)) == (
                expected
            ), (day, code)
            seen |= expected
        assert seen == set(Item.objects.values_list("pk", flat=True))
    assert {row["light"] for row in rows.values("light")} == set(LIGHTS)


# ----------------------------------------------------------------------------- compiled once


def test_precompiled_lights_in_a_subquery_answer_as_in_the_query(org: Org) -> None:
    """The lights are compiled once per day and table alias (duban.compiled): as a
    subquery, where Django renames the item table, they answer as they do on top."""
    red = item_on(org, dt.date(2026, 11, 2), dt.date(2026, 11, 20))
    green = item_on(org, dt.date(2026, 11, 20), dt.date(2026, 12, 31))
    day = dt.date(2026, 11, 24)
    on_top = set(
        annotate_lights(Item.objects.all(), day).filter(light="red").values_list("pk", flat=True)
    )
    inner = annotate_lights(Item.objects.all(), day).filter(light="red").values("pk")
    nested = set(Item.objects.filter(pk__in=inner).values_list("pk", flat=True))
    assert on_top == nested == {red.pk}
    assert light(green, day) == "green"


def test_a_changed_calendar_changes_the_lights_at_once(org: Org) -> None:
    """The compiled lights depend on the day's thresholds, which the calendar gives: a
    working day made a holiday moves "within 3 working days" at the next question."""
    from duban.workcalendar.calendar import set_day

    day = dt.date(2026, 11, 24)  # a Tuesday
    item = item_on(org, dt.date(2026, 11, 20), dt.date(2026, 11, 30))  # the next Monday
    assert light(item, day) == "green"  # 25, 26, 27 are the 3 working days
    for holiday in (dt.date(2026, 11, 25), dt.date(2026, 11, 26)):
        set_day(holiday, "holiday", "临时调整")
    assert light(item, day) == "yellow"  # 27 and 30 are now within 3 working days
