"""The one visibility rule (R-C1–C5): restricted kinds and recusal, for every persona."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser

from duban.audit.models import AuditEvent
from duban.items import actions, policy
from duban.items.errors import InvalidInput, PermissionRefused
from duban.items.models import Item, Recusal
from duban.organisation.models import Role, Unit, UnitKind, User

from .conftest import Org, advance, establish, make_person, meeting_input


def visible(person: Any) -> set[int]:
    return set(Item.objects.visible_to(person).values_list("pk", flat=True))


@pytest.fixture
def offices(org: Org) -> dict[str, User]:
    discipline = Unit.objects.create(
        code="0150", name="纪委办公室/监察处", kind=UnitKind.DISCIPLINE_OFFICE
    )
    secrecy = Unit.objects.create(code="0160", name="保密办公室", kind=UnitKind.SECRECY_OFFICE)
    return {
        "discipline": make_person("jiwei", Role.OFFICE_SUPERVISOR, discipline, "纪委督办员"),
        "secrecy": make_person("baomi", Role.OFFICE_SUPERVISOR, secrecy, "保密督办员"),
        "second_supervisor": make_person(
            "office_supervisor_2", Role.OFFICE_SUPERVISOR, org.office, "第二督办员"
        ),
        "other_leader": make_person("other_leader", Role.SCHOOL_LEADER, None, "刘副校长"),
        "lead_member": make_person("lead_member", Role.UNIT_MEMBER, org.lead_unit, "教务处科员"),
    }


def test_r_c1_sensitive_item_is_seen_only_by_its_people(org: Org, offices: dict[str, User]) -> None:
    item = establish(org, confidentiality="sensitive")
    item.named_leaders.add(org.leader_in_charge)
    seen_by = {
        org.office_supervisor: True,  # the item's own supervisor
        offices["second_supervisor"]: False,  # the office's other staff
        org.lead_liaison: True,
        org.lead_head: True,
        offices["lead_member"]: False,  # not head or liaison
        org.cooperating_liaison: True,
        org.cooperating_head: True,
        org.leader_in_charge: True,  # named on the item
        offices["other_leader"]: False,
        org.other_unit_liaison: False,
        org.system_admin: False,
        offices["discipline"]: False,
    }
    for person, expected in seen_by.items():
        assert (item.pk in visible(person)) is expected, person.username


def test_r_c2_discipline_item(org: Org, offices: dict[str, User]) -> None:
    item = actions.establish_item(
        offices["discipline"], meeting_input(org, confidentiality="discipline")
    )
    assert item.supervising_office.kind == UnitKind.DISCIPLINE_OFFICE
    assert visible(offices["discipline"]) == {item.pk}
    for person in (org.lead_liaison, org.lead_head):
        assert item.pk in visible(person)
    for person in (
        org.office_supervisor,
        org.cooperating_liaison,  # cooperating units are not told of a discipline case
        org.leader_in_charge,
        offices["lead_member"],
        offices["secrecy"],
    ):
        assert item.pk not in visible(person), person.username


def test_r_c3_classified_registration(org: Org, offices: dict[str, User]) -> None:
    item = actions.establish_item(
        offices["secrecy"],
        meeting_input(
            org, confidentiality="classified", cooperating_units=[], content="", basis=""
        ),
    )
    assert item.supervising_office.kind == UnitKind.SECRECY_OFFICE
    assert visible(offices["secrecy"]) == {item.pk}
    assert item.pk in visible(org.lead_liaison)
    for person in (org.office_supervisor, org.leader_in_charge, offices["discipline"]):
        assert item.pk not in visible(person), person.username


def test_the_general_office_cannot_establish_a_discipline_item(org: Org) -> None:
    with pytest.raises(InvalidInput, match="督办部门"):
        actions.establish_item(
            org.office_supervisor, meeting_input(org, confidentiality="discipline")
        )
    assert Item.objects.count() == 0


def test_anonymous_and_inactive_people_see_nothing(org: Org) -> None:
    establish(org)
    assert visible(AnonymousUser()) == set()
    org.lead_liaison.is_active = False
    org.lead_liaison.save()
    assert visible(org.lead_liaison) == set()


def test_r_c4_a_recused_supervisor_cannot_see_or_act(org: Org) -> None:
    item = establish(org)
    actions.declare_recusal(
        org.office_supervisor, item, person=org.office_supervisor, reason="本人近亲属在承办单位任职"
    )
    assert item.pk not in visible(org.office_supervisor)
    events = AuditEvent.objects.count()
    with pytest.raises(PermissionRefused, match="督办事项不存在"):
        actions.assign_item(org.office_supervisor, item)
    item.refresh_from_db()
    assert item.status == "established"
    assert AuditEvent.objects.count() == events
    assert policy.allowed_actions(org.office_supervisor, item) == []


def test_r_c4_a_recused_unit_loses_the_item(org: Org) -> None:
    item = advance(org, establish(org), "in_progress")
    actions.declare_recusal(
        org.office_supervisor, item, unit=org.cooperating_unit, reason="涉及本单位人员"
    )
    assert item.pk not in visible(org.cooperating_liaison)
    assert item.pk not in visible(org.cooperating_head)
    with pytest.raises(PermissionRefused):
        actions.report_contribution(org.cooperating_liaison, item, "配合情况")
    assert [unit.name for unit in actions.recused_units(item)] == ["人事处"]


def test_r_c4_a_recused_leader_cannot_approve(org: Org) -> None:
    item = advance(org, establish(org), "in_progress")
    actions.declare_recusal(
        org.leader_in_charge, item, person=org.leader_in_charge, reason="利害关系"
    )
    assert item.pk not in visible(org.leader_in_charge)
    assert Recusal.objects.get(item=item).declared_by == org.leader_in_charge


def test_r_c4_recusal_refusals_change_nothing(org: Org) -> None:
    item = establish(org)
    events = AuditEvent.objects.count()
    refusals: list[tuple[Any, dict[str, Any], type[Exception]]] = [
        # an outsider cannot even see the item
        (
            org.other_unit_liaison,
            {"person": org.other_unit_liaison, "reason": "x"},
            PermissionRefused,
        ),
        # a liaison may declare only their own recusal
        (org.lead_liaison, {"person": org.lead_head, "reason": "x"}, PermissionRefused),
        (org.office_supervisor, {"person": org.lead_head, "reason": " "}, InvalidInput),
        (org.office_supervisor, {"reason": "x"}, InvalidInput),
        (org.office_supervisor, {"unit": org.lead_unit, "reason": "x"}, InvalidInput),
    ]
    for actor, arguments, error in refusals:
        with pytest.raises(error):
            actions.declare_recusal(actor, item, **arguments)
    assert Recusal.objects.count() == 0
    assert AuditEvent.objects.count() == events


def test_r_c4_a_recused_unit_cannot_be_made_lead_unit(org: Org) -> None:
    item = advance(org, establish(org), "returned")
    actions.declare_recusal(org.office_supervisor, item, unit=org.other_unit, reason="利害关系")
    with pytest.raises(InvalidInput, match="已登记回避"):
        actions.reassign_item(
            org.office_supervisor, item, note="改由财务处办理", lead_unit=org.other_unit
        )
    item.refresh_from_db()
    assert item.lead_unit == org.lead_unit
    assert item.status == "returned"


def test_r_c5_notices_reach_only_people_who_may_see_the_item(org: Org) -> None:
    """A recused unit's liaison hears nothing of the item's assignment (R-C4, R-C5)."""
    from duban.items.models import Notice

    item = establish(org)
    actions.declare_recusal(
        org.office_supervisor, item, unit=org.cooperating_unit, reason="利害关系"
    )
    actions.assign_item(org.office_supervisor, item)
    told = set(Notice.objects.filter(item=item).values_list("recipient__username", flat=True))
    assert told == {"lead_liaison", "lead_head"}
