"""Manual urges (R-U2: actions.urge_item), the count of urges per unit, and the office's
attention page (R-U1, R-F3) with its urge button; the item page's urge form and the
API's POST /items/{id}/urge."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from duban.audit.models import AuditEvent
from duban.items import actions
from duban.items.errors import InvalidInput, PermissionRefused, StateRefused
from duban.items.models import Item, Notice, Urge
from duban.items.sweep import run_sweep
from duban.items.urges import urges_received_by_unit
from duban.notify.models import Delivery
from duban.organisation.models import Unit, User
from tests.conftest import Org, advance, establish
from tests.test_api import Api, assert_error

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY = dt.datetime(2026, 9, 28, 10, 0, tzinfo=SHANGHAI)
RECORDED_CHANNELS = ("phone", "verbal", "written", "visit", "meeting")


@pytest.fixture(autouse=True)
def frozen_clock(settings: Any) -> Any:
    settings.OTP_REQUIRED = False  # sign-in is not under test here
    with time_machine.travel(MONDAY, tick=False) as traveller:
        yield traveller


@pytest.fixture
def assigned(org: Org) -> Item:
    return advance(org, establish(org), "assigned")


def snapshot(item: Item) -> dict[str, Any]:
    return {
        "item": Item.objects.filter(pk=item.pk).values().get(),
        "urges": list(Urge.objects.order_by("pk").values()),
        "events": AuditEvent.objects.count(),
        "notices": Notice.objects.count(),
        "deliveries": Delivery.objects.count(),
    }


# ----------------------------------------------------------------------------- recorded


@pytest.mark.parametrize("channel", RECORDED_CHANNELS)
def test_r_u2_an_urge_by_phone_visit_or_meeting_is_recorded_not_sent(
    org: Org, assigned: Item, channel: str
) -> None:
    notices = Notice.objects.count()
    urge = actions.urge_item(
        org.office_supervisor,
        assigned,
        channel=channel,
        recipient=org.lead_head,
        note="  请于本周五前签收并报送工作计划。  ",
    )
    assert (urge.item, urge.unit, urge.recipient, urge.urged_by) == (
        assigned,
        org.lead_unit,
        org.lead_head,
        org.office_supervisor,
    )
    assert (urge.channel, urge.note, urge.step, urge.created_at) == (
        channel,
        "请于本周五前签收并报送工作计划。",
        "",
        MONDAY,
    )
    assert not urge.automatic
    assert Notice.objects.count() == notices
    event = AuditEvent.objects.filter(item=assigned).latest("sequence")
    assert (event.verb, event.actor, event.unit) == ("urge", org.office_supervisor, org.lead_unit)
    assert event.summary == f"通过{urge.get_channel_display()}催办教务处（李处长）"
    assert event.data == {
        "urge": urge.pk,
        "channel": channel,
        "recipient": org.lead_head.pk,
        "note": "请于本周五前签收并报送工作计划。",
    }


def test_r_u2_a_system_urge_is_sent_to_the_recipients_inbox(org: Org, assigned: Item) -> None:
    urge = actions.urge_item(
        org.office_supervisor, assigned, channel="system", recipient=org.lead_liaison, note=""
    )
    notice = Notice.objects.get(recipient=org.lead_liaison, title__startswith="督办催办")
    assert notice.title == f"督办催办：{assigned.title}"
    assert notice.body == (
        f"请抓紧办理督办事项（台账编号{assigned.ledger_number}，办结时限"
        f"{assigned.deadline.isoformat()}）并及时反馈进展。"
    )
    assert (notice.item, notice.created_at) == (assigned, MONDAY)
    assert urge.note == ""
    assert not Delivery.objects.filter(notice=notice, channel="sms").exists()


def test_r_u2_an_sms_urge_is_also_sent_by_sms(org: Org, assigned: Item) -> None:
    org.lead_head.phone = "13800000000"
    org.lead_head.save()
    actions.urge_item(
        org.office_supervisor,
        assigned,
        channel="sms",
        recipient=org.lead_head,
        note="请尽快签收。",
    )
    notice = Notice.objects.get(recipient=org.lead_head, title__startswith="督办催办")
    assert notice.body == "请尽快签收。"
    delivery = Delivery.objects.get(notice=notice, channel="sms")
    assert delivery.address == "13800000000"


def test_r_u2_the_leader_in_charge_may_be_urged(org: Org, assigned: Item) -> None:
    urge = actions.urge_item(
        org.office_supervisor, assigned, channel="meeting", recipient=org.leader_in_charge, note="x"
    )
    assert urge.recipient == org.leader_in_charge
    assert urge.unit == org.lead_unit


def test_r_u2_an_item_in_progress_may_be_urged(org: Org) -> None:
    item = advance(org, establish(org), "in_progress")
    actions.urge_item(
        org.office_supervisor, item, channel="phone", recipient=org.lead_liaison, note="已电话沟通"
    )
    assert Urge.objects.filter(item=item).count() == 1


# ----------------------------------------------------------------------------- refusals


@pytest.mark.parametrize(
    ("persona", "message"),
    [
        ("lead_liaison", "只有本事项的督办部门督办员可以催办。"),
        ("lead_head", "只有本事项的督办部门督办员可以催办。"),
        ("leader_in_charge", "只有本事项的督办部门督办员可以催办。"),
        ("cooperating_liaison", "只有本事项的督办部门督办员可以催办。"),
    ],
)
def test_r_u2_only_the_supervising_office_urges(
    org: Org, assigned: Item, persona: str, message: str
) -> None:
    before = snapshot(assigned)
    with pytest.raises(PermissionRefused) as refused:
        actions.urge_item(
            getattr(org, persona), assigned, channel="phone", recipient=org.lead_liaison, note="x"
        )
    assert refused.value.message == message
    assert snapshot(assigned) == before


@pytest.mark.parametrize("status", ["established", "returned", "submitted", "completed"])
def test_r_u2_only_an_assigned_or_in_progress_item_is_urged(org: Org, status: str) -> None:
    item = advance(org, establish(org), status)
    before = snapshot(item)
    with pytest.raises(StateRefused) as refused:
        actions.urge_item(
            org.office_supervisor, item, channel="phone", recipient=org.lead_liaison, note="x"
        )
    label = {"established": "已立项", "returned": "已退回", "submitted": "已报结"}.get(
        status, "已办结"
    )
    assert refused.value.message == f"事项当前状态为“{label}”，不能执行此操作。"
    assert snapshot(item) == before


@pytest.mark.parametrize("channel", ["fax", "", "SMS"])
def test_r_u2_an_unknown_channel_is_refused(org: Org, assigned: Item, channel: str) -> None:
    before = snapshot(assigned)
    with pytest.raises(InvalidInput) as refused:
        actions.urge_item(
            org.office_supervisor, assigned, channel=channel, recipient=org.lead_liaison, note="x"
        )
    assert refused.value.message == "催办方式无效。"
    assert refused.value.errors == {
        "channel": "请选择催办方式：系统通知、短信、电话、口头、书面通知、上门督办、会议督办。"
    }
    assert snapshot(assigned) == before


@pytest.mark.parametrize("persona", ["cooperating_liaison", "other_unit_liaison", "system_admin"])
def test_r_u2_the_recipient_must_be_the_lead_units_liaison_head_or_leader(
    org: Org, assigned: Item, persona: str
) -> None:
    before = snapshot(assigned)
    with pytest.raises(InvalidInput) as refused:
        actions.urge_item(
            org.office_supervisor,
            assigned,
            channel="system",
            recipient=getattr(org, persona),
            note="",
        )
    assert refused.value.message == "催办对象须是教务处的联络员、第一责任人或分管校领导。"
    assert refused.value.errors == {"recipient": "请选择承办单位的联络员、第一责任人或分管校领导。"}
    assert snapshot(assigned) == before


def test_r_u2_no_recipient_is_refused(org: Org, assigned: Item) -> None:
    before = snapshot(assigned)
    with pytest.raises(InvalidInput) as refused:
        actions.urge_item(
            org.office_supervisor, assigned, channel="phone", recipient=None, note="x"
        )
    assert list(refused.value.errors) == ["recipient"]
    assert snapshot(assigned) == before


def test_r_u2_a_deactivated_recipient_is_refused(org: Org, assigned: Item) -> None:
    org.lead_head.is_active = False
    org.lead_head.save()
    before = snapshot(assigned)
    with pytest.raises(InvalidInput) as refused:
        actions.urge_item(
            org.office_supervisor, assigned, channel="system", recipient=org.lead_head, note=""
        )
    assert refused.value.message == "李处长的账号已停用，不能作为催办对象。"
    assert refused.value.errors == {"recipient": "该人员账号已停用。"}
    assert snapshot(assigned) == before


@pytest.mark.parametrize("channel", RECORDED_CHANNELS)
@pytest.mark.parametrize("note", ["", "   \n "])
def test_r_u2_what_was_said_is_required_for_a_recorded_urge(
    org: Org, assigned: Item, channel: str, note: str
) -> None:
    before = snapshot(assigned)
    with pytest.raises(InvalidInput) as refused:
        actions.urge_item(
            org.office_supervisor, assigned, channel=channel, recipient=org.lead_head, note=note
        )
    assert refused.value.message == "请填写催办内容（谈话或通知的要点）。"
    assert refused.value.errors == {"note": "此项为必填项。"}
    assert snapshot(assigned) == before


def test_r_u2_a_note_too_long_is_refused(org: Org, assigned: Item) -> None:
    before = snapshot(assigned)
    with pytest.raises(InvalidInput) as refused:
        actions.urge_item(
            org.office_supervisor,
            assigned,
            channel="sms",
            recipient=org.lead_head,
            note="催" * 20_001,
        )
    assert refused.value.errors == {"note": "最多20000字。"}
    assert snapshot(assigned) == before


# ----------------------------------------------------------------------------- counting


def test_r_u2_urges_received_are_counted_per_unit_and_year(org: Org) -> None:
    item = advance(org, establish(org, minutes_deadline=dt.date(2026, 9, 30)), "in_progress")
    other = advance(
        org,
        establish(org, lead_unit=org.other_unit, cooperating_units=[], minutes_deadline=None),
        "assigned",
    )
    for channel in ("phone", "visit"):
        actions.urge_item(
            org.office_supervisor, item, channel=channel, recipient=org.lead_head, note="已沟通"
        )
    actions.urge_item(
        org.office_supervisor, other, channel="system", recipient=other.lead_unit.liaison, note=""
    )
    # Automatic: the reminder on the deadline day is not a chase; the overdue urge is.
    for day in (dt.date(2026, 9, 30), dt.date(2026, 10, 8)):
        run_sweep(dt.datetime(day.year, day.month, day.day, 9, tzinfo=SHANGHAI))
    assert set(Urge.objects.filter(item=item).values_list("step", flat=True)) == {
        "",
        "deadline-0",
        "overdue-1",
    }
    assert urges_received_by_unit(2026) == {org.lead_unit.pk: 3, org.other_unit.pk: 1}
    assert urges_received_by_unit(2025) == {}
    assert urges_received_by_unit(2027) == {}


# ----------------------------------------------------------------------------- the item page


def offered(page: str) -> set[str]:
    return set(re.findall(r'data-action="([a-z_]+)"', page))


def test_r_u2_the_office_urges_from_the_item_page(client: Client, org: Org, assigned: Item) -> None:
    client.force_login(org.office_supervisor)
    url = reverse("item-detail", kwargs={"pk": assigned.pk})
    assert "urge" in offered(client.get(url).content.decode())
    response = client.post(
        reverse("item-action", kwargs={"pk": assigned.pk, "action": "urge"}),
        {"channel": "phone", "recipient": "head", "note": "电话要求本周内签收。"},
    )
    assert response.status_code == 302
    urge = Urge.objects.get()
    assert (urge.channel, urge.recipient, urge.note) == (
        "phone",
        org.lead_head,
        "电话要求本周内签收。",
    )
    page = client.get(url).content.decode()
    assert "已记录电话催办。" in page
    urges = re.search(r'<section class="card" id="urges">(.*?)</section>', page, re.S)
    assert urges is not None
    assert '催办记录 <span class="count">1</span>' in urges.group(1)
    assert "电话要求本周内签收。" in urges.group(1)
    assert "孙督办" in urges.group(1) and "李处长" in urges.group(1)


def test_r_u2_a_refused_urge_on_the_page_shows_why_and_changes_nothing(
    client: Client, org: Org, assigned: Item
) -> None:
    client.force_login(org.office_supervisor)
    before = snapshot(assigned)
    response = client.post(
        reverse("item-action", kwargs={"pk": assigned.pk, "action": "urge"}),
        {"channel": "visit", "recipient": "liaison", "note": ""},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "请填写催办内容（谈话或通知的要点）。" in page
    assert snapshot(assigned) == before


def test_r_u2_the_urge_form_is_not_offered_to_the_lead_unit(
    client: Client, org: Org, assigned: Item
) -> None:
    client.force_login(org.lead_liaison)
    page = client.get(reverse("item-detail", kwargs={"pk": assigned.pk})).content.decode()
    assert "urge" not in offered(page)
    response = client.post(
        reverse("item-action", kwargs={"pk": assigned.pk, "action": "urge"}),
        {"channel": "phone", "recipient": "head", "note": "x"},
    )
    assert response.status_code == 403
    assert not Urge.objects.exists()


# ----------------------------------------------------------------------------- attention


def stalled(org: Org, count: int = 1, **extra: Any) -> list[Item]:
    """Items signed for on 09-01 with no feedback since: without progress by 10-09."""
    with time_machine.travel(dt.datetime(2026, 9, 1, 10, tzinfo=SHANGHAI), tick=False):
        return [
            advance(
                org, establish(org, minutes_deadline=dt.date(2026, 12, 18), **extra), "in_progress"
            )
            for _ in range(count)
        ]


def attention_rows(page: str, key: str) -> list[str]:
    section = re.search(rf'<section class="card" id="attention-{key}">(.*?)</section>', page, re.S)
    assert section is not None
    return re.findall(r'data-label="台账编号">(督[^<]+)</td>', section.group(1))


@pytest.mark.parametrize(
    "persona", ["lead_liaison", "lead_head", "leader_in_charge", "system_admin"]
)
def test_r_u1_the_attention_page_is_for_office_supervisors(
    client: Client, org: Org, persona: str
) -> None:
    client.force_login(getattr(org, persona))
    response = client.get(reverse("attention"))
    assert response.status_code == 403
    assert "只有督办部门的督办员可以查看进展预警。" in response.content.decode()


def test_r_u1_the_attention_page_lists_items_without_progress(
    client: Client, org: Org, frozen_clock: Any
) -> None:
    quiet = stalled(org)[0]
    with time_machine.travel(dt.datetime(2026, 9, 1, 10, tzinfo=SHANGHAI), tick=False):
        fine = advance(org, establish(org, minutes_deadline=dt.date(2026, 12, 18)), "in_progress")
        milestone = advance(
            org, establish(org, minutes_deadline=dt.date(2026, 12, 18)), "in_progress"
        )
        actions.record_plan(
            org.lead_liaison,
            milestone,
            "目标",
            [actions.MilestoneInput("初稿", dt.date(2026, 10, 8))],
        )
    # Signed for in August: September passed without a phased report (R-F3).
    with time_machine.travel(dt.datetime(2026, 8, 20, 10, tzinfo=SHANGHAI), tick=False):
        annual = advance(
            org,
            establish(org, source_kind="annual", source_body="work_points", minutes_issued_on=None),
            "in_progress",
        )
    with time_machine.travel(dt.datetime(2026, 10, 8, 10, tzinfo=SHANGHAI), tick=False):
        actions.submit_feedback(org.lead_liaison, fine, "进展顺利。")
    with time_machine.travel(dt.datetime(2026, 9, 30, 10, tzinfo=SHANGHAI), tick=False):
        actions.submit_feedback(org.lead_liaison, milestone, "九月进展。")
    with time_machine.travel(dt.datetime(2026, 10, 9, 10, tzinfo=SHANGHAI), tick=False):
        client.force_login(org.office_supervisor)
        actions.urge_item(
            org.office_supervisor, quiet, channel="phone", recipient=org.lead_head, note="已提醒"
        )
        response = client.get(reverse("attention"))
    page = response.content.decode()
    assert response.status_code == 200
    assert attention_rows(page, "no_progress") == [quiet.ledger_number, annual.ledger_number]
    assert attention_rows(page, "missed_milestone") == [milestone.ledger_number]
    assert attention_rows(page, "missed_phase_report") == [annual.ledger_number]
    assert fine.ledger_number not in page
    assert "已催办 1 次" in page
    assert "2026年被催办 1 次" in page
    assert page.count(">系统催办联络员</button>") == 4


def test_r_u1_the_attention_list_keeps_the_first_red_then_by_deadline(
    org: Org, frozen_clock: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The list's first ATTENTION_LIMIT items are chosen by their ids first, then read
    (duban.web.supervision_views): red first, then the nearest deadline, then the
    oldest; each row with its light, flags and urges."""
    from duban.web import supervision_views

    deadlines = [
        dt.date(2026, 12, 18),
        dt.date(2026, 10, 5),
        dt.date(2026, 11, 20),
        dt.date(2026, 10, 6),
        dt.date(2026, 11, 20),
    ]
    with time_machine.travel(dt.datetime(2026, 9, 1, 10, tzinfo=SHANGHAI), tick=False):
        items = [
            advance(org, establish(org, minutes_deadline=deadline), "in_progress")
            for deadline in deadlines
        ]
    with time_machine.travel(dt.datetime(2026, 10, 9, 10, tzinfo=SHANGHAI), tick=False):
        actions.urge_item(
            org.office_supervisor, items[2], channel="phone", recipient=org.lead_head, note="已提醒"
        )
        everything = supervision_views.attention_items(org.office_supervisor)
        monkeypatch.setattr(supervision_views, "ATTENTION_LIMIT", 4)
        first = supervision_views.attention_items(org.office_supervisor)
    order = [items[1], items[3], items[2], items[4], items[0]]
    assert [row.pk for row in everything] == [item.pk for item in order]
    assert [row.pk for row in first] == [item.pk for item in order[:4]]
    assert [row.light for row in first] == ["red", "red", "yellow", "yellow"]
    assert all(row.no_progress for row in first)
    assert [row.urge_count for row in first] == [0, 0, 1, 0]
    assert first[2].last_urged_at is not None and first[2].lead_unit.name == org.lead_unit.name


