"""The reminder sweep (duban.items.sweep): the ladder of R-U3, R-F2's first feedback
and R-F3's phased reports, as of moments around the 2026 holidays.

The calendar is the official 2026 one stored by the migrations: National Day off
10-01..10-07 with make-up working days Sun 09-20 and Sat 10-10 (Mid-Autumn off
09-25..09-27); Spring Festival off 02-15..02-23 with make-up Sat 02-14 and Sat 02-28.
The clock is moved, never slept on.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from io import StringIO
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import CommandError, call_command

from duban.audit.models import AuditEvent
from duban.items import actions
from duban.items.models import Notice, Urge
from duban.items.sweep import run_sweep
from duban.organisation.models import Unit, User
from duban.workcalendar.calendar import is_workday
from tests.conftest import Org, advance, establish

SHANGHAI = ZoneInfo("Asia/Shanghai")
LEAD = "周联络,李处长"
LEAD_AND_LEADER = "周联络,李处长,王校长"
LEADER = "王校长"


def moment(day: dt.date, hour: int = 9) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, 0, tzinfo=SHANGHAI)


def days(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]


def item_on(org: Org, day: dt.date, deadline: dt.date, status: str = "in_progress", **extra: Any):
    """An item established, assigned (and signed for) on `day` at 10:00, due `deadline`."""
    extra.setdefault("minutes_deadline", deadline)
    with time_machine.travel(moment(day, 10), tick=False):
        item = establish(org, **extra)
        return advance(org, item, status)


def sweep_every_day(first: dt.date, last: dt.date, hour: int = 9) -> dict[dt.date, list[str]]:
    """Run the sweep once a day; the lines it printed, by day (days without any left out)."""
    sent: dict[dt.date, list[str]] = defaultdict(list)
    for day in days(first, last):
        with time_machine.travel(moment(day, hour), tick=False):
            result = run_sweep(moment(day, hour))
        sent[day].extend(notice.line() for notice in result.notices)
    return {day: lines for day, lines in sent.items() if lines}


# ----------------------------------------------------------------------------- R-U3 ladder


def test_r_u3_the_ladder_around_national_day(org: Org) -> None:
    friday = item_on(org, dt.date(2026, 9, 1), dt.date(2026, 10, 9))
    tuesday = item_on(org, dt.date(2026, 9, 1), dt.date(2026, 9, 29))
    f, t = friday.ledger_number, tuesday.ledger_number

    sent = sweep_every_day(dt.date(2026, 9, 18), dt.date(2026, 10, 21))

    assert sent == {
        # 3 working days before 09-29: 09-28, 09-24, 09-23 (Mid-Autumn 09-25 is off).
        dt.date(2026, 9, 23): [f"{t} deadline-3 {LEAD}"],
        dt.date(2026, 9, 29): [
            f"{t} deadline-0 {LEAD}",
            # 3 working days before 10-09, across the holiday: 10-08, 09-30, 09-29.
            f"{f} deadline-3 {LEAD}",
        ],
        dt.date(2026, 9, 30): [f"{t} overdue-1 {LEAD}"],
        # Nothing from 10-01 to 10-07: k stands still over the holiday.
        dt.date(2026, 10, 9): [f"{f} deadline-0 {LEAD}"],
        # The make-up Saturday is a working day like any other.
        dt.date(2026, 10, 10): [f"{t} overdue-4 {LEAD}", f"{f} overdue-1 {LEAD}"],
        dt.date(2026, 10, 12): [f"{t} leader-5 {LEADER}"],
        dt.date(2026, 10, 14): [f"{t} overdue-7 {LEAD_AND_LEADER}", f"{f} overdue-4 {LEAD}"],
        dt.date(2026, 10, 15): [f"{f} leader-5 {LEADER}"],
        dt.date(2026, 10, 19): [
            f"{t} overdue-10 {LEAD_AND_LEADER}",
            f"{f} overdue-7 {LEAD_AND_LEADER}",
        ],
    }
    assert all(is_workday(day).is_workday for day in sent)


def test_r_u3_the_ladder_around_the_spring_festival(org: Org) -> None:
    friday = item_on(org, dt.date(2026, 2, 2), dt.date(2026, 2, 13))
    wednesday = item_on(org, dt.date(2026, 2, 2), dt.date(2026, 2, 25))
    saturday = item_on(org, dt.date(2026, 2, 2), dt.date(2026, 2, 28))
    f, w, s = friday.ledger_number, wednesday.ledger_number, saturday.ledger_number

    sent = sweep_every_day(dt.date(2026, 2, 5), dt.date(2026, 3, 6))

    assert sent == {
        dt.date(2026, 2, 10): [f"{f} deadline-3 {LEAD}"],
        dt.date(2026, 2, 13): [
            f"{f} deadline-0 {LEAD}",
            # 3 working days before 02-25, across the holiday: 02-24, 02-14, 02-13.
            f"{w} deadline-3 {LEAD}",
        ],
        # The make-up Saturday before the holiday: the first overdue day.
        dt.date(2026, 2, 14): [f"{f} overdue-1 {LEAD}"],
        # Nothing from 02-15 to 02-23.
        dt.date(2026, 2, 25): [f"{w} deadline-0 {LEAD}", f"{s} deadline-3 {LEAD}"],
        dt.date(2026, 2, 26): [f"{f} overdue-4 {LEAD}", f"{w} overdue-1 {LEAD}"],
        dt.date(2026, 2, 27): [f"{f} leader-5 {LEADER}"],
        # A deadline on the make-up Saturday: its reminder comes that Saturday.
        dt.date(2026, 2, 28): [f"{s} deadline-0 {LEAD}"],
        dt.date(2026, 3, 2): [
            f"{f} overdue-7 {LEAD_AND_LEADER}",
            f"{w} overdue-4 {LEAD}",
            f"{s} overdue-1 {LEAD}",
        ],
        dt.date(2026, 3, 3): [f"{w} leader-5 {LEADER}"],
        dt.date(2026, 3, 5): [
            f"{f} overdue-10 {LEAD_AND_LEADER}",
            f"{w} overdue-7 {LEAD_AND_LEADER}",
            f"{s} overdue-4 {LEAD}",
        ],
        dt.date(2026, 3, 6): [f"{s} leader-5 {LEADER}"],
    }


@pytest.mark.parametrize(
    "day", [dt.date(2026, 10, 1), dt.date(2026, 10, 5), dt.date(2026, 10, 11), dt.date(2026, 2, 17)]
)
def test_r_u3_nothing_is_sent_on_a_day_off(org: Org, day: dt.date) -> None:
    item_on(org, dt.date(2026, 1, 5), dt.date(2026, 1, 30))
    notices = Notice.objects.count()
    with time_machine.travel(moment(day), tick=False):
        result = run_sweep(moment(day))
    assert (result.workday, result.sent) == (False, 0)
    assert Notice.objects.count() == notices
    assert not Urge.objects.exists()


def test_r_u3_each_step_is_recorded_as_an_automatic_urge_and_notified(org: Org) -> None:
    item = item_on(org, dt.date(2026, 9, 1), dt.date(2026, 10, 9))
    when = moment(dt.date(2026, 10, 15))
    notices = Notice.objects.count()
    with time_machine.travel(when, tick=False):
        result = run_sweep(when)

    # 10-15 is the 5th working day overdue; the earlier steps were never swept, and
    # only the latest one due is caught up.
    assert [notice.line() for notice in result.notices] == [
        f"{item.ledger_number} leader-5 {LEADER}"
    ]
    urge = Urge.objects.get()
    assert (urge.item, urge.unit, urge.recipient, urge.urged_by) == (
        item,
        org.lead_unit,
        org.leader_in_charge,
        None,
    )
    assert (urge.channel, urge.step, urge.created_at) == ("system", "leader-5", when)
    assert urge.automatic
    assert "已超期5个工作日" in urge.note
    new = Notice.objects.order_by("pk")[notices:]
    assert [(notice.recipient, notice.item, notice.created_at) for notice in new] == [
        (org.leader_in_charge, item, when)
    ]
    assert new[0].title == f"分管单位督办事项已超期5个工作日：{item.title}"
    event = AuditEvent.objects.filter(item=item).latest("sequence")
    assert (event.verb, event.actor, event.data["step"]) == ("reminder", None, "leader-5")


# ----------------------------------------------------------------------------- catching up


def test_r_u3_a_missed_day_is_caught_up_once_with_the_latest_step(org: Org) -> None:
    item = item_on(org, dt.date(2026, 9, 1), dt.date(2026, 10, 9))
    number = item.ledger_number
    # No sweep ran on 09-29 (deadline-3), nor from 10-12 to 10-15 (overdue-4, leader-5).
    sent = {
        day: lines
        for day, lines in {
            **sweep_every_day(dt.date(2026, 9, 30), dt.date(2026, 10, 10)),
            **sweep_every_day(dt.date(2026, 10, 16), dt.date(2026, 10, 19)),
        }.items()
    }
    assert sent == {
        dt.date(2026, 9, 30): [f"{number} deadline-3 {LEAD}"],
        dt.date(2026, 10, 9): [f"{number} deadline-0 {LEAD}"],
        dt.date(2026, 10, 10): [f"{number} overdue-1 {LEAD}"],
        dt.date(2026, 10, 16): [f"{number} leader-5 {LEADER}"],
        dt.date(2026, 10, 19): [f"{number} overdue-7 {LEAD_AND_LEADER}"],
    }
    assert list(Urge.objects.order_by("pk").values_list("step", flat=True)) == [
        "deadline-3",
        "deadline-0",
        "overdue-1",
        "leader-5",
        "overdue-7",
    ]


def test_r_u3_a_step_before_the_assignment_is_not_sent(org: Org) -> None:
    """Assigned 2 working days before the deadline: the assignment notice names the
    deadline, so no late "3 days before"; the deadline day still reminds."""
    # 3 working days before 10-12 is 10-08 (10-10, 10-09, 10-08); assigned 10-09.
    item = item_on(org, dt.date(2026, 10, 9), dt.date(2026, 10, 12))
    assert sweep_every_day(dt.date(2026, 10, 9), dt.date(2026, 10, 12), hour=11) == {
        dt.date(2026, 10, 12): [f"{item.ledger_number} deadline-0 {LEAD}"]
    }


@pytest.mark.parametrize("status", ["established", "returned", "submitted", "completed"])
def test_r_u3_only_items_the_lead_unit_works_on_are_chased(org: Org, status: str) -> None:
    item_on(org, dt.date(2026, 9, 1), dt.date(2026, 9, 29), status=status)
    assert sweep_every_day(dt.date(2026, 9, 23), dt.date(2026, 10, 16)) == {}


def test_r_u3_an_assigned_item_not_yet_signed_for_is_chased(org: Org) -> None:
    item = item_on(org, dt.date(2026, 9, 1), dt.date(2026, 9, 29), status="assigned")
    sent = sweep_every_day(dt.date(2026, 9, 29), dt.date(2026, 9, 30))
    assert sent == {
        dt.date(2026, 9, 29): [f"{item.ledger_number} deadline-0 {LEAD}"],
        dt.date(2026, 9, 30): [f"{item.ledger_number} overdue-1 {LEAD}"],
    }


def test_r_u3_a_new_deadline_starts_the_ladder_again(org: Org) -> None:
    item = item_on(org, dt.date(2026, 9, 1), dt.date(2026, 9, 29))
    sweep_every_day(dt.date(2026, 9, 29), dt.date(2026, 9, 30))
    with time_machine.travel(moment(dt.date(2026, 9, 30), 15), tick=False):
        actions.change_item(
            org.office_supervisor, item, reason="校长办公会同意调整", deadline=dt.date(2026, 10, 9)
        )
    sent = sweep_every_day(dt.date(2026, 10, 8), dt.date(2026, 10, 10))
    number = item.ledger_number
    assert sent == {
        dt.date(2026, 10, 8): [f"{number} deadline-3@2026-10-09 {LEAD}"],
        dt.date(2026, 10, 9): [f"{number} deadline-0@2026-10-09 {LEAD}"],
        dt.date(2026, 10, 10): [f"{number} overdue-1@2026-10-09 {LEAD}"],
    }


def test_r_u3_a_leader_who_may_not_see_the_item_is_not_told(org: Org) -> None:
    """Discipline items are hidden from school leaders (R-C2): the leader's step is skipped."""
    discipline_office = Unit.objects.create(
        code="0900", name="纪委办公室", kind="discipline_office", leader_in_charge=None
    )
    supervisor = User.objects.create_user(
        username="discipline_supervisor",
        password="x",
        role="office_supervisor",
        unit=discipline_office,
        full_name="纪督办",
    )
    with time_machine.travel(moment(dt.date(2026, 9, 1), 10), tick=False):
        item = actions.establish_item(
            supervisor,
            actions.EstablishInput(
                title="执纪审查事项",
                content="内容",
                basis="依据",
                source_kind="meeting",
                source_body="president_meeting",
                lead_unit=org.lead_unit,
                confidentiality="discipline",
                minutes_issued_on=dt.date(2026, 9, 1),
                minutes_deadline=dt.date(2026, 10, 9),
            ),
        )
        actions.assign_item(supervisor, item)
    sent = sweep_every_day(dt.date(2026, 10, 14), dt.date(2026, 10, 19))
    number = item.ledger_number
    assert sent == {
        dt.date(2026, 10, 14): [f"{number} overdue-4 {LEAD}"],
        dt.date(2026, 10, 19): [f"{number} overdue-7 {LEAD}"],
    }
    assert not Notice.objects.filter(recipient=org.leader_in_charge).exists()


