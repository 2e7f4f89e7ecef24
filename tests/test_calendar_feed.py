"""Each person's calendar feed, /calendar/<token>.ics: made, shown once, revoked on the
通知设置 page; read with Python's icalendar; visibility as everywhere (R-C5)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from icalendar import Calendar

from duban.audit.models import AuditEvent
from duban.items import actions
from duban.items.actions.core import MilestoneInput
from duban.items.models import Item
from duban.items.states import ACTIVE_STATUSES, Status
from duban.notify import actions as notify_actions
from duban.notify import calendar_feed
from duban.notify.models import CalendarFeed
from duban.organisation.models import User
from tests.conftest import PASSWORD, Org, advance, establish

SITE = "https://duban.example.edu.cn"
# The feed's owner, the items, the milestones: whatever the number of rows.
FEED_QUERIES = 3


@pytest.fixture(autouse=True)
def site(settings: Any) -> None:
    settings.SITE_URL = SITE


def fetch(client: Client, token: str) -> Any:
    return client.get(reverse("calendar-feed", args=[token]))


def events(body: bytes) -> dict[str, Any]:
    calendar = Calendar.from_ical(body)
    return {str(event["UID"]): event for event in calendar.walk("VEVENT")}


def deadline_uid(item: Item) -> str:
    return f"item-{item.pk}-deadline@duban.example.edu.cn"


def some_items(org: Org) -> dict[str, Item]:
    """Items the lead unit's liaison may see, and some they may not."""
    return {
        "led": establish(org),
        "sensitive_led": establish(org, title="信访件办理", confidentiality="sensitive"),
        "other_unit": establish(
            org, title="财务报销制度修订", lead_unit=org.other_unit, cooperating_units=[]
        ),
        "sensitive_cooperated": establish(
            org,
            title="人事信访件",
            lead_unit=org.other_unit,
            cooperating_units=[org.cooperating_unit],
            confidentiality="sensitive",
        ),
    }


def test_jwc_liaison_feed_has_one_event_per_visible_deadline(org: Org):
    items = some_items(org)
    in_progress = advance(org, items["led"], Status.IN_PROGRESS)
    actions.record_plan(
        org.lead_liaison,
        in_progress,
        "按期完成修订",
        [
            MilestoneInput("形成初稿", in_progress.deadline - dt.timedelta(days=5)),
            MilestoneInput("征求意见", in_progress.deadline - dt.timedelta(days=2)),
        ],
    )
    token = notify_actions.create_calendar_feed(org.lead_liaison)

    response = fetch(Client(), token)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    found = events(response.content)
    visible = Item.objects.visible_to(org.lead_liaison).filter(status__in=ACTIVE_STATUSES)
    assert {items["led"].pk, items["sensitive_led"].pk} == set(visible.values_list("pk", flat=True))
    deadlines = {uid: event for uid, event in found.items() if "-deadline@" in uid}
    assert set(deadlines) == {deadline_uid(item) for item in visible}
    for key in ("other_unit", "sensitive_cooperated"):
        assert deadline_uid(items[key]) not in found
        assert items[key].title not in response.content.decode()
    led = deadlines[deadline_uid(items["led"])]
    assert str(led["SUMMARY"]) == "【办结时限】修订本科生培养方案"
    assert led.decoded("DTSTART") == items["led"].deadline
    assert led.decoded("DTEND") == items["led"].deadline + dt.timedelta(days=1)
    assert str(led["URL"]) == f"{SITE}/items/{items['led'].pk}/"
    assert f"台账编号：{items['led'].ledger_number}" in str(led["DESCRIPTION"])
    # The current plan's milestones, each linking back to its item.
    milestones = sorted(
        (event.decoded("DTSTART"), str(event["SUMMARY"]), str(event["URL"]))
        for uid, event in found.items()
        if uid.startswith("milestone-")
    )
    link = f"{SITE}/items/{items['led'].pk}/"
    assert milestones == [
        (in_progress.deadline - dt.timedelta(days=5), "【计划节点】形成初稿", link),
        (in_progress.deadline - dt.timedelta(days=2), "【计划节点】征求意见", link),
    ]


def test_the_feed_reflects_changes_at_every_fetch(org: Org):
    token = notify_actions.create_calendar_feed(org.lead_liaison)
    client = Client()
    assert events(fetch(client, token).content) == {}
    item = establish(org)
    assert set(events(fetch(client, token).content)) == {deadline_uid(item)}
    # A recusal hides the item at once (R-C4).
    actions.declare_recusal(
        org.office_supervisor, item, person=org.lead_liaison, reason="近亲属在承办单位"
    )
    assert events(fetch(client, token).content) == {}


