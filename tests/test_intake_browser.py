"""Intake in a real browser (Debian's Chromium via Playwright, as tests/test_browser.py):
the office supervisor uploads minutes, edits one proposal, drops one, confirms, and
finds the items established with the minutes as their basis."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from duban import clock
from duban.intake.models import DocumentStatus, IntakeDocument
from duban.items.models import DeadlineRule, Item
from tests.conftest import Org
from tests.intake_documents import minutes_docx
from tests.test_browser import (  # the same fixtures and sign-in as the item walk
    BROWSER_MARKS,
    allow_database_calls_beside_playwright,  # noqa: F401
    browser,  # noqa: F401
    sign_in,
)

pytestmark = BROWSER_MARKS


def minutes_of_today() -> list[str]:
    """Minutes issued today, with deadlines that are never in the past."""
    today = clock.today()
    return [
        "校长办公会纪要",
        f"〔{today.year}〕第30期",
        f"{today.year}年{today.month}月{today.day}日，校长主持召开校长办公会。现纪要如下：",
        "一、会议审议通过《智慧教室建设方案》。由教务处牵头，人事处配合，年底前完成改造。",
        "二、会议同意启动新校区规划论证工作，两周内形成初步意见。",
        "三、会议决定对学生食堂进行改造，请财务处做好经费保障。",
        "出席：张校长",
    ]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_minutes_uploaded_edited_dropped_and_confirmed_in_chromium(
    org: Org,
    live_server: Any,
    browser: Any,  # noqa: F811
    tmp_path: Path,
):
    from playwright.sync_api import expect

    path = tmp_path / "校长办公会纪要第30期.docx"
    path.write_bytes(minutes_docx(minutes_of_today()))
    office = sign_in(
        browser, live_server.url, "office_supervisor", viewport={"width": 1280, "height": 900}
    )
    office.click("nav >> text=纪要立项")
    expect(office.locator("main h1")).to_have_text("纪要与工作要点立项")
    office.set_input_files("#id_file", str(path))
    office.select_option("#id_source_body", "president_meeting")
    office.fill("#id_issued_on", clock.today().isoformat())
    office.click("#intake-upload button[type=submit]")
    expect(office.locator(".message--success")).to_contain_text("识别出3项拟立项事项")
    year = clock.today().year
    expect(office.locator("main h1")).to_have_text(f"校长办公会纪要〔{year}〕第30期")
    document = IntakeDocument.objects.get()
    first, second, third = document.proposals.order_by("position")

    # Each proposal beside its source: the recognised words marked, the missing unit flagged.
    card = office.locator(f"#proposal-{first.pk}")
    expect(card.locator("mark.intake-mark--lead_unit")).to_have_text("由教务处牵头")
    expect(card.locator("mark.intake-mark--deadline")).to_have_text("年底前")
    second_card = office.locator(f"#proposal-{second.pk}")
    expect(second_card.locator(".intake-field--unrecognised")).to_be_visible()
    expect(second_card.locator(".intake-flags")).to_contain_text("未识别到承办单位")

    # Edit the second: give it its lead unit and a shorter title.
    prefix = f"#id_p{second.pk}"
    office.fill(f"{prefix}-title", "新校区规划论证")
    office.select_option(f"{prefix}-lead_unit", label="教务处")
    second_card.locator("form.intake-form button[type=submit]").click()
    expect(office.locator(".message--success")).to_have_text("已保存第二项。")

    # Drop the third.
    office.locator(f"#proposal-{third.pk} button[data-drop]").click()
    expect(office.locator(".message--success")).to_have_text("第三项已标记为不立项。")
    assert Item.objects.count() == 0  # nothing established before confirmation

    office.click("#confirm button[type=submit]")
    expect(office.locator(".message--success")).to_have_text("已确认立项2项督办事项。")
    expect(office.locator("#document-status")).to_contain_text("已确认立项")

    items = list(Item.objects.order_by("serial"))
    assert [item.title for item in items] == ["审议通过《智慧教室建设方案》", "新校区规划论证"]
    assert [item.lead_unit for item in items] == [org.lead_unit, org.lead_unit]
    assert [item.basis.split("；")[0] for item in items] == [
        f"校长办公会纪要〔{year}〕第30期第一项",
        f"校长办公会纪要〔{year}〕第30期第二项",
    ]
    assert all(item.deadline_rule == DeadlineRule.MINUTES_DEADLINE for item in items)
    document.refresh_from_db()
    assert document.status == DocumentStatus.CONFIRMED

    # The item page shows the minutes as its basis.
    office.locator(f"#proposal-{first.pk} a.intake-item-link").click()
    expect(office.locator("main")).to_contain_text(f"校长办公会纪要〔{year}〕第30期第一项")
