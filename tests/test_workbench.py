"""The item page as a workbench (duban.web.workbench): the one step waiting for each
person in the first card with what it decides on; confirmation before what cannot be
undone; 交办意见; the live deadline of the 立项 form; forms showing current values."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from duban.audit.models import AuditEvent
from duban.items import actions
from duban.items.models import Feedback, Item, Notice, WorkPlan
from duban.items.states import Status
from duban.organisation.models import User
from tests.conftest import Org, advance, establish

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def monday() -> Iterator[Any]:
    with time_machine.travel(dt.datetime(2026, 9, 28, 2, 0, tzinfo=dt.UTC), tick=False) as moved:
        yield moved


def page_of(client: Client, user: User, item: Item) -> str:
    client.force_login(user)
    response = client.get(reverse("item-detail", args=[item.pk]))
    assert response.status_code == 200
    return response.content.decode()


def card_of(page: str) -> str:
    """The first card's HTML: from the page's workbench section to its end."""
    start = page.index('id="workbench"')
    return page[start : page.index("</section>", start)]


def post(client: Client, user: User, item: Item, action: str, data: dict[str, Any]) -> Any:
    client.force_login(user)
    return client.post(reverse("item-action", args=[item.pk, action]), data)


def state(item: Item) -> dict[str, Any]:
    fresh = Item.objects.get(pk=item.pk)
    return {
        "status": fresh.status,
        "deadline": fresh.deadline,
        "events": AuditEvent.objects.filter(item=item).count(),
        "notices": Notice.objects.filter(item=item).count(),
        "feedback": sorted(Feedback.objects.filter(item=item).values_list("pk", "status")),
    }


# ----------------------------------------------------------------------------- the card


def test_the_head_confirms_beside_the_full_draft_and_the_cooperating_parts(
    client: Client, org: Org
) -> None:
    item = advance(org, establish(org), Status.IN_PROGRESS)
    actions.report_contribution(org.cooperating_liaison, item, "人事处已完成师资调配。")
    actions.draft_completion_report(org.lead_liaison, item, "培养方案已修订完成并印发。")
    page = page_of(client, org.lead_head, item)
    card = card_of(page)
    assert "待我办理" in card
    assert "本单位的办结报告草稿待您确认" in card
    assert "培养方案已修订完成并印发。" in card  # the draft in full
    assert "人事处已完成师资调配。" in card  # and the cooperating unit's part
    assert 'data-action="confirm_report"' in card and 'data-action="decline_report"' in card
    # The liaison's forms are under 更多操作, not above the head's step.
    more = page[page.index('id="more-actions"') :]
    assert 'data-action="submit_feedback"' in more
    assert (
        page.index('id="workbench"') < page.index('id="more-actions"') < page.index('id="details"')
    )


def test_the_office_reviews_beside_the_submitted_report(client: Client, org: Org) -> None:
    item = advance(org, establish(org), Status.SUBMITTED)
    card = card_of(page_of(client, org.office_supervisor, item))
    assert "教务处已报送办结报告，待您审核" in card
    assert "已完成全部工作" in card
    assert "第一责任人确认：李处长" in card
    assert 'data-action="accept_report"' in card and 'data-action="return_report"' in card


def test_the_leader_decides_beside_the_request(client: Client, org: Org) -> None:
    item = advance(org, establish(org), Status.IN_PROGRESS)
    actions.request_extension(
        org.lead_liaison, item, requested_deadline=dt.date(2027, 3, 31), reason="需等待上级文件"
    )
    card = card_of(page_of(client, org.leader_in_charge, item))
    assert "教务处申请延期，待您审批" in card
    assert "<strong>2027-03-31</strong>" in card
    assert item.deadline.isoformat() in card  # the deadline it would replace
    assert "需等待上级文件" in card
    assert 'data-action="decide_extension"' in card
    # The office, which has no step here, sees whom the item waits for.
    office_card = card_of(page_of(client, org.office_supervisor, item))
    assert "延期申请等待王校长审批。" in office_card


def test_a_liaison_first_plans_then_reports_progress_with_the_plan_prefilled(
    client: Client, org: Org
) -> None:
    item = advance(org, establish(org), Status.IN_PROGRESS)
    card = card_of(page_of(client, org.lead_liaison, item))
    assert "请填报工作计划" in card and 'data-action="record_plan"' in card
    actions.record_plan(
        org.lead_liaison,
        item,
        "完成修订并报审",
        [actions.MilestoneInput("形成初稿", dt.date(2026, 10, 9))],
    )
    page = page_of(client, org.lead_liaison, item)
    card = card_of(page)
    assert 'data-action="submit_feedback"' in card and "record_plan" not in card
    # The plan form (now under 更多操作) shows the current plan to edit, not empty fields.
    plan_form = page[page.index('data-action="record_plan"') :].split("</form>")[0]
    assert "完成修订并报审</textarea>" in plan_form
    assert 'value="形成初稿"' in plan_form and 'value="2026-10-09"' in plan_form
    assert WorkPlan.objects.filter(item=item).count() == 1


def test_a_person_the_item_does_not_wait_for_is_told_whom_it_waits_for(
    client: Client, org: Org
) -> None:
    item = advance(org, establish(org), Status.IN_PROGRESS)
    actions.draft_completion_report(org.lead_liaison, item, "草稿")
    card = card_of(page_of(client, org.lead_liaison, item))
    assert "办理状态" in card and "办结报告草稿等待第一责任人李处长确认。" in card
    assert "data-action" not in card
    card = card_of(page_of(client, org.office_supervisor, item))
    assert "办结报告草稿等待第一责任人李处长确认。" in card


# ----------------------------------------------------------------------------- confirmation

CONFIRMED: list[tuple[str, str, str, dict[str, str], str]] = [
    ("established", "office_supervisor", "assign", {}, "将把本事项交办给教务处"),
    ("pending_report", "lead_head", "confirm_report", {}, "将以第一责任人名义确认教务处的办结报告"),
    (
        "submitted",
        "office_supervisor",
        "accept_report",
        {"comment": ""},
        "将审核通过教务处的办结报告",
    ),
    (
        "submitted",
        "office_supervisor",
        "return_report",
        {"comment": "请补充经费使用情况"},
        "将把办结报告退回教务处",
    ),
    (
        "in_progress",
        "office_supervisor",
        "terminate",
        {"decision_kind": "leader", "basis": "王校长批示", "reason": "上级已撤销该项工作"},
        "将终止本事项",
    ),
]


def bring(org: Org, status: str) -> Item:
    item = establish(org)
    if status == "pending_report":
        advance(org, item, Status.IN_PROGRESS)
        actions.draft_completion_report(org.lead_liaison, item, "草稿")
        return item
    return advance(org, item, status)


@pytest.mark.parametrize(("status", "persona", "action", "data", "says"), CONFIRMED)
def test_what_cannot_be_undone_is_shown_and_changes_nothing_until_confirmed(
    client: Client,
    org: Org,
    status: str,
    persona: str,
    action: str,
    data: dict[str, str],
    says: str,
) -> None:
    item = bring(org, status)
    if action == "terminate":
        data = {**data, "leader": str(org.leader_in_charge.pk)}
    before = state(item)
    user = getattr(org, persona)
    response = post(client, user, item, action, data)
    assert response.status_code == 200
    page = response.content.decode()
    assert says in page
    assert 'name="confirmed" value="1"' in page
    for name, value in data.items():  # the same post, again, when confirmed
        assert f'name="{name}" value="{value}"' in page
    assert state(item) == before
    response = post(client, user, item, action, {**data, "confirmed": "1"})
    assert response.status_code == 302
    assert state(item) != before


def test_the_wrong_person_is_refused_before_any_confirmation(client: Client, org: Org) -> None:
    item = establish(org)
    before = state(item)
    response = post(client, org.lead_liaison, item, "assign", {})
    assert response.status_code == 403
    page = response.content.decode()
    assert "只有本事项的督办部门督办员可以交办。" in page
    assert 'name="confirmed"' not in page
    assert state(item) == before


def test_an_assignment_carries_the_offices_instruction_to_the_notices_and_the_audit(
    client: Client, org: Org
) -> None:
    item = establish(org)
    data = {"instruction": "请于本周内召开专题会研究落实。", "confirmed": "1"}
    response = post(client, org.office_supervisor, item, "assign", data)
    assert response.status_code == 302
    notice = Notice.objects.get(item=item, recipient=org.lead_liaison)
    assert "交办意见：请于本周内召开专题会研究落实。" in notice.body
    event = AuditEvent.objects.filter(item=item, verb="assign").get()
    assert event.summary == "交办给教务处；交办意见：请于本周内召开专题会研究落实。"
    assert event.data == {"instruction": "请于本周内召开专题会研究落实。"}


def test_an_overlong_instruction_is_refused_at_its_field_and_nothing_changes(
    client: Client, org: Org
) -> None:
    item = establish(org)
    before = state(item)
    data = {"instruction": "字" * 2001, "confirmed": "1"}
    response = post(client, org.office_supervisor, item, "assign", data)
    assert response.status_code == 400
    assert "请检查填写的内容。" in response.content.decode()
    assert state(item) == before


# ----------------------------------------------------------------------------- forms that help


def preview(client: Client, user: User, **query: str) -> Any:
    client.force_login(user)
    return client.get(reverse("item-deadline-preview"), query)


def test_the_deadline_is_shown_while_the_item_is_being_established(
    client: Client, org: Org
) -> None:
    answer = preview(
        client, org.office_supervisor, source_kind="meeting", minutes_issued_on="2026-09-28"
    )
    assert answer.status_code == 200
    # 10 working days after 28 September 2026, across the National Day holiday (R-D2).
    assert (
        "办结时限：<strong>2026-10-16</strong>（纪要印发后第10个工作日）" in answer.content.decode()
    )
    answer = preview(client, org.office_supervisor, source_kind="meeting")
    assert "会议决定事项须填写纪要明确的时限，或纪要印发日期以计算时限。" in answer.content.decode()
    answer = preview(client, org.office_supervisor, source_kind="annual", year="2026")
    assert "<strong>2026-12-31</strong>（当年12月31日）" in answer.content.decode()
    answer = preview(
        client, org.office_supervisor, source_kind="meeting", minutes_issued_on="2027-12-20"
    )
    assert "暂定" in answer.content.decode()  # 2028's holidays are not yet published
    answer = preview(
        client, org.office_supervisor, source_kind="meeting", minutes_issued_on="2026-02-30"
    )
    assert answer.status_code == 200 and "strong" not in answer.content.decode()
    assert Item.objects.count() == 0
    assert preview(client, org.lead_liaison, source_kind="annual").status_code == 403


def test_the_urge_form_defaults_to_a_system_notice_and_says_what_sends(
    client: Client, org: Org
) -> None:
    item = advance(org, establish(org), Status.IN_PROGRESS)
    page = page_of(client, org.office_supervisor, item)
    urge = page[page.index('data-action="urge"') :].split("</form>")[0]
    assert re.search(r'<option value="system" selected>系统通知</option>', urge)
    assert "电话、口头、书面、上门和会议督办只作记录，不发送。" in urge


def test_the_deadline_basis_says_the_deadline_moved_after_an_extension(
    client: Client, org: Org
) -> None:
    item = advance(org, establish(org), Status.IN_PROGRESS)
    original = item.deadline
    actions.request_extension(
        org.lead_liaison, item, requested_deadline=original + dt.timedelta(days=14), reason="等文件"
    )
    actions.decide_extension(org.office_supervisor, item, approve=True, comment="")
    page = page_of(client, org.lead_liaison, item)
    basis = page[page.index("时限依据") :].split("</dd>")[0]
    assert f"原定时限{original.isoformat()}按“纪要印发后第10个工作日”确定" in basis
    assert "现时限经延期或变更调整" in basis


def test_the_item_page_leads_back_to_the_ledger(client: Client, org: Org) -> None:
    item = establish(org)
    page = page_of(client, org.office_supervisor, item)
    assert (
        f'<a href="{reverse("ledger")}">督办台账</a> › '
        f'<span aria-current="page">{item.ledger_number}</span>' in page
    )


def test_the_establish_form_names_every_field_to_fix_after_one_submit(
    client: Client, org: Org
) -> None:
    """The form's own errors (a required title) and what only the rules know (an
    instruction's deadline and deciding leader, R-S2/R-D5) come in the same answer."""
    client.force_login(org.office_supervisor)
    response = client.post(
        reverse("item-new"),
        {
            "source_kind": "other",
            "source_body": "instruction",
            "title": "",
            "content": "完成方案修订。",
            "basis": "校领导批示",
            "lead_unit": str(org.lead_unit.pk),
            "confidentiality": "ordinary",
        },
    )
    assert response.status_code == 400
    page = response.content.decode()

    def field_block(field: str) -> str:
        start = page.index(f'id="id_{field}"')
        return page[page.rindex('<div class="field', 0, start) : page.index("</div>", start)]

    assert "此项为必填项" in field_block("title")
    assert "请选择作出决定的校领导。" in field_block("deciding_leader")
    assert "请填写批示中的办结时限。" in field_block("instruction_deadline")
    assert "请填写不晚于今天的日期。" in field_block("decided_on")
    assert Item.objects.count() == 0