# ----------------------------------------------------------------------------- R-F2


def test_r_f2_urgent_item_without_feedback_the_working_day_after_assignment(org: Org) -> None:
    # Assigned the last working day before National Day: the 1 working day is 10-08.
    late = item_on(org, dt.date(2026, 9, 30), dt.date(2026, 12, 18), urgent=True)
    # Assigned on a Monday: the 1 working day is Tuesday 09-29, reminded Wednesday.
    early = item_on(org, dt.date(2026, 9, 28), dt.date(2026, 12, 18), urgent=True)
    # Urgent, but it fed back within its working day: nothing to remind.
    answered = item_on(org, dt.date(2026, 9, 28), dt.date(2026, 12, 18), urgent=True)
    with time_machine.travel(moment(dt.date(2026, 9, 29), 16), tick=False):
        actions.submit_feedback(org.lead_liaison, answered, "已部署落实。")
    # Not urgent: no first-feedback rule.
    item_on(org, dt.date(2026, 9, 28), dt.date(2026, 12, 18))

    sent = sweep_every_day(dt.date(2026, 9, 28), dt.date(2026, 10, 13))

    assert sent == {
        dt.date(2026, 9, 30): [f"{early.ledger_number} first-feedback {LEAD}"],
        dt.date(2026, 10, 9): [f"{late.ledger_number} first-feedback {LEAD}"],
    }
    urge = Urge.objects.get(item=late)
    assert "应在交办后1个工作日内反馈" in urge.note


