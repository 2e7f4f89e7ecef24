"""The pages: sign-in, 我的工作, the ledger, the inbox and the establish form.

The item page and its actions are tested in `test_pages_item.py`.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from duban import clock
from duban.items import actions
from duban.items.models import Item, Notice
from duban.organisation.models import Role, Unit, UnitKind, User
from tests.conftest import PASSWORD, Org, advance, establish, make_person

pytestmark = pytest.mark.django_db

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


def signed_in(client: Client, user: User) -> Client:
    client.force_login(user)
    return client


def html(response: Any) -> str:
    return str(response.content.decode())


def section(page: str, key: str) -> str:
    """The HTML of one list of 我的工作 (`<section id="work-KEY">`)."""
    match = re.search(rf'<section class="card" id="work-{key}">(.*?)</section>', page, re.S)
    assert match, f"no section {key}"
    return match.group(1)


def ledger_numbers(page: str) -> list[str]:
    table = re.search(
        r'<table class="table table--stack" id="ledger-table">(.*?)</table>', page, re.S
    )
    if table is None:
        return []
    return re.findall(r'<td class="nowrap" data-label="台账编号">(督[^<]+)</td>', table.group(1))


def annual(org: Org, **overrides: Any) -> Item:
    values: dict[str, Any] = {
        "source_kind": "annual",
        "source_body": "work_points",
        "year": clock.today().year,
        "minutes_issued_on": None,
    }
    values.update(overrides)
    return establish(org, **values)


def instructed(org: Org, **overrides: Any) -> Item:
    values: dict[str, Any] = {
        "source_kind": "other",
        "source_body": "instruction",
        "minutes_issued_on": None,
        "instruction_deadline": clock.today() + dt.timedelta(days=40),
        "deciding_leader": org.leader_in_charge,
        "decided_on": clock.today(),
    }
    values.update(overrides)
    return establish(org, **values)


# ----------------------------------------------------------------------------- access


@pytest.mark.parametrize("name", ["my-work", "inbox", "ledger", "item-new", "item-detail"])
def test_every_page_sends_anonymous_visitors_to_login(client: Client, item: Item, name: str):
    url = reverse(name, kwargs={"pk": item.pk} if name == "item-detail" else {})
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={url}"


def test_posts_send_anonymous_visitors_to_login(client: Client, org: Org, item: Item):
    before = Item.objects.get(pk=item.pk).status
    url = reverse("item-action", kwargs={"pk": item.pk, "action": "assign"})
    response = client.post(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert Item.objects.get(pk=item.pk).status == before
    response = client.post(reverse("notice-read", kwargs={"notice_id": 1}))
    assert response.status_code == 302


@pytest.mark.parametrize("persona", PERSONAS)
def test_my_work_ledger_and_inbox_render_for_every_persona(
    client: Client, org: Org, item: Item, persona: str
):
    user = getattr(org, persona)
    signed_in(client, user)
    for name in ("my-work", "ledger", "inbox"):
        response = client.get(reverse(name))
        assert response.status_code == 200, name
        page = html(response)
        assert "督办系统" in page
        assert user.full_name in page
        assert str(user.get_role_display()) in page


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("office_supervisor", 200),
        ("lead_liaison", 200),
        ("lead_head", 200),
        ("cooperating_liaison", 200),
        ("cooperating_head", 200),
        ("leader_in_charge", 200),
        ("other_unit_liaison", 404),
        ("system_admin", 404),
    ],
)
def test_item_page_renders_for_who_may_see_it(
    client: Client, org: Org, item: Item, persona: str, status: int
):
    response = signed_in(client, getattr(org, persona)).get(
        reverse("item-detail", kwargs={"pk": item.pk})
    )
    assert response.status_code == status


def test_header_shows_name_role_unread_badge_and_nav(client: Client, org: Org, item: Item):
    advance(org, item, "assigned")
    page = html(signed_in(client, org.lead_liaison).get(reverse("my-work")))
    assert "周联络" in page
    assert "联络员 · 教务处" in page
    assert re.search(r'<span id="unread-badge" class="badge"[^>]*>1</span>', page)
    for label in ("我的工作", "督办台账", "通知", "退出"):
        assert label in page
    assert "新建立项" not in page  # only office supervisors establish items
    supervisor_page = html(signed_in(client, org.office_supervisor).get(reverse("my-work")))
    assert f'href="{reverse("item-new")}"' in supervisor_page
    assert "badge--empty" in supervisor_page  # nothing unread


def test_static_assets_are_served_by_the_app():
    from django.contrib.staticfiles import finders

    for name in ("duban/app.css", "duban/app.js", "duban/htmx.min.js"):
        assert finders.find(name), name
    htmx = finders.find("duban/htmx.min.js")
    with open(htmx, encoding="utf-8") as handle:  # type: ignore[arg-type]
        first_line = handle.readline()
    assert "htmx 2." in first_line and "0BSD" in first_line


# ----------------------------------------------------------------------------- sign in and out


def test_login_page_is_in_chinese_and_signs_in(client: Client, org: Org):
    page = html(client.get(reverse("login")))
    assert "登录督办系统" in page
    assert "用户名" in page and "密码" in page
    response = client.post(
        reverse("login"), {"username": "office_supervisor", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("my-work")


def test_login_refuses_a_wrong_password_in_chinese(client: Client, org: Org):
    response = client.post(reverse("login"), {"username": "office_supervisor", "password": "x"})
    assert response.status_code == 200
    assert "请输入一个正确的" in html(response)
    assert "_auth_user_id" not in client.session


def test_logout_is_a_post_and_returns_to_login(client: Client, org: Org):
    signed_in(client, org.office_supervisor)
    assert client.get(reverse("logout")).status_code == 405
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert response["Location"] == reverse("login")
    assert client.get(reverse("my-work")).status_code == 302


# ----------------------------------------------------------------------------- 我的工作


def test_office_supervisor_sees_items_to_assign_returned_and_to_review(client: Client, org: Org):
    to_assign = establish(org, title="待交办的事项")
    returned = advance(org, establish(org, title="被退回的事项"), "returned")
    submitted = advance(org, establish(org, title="待审核的事项"), "submitted")
    page = html(signed_in(client, org.office_supervisor).get(reverse("my-work")))
    assert to_assign.title in section(page, "to_assign")
    assert returned.title not in section(page, "to_assign")
    assert returned.title in section(page, "returned")
    assert submitted.title in section(page, "to_review")
    assert to_assign.title not in section(page, "to_review")


def test_r_u4_office_supervisor_sees_items_due_within_3_working_days_or_overdue(
    client: Client, org: Org
):
    # 2026-11-27 is a Friday: 3 working days later is Wednesday 2026-12-02.
    with time_machine.travel(dt.datetime(2026, 11, 20, 10, tzinfo=dt.UTC), tick=False):
        overdue = establish(org, title="已超期事项", minutes_deadline=dt.date(2026, 11, 26))
        due_wednesday = establish(org, title="周三到期事项", minutes_deadline=dt.date(2026, 12, 2))
        due_thursday = establish(org, title="周四到期事项", minutes_deadline=dt.date(2026, 12, 3))
    with time_machine.travel(dt.datetime(2026, 11, 27, 10, tzinfo=dt.UTC), tick=False):
        page = html(signed_in(client, org.office_supervisor).get(reverse("my-work")))
    near = section(page, "deadline_near")
    assert overdue.title in near
    assert due_wednesday.title in near
    assert due_thursday.title not in near
    assert near.count("tag--overdue") == 1
    assert near.index(overdue.title) < near.index(due_wednesday.title)


def test_lead_liaison_sees_items_to_sign_for_and_in_progress_with_deadlines(
    client: Client, org: Org
):
    to_sign = advance(org, establish(org, title="待签收事项"), "assigned")
    doing = advance(org, establish(org, title="办理中事项"), "in_progress")
    page = html(signed_in(client, org.lead_liaison).get(reverse("my-work")))
    assert to_sign.title in section(page, "to_sign_for")
    assert doing.title not in section(page, "to_sign_for")
    in_progress = section(page, "in_progress")
    assert doing.title in in_progress
    assert doing.deadline.isoformat() in in_progress
    assert "work-to_confirm" not in page  # the liaison confirms nothing


def test_lead_head_sees_reports_awaiting_confirmation(client: Client, org: Org):
    waiting = advance(org, establish(org, title="待确认报告的事项"), "in_progress")
    actions.draft_completion_report(org.lead_liaison, waiting, "全部完成")
    other = advance(org, establish(org, title="尚无报告的事项"), "in_progress")
    page = html(signed_in(client, org.lead_head).get(reverse("my-work")))
    assert waiting.title in section(page, "to_confirm")
    assert other.title not in section(page, "to_confirm")


def test_lead_liaison_sees_contributions_received(client: Client, org: Org, item: Item):
    advance(org, item, "in_progress")
    actions.report_contribution(org.cooperating_liaison, item, "人事处已完成师资测算")
    page = html(signed_in(client, org.lead_liaison).get(reverse("my-work")))
    assert "人事处已完成师资测算" in section(page, "contributions")


def test_cooperating_liaison_sees_items_to_contribute_to(client: Client, org: Org, item: Item):
    advance(org, item, "in_progress")
    page = html(signed_in(client, org.cooperating_liaison).get(reverse("my-work")))
    assert item.title in section(page, "to_contribute")
    assert "待报送" in section(page, "to_contribute")
    actions.report_contribution(org.cooperating_liaison, item, "已报送")
    page = html(client.get(reverse("my-work")))
    assert "待报送" not in section(page, "to_contribute")
    assert "已报送" in section(page, "to_contribute")
    assert item.title not in section(page, "to_sign_for")


def test_school_leader_sees_units_items_overdue_first(client: Client, org: Org):
    with time_machine.travel(dt.datetime(2026, 11, 2, 10, tzinfo=dt.UTC), tick=False):
        on_time = establish(org, title="事项甲", minutes_deadline=dt.date(2026, 11, 5))
        late = establish(org, title="事项乙", minutes_deadline=dt.date(2026, 11, 20))
    unled = Unit.objects.create(code="0900", name="图书馆", kind=UnitKind.DEPARTMENT)
    with time_machine.travel(dt.datetime(2026, 11, 25, 10, tzinfo=dt.UTC), tick=False):
        not_led = establish(org, title="其他领导分管的事项", lead_unit=unled, cooperating_units=[])
        later = establish(org, title="事项丙", minutes_deadline=dt.date(2026, 12, 30))
        page = html(signed_in(client, org.leader_in_charge).get(reverse("my-work")))
    rows = section(page, "led_units")
    assert not_led.title not in rows
    # Both are overdue on 2026-11-25; among the overdue, the earlier deadline first.
    assert rows.index(on_time.title) < rows.index(late.title) < rows.index(later.title)
    assert rows.count("tag--overdue") == 2


def test_a_person_without_item_work_sees_a_plain_note(client: Client, org: Org):
    page = html(signed_in(client, org.system_admin).get(reverse("my-work")))
    assert "您的角色没有需要处理的督办工作" in page


# ----------------------------------------------------------------------------- ledger


def test_ledger_lists_only_visible_items_with_its_columns(client: Client, org: Org, item: Item):
    page = html(signed_in(client, org.office_supervisor).get(reverse("ledger")))
    assert ledger_numbers(page) == [item.ledger_number]
    for column in ("台账编号", "事项名称", "来源", "承办单位", "办结时限", "状态"):
        assert re.search(rf'<th scope="col"[^>]*>(<a [^>]+>)?{column}[<]', page), column
    assert "会议决定事项" in page and "校长办公会" in page
    assert "教务处" in page and item.deadline.isoformat() in page and "已立项" in page
    other = html(signed_in(client, org.other_unit_liaison).get(reverse("ledger")))
    assert ledger_numbers(other) == []
    assert "没有符合条件的督办事项" in other


def test_ledger_shows_original_deadline_when_changed(client: Client, org: Org, item: Item):
    new_deadline = item.deadline + dt.timedelta(days=14)
    actions.change_item(org.office_supervisor, item, reason="工作量增加", deadline=new_deadline)
    page = html(signed_in(client, org.office_supervisor).get(reverse("ledger")))
    assert new_deadline.isoformat() in page
    assert f"原定 {item.deadline.isoformat()}" in page


def test_r_d6_ledger_flags_a_deadline_counted_on_a_provisional_year(client: Client, org: Org):
    # Minutes issued on 2026-12-24: the 10th working day falls in 2027, not yet loaded.
    with time_machine.travel(dt.datetime(2026, 12, 24, 10, tzinfo=dt.UTC), tick=False):
        item = establish(org, minutes_issued_on=dt.date(2026, 12, 24))
        page = html(signed_in(client, org.office_supervisor).get(reverse("ledger")))
    assert item.deadline_provisional
    assert item.deadline.year == 2027
    assert '<span class="tag tag--provisional"' in page
    assert ">暂定</span>" in page
    assert "原定" not in page


@pytest.fixture
def mixed_items(org: Org) -> dict[str, Item]:
    """Items of each kind, state and lead unit for the filters."""
    with time_machine.travel(dt.datetime(2026, 11, 2, 10, tzinfo=dt.UTC), tick=False):
        overdue = establish(org, title="超期的会议事项", minutes_deadline=dt.date(2026, 11, 10))
    return {
        "overdue": overdue,
        "meeting": advance(org, establish(org, title="办理中的会议事项"), "in_progress"),
        "annual": annual(org, title="年度要点事项"),
        "other": instructed(org, title="领导批示事项", content="关于图书馆扩建的批示"),
        "other_unit": establish(
            org, title="财务处承办事项", lead_unit=org.other_unit, cooperating_units=[]
        ),
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, ["overdue", "meeting", "annual", "other", "other_unit"]),
        ({"source_kind": "annual"}, ["annual"]),
        ({"source_kind": "other"}, ["other"]),
        ({"status": "in_progress"}, ["meeting"]),
        ({"overdue": "yes"}, ["overdue"]),
        ({"overdue": "no"}, ["meeting", "annual", "other", "other_unit"]),
        ({"q": "批示事项"}, ["other"]),
        ({"q": "图书馆扩建"}, ["other"]),  # the keyword also searches the content
        ({"year": "2026", "source_kind": "meeting"}, ["overdue", "meeting", "other_unit"]),
        ({"year": "2025"}, ["overdue", "meeting", "annual", "other", "other_unit"]),
    ],
)
def test_ledger_filters(
    client: Client, org: Org, mixed_items: dict[str, Item], query: dict[str, str], expected
):
    with time_machine.travel(dt.datetime(2026, 11, 27, 10, tzinfo=dt.UTC), tick=False):
        signed_in(client, org.office_supervisor)
        page = html(client.get(reverse("ledger"), query))
    shown = set(ledger_numbers(page))
    assert shown == {mixed_items[key].ledger_number for key in expected}


def test_ledger_filters_by_lead_unit_and_keeps_the_filter_in_the_form(
    client: Client, org: Org, mixed_items: dict[str, Item]
):
    signed_in(client, org.office_supervisor)
    page = html(client.get(reverse("ledger"), {"lead_unit": str(org.other_unit.pk), "q": "财务"}))
    assert ledger_numbers(page) == [mixed_items["other_unit"].ledger_number]
    assert f'<option value="{org.other_unit.pk}" selected>财务处</option>' in page
    assert 'value="财务"' in page


def test_ledger_ignores_an_invalid_filter_value(
    client: Client, org: Org, mixed_items: dict[str, Item]
):
    signed_in(client, org.office_supervisor)
    response = client.get(reverse("ledger"), {"status": "bogus", "source_kind": "annual"})
    assert response.status_code == 200
    assert ledger_numbers(html(response)) == [mixed_items["annual"].ledger_number]


def test_ledger_pages_by_twenty_and_keeps_filters_in_page_links(client: Client, org: Org):
    items = [establish(org, title=f"分页事项{n:02d}") for n in range(25)]
    signed_in(client, org.office_supervisor)
    first = html(client.get(reverse("ledger"), {"source_kind": "meeting"}))
    assert len(ledger_numbers(first)) == 20
    assert "第 1 / 2 页" in first
    assert 'href="?source_kind=meeting&amp;page=2"' in first
    second = html(client.get(reverse("ledger"), {"source_kind": "meeting", "page": "2"}))
    assert len(ledger_numbers(second)) == 5
    assert set(ledger_numbers(first)) | set(ledger_numbers(second)) == {
        item.ledger_number for item in items
    }
    assert "共 25 项" in second
    # A page past the end shows the last page rather than an error.
    assert ledger_numbers(html(client.get(reverse("ledger"), {"page": "99"}))) == ledger_numbers(
        second
    )


def test_ledger_counts_up_to_its_bound_and_lists_that_many(
    client: Client, org: Org, monkeypatch: pytest.MonkeyPatch
):
    # The page counts at most COUNT_LIMIT rows (docs/performance.md): beyond it, it says
    # "more than" and lists the first COUNT_LIMIT, in the page's order.
    monkeypatch.setattr("duban.web.paging.COUNT_LIMIT", 25)
    items = [establish(org, title=f"分页事项{n:02d}") for n in range(27)]
    signed_in(client, org.office_supervisor)
    first = html(client.get(reverse("ledger"), {"sort": "number"}))
    assert "超过 25 项" in first and "共 27 项" not in first
    assert "只列出前 25 项" in first
    assert "第 1 / 2 页" in first
    last = html(client.get(reverse("ledger"), {"sort": "number", "page": "9"}))
    assert len(ledger_numbers(last)) == 5
    listed = ledger_numbers(first) + ledger_numbers(last)
    assert listed == sorted(item.ledger_number for item in items)[:25]
    # Narrowed to 25 or fewer, the count is exact again.
    narrowed = html(client.get(reverse("ledger"), {"q": "分页事项0"}))
    assert "共 10 项" in narrowed and "超过" not in narrowed


# A list page's queries do not grow with its rows (STYLE.md).
# (+1: the calendar dates of the warning lights, R-U4, read once per page; +1: the
# person's saved views, 我的视图; the person's unit comes with the person)
LEDGER_QUERIES = 9
# (office and leader: + the extension requests awaiting them, R-E3; lead_head and leader:
# +1 for the lights' calendar, which the office's list of deadlines near already reads)
MY_WORK_QUERIES = {"office_supervisor": 10, "lead_head": 10, "leader_in_charge": 6}
INBOX_QUERIES = 7


@pytest.mark.parametrize("count", [3, 30])
def test_ledger_queries_do_not_grow_with_rows(
    client: Client, org: Org, count: int, django_assert_max_num_queries
):
    for n in range(count):
        advance(org, establish(org, title=f"事项{n}"), "assigned")
    signed_in(client, org.office_supervisor)
    with django_assert_max_num_queries(LEDGER_QUERIES):
        response = client.get(reverse("ledger"), {"year": "2026", "overdue": "no"})
    assert len(ledger_numbers(html(response))) == min(count, 20)


@pytest.mark.parametrize("count", [3, 30])
@pytest.mark.parametrize("persona", sorted(MY_WORK_QUERIES))
def test_my_work_queries_do_not_grow_with_rows(
    client: Client, org: Org, count: int, persona: str, django_assert_max_num_queries
):
    for n in range(count):
        item = establish(org, title=f"事项{n}")
        if n % 3 == 1:
            advance(org, item, "in_progress")
            actions.report_contribution(org.cooperating_liaison, item, "配合情况")
            actions.draft_completion_report(org.lead_liaison, item, "办结情况")
        elif n % 3 == 2:
            advance(org, item, "submitted")
    signed_in(client, getattr(org, persona))
    with django_assert_max_num_queries(MY_WORK_QUERIES[persona]):
        response = client.get(reverse("my-work"))
    assert html(response).count('href="/items/') >= count // 3


@pytest.mark.parametrize("count", [3, 30])
def test_inbox_queries_do_not_grow_with_rows(
    client: Client, org: Org, count: int, django_assert_max_num_queries
):
    for n in range(count):
        advance(org, establish(org, title=f"事项{n}"), "assigned")
    signed_in(client, org.lead_liaison)
    with django_assert_max_num_queries(INBOX_QUERIES):
        response = client.get(reverse("inbox"))
    assert html(response).count("新交办督办事项") == min(count, 20)


# ----------------------------------------------------------------------------- inbox


def test_inbox_lists_notices_and_marks_one_read_with_htmx(client: Client, org: Org, item: Item):
    advance(org, item, "assigned")
    notice = Notice.objects.get(recipient=org.lead_liaison)
    signed_in(client, org.lead_liaison)
    page = html(client.get(reverse("inbox")))
    assert f"新交办督办事项：{item.title}" in page
    assert f'hx-post="{reverse("notice-read", kwargs={"notice_id": notice.pk})}"' in page
    assert f'href="{reverse("item-detail", kwargs={"pk": item.pk})}"' in page

    response = client.post(
        reverse("notice-read", kwargs={"notice_id": notice.pk}), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    partial = html(response)
    assert f'<li id="notice-{notice.pk}" class="notice notice--read">' in partial
    assert "<html" not in partial  # a fragment, swapped in place
    assert re.search(r'id="unread-badge" class="badge badge--empty" hx-swap-oob="true"', partial)
    notice.refresh_from_db()
    assert notice.read_at is not None


def test_marking_read_without_htmx_returns_to_the_inbox(client: Client, org: Org, item: Item):
    advance(org, item, "assigned")
    notice = Notice.objects.get(recipient=org.lead_liaison)
    response = signed_in(client, org.lead_liaison).post(
        reverse("notice-read", kwargs={"notice_id": notice.pk})
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("inbox")
    notice.refresh_from_db()
    assert notice.read_at is not None


def test_nobody_marks_another_persons_notice(client: Client, org: Org, item: Item):
    advance(org, item, "assigned")
    notice = Notice.objects.get(recipient=org.lead_liaison)
    response = signed_in(client, org.lead_head).post(
        reverse("notice-read", kwargs={"notice_id": notice.pk}), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 404
    notice.refresh_from_db()
    assert notice.read_at is None
    assert (
        signed_in(client, org.lead_liaison)
        .get(reverse("notice-read", kwargs={"notice_id": notice.pk}))
        .status_code
        == 405
    )


def test_inbox_shows_a_notice_only_while_its_item_is_visible(client: Client, org: Org, item: Item):
    """R-C5: once the item is reassigned away, its notices leave the old unit's inbox,
    title and all, and the header's count with them."""
    advance(org, item, "returned")
    signed_in(client, org.lead_liaison)
    assert f"新交办督办事项：{item.title}" in html(client.get(reverse("inbox")))
    actions.reassign_item(
        org.office_supervisor, item, note="改由财务处承办", lead_unit=org.other_unit
    )
    page = html(client.get(reverse("inbox")))
    assert item.title not in page
    assert f'href="{reverse("item-detail", kwargs={"pk": item.pk})}"' not in page


