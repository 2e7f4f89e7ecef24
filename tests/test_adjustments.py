"""Items that cannot be completed (Art.24): RULES R-T1 — termination or adjustment only
by a meeting's deliberation (recorded) or a school leader's consent; the decision, its
basis and who recorded it are kept; an adjustment's new values show in the item's
change record (R-S4). Every refusal asserts its message and that nothing changed.
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
from duban.items.models import Adjustment, Item, ItemChange, Notice
from duban.items.states import Status
from tests.conftest import Org, advance, establish

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY = dt.datetime(2026, 9, 28, 10, 0, tzinfo=SHANGHAI)
TODAY = dt.date(2026, 9, 28)
DEADLINE = dt.date(2026, 10, 16)  # an item established today (R-D2)
MEETING = "2026年第20次校长办公会"


@pytest.fixture(autouse=True)
def frozen_clock() -> Iterator[Any]:
    with time_machine.travel(MONDAY, tick=False) as traveller:
        yield traveller


def in_progress(org: Org, **overrides: Any) -> Item:
    return advance(org, establish(org, **overrides), Status.IN_PROGRESS)


def snapshot(item: Item) -> dict[str, Any]:
    return {
        "item": Item.objects.filter(pk=item.pk).values().get(),
        "adjustments": Adjustment.objects.count(),
        "changes": ItemChange.objects.count(),
        "events": AuditEvent.objects.filter(item=item).count(),
        "notices": Notice.objects.count(),
    }


def refused(error: type[Exception], call: Any, item: Item) -> Any:
    before = snapshot(item)
    with pytest.raises(error) as caught:
        call()
    assert snapshot(item) == before
    return caught.value


def by_meeting(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "decision_kind": "meeting",
        "meeting_name": MEETING,
        "meeting_date": dt.date(2026, 9, 25),
        "basis": "校长办公会纪要〔2026〕第20期",
        "reason": "上级已撤销该项工作部署",
    }
    values.update(overrides)
    return values


def by_leader(org: Org, **overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "decision_kind": "leader",
        "leader": org.leader_in_charge,
        "basis": "王校长2026年9月28日批示",
        "reason": "受上级政策调整影响，需待新文件印发",
    }
    values.update(overrides)
    return values


def unit_notices(item: Item, title: str) -> list[str]:
    return sorted(
        Notice.objects.filter(item=item, title=title).values_list("recipient__username", flat=True)
    )


# ----------------------------------------------------------------------------- terminate


def test_r_t1_terminate_by_a_meeting(org: Org, frozen_clock: Any) -> None:
    item = in_progress(org)
    frozen_clock.shift(dt.timedelta(hours=1))
    adjustment = actions.terminate_item(org.office_supervisor, item, **by_meeting())

    item.refresh_from_db()
    assert item.status == Status.TERMINATED
    assert item.terminated_at == dt.datetime(2026, 9, 28, 11, 0, tzinfo=SHANGHAI)
    assert item.deadline == DEADLINE  # a termination changes nothing else
    assert adjustment.kind == "terminate"
    assert adjustment.decision_kind == "meeting"
    assert adjustment.meeting_name == MEETING
    assert adjustment.meeting_date == dt.date(2026, 9, 25)
    assert adjustment.leader is None
    assert adjustment.basis == "校长办公会纪要〔2026〕第20期"
    assert adjustment.reason == "上级已撤销该项工作部署"
    assert adjustment.recorded_by == org.office_supervisor
    event = AuditEvent.objects.filter(item=item).last()
    assert event is not None
    assert event.verb == "terminate"
    assert event.summary == (
        "经2026年第20次校长办公会（2026-09-25）研究决定，终止办理。原因：上级已撤销该项工作部署"
    )
    assert unit_notices(item, "督办事项已终止：修订本科生培养方案") == [
        "cooperating_liaison",
        "lead_head",
        "lead_liaison",
    ]


def test_r_t1_terminate_with_a_leaders_consent(org: Org) -> None:
    item = advance(org, establish(org), Status.ASSIGNED)
    adjustment = actions.terminate_item(org.office_supervisor, item, **by_leader(org))
    item.refresh_from_db()
    assert item.status == Status.TERMINATED
    assert (adjustment.decision_kind, adjustment.leader) == ("leader", org.leader_in_charge)
    assert (adjustment.meeting_name, adjustment.meeting_date) == ("", None)
    event = AuditEvent.objects.filter(item=item).last()
    assert event is not None
    assert event.summary == "经王校长同意，终止办理。原因：受上级政策调整影响，需待新文件印发"


def test_an_item_not_yet_assigned_is_terminated_without_telling_the_units(org: Org) -> None:
    item = establish(org)
    actions.terminate_item(org.office_supervisor, item, **by_meeting(meeting_date=TODAY))
    item.refresh_from_db()
    assert item.status == Status.TERMINATED
    assert Notice.objects.filter(item=item).count() == 0


def test_a_terminated_item_takes_no_further_action(org: Org) -> None:
    item = in_progress(org)
    actions.terminate_item(org.office_supervisor, item, **by_meeting())
    item.refresh_from_db()
    message = "事项当前状态为“已终止”，不能执行此操作。"
    for call in (
        lambda: actions.terminate_item(org.office_supervisor, item, **by_meeting()),
        lambda: actions.adjust_item(
            org.office_supervisor, item, **by_meeting(), new_deadline=dt.date(2026, 11, 30)
        ),
        lambda: actions.submit_feedback(org.lead_liaison, item, "仍在推进"),
        lambda: actions.request_extension(
            org.lead_liaison, item, requested_deadline=dt.date(2026, 11, 30), reason="x"
        ),
    ):
        assert refused(StateRefused, call, item).message == message


REFUSALS = [
    pytest.param(
        {"decision_kind": ""}, "请选择决定方式：会议研究决定或校领导同意。", id="no-decision-kind"
    ),
    pytest.param(
        {"decision_kind": "vote"}, "请选择决定方式：会议研究决定或校领导同意。", id="odd-kind"
    ),
    pytest.param({"meeting_date": None}, "请填写作出决定的会议日期。", id="no-meeting-date"),
    pytest.param(
        {"meeting_date": dt.date(2026, 9, 29)},
        "会议日期2026-09-29晚于今天，只能记录已经作出的决定。",
        id="meeting-in-the-future",
    ),
    pytest.param({"meeting_name": "  "}, "请填写会议名称。", id="no-meeting-name"),
    pytest.param({"basis": ""}, "请填写决定依据。", id="no-basis"),
    pytest.param({"reason": "\n"}, "请填写客观原因。", id="no-reason"),
]


@pytest.mark.parametrize(("overrides", "message"), REFUSALS)
def test_r_t1_a_meeting_decision_needs_the_meeting_basis_and_reason(
    org: Org, overrides: dict[str, Any], message: str
) -> None:
    item = in_progress(org)
    for call in (
        lambda: actions.terminate_item(org.office_supervisor, item, **by_meeting(**overrides)),
        lambda: actions.adjust_item(
            org.office_supervisor,
            item,
            **by_meeting(**overrides),
            new_deadline=dt.date(2026, 11, 30),
        ),
    ):
        assert refused(InvalidInput, call, item).message == message


@pytest.mark.parametrize("leader", [None, "lead_head", "office_supervisor"])
def test_r_t1_a_leaders_consent_needs_a_school_leader(org: Org, leader: str | None) -> None:
    item = in_progress(org)
    person = getattr(org, leader) if leader else None
    error = refused(
        InvalidInput,
        lambda: actions.terminate_item(
            org.office_supervisor, item, **by_leader(org, leader=person)
        ),
        item,
    )
    assert error.message == "须由校领导同意，请选择同意的校领导。"
    assert error.errors == {"leader": "请选择同意的校领导。"}


def test_r_t1_an_inactive_leader_cannot_consent(org: Org) -> None:
    item = in_progress(org)
    org.leader_in_charge.is_active = False
    org.leader_in_charge.save()
    error = refused(
        InvalidInput,
        lambda: actions.terminate_item(org.office_supervisor, item, **by_leader(org)),
        item,
    )
    assert error.message == "须由校领导同意，请选择同意的校领导。"


@pytest.mark.parametrize(
    "persona", ["lead_liaison", "lead_head", "cooperating_liaison", "leader_in_charge"]
)
def test_only_the_office_records_a_termination_or_adjustment(org: Org, persona: str) -> None:
    item = in_progress(org)
    person = getattr(org, persona)
    error = refused(
        PermissionRefused,
        lambda: actions.terminate_item(person, item, **by_leader(org)),
        item,
    )
    assert error.message == "只有本事项的督办部门督办员可以记录终止决定。"
    error = refused(
        PermissionRefused,
        lambda: actions.adjust_item(
            person, item, **by_leader(org), new_deadline=dt.date(2026, 11, 30)
        ),
        item,
    )
    assert error.message == "只有本事项的督办部门督办员可以记录调整决定。"


# ----------------------------------------------------------------------------- adjust


def test_r_t1_adjust_deadline_and_content_with_a_leaders_consent(
    org: Org, frozen_clock: Any
) -> None:
    item = in_progress(org)
    frozen_clock.shift(dt.timedelta(hours=1))
    adjustment = actions.adjust_item(
        org.office_supervisor,
        item,
        **by_leader(org),
        new_deadline=dt.date(2026, 11, 30),
        new_content="完成2027版本科生培养方案修订（不含研究生部分）。",
    )

    item.refresh_from_db()
    assert item.status == Status.IN_PROGRESS
    assert item.deadline == dt.date(2026, 11, 30)
    assert item.original_deadline == DEADLINE
    assert item.content == "完成2027版本科生培养方案修订（不含研究生部分）。"
    assert adjustment.kind == "adjust"
    assert adjustment.new_deadline == dt.date(2026, 11, 30)
    assert adjustment.new_content == "完成2027版本科生培养方案修订（不含研究生部分）。"
    # R-S4: the change record shows both, with the adjustment's reason and authority.
    assert list(
        ItemChange.objects.filter(item=item).values_list(
            "field", "old_value", "new_value", "reason", "authorised_by", "changed_by"
        )
    ) == [
        (
            "deadline",
            "2026-10-16",
            "2026-11-30",
            "受上级政策调整影响，需待新文件印发",
            org.leader_in_charge.pk,
            org.office_supervisor.pk,
        ),
        (
            "content",
            "按校长办公会决定，完成2027版本科生培养方案修订。",
            "完成2027版本科生培养方案修订（不含研究生部分）。",
            "受上级政策调整影响，需待新文件印发",
            org.leader_in_charge.pk,
            org.office_supervisor.pk,
        ),
    ]
    event = AuditEvent.objects.filter(item=item).last()
    assert event is not None
    assert event.verb == "adjust"
    assert event.summary == (
        "经王校长同意，办结时限调整为2026-11-30，工作内容已调整。"
        "原因：受上级政策调整影响，需待新文件印发"
    )
    assert unit_notices(item, "督办事项已调整：修订本科生培养方案") == [
        "cooperating_liaison",
        "lead_head",
        "lead_liaison",
    ]


def test_r_t1_adjust_by_a_meeting_has_no_authorising_leader(org: Org) -> None:
    item = in_progress(org)
    actions.adjust_item(
        org.office_supervisor, item, **by_meeting(), new_deadline=dt.date(2026, 12, 15)
    )
    change = ItemChange.objects.get(item=item)
    assert (change.field, change.new_value, change.authorised_by) == (
        "deadline",
        "2026-12-15",
        None,
    )
    item.refresh_from_db()
    assert item.deadline_provisional is False


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({}, "请填写与现在不同的办结时限或工作内容。"),
        ({"new_deadline": DEADLINE, "new_content": "  "}, "请填写与现在不同的办结时限或工作内容。"),
        (
            {"new_content": "按校长办公会决定，完成2027版本科生培养方案修订。"},
            "请填写与现在不同的办结时限或工作内容。",
        ),
        ({"new_deadline": dt.date(2026, 9, 27)}, "调整后的办结时限不能早于今天。"),
    ],
)
def test_an_adjustment_must_change_something_sensible(
    org: Org, values: dict[str, Any], message: str
) -> None:
    item = in_progress(org)
    error = refused(
        InvalidInput,
        lambda: actions.adjust_item(org.office_supervisor, item, **by_meeting(), **values),
        item,
    )
    assert error.message == message


# ----------------------------------------------------------------------------- pages


def signed_in(client: Client, user: Any) -> Client:
    client.force_login(user)
    return client


def offered(page: str) -> set[str]:
    return set(re.findall(r'<form method="post" action="[^"]+" [^>]*data-action="([a-z_]+)"', page))


def post(client: Client, item: Item, action: str, data: dict[str, Any]) -> Any:
    # Confirmed, as the confirmation page posts it (web.item_views.confirm_page).
    url = reverse("item-action", kwargs={"pk": item.pk, "action": action})
    return client.post(url, {"confirmed": "1", **data})


def test_page_only_the_office_is_offered_termination_and_adjustment(
    client: Client, org: Org
) -> None:
    item = in_progress(org)
    for persona, expected in (
        ("office_supervisor", True),
        ("lead_liaison", False),
        ("lead_head", False),
        ("leader_in_charge", False),
    ):
        page = signed_in(client, getattr(org, persona)).get(
            reverse("item-detail", kwargs={"pk": item.pk})
        )
        forms = offered(page.content.decode())
        assert ({"adjust", "terminate"} <= forms) is expected, persona
        assert not ({"adjust", "terminate"} & forms) or expected, persona


def test_page_a_termination_with_a_future_meeting_is_refused(client: Client, org: Org) -> None:
    item = in_progress(org)
    signed_in(client, org.office_supervisor)
    before = snapshot(item)
    response = post(
        client,
        item,
        "terminate",
        {
            "decision_kind": "meeting",
            "meeting_name": MEETING,
            "meeting_date": "2026-10-09",
            "basis": "纪要",
            "reason": "已撤销",
        },
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert (
        '<div class="alert alert--error" role="alert" id="action-error">\n'
        "    <p>会议日期2026-10-09晚于今天，只能记录已经作出的决定。</p>"
    ) in page
    assert '<p class="field__error">请填写不晚于今天的日期。</p>' in page
    assert snapshot(item) == before


def test_page_terminate_and_see_the_decision(client: Client, org: Org) -> None:
    item = in_progress(org)
    signed_in(client, org.office_supervisor)
    response = post(
        client,
        item,
        "terminate",
        {
            "decision_kind": "leader",
            "leader": str(org.leader_in_charge.pk),
            "basis": "王校长批示",
            "reason": "上级已撤销该项工作",
        },
    )
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "已记录终止决定，事项已终止。" in page
    assert '<span class="status status--terminated" id="item-status">已终止</span>' in page
    assert "经王校长同意" in page
    assert "决定依据：王校长批示" in page
    assert "客观原因：上级已撤销该项工作" in page
    assert "本事项已终止。" in page and 'id="more-actions"' not in page


def test_page_adjust_shows_in_the_change_record(client: Client, org: Org) -> None:
    item = in_progress(org)
    signed_in(client, org.office_supervisor)
    response = post(
        client,
        item,
        "adjust",
        {
            "decision_kind": "meeting",
            "meeting_name": MEETING,
            "meeting_date": "2026-09-25",
            "basis": "纪要〔2026〕第20期",
            "reason": "需与新政策衔接",
            "new_deadline": "2026-12-15",
            "new_content": "",
        },
    )
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "已记录调整决定。" in page
    assert "<strong>2026-12-15</strong>" in page
    assert "原定办结时限 2026-10-16" in page
    assert "经2026年第20次校长办公会（2026-09-25）研究决定" in page
    changes = page[page.index('id="changes"') :]
    assert "需与新政策衔接" in changes


# ----------------------------------------------------------------------------- API


def api_post(client: Client, user: Any, path: str, body: Any) -> Any:
    return client.post(
        f"/api/v1{path}",
        json.dumps(body),
        content_type="application/json",
        headers={"Authorization": f"Bearer {issue_token(user)[0]}"},
    )


def test_api_adjust_and_terminate(client: Client, org: Org) -> None:
    item = in_progress(org)
    adjusted = api_post(
        client,
        org.office_supervisor,
        f"/items/{item.pk}/adjust",
        {
            "decision_kind": "leader",
            "leader": org.leader_in_charge.pk,
            "basis": "王校长批示",
            "reason": "需与新政策衔接",
            "new_deadline": "2026-12-15",
        },
    )
    assert adjusted.status_code == 200, adjusted.content
    body = adjusted.json()
    assert body["deadline"] == "2026-12-15"
    assert body["original_deadline"] == "2026-10-16"
    (adjustment,) = body["adjustments"]
    assert adjustment["kind"] == "adjust"
    assert adjustment["kind_label"] == "调整"
    assert adjustment["decision_kind"] == "leader"
    assert adjustment["decision_kind_label"] == "校领导同意"
    assert adjustment["leader"] == "王校长"
    assert adjustment["new_deadline"] == "2026-12-15"
    assert adjustment["new_content"] == ""
    assert adjustment["recorded_by"] == "孙督办"
    assert body["changes"][-1]["authorised_by"] == "王校长"

    terminated = api_post(
        client,
        org.office_supervisor,
        f"/items/{item.pk}/terminate",
        {
            "decision_kind": "meeting",
            "meeting_name": MEETING,
            "meeting_date": "2026-09-25",
            "basis": "纪要",
            "reason": "已撤销",
        },
    )
    assert terminated.status_code == 200, terminated.content
    body = terminated.json()
    assert body["status"] == "terminated"
    assert body["terminated_at"] == "2026-09-28T10:00:00+08:00"
    assert [row["kind"] for row in body["adjustments"]] == ["adjust", "terminate"]
    assert body["allowed_actions"] == []


@pytest.mark.parametrize(
    ("body", "status", "code", "errors"),
    [
        (
            {"decision_kind": "vote", "basis": "b", "reason": "r"},
            400,
            "invalid",
            {"decision_kind": "取值无效，可选值：meeting、leader。"},
        ),
        ({"decision_kind": "leader", "reason": "r"}, 400, "invalid", {"basis": "此项为必填项。"}),
        (
            {"decision_kind": "leader", "leader": 999999, "basis": "b", "reason": "r"},
            400,
            "invalid",
            {"leader": "没有编号为999999的人员。"},
        ),
        (
            {"decision_kind": "meeting", "meeting_name": "m", "basis": "b", "reason": "r"},
            400,
            "invalid",
            {"meeting_date": "此项为必填项。"},
        ),
    ],
)
def test_api_bad_decisions_are_refused_and_change_nothing(
    client: Client, org: Org, body: dict[str, Any], status: int, code: str, errors: Any
) -> None:
    item = in_progress(org)
    before = snapshot(item)
    response = api_post(client, org.office_supervisor, f"/items/{item.pk}/terminate", body)
    assert response.status_code == status, response.content
    assert response.json()["code"] == code
    assert response.json()["errors"] == errors
    assert snapshot(item) == before


def test_api_only_the_office_terminates(client: Client, org: Org) -> None:
    item = in_progress(org)
    before = snapshot(item)
    response = api_post(
        client,
        org.lead_liaison,
        f"/items/{item.pk}/terminate",
        {"decision_kind": "leader", "leader": org.leader_in_charge.pk, "basis": "b", "reason": "r"},
    )
    assert response.status_code == 403
    assert response.json() == {
        "code": "forbidden",
        "message": "只有本事项的督办部门督办员可以记录终止决定。",
    }
    assert snapshot(item) == before