# ----------------------------------------------------------------------------- R-F3


def test_r_f3_a_long_item_is_reminded_once_for_each_month_without_a_report(org: Org) -> None:
    annual = item_on(
        org,
        dt.date(2026, 8, 20),
        dt.date(2026, 12, 31),
        source_kind="annual",
        source_body="work_points",
        minutes_issued_on=None,
        minutes_deadline=None,
    )
    long_meeting = item_on(org, dt.date(2026, 8, 20), dt.date(2026, 11, 30))
    # Short: due within 30 working days of its assignment (R-F3 does not apply).
    short = item_on(org, dt.date(2026, 8, 31), dt.date(2026, 10, 16))
    # Long, and it reported in September: nothing for September.
    reporting = item_on(org, dt.date(2026, 8, 20), dt.date(2026, 11, 30))
    with time_machine.travel(moment(dt.date(2026, 9, 15)), tick=False):
        actions.submit_feedback(org.lead_liaison, reporting, "九月进展。")

    sent = sweep_every_day(dt.date(2026, 9, 1), dt.date(2026, 10, 29))
    # October's report of the annual item comes on 10-30, after that day's sweep.
    with time_machine.travel(moment(dt.date(2026, 10, 30), 16), tick=False):
        actions.submit_feedback(org.lead_liaison, annual, "十月进展。")
    sent.update(sweep_every_day(dt.date(2026, 10, 30), dt.date(2026, 11, 3)))
    phase = {day: [line for line in lines if " phase-" in line] for day, lines in sent.items()}
    phase = {day: lines for day, lines in phase.items() if lines}

    assert phase == {
        # The first working day of October is 10-08, after the holiday.
        dt.date(2026, 10, 8): [
            f"{long_meeting.ledger_number} phase-2026-09 {LEAD}",
            f"{annual.ledger_number} phase-2026-09 {LEAD}",
        ],
        # 11-01 is a Sunday.
        dt.date(2026, 11, 2): [
            f"{long_meeting.ledger_number} phase-2026-10 {LEAD}",
            f"{reporting.ledger_number} phase-2026-10 {LEAD}",
        ],
    }
    assert not Urge.objects.filter(item=short, step__startswith="phase-").exists()