# ----------------------------------------------------------------------------- establish


def establish_post(org: Org, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "source_kind": "meeting",
        "source_body": "president_meeting",
        "title": "建设智慧教室",
        "content": "完成50间智慧教室改造。\r\n第二行。",
        "basis": "校长办公会纪要〔2026〕第30期",
        "lead_unit": org.lead_unit.pk,
        "cooperating_units": [org.cooperating_unit.pk],
        "confidentiality": "ordinary",
        "minutes_issued_on": clock.today().isoformat(),
        "year": "",
    }
    data.update(overrides)
    return data


def test_establish_form_renders_for_office_supervisors_only(client: Client, org: Org):
    page = html(signed_in(client, org.office_supervisor).get(reverse("item-new")))
    assert "新建立项" in page
    for kind in ("meeting", "annual", "other"):
        assert f'data-kind="{kind}"' in page
    assert 'data-bodies="' in page
    response = signed_in(client, org.lead_liaison).get(reverse("item-new"))
    assert response.status_code == 403
    assert "只有督办员可以立项。" in html(response)


def test_establish_form_creates_a_meeting_item(client: Client, org: Org):
    response = signed_in(client, org.office_supervisor).post(
        reverse("item-new"), establish_post(org, instruction_deadline="2030-01-01")
    )
    item = Item.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("item-detail", kwargs={"pk": item.pk})
    assert item.title == "建设智慧教室"
    assert item.content == "完成50间智慧教室改造。\n第二行。"
    assert item.deadline_rule == "ten_workdays"
    assert list(item.cooperating_units.all()) == [org.cooperating_unit]
    page = html(client.get(response["Location"]))
    assert f"已立项，台账编号{item.ledger_number}" in page


