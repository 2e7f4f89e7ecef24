"""The item's life and its side effects: assignment, return, plans, feedback, reports,
reviews and recorded changes (RULES R-A1–A3, R-F1, R-F4, R-F5, R-F7, R-S4)."""

from __future__ import annotations

import datetime as dt
import inspect
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from duban.audit.models import AuditEvent
from duban.items import actions
from duban.items.actions import MilestoneInput
from duban.items.errors import InvalidInput, PermissionRefused
from duban.items.models import (
    Feedback,
    FeedbackKind,
    FeedbackStatus,
    Item,
    ItemChange,
    Milestone,
    Notice,
    WorkPlan,
)
from duban.items.states import MOVES, Status
from duban.organisation.models import User
from tests.conftest import Org, advance, establish, meeting_input
from tests.test_states import snapshot

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY = dt.datetime(2026, 9, 28, 10, 0, tzinfo=SHANGHAI)  # minutes issued; deadline 10-16
DEADLINE = dt.date(2026, 10, 16)


@pytest.fixture(autouse=True)
def frozen_clock() -> Any:
    with time_machine.travel(MONDAY, tick=False):
        yield


def recipients(item: Item) -> list[str]:
    """Usernames of the item's notices, one entry per notice, sorted."""
    return sorted(Notice.objects.filter(item=item).values_list("recipient__username", flat=True))


def new_notices(item: Item, since: int) -> list[str]:
    return sorted(
        Notice.objects.filter(item=item, pk__gt=since).values_list("recipient__username", flat=True)
    )


def last_notice_id() -> int:
    latest = Notice.objects.order_by("pk").last()
    return latest.pk if latest else 0


def refused(error: type[Exception], item: Item, call: Any) -> Any:
    """Run `call`, expect `error`, and check that nothing changed."""
    before = snapshot(item)
    with pytest.raises(error) as caught:
        call()
    assert snapshot(item) == before
    return caught.value


def the_event(item: Item, verb: str) -> AuditEvent:
    return AuditEvent.objects.get(item=item, verb=verb)


# ----------------------------------------------------------------------------- R-A1


def test_r_a1_assignment_notifies_lead_liaison_head_and_cooperating_liaison(
    org: Org, item: Item
) -> None:
    actions.assign_item(org.office_supervisor, item)
    assert recipients(item) == ["cooperating_liaison", "lead_head", "lead_liaison"]
    assert Notice.objects.count() == 3  # nobody else, about anything
    notice = Notice.objects.get(recipient=org.lead_liaison)
    assert notice.title == "新交办督办事项：修订本科生培养方案"
    assert notice.body == "台账编号督会〔2026〕第0001号，办结时限2026-10-16。请及时签收。"
    assert notice.created_at == MONDAY
    assert notice.read_at is None
    cooperating = Notice.objects.get(recipient=org.cooperating_liaison)
    assert cooperating.title == "请配合办理督办事项：修订本科生培养方案"
    assert cooperating.body == "承办单位：教务处。配合情况请报送承办单位。"


def test_r_a1_assignment_notifies_every_cooperating_liaison(org: Org) -> None:
    item = establish(org, cooperating_units=[org.cooperating_unit, org.other_unit])
    actions.assign_item(org.office_supervisor, item)
    assert recipients(item) == [
        "cooperating_liaison",
        "lead_head",
        "lead_liaison",
        "other_unit_liaison",
    ]


def test_r_a1_assignment_is_dated_and_recorded(org: Org, item: Item) -> None:
    actions.assign_item(org.office_supervisor, item)
    item.refresh_from_db()
    assert item.status == Status.ASSIGNED
    assert item.assigned_at == MONDAY
    event = the_event(item, "assign")
    assert event.actor == org.office_supervisor
    assert event.summary == "交办给教务处"


# ----------------------------------------------------------------------------- R-A2