# ----------------------------------------------------------------------------- idempotence


def test_r_u3_the_same_moment_twice_sends_nothing_the_second_time(org: Org) -> None:
    item_on(org, dt.date(2026, 9, 1), dt.date(2026, 9, 29))
    item_on(org, dt.date(2026, 9, 1), dt.date(2026, 10, 9))
    when = moment(dt.date(2026, 9, 29))
    with time_machine.travel(when, tick=False):
        first = run_sweep(when)
        notices = Notice.objects.count()
        urges = Urge.objects.count()
        second = run_sweep(when)
        later = run_sweep(when + dt.timedelta(hours=8))
    assert first.sent == 2
    assert (second.sent, later.sent) == (0, 0)
    assert (Notice.objects.count(), Urge.objects.count()) == (notices, urges)


def test_the_sweep_command_prints_each_notice_and_the_count(org: Org) -> None:
    friday = item_on(org, dt.date(2026, 9, 1), dt.date(2026, 10, 9))
    tuesday = item_on(org, dt.date(2026, 9, 1), dt.date(2026, 9, 29))
    first, second = StringIO(), StringIO()
    call_command("sweep", "--at", "2026-10-14T09:00", stdout=first)
    call_command("sweep", "--at", "2026-10-14T09:00+08:00", stdout=second)
    assert first.getvalue() == (
        f"{tuesday.ledger_number} overdue-7 {LEAD_AND_LEADER}\n"
        f"{friday.ledger_number} overdue-4 {LEAD}\n"
        "sent 2\n"
    )
    assert second.getvalue() == "sent 0\n"
    assert second.getvalue().endswith("sent 0\n")