def test_establish_form_creates_annual_and_other_items(client: Client, org: Org):
    signed_in(client, org.office_supervisor)
    client.post(
        reverse("item-new"),
        establish_post(org, source_kind="annual", source_body="major_plan", year="2027"),
    )
    annual_item = Item.objects.get()
    assert (annual_item.year, annual_item.deadline) == (2027, dt.date(2027, 12, 31))
    client.post(
        reverse("item-new"),
        establish_post(
            org,
            source_kind="other",
            source_body="instruction",
            instruction_deadline="2027-03-01",
            deciding_leader=org.leader_in_charge.pk,
            decided_on=clock.today().isoformat(),
        ),
    )
    other = Item.objects.get(source_kind="other")
    assert other.deadline == dt.date(2027, 3, 1)
    assert other.deciding_leader == org.leader_in_charge


def test_establish_form_shows_field_errors_and_keeps_the_input(client: Client, org: Org):
    response = signed_in(client, org.office_supervisor).post(
        reverse("item-new"), establish_post(org, title="", basis="纪要第31期")
    )
    assert response.status_code == 400
    page = html(response)
    assert "请检查填写的内容。" in page
    assert "此项为必填项。" in page
    assert "纪要第31期</textarea>" in page
    assert "完成50间智慧教室改造。" in page
    assert f'value="{org.cooperating_unit.pk}" id="id_cooperating_units_' in page
    assert Item.objects.count() == 0