def test_r_a2_sign_for_starts_the_work(org: Org, item: Item) -> None:
    advance(org, item, Status.ASSIGNED)
    actions.sign_for_item(org.lead_head, item)
    item.refresh_from_db()
    assert item.status == Status.IN_PROGRESS
    assert item.signed_at == MONDAY
    event = the_event(item, "sign_for")
    assert (event.actor, event.summary) == (org.lead_head, "教务处签收")


@pytest.mark.parametrize("reason", ["", "   "])
def test_r_a2_return_requires_a_reason(org: Org, item: Item, reason: str) -> None:
    advance(org, item, Status.ASSIGNED)
    error = refused(InvalidInput, item, lambda: actions.return_item(org.lead_liaison, item, reason))
    assert error.message == "请填写退回理由。"
    assert set(error.errors) == {"reason"}


def test_r_a2_return_is_counted_against_the_lead_unit(org: Org, item: Item) -> None:
    advance(org, item, Status.ASSIGNED)
    since = last_notice_id()
    actions.return_item(org.lead_liaison, item, "  不属于本单位职责  ")
    item.refresh_from_db()
    assert item.status == Status.RETURNED
    event = the_event(item, "return")
    assert event.actor == org.lead_liaison
    assert event.unit == org.lead_unit
    assert event.data == {"reason": "不属于本单位职责"}
    assert event.summary == "教务处退回事项，理由：不属于本单位职责"
    assert AuditEvent.objects.filter(verb="return", unit=org.lead_unit).count() == 1
    # The office hears of it.
    assert new_notices(item, since) == ["office_supervisor"]
    assert Notice.objects.get(pk__gt=since).body == "不属于本单位职责"


def test_r_a2_office_reassigns_to_another_unit(org: Org, item: Item) -> None:
    advance(org, item, Status.RETURNED)
    since = last_notice_id()
    actions.reassign_item(
        org.office_supervisor, item, note="改由财务处承办", lead_unit=org.other_unit
    )
    item.refresh_from_db()
    assert item.status == Status.ASSIGNED
    assert item.lead_unit == org.other_unit
    change = ItemChange.objects.get(item=item)
    assert (change.field, change.old_value, change.new_value) == ("lead_unit", "教务处", "财务处")
    assert change.reason == "改由财务处承办"
    assert change.changed_by == org.office_supervisor
    assert change.created_at == MONDAY
    # The new lead unit's contacts (and the cooperating liaison) are notified.
    assert new_notices(item, since) == [
        "cooperating_liaison",
        "other_unit_head",
        "other_unit_liaison",
    ]
    event = the_event(item, "reassign")
    assert event.summary == "重新交办给财务处：改由财务处承办"
    # The new lead unit signs for it; the old one no longer may.
    with pytest.raises(PermissionRefused):
        actions.sign_for_item(org.lead_liaison, item)
    actions.sign_for_item(org.other_unit_liaison, item)
    item.refresh_from_db()
    assert item.status == Status.IN_PROGRESS


def test_r_a2_office_insists_on_the_same_unit(org: Org, item: Item) -> None:
    advance(org, item, Status.RETURNED)
    since = last_notice_id()
    actions.reassign_item(org.office_supervisor, item, note="经研究仍由教务处牵头")
    item.refresh_from_db()
    assert item.status == Status.ASSIGNED
    assert item.lead_unit == org.lead_unit
    assert ItemChange.objects.filter(item=item).count() == 0
    assert new_notices(item, since) == ["cooperating_liaison", "lead_head", "lead_liaison"]


def test_r_a2_reassign_requires_a_note(org: Org, item: Item) -> None:
    advance(org, item, Status.RETURNED)
    error = refused(
        InvalidInput,
        item,
        lambda: actions.reassign_item(
            org.office_supervisor, item, note=" ", lead_unit=org.other_unit
        ),
    )
    assert set(error.errors) == {"note"}


