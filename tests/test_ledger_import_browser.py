"""The ledger import page in a real browser (Debian's Chromium via Playwright): the
office supervisor uploads a file that a worker checks, watches the check's progress,
reads the report, confirms, and watches the import to its end — the page refreshing
itself, without script. The worker's tasks are run as a worker runs them (`.call`)."""

from __future__ import annotations

from typing import Any

import pytest

from duban.items.models import Item
from duban.ledger.models import ImportStatus, LedgerImport
from duban.ledger.tasks import check_import, run_import
from tests.conftest import Org
from tests.test_browser import (  # the same fixtures and sign-in as the item walk
    BROWSER_MARKS,
    allow_database_calls_beside_playwright,  # noqa: F401
    browser,  # noqa: F401
    sign_in,
)
from tests.test_ledger_import import workbook_bytes
from tests.test_ledger_import_scale import many_rows

pytestmark = BROWSER_MARKS

# The page refreshes itself every 3 seconds: a few refreshes at most.
REFRESHED = 10_000


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_office_supervisor_uploads_watches_the_check_then_the_import(
    org: Org,
    live_server: Any,
    browser: Any,  # noqa: F811
    settings: Any,
):
    from playwright.sync_api import expect

    settings.LEDGER_IMPORT_DIRECT_ROWS = 3  # the file's 8 rows go to the worker
    page = sign_in(
        browser, live_server.url, "office_supervisor", viewport={"width": 1366, "height": 900}
    )
    page.goto(f"{live_server.url}/ledger/import/")
    page.set_input_files(
        "#id_file",
        files=[
            {
                "name": "2026台账.xlsx",
                "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "buffer": workbook_bytes(many_rows(6)),
            }
        ],
    )
    page.click("#ledger-upload button[type=submit]")

    expect(page.locator("#check-progress")).to_contain_text("文件已上传，正在排队等待后台检查")
    expect(page.locator("#import-ready")).to_have_count(0)
    ledger_import = LedgerImport.objects.get()
    assert ledger_import.status == ImportStatus.CHECKING

    check_import.call(ledger_import.pk)  # as the worker runs it
    expect(page.locator("#import-ready")).to_contain_text(
        "检查通过：将导入 6 项督办事项。", timeout=REFRESHED
    )
    expect(page.locator("#check-progress")).to_have_count(0)
    expect(page.locator("#detected-mapping")).to_contain_text("识别到的列（表头在第2行）")
    expect(page.locator("#import-items tbody tr")).to_have_count(6)
    assert Item.objects.count() == 0

    page.click("#import-ready button[type=submit]")
    expect(page.locator("#import-progress")).to_contain_text("正在排队等待后台处理")
    run_import.call(ledger_import.pk)  # as the worker runs it
    expect(page.locator("#import-result")).to_contain_text(
        "已导入 6 项督办事项。", timeout=REFRESHED
    )
    assert Item.objects.count() == 6
    page.context.close()
