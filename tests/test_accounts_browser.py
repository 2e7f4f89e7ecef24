"""In Chromium: two-factor sign-in from first login to a verified session, and pages
that work under the Content-Security-Policy without a single violation (htmx
included)."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connections
from django_otp.oath import TOTP

from duban.items.models import Item, Notice
from duban.items.states import Status
from tests.conftest import PASSWORD, Org, advance

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed"),
]


@pytest.fixture(autouse=True)
def allow_database_calls_beside_playwright(monkeypatch: pytest.MonkeyPatch) -> None:
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
            connections.close_all()


def open_page(browser: Any, violations: list[str]) -> Any:
    page = browser.new_context(locale="zh-CN").new_page()
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return page


def sign_in(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("form button[type=submit]")


def code_for(secret: str) -> str:
    key = base64.b32decode(secret.replace(" ", "") + "=" * (-len(secret.replace(" ", "")) % 8))
    return str(TOTP(key).token()).zfill(6)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_factor_setup_and_csp_clean_pages_in_chromium(
    org: Org, item: Item, live_server: Any, browser: Any, settings: Any
) -> None:
    from playwright.sync_api import expect

    settings.OTP_REQUIRED = True
    advance(org, item, Status.ASSIGNED)
    base = live_server.url
    violations: list[str] = []

    # The office supervisor's first login: the setup page, a QR code, the secret.
    office = open_page(browser, violations)
    sign_in(office, base, "office_supervisor")
    expect(office.locator("main h1")).to_have_text("绑定身份验证器")
    expect(office.locator("#otp-qr svg")).to_be_visible()
    secret = office.locator("#otp-secret").inner_text()
    office.goto(f"{base}/items/")  # every page leads back to the setup
    expect(office.locator("main h1")).to_have_text("绑定身份验证器")
    office.fill("#id_code", code_for(secret))
    office.click("form[action='/accounts/two-factor/setup/'] button[type=submit]")
    expect(office.locator("main h1")).to_have_text("督办工作台账")
    office.goto(f"{base}/items/new/")
    # The establish form's own script still runs (only the chosen kind's fieldset).
    expect(office.locator('fieldset[data-kind="other"]')).to_be_hidden()
    office.check('input[name="source_kind"][value="other"]')
    expect(office.locator('fieldset[data-kind="other"]')).to_be_visible()

    # A liaison is not asked; htmx marks a notice read in place under the policy.
    lead = open_page(browser, violations)
    sign_in(lead, base, "lead_liaison")
    expect(lead.locator("main h1")).to_have_text("我的工作")
    lead.goto(f"{base}/inbox/")
    notice = Notice.objects.get(recipient=org.lead_liaison)
    row = lead.locator(f"#notice-{notice.pk}")
    row.locator("button[type=submit]").click()
    expect(row).to_contain_text("已读")
    assert lead.url == f"{base}/inbox/"

    assert violations == []