def test_r_a2_returns_are_counted_per_unit(org: Org, item: Item) -> None:
    """A unit that returns twice is counted twice; the unit it passes to, not at all."""
    advance(org, item, Status.RETURNED)
    actions.reassign_item(org.office_supervisor, item, note="仍由教务处承办")
    actions.return_item(org.lead_head, item, "仍不属于本单位职责")
    actions.reassign_item(org.office_supervisor, item, note="改由财务处", lead_unit=org.other_unit)
    returns = AuditEvent.objects.filter(verb="return")
    assert returns.filter(unit=org.lead_unit).count() == 2
    assert returns.filter(unit=org.other_unit).count() == 0


# ----------------------------------------------------------------------------- R-A3


def test_r_a3_plan_with_goals_and_dated_milestones(org: Org, item: Item) -> None:
    advance(org, item, Status.IN_PROGRESS)
    plan = actions.record_plan(
        org.lead_liaison,
        item,
        "  完成培养方案修订  ",
        [
            MilestoneInput("提交学校审议", DEADLINE),
            MilestoneInput("形成初稿", dt.date(2026, 10, 9)),
        ],
    )
    assert plan.goals == "完成培养方案修订"
    assert plan.author == org.lead_liaison
    assert plan.created_at == MONDAY
    assert plan.supersedes is None
    assert list(plan.milestones.values_list("title", "due_on")) == [
        ("形成初稿", dt.date(2026, 10, 9)),
        ("提交学校审议", DEADLINE),
    ]
    assert the_event(item, "record_plan").summary == "填报工作计划（2个节点）"


def test_r_a3_milestone_after_the_deadline_refused(org: Org, item: Item) -> None:
    advance(org, item, Status.IN_PROGRESS)
    error = refused(
        InvalidInput,
        item,
        lambda: actions.record_plan(
            org.lead_liaison,
            item,
            "完成修订",
            [
                MilestoneInput("形成初稿", dt.date(2026, 10, 9)),
                MilestoneInput("提交审议", dt.date(2026, 10, 17)),
            ],
        ),
    )
    assert error.message == "第2个节点的日期2026-10-17晚于办结时限2026-10-16。"
    assert set(error.errors) == {"milestones"}
    assert Milestone.objects.count() == 0


def test_r_a3_plan_needs_goals_and_a_milestone(org: Org, item: Item) -> None:
    advance(org, item, Status.IN_PROGRESS)
    error = refused(
        InvalidInput, item, lambda: actions.record_plan(org.lead_liaison, item, "完成修订", [])
    )
    assert set(error.errors) == {"milestones"}
    error = refused(
        InvalidInput,
        item,
        lambda: actions.record_plan(
            org.lead_liaison, item, " ", [MilestoneInput("初稿", DEADLINE)]
        ),
    )
    assert set(error.errors) == {"goals"}


def test_r_a3_second_plan_supersedes_the_first_and_both_are_kept(org: Org, item: Item) -> None:
    advance(org, item, Status.IN_PROGRESS)
    first = actions.record_plan(
        org.lead_liaison, item, "完成修订", [MilestoneInput("形成初稿", dt.date(2026, 10, 9))]
    )
    second = actions.record_plan(
        org.lead_head,
        item,
        "完成修订并报审",
        [MilestoneInput("形成初稿", dt.date(2026, 10, 12)), MilestoneInput("报审", DEADLINE)],
    )
    assert second.supersedes == first
    assert list(WorkPlan.objects.filter(item=item).order_by("pk")) == [first, second]
    assert list(item.plans.filter(superseded_by__isnull=True)) == [second]
    assert first.milestones.count() == 1
    assert second.milestones.count() == 2
    assert list(
        AuditEvent.objects.filter(item=item, verb="record_plan").values_list("summary", flat=True)
    ) == ["填报工作计划（1个节点）", "更新工作计划（2个节点）"]


# ----------------------------------------------------------------------------- R-F1


