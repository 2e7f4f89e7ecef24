"""R-C3: classified content never enters the system; the item is a registration only."""

from __future__ import annotations

from typing import Any

import pytest

from duban.audit.models import AuditEvent
from duban.items import actions
from duban.items.actions.core import OFFLINE_TEXT
from duban.items.errors import InvalidInput
from duban.items.models import Feedback, Item, WorkPlan
from duban.organisation.models import Role, Unit, UnitKind, User

from .conftest import Org, make_person, meeting_input

REFUSAL = "涉密事项的内容不得录入本系统"


@pytest.fixture
def secrecy_supervisor(org: Org) -> User:
    office = Unit.objects.create(code="0160", name="保密办公室", kind=UnitKind.SECRECY_OFFICE)
    return make_person("baomi", Role.OFFICE_SUPERVISOR, office, "保密督办员")


def register(org: Org, supervisor: User, **overrides: Any) -> Item:
    values = {"confidentiality": "classified", "content": "", "basis": "线下报送"}
    values.update(overrides)
    return actions.establish_item(supervisor, meeting_input(org, **values))


def test_r_c3_registration_keeps_no_content(org: Org, secrecy_supervisor: User) -> None:
    item = register(org, secrecy_supervisor)
    assert item.content == OFFLINE_TEXT
    assert item.basis == OFFLINE_TEXT
    assert item.supervising_office.kind == UnitKind.SECRECY_OFFICE


@pytest.mark.parametrize(
    ("field", "value"), [("content", "研制某型号设备"), ("basis", "某某密件〔2026〕3号")]
)
def test_r_c3_content_is_refused_at_registration(
    org: Org, secrecy_supervisor: User, field: str, value: str
) -> None:
    with pytest.raises(InvalidInput, match=REFUSAL) as refused:
        register(org, secrecy_supervisor, **{field: value})
    assert field in refused.value.errors
    assert Item.objects.count() == 0
    assert AuditEvent.objects.count() == 0


def test_r_c3_handling_texts_are_refused_and_offline_answers_kept(
    org: Org, secrecy_supervisor: User
) -> None:
    item = register(org, secrecy_supervisor, cooperating_units=[])
    actions.assign_item(secrecy_supervisor, item)
    actions.sign_for_item(org.lead_liaison, item)
    events = AuditEvent.objects.count()
    refused_calls = [
        lambda: actions.submit_feedback(org.lead_liaison, item, "已完成样机测试"),
        lambda: actions.draft_completion_report(org.lead_liaison, item, "项目已验收"),
        lambda: actions.record_plan(
            org.lead_liaison,
            item,
            "线下报送",
            [actions.MilestoneInput("完成样机", item.deadline)],
        ),
        lambda: actions.change_item(
            secrecy_supervisor, item, reason="线下报送", content="新的涉密内容"
        ),
    ]
    for call in refused_calls:
        with pytest.raises(InvalidInput, match=REFUSAL):
            call()
    assert Feedback.objects.count() == 0
    assert WorkPlan.objects.count() == 0
    assert AuditEvent.objects.count() == events
    feedback = actions.submit_feedback(org.lead_liaison, item, "线下报送")
    assert feedback.text == OFFLINE_TEXT
    report = actions.draft_completion_report(org.lead_liaison, item, "")
    assert report.text == OFFLINE_TEXT
