"""Extensions (延期, Art.22): RULES R-E1–E4, through the actions, the pages and the API.

Every refusal asserts its exact Chinese message and that nothing changed: the item's
row, the extension requests, the changes, the audit events and the notices. The clock
is moved, never slept on; dates are in the official 2026 calendar (National Day
2026-10-01 to 10-07, make-up Saturday 2026-10-10).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from duban.api.tokens import issue_token
from duban.audit.models import AuditEvent
from duban.items import actions
from duban.items.errors import InvalidInput, PermissionRefused, StateRefused
from duban.items.extension_rules import (
    add_months,
    approver_kind_for,
    lateness,
    latest_filing_day,
)
from duban.items.models import ExtensionRequest, Item, ItemChange, Notice
from duban.items.states import Status
from tests.conftest import Org, advance, establish

SHANGHAI = ZoneInfo("Asia/Shanghai")
# A working Monday; an item established today gets its deadline on 2026-10-16 (R-D2).
MONDAY = dt.datetime(2026, 9, 28, 10, 0, tzinfo=SHANGHAI)
DEADLINE = dt.date(2026, 10, 16)
LATEST_FILING = dt.date(2026, 10, 10)  # 5th working day before, a make-up Saturday
OFFICE_LIMIT = dt.date(2027, 1, 16)  # 3 calendar months after the deadline (R-E3)

NOT_APPROVER = "您不是本事项延期申请的审批人，或没有待审批的延期申请。"
NOT_LEAD = "只有承办单位的联络员或第一责任人可以申请延期。"


@pytest.fixture
def traveller() -> Iterator[Any]:
    with time_machine.travel(MONDAY, tick=False) as moving:
        yield moving


def at(traveller: Any, day: dt.date, hour: int = 10) -> None:
    traveller.move_to(dt.datetime(day.year, day.month, day.day, hour, 0, tzinfo=SHANGHAI))


def in_progress(org: Org, **overrides: Any) -> Item:
    return advance(org, establish(org, **overrides), Status.IN_PROGRESS)


def snapshot(item: Item) -> dict[str, Any]:
    """Everything a refused extension must leave as it was."""
    return {
        "item": Item.objects.filter(pk=item.pk).values().get(),
        "requests": list(ExtensionRequest.objects.order_by("pk").values()),
        "changes": ItemChange.objects.count(),
        # The item's events: signing in is itself recorded, but not on the item.
        "events": AuditEvent.objects.filter(item=item).count(),
        "notices": Notice.objects.count(),
    }


def refused(error: type[Exception], call: Any, item: Item) -> Any:
    """Run `call`, expect `error`, and check that nothing changed; returns the error."""
    before = snapshot(item)
    with pytest.raises(error) as caught:
        call()
    assert snapshot(item) == before
    return caught.value


def request(org: Org, item: Item, day: dt.date, *, person: str = "lead_liaison") -> Any:
    return actions.request_extension(
        getattr(org, person), item, requested_deadline=day, reason="需等待教育部新文件印发"
    )


def notices_of(item: Item) -> list[tuple[str, str]]:
    return sorted(Notice.objects.filter(item=item).values_list("recipient__username", "title"))


# ----------------------------------------------------------------------------- the rules


def test_r_e2_latest_filing_day_is_counted_by_the_calendar(db: Any) -> None:
    assert latest_filing_day(dt.date(2026, 10, 16)) == dt.date(2026, 10, 10)
    assert latest_filing_day(dt.date(2026, 10, 12)) == dt.date(2026, 9, 29)


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (dt.date(2026, 10, 16), 3, dt.date(2027, 1, 16)),
        (dt.date(2026, 11, 30), 3, dt.date(2027, 2, 28)),
        (dt.date(2027, 11, 30), 3, dt.date(2028, 2, 29)),
        (dt.date(2026, 3, 31), 3, dt.date(2026, 6, 30)),
        (dt.date(2026, 12, 31), 3, dt.date(2027, 3, 31)),
    ],
)
def test_r_e3_calendar_months_clamp_to_the_months_end(
    day: dt.date, months: int, expected: dt.date
) -> None:
    assert add_months(day, months) == expected


def test_r_e3_three_months_exactly_is_the_office_one_day_more_the_leader() -> None:
    assert approver_kind_for(DEADLINE, OFFICE_LIMIT) == "office"
    assert approver_kind_for(DEADLINE, OFFICE_LIMIT + dt.timedelta(days=1)) == "leader"
    end_of_november = dt.date(2026, 11, 30)
    assert approver_kind_for(end_of_november, dt.date(2027, 2, 28)) == "office"
    assert approver_kind_for(end_of_november, dt.date(2027, 3, 1)) == "leader"


# ----------------------------------------------------------------------------- applying


def test_r_e3_a_short_extension_goes_to_the_supervising_office(org: Org, traveller: Any) -> None:
    item = in_progress(org)
    assert item.deadline == DEADLINE
    extension = request(org, item, dt.date(2026, 12, 31))

    assert extension.status == "pending"
    assert extension.approver_kind == "office"
    assert extension.approver is None
    assert extension.unit == org.lead_unit
    assert extension.requested_by == org.lead_liaison
    assert extension.current_deadline == DEADLINE
    assert extension.requested_deadline == dt.date(2026, 12, 31)
    assert extension.reason == "需等待教育部新文件印发"
    item.refresh_from_db()
    assert (item.deadline, item.original_deadline) == (DEADLINE, DEADLINE)
    event = AuditEvent.objects.filter(item=item).last()
    assert event is not None
    assert event.verb == "request_extension"
    assert event.actor == org.lead_liaison
    assert event.summary == (
        "申请延期至2026-12-31（现办结时限2026-10-16），报党政办公室审批，"
        "理由：需等待教育部新文件印发"
    )
    assert Notice.objects.filter(item=item, title__startswith="延期").count() == 1
    notice = Notice.objects.get(item=item, title__startswith="延期")
    assert notice.recipient == org.office_supervisor
    assert notice.title == "延期申请待审批：修订本科生培养方案"
    assert notice.body == (
        "教务处申请将办结时限由2026-10-16延至2026-12-31。理由：需等待教育部新文件印发"
    )


def test_r_e3_exactly_three_months_is_decided_by_the_office(org: Org, traveller: Any) -> None:
    extension = request(org, in_progress(org), OFFICE_LIMIT)
    assert (extension.approver_kind, extension.approver) == ("office", None)


def test_r_e3_one_day_more_goes_to_the_leader_in_charge(org: Org, traveller: Any) -> None:
    item = in_progress(org)
    extension = request(org, item, OFFICE_LIMIT + dt.timedelta(days=1))
    assert (extension.approver_kind, extension.approver) == ("leader", org.leader_in_charge)
    assert [
        (notice.recipient.username, notice.title)
        for notice in Notice.objects.filter(item=item, title__startswith="延期").order_by("pk")
    ] == [
        ("leader_in_charge", "延期申请待您审批：修订本科生培养方案"),
        ("office_supervisor", "延期申请已报分管校领导审批：修订本科生培养方案"),
    ]


def test_r_e3_months_clamp_when_routing_from_the_end_of_november(org: Org, traveller: Any) -> None:
    office_item = in_progress(org, minutes_deadline=dt.date(2026, 11, 30), minutes_issued_on=None)
    leader_item = in_progress(org, minutes_deadline=dt.date(2026, 11, 30), minutes_issued_on=None)
    assert request(org, office_item, dt.date(2027, 2, 28)).approver_kind == "office"
    assert request(org, leader_item, dt.date(2027, 3, 1)).approver_kind == "leader"


def test_the_head_may_apply_while_the_item_is_assigned(org: Org, traveller: Any) -> None:
    item = advance(org, establish(org), Status.ASSIGNED)
    assert request(org, item, dt.date(2026, 11, 16), person="lead_head").requested_by == (
        org.lead_head
    )


# ----------------------------------------------------------------------------- R-E2


def test_r_e2_one_day_too_late_is_refused_naming_the_last_day(org: Org, traveller: Any) -> None:
    item = in_progress(org)
    at(traveller, dt.date(2026, 10, 11))
    error = refused(StateRefused, lambda: request(org, item, dt.date(2026, 11, 16)), item)
    assert error.message == (
        "延期申请最迟应在2026-10-10（办结时限2026-10-16前第5个工作日）提出，"
        "现已逾期，不能再申请延期。"
    )
    assert error.status == 409


def test_r_e2_the_last_day_itself_is_accepted(org: Org, traveller: Any) -> None:
    item = in_progress(org)
    at(traveller, LATEST_FILING, hour=17)  # the make-up Saturday, late in the day
    assert request(org, item, dt.date(2026, 11, 16)).status == "pending"


def test_r_e2_a_deadline_after_the_holiday_reaches_back_before_it(org: Org, traveller: Any) -> None:
    item = in_progress(org, minutes_deadline=dt.date(2026, 10, 12), minutes_issued_on=None)
    at(traveller, dt.date(2026, 9, 30))
    error = refused(StateRefused, lambda: request(org, item, dt.date(2026, 11, 12)), item)
    assert error.message == (
        "延期申请最迟应在2026-09-29（办结时限2026-10-12前第5个工作日）提出，"
        "现已逾期，不能再申请延期。"
    )
    at(traveller, dt.date(2026, 9, 29))
    assert request(org, item, dt.date(2026, 11, 12)).status == "pending"


# ----------------------------------------------------------------------------- R-E1


def test_r_e1_no_second_application_while_the_first_is_pending(org: Org, traveller: Any) -> None:
    item = in_progress(org)
    request(org, item, dt.date(2026, 11, 16))
    error = refused(StateRefused, lambda: request(org, item, dt.date(2026, 11, 30)), item)
    assert error.message == (
        "每个督办事项只能申请延期一次，本事项已于2026-09-28申请过（待审批），不能再次申请。"
    )


def test_r_e1_no_second_application_after_approval(org: Org, traveller: Any) -> None:
    item = in_progress(org)
    request(org, item, dt.date(2026, 11, 16))
    actions.decide_extension(org.office_supervisor, item, approve=True)
    traveller.shift(dt.timedelta(days=1))
    error = refused(
        StateRefused, lambda: request(org, item, dt.date(2026, 12, 16), person="lead_head"), item
    )
    assert error.message == (
        "每个督办事项只能申请延期一次，本事项已于2026-09-28申请过（已批准），不能再次申请。"
    )


def test_r_e1_a_rejected_application_uses_it_up(org: Org, traveller: Any) -> None:
    item = in_progress(org)
    request(org, item, dt.date(2026, 11, 16))
    actions.decide_extension(org.office_supervisor, item, approve=False, comment="理由不充分")
    error = refused(StateRefused, lambda: request(org, item, dt.date(2026, 10, 30)), item)
    assert error.message == (
        "每个督办事项只能申请延期一次，本事项已于2026-09-28申请过（未批准），不能再次申请。"
    )


# ----------------------------------------------------------------------------- other refusals


def _terminated(org: Org) -> Item:
    item = advance(org, establish(org), Status.IN_PROGRESS)
    actions.terminate_item(
        org.office_supervisor,
        item,
        decision_kind="leader",
        leader=org.leader_in_charge,
        basis="王校长批示",
        reason="上级已撤销该项工作",
    )
    item.refresh_from_db()
    return item


@pytest.mark.parametrize(
    "status",
    [Status.ESTABLISHED, Status.RETURNED, Status.SUBMITTED, Status.COMPLETED, Status.TERMINATED],
)
def test_only_an_assigned_or_in_progress_item_takes_an_application(
    org: Org, traveller: Any, status: str
) -> None:
    item = _terminated(org) if status == Status.TERMINATED else advance(org, establish(org), status)
    error = refused(StateRefused, lambda: request(org, item, dt.date(2026, 11, 16)), item)
    assert error.message == f"事项当前状态为“{Status(status).label}”，不能执行此操作。"


@pytest.mark.parametrize(
    ("requested", "message"),
    [
        (None, "请填写申请延至的日期。"),
        (DEADLINE, "申请延至的日期须晚于现在的办结时限2026-10-16。"),
        (dt.date(2026, 10, 9), "申请延至的日期须晚于现在的办结时限2026-10-16。"),
    ],
)
def test_the_requested_date_must_be_later_than_the_deadline(
    org: Org, traveller: Any, requested: dt.date | None, message: str
) -> None:
    item = in_progress(org)
    error = refused(
        InvalidInput,
        lambda: actions.request_extension(
            org.lead_liaison, item, requested_deadline=requested, reason="需补充调研"
        ),
        item,
    )
    assert error.message == message
    assert set(error.errors) == {"requested_deadline"}


@pytest.mark.parametrize("reason", ["", "   \n "])
def test_a_reason_is_required(org: Org, traveller: Any, reason: str) -> None:
    item = in_progress(org)
    error = refused(
        InvalidInput,
        lambda: actions.request_extension(
            org.lead_liaison, item, requested_deadline=dt.date(2026, 11, 16), reason=reason
        ),
        item,
    )
    assert error.message == "请填写延期理由。"
    assert error.errors == {"reason": "此项为必填项。"}


@pytest.mark.parametrize(
    "persona", ["office_supervisor", "cooperating_liaison", "cooperating_head", "leader_in_charge"]
)
def test_only_the_lead_unit_applies(org: Org, traveller: Any, persona: str) -> None:
    item = in_progress(org)
    error = refused(
        PermissionRefused, lambda: request(org, item, dt.date(2026, 11, 16), person=persona), item
    )
    assert error.message == NOT_LEAD


def test_r_e3_a_long_extension_needs_a_leader_in_charge(org: Org, traveller: Any) -> None:
    org.lead_unit.leader_in_charge = None
    org.lead_unit.save()
    item = in_progress(org)
    error = refused(InvalidInput, lambda: request(org, item, dt.date(2027, 1, 17)), item)
    assert error.message == (
        "延期超过3个月须由教务处的分管校领导审批，但该单位没有可审批本事项的分管校领导。"
        "请联系督办部门，或申请不超过3个月的延期（最迟至2027-01-16）。"
    )
    assert error.errors == {"requested_deadline": "最迟可申请至2027-01-16。"}
    # Up to 3 months the office decides, leader or none.
    assert request(org, item, OFFICE_LIMIT).approver_kind == "office"


# ----------------------------------------------------------------------------- deciding


def test_r_e4_approval_sets_the_new_deadline_and_keeps_the_original(
    org: Org, traveller: Any
) -> None:
    item = in_progress(org)
    request(org, item, dt.date(2026, 12, 31))
    # A deadline counted on a provisional calendar becomes firm once a decision sets it.
    Item.objects.filter(pk=item.pk).update(deadline_provisional=True)
    traveller.shift(dt.timedelta(hours=2))
    decided = actions.decide_extension(org.office_supervisor, item, approve=True, comment="同意")

    item.refresh_from_db()
    assert item.deadline == dt.date(2026, 12, 31)
    assert item.original_deadline == DEADLINE
    assert item.deadline_provisional is False
    assert item.status == Status.IN_PROGRESS
    decided.refresh_from_db()
    assert decided.status == "approved"
    assert decided.current_deadline == DEADLINE
    assert decided.decided_by == org.office_supervisor
    assert decided.decided_at == dt.datetime(2026, 9, 28, 12, 0, tzinfo=SHANGHAI)
    assert decided.comment == "同意"
    change = ItemChange.objects.get(item=item)
    assert (change.field, change.old_value, change.new_value) == (
        "deadline",
        "2026-10-16",
        "2026-12-31",
    )
    assert change.reason == "经批准延期：需等待教育部新文件印发"
    assert change.authorised_by is None
    assert change.changed_by == org.office_supervisor
    event = AuditEvent.objects.filter(item=item).last()
    assert event is not None
    assert event.verb == "decide_extension"
    assert event.summary == (
        "批准延期，办结时限由2026-10-16延至2026-12-31（原定2026-10-16），意见：同意"
    )
    approved = Notice.objects.filter(item=item, title="延期申请已批准：修订本科生培养方案")
    assert sorted(approved.values_list("recipient__username", flat=True)) == [
        "lead_head",
        "lead_liaison",
    ]
    assert approved.first().body == "办结时限延至2026-12-31。审批意见：同意"  # type: ignore[union-attr]


def test_a_rejection_needs_a_reason_and_keeps_the_deadline(org: Org, traveller: Any) -> None:
    item = in_progress(org)
    request(org, item, dt.date(2026, 12, 31))
    error = refused(
        InvalidInput,
        lambda: actions.decide_extension(org.office_supervisor, item, approve=False, comment=" "),
        item,
    )
    assert error.message == "请填写不予批准的理由。"
    assert error.errors == {"comment": "此项为必填项。"}

    actions.decide_extension(org.office_supervisor, item, approve=False, comment="理由不充分")
    item.refresh_from_db()
    assert item.deadline == DEADLINE
    extension = ExtensionRequest.objects.get(item=item)
    assert (extension.status, extension.comment) == ("rejected", "理由不充分")
    assert ItemChange.objects.filter(item=item).count() == 0
    assert sorted(
        Notice.objects.filter(item=item, title="延期申请未获批准：修订本科生培养方案").values_list(
            "recipient__username", "body"
        )
    ) == [
        ("lead_head", "办结时限仍为2026-10-16。审批意见：理由不充分"),
        ("lead_liaison", "办结时限仍为2026-10-16。审批意见：理由不充分"),
    ]


def test_r_e3_the_leader_decides_a_long_extension(org: Org, traveller: Any) -> None:
    item = in_progress(org)
    request(org, item, dt.date(2027, 3, 31))
    actions.decide_extension(org.leader_in_charge, item, approve=True)
    item.refresh_from_db()
    assert (item.deadline, item.original_deadline) == (dt.date(2027, 3, 31), DEADLINE)
    change = ItemChange.objects.get(item=item)
    assert change.authorised_by == org.leader_in_charge
    # The lead unit and the office hear of the leader's decision.
    assert sorted(
        Notice.objects.filter(item=item, title__startswith="延期申请已批准").values_list(
            "recipient__username", flat=True
        )
    ) == ["lead_head", "lead_liaison", "office_supervisor"]


@pytest.mark.parametrize(
    ("requested", "wrong"),
    [
        (OFFICE_LIMIT, "leader_in_charge"),  # office-level: not the leader's
        (OFFICE_LIMIT + dt.timedelta(days=1), "office_supervisor"),  # leader-level
        (OFFICE_LIMIT, "lead_liaison"),
        (OFFICE_LIMIT, "lead_head"),
        (OFFICE_LIMIT, "cooperating_liaison"),
    ],
)
def test_r_e3_only_the_right_approver_decides(
    org: Org, traveller: Any, requested: dt.date, wrong: str
) -> None:
    item = in_progress(org)
    request(org, item, requested)
    error = refused(
        PermissionRefused,
        lambda: actions.decide_extension(getattr(org, wrong), item, approve=True),
        item,
    )
    assert error.message == NOT_APPROVER


def test_nothing_to_decide_without_a_pending_request(org: Org, traveller: Any) -> None:
    item = in_progress(org)
    error = refused(
        PermissionRefused,
        lambda: actions.decide_extension(org.office_supervisor, item, approve=True),
        item,
    )
    assert error.message == NOT_APPROVER
    request(org, item, dt.date(2026, 11, 16))
    actions.decide_extension(org.office_supervisor, item, approve=True)
    error = refused(
        PermissionRefused,
        lambda: actions.decide_extension(org.office_supervisor, item, approve=False, comment="x"),
        item,
    )
    assert error.message == NOT_APPROVER


def test_approval_is_refused_once_the_deadline_has_moved_past_the_request(
    org: Org, traveller: Any
) -> None:
    item = in_progress(org)
    request(org, item, dt.date(2026, 11, 16))
    actions.change_item(
        org.office_supervisor, item, reason="会议纪要更正", deadline=dt.date(2026, 11, 30)
    )
    error = refused(
        InvalidInput,
        lambda: actions.decide_extension(org.office_supervisor, item, approve=True),
        item,
    )
    assert error.message == (
        "申请延至的日期2026-11-16不晚于现在的办结时限2026-11-30，无需批准延期。"
    )


# ----------------------------------------------------------------------------- R-E4 lateness


def test_r_e4_lateness_is_counted_against_both_deadlines(org: Org, traveller: Any) -> None:
    item = in_progress(org)
    request(org, item, dt.date(2026, 10, 30))
    actions.decide_extension(org.office_supervisor, item, approve=True)
    item.refresh_from_db()
    assert lateness(item, dt.date(2026, 10, 16)) == (0, 0)
    # (10-16, 10-19]: one working day late against the original only.
    assert lateness(item, dt.date(2026, 10, 19)) == (0, 1)
    # Tuesday 11-03: 11-02 and 11-03 past the new deadline; 12 working days past the old.
    assert lateness(item, dt.date(2026, 11, 3)) == (2, 12)


def test_r_e4_a_completed_item_is_late_until_its_report_went_in(org: Org, traveller: Any) -> None:
    item = in_progress(org)
    at(traveller, dt.date(2026, 10, 20))  # two working days past the deadline
    actions.draft_completion_report(org.lead_liaison, item, "已完成")
    actions.confirm_report(org.lead_head, item)
    at(traveller, dt.date(2026, 10, 27))
    actions.review_report(org.office_supervisor, item, accept=True)
    item.refresh_from_db()
    assert lateness(item, dt.date(2026, 12, 1)) == (2, 2)


# ----------------------------------------------------------------------------- pages


def signed_in(client: Client, user: Any) -> Client:
    client.force_login(user)
    return client


def page_of(client: Client, item: Item) -> str:
    response = client.get(reverse("item-detail", kwargs={"pk": item.pk}))
    assert response.status_code == 200
    return str(response.content.decode())


def post(client: Client, item: Item, action: str, data: dict[str, Any]) -> Any:
    # Confirmed, as the confirmation page posts it (web.item_views.confirm_page).
    url = reverse("item-action", kwargs={"pk": item.pk, "action": action})
    return client.post(url, {"confirmed": "1", **data})


def offered(page: str) -> set[str]:
    return set(re.findall(r'<form method="post" action="[^"]+" [^>]*data-action="([a-z_]+)"', page))


def error_shown(page: str, message: str) -> bool:
    return (
        f'<div class="alert alert--error" role="alert" id="action-error">\n    <p>{message}</p>'
        in (page)
    )


def test_page_the_lead_unit_is_offered_the_application_with_its_rules(
    client: Client, org: Org, traveller: Any
) -> None:
    item = in_progress(org)
    page = page_of(signed_in(client, org.lead_liaison), item)
    assert "request_extension" in offered(page)
    assert (
        "每个事项只能申请延期一次，最迟应在2026-10-10（办结时限前第5个工作日）提出。"
        "延至2027-01-16（含）以前的由督办部门审批，更晚的由分管校领导审批。"
    ) in page
    assert "没有延期申请。" in page
    office_page = page_of(signed_in(client, org.office_supervisor), item)
    assert "request_extension" not in offered(office_page)
    assert "decide_extension" not in offered(office_page)


def test_page_an_application_one_day_too_late_is_told_the_last_day(
    client: Client, org: Org, traveller: Any
) -> None:
    item = in_progress(org)
    at(traveller, dt.date(2026, 10, 11))
    before = snapshot(item)
    response = post(
        signed_in(client, org.lead_liaison),
        item,
        "request_extension",
        {"requested_deadline": "2026-11-16", "reason": "需等待新文件"},
    )
    assert response.status_code == 409
    page = response.content.decode()
    assert error_shown(
        page,
        "延期申请最迟应在2026-10-10（办结时限2026-10-16前第5个工作日）提出，"
        "现已逾期，不能再申请延期。",
    )
    assert snapshot(item) == before


def test_page_a_missing_date_is_refused_on_its_field(
    client: Client, org: Org, traveller: Any
) -> None:
    item = in_progress(org)
    before = snapshot(item)
    response = post(
        signed_in(client, org.lead_liaison),
        item,
        "request_extension",
        {"requested_deadline": "", "reason": "需等待新文件"},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert error_shown(page, "请填写申请延至的日期。")
    assert '<details class="action-details" id="more-request_extension" open>' in page
    assert "需等待新文件</textarea>" in page
    assert snapshot(item) == before


def test_page_apply_then_the_office_approves(client: Client, org: Org, traveller: Any) -> None:
    item = in_progress(org)
    response = post(
        signed_in(client, org.lead_liaison),
        item,
        "request_extension",
        {"requested_deadline": "2026-12-31", "reason": "需等待新文件"},
    )
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "延期申请已提交，报党政办公室审批。" in page
    assert "request_extension" not in offered(page)
    assert "延期不超过3个月，由党政办公室审批" in page
    assert '<span class="status status--extension-pending">待审批</span>' in page

    office_page = page_of(signed_in(client, org.office_supervisor), item)
    assert "decide_extension" in offered(office_page)
    # The decision's form and the request it decides on are in the first card.
    start = office_page.index('id="workbench"')
    card = office_page[start : office_page.index("</section>", start)]
    assert 'data-action="decide_extension"' in card
    assert "<strong>2026-12-31</strong>" in card
    assert "需等待新文件" in card
    assert "decide_extension" not in offered(page_of(signed_in(client, org.leader_in_charge), item))

    response = post(
        signed_in(client, org.office_supervisor),
        item,
        "decide_extension",
        {"decision": "approve", "comment": ""},
    )
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "已批准延期，办结时限延至2026-12-31。" in page
    assert "<strong>2026-12-31</strong>" in page
    assert "原定办结时限 2026-10-16" in page
    assert '<span class="status status--extension-approved">已批准</span>' in page
    item.refresh_from_db()
    assert (item.deadline, item.original_deadline) == (dt.date(2026, 12, 31), DEADLINE)


def test_page_a_rejection_without_a_reason_is_refused(
    client: Client, org: Org, traveller: Any
) -> None:
    item = in_progress(org)
    request(org, item, dt.date(2026, 12, 31))
    before = snapshot(item)
    response = post(
        signed_in(client, org.office_supervisor),
        item,
        "decide_extension",
        {"decision": "reject", "comment": ""},
    )
    assert response.status_code == 400
    assert error_shown(response.content.decode(), "请填写不予批准的理由。")
    assert snapshot(item) == before
    response = post(client, item, "decide_extension", {"comment": "x"})
    assert response.status_code == 400
    assert "请选择是否批准。" in response.content.decode()
    assert snapshot(item) == before


def test_page_a_long_extension_lands_on_the_leaders_desk(
    client: Client, org: Org, traveller: Any
) -> None:
    item = in_progress(org)
    other = in_progress(org, title="短期延期的事项")
    request(org, item, dt.date(2027, 3, 31))
    request(org, other, dt.date(2026, 11, 16))

    signed_in(client, org.leader_in_charge)
    my_work = client.get(reverse("my-work")).content.decode()
    desk = re.search(
        r'<section class="card" id="work-extensions_to_decide">(.*?)</section>', my_work, re.S
    )
    assert desk is not None
    assert "修订本科生培养方案" in desk.group(1)
    assert "短期延期的事项" not in desk.group(1)
    page = page_of(client, item)
    assert "decide_extension" in offered(page)
    assert "延期超过3个月，报分管校领导王校长审批" in page

    signed_in(client, org.office_supervisor)
    my_work = client.get(reverse("my-work")).content.decode()
    desk = re.search(
        r'<section class="card" id="work-extensions_to_decide">(.*?)</section>', my_work, re.S
    )
    assert desk is not None
    assert "短期延期的事项" in desk.group(1)
    assert "修订本科生培养方案" not in desk.group(1)
    assert "decide_extension" not in offered(page_of(client, item))

    response = post(
        signed_in(client, org.leader_in_charge),
        item,
        "decide_extension",
        {"decision": "approve", "comment": "同意延至明年一季度末"},
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.deadline == dt.date(2027, 3, 31)


def test_page_the_ledger_filters_pending_extensions(
    client: Client, org: Org, traveller: Any, django_assert_max_num_queries: Any
) -> None:
    pending = in_progress(org, title="待审批的事项")
    decided = in_progress(org, title="已批准的事项")
    in_progress(org, title="没有申请的事项")
    request(org, pending, dt.date(2026, 11, 16))
    request(org, decided, dt.date(2026, 11, 16))
    actions.decide_extension(org.office_supervisor, decided, approve=True)

    signed_in(client, org.office_supervisor)
    with django_assert_max_num_queries(11):  # (+1: the person's saved views, 我的视图)
        page = client.get(reverse("ledger"), {"extension": "pending"}).content.decode()
    assert "待审批的事项" in page
    assert "已批准的事项" not in page
    assert "没有申请的事项" not in page
    assert '<option value="pending" selected>延期待审批</option>' in page


def test_page_lateness_against_both_deadlines_is_shown(
    client: Client, org: Org, traveller: Any
) -> None:
    item = in_progress(org)
    request(org, item, dt.date(2026, 10, 30))
    actions.decide_extension(org.office_supervisor, item, approve=True)
    at(traveller, dt.date(2026, 11, 3))
    page = page_of(signed_in(client, org.office_supervisor), item)
    assert "原定办结时限 2026-10-16" in page
    assert "按现办结时限已超期2个工作日；按原定办结时限超期12个工作日" in page


# ----------------------------------------------------------------------------- API


class Api:
    """The API as one person; the token is issued directly (signing in is tested elsewhere)."""

    def __init__(self, client: Client, user: Any) -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {issue_token(user)[0]}"}

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(f"/api/v1{path}", params, headers=self.headers)

    def post(self, path: str, body: Any) -> Any:
        return self.client.post(
            f"/api/v1{path}",
            json.dumps(body),
            content_type="application/json",
            headers=self.headers,
        )


def test_api_apply_and_decide(client: Client, org: Org, traveller: Any) -> None:
    item = in_progress(org)
    liaison = Api(client, org.lead_liaison)
    applied = liaison.post(
        f"/items/{item.pk}/extension", {"requested_deadline": "2027-01-17", "reason": "需补充调研"}
    )
    assert applied.status_code == 200, applied.content
    extension = applied.json()["extension_request"]
    assert extension["status"] == "pending"
    assert extension["status_label"] == "待审批"
    assert extension["approver_kind"] == "leader"
    assert extension["approver_kind_label"] == "分管校领导"
    assert extension["approver"] == "王校长"
    assert extension["approver_id"] == org.leader_in_charge.pk
    assert extension["current_deadline"] == "2026-10-16"
    assert extension["requested_deadline"] == "2027-01-17"
    assert extension["requested_by"] == "周联络"
    assert extension["unit"] == {"id": org.lead_unit.pk, "name": "教务处"}
    assert "request_extension" not in applied.json()["allowed_actions"]

    leader = Api(client, org.leader_in_charge)
    assert "decide_extension" in leader.get(f"/items/{item.pk}").json()["allowed_actions"]
    pending = leader.get("/items", extension="pending").json()
    assert [row["id"] for row in pending["results"]] == [item.pk]

    refused_ = Api(client, org.office_supervisor).post(
        f"/items/{item.pk}/extension/decide", {"approve": True}
    )
    assert refused_.status_code == 403
    assert refused_.json() == {"code": "forbidden", "message": NOT_APPROVER}

    decided = leader.post(
        f"/items/{item.pk}/extension/decide", {"approve": True, "comment": "同意"}
    )
    assert decided.status_code == 200, decided.content
    body = decided.json()
    assert body["deadline"] == "2027-01-17"
    assert body["original_deadline"] == "2026-10-16"
    assert body["extension_request"]["status"] == "approved"
    assert body["extension_request"]["decided_by"] == "王校长"
    assert body["extension_request"]["comment"] == "同意"
    assert body["lateness"] == {"against_current": 0, "against_original": 0}
    assert leader.get("/items", extension="pending").json()["count"] == 0


def test_api_a_late_application_answers_409_with_the_last_day(
    client: Client, org: Org, traveller: Any
) -> None:
    item = in_progress(org)
    at(traveller, dt.date(2026, 10, 11))
    before = snapshot(item)
    response = Api(client, org.lead_liaison).post(
        f"/items/{item.pk}/extension", {"requested_deadline": "2026-11-16", "reason": "x"}
    )
    assert response.status_code == 409
    assert response.json() == {
        "code": "invalid_state",
        "message": "延期申请最迟应在2026-10-10（办结时限2026-10-16前第5个工作日）提出，"
        "现已逾期，不能再申请延期。",
    }
    assert snapshot(item) == before


@pytest.mark.parametrize(
    ("body", "status", "errors"),
    [
        ({"reason": "x"}, 400, {"requested_deadline": "此项为必填项。"}),
        ({"requested_deadline": "2026-02-30", "reason": "x"}, 400, None),
        ({"requested_deadline": "2026-11-16", "reason": " "}, 400, {"reason": "此项为必填项。"}),
    ],
)
def test_api_bad_applications_are_400_and_change_nothing(
    client: Client, org: Org, traveller: Any, body: dict[str, Any], status: int, errors: Any
) -> None:
    item = in_progress(org)
    before = snapshot(item)
    response = Api(client, org.lead_liaison).post(f"/items/{item.pk}/extension", body)
    assert response.status_code == status
    assert response.json()["code"] == "invalid"
    if errors is not None:
        assert response.json()["errors"] == errors
    else:
        assert set(response.json()["errors"]) == {"requested_deadline"}
    assert snapshot(item) == before


def test_api_a_hidden_item_answers_404(client: Client, org: Org, traveller: Any) -> None:
    item = in_progress(org)
    before = snapshot(item)
    response = Api(client, org.other_unit_liaison).post(
        f"/items/{item.pk}/extension", {"requested_deadline": "2026-11-16", "reason": "x"}
    )
    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "message": "督办事项不存在。"}
    assert snapshot(item) == before