def test_r_f1_contribution_goes_to_the_lead_unit_not_the_office(org: Org, item: Item) -> None:
    advance(org, item, Status.IN_PROGRESS)
    since = last_notice_id()
    contribution = actions.report_contribution(org.cooperating_liaison, item, "已提供师资数据。")
    assert contribution.kind == FeedbackKind.CONTRIBUTION
    assert contribution.unit == org.cooperating_unit
    assert contribution.author == org.cooperating_liaison
    assert contribution.created_at == MONDAY
    assert new_notices(item, since) == ["lead_liaison"]
    notice = Notice.objects.get(pk__gt=since)
    assert notice.title == "配合单位已报送：修订本科生培养方案"
    assert notice.body == "人事处报送了配合办理情况。"
    event = the_event(item, "report_contribution")
    assert event.unit == org.cooperating_unit
    assert event.summary == "人事处向承办单位报送配合情况"
    # The item itself is untouched: a contribution is not the lead unit's feedback.
    item.refresh_from_db()
    assert item.status == Status.IN_PROGRESS
    assert item.last_feedback_at is None


def test_r_f1_newer_contribution_supersedes_the_older_and_both_are_kept(
    org: Org, item: Item
) -> None:
    advance(org, item, Status.IN_PROGRESS)
    older = actions.report_contribution(org.cooperating_liaison, item, "已提供师资数据。")
    newer = actions.report_contribution(org.cooperating_head, item, "已提供师资及编制数据。")
    assert newer.supersedes == older
    older.refresh_from_db()
    assert older.text == "已提供师资数据。"
    assert list(
        Feedback.objects.filter(item=item, kind=FeedbackKind.CONTRIBUTION).order_by("pk")
    ) == [older, newer]


def test_r_f1_completion_report_includes_current_contributions(org: Org) -> None:
    item = establish(org, cooperating_units=[org.cooperating_unit, org.other_unit])
    advance(org, item, Status.IN_PROGRESS)
    actions.report_contribution(org.cooperating_liaison, item, "已提供师资数据。")
    newer = actions.report_contribution(org.cooperating_liaison, item, "已提供师资及编制数据。")
    other = actions.report_contribution(org.other_unit_liaison, item, "已落实经费。")
    report = actions.draft_completion_report(org.lead_liaison, item, "已完成全部工作。")
    assert set(report.contributions.all()) == {newer, other}
    actions.confirm_report(org.lead_head, item)
    report.refresh_from_db()
    assert set(report.contributions.all()) == {newer, other}


# ----------------------------------------------------------------------------- R-F4


def test_r_f4_draft_report_does_not_change_the_status(org: Org, item: Item) -> None:
    advance(org, item, Status.IN_PROGRESS)
    since = last_notice_id()
    report = actions.draft_completion_report(org.lead_liaison, item, "已完成全部工作。")
    item.refresh_from_db()
    assert item.status == Status.IN_PROGRESS
    assert item.submitted_at is None
    assert report.kind == FeedbackKind.COMPLETION
    assert report.status == FeedbackStatus.AWAITING_CONFIRMATION
    assert report.unit == org.lead_unit
    # The head is asked to confirm; the office hears nothing yet.
    assert new_notices(item, since) == ["lead_head"]
    assert the_event(item, "draft_completion_report").summary == "起草办结报告，待第一责任人确认"


def test_r_f4_only_the_lead_head_confirms(org: Org, item: Item) -> None:
    advance(org, item, Status.IN_PROGRESS)
    actions.draft_completion_report(org.lead_liaison, item, "已完成全部工作。")
    error = refused(PermissionRefused, item, lambda: actions.confirm_report(org.lead_liaison, item))
    assert error.message == "只有承办单位的第一责任人可以确认办结报告。"


def test_r_f4_head_confirms_and_the_office_is_notified(org: Org, item: Item) -> None:
    advance(org, item, Status.IN_PROGRESS)
    actions.draft_completion_report(org.lead_liaison, item, "已完成全部工作。")
    since = last_notice_id()
    with time_machine.travel(MONDAY + dt.timedelta(hours=3), tick=False):
        report = actions.confirm_report(org.lead_head, item)
    item.refresh_from_db()
    assert item.status == Status.SUBMITTED
    assert item.submitted_at == MONDAY + dt.timedelta(hours=3)
    assert item.last_feedback_at == MONDAY + dt.timedelta(hours=3)
    assert report.status == FeedbackStatus.SUBMITTED
    assert report.confirmed_by == org.lead_head
    assert report.confirmed_at == MONDAY + dt.timedelta(hours=3)
    assert new_notices(item, since) == ["office_supervisor"]
    assert Notice.objects.get(pk__gt=since).title == "办结报告待审核：修订本科生培养方案"


