"""Security headers on every response (OWASP ASVS 14.4, MLPS level 3): a strict
Content-Security-Policy and its friends, and templates that keep to it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from tests.conftest import Org

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def password_sign_in_only(settings: Any) -> None:
    # Two-factor sign-in has its own tests (test_accounts_two_factor.py).
    settings.OTP_REQUIRED = False


ROOT = Path(__file__).resolve().parent.parent
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; frame-ancestors 'none'; "
    "form-action 'self'; base-uri 'self'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "Permissions-Policy": "accelerometer=(), camera=(), geolocation=(), gyroscope=(), "
    "magnetometer=(), microphone=(), payment=(), usb=()",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}


def assert_headers(response: Any) -> None:
    for name, value in HEADERS.items():
        assert response.get(name) == value, (name, response.get(name))


@pytest.mark.parametrize(
    "url",
    ["/login/", "/admin/login/", "/api/v1/openapi.json", "/api/v1/nothing", "/no-such-page/"],
)
def test_anonymous_responses_carry_the_headers(client: Client, url: str) -> None:
    assert_headers(client.get(url))


@pytest.mark.parametrize("url", ["/", "/items/", "/inbox/", "/accounts/password/"])
def test_signed_in_pages_carry_the_headers(client: Client, org: Org, url: str) -> None:
    client.force_login(org.office_supervisor)
    response = client.get(url)
    assert response.status_code == 200
    assert_headers(response)


def test_redirects_and_refusals_carry_the_headers(client: Client, org: Org) -> None:
    assert_headers(client.get("/"))  # to the login page
    client.force_login(org.lead_liaison)
    assert_headers(client.get("/audit/"))  # 403


def test_htmx_is_told_not_to_inject_its_inline_styles(client: Client) -> None:
    page = client.get("/login/").content.decode()
    assert """<meta name="htmx-config" content='{"includeIndicatorStyles":false}'>""" in page


# Anything the policy would block: inline scripts, style attributes or elements,
# inline event handlers, htmx's evaluated attributes and javascript: URLs.
FORBIDDEN = {
    "inline script": re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE),
    "style attribute": re.compile(r"\sstyle\s*=", re.IGNORECASE),
    "style element": re.compile(r"<style[\s>]", re.IGNORECASE),
    "event handler": re.compile(r"\son[a-z]+\s*=", re.IGNORECASE),
    "hx-on": re.compile(r"\shx-on", re.IGNORECASE),
    "javascript: URL": re.compile(r"javascript:", re.IGNORECASE),
    "js: hx-vals": re.compile(r"hx-vals\s*=\s*['\"]\s*js:", re.IGNORECASE),
}


def templates() -> list[Path]:
    return sorted((ROOT / "duban").glob("**/templates/**/*.html"))


def test_there_are_templates_to_check() -> None:
    assert len(templates()) > 10


@pytest.mark.parametrize("template", templates(), ids=lambda path: str(path.relative_to(ROOT)))
def test_templates_keep_to_the_content_security_policy(template: Path) -> None:
    text = template.read_text(encoding="utf-8")
    found = [name for name, pattern in FORBIDDEN.items() if pattern.search(text)]
    assert found == [], f"{template.relative_to(ROOT)}: {found}"


def test_the_qr_code_svg_keeps_to_it_too() -> None:
    from duban.accounts.two_factor import qr_svg

    svg = qr_svg("otpauth://totp/%E7%9D%A3%E5%8A%9E:office1?secret=ABCDEFGH")
    assert svg.startswith("<svg")
    assert not any(pattern.search(svg) for pattern in FORBIDDEN.values())