def test_the_sweep_command_runs_as_of_now_by_default(org: Org) -> None:
    item = item_on(org, dt.date(2026, 9, 1), dt.date(2026, 9, 29))
    out = StringIO()
    with time_machine.travel(moment(dt.date(2026, 9, 30), 11), tick=False):
        call_command("sweep", stdout=out)
    assert out.getvalue() == f"{item.ledger_number} overdue-1 {LEAD}\nsent 1\n"
    assert Urge.objects.get().created_at == moment(dt.date(2026, 9, 30), 11)


@pytest.mark.parametrize("text", ["2026-13-01T09:00", "tomorrow", "2026/10/14 09:00", ""])
def test_the_sweep_command_refuses_a_malformed_moment(org: Org, text: str) -> None:
    with pytest.raises(CommandError) as refused:
        call_command("sweep", "--at", text, stdout=StringIO())
    if text:
        assert str(refused.value) == (
            f"时间“{text}”无效，应为 ISO 8601 格式，例如 2026-10-14T09:00。"
        )
    assert not Urge.objects.exists()


# ----------------------------------------------------------------------------- queries


def _due(org: Org, count: int) -> None:
    for _ in range(count):
        item_on(org, dt.date(2026, 9, 1), dt.date(2026, 9, 29))


@pytest.mark.parametrize("count", [3, 30])
def test_the_sweep_selects_its_candidates_in_a_fixed_number_of_queries(
    org: Org, count: int, django_assert_num_queries: Any, django_assert_max_num_queries: Any
) -> None:
    _due(org, count)
    when = moment(dt.date(2026, 10, 14))
    with time_machine.travel(when, tick=False):
        # Sending: a fixed cost per batch of steps, plus the audit chain's head moved
        # once per notice.
        with django_assert_max_num_queries(
            SELECTION_QUERIES + VISIBILITY_QUERIES + PER_BATCH_QUERIES + count
        ):
            assert run_sweep(when).sent == count
        # Everything already sent: the selection alone, whatever the number of items.
        with django_assert_num_queries(SELECTION_QUERIES):
            assert run_sweep(when).sent == 0