def test_establish_form_maps_an_action_refusal_onto_the_fields(client: Client, org: Org):
    response = signed_in(client, org.office_supervisor).post(
        reverse("item-new"),
        establish_post(
            org, source_kind="other", source_body="instruction", instruction_deadline="2027-03-01"
        ),
    )
    assert response.status_code == 400
    page = html(response)
    assert "其他交办事项须经校领导决定方可立项。" in page  # the message at the top
    assert '<p class="field__error">请选择作出决定的校领导。</p>' in page  # on its field
    assert 'value="建设智慧教室"' in page
    assert 'value="2027-03-01"' in page
    assert Item.objects.count() == 0


def test_establish_form_refuses_lead_unit_among_cooperating_units(client: Client, org: Org):
    response = signed_in(client, org.office_supervisor).post(
        reverse("item-new"),
        establish_post(org, cooperating_units=[org.lead_unit.pk, org.cooperating_unit.pk]),
    )
    assert response.status_code == 400
    page = html(response)
    assert "承办单位不能同时是配合单位。" in page
    assert "请从配合单位中去掉承办单位。" in page
    assert Item.objects.count() == 0


def test_r_d3_establish_form_asks_for_the_reason_of_an_office_deadline(client: Client, org: Org):
    response = signed_in(client, org.office_supervisor).post(
        reverse("item-new"),
        establish_post(org, minutes_issued_on="", office_deadline="2027-01-29"),
    )
    assert response.status_code == 400
    assert "请写明为什么10个工作日不足以办结。" in html(response)
    assert Item.objects.count() == 0


