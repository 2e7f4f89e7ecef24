"""The ledger's batch urge in a real browser (Debian's Chromium via Playwright): the
office supervisor ticks two rows of the ledger, runs 批量催办 and reads the report."""

from __future__ import annotations

from typing import Any

import pytest

from duban.items.models import Urge
from tests.conftest import Org, advance, establish
from tests.test_browser import (  # the same fixtures and sign-in as the item walk
    BROWSER_MARKS,
    allow_database_calls_beside_playwright,  # noqa: F401
    browser,  # noqa: F401
    sign_in,
)

pytestmark = BROWSER_MARKS


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_office_supervisor_urges_two_ticked_rows_and_sees_the_report(
    org: Org,
    live_server: Any,
    browser: Any,  # noqa: F811
):
    from playwright.sync_api import expect

    first = advance(org, establish(org, title="建设智慧教室"), "in_progress")
    second = advance(org, establish(org, title="修订培养方案"), "assigned")
    untouched = advance(org, establish(org, title="不催办的事项"), "assigned")

    page = sign_in(
        browser, live_server.url, "office_supervisor", viewport={"width": 1366, "height": 900}
    )
    page.goto(f"{live_server.url}/items/?sort=deadline")
    expect(page.locator("#ledger-table tbody tr")).to_have_count(3)
    expect(page.locator('#ledger-table th[aria-sort="ascending"]')).to_contain_text("办结时限")
    page.get_by_label(f"选择{first.ledger_number}").check()
    page.get_by_label(f"选择{second.ledger_number}").check()
    page.fill("#id_bulk_note", "请本周内反馈进展")
    page.click('#bulk-form button[value="urge"]')

    expect(page.locator("main h1")).to_have_text("批量催办结果")
    expect(page.locator("#bulk-summary")).to_have_text("已办理 2 项，未办理 0 项。")
    rows = page.locator("#bulk-report tbody tr")
    expect(rows).to_have_count(2)
    for item in (first, second):
        row = page.locator(f'#bulk-report tr[data-item="{item.pk}"]')
        expect(row).to_contain_text(item.ledger_number)
        expect(row).to_contain_text("已通过系统通知催办教务处联络员周联络。")
    assert sorted(Urge.objects.values_list("item_id", "channel", "note")) == sorted(
        [(first.pk, "system", "请本周内反馈进展"), (second.pk, "system", "请本周内反馈进展")]
    )
    assert not Urge.objects.filter(item=untouched).exists()
    # Back to the ledger with the sort it came from.
    page.click("text=返回督办台账")
    expect(page.locator('#ledger-table th[aria-sort="ascending"]')).to_contain_text("办结时限")
    page.context.close()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_large_export_shows_its_progress_and_then_its_download(
    org: Org,
    live_server: Any,
    browser: Any,  # noqa: F811
    settings: Any,
):
    import io

    from openpyxl import load_workbook
    from playwright.sync_api import expect

    from duban.ledger.exporting import write_export
    from duban.ledger.models import LedgerExport

    settings.LEDGER_EXPORT_DIRECT_ROWS = 1
    titles = ["建设智慧教室", "修订培养方案", "完善实验室安全制度"]
    for title in titles:
        establish(org, title=title)

    page = sign_in(
        browser, live_server.url, "office_supervisor", viewport={"width": 1366, "height": 900}
    )
    page.goto(f"{live_server.url}/items/")
    page.click("#ledger-export")
    expect(page.locator("#export-start")).to_contain_text("符合条件的事项共 3 项")
    page.click("text=开始生成")
    expect(page.locator("#export-progress")).to_contain_text("排队等待生成")

    write_export.call(LedgerExport.objects.get().pk)  # as the worker runs it
    # The page asks for its progress by itself and shows the download when it is done.
    expect(page.locator("#export-download")).to_be_visible(timeout=10_000)
    expect(page.locator("#export-progress")).to_contain_text("已生成，共 3 项")
    with page.expect_download() as download_info:
        page.click("#export-download")
    path = download_info.value.path()
    with open(path, "rb") as file:
        sheet = load_workbook(io.BytesIO(file.read())).worksheets[0]
    exported = sorted(row[8] for row in sheet.iter_rows(min_row=4, values_only=True))
    assert exported == sorted(titles)
    page.context.close()