def test_r_f4_head_declines_a_draft_with_a_reason(org: Org, item: Item) -> None:
    advance(org, item, Status.IN_PROGRESS)
    draft = actions.draft_completion_report(org.lead_liaison, item, "已完成全部工作。")
    error = refused(InvalidInput, item, lambda: actions.decline_report(org.lead_head, item, "  "))
    assert set(error.errors) == {"reason"}
    since = last_notice_id()
    actions.decline_report(org.lead_head, item, "请补充配合单位情况。")
    draft.refresh_from_db()
    assert draft.status == FeedbackStatus.DECLINED
    assert draft.review_comment == "请补充配合单位情况。"
    item.refresh_from_db()
    assert item.status == Status.IN_PROGRESS
    assert new_notices(item, since) == ["lead_liaison"]
    # Nothing is left to confirm.
    error = refused(InvalidInput, item, lambda: actions.confirm_report(org.lead_head, item))
    assert error.message == "没有待确认的办结报告。"


def test_r_f4_a_new_draft_supersedes_the_waiting_one(org: Org, item: Item) -> None:
    advance(org, item, Status.IN_PROGRESS)
    first = actions.draft_completion_report(org.lead_liaison, item, "已完成。")
    second = actions.draft_completion_report(org.lead_liaison, item, "已完成全部工作。")
    first.refresh_from_db()
    assert second.supersedes == first
    assert first.text == "已完成。"
    assert first.status != FeedbackStatus.AWAITING_CONFIRMATION
    actions.confirm_report(org.lead_head, item)
    second.refresh_from_db()
    assert second.status == FeedbackStatus.SUBMITTED


def test_r_f7_a_superseded_draft_is_not_recorded_as_declined_by_the_head(
    org: Org, item: Item
) -> None:
    """The liaison replaced her own draft; the head never saw it, let alone declined it.
    The record must not say "第一责任人退回修改" (Art.23 "不能虚报")."""
    advance(org, item, Status.IN_PROGRESS)
    first = actions.draft_completion_report(org.lead_liaison, item, "已完成。")
    actions.draft_completion_report(org.lead_liaison, item, "已完成全部工作。")
    first.refresh_from_db()
    assert first.status != FeedbackStatus.DECLINED
    assert first.review_comment == ""


# ----------------------------------------------------------------------------- R-F5


def test_r_f5_office_accepts_and_the_item_is_completed(org: Org, item: Item) -> None:
    advance(org, item, Status.SUBMITTED)
    since = last_notice_id()
    with time_machine.travel(MONDAY + dt.timedelta(days=1), tick=False):
        report = actions.review_report(org.office_supervisor, item, accept=True)
    item.refresh_from_db()
    assert item.status == Status.COMPLETED
    assert item.completed_at == MONDAY + dt.timedelta(days=1)
    assert report.status == FeedbackStatus.ACCEPTED
    assert report.reviewed_by == org.office_supervisor
    assert report.reviewed_at == MONDAY + dt.timedelta(days=1)
    assert the_event(item, "accept_report").summary == "审核通过，事项办结"
    assert new_notices(item, since) == ["lead_head", "lead_liaison"]


