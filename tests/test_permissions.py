"""Who may take each action (duban.items.policy) and who may see an item
(duban.items.visibility, RULES R-C5)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import AnonymousUser

from duban.items import actions, policy
from duban.items.errors import PermissionRefused
from duban.items.models import Item
from duban.items.states import MOVES, Status
from tests.conftest import Org, advance, establish
from tests.test_states import CALLS, snapshot, take

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY = dt.datetime(2026, 9, 28, 10, 0, tzinfo=SHANGHAI)

PERSONAS = (
    "office_supervisor",
    "lead_liaison",
    "lead_head",
    "cooperating_liaison",
    "cooperating_head",
    "other_unit_liaison",
    "leader_in_charge",
    "system_admin",
)
OFFICE = {"office_supervisor"}
LEAD_CONTACTS = {"lead_liaison", "lead_head"}
LEAD_HEAD = {"lead_head"}
COOPERATING_CONTACTS = {"cooperating_liaison", "cooperating_head"}
# The table's pending extension request asks one month, so the office decides it (R-E3).
EXTENSION_APPROVER = OFFICE

# Who may take each action (Art.12–13, 20–23).
ACTORS: dict[str, set[str]] = {
    "assign": OFFICE,
    "sign_for": LEAD_CONTACTS,
    "return": LEAD_CONTACTS,
    "reassign": OFFICE,
    "change": OFFICE,
    "record_plan": LEAD_CONTACTS,
    "submit_feedback": LEAD_CONTACTS,
    "report_contribution": COOPERATING_CONTACTS,
    "draft_completion_report": LEAD_CONTACTS,
    "decline_report": LEAD_HEAD,
    "confirm_report": LEAD_HEAD,
    "accept_report": OFFICE,
    "return_report": OFFICE,
    "urge": OFFICE,
    "request_extension": LEAD_CONTACTS,
    "decide_extension": EXTENSION_APPROVER,
    "adjust": OFFICE,
    "terminate": OFFICE,
    "archive": OFFICE,
}

NOT_VISIBLE = "督办事项不存在。"
MESSAGES: dict[str, str] = {
    "assign": "只有本事项的督办部门督办员可以交办。",
    "reassign": "只有本事项的督办部门督办员可以重新交办。",
    "change": "只有本事项的督办部门督办员可以变更事项。",
    "accept_report": "只有本事项的督办部门督办员可以审核办结报告。",
    "return_report": "只有本事项的督办部门督办员可以审核办结报告。",
    "sign_for": "只有承办单位的联络员或第一责任人可以签收。",
    "return": "只有承办单位的联络员或第一责任人可以退回事项。",
    "record_plan": "只有承办单位的联络员或第一责任人可以填报工作计划。",
    "submit_feedback": "只有承办单位的联络员或第一责任人可以反馈进展。",
    "draft_completion_report": "只有承办单位的联络员或第一责任人可以起草办结报告。",
    "confirm_report": "只有承办单位的第一责任人可以确认办结报告。",
    "decline_report": "只有承办单位的第一责任人可以退回办结报告草稿。",
    "report_contribution": "只有配合单位的联络员或第一责任人可以报送配合情况。",
    "urge": "只有本事项的督办部门督办员可以催办。",
    "request_extension": "只有承办单位的联络员或第一责任人可以申请延期。",
    "decide_extension": "您不是本事项延期申请的审批人，或没有待审批的延期申请。",
    "adjust": "只有本事项的督办部门督办员可以记录调整决定。",
    "terminate": "只有本事项的督办部门督办员可以记录终止决定。",
    "archive": "只有本事项的督办部门督办员可以立卷归档。",
}


@pytest.fixture(autouse=True)
def frozen_clock() -> Any:
    with time_machine.travel(MONDAY, tick=False):
        yield


def ready_for(org: Org, action: str) -> Item:
    """A new item in the first status from which `action` is allowed, prepared for it."""
    item = advance(org, establish(org), MOVES[action].sources[0])
    _persona, prepare, _call = CALLS[action]
    if prepare is not None:
        prepare(org, item)
    return item


def test_the_expected_actors_cover_every_move() -> None:
    assert set(ACTORS) == set(MOVES) == set(MESSAGES)


@pytest.mark.parametrize(
    ("action", "persona"),
    [
        pytest.param(action, persona, id=f"{action}-{persona}")
        for action in MOVES
        for persona in PERSONAS
    ],
)
def test_only_the_right_people_take_each_action(org: Org, action: str, persona: str) -> None:
    item = ready_for(org, action)
    if persona in ACTORS[action]:
        take(action, org, item, persona)
        item.refresh_from_db()
        assert item.status == (MOVES[action].target or MOVES[action].sources[0])
    else:
        before = snapshot(item)
        with pytest.raises(PermissionRefused) as refused:
            take(action, org, item, persona)
        # Whoever cannot see the item is told only what a missing item would tell.
        seeing = item.pk in Item.objects.visible_to(getattr(org, persona)).values_list(
            "pk", flat=True
        )
        assert refused.value.message == (MESSAGES[action] if seeing else NOT_VISIBLE)
        assert refused.value.code == "forbidden"
        assert refused.value.status == 403
        assert snapshot(item) == before


def test_a_person_who_cannot_see_the_item_cannot_act_on_it(org: Org) -> None:
    """A hidden item answers like a missing one: a liaison whose account was switched
    off sees nothing (visibility) and so may do nothing, though still named on the unit."""
    item = advance(org, establish(org), Status.ASSIGNED)
    org.lead_liaison.is_active = False
    org.lead_liaison.save()
    assert list(Item.objects.visible_to(org.lead_liaison)) == []
    assert policy.allowed_actions(org.lead_liaison, item) == []
    before = snapshot(item)
    with pytest.raises(PermissionRefused) as refused:
        take("sign_for", org, item, "lead_liaison")
    assert refused.value.message == NOT_VISIBLE
    assert snapshot(item) == before


@pytest.mark.parametrize("action", list(MOVES))
def test_anonymous_user_is_refused_every_action(org: Org, action: str) -> None:
    """Refused like anyone else without the right (403 with a message), never a crash."""
    item = ready_for(org, action)
    with pytest.raises(PermissionRefused) as refused:
        policy.check(AnonymousUser(), item, action)
    assert refused.value.message == NOT_VISIBLE


def test_anonymous_user_is_offered_no_action(org: Org) -> None:
    for status in (Status.ESTABLISHED, Status.ASSIGNED, Status.IN_PROGRESS, Status.SUBMITTED):
        item = advance(org, establish(org), status)
        assert policy.allowed_actions(AnonymousUser(), item) == [], status


# ----------------------------------------------------------------------------- allowed_actions


@pytest.mark.parametrize(
    ("status", "persona", "expected"),
    [
        (Status.ESTABLISHED, "office_supervisor", ["assign", "change", "adjust", "terminate"]),
        (Status.ESTABLISHED, "lead_liaison", []),
        (Status.ASSIGNED, "office_supervisor", ["change", "urge", "adjust", "terminate"]),
        (Status.ASSIGNED, "lead_liaison", ["sign_for", "return", "request_extension"]),
        (Status.ASSIGNED, "lead_head", ["sign_for", "return", "request_extension"]),
        (Status.ASSIGNED, "cooperating_liaison", []),
        (Status.RETURNED, "office_supervisor", ["reassign", "change", "adjust", "terminate"]),
        (Status.RETURNED, "lead_liaison", []),
        (
            Status.IN_PROGRESS,
            "lead_liaison",
            ["record_plan", "submit_feedback", "draft_completion_report", "request_extension"],
        ),
        (Status.IN_PROGRESS, "cooperating_liaison", ["report_contribution"]),
        (Status.IN_PROGRESS, "cooperating_head", ["report_contribution"]),
        (Status.IN_PROGRESS, "office_supervisor", ["change", "urge", "adjust", "terminate"]),
        (
            Status.SUBMITTED,
            "office_supervisor",
            ["change", "accept_report", "return_report", "adjust", "terminate"],
        ),
        (Status.SUBMITTED, "lead_head", []),
        (Status.COMPLETED, "office_supervisor", []),
        (Status.COMPLETED, "lead_head", []),
    ],
)
def test_allowed_actions_per_persona_and_status(
    org: Org, status: str, persona: str, expected: list[str]
) -> None:
    item = advance(org, establish(org), status)
    assert policy.allowed_actions(getattr(org, persona), item) == expected


@pytest.mark.parametrize("persona", ["other_unit_liaison", "leader_in_charge", "system_admin"])
def test_outsiders_are_offered_nothing_in_any_status(org: Org, persona: str) -> None:
    for status in (
        Status.ESTABLISHED,
        Status.ASSIGNED,
        Status.RETURNED,
        Status.IN_PROGRESS,
        Status.SUBMITTED,
        Status.COMPLETED,
    ):
        item = advance(org, establish(org), status)
        assert policy.allowed_actions(getattr(org, persona), item) == [], status


def test_head_is_offered_confirm_and_decline_only_with_a_draft_waiting(org: Org) -> None:
    """Pages show only what the viewer can do: with no draft waiting there is nothing to
    confirm or decline (R-F4), so those buttons must not be offered."""
    item = advance(org, establish(org), Status.IN_PROGRESS)
    assert policy.allowed_actions(org.lead_head, item) == [
        "record_plan",
        "submit_feedback",
        "draft_completion_report",
        "request_extension",
    ]
    take("draft_completion_report", org, item)
    assert policy.allowed_actions(org.lead_head, item) == [
        "record_plan",
        "submit_feedback",
        "draft_completion_report",
        "decline_report",
        "confirm_report",
        "request_extension",
    ]


# ----------------------------------------------------------------------------- visibility


@pytest.mark.parametrize(
    ("persona", "sees"),
    [
        ("office_supervisor", True),
        ("leader_in_charge", True),
        ("lead_liaison", True),
        ("lead_head", True),
        ("cooperating_liaison", True),
        ("cooperating_head", True),
        ("other_unit_liaison", False),
        ("system_admin", False),
    ],
)
def test_r_c5_who_sees_an_item(org: Org, item: Item, persona: str, sees: bool) -> None:
    visible = list(Item.objects.visible_to(getattr(org, persona)))
    assert visible == ([item] if sees else [])


def test_r_c5_anonymous_sees_nothing(org: Org, item: Item) -> None:
    assert list(Item.objects.visible_to(AnonymousUser())) == []
    assert list(Item.objects.visible_to(None)) == []


def test_r_c5_deactivated_person_sees_nothing(org: Org, item: Item) -> None:
    org.lead_liaison.is_active = False
    org.lead_liaison.save()
    assert list(Item.objects.visible_to(org.lead_liaison)) == []


def test_r_c5_a_unit_sees_only_its_own_items(org: Org) -> None:
    ours = establish(org)
    theirs = establish(org, lead_unit=org.other_unit, cooperating_units=[])
    assert list(Item.objects.visible_to(org.lead_liaison)) == [ours]
    assert list(Item.objects.visible_to(org.cooperating_liaison)) == [ours]
    assert list(Item.objects.visible_to(org.other_unit_liaison)) == [theirs]
    assert set(Item.objects.visible_to(org.office_supervisor)) == {ours, theirs}


def test_r_c5_several_cooperating_units_give_no_duplicate_rows(org: Org) -> None:
    item = establish(org, cooperating_units=[org.cooperating_unit, org.other_unit])
    for persona in PERSONAS[:-1]:
        person = getattr(org, persona)
        assert list(Item.objects.visible_to(person)) == [item], persona
        assert Item.objects.visible_to(person).count() == 1, persona


def test_r_c5_reassignment_moves_visibility_to_the_new_lead_unit(org: Org) -> None:
    item = advance(org, establish(org, cooperating_units=[]), Status.RETURNED)
    take("reassign", org, item)  # insists first: still visible to the lead unit
    assert list(Item.objects.visible_to(org.lead_liaison)) == [item]
    take("return", org, item)
    actions.reassign_item(
        org.office_supervisor, item, note="改由财务处承办", lead_unit=org.other_unit
    )
    assert list(Item.objects.visible_to(org.lead_liaison)) == []
    assert list(Item.objects.visible_to(org.other_unit_liaison)) == [item]