def test_r_u1_the_attention_rows_escape_their_texts_and_urge_with_the_forms_token(
    org: Org,
) -> None:
    """The rows (written by `attention_rows`) escape what people typed, show times on
    the day they happened in the university's time zone, and each row's form carries the
    CSRF token: one click urges with CSRF checks on."""
    item = stalled(org, title="<b>整改</b> & 复查")[0]
    # 00:30 on 10-08 in Shanghai is still 10-07 in UTC.
    with time_machine.travel(dt.datetime(2026, 10, 8, 0, 30, tzinfo=SHANGHAI), tick=False):
        actions.urge_item(
            org.office_supervisor, item, channel="phone", recipient=org.lead_head, note="已提醒"
        )
    client = Client(enforce_csrf_checks=True)
    with time_machine.travel(dt.datetime(2026, 10, 9, 10, tzinfo=SHANGHAI), tick=False):
        client.force_login(org.office_supervisor)
        page = client.get(reverse("attention")).content.decode()
        assert "&lt;b&gt;整改&lt;/b&gt; &amp; 复查</a>" in page
        assert "<b>整改" not in page
        assert '<div class="muted small">最近 2026-10-08</div>' in page
        action = reverse("attention-urge", kwargs={"pk": item.pk})
        form = re.search(rf'action="{action}".*?value="([^"]+)"', page, re.S)
        assert form is not None
        refused = client.post(action)
        assert refused.status_code == 403
        assert Urge.objects.count() == 1
        response = client.post(action, {"csrfmiddlewaretoken": form.group(1)})
    assert response.status_code == 302
    assert Urge.objects.filter(channel="system").count() == 1


