"""In Chromium, through the real CAS server (tests/cas_server.py): 统一身份认证登录 lands on
我的工作 as the person with that 工号; signing out of CAS signs out of duban, and signing
out of duban signs out of CAS."""

from __future__ import annotations

from typing import Any

import pytest

from duban.organisation.models import User
from tests.cas_server import CasServer
from tests.conftest import Org
from tests.test_accounts_browser import (  # noqa: F401  (fixtures)
    CHROMIUM,
    allow_database_calls_beside_playwright,
    browser,
    open_page,
)
from tests.test_accounts_cas import CAS_PASSWORD, LEAD_LIAISON, cas_server  # noqa: F401

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed"),
]


def sign_in_through_cas(page: Any, base: str, cas: CasServer) -> None:
    page.goto(f"{base}/login/")
    page.click("#cas-login")
    page.wait_for_url(f"{cas.url}login*")
    page.fill("#id_username", LEAD_LIAISON)
    page.fill("#id_password", CAS_PASSWORD)
    page.click("form button[type=submit]")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_cas_sign_in_and_single_logout_in_chromium(
    org: Org,
    live_server: Any,
    browser: Any,  # noqa: F811  (the fixture imported above)
    cas_server: CasServer,  # noqa: F811
    settings: Any,
) -> None:
    from playwright.sync_api import expect

    settings.CAS_SERVER_URL = cas_server.url
    User.objects.filter(pk=org.lead_liaison.pk).update(staff_number=LEAD_LIAISON)
    base = live_server.url
    violations: list[str] = []
    page = open_page(browser, violations)

    # Signed in through CAS: 我的工作, as the matched person.
    sign_in_through_cas(page, base, cas_server)
    expect(page.locator("main h1")).to_have_text("我的工作")
    assert page.url == f"{base}/"
    expect(page.locator("header.site-header")).to_contain_text("周联络")

    # Logging out of CAS (another tab, as at the university's portal) logs out of duban.
    portal = page.context.new_page()
    portal.goto(f"{cas_server.url}logout")
    portal.close()
    page.goto(f"{base}/items/")
    expect(page.locator("main h1")).to_have_text("登录督办系统")

    # Signing out of duban signs out of CAS: the next 统一身份认证登录 asks again.
    sign_in_through_cas(page, base, cas_server)
    expect(page.locator("main h1")).to_have_text("我的工作")
    page.click("#user-menu summary")
    with page.expect_request(f"{cas_server.url}logout*"):
        page.click("#user-menu form[action='/logout/'] button[type=submit]")
    # Through the CAS logout and back to the login page.
    page.wait_for_url(f"{base}/login/")
    page.click("#cas-login")
    page.wait_for_url(f"{cas_server.url}login*")
    expect(page.locator("#id_password")).to_be_visible()

    assert violations == []
