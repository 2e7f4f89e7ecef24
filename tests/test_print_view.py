"""The print view (issue 9, part 6): /items/<pk>/print/ shows any item the person may
see as a clean A4 page, with the dossier's content (duban.documents.dossiers); a
hidden item answers 404 (R-C5)."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.staticfiles import finders
from django.test import Client

from duban.audit.models import AuditEvent
from duban.documents import actions as documents
from duban.items import actions
from duban.items.models import Item
from tests.conftest import Org, advance, establish
from tests.test_pages import html, signed_in

pytestmark = pytest.mark.django_db


def print_url(item: Item) -> str:
    return f"/items/{item.pk}/print/"


@pytest.mark.parametrize(
    "who",
    ["office_supervisor", "lead_liaison", "lead_head", "cooperating_liaison", "leader_in_charge"],
)
def test_everyone_who_sees_an_item_prints_it(client: Client, org: Org, who: str):
    item = advance(org, establish(org), "in_progress")
    actions.submit_feedback(org.lead_liaison, item, "已完成方案初稿")
    actions.urge_item(
        org.office_supervisor,
        item,
        channel="phone",
        recipient=org.lead_liaison,
        note="电话催办进度",
    )
    response = signed_in(client, getattr(org, who)).get(print_url(item))
    assert response.status_code == 200
    page = html(response)
    assert f"<title>{item.ledger_number} {item.title} · 打印</title>" in page
    assert "<h1>督办事项办理情况</h1>" in page
    for section in ("一、事项基本信息", "二、办理过程", "四、反馈与办结报告", "五、催办记录"):
        assert section in page
    assert "已完成方案初稿" in page and "电话催办进度" in page
    assert '<th>承办单位</th><td class="text">教务处</td>' in page
    # A page of its own: no navigation, no forms, the print stylesheet.
    assert "<form" not in page
    assert "site-nav" not in page and "site-header" not in page
    assert 'href="/static/duban/print.css"' in page
    assert f'href="/items/{item.pk}/"' in page  # back to the item (hidden when printed)


def test_the_print_stylesheet_is_a4_without_the_toolbar():
    path = finders.find("duban/print.css")
    assert path
    css = open(path, encoding="utf-8").read()
    assert "@page { size: A4;" in css
    assert re.search(r"@media print \{\s*\.print-toolbar \{ display: none; \}", css)


@pytest.mark.parametrize("who", ["other_unit_liaison", "system_admin"])
def test_a_hidden_item_is_not_found(client: Client, org: Org, who: str):
    item = establish(org)
    response = signed_in(client, getattr(org, who)).get(print_url(item))
    assert response.status_code == 404
    assert item.title not in html(response)


def test_a_recused_person_and_a_missing_item_get_404(client: Client, org: Org):
    item = establish(org)
    actions.declare_recusal(
        org.office_supervisor, item, reason="本人亲属在承办单位", person=org.office_supervisor
    )
    signed_in(client, org.office_supervisor)
    assert client.get(print_url(item)).status_code == 404
    assert client.get("/items/999999/print/").status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(client: Client, org: Org):
    item = establish(org)
    response = client.get(print_url(item))
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_printing_a_sensitive_item_is_audited(client: Client, org: Org):
    item = establish(org, confidentiality="sensitive")
    response = signed_in(client, org.lead_liaison).get(print_url(item))
    assert response.status_code == 200
    event = AuditEvent.objects.get(verb="read_restricted", item=item)
    assert (event.actor_id, event.data) == (org.lead_liaison.pk, {"via": "打印页"})


def test_an_archived_item_prints_as_its_dossier(client: Client, org: Org):
    item = advance(org, establish(org), "completed")
    moment = dt.datetime(2026, 12, 20, 10, tzinfo=ZoneInfo("Asia/Shanghai"))
    with time_machine.travel(moment, tick=False):
        volume = documents.file_volume(org.office_supervisor, 2026)
    page = html(signed_in(client, org.lead_liaison).get(print_url(item)))
    assert "<h1>督办事项案卷</h1>" in page
    assert volume.title in page
    assert "已完成全部工作" in page  # the completion report


def test_print_queries_do_not_grow_with_the_items_history(
    client: Client, org: Org, django_assert_max_num_queries
):
    short = advance(org, establish(org, title="记录少的事项"), "in_progress")
    long = advance(org, establish(org, title="记录多的事项"), "in_progress")
    # One record of each kind on the short one (a prefetch runs only for rows found).
    actions.submit_feedback(org.lead_liaison, short, "一次进展")
    for n in range(8):
        actions.submit_feedback(org.lead_liaison, long, f"第{n}次进展")
        actions.urge_item(
            org.office_supervisor, long, channel="phone", recipient=org.lead_liaison, note=f"催{n}"
        )
    signed_in(client, org.office_supervisor)
    client.get(print_url(short))
    with django_assert_max_num_queries(PRINT_QUERIES) as short_queries:
        client.get(print_url(short))
    with django_assert_max_num_queries(PRINT_QUERIES) as long_queries:
        page = html(client.get(print_url(long)))
    assert len(long_queries.captured_queries) == len(short_queries.captured_queries)
    assert page.count("第7次进展") == 1


PRINT_QUERIES = 20
