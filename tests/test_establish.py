"""Establishment (立项) and the deadline it gets: RULES R-S1–S5, R-D1–D6 (Art.9–12, 22)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection

from duban.audit.models import AuditEvent
from duban.items import actions
from duban.items.errors import InvalidInput, PermissionRefused
from duban.items.models import DeadlineRule, Item, LedgerCounter
from duban.items.states import Status
from tests.conftest import Org, establish, meeting_input

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(day: dt.date) -> dt.datetime:
    """Mid-morning of `day` in Shanghai: the clock an establishment runs at."""
    return dt.datetime(day.year, day.month, day.day, 10, 0, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def frozen_clock() -> Any:
    """A working Monday of the official 2026 calendar, unless a test travels elsewhere."""
    with time_machine.travel(at(dt.date(2026, 9, 28)), tick=False):
        yield


def created_rows() -> tuple[int, list[tuple[int, str, int]], int]:
    """What an establishment creates: items, ledger counters, audit events."""
    return (
        Item.objects.count(),
        list(
            LedgerCounter.objects.order_by("pk").values_list("year", "source_kind", "last_number")
        ),
        AuditEvent.objects.count(),
    )


def refused_invalid(org: Org, data: actions.EstablishInput) -> InvalidInput:
    """Establish `data`, expect InvalidInput, and check that nothing was created."""
    before = created_rows()
    with pytest.raises(InvalidInput) as refused:
        actions.establish_item(org.office_supervisor, data)
    assert created_rows() == before
    assert refused.value.code == "invalid"
    assert refused.value.status == 400
    return refused.value


def annual_input(org: Org, **overrides: Any) -> actions.EstablishInput:
    values: dict[str, Any] = {
        "source_kind": "annual",
        "source_body": "work_points",
        "minutes_issued_on": None,
        "year": 2026,
        "title": "推进一流学科建设",
        "basis": "2026年党政工作要点第3条",
    }
    values.update(overrides)
    return meeting_input(org, **values)


def other_input(org: Org, **overrides: Any) -> actions.EstablishInput:
    values: dict[str, Any] = {
        "source_kind": "other",
        "source_body": "instruction",
        "minutes_issued_on": None,
        "title": "核查实验室安全隐患",
        "basis": "王校长2026年9月25日批示",
        "instruction_deadline": dt.date(2026, 10, 30),
        "deciding_leader": org.leader_in_charge,
        "decided_on": dt.date(2026, 9, 25),
    }
    values.update(overrides)
    return meeting_input(org, **values)


# ----------------------------------------------------------------------------- R-D1 – R-D6


@pytest.mark.parametrize(
    ("issued_on", "deadline"),
    [
        (dt.date(2026, 9, 28), dt.date(2026, 10, 16)),
        (dt.date(2026, 2, 10), dt.date(2026, 3, 2)),
        (dt.date(2026, 1, 30), dt.date(2026, 2, 13)),
    ],
)
def test_r_d2_meeting_deadline_is_tenth_workday_after_minutes(
    org: Org, issued_on: dt.date, deadline: dt.date
) -> None:
    with time_machine.travel(at(issued_on), tick=False):
        item = establish(org, minutes_issued_on=issued_on)
    assert item.minutes_issued_on == issued_on
    assert item.deadline == deadline
    assert item.original_deadline == deadline
    assert item.deadline_rule == DeadlineRule.TEN_WORKDAYS
    assert item.deadline_provisional is False


def test_r_d2_minutes_issued_earlier_still_count_from_issuance(org: Org) -> None:
    """Established on 2026-10-09 from minutes of 2026-09-28: counted from the minutes."""
    with time_machine.travel(at(dt.date(2026, 10, 9)), tick=False):
        item = establish(org, minutes_issued_on=dt.date(2026, 9, 28))
    assert item.deadline == dt.date(2026, 10, 16)


def test_r_d2_minutes_issued_in_the_future_refused(org: Org) -> None:
    error = refused_invalid(org, meeting_input(org, minutes_issued_on=dt.date(2026, 9, 29)))
    assert error.message == "纪要印发日期不能晚于今天。"
    assert set(error.errors) == {"minutes_issued_on"}


def test_r_d2_meeting_item_without_minutes_date_or_deadline_refused(org: Org) -> None:
    error = refused_invalid(org, meeting_input(org, minutes_issued_on=None))
    assert set(error.errors) == {"minutes_issued_on"}


def test_r_d2_today_is_the_date_in_shanghai(org: Org) -> None:
    """01:00 on 2026-09-28 in Shanghai is still 2026-09-27 in UTC: minutes issued on the
    28th are not "in the future", and the count starts from the 28th."""
    with time_machine.travel(dt.datetime(2026, 9, 27, 17, 0, tzinfo=dt.UTC), tick=False):
        item = establish(org, minutes_issued_on=dt.date(2026, 9, 28))
    assert item.deadline == dt.date(2026, 10, 16)


def test_r_d1_minutes_deadline_is_used_as_is(org: Org) -> None:
    item = establish(org, minutes_deadline=dt.date(2026, 11, 7))  # a Saturday, as decided
    assert item.deadline == dt.date(2026, 11, 7)
    assert item.original_deadline == dt.date(2026, 11, 7)
    assert item.deadline_rule == DeadlineRule.MINUTES_DEADLINE
    assert item.deadline_provisional is False


def test_r_d3_office_set_deadline_with_reason(org: Org) -> None:
    item = establish(
        org, office_deadline=dt.date(2026, 12, 31), office_reason="需完成全校调研，10个工作日不足"
    )
    assert item.deadline == dt.date(2026, 12, 31)
    assert item.deadline_rule == DeadlineRule.OFFICE_SET
    assert item.deadline_reason == "需完成全校调研，10个工作日不足"


@pytest.mark.parametrize("reason", ["", "   "])
def test_r_d3_office_set_deadline_without_reason_refused(org: Org, reason: str) -> None:
    error = refused_invalid(
        org, meeting_input(org, office_deadline=dt.date(2026, 12, 31), office_reason=reason)
    )
    assert error.message == "督办部门自定时限时必须写明理由。"
    assert set(error.errors) == {"office_reason"}


def test_r_d4_annual_item_deadline_is_31_december_of_its_year(org: Org) -> None:
    item = actions.establish_item(org.office_supervisor, annual_input(org))
    assert item.year == 2026
    assert item.deadline == dt.date(2026, 12, 31)
    assert item.deadline_rule == DeadlineRule.YEAR_END
    assert item.deadline_provisional is False


def test_r_d4_annual_item_of_next_year(org: Org) -> None:
    item = actions.establish_item(org.office_supervisor, annual_input(org, year=2027))
    assert item.year == 2027
    assert item.deadline == dt.date(2027, 12, 31)
    assert item.ledger_number == "督要〔2027〕第0001号"


def test_r_d5_other_item_takes_the_instruction_deadline(org: Org) -> None:
    item = actions.establish_item(org.office_supervisor, other_input(org))
    assert item.deadline == dt.date(2026, 10, 30)
    assert item.deadline_rule == DeadlineRule.INSTRUCTION
    assert item.deciding_leader == org.leader_in_charge
    assert item.decided_on == dt.date(2026, 9, 25)
    assert item.ledger_number == "督交〔2026〕第0001号"


def test_r_d5_other_item_decided_today_is_accepted(org: Org) -> None:
    item = actions.establish_item(
        org.office_supervisor, other_input(org, decided_on=dt.date(2026, 9, 28))
    )
    assert item.decided_on == dt.date(2026, 9, 28)


def test_r_d5_other_item_without_instruction_deadline_refused(org: Org) -> None:
    error = refused_invalid(org, other_input(org, instruction_deadline=None))
    assert error.message == "其他交办事项须填写领导批示明确的办结时限。"
    assert set(error.errors) == {"instruction_deadline"}


@pytest.mark.parametrize("persona", [None, "lead_head", "office_supervisor", "system_admin"])
def test_r_s2_other_item_needs_a_deciding_school_leader(org: Org, persona: str | None) -> None:
    leader = getattr(org, persona) if persona else None
    error = refused_invalid(org, other_input(org, deciding_leader=leader))
    assert error.message == "其他交办事项须经校领导决定方可立项。"
    assert set(error.errors) == {"deciding_leader"}


@pytest.mark.parametrize("decided_on", [None, dt.date(2026, 9, 29)])
def test_r_s2_other_item_decision_date_required_and_not_in_the_future(
    org: Org, decided_on: dt.date | None
) -> None:
    error = refused_invalid(org, other_input(org, decided_on=decided_on))
    assert error.message == "请填写校领导作出决定的日期（不能晚于今天）。"
    assert set(error.errors) == {"decided_on"}


def test_r_d6_provisional_year_counts_monday_to_friday(org: Org) -> None:
    """2030 has no official calendar: 2030-12-20 (Friday) + 10 Mon–Fri days = 2031-01-03,
    counting 1 January as a working day, and the deadline is flagged provisional."""
    with time_machine.travel(at(dt.date(2030, 12, 20)), tick=False):
        item = establish(org, minutes_issued_on=dt.date(2030, 12, 20))
    assert item.deadline == dt.date(2031, 1, 3)
    assert item.deadline_provisional is True
    assert item.ledger_number == "督会〔2030〕第0001号"


def test_r_d6_official_year_deadline_is_not_provisional(org: Org) -> None:
    item = establish(org)
    assert item.deadline == dt.date(2026, 10, 16)
    assert item.deadline_provisional is False


@pytest.mark.parametrize(
    ("overrides", "day"),
    [
        ({"minutes_issued_on": dt.date(2026, 9, 28)}, "2026-10-16"),  # R-D2
        ({"minutes_deadline": dt.date(2026, 10, 19)}, "2026-10-19"),  # R-D1
    ],
)
def test_r_s3_computed_deadline_in_the_past_refused(
    org: Org, overrides: dict[str, Any], day: str
) -> None:
    with time_machine.travel(at(dt.date(2026, 10, 20)), tick=False):
        error = refused_invalid(org, meeting_input(org, **overrides))
    assert day in error.message
    assert error.message == (
        f"按所填信息计算的办结时限（{day}）早于今天，请由督办部门根据实际确定时限并写明理由。"
    )
    assert set(error.errors) == {"office_deadline"}


def test_r_d6_deadline_today_is_accepted(org: Org) -> None:
    item = establish(org, minutes_deadline=dt.date(2026, 9, 28))
    assert item.deadline == dt.date(2026, 9, 28)


# ----------------------------------------------------------------------------- R-S1, R-S3


def test_r_s3_a_complete_meeting_item_is_established(org: Org) -> None:
    item = establish(org)
    assert item.status == Status.ESTABLISHED
    assert item.title == "修订本科生培养方案"
    assert item.content == "按校长办公会决定，完成2027版本科生培养方案修订。"
    assert item.basis == "校长办公会纪要〔2026〕第12期"
    assert item.source_kind == "meeting"
    assert item.source_body == "president_meeting"
    assert item.confidentiality == "ordinary"
    assert item.lead_unit == org.lead_unit
    assert list(item.cooperating_units.all()) == [org.cooperating_unit]
    assert item.supervising_office == org.office
    assert item.supervisor == org.office_supervisor
    assert item.created_by == org.office_supervisor
    assert item.established_at == at(dt.date(2026, 9, 28))
    assert item.assigned_at is None


def test_r_s3_cooperating_units_may_be_empty(org: Org) -> None:
    item = establish(org, cooperating_units=[])
    assert list(item.cooperating_units.all()) == []


def test_r_s3_text_is_trimmed(org: Org) -> None:
    item = establish(org, title="  修订培养方案  ")
    assert item.title == "修订培养方案"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("title", "", "请填写事项名称。"),
        ("title", "   ", "请填写事项名称。"),
        ("content", "", "请填写工作内容。"),
        ("basis", " ", "请填写督办依据。"),
        ("lead_unit", None, "请选择承办单位。"),
    ],
)
def test_r_s3_required_field_missing_refused(
    org: Org, field: str, value: Any, message: str
) -> None:
    error = refused_invalid(org, meeting_input(org, **{field: value}))
    assert error.message == message
    assert set(error.errors) == {field}


def test_r_s3_inactive_lead_unit_refused(org: Org) -> None:
    org.other_unit.is_active = False
    org.other_unit.save()
    error = refused_invalid(org, meeting_input(org, lead_unit=org.other_unit))
    assert set(error.errors) == {"lead_unit"}


def test_r_s3_lead_unit_also_cooperating_refused(org: Org) -> None:
    error = refused_invalid(
        org, meeting_input(org, cooperating_units=[org.cooperating_unit, org.lead_unit])
    )
    assert error.message == "承办单位不能同时是配合单位。"
    assert set(error.errors) == {"cooperating_units"}


def test_r_s3_title_too_long_refused(org: Org) -> None:
    error = refused_invalid(org, meeting_input(org, title="修" * 201))
    assert set(error.errors) == {"title"}


@pytest.mark.parametrize(
    ("source_kind", "source_body"),
    [
        ("meeting", "work_points"),
        ("meeting", "instruction"),
        ("annual", "president_meeting"),
        ("other", "standing_committee"),
        ("other", "major_plan"),
    ],
)
def test_r_s1_source_body_must_match_source_kind(
    org: Org, source_kind: str, source_body: str
) -> None:
    error = refused_invalid(
        org, other_input(org, source_kind=source_kind, source_body=source_body, year=2026)
    )
    # Said first; any other problem of the same input comes with it (check_establish).
    assert error.message.startswith("具体来源与来源类别不符。")
    assert "source_body" in error.errors


def test_r_s1_unknown_source_kind_refused(org: Org) -> None:
    error = refused_invalid(org, meeting_input(org, source_kind="rumour"))
    assert set(error.errors) == {"source_kind"}


def test_r_s3_unknown_confidentiality_refused(org: Org) -> None:
    error = refused_invalid(org, meeting_input(org, confidentiality="top"))
    assert set(error.errors) == {"confidentiality"}


# ----------------------------------------------------------------------------- R-S2


@pytest.mark.parametrize(
    "persona",
    [
        "lead_liaison",
        "lead_head",
        "cooperating_liaison",
        "other_unit_liaison",
        "leader_in_charge",
        "system_admin",
    ],
)
def test_r_s2_only_the_supervising_offices_supervisor_establishes(org: Org, persona: str) -> None:
    before = created_rows()
    with pytest.raises(PermissionRefused) as refused:
        actions.establish_item(getattr(org, persona), meeting_input(org))
    assert refused.value.message == "只有党政办公室的督办员可以立项。"
    assert refused.value.status == 403
    assert created_rows() == before


def test_r_s2_establishment_writes_one_audit_event(org: Org) -> None:
    events_before = AuditEvent.objects.count()
    item = establish(org)
    assert AuditEvent.objects.count() == events_before + 1
    event = AuditEvent.objects.get(item=item)
    assert event.verb == "establish"
    assert event.actor == org.office_supervisor
    assert event.created_at == at(dt.date(2026, 9, 28))
    assert event.summary == "立项，台账编号督会〔2026〕第0001号，办结时限2026-10-16"
    assert event.data == {"deadline": "2026-10-16", "rule": "ten_workdays"}
    assert list(item.events.values_list("verb", flat=True)) == ["establish"]


# ----------------------------------------------------------------------------- R-S5


def test_r_s5_ledger_numbers_run_per_year_and_category(org: Org) -> None:
    first = establish(org)
    second = establish(org, title="修订研究生培养方案")
    annual = actions.establish_item(org.office_supervisor, annual_input(org))
    other = actions.establish_item(org.office_supervisor, other_input(org))
    assert first.ledger_number == "督会〔2026〕第0001号"
    assert (first.year, first.serial) == (2026, 1)
    assert second.ledger_number == "督会〔2026〕第0002号"
    assert annual.ledger_number == "督要〔2026〕第0001号"
    assert other.ledger_number == "督交〔2026〕第0001号"


def test_r_s5_a_new_year_starts_a_new_sequence(org: Org) -> None:
    establish(org)
    with time_machine.travel(at(dt.date(2027, 1, 4)), tick=False):
        item = establish(org, minutes_issued_on=dt.date(2027, 1, 4))
    assert item.ledger_number == "督会〔2027〕第0001号"


def test_r_s5_refused_establishment_consumes_no_number(org: Org) -> None:
    establish(org)
    establish(org)
    refused_invalid(org, meeting_input(org, title=""))
    refused_invalid(org, meeting_input(org, office_deadline=dt.date(2026, 12, 1)))
    with time_machine.travel(at(dt.date(2026, 10, 20)), tick=False):
        refused_invalid(org, meeting_input(org, minutes_issued_on=dt.date(2026, 9, 28)))
    with pytest.raises(PermissionRefused):
        actions.establish_item(org.lead_liaison, meeting_input(org))
    third = establish(org)
    assert third.ledger_number == "督会〔2026〕第0003号"
    assert LedgerCounter.objects.get(year=2026, source_kind="meeting").last_number == 3


def test_r_s5_numbers_are_unique_and_never_reused(org: Org) -> None:
    items = [establish(org, title=f"事项{n}") for n in range(1, 6)]
    numbers = [item.ledger_number for item in items]
    assert numbers == [f"督会〔2026〕第{n:04d}号" for n in range(1, 6)]
    assert len(set(Item.objects.values_list("ledger_number", flat=True))) == 5
    # The counter, not the rows, decides the next number: even if the last row were
    # gone (it cannot be deleted in the system; the test removes it by hand), its
    # number is not given again.
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":  # past the audit table's append-only trigger
            cursor.execute("SET session_replication_role = replica")
        AuditEvent.objects.filter(item=items[-1]).delete()
        items[-1].delete()
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = DEFAULT")
    assert establish(org).ledger_number == "督会〔2026〕第0006号"


def test_every_problem_of_an_establishment_is_named_at_once(org: Org) -> None:
    """A form shows every field to fix after one submit, not one per submit."""
    before = Item.objects.count()
    error = refused_invalid(
        org,
        meeting_input(org, title=" ", lead_unit=None, minutes_issued_on=None, content=""),
    )
    assert set(error.errors) == {"title", "content", "lead_unit", "minutes_issued_on"}
    for message in ("请填写事项名称。", "请填写工作内容。", "请选择承办单位。", "纪要印发日期"):
        assert message in error.message
    assert Item.objects.count() == before