def test_the_candidates_are_read_without_the_columns_nothing_reads(org: Org) -> None:
    # The thousands of candidates are read as rows of the columns their steps read
    # (duban.items.sweep.CANDIDATE_COLUMNS), not as items; the items of the steps a batch
    # sends are read whole but for the long texts and the moments no step, notice, audit
    # event or webhook reads (UNREAD_COLUMNS), and the steps are still sent whole (the
    # test above: no query per item).
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _due(org, 2)
    when = moment(dt.date(2026, 10, 14))
    with time_machine.travel(when, tick=False), CaptureQueriesContext(connection) as captured:
        result = run_sweep(when)
    assert result.sent == 2
    items = [
        query["sql"]
        for query in captured.captured_queries
        if query["sql"].startswith('SELECT "items_item"."id"')
        and ' FROM "items_item" ' in query["sql"]
    ]
    candidates = [sql for sql in items if '"missed_phase_report"' in sql]
    assert len(candidates) == 1
    selected = candidates[0].partition(" FROM ")[0]
    for column in ("content", "basis", "year", "serial", "completed_at", "created_at"):
        assert f'"items_item"."{column}"' not in selected
    for column in ("title", "deadline", "original_deadline", "assigned_at", "urgent"):
        assert f'"items_item"."{column}"' in selected
    sent = [
        sql
        for sql in items
        if sql not in candidates and '"items_item"."title"' in sql.partition(" FROM ")[0]
    ]
    assert len(sent) == 1  # the batch's items, locked
    for column in ("content", "basis", "deadline_reason", "completed_at", "created_at"):
        assert f'"items_item"."{column}"' not in sent[0]
    notices = Notice.objects.filter(item__isnull=False).values_list("title", flat=True)
    assert notices.count() >= 2 and all(notices)


# calendar days and years (one UNION, a window wide enough for these deadlines),
# candidates (as rows), their units with the units' liaisons, heads and leaders, steps
# already sent, the open work parts (R-A4) and the open rectifications
# (duban.spotchecks.reminders)
SELECTION_QUERIES = 6
# the visibility rule, once per recipient for the whole run (liaison, head, leader)
VISIBILITY_QUERIES = 3
# the batch's savepoint and its release, item locks, steps sent, urges, notices,
# preferences, the audit head locked, the events, the webhooks subscribed (duban.hooks)
PER_BATCH_QUERIES = 10


# ----------------------------------------------------------------------------- the task


def test_the_sweep_task_runs_a_sweep_as_of_now(org: Org) -> None:
    from duban.items.tasks import sweep
    from duban.notify.periodic import resolve

    item = item_on(org, dt.date(2026, 9, 1), dt.date(2026, 9, 29))
    assert resolve("duban.items.tasks.sweep") is sweep
    with time_machine.travel(moment(dt.date(2026, 9, 30), 11), tick=False):
        assert sweep.call() == {"sent": 1}
        assert sweep.call() == {"sent": 0}
    assert Urge.objects.get().item == item


def test_r_u3_steps_are_claimed_in_batches_each_sent_once_with_a_valid_chain(
    org: Org, monkeypatch: Any
) -> None:
    from duban.audit.models import AuditEvent
    from duban.audit.verification import verify_chain
    from duban.items import sweep

    monkeypatch.setattr(sweep, "CLAIM_BATCH", 2)
    _due(org, 5)
    events_before = AuditEvent.objects.filter(verb="reminder").count()
    when = moment(dt.date(2026, 10, 14))
    with time_machine.travel(when, tick=False):
        result = run_sweep(when)
        assert run_sweep(when).sent == 0
    # Three batches (2, 2, 1): every item's step once, each with its notices and event.
    assert result.sent == 5
    assert Urge.objects.filter(step="overdue-7").count() == 5
    assert AuditEvent.objects.filter(verb="reminder").count() == events_before + 5
    steps = AuditEvent.objects.filter(verb="reminder").values_list("data__step", flat=True)
    assert set(steps) == {"overdue-7"}
    verdict = verify_chain()
    assert verdict.intact, verdict
