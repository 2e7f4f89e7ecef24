"""One real-browser walk through an item's happy path (Debian's Chromium via Playwright).

The office supervisor establishes a meeting item through the form and assigns it; the
lead liaison signs for it and reports progress; the cooperating liaison reports its
part; the lead liaison drafts the completion report; the head confirms it; the office
accepts it, and the item page shows 已办结. Each person has a browser context of their
own, as they would have a browser of their own.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connections

from duban import clock
from duban.items.models import Item, Notice
from duban.items.states import Status
from tests.conftest import PASSWORD, Org

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# /tmp/duban-item.png on Debian: a look at the finished item page, kept after the run.
SCREENSHOT = Path(tempfile.gettempdir()) / "duban-item.png"
PHONE_SCREENSHOT = Path(tempfile.gettempdir()) / "duban-item-phone.png"

# The marks of every test that drives Chromium (this module's and the other browser
# tests', which import it): selectable with `-m browser`, skipped without chromium.
BROWSER_MARKS = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="Debian's chromium is not installed at /usr/bin/chromium (run `make browser-deps`)",
    ),
]
pytestmark = BROWSER_MARKS


@pytest.fixture(autouse=True)
def allow_database_calls_beside_playwright(monkeypatch: pytest.MonkeyPatch) -> None:
    # Playwright's sync API runs its own event loop in this thread; Django refuses
    # database calls where a loop runs unless told that this is deliberate.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
            # While Playwright's loop runs, Django keeps database connections per async
            # context (asgiref's Local), so this test's own queries got a connection
            # of their own: close it, or the test database cannot be dropped.
            connections.close_all()


def sign_in(browser: Any, base_url: str, username: str, **context_options: Any) -> Any:
    from playwright.sync_api import expect

    context = browser.new_context(locale="zh-CN", **context_options)
    page = context.new_page()
    page.goto(f"{base_url}/login/")
    expect(page.locator("h1")).to_have_text("登录督办系统")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("form button[type=submit]")
    expect(page.locator("main h1")).to_have_text("我的工作")
    return page


# What cannot be undone asks for confirmation on a page of its own first.
CONFIRMED_ACTIONS = ("assign", "confirm_report", "accept_report", "return_report", "terminate")


def act(page: Any, action: str, message: str, **fields: str) -> None:
    """Fill the action's form on the item page, submit it (confirming, where the page
    asks), and expect its message."""
    from playwright.sync_api import expect

    form = page.locator(f'form[data-action="{action}"]')
    if not form.is_visible():  # under 更多操作
        page.locator("#more-actions > summary").click()
        page.locator(f"#more-{action} > summary").click()
    for name, value in fields.items():
        form.locator(f'[name="{name}"]').fill(value)
    form.locator("button[type=submit]").click()
    if action in CONFIRMED_ACTIONS:
        expect(page.locator("#confirm h1")).to_contain_text("请确认")
        page.locator("#confirm button[type=submit]").click()
    expect(page.locator(".message--success")).to_have_text(message)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_item_from_establishment_to_completion_in_chromium(
    org: Org, live_server: Any, browser: Any
):
    from playwright.sync_api import expect

    base = live_server.url

    # The office supervisor establishes a meeting item through the form.
    office = sign_in(browser, base, "office_supervisor", viewport={"width": 1280, "height": 900})
    office.click("nav >> text=新建立项")
    expect(office.locator("main h1")).to_have_text("新建立项")
    # Only the chosen kind's fieldset shows (the page's own script).
    expect(office.locator('fieldset[data-kind="meeting"]')).to_be_visible()
    expect(office.locator('fieldset[data-kind="other"]')).to_be_hidden()
    office.check('input[name="source_kind"][value="other"]')
    expect(office.locator('fieldset[data-kind="other"]')).to_be_visible()
    expect(office.locator('fieldset[data-kind="meeting"]')).to_be_hidden()
    office.check('input[name="source_kind"][value="meeting"]')
    office.select_option("#id_source_body", "president_meeting")
    office.fill("#id_title", "建设智慧教室")
    office.fill("#id_content", "完成50间智慧教室改造，秋季学期投入使用。")
    office.fill("#id_basis", "校长办公会纪要〔2026〕第30期")
    office.select_option("#id_lead_unit", label="教务处")
    office.get_by_label("人事处").check()
    office.fill("#id_minutes_issued_on", clock.today().isoformat())
    office.click("form[data-source-kinds] button[type=submit]")
    expect(office.locator(".message--success")).to_contain_text("已立项")
    item = Item.objects.get()
    item_url = f"{base}/items/{item.pk}/"
    assert office.url == item_url
    act(office, "assign", "已交办给教务处。")

    # The lead liaison reads the notice (an htmx partial update), signs for, reports.
    lead = sign_in(browser, base, "lead_liaison", viewport={"width": 1280, "height": 900})
    expect(lead.locator("#unread-badge")).to_have_text("1")
    # The header's dropdown shows the latest notices; its link leads to the inbox.
    lead.click("#notice-menu > summary")
    expect(lead.locator("#notice-menu-list")).to_contain_text("新交办督办事项：建设智慧教室")
    lead.click("#notice-menu >> text=查看全部通知")
    notice = Notice.objects.get(recipient=org.lead_liaison)
    row = lead.locator(f"#notice-{notice.pk}")
    expect(row).to_contain_text("新交办督办事项：建设智慧教室")
    row.locator("button[type=submit]").click()
    expect(row).to_contain_text("已读")
    expect(lead.locator("#unread-badge")).to_be_hidden()
    assert lead.url == f"{base}/inbox/"  # swapped in place, no page load
    lead.goto(item_url)
    act(lead, "sign_for", "已签收，事项进入办理。")
    act(lead, "submit_feedback", "进展已反馈。", text="已完成20间教室改造。")

    # The cooperating liaison reports its part to the lead unit.
    cooperating = sign_in(browser, base, "cooperating_liaison")
    cooperating.goto(item_url)
    act(cooperating, "report_contribution", "配合情况已报送承办单位。", text="已调配维护人员。")

    # The lead liaison drafts the completion report; the head confirms it.
    lead.goto(item_url)
    act(
        lead,
        "draft_completion_report",
        "办结报告已提交，待第一责任人确认。",
        text="50间智慧教室全部完成改造并投入使用。",
    )
    head = sign_in(browser, base, "lead_head")
    head.goto(item_url)
    act(head, "confirm_report", "已确认，办结报告已报送督办部门。")

    # The office accepts; the item is completed.
    office.goto(item_url)
    expect(office.locator("#item-status")).to_have_text("已报结")
    act(office, "accept_report", "审核通过，事项已办结。")
    expect(office.locator("#item-status")).to_have_text("已办结")
    expect(office.locator("#feedback")).to_contain_text("已调配维护人员。")
    expect(office.locator("#timeline")).to_contain_text("审核通过，事项办结")
    office.screenshot(path=str(SCREENSHOT), full_page=True)

    phone = sign_in(browser, base, "lead_liaison", viewport={"width": 375, "height": 740})
    phone.goto(item_url)
    expect(phone.locator("#item-status")).to_have_text("已办结")
    phone.screenshot(path=str(PHONE_SCREENSHOT), full_page=True)

    item.refresh_from_db()
    assert item.status == Status.COMPLETED
    assert SCREENSHOT.stat().st_size > 0
