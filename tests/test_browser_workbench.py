"""The workbench in a real browser (Debian's Chromium via Playwright), at 1366 px and
375 px: each decision's form and the material it decides on are in one card at the top
of the item page, and what cannot be undone asks for confirmation first.

Screenshots of each page go to $DUBAN_SCREENSHOTS (default: the temporary directory);
`DUBAN_SCREENSHOTS=docs/screenshots` refreshes the ones the README shows.

The file is named to run right after tests/test_browser.py, before the transactional
tests that flush the database without `serialized_rollback`.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from pathlib import Path
from typing import Any

import pytest

from duban.items import actions
from duban.items.models import Item
from duban.items.states import Status
from tests.conftest import Org, advance, establish
from tests.test_browser import (  # noqa: F401 - the fixtures
    CHROMIUM,
    allow_database_calls_beside_playwright,
    browser,
    sign_in,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed"),
]

WIDTHS = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 375, "height": 740}}
SHOTS = Path(os.environ.get("DUBAN_SCREENSHOTS") or tempfile.gettempdir())


def shoot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def open_card(browser: Any, base: str, username: str, item: Item, width: str) -> Any:
    """The item page as `username` sees it; asserts the card opens the page's content."""
    from playwright.sync_api import expect

    page = sign_in(browser, base, username, viewport=WIDTHS[width])
    page.goto(f"{base}/items/{item.pk}/")
    card = page.locator("#workbench")
    expect(card).to_be_visible()
    card_box, facts_box = card.bounding_box(), page.locator("#details").bounding_box()
    assert card_box is not None and facts_box is not None
    assert card_box["y"] < facts_box["y"]  # what to do comes before the facts
    # At the top: nothing but the header and the item's title above it.
    title_box = page.locator(".item-head").bounding_box()
    assert title_box is not None
    assert card_box["y"] - (title_box["y"] + title_box["height"]) < 80
    return page


def within(page: Any, selector: str) -> None:
    """`selector` is inside the first card."""
    assert page.locator(f"#workbench {selector}").count() >= 1, selector


def confirm(page: Any, says: str) -> None:
    from playwright.sync_api import expect

    expect(page.locator("#confirm h1")).to_contain_text("请确认")
    expect(page.locator("#confirm-says")).to_contain_text(says)
    page.locator("#confirm button[type=submit]").click()


@pytest.mark.parametrize("width", list(WIDTHS))
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_head_confirms_a_report_beside_it(
    org: Org, live_server: Any, browser: Any, width: str
) -> None:
    from playwright.sync_api import expect

    item = advance(org, establish(org), Status.IN_PROGRESS)
    actions.report_contribution(org.cooperating_liaison, item, "人事处已完成师资调配。")
    actions.draft_completion_report(org.lead_liaison, item, "培养方案已修订完成并印发。")
    page = open_card(browser, live_server.url, "lead_head", item, width)
    within(page, "#material-report >> text=培养方案已修订完成并印发。")
    within(page, "#material-report >> text=人事处已完成师资调配。")
    within(page, 'form[data-action="confirm_report"]')
    shoot(page, f"item-head-confirms-{width}")
    page.locator('#workbench form[data-action="confirm_report"] button[type=submit]').click()
    assert Item.objects.get(pk=item.pk).status == Status.IN_PROGRESS  # not yet
    confirm(page, "确认教务处的办结报告")
    expect(page.locator(".message--success")).to_have_text("已确认，办结报告已报送督办部门。")
    assert Item.objects.get(pk=item.pk).status == Status.SUBMITTED


@pytest.mark.parametrize("width", list(WIDTHS))
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_office_reviews_a_report_beside_it(
    org: Org, live_server: Any, browser: Any, width: str
) -> None:
    from playwright.sync_api import expect

    item = advance(org, establish(org), Status.SUBMITTED)
    page = open_card(browser, live_server.url, "office_supervisor", item, width)
    within(page, "#material-report >> text=已完成全部工作")
    within(page, 'form[data-action="accept_report"]')
    within(page, 'form[data-action="return_report"]')
    shoot(page, f"item-office-reviews-{width}")
    page.locator('#workbench form[data-action="accept_report"] button[type=submit]').click()
    # The confirmation page, loaded before going back (going back while it loads
    # races the browser's own navigation).
    expect(page.locator("#confirm-says")).to_contain_text("将审核通过教务处的办结报告")
    assert Item.objects.get(pk=item.pk).status == Status.SUBMITTED  # not yet
    page.go_back()  # 取消: nothing happened
    expect(page.locator("#item-status")).to_have_text("已报结")
    page.locator('#workbench form[data-action="accept_report"] button[type=submit]').click()
    confirm(page, "将审核通过教务处的办结报告")
    expect(page.locator(".message--success")).to_have_text("审核通过，事项已办结。")
    assert Item.objects.get(pk=item.pk).status == Status.COMPLETED