def test_r_f5_office_returns_the_report_with_a_reason(org: Org, item: Item) -> None:
    advance(org, item, Status.SUBMITTED)
    since = last_notice_id()
    report = actions.review_report(
        org.office_supervisor, item, accept=False, comment="缺少佐证材料"
    )
    item.refresh_from_db()
    assert item.status == Status.IN_PROGRESS
    assert item.completed_at is None
    assert report.status == FeedbackStatus.RETURNED
    assert report.review_comment == "缺少佐证材料"
    event = the_event(item, "return_report")
    assert event.unit == org.lead_unit
    assert event.data == {"reason": "缺少佐证材料"}
    assert event.summary == "办结报告被退回，理由：缺少佐证材料"
    assert new_notices(item, since) == ["lead_head", "lead_liaison"]


@pytest.mark.parametrize("comment", ["", "  "])
def test_r_f5_return_of_a_report_requires_a_reason(org: Org, item: Item, comment: str) -> None:
    advance(org, item, Status.SUBMITTED)
    error = refused(
        InvalidInput,
        item,
        lambda: actions.review_report(org.office_supervisor, item, accept=False, comment=comment),
    )
    assert error.message == "请填写退回理由。"
    assert set(error.errors) == {"comment"}


# ----------------------------------------------------------------------------- R-F7


def test_r_f7_feedback_is_dated_by_the_system(org: Org, item: Item) -> None:
    advance(org, item, Status.IN_PROGRESS)
    later = dt.datetime(2026, 10, 9, 15, 42, 7, tzinfo=SHANGHAI)
    with time_machine.travel(later, tick=False):
        feedback = actions.submit_feedback(org.lead_liaison, item, "已召开专题会议部署。")
    feedback.refresh_from_db()
    assert feedback.created_at == later
    assert feedback.kind == FeedbackKind.PROGRESS
    assert feedback.unit == org.lead_unit
    assert feedback.status == FeedbackStatus.SUBMITTED
    item.refresh_from_db()
    assert item.last_feedback_at == later
    # Nobody can pass a date of their own.
    for action in (
        actions.submit_feedback,
        actions.report_contribution,
        actions.draft_completion_report,
    ):
        assert list(inspect.signature(action).parameters) == ["actor", "item", "text"]


def test_r_f7_feedback_has_no_edit_action() -> None:
    words = ("edit", "update", "modify", "delete")
    assert [name for name in MOVES if any(word in name for word in words)] == []
    assert [name for name in dir(actions) if any(word in name for word in words)] == []


def test_r_f7_a_returned_report_is_superseded_not_edited(org: Org, item: Item) -> None:
    advance(org, item, Status.SUBMITTED)
    first = Feedback.objects.get(item=item, kind=FeedbackKind.COMPLETION)
    actions.review_report(org.office_supervisor, item, accept=False, comment="缺少佐证材料")
    second = actions.draft_completion_report(org.lead_liaison, item, "已补充佐证材料。")
    actions.confirm_report(org.lead_head, item)
    first.refresh_from_db()
    second.refresh_from_db()
    assert second.supersedes == first
    assert (first.text, first.status) == ("已完成全部工作", FeedbackStatus.RETURNED)
    assert (second.text, second.status) == ("已补充佐证材料。", FeedbackStatus.SUBMITTED)


# ----------------------------------------------------------------------------- R-S4


def test_r_s4_change_is_recorded_and_the_original_deadline_stays(org: Org, item: Item) -> None:
    advance(org, item, Status.IN_PROGRESS)
    actions.change_item(
        org.office_supervisor,
        item,
        reason="校长办公会调整要求",
        title="修订2027版本科生培养方案",
        deadline=dt.date(2026, 10, 30),
    )
    item.refresh_from_db()
    assert item.title == "修订2027版本科生培养方案"
    assert item.deadline == dt.date(2026, 10, 30)
    assert item.original_deadline == DEADLINE
    assert item.deadline_extended is True
    changes = list(
        ItemChange.objects.filter(item=item)
        .order_by("field")
        .values_list("field", "old_value", "new_value", "reason", "changed_by", "authorised_by")
    )
    assert changes == [
        (
            "deadline",
            "2026-10-16",
            "2026-10-30",
            "校长办公会调整要求",
            org.office_supervisor.pk,
            None,
        ),
        (
            "title",
            "修订本科生培养方案",
            "修订2027版本科生培养方案",
            "校长办公会调整要求",
            org.office_supervisor.pk,
            None,
        ),
    ]
    event = the_event(item, "change")
    assert event.data == {"fields": ["deadline", "title"], "reason": "校长办公会调整要求"}