def test_r_u1_the_attention_page_shows_only_visible_items(client: Client, org: Org) -> None:
    """Another office's supervisor sees none of the General Office's items."""
    stalled(org)
    other_office = Unit.objects.create(code="0900", name="纪委办公室", kind="discipline_office")
    discipline_supervisor = User.objects.create_user(
        username="discipline_supervisor",
        password="x",
        role="office_supervisor",
        unit=other_office,
        full_name="纪督办",
    )
    with time_machine.travel(dt.datetime(2026, 10, 9, 10, tzinfo=SHANGHAI), tick=False):
        client.force_login(discipline_supervisor)
        page = client.get(reverse("attention")).content.decode()
        assert attention_rows(page, "no_progress") == []
        # Nor may it urge them from here: a hidden item is a missing one.
        item = Item.objects.get()
        response = client.post(reverse("attention-urge", kwargs={"pk": item.pk}))
    assert response.status_code == 404
    assert not Urge.objects.exists()


def test_r_u2_one_click_on_the_attention_page_urges_the_liaison(client: Client, org: Org) -> None:
    item = stalled(org)[0]
    with time_machine.travel(dt.datetime(2026, 10, 9, 10, tzinfo=SHANGHAI), tick=False):
        client.force_login(org.office_supervisor)
        response = client.post(reverse("attention-urge", kwargs={"pk": item.pk}), follow=True)
    assert response.redirect_chain == [(reverse("attention"), 302)]
    assert f"已向教务处联络员发送催办通知（{item.ledger_number}）。" in response.content.decode()
    urge = Urge.objects.get()
    assert (urge.channel, urge.recipient, urge.urged_by) == (
        "system",
        org.lead_liaison,
        org.office_supervisor,
    )
    assert Notice.objects.filter(recipient=org.lead_liaison, title__startswith="督办催办").exists()