def test_establish_post_by_a_liaison_is_refused(client: Client, org: Org):
    response = signed_in(client, org.lead_liaison).post(reverse("item-new"), establish_post(org))
    assert response.status_code == 403
    assert Item.objects.count() == 0


def test_discipline_office_supervisor_cannot_establish_an_ordinary_item(client: Client, org: Org):
    discipline = Unit.objects.create(
        code="0500", name="纪委办公室", kind=UnitKind.DISCIPLINE_OFFICE
    )
    person = make_person("discipline_supervisor", Role.OFFICE_SUPERVISOR, discipline, "纪督办")
    response = signed_in(client, person).post(reverse("item-new"), establish_post(org))
    assert response.status_code == 403
    assert "只有党政办公室的督办员可以立项。" in html(response)
    assert 'value="建设智慧教室"' in html(response)
    assert Item.objects.count() == 0


# ----------------------------------------------------------------------------- escaping


def test_script_in_a_title_is_escaped_on_ledger_my_work_and_item_page(client: Client, org: Org):
    item = establish(org, title="<script>alert('x')</script>")
    signed_in(client, org.office_supervisor)
    escaped = "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;"
    for url in (
        reverse("ledger"),
        reverse("my-work"),
        reverse("item-detail", kwargs={"pk": item.pk}),
    ):
        page = html(client.get(url))
        assert escaped in page, url
        assert "<script>alert(" not in page, url