def test_r_c5_the_feed_query_count_does_not_grow_with_its_rows(org: Org):
    token = notify_actions.create_calendar_feed(org.lead_liaison)
    client = Client()
    establish(org)
    with CaptureQueriesContext(connection) as few:
        assert len(events(fetch(client, token).content)) == 1
    for n in range(8):
        establish(org, title=f"事项{n}")
    with CaptureQueriesContext(connection) as many:
        assert len(events(fetch(client, token).content)) == 9
    assert len(many.captured_queries) == len(few.captured_queries) <= FEED_QUERIES


def test_a_revoked_or_replaced_token_answers_404(org: Org):
    client = Client()
    first = notify_actions.create_calendar_feed(org.lead_liaison)
    second = notify_actions.create_calendar_feed(org.lead_liaison)
    assert fetch(client, first).status_code == 404
    assert fetch(client, second).status_code == 200
    notify_actions.revoke_calendar_feed(org.lead_liaison)
    assert fetch(client, second).status_code == 404
    assert fetch(client, "not-a-token").status_code == 404
    assert [event.verb for event in AuditEvent.objects.order_by("sequence")][-3:] == [
        "create_calendar_feed",
        "create_calendar_feed",
        "revoke_calendar_feed",
    ]


def test_only_the_tokens_hash_is_stored(org: Org):
    token = notify_actions.create_calendar_feed(org.lead_liaison)
    feed = CalendarFeed.objects.get(user=org.lead_liaison)
    assert feed.token_hash == calendar_feed.token_hash(token) != token
    assert len(token) >= 43
    assert token not in str(list(CalendarFeed.objects.values()))
    assert token not in str(list(AuditEvent.objects.values()))


def test_a_person_no_longer_active_has_no_feed(org: Org):
    token = notify_actions.create_calendar_feed(org.lead_liaison)
    User.objects.filter(pk=org.lead_liaison.pk).update(is_active=False)
    assert fetch(Client(), token).status_code == 404


# ----------------------------------------------------------------------------- the page


def logged_in(person: User) -> Client:
    client = Client()
    assert client.login(username=person.username, password=PASSWORD)
    return client


def test_the_page_shows_the_url_once_and_revokes_it(org: Org):
    client = logged_in(org.lead_liaison)
    page = client.get(reverse("notify-preferences")).content.decode()
    assert "您尚未生成日历订阅地址。" in page
    assert "生成订阅地址" in page

    response = client.post(reverse("notify-calendar-create"))
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    page = response.content.decode()
    assert "已生成新的日历订阅地址" in page
    (url,) = re.findall(r'value="(https://duban\.example\.edu\.cn/calendar/[^"]+\.ics)"', page)
    token = url.rsplit("/", 1)[1].removesuffix(".ics")
    assert fetch(Client(), token).status_code == 200

    # Shown once: the next visit tells that there is one, not what it is.
    page = client.get(reverse("notify-preferences")).content.decode()
    assert token not in page
    assert "您已于" in page
    assert "重新生成地址" in page

    response = client.post(reverse("notify-calendar-revoke"))
    assert response.status_code == 302
    page = client.get(reverse("notify-preferences")).content.decode()
    assert "日历订阅地址已停用，日历软件将无法再读取。" in page
    assert fetch(Client(), token).status_code == 404


def test_revoking_without_a_url_is_refused_and_changes_nothing(org: Org):
    client = logged_in(org.lead_liaison)
    before = AuditEvent.objects.count()
    response = client.post(reverse("notify-calendar-revoke"), follow=True)
    assert "您还没有日历订阅地址，无需停用。" in response.content.decode()
    assert AuditEvent.objects.count() == before
    assert not CalendarFeed.objects.exists()


def test_the_calendar_pages_need_login_and_csrf(org: Org):
    anonymous = Client()
    for name in ("notify-calendar-create", "notify-calendar-revoke"):
        response = anonymous.post(reverse(name))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    strict = Client(enforce_csrf_checks=True)
    strict.login(username=org.lead_liaison.username, password=PASSWORD)
    assert strict.post(reverse("notify-calendar-create")).status_code == 403
    assert not CalendarFeed.objects.exists()
    # The feed itself takes no session and changes nothing: GET only.
    token = notify_actions.create_calendar_feed(org.lead_liaison)
    assert anonymous.post(reverse("calendar-feed", args=[token])).status_code == 405