def test_r_s4_authorising_person_must_be_a_school_leader(org: Org, item: Item) -> None:
    """ItemChange.authorised_by is the approving leader (批准领导): a liaison named
    there would put a false approval on the record."""
    error = refused(
        InvalidInput,
        item,
        lambda: actions.change_item(
            org.office_supervisor,
            item,
            reason="调整",
            authorised_by=org.lead_liaison,
            title="修订2027版本科生培养方案",
        ),
    )
    assert set(error.errors) == {"authorised_by"}


def test_r_s4_change_requires_a_reason(org: Org, item: Item) -> None:
    error = refused(
        InvalidInput,
        item,
        lambda: actions.change_item(org.office_supervisor, item, reason=" ", title="新名称"),
    )
    assert set(error.errors) == {"reason"}


def test_r_s4_change_without_a_difference_refused(org: Org, item: Item) -> None:
    error = refused(
        InvalidInput,
        item,
        lambda: actions.change_item(
            org.office_supervisor, item, reason="核对", title="修订本科生培养方案"
        ),
    )
    assert error.message == "没有需要变更的内容。"


def test_r_s4_new_deadline_in_the_past_refused(org: Org, item: Item) -> None:
    error = refused(
        InvalidInput,
        item,
        lambda: actions.change_item(
            org.office_supervisor, item, reason="调整", deadline=dt.date(2026, 9, 25)
        ),
    )
    assert set(error.errors) == {"deadline"}


def test_r_d6_a_deadline_set_by_a_change_is_not_provisional(org: Org) -> None:
    """A deadline counted in a year without official data is provisional (R-D6); a date
    the office sets by a recorded change is counted by no calendar, so it is not."""
    with time_machine.travel(dt.datetime(2030, 12, 20, 10, 0, tzinfo=SHANGHAI), tick=False):
        item = establish(org, minutes_issued_on=dt.date(2030, 12, 20))
        assert item.deadline_provisional is True
        actions.change_item(
            org.office_supervisor, item, reason="按实际调整", deadline=dt.date(2031, 1, 20)
        )
    item.refresh_from_db()
    assert item.deadline == dt.date(2031, 1, 20)
    assert item.deadline_provisional is False


def other_item(org: Org) -> Item:
    return actions.establish_item(
        org.office_supervisor,
        meeting_input(
            org,
            source_kind="other",
            source_body="instruction",
            minutes_issued_on=None,
            instruction_deadline=dt.date(2026, 10, 30),
            deciding_leader=org.leader_in_charge,
            decided_on=dt.date(2026, 9, 25),
        ),
    )


@pytest.mark.parametrize("authorised_by", [None, "lead_head", "office_supervisor"])
def test_r_s4_other_item_changes_only_with_a_school_leader(
    org: Org, authorised_by: str | None
) -> None:
    item = other_item(org)
    person: User | None = getattr(org, authorised_by) if authorised_by else None
    error = refused(
        InvalidInput,
        item,
        lambda: actions.change_item(
            org.office_supervisor,
            item,
            reason="领导调整要求",
            authorised_by=person,
            deadline=dt.date(2026, 11, 30),
        ),
    )
    assert error.message == "其他交办事项的变更须经校领导同意。"
    assert set(error.errors) == {"authorised_by"}


def test_r_s4_other_item_changes_with_the_leaders_consent(org: Org) -> None:
    item = other_item(org)
    actions.change_item(
        org.office_supervisor,
        item,
        reason="领导调整要求",
        authorised_by=org.leader_in_charge,
        deadline=dt.date(2026, 11, 30),
    )
    change = ItemChange.objects.get(item=item)
    assert change.authorised_by == org.leader_in_charge
    assert (change.old_value, change.new_value) == ("2026-10-30", "2026-11-30")
    item.refresh_from_db()
    assert item.original_deadline == dt.date(2026, 10, 30)