def test_r_u2_one_click_on_an_item_no_longer_urgeable_says_why(client: Client, org: Org) -> None:
    item = stalled(org)[0]
    with time_machine.travel(dt.datetime(2026, 10, 9, 10, tzinfo=SHANGHAI), tick=False):
        actions.draft_completion_report(org.lead_liaison, item, "已完成。")
        actions.confirm_report(org.lead_head, item)
        client.force_login(org.office_supervisor)
        response = client.post(reverse("attention-urge", kwargs={"pk": item.pk}), follow=True)
    assert f"{item.ledger_number}：事项当前状态为“已报结”，不能执行此操作。" in (
        response.content.decode()
    )
    assert not Urge.objects.exists()


def test_r_u1_the_office_finds_the_attention_page_from_my_work(client: Client, org: Org) -> None:
    client.force_login(org.office_supervisor)
    page = client.get(reverse("my-work")).content.decode()
    assert page.count(f'href="{reverse("attention")}"') == 2  # the nav and my work
    client.force_login(org.lead_liaison)
    assert f'href="{reverse("attention")}"' not in client.get(reverse("my-work")).content.decode()


@pytest.mark.parametrize("count", [3, 30])
def test_r_u1_the_attention_page_queries_do_not_grow_with_rows(
    client: Client, org: Org, count: int, django_assert_max_num_queries: Any
) -> None:
    stalled(org, count)
    with time_machine.travel(dt.datetime(2026, 10, 9, 10, tzinfo=SHANGHAI), tick=False):
        client.force_login(org.office_supervisor)
        # session, user, calendar (2), rows, urges per unit, the header's unread notices
        # and unit
        with django_assert_max_num_queries(ATTENTION_QUERIES):
            page = client.get(reverse("attention")).content.decode()
    assert len(attention_rows(page, "no_progress")) == count


