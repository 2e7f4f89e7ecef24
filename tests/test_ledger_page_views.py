"""我的视图 (issue 9, part 5): each person saves the ledger's current filters under a
name, opens and deletes them; nobody sees or deletes another person's views."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from duban.web.models import SavedView
from duban.web.saved_views import VIEW_LIMIT, save_view
from tests.conftest import Org, advance, establish
from tests.test_pages import html, ledger_numbers, signed_in

pytestmark = pytest.mark.django_db

SAVE = "/items/views/"


def views_of(user) -> list[tuple[str, str]]:
    return list(SavedView.objects.filter(owner=user).values_list("name", "query"))


def test_a_view_saves_the_ledgers_filters_and_opens_them(client: Client, org: Org):
    assigned = advance(org, establish(org, title="已交办事项"), "assigned")
    establish(org, title="待交办事项")
    signed_in(client, org.office_supervisor)
    response = client.post(
        SAVE,
        {
            "name": " 已交办 ",
            # The page number and anything the ledger does not read are not kept.
            "query": "status=assigned&page=3&sort=-deadline&per_page=50&evil=1&q=",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == "/items/?status=assigned&sort=-deadline&per_page=50"
    assert views_of(org.office_supervisor) == [
        ("已交办", "status=assigned&sort=-deadline&per_page=50")
    ]
    page = html(client.get(response["Location"]))
    assert "已保存视图“已交办”。" in page
    assert '<a href="/items/?status=assigned&amp;sort=-deadline&amp;per_page=50">已交办</a>' in page
    assert ledger_numbers(page) == [assigned.ledger_number]


def test_saving_under_the_same_name_replaces_the_view(client: Client, org: Org):
    signed_in(client, org.office_supervisor)
    client.post(SAVE, {"name": "本月", "query": "status=assigned"})
    response = client.post(SAVE, {"name": "本月", "query": "light=red"}, follow=True)
    assert "已更新视图“本月”。" in html(response)
    assert views_of(org.office_supervisor) == [("本月", "light=red")]


@pytest.mark.parametrize(
    ("name", "query", "message"),
    [
        ("", "status=assigned", "请填写视图名称。"),
        ("   ", "status=assigned", "请填写视图名称。"),
        ("名" * 41, "status=assigned", "视图名称最多40个字。"),
        ("很长", "q=" + "长" * 400, "筛选条件过长，无法保存为视图。"),
    ],
)
def test_a_bad_view_is_refused_in_chinese_and_nothing_is_saved(
    client: Client, org: Org, name: str, query: str, message: str
):
    response = signed_in(client, org.lead_liaison).post(
        SAVE, {"name": name, "query": query}, follow=True
    )
    assert response.status_code == 200
    assert message in html(response)
    assert SavedView.objects.count() == 0


def test_a_person_keeps_at_most_20_views(client: Client, org: Org):
    for n in range(VIEW_LIMIT):
        save_view(org.lead_liaison, f"视图{n:02d}", "status=assigned")
    response = signed_in(client, org.lead_liaison).post(
        SAVE, {"name": "第21个", "query": "light=red"}, follow=True
    )
    assert "最多保存20个视图，请先删除不再使用的视图。" in html(response)
    assert SavedView.objects.filter(owner=org.lead_liaison).count() == VIEW_LIMIT
    assert not SavedView.objects.filter(name="第21个").exists()
    # Replacing one of the 20 is still allowed.
    client.post(SAVE, {"name": "视图00", "query": "light=red"})
    assert SavedView.objects.get(owner=org.lead_liaison, name="视图00").query == "light=red"


def test_only_the_owner_sees_and_deletes_a_view(client: Client, org: Org):
    mine = save_view(org.lead_liaison, "我的超期事项", "overdue=yes").view
    other = html(signed_in(client, org.office_supervisor).get(reverse("ledger")))
    assert "我的超期事项" not in other
    assert "还没有保存的视图" in other
    # Another person's view answers like a missing one, and stays.
    response = client.post(f"/items/views/{mine.pk}/delete/")
    assert response.status_code == 404
    assert client.post("/items/views/999999/delete/").status_code == 404
    assert SavedView.objects.filter(pk=mine.pk).exists()

    own = html(signed_in(client, org.lead_liaison).get(reverse("ledger")))
    assert "我的超期事项" in own
    assert f'action="/items/views/{mine.pk}/delete/"' in own
    deleted = client.post(f"/items/views/{mine.pk}/delete/", follow=True)
    assert "已删除视图“我的超期事项”。" in html(deleted)
    assert not SavedView.objects.filter(pk=mine.pk).exists()


def test_the_save_form_carries_the_current_query(client: Client, org: Org):
    page = html(signed_in(client, org.lead_liaison).get(reverse("ledger"), {"status": "assigned"}))
    assert '<input type="hidden" name="query" value="status=assigned">' in page


def test_views_need_a_post_and_a_signed_in_person(client: Client, org: Org):
    assert client.post(SAVE, {"name": "x", "query": ""}).status_code == 302
    assert SavedView.objects.count() == 0
    assert signed_in(client, org.lead_liaison).get(SAVE).status_code == 405
