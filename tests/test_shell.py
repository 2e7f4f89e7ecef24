"""The pages' shell: the header's search, notification dropdown and person menu, the
favicon, and the Chinese "not found" page in every mode."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from duban.items import actions
from duban.items.models import Notice
from duban.items.states import Status
from duban.organisation.models import Unit, User
from tests.conftest import Org, advance, establish

pytestmark = pytest.mark.django_db


def signed_in(client: Client, user: User) -> Client:
    client.force_login(user)
    return client


def test_every_page_has_the_search_the_notices_and_the_person_menu(
    client: Client, org: Org
) -> None:
    page = signed_in(client, org.lead_liaison).get(reverse("my-work")).content.decode()
    assert 'role="search" method="get" action="/items/"' in page
    assert 'id="notice-menu"' in page and "全部标为已读" in page and "查看全部通知" in page
    assert 'id="user-menu"' in page and "修改密码" in page and "退出" in page
    assert "data-menu-toggle" in page  # the phone's 菜单
    assert 'rel="icon"' in page


def test_the_global_search_finds_items_by_unit_name_and_alias_through_visibility(
    client: Client, org: Org
) -> None:
    mine = establish(org, title="修订培养方案")
    other = establish(org, title="编制年度预算", lead_unit=org.other_unit, cooperating_units=[])
    Unit.objects.filter(pk=org.other_unit.pk).update(aliases="计财处")
    advance(org, mine, Status.ASSIGNED)
    advance(org, other, Status.ASSIGNED)
    office = signed_in(client, org.office_supervisor)
    found = office.get(reverse("ledger"), {"q": "财务处"}).content.decode()
    assert "编制年度预算" in found and "修订培养方案" not in found
    found = office.get(reverse("ledger"), {"q": "计财处"}).content.decode()
    assert "编制年度预算" in found and "修订培养方案" not in found
    # The lead liaison of 教务处 may not see 财务处's item: the search keeps the rule.
    found = signed_in(client, org.lead_liaison).get(reverse("ledger"), {"q": "财务处"})
    assert "编制年度预算" not in found.content.decode()


def test_the_notification_dropdown_lists_the_latest_readable_notices(
    client: Client, org: Org
) -> None:
    item = advance(org, establish(org), Status.ASSIGNED)
    response = signed_in(client, org.lead_liaison).get(reverse("notice-menu"))
    assert response.status_code == 200
    assert "新交办督办事项：修订本科生培养方案" in response.content.decode()
    assert f'href="/items/{item.pk}/"' in response.content.decode()
    # Someone with no notices is told so.
    empty = signed_in(client, org.other_unit_liaison).get(reverse("notice-menu"))
    assert "暂无通知。" in empty.content.decode()


def test_marking_all_read_marks_only_ones_own_unread_notices(client: Client, org: Org) -> None:
    advance(org, establish(org), Status.ASSIGNED)
    advance(org, establish(org, title="第二项"), Status.ASSIGNED)
    own = Notice.objects.filter(recipient=org.lead_liaison)
    others = Notice.objects.exclude(recipient=org.lead_liaison)
    assert own.filter(read_at__isnull=True).count() == 2
    others_unread = others.filter(read_at__isnull=True).count()
    response = signed_in(client, org.lead_liaison).post(reverse("notices-read-all"))
    assert response.status_code == 302
    assert own.filter(read_at__isnull=True).count() == 0
    assert others.filter(read_at__isnull=True).count() == others_unread
    page = client.get(response["Location"]).content.decode()
    assert "已将2条通知标为已读。" in page
    again = client.post(reverse("notices-read-all"))
    assert "没有未读通知。" in client.get(again["Location"]).content.decode()
    # A GET changes nothing.
    assert client.get(reverse("notices-read-all")).status_code == 405


def test_marking_all_read_needs_a_signed_in_person(client: Client, org: Org) -> None:
    advance(org, establish(org), Status.ASSIGNED)
    response = client.post(reverse("notices-read-all"))
    assert response.status_code == 302 and reverse("login") in response["Location"]
    assert Notice.objects.filter(read_at__isnull=False).count() == 0


def test_the_favicon_is_served(client: Client) -> None:
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"].endswith(".ico")
    assert "favicon" in response["Location"]


@pytest.mark.parametrize("debug", [True, False])
def test_a_missing_page_is_chinese_in_every_mode(
    client: Client, org: Org, settings: Any, debug: bool
) -> None:
    settings.DEBUG = debug
    signed_in(client, org.lead_liaison)
    for path in ("/no-such-page/", "/items/999999/"):
        response = client.get(path)
        assert response.status_code == 404
        page = response.content.decode()
        assert "页面不存在" in page and "返回我的工作" in page
        assert "Page not found" not in page
    api = client.get("/api/v1/items/999999")
    assert api.status_code in (401, 404)
    assert api["Content-Type"].startswith("application/json")


def test_a_notice_of_an_item_no_longer_visible_is_not_in_the_dropdown(
    client: Client, org: Org
) -> None:
    item = advance(org, establish(org), Status.ASSIGNED)
    actions.return_item(org.lead_liaison, item, "不属于本单位职责")
    actions.reassign_item(
        org.office_supervisor, item, note="改由财务处办理", lead_unit=org.other_unit
    )
    menu = signed_in(client, org.lead_liaison).get(reverse("notice-menu")).content.decode()
    assert "修订本科生培养方案" not in menu
