"""The item page: what it shows, the action forms it offers, and each action's POST.

Every refused POST answers with the Chinese message and the error's status, and
changes nothing: the item's fields and the counts of its events, notices, feedback,
plans and changes are compared before and after.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from duban.audit.models import AuditEvent
from duban.items import actions
from duban.items.models import Feedback, Item, ItemChange, Notice, WorkPlan
from duban.items.states import Status
from duban.organisation.models import User
from duban.web.item_views import ACTIONS
from tests.conftest import Org, advance, establish

pytestmark = pytest.mark.django_db

CSRF_FIELD = re.compile(r'<input type="hidden" name="csrfmiddlewaretoken" value="[^"]+">')
CSRF_HEADER = re.compile(r'"X-CSRFToken": "[^"]+"')


def signed_in(client: Client, user: User) -> Client:
    client.force_login(user)
    return client


def html(response: Any) -> str:
    return str(response.content.decode())


def detail_url(item: Item) -> str:
    return reverse("item-detail", kwargs={"pk": item.pk})


def action_url(item: Item, action: str) -> str:
    return reverse("item-action", kwargs={"pk": item.pk, "action": action})


def offered_actions(page: str) -> set[str]:
    return set(re.findall(r'<form method="post" action="[^"]+" [^>]*data-action="([a-z_]+)"', page))


def snapshot(item: Item) -> dict[str, Any]:
    fresh = Item.objects.get(pk=item.pk)
    return {
        "fields": {field.attname: getattr(fresh, field.attname) for field in Item._meta.fields},
        "cooperating": sorted(fresh.cooperating_units.values_list("pk", flat=True)),
        "events": AuditEvent.objects.filter(item=item).count(),
        "notices": Notice.objects.count(),
        "feedback": sorted(Feedback.objects.filter(item=item).values_list("pk", "status")),
        "plans": WorkPlan.objects.filter(item=item).count(),
        "changes": ItemChange.objects.filter(item=item).count(),
    }


def with_pending_report(org: Org, item: Item) -> Item:
    advance(org, item, Status.IN_PROGRESS)
    actions.draft_completion_report(org.lead_liaison, item, "办结报告草稿")
    return item


LEAD_WORK = {"record_plan", "submit_feedback", "draft_completion_report", "request_extension"}
# R-T1: the office records a termination or an adjustment of any active item.
OFFICE_DECISIONS = {"adjust", "terminate"}

# What each persona is offered in each status (policy.allowed_actions; confirming and
# declining need a draft waiting for the head).
OFFERED = [
    ("established", "office_supervisor", {"assign", "change"} | OFFICE_DECISIONS),
    ("established", "lead_liaison", set()),
    ("established", "lead_head", set()),
    ("established", "cooperating_liaison", set()),
    ("assigned", "office_supervisor", {"change", "urge"} | OFFICE_DECISIONS),
    ("assigned", "lead_liaison", {"sign_for", "return", "request_extension"}),
    ("assigned", "lead_head", {"sign_for", "return", "request_extension"}),
    ("assigned", "cooperating_liaison", set()),
    ("returned", "office_supervisor", {"reassign", "change"} | OFFICE_DECISIONS),
    ("returned", "lead_liaison", set()),
    ("returned", "lead_head", set()),
    ("returned", "cooperating_liaison", set()),
    ("in_progress", "office_supervisor", {"change", "urge"} | OFFICE_DECISIONS),
    ("in_progress", "lead_liaison", LEAD_WORK),
    ("in_progress", "lead_head", LEAD_WORK),
    ("in_progress", "cooperating_liaison", {"report_contribution"}),
    ("pending_report", "office_supervisor", {"change", "urge"} | OFFICE_DECISIONS),
    ("pending_report", "lead_liaison", LEAD_WORK),
    ("pending_report", "lead_head", LEAD_WORK | {"confirm_report", "decline_report"}),
    ("pending_report", "cooperating_liaison", {"report_contribution"}),
    (
        "submitted",
        "office_supervisor",
        {"accept_report", "return_report", "change"} | OFFICE_DECISIONS,
    ),
    ("submitted", "lead_liaison", set()),
    ("submitted", "lead_head", set()),
    ("submitted", "cooperating_liaison", set()),
    ("completed", "office_supervisor", set()),
    ("completed", "lead_liaison", set()),
    ("completed", "lead_head", set()),
    ("completed", "cooperating_liaison", set()),
]


# The step in the first card ("待我办理") per status and persona; missing: none waits.
CARD = {
    ("established", "office_supervisor"): "assign",
    ("assigned", "lead_liaison"): "sign_for",
    ("assigned", "lead_head"): "sign_for",
    ("returned", "office_supervisor"): "reassign",
    ("in_progress", "lead_liaison"): "record_plan",
    ("in_progress", "lead_head"): "record_plan",
    ("in_progress", "cooperating_liaison"): "report_contribution",
    ("pending_report", "lead_head"): "confirm_report",
    ("pending_report", "cooperating_liaison"): "report_contribution",
    ("submitted", "office_supervisor"): "accept_report",
}
ALTERNATIVES = {
    "sign_for": ("return",),
    "confirm_report": ("decline_report",),
    "accept_report": ("return_report",),
}
# What the card says to a person the item does not wait for.
WAITING = {
    "established": "等待督办部门交办",
    "assigned": "等待教务处签收",
    "returned": "等待督办部门重新交办",
    "in_progress": "教务处正在办理",
    "pending_report": "等待第一责任人",
    "submitted": "等待督办部门审核",
    "completed": "等待督办部门立卷归档",
}


@pytest.mark.parametrize(("status", "persona", "expected"), OFFERED)
def test_item_page_offers_exactly_the_allowed_actions(
    client: Client, org: Org, item: Item, status: str, persona: str, expected: set[str]
):
    if status == "pending_report":
        with_pending_report(org, item)
    else:
        advance(org, item, status)
    page = html(signed_in(client, getattr(org, persona)).get(detail_url(item)))
    assert offered_actions(page) == expected
    for action in ACTIONS:
        form = f'action="{action_url(item, action)}"'
        assert (form in page) is (action in expected), action
    # The first card holds the one step that waits for this person, else says whom
    # the item waits for; every other allowed action is under 更多操作.
    main = CARD.get((status, persona))
    start = page.index('id="workbench"')
    card = page[start : page.index("</section>", start)]
    card_actions = set(re.findall(r'data-action="([a-z_]+)"', card))
    if main is None:
        assert "办理状态" in card and not card_actions
        assert WAITING[status] in card
    else:
        assert "待我办理" in card and main in card_actions
        assert card_actions == {main} | (set(ALTERNATIVES.get(main, ())) & expected)
    if expected - card_actions:
        assert 'id="more-actions"' in page
    if expected:
        # Each form carries its CSRF token.
        # + logout and 全部标为已读 in the header + the recusal declaration every viewer
        # may make (R-C4) + the
        # attachment upload (every persona here may attach to an active item) + the
        # division among the cooperating units, for the lead unit at work (R-A4)
        divides = status in ("in_progress", "pending_report") and persona.startswith("lead_")
        assert page.count('name="csrfmiddlewaretoken"') == len(expected) + 4 + divides


def test_item_page_shows_the_whole_record(client: Client, org: Org, item: Item):
    advance(org, item, Status.IN_PROGRESS)
    new_deadline = item.deadline + dt.timedelta(days=7)
    actions.change_item(org.office_supervisor, item, reason="需要补充调研", deadline=new_deadline)
    actions.record_plan(
        org.lead_liaison,
        item,
        "完成培养方案修订",
        [actions.MilestoneInput("形成初稿", item.deadline - dt.timedelta(days=3))],
    )
    actions.submit_feedback(org.lead_liaison, item, "已召开专题会")
    actions.report_contribution(org.cooperating_liaison, item, "人事处已核定编制")
    actions.draft_completion_report(org.lead_liaison, item, "修订完成")
    actions.confirm_report(org.lead_head, item)
    item.refresh_from_db()

    page = html(signed_in(client, org.office_supervisor).get(detail_url(item)))
    for text in (
        item.ledger_number,
        item.title,
        "已报结",
        "纪要印发后第10个工作日",
        new_deadline.isoformat(),
        f"原定办结时限 {item.original_deadline.isoformat()}",
        "教务处",
        "人事处",
        "李处长",
        "周联络",
        "校长办公会纪要〔2026〕第12期",
        "完成培养方案修订",
        "形成初稿",
        "已召开专题会",
        "修订完成",
        "其中包括配合单位报送的情况",
        "人事处已核定编制",
        "第一责任人确认",
        "需要补充调研",
        "第一责任人确认办结报告，报送督办部门",  # the timeline
    ):
        assert text in page, text
    # The office sees the cooperating unit's part only inside the lead unit's report (R-F1).
    assert "配合单位报送的情况</h3>" not in page
    lead_page = html(signed_in(client, org.lead_liaison).get(detail_url(item)))
    assert "配合单位报送的情况</h3>" in lead_page


def test_r_d3_item_page_shows_the_deadline_reason(client: Client, org: Org):
    item = establish(
        org,
        minutes_issued_on=None,
        office_deadline=dt.date(2027, 3, 1),
        office_reason="涉及多部门协调，10个工作日不足",
    )
    page = html(signed_in(client, org.office_supervisor).get(detail_url(item)))
    assert "督办部门根据实际确定" in page
    assert "涉及多部门协调，10个工作日不足" in page


# ----------------------------------------------------------------------------- successful posts


def post(client: Client, item: Item, action: str, data: dict[str, Any] | None = None) -> Any:
    # Confirmed, as the confirmation page posts it (web.item_views.confirm_page).
    return client.post(action_url(item, action), {"confirmed": "1", **(data or {})})


def test_the_whole_life_through_the_pages(client: Client, org: Org, item: Item):
    office = Client()
    lead = Client()
    head = Client()
    cooperating = Client()
    signed_in(office, org.office_supervisor)
    signed_in(lead, org.lead_liaison)
    signed_in(head, org.lead_head)
    signed_in(cooperating, org.cooperating_liaison)
    deadline = item.deadline

    steps: list[tuple[Client, str, dict[str, Any], str]] = [
        (office, "assign", {}, "已交办给教务处。"),
        (lead, "return", {"reason": "不属于本单位职责"}, "已退回督办部门。"),
        (office, "reassign", {"note": "请教务处牵头办理", "lead_unit": ""}, "已重新交办给教务处。"),
        (lead, "sign_for", {}, "已签收，事项进入办理。"),
        (
            lead,
            "record_plan",
            {
                "goals": "按期完成",
                "milestone_title_1": "形成初稿",
                "milestone_due_1": (deadline - dt.timedelta(days=5)).isoformat(),
                "milestone_title_2": "",
                "milestone_due_2": "",
                "milestone_title_7": "报送定稿",
                "milestone_due_7": deadline.isoformat(),
            },
            "工作计划已保存。",
        ),
        (lead, "submit_feedback", {"text": "已召开专题会"}, "进展已反馈。"),
        (
            cooperating,
            "report_contribution",
            {"text": "人事处已核定编制"},
            "配合情况已报送承办单位。",
        ),
        (lead, "draft_completion_report", {"text": "初稿"}, "办结报告已提交，待第一责任人确认。"),
        (head, "decline_report", {"reason": "请补充数据"}, "已退回办结报告草稿。"),
        (lead, "draft_completion_report", {"text": "修订稿"}, "办结报告已提交，待第一责任人确认。"),
        (head, "confirm_report", {}, "已确认，办结报告已报送督办部门。"),
        (office, "return_report", {"comment": "缺少附件"}, "办结报告已退回承办单位。"),
        (
            lead,
            "draft_completion_report",
            {"text": "补充附件"},
            "办结报告已提交，待第一责任人确认。",
        ),
        (head, "confirm_report", {}, "已确认，办结报告已报送督办部门。"),
        (office, "accept_report", {"comment": ""}, "审核通过，事项已办结。"),
    ]
    for who, action, data, message in steps:
        response = post(who, item, action, data)
        assert response.status_code == 302, (action, html(response)[:2000])
        assert response["Location"] == detail_url(item)
        assert message in html(who.get(response["Location"])), action

    item.refresh_from_db()
    assert item.status == Status.COMPLETED
    plan = item.plans.get()
    assert [(m.title, m.due_on) for m in plan.milestones.all()] == [
        ("形成初稿", deadline - dt.timedelta(days=5)),
        ("报送定稿", deadline),
    ]
    assert "已办结" in html(office.get(detail_url(item)))


def test_change_records_only_what_differs(client: Client, org: Org, item: Item):
    signed_in(client, org.office_supervisor)
    new_deadline = item.deadline + dt.timedelta(days=10)
    response = post(
        client,
        item,
        "change",
        {
            "reason": "校长办公会调整",
            "authorised_by": "",
            "title": item.title,
            "content": item.content.replace("\n", "\r\n") + "\r\n",
            "basis": item.basis,
            "deadline": new_deadline.isoformat(),
        },
    )
    assert response.status_code == 302
    changes = list(ItemChange.objects.filter(item=item).values_list("field", "new_value"))
    assert changes == [("deadline", new_deadline.isoformat())]
    page = html(client.get(detail_url(item)))
    assert "已记录变更。" in page
    assert f"原定办结时限 {item.deadline.isoformat()}" in page


def test_reassign_to_another_lead_unit(client: Client, org: Org, item: Item):
    advance(org, item, Status.RETURNED)
    response = post(
        signed_in(client, org.office_supervisor),
        item,
        "reassign",
        {"note": "改由财务处承办", "lead_unit": org.other_unit.pk},
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.status, item.lead_unit) == (Status.ASSIGNED, org.other_unit)
    assert "已重新交办给财务处。" in html(client.get(detail_url(item)))


# ----------------------------------------------------------------------------- refused posts


REFUSALS = [
    # (status, persona, action, data, http status, message)
    (
        "established",
        "lead_liaison",
        "assign",
        {},
        403,
        "只有本事项的督办部门督办员可以交办。",
    ),
    (
        "assigned",
        "cooperating_liaison",
        "sign_for",
        {},
        403,
        "只有承办单位的联络员或第一责任人可以签收。",
    ),
    (
        "in_progress",
        "lead_liaison",
        "confirm_report",
        {},
        403,
        "只有承办单位的第一责任人可以确认办结报告。",
    ),
    (
        "submitted",
        "lead_liaison",
        "accept_report",
        {"comment": "自己通过"},
        403,
        "只有本事项的督办部门督办员可以审核办结报告。",
    ),
    (
        "in_progress",
        "office_supervisor",
        "assign",
        {},
        409,
        "事项当前状态为“办理中”，不能执行此操作。",
    ),
    (
        "in_progress",
        "lead_liaison",
        "return",
        {"reason": "人手不足"},
        409,
        "事项当前状态为“办理中”，不能执行此操作。",
    ),
    (
        "completed",
        "lead_liaison",
        "submit_feedback",
        {"text": "迟到的反馈"},
        409,
        "事项当前状态为“已办结”，不能执行此操作。",
    ),
    ("assigned", "lead_liaison", "return", {"reason": "   "}, 400, "请填写退回理由。"),
    ("in_progress", "lead_liaison", "submit_feedback", {"text": ""}, 400, "请填写进展情况。"),
    (
        "submitted",
        "office_supervisor",
        "return_report",
        {"comment": ""},
        400,
        "请填写退回理由。",
    ),
    ("returned", "office_supervisor", "reassign", {"note": ""}, 400, "请填写重新交办说明。"),
    (
        "in_progress",
        "office_supervisor",
        "change",
        {"reason": "", "title": "新名称"},
        400,
        "请填写变更理由。",
    ),
    (
        "in_progress",
        "lead_head",
        "confirm_report",
        {},
        400,
        "没有待确认的办结报告。",
    ),
    (
        "in_progress",
        "lead_liaison",
        "record_plan",
        {"goals": "目标", "milestone_title_1": "", "milestone_due_1": ""},
        400,
        "工作计划至少需要一个时间节点。",
    ),
]


@pytest.mark.parametrize(("status", "persona", "action", "data", "code", "message"), REFUSALS)
def test_a_refused_post_shows_the_message_and_changes_nothing(
    client: Client,
    org: Org,
    item: Item,
    status: str,
    persona: str,
    action: str,
    data: dict[str, Any],
    code: int,
    message: str,
):
    advance(org, item, status)
    before = snapshot(item)
    response = post(signed_in(client, getattr(org, persona)), item, action, data)
    assert response.status_code == code
    page = html(response)
    assert (
        f'<div class="alert alert--error" role="alert" id="action-error">\n    <p>{message}</p>'
        in page
    )
    assert item.title in page  # the item page, re-rendered
    assert snapshot(item) == before


def test_a_refused_post_keeps_what_was_typed_in_its_form(client: Client, org: Org, item: Item):
    advance(org, item, Status.IN_PROGRESS)
    before = snapshot(item)
    signed_in(client, org.office_supervisor)
    response = post(
        client, item, "change", {"reason": "", "title": "新的事项名称", "basis": "新的依据"}
    )
    assert response.status_code == 400
    page = html(response)
    change_form = page[page.index('data-action="change"') :]
    assert 'value="新的事项名称"' in change_form
    assert "新的依据</textarea>" in change_form
    assert '<p class="field__error">此项为必填项。</p>' in change_form
    # The form is under 更多操作, unfolded, with the menu itself.
    assert '<details class="action-details" id="more-change" open>' in page
    assert '<details class="card more-actions" id="more-actions" open>' in page
    assert snapshot(item) == before


def test_a_plan_with_a_late_milestone_is_refused_with_its_rows_kept(
    client: Client, org: Org, item: Item
):
    advance(org, item, Status.IN_PROGRESS)
    before = snapshot(item)
    late = (item.deadline + dt.timedelta(days=1)).isoformat()
    response = post(
        signed_in(client, org.lead_liaison),
        item,
        "record_plan",
        {
            "goals": "完成修订",
            "milestone_title_1": "形成初稿",
            "milestone_due_1": late,
            "milestone_title_4": "定稿",
            "milestone_due_4": "2026-13-01",
        },
    )
    assert response.status_code == 400
    page = html(response)
    assert "节点日期“2026-13-01”无效" in page
    assert 'name="milestone_title_1" id="id_milestone_title_1" value="形成初稿"' in page
    assert f'name="milestone_due_1" id="id_milestone_due_1" value="{late}"' in page
    assert 'name="milestone_title_4" id="id_milestone_title_4" value="定稿"' in page
    assert "完成修订</textarea>" in page
    assert snapshot(item) == before

    response = post(
        client,
        item,
        "record_plan",
        {"goals": "完成修订", "milestone_title_1": "形成初稿", "milestone_due_1": late},
    )
    assert response.status_code == 400
    assert "晚于办结时限" in html(response)
    assert snapshot(item) == before


def test_text_typed_into_a_form_no_longer_offered_is_shown_back(
    client: Client, org: Org, item: Item
):
    advance(org, item, Status.SUBMITTED)
    before = snapshot(item)
    response = post(
        signed_in(client, org.lead_liaison), item, "submit_feedback", {"text": "一段很长的进展"}
    )
    assert response.status_code == 409
    page = html(response)
    assert '<pre class="unsent">一段很长的进展</pre>' in page
    assert snapshot(item) == before


def test_unknown_action_answers_404_and_get_is_not_allowed(client: Client, org: Org, item: Item):
    signed_in(client, org.office_supervisor)
    before = snapshot(item)
    assert post(client, item, "delete").status_code == 404
    assert client.get(action_url(item, "assign")).status_code == 405
    assert snapshot(item) == before


# ----------------------------------------------------------------------------- hidden items


def without_tokens(page: str) -> str:
    return CSRF_HEADER.sub("", CSRF_FIELD.sub("", page))


def test_r_c5_an_item_of_another_unit_answers_exactly_like_a_missing_one(
    client: Client, org: Org, item: Item
):
    advance(org, item, Status.ASSIGNED)
    before = snapshot(item)
    missing = Item.objects.order_by("-pk").first().pk + 100  # type: ignore[union-attr]
    signed_in(client, org.other_unit_liaison)

    hidden_get = client.get(detail_url(item))
    missing_get = client.get(reverse("item-detail", kwargs={"pk": missing}))
    assert hidden_get.status_code == missing_get.status_code == 404
    assert without_tokens(html(hidden_get)) == without_tokens(html(missing_get))
    assert item.title not in html(hidden_get)

    hidden_post = client.post(action_url(item, "sign_for"))
    missing_post = client.post(reverse("item-action", kwargs={"pk": missing, "action": "sign_for"}))
    assert hidden_post.status_code == missing_post.status_code == 404
    assert without_tokens(html(hidden_post)) == without_tokens(html(missing_post))
    assert client.post(action_url(item, "return"), {"reason": "x"}).status_code == 404
    assert snapshot(item) == before


# ----------------------------------------------------------------------------- CSRF


def test_csrf_is_enforced_on_action_posts(org: Org, item: Item):
    client = Client(enforce_csrf_checks=True)
    client.force_login(org.office_supervisor)
    before = snapshot(item)
    response = client.post(action_url(item, "assign"))
    assert response.status_code == 403
    assert "请求已失效" in html(response)
    assert snapshot(item) == before


# The item page's queries do not grow with its feedback, plans, changes and events.
# + the adjustments (R-T1) and, where an extension may be requested, the calendar for
# the latest filing day (R-E2): 3 more, however long the record; + the warning light's
# calendar dates (R-U4, 2) and the urges (R-U2, 1).
# + the attachments with their uploaders and units (1, duban.attachments).
# + the work parts (R-A4): the parts, their lights' calendar dates (2) and the
# cooperating units to divide among (1) — 4, whatever the number of parts.
# + the attachments of a report waiting for a decision, for the first card (1, only
# when one waits: duban.web.workbench).
ITEM_PAGE_QUERIES = 25  # +1: the visibility check before offering actions


@pytest.mark.parametrize("count", [3, 30])
def test_item_page_queries_do_not_grow_with_its_record(
    client: Client, org: Org, item: Item, count: int, django_assert_max_num_queries
):
    advance(org, item, Status.IN_PROGRESS)
    for n in range(count):
        actions.submit_feedback(org.lead_liaison, item, f"进展{n}")
        actions.report_contribution(org.cooperating_liaison, item, f"配合{n}")
        actions.record_plan(
            org.lead_liaison, item, f"目标{n}", [actions.MilestoneInput(f"节点{n}", item.deadline)]
        )
        actions.change_item(
            org.office_supervisor, item, reason=f"理由{n}", title=f"{item.title}{n}"
        )
        actions.draft_completion_report(org.lead_liaison, item, f"报告{n}")
    signed_in(client, org.lead_head)
    with django_assert_max_num_queries(ITEM_PAGE_QUERIES):
        response = client.get(detail_url(item))
    page = html(response)
    assert page.count("进展") >= count
    assert offered_actions(page) == LEAD_WORK | {"confirm_report", "decline_report"}
