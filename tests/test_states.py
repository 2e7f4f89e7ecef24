"""The item's state machine (DESIGN.md, "The item's life"; duban.items.states.MOVES).

Every action of the table is tried in every status the real actions can reach, by a
person allowed to take it: where the table allows the move it happens and lands on
the table's target; everywhere else it is refused with StateRefused, a Chinese
message naming the current status, and nothing changes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from duban import clock
from duban.audit.models import AuditEvent
from duban.documents.actions import file_volume
from duban.items import actions
from duban.items.errors import InvalidInput, StateRefused
from duban.items.models import (
    Adjustment,
    ExtensionRequest,
    Feedback,
    Item,
    ItemChange,
    LedgerCounter,
    Notice,
    WorkPlan,
)
from duban.items.states import MOVES, Status
from tests.conftest import Org, advance, establish

SHANGHAI = ZoneInfo("Asia/Shanghai")
# A fixed working Monday of the official 2026 calendar, so every date below is known.
MONDAY = dt.datetime(2026, 9, 28, 10, 0, tzinfo=SHANGHAI)

# Every status `advance` can bring an item to.
REACHABLE = (
    Status.ESTABLISHED,
    Status.ASSIGNED,
    Status.RETURNED,
    Status.IN_PROGRESS,
    Status.SUBMITTED,
    Status.COMPLETED,
)


@pytest.fixture(autouse=True)
def frozen_clock() -> Any:
    with time_machine.travel(MONDAY, tick=False):
        yield


def snapshot(item: Item) -> dict[str, Any]:
    """Everything a refused action must leave as it was: the item's row, its units,
    and the rows that actions write (events, feedback, notices, changes, plans)."""
    return {
        "item": Item.objects.filter(pk=item.pk).values().get(),
        "cooperating_units": sorted(
            Item.objects.get(pk=item.pk).cooperating_units.values_list("pk", flat=True)
        ),
        "events": AuditEvent.objects.count(),
        "item_events": AuditEvent.objects.filter(item=item).count(),
        "feedback": list(Feedback.objects.order_by("pk").values_list("pk", "status")),
        "notices": Notice.objects.count(),
        "changes": ItemChange.objects.count(),
        "plans": WorkPlan.objects.count(),
        "ledger": list(LedgerCounter.objects.order_by("pk").values_list("pk", "last_number")),
        "extension_requests": list(
            ExtensionRequest.objects.order_by("pk").values_list("pk", "status")
        ),
        "adjustments": Adjustment.objects.count(),
    }


# ----------------------------------------------------------------------------- the table

# action -> (a persona allowed to take it, preparation or None, the call with valid
# input). The call takes the actor, so the permission tests reuse the same table with
# every persona. A preparation runs only where the action's state allows it (a draft
# for the head to confirm or decline) and is itself a legal action.
Call = Callable[[Any, Org, Item], Any]


def _draft(org: Org, item: Item) -> None:
    actions.draft_completion_report(org.lead_liaison, item, "已完成全部工作，请审阅。")


def _pending_extension(org: Org, item: Item) -> None:
    """A pending extension request for the office to decide (R-E3: one month is within
    its 3). The lead unit files it while the item is assigned or in progress; the request
    outlives those statuses (an item may be returned, submitted or completed with it still
    pending), so elsewhere the row is put in place directly, as no action files it there."""
    requested = item.deadline + dt.timedelta(days=30)
    if item.status in (Status.ASSIGNED, Status.IN_PROGRESS):
        actions.request_extension(
            org.lead_liaison, item, requested_deadline=requested, reason="需补充调研"
        )
        return
    ExtensionRequest.objects.create(
        item=item,
        unit=item.lead_unit,
        requested_by=org.lead_liaison,
        current_deadline=item.deadline,
        requested_deadline=requested,
        reason="需补充调研",
        approver_kind="office",
        created_at=clock.now(),
    )


# Preparations that also run where the state refuses the action, so the refusal under
# test is the state machine's and not a missing precondition (nothing to decide).
PREPARED_IN_EVERY_STATUS = {"decide_extension"}

CALLS: dict[str, tuple[str, Callable[[Org, Item], None] | None, Call]] = {
    "assign": ("office_supervisor", None, lambda a, o, i: actions.assign_item(a, i)),
    "sign_for": ("lead_liaison", None, lambda a, o, i: actions.sign_for_item(a, i)),
    "return": (
        "lead_liaison",
        None,
        lambda a, o, i: actions.return_item(a, i, "该事项不属于本单位职责"),
    ),
    "reassign": (
        "office_supervisor",
        None,
        lambda a, o, i: actions.reassign_item(a, i, note="经研究仍由原单位承办"),
    ),
    "change": (
        "office_supervisor",
        None,
        lambda a, o, i: actions.change_item(
            a, i, reason="会议纪要更正", title="修订2027版本科生培养方案"
        ),
    ),
    "record_plan": (
        "lead_liaison",
        None,
        lambda a, o, i: actions.record_plan(
            a, i, "按期完成培养方案修订", [actions.MilestoneInput("形成初稿", i.deadline)]
        ),
    ),
    "submit_feedback": (
        "lead_liaison",
        None,
        lambda a, o, i: actions.submit_feedback(a, i, "已召开专题会议部署。"),
    ),
    "report_contribution": (
        "cooperating_liaison",
        None,
        lambda a, o, i: actions.report_contribution(a, i, "已提供师资数据。"),
    ),
    "draft_completion_report": (
        "lead_liaison",
        None,
        lambda a, o, i: actions.draft_completion_report(a, i, "已完成全部工作。"),
    ),
    "decline_report": (
        "lead_head",
        _draft,
        lambda a, o, i: actions.decline_report(a, i, "请补充配合单位情况。"),
    ),
    "confirm_report": ("lead_head", _draft, lambda a, o, i: actions.confirm_report(a, i)),
    "accept_report": (
        "office_supervisor",
        None,
        lambda a, o, i: actions.review_report(a, i, accept=True),
    ),
    "return_report": (
        "office_supervisor",
        None,
        lambda a, o, i: actions.review_report(a, i, accept=False, comment="缺少佐证材料"),
    ),
    "urge": (
        "office_supervisor",
        None,
        lambda a, o, i: actions.urge_item(
            a, i, channel="phone", recipient=o.lead_liaison, note="电话催促尽快办理并反馈进展"
        ),
    ),
    "request_extension": (
        "lead_liaison",
        None,
        lambda a, o, i: actions.request_extension(
            a, i, requested_deadline=i.deadline + dt.timedelta(days=30), reason="需补充调研"
        ),
    ),
    "decide_extension": (
        "office_supervisor",
        _pending_extension,
        lambda a, o, i: actions.decide_extension(a, i, approve=True, comment="同意延期"),
    ),
    "adjust": (
        "office_supervisor",
        None,
        lambda a, o, i: actions.adjust_item(
            a,
            i,
            decision_kind="leader",
            leader=o.leader_in_charge,
            basis="王校长2026年9月28日批示",
            reason="上级政策调整，需待新文件印发",
            new_deadline=i.deadline + dt.timedelta(days=14),
        ),
    ),
    "terminate": (
        "office_supervisor",
        None,
        lambda a, o, i: actions.terminate_item(
            a,
            i,
            decision_kind="meeting",
            meeting_name="2026年第20次校长办公会",
            meeting_date=dt.date(2026, 9, 25),
            basis="校长办公会纪要〔2026〕第20期",
            reason="上级已撤销该项工作部署",
        ),
    ),
    # R-K2: the office files the item into its year's volume (duban.documents).
    "archive": (
        "office_supervisor",
        None,
        lambda a, o, i: file_volume(a, i.year, items=[i]),
    ),
}


def take(action: str, org: Org, item: Item, persona: str | None = None) -> Any:
    """Take `action` on `item` as `persona` (by default the table's), with valid input."""
    default_persona, _prepare, call = CALLS[action]
    return call(getattr(org, persona or default_persona), org, item)


def test_the_table_covers_every_move() -> None:
    assert set(CALLS) == set(MOVES)


def test_every_move_starts_and_ends_in_a_known_status() -> None:
    for move in MOVES.values():
        assert move.sources
        assert set(move.sources) <= set(Status.values)
        assert move.target is None or move.target in Status.values


CASES = [
    pytest.param(action, status, id=f"{action}-{status}")
    for action in MOVES
    for status in REACHABLE
]


@pytest.mark.parametrize(("action", "status"), CASES)
def test_move_is_allowed_exactly_from_its_sources(org: Org, action: str, status: str) -> None:
    item = advance(org, establish(org), status)
    move = MOVES[action]
    _persona, prepare, _call = CALLS[action]

    if status in move.sources:
        if prepare is not None:
            prepare(org, item)
        events_before = AuditEvent.objects.filter(item=item).count()
        take(action, org, item)
        item.refresh_from_db()
        assert item.status == (move.target or status)
        # One event per action, named after it.
        assert AuditEvent.objects.filter(item=item).count() == events_before + 1
        latest = AuditEvent.objects.filter(item=item).last()
        assert latest is not None
        assert latest.verb == action
    else:
        if prepare is not None and action in PREPARED_IN_EVERY_STATUS:
            prepare(org, item)
        before = snapshot(item)
        with pytest.raises(StateRefused) as refused:
            take(action, org, item)
        label = Status(status).label
        assert refused.value.message == f"事项当前状态为“{label}”，不能执行此操作。"
        assert refused.value.code == "invalid_state"
        assert refused.value.status == 409
        assert snapshot(item) == before


def test_confirm_without_a_draft_in_progress_is_refused_without_change(org: Org) -> None:
    """The head can only confirm a report that exists (R-F4)."""
    item = advance(org, establish(org), Status.IN_PROGRESS)
    before = snapshot(item)
    with pytest.raises(InvalidInput) as refused:
        actions.confirm_report(org.lead_head, item)
    assert refused.value.message == "没有待确认的办结报告。"
    assert snapshot(item) == before


def test_decline_without_a_draft_in_progress_is_refused_without_change(org: Org) -> None:
    item = advance(org, establish(org), Status.IN_PROGRESS)
    before = snapshot(item)
    with pytest.raises(InvalidInput) as refused:
        actions.decline_report(org.lead_head, item, "请补充材料")
    assert refused.value.message == "没有待确认的办结报告。"
    assert snapshot(item) == before


def test_a_stale_item_object_cannot_skip_the_state_machine(org: Org) -> None:
    """Actions re-read the item under lock: an outdated copy in memory is no way around
    the table (two people acting on the same page)."""
    item = establish(org)
    stale = Item.objects.get(pk=item.pk)
    actions.assign_item(org.office_supervisor, item)
    before = snapshot(item)
    with pytest.raises(StateRefused) as refused:
        actions.assign_item(org.office_supervisor, stale)
    assert refused.value.message == "事项当前状态为“已交办”，不能执行此操作。"
    assert snapshot(item) == before


def test_the_whole_life_in_statuses(org: Org) -> None:
    """established → assigned → returned → assigned → in_progress → submitted →
    in_progress → submitted → completed, as DESIGN.md draws it."""
    item = establish(org)
    seen = [item.status]

    def step(call: Callable[[], Any]) -> None:
        call()
        item.refresh_from_db()
        seen.append(item.status)

    step(lambda: actions.assign_item(org.office_supervisor, item))
    step(lambda: actions.return_item(org.lead_liaison, item, "不属于本单位职责"))
    step(lambda: actions.reassign_item(org.office_supervisor, item, note="仍由教务处承办"))
    step(lambda: actions.sign_for_item(org.lead_liaison, item))
    _draft(org, item)
    step(lambda: actions.confirm_report(org.lead_head, item))
    step(lambda: actions.review_report(org.office_supervisor, item, accept=False, comment="缺材料"))
    _draft(org, item)
    step(lambda: actions.confirm_report(org.lead_head, item))
    step(lambda: actions.review_report(org.office_supervisor, item, accept=True))
    assert seen == [
        Status.ESTABLISHED,
        Status.ASSIGNED,
        Status.RETURNED,
        Status.ASSIGNED,
        Status.IN_PROGRESS,
        Status.SUBMITTED,
        Status.IN_PROGRESS,
        Status.SUBMITTED,
        Status.COMPLETED,
    ]