ATTENTION_QUERIES = 8


def test_r_u1_the_attention_rows_read_only_the_columns_the_page_shows(
    client: Client, org: Org
) -> None:
    """The rows' statement reads neither the items' long texts nor their other
    timestamps (up to 200 rows a page); each row still shows its number, title, unit,
    deadline and last feedback, with no query per row."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    items = stalled(org, 3)
    with time_machine.travel(dt.datetime(2026, 10, 9, 10, tzinfo=SHANGHAI), tick=False):
        client.force_login(org.office_supervisor)
        client.get(reverse("attention"))
        with CaptureQueriesContext(connection) as queries:
            page = client.get(reverse("attention")).content.decode()
    rows = [q["sql"] for q in queries.captured_queries if '"items_item"."title"' in q["sql"]]
    assert len(rows) == 1
    for column in ("content", "basis", "established_at", "created_at", "completed_at"):
        assert f'"items_item"."{column}"' not in rows[0], column
    assert len(queries.captured_queries) <= ATTENTION_QUERIES
    for item in items:
        row = re.search(rf'<tr data-item="{item.pk}">.*?</tr>', page, re.S)
        assert row, page
        for text in (item.ledger_number, item.title, item.lead_unit.name, str(item.deadline)):
            assert text in row.group(0), text


# ----------------------------------------------------------------------------- API


def test_r_u2_urge_through_the_api(client: Client, org: Org, assigned: Item) -> None:
    api = Api(client, org.office_supervisor)
    response = api.post(
        f"/items/{assigned.pk}/urge",
        {"channel": "phone", "recipient": org.lead_liaison.pk, "note": "电话催办"},
    )
    assert response.status_code == 200, response.content
    urges = response.json()["urges"]
    assert [
        {key: urge[key] for key in ("channel", "channel_label", "recipient", "urged_by", "note")}
        for urge in urges
    ] == [
        {
            "channel": "phone",
            "channel_label": "电话",
            "recipient": "周联络",
            "urged_by": "孙督办",
            "note": "电话催办",
        }
    ]
    assert urges[0]["automatic"] is False
    assert urges[0]["step"] == ""
    assert urges[0]["unit"] == {"id": org.lead_unit.pk, "name": "教务处"}


def test_r_u2_api_refusals_name_the_field_and_change_nothing(
    client: Client, org: Org, assigned: Item
) -> None:
    office = Api(client, org.office_supervisor)
    liaison = Api(client, org.lead_liaison)
    before = snapshot(assigned)
    body = assert_error(
        office.post(
            f"/items/{assigned.pk}/urge",
            {"channel": "phone", "recipient": org.cooperating_liaison.pk, "note": "x"},
        ),
        400,
        "invalid",
    )
    assert list(body["errors"]) == ["recipient"]
    body = assert_error(
        office.post(
            f"/items/{assigned.pk}/urge",
            {"channel": "fax", "recipient": org.lead_liaison.pk, "note": "x"},
        ),
        400,
        "invalid",
    )
    assert list(body["errors"]) == ["channel"]
    body = assert_error(
        office.post(
            f"/items/{assigned.pk}/urge", {"channel": "visit", "recipient": org.lead_liaison.pk}
        ),
        400,
        "invalid",
    )
    assert list(body["errors"]) == ["note"]
    body = assert_error(
        liaison.post(
            f"/items/{assigned.pk}/urge",
            {"channel": "phone", "recipient": org.lead_head.pk, "note": "x"},
        ),
        403,
        "forbidden",
    )
    assert body["message"] == "只有本事项的督办部门督办员可以催办。"
    assert snapshot(assigned) == before