@pytest.mark.parametrize("width", list(WIDTHS))
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_leader_decides_an_extension_beside_the_request(
    org: Org, live_server: Any, browser: Any, width: str
) -> None:
    from playwright.sync_api import expect

    item = advance(org, establish(org), Status.IN_PROGRESS)
    asked = item.deadline + dt.timedelta(days=150)  # beyond 3 months: the leader decides
    actions.request_extension(
        org.lead_liaison, item, requested_deadline=asked, reason="需等待上级文件"
    )
    page = open_card(browser, live_server.url, "leader_in_charge", item, width)
    within(page, f"#material-extension >> text={asked.isoformat()}")
    within(page, f"#material-extension >> text={item.deadline.isoformat()}")
    within(page, "#material-extension >> text=需等待上级文件")
    within(page, 'form[data-action="decide_extension"]')
    shoot(page, f"item-leader-decides-{width}")
    form = page.locator('#workbench form[data-action="decide_extension"]')
    form.locator('input[value="approve"]').check()
    form.locator("button[type=submit]").click()
    expect(page.locator(".message--success")).to_contain_text("已批准延期")
    assert Item.objects.get(pk=item.pk).deadline == asked


@pytest.mark.parametrize("width", list(WIDTHS))
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_liaison_records_the_first_plan_from_the_card(
    org: Org, live_server: Any, browser: Any, width: str
) -> None:
    from playwright.sync_api import expect

    item = advance(org, establish(org), Status.IN_PROGRESS)
    page = open_card(browser, live_server.url, "lead_liaison", item, width)
    within(page, 'form[data-action="record_plan"]')
    expect(page.locator("#workbench-says")).to_contain_text("请填报工作计划")
    shoot(page, f"item-liaison-plans-{width}")
    form = page.locator('#workbench form[data-action="record_plan"]')
    form.locator('[name="goals"]').fill("完成培养方案修订并报审")
    form.locator('[name="milestone_title_1"]').fill("形成初稿")
    form.locator('[name="milestone_due_1"]').fill(item.deadline.isoformat())
    form.locator("button[type=submit]").click()
    expect(page.locator(".message--success")).to_have_text("工作计划已保存。")
    # The next step is the progress report; the plan, to edit, is under 更多操作, filled in.
    within(page, 'form[data-action="submit_feedback"]')
    page.locator("#more-actions > summary").click()
    page.locator("#more-record_plan > summary").click()
    expect(page.locator('form[data-action="record_plan"] [name="goals"]')).to_have_value(
        "完成培养方案修订并报审"
    )


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_assigning_and_terminating_ask_first(org: Org, live_server: Any, browser: Any) -> None:
    from playwright.sync_api import expect

    item = establish(org)
    page = open_card(browser, live_server.url, "office_supervisor", item, "desktop")
    form = page.locator('#workbench form[data-action="assign"]')
    form.locator('[name="instruction"]').fill("请本周内召开专题会。")
    form.locator("button[type=submit]").click()
    expect(page.locator("#confirm")).to_contain_text("请本周内召开专题会。")
    assert Item.objects.get(pk=item.pk).status == Status.ESTABLISHED
    confirm(page, "将把本事项交办给教务处")
    expect(page.locator(".message--success")).to_have_text("已交办给教务处。")

    page.locator("#more-actions > summary").click()
    page.locator("#more-terminate > summary").click()
    form = page.locator('form[data-action="terminate"]')
    form.locator('input[name="decision_kind"][value="leader"]').check()
    form.locator('[name="leader"]').select_option(label="王校长")
    form.locator('[name="basis"]').fill("王校长批示")
    form.locator('[name="reason"]').fill("上级已撤销该项工作")
    form.locator("button[type=submit]").click()
    expect(page.locator("#confirm-says")).to_contain_text("将终止本事项")
    assert Item.objects.get(pk=item.pk).status == Status.ASSIGNED
    page.locator("#confirm button[type=submit]").click()
    expect(page.locator("#item-status")).to_have_text("已终止")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_filing_a_volume_lists_what_it_files_first(
    org: Org, live_server: Any, browser: Any
) -> None:
    from playwright.sync_api import expect

    done = [advance(org, establish(org, title=f"事项{n}"), Status.COMPLETED) for n in range(3)]
    page = sign_in(browser, live_server.url, "office_supervisor", viewport=WIDTHS["desktop"])
    page.goto(f"{live_server.url}/documents/volumes/")
    page.locator("form.stack button[type=submit]").click()
    expect(page.locator("#confirm-says")).to_contain_text("将把以下3项")
    expect(page.locator("#confirm-items tbody tr")).to_have_count(3)
    assert {Item.objects.get(pk=i.pk).status for i in done} == {Status.COMPLETED}
    page.locator("#confirm button[type=submit]").click()
    expect(page.locator(".message--success")).to_contain_text("已立卷")
    assert {Item.objects.get(pk=i.pk).status for i in done} == {Status.ARCHIVED}