# ----------------------------------------------------------------------------- the timeline


def test_every_action_writes_one_event_and_the_timeline_tells_the_whole_life(
    org: Org, item: Item
) -> None:
    steps: list[tuple[str, Any]] = [
        ("assign", lambda: actions.assign_item(org.office_supervisor, item)),
        ("return", lambda: actions.return_item(org.lead_liaison, item, "不属于本单位职责")),
        ("reassign", lambda: actions.reassign_item(org.office_supervisor, item, note="仍由教务处")),
        ("sign_for", lambda: actions.sign_for_item(org.lead_liaison, item)),
        (
            "record_plan",
            lambda: actions.record_plan(
                org.lead_liaison, item, "完成修订", [MilestoneInput("初稿", DEADLINE)]
            ),
        ),
        (
            "change",
            lambda: actions.change_item(
                org.office_supervisor, item, reason="更正", basis="纪要第13期"
            ),
        ),
        ("submit_feedback", lambda: actions.submit_feedback(org.lead_liaison, item, "进展顺利")),
        (
            "report_contribution",
            lambda: actions.report_contribution(org.cooperating_liaison, item, "已配合"),
        ),
        (
            "draft_completion_report",
            lambda: actions.draft_completion_report(org.lead_liaison, item, "初稿"),
        ),
        ("decline_report", lambda: actions.decline_report(org.lead_head, item, "请完善")),
        (
            "draft_completion_report",
            lambda: actions.draft_completion_report(org.lead_liaison, item, "二稿"),
        ),
        ("confirm_report", lambda: actions.confirm_report(org.lead_head, item)),
        (
            "return_report",
            lambda: actions.review_report(
                org.office_supervisor, item, accept=False, comment="缺材料"
            ),
        ),
        (
            "draft_completion_report",
            lambda: actions.draft_completion_report(org.lead_liaison, item, "三稿"),
        ),
        ("confirm_report", lambda: actions.confirm_report(org.lead_head, item)),
        ("accept_report", lambda: actions.review_report(org.office_supervisor, item, accept=True)),
    ]
    moments = [MONDAY]
    for minutes, (verb, call) in enumerate(steps, start=1):
        moment = MONDAY + dt.timedelta(minutes=minutes)
        moments.append(moment)
        before = AuditEvent.objects.count()
        with time_machine.travel(moment, tick=False):
            call()
        assert AuditEvent.objects.count() == before + 1, verb
        latest = AuditEvent.objects.order_by("pk").last()
        assert latest is not None
        assert latest.verb == verb
    timeline = list(item.events.all())
    assert [event.verb for event in timeline] == ["establish", *(verb for verb, _ in steps)]
    assert [event.created_at for event in timeline] == moments
    assert [event.actor.username for event in timeline if event.actor] == [
        "office_supervisor",
        "office_supervisor",
        "lead_liaison",
        "office_supervisor",
        "lead_liaison",
        "lead_liaison",
        "office_supervisor",
        "lead_liaison",
        "cooperating_liaison",
        "lead_liaison",
        "lead_head",
        "lead_liaison",
        "lead_head",
        "office_supervisor",
        "lead_liaison",
        "lead_head",
        "office_supervisor",
    ]
    item.refresh_from_db()
    assert item.status == Status.COMPLETED


def test_notice_is_marked_read_only_by_its_recipient(org: Org, item: Item) -> None:
    actions.assign_item(org.office_supervisor, item)
    notice = Notice.objects.get(recipient=org.lead_liaison)
    assert actions.mark_notice_read(org.lead_head, notice.pk) is False
    notice.refresh_from_db()
    assert notice.read_at is None
    assert actions.mark_notice_read(org.lead_liaison, notice.pk) is True
    notice.refresh_from_db()
    assert notice.read_at == MONDAY
    assert actions.mark_notice_read(org.lead_liaison, notice.pk) is False
