"""Chinese everywhere a user looks: signed in as each demo role, open every page that
role can reach by following links from 我的工作, and fail on any visible English word
outside the product names people use in Chinese too (Excel, Word, PDF, API, SMS, ...)
and on any rule code (R-D2, R-E4, ...), which are kept in code and tests.

Visible text is a page's text nodes (not scripts, styles, the link targets, or code
such as an address in <code>) and the texts people read in attributes: placeholders,
titles, labels and button values. Account names (office1, jwc_head) and e-mail
addresses are people's data, not words of the pages.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterator
from html.parser import HTMLParser
from io import StringIO
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import Client, override_settings

from duban.organisation.models import User

FAST_HASHER = ["django.contrib.auth.hashers.MD5PasswordHasher"]
ROLES = (
    "office1",
    "jiwei1",
    "leader_zhang",
    "jwc_head",
    "jwc_liaison",
    "jwc_member",
    "sysadmin",
    "secadmin",
    "auditadmin",
)
# Names people use as they are; units; formats shown to people.
ALLOWED = {
    "Excel", "Word", "PDF", "API", "SMS", "CSV", "TOTP", "OTP", "WPS", "PNG", "JPEG", "GIF",
    "UTF", "MB", "KB", "GB", "OpenAPI", "JSON", "Token", "HMAC", "SHA", "ID", "URL",
    "Bearer", "HTTP", "HTTPS", "IP", "CAS", "LDAP", "xlsx", "docx", "pdf", "txt", "wps",
    "et", "dps", "doc", "xls", "ppt", "pptx", "csv", "png", "jpg", "jpeg", "gif", "ics",
    "PowerPoint", "IPv", "Outlook", "iCalendar", "Authenticator", "FreeOTP", "Google",
    "Microsoft", "QR",
}  # fmt: skip
ENGLISH_WORD = re.compile(r"[A-Za-z][A-Za-z]+")
RULE_CODE = re.compile(r"\bR-[A-Z]\d")
# Pages not to follow: they change something on GET-less forms, or leave the pages.
SKIP = re.compile(
    r"^/(?:logout|static|api|metrics|healthz|readyz|favicon)|\.(?:xlsx|pdf|docx|ics)$"
)
PER_PATTERN = 2  # pages per URL shape (ids replaced): enough to see each template
MAX_PAGES = 120


# Not words of the page: code, and <bdi>, which marks data of unknown direction (the
# admin shows a password hash's algorithm and salt in it).
HIDDEN = ("script", "style", "template", "code", "bdi")


class VisibleText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.hidden = 0
        self.texts: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag in HIDDEN:
            self.hidden += 1
        if tag == "a" and values.get("href"):
            self.links.append(str(values["href"]))
        for name in ("placeholder", "title", "aria-label", "alt"):
            if values.get(name):
                self.texts.append(str(values[name]))
        if tag == "input" and values.get("type") in ("submit", "button") and values.get("value"):
            self.texts.append(str(values["value"]))

    def handle_endtag(self, tag: str) -> None:
        if tag in HIDDEN and self.hidden:
            self.hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.texts.append(data)


def shape(path: str) -> str:
    return re.sub(r"\d+", "N", path)


@pytest.fixture(scope="module")
def demo(django_db_setup: Any, django_db_blocker: Any) -> Iterator[None]:
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            with override_settings(PASSWORD_HASHERS=FAST_HASHER):
                call_command("demo", stdout=StringIO())
            yield
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


def crawl(client: Client) -> Iterator[tuple[str, str]]:
    """(path, visible text) of every page reachable from 我的工作 by links."""
    seen_paths: set[str] = set()
    per_shape: dict[str, int] = {}
    queue = deque(["/"])
    while queue and len(seen_paths) < MAX_PAGES:
        path = queue.popleft()
        if path in seen_paths or SKIP.search(urlsplit(path).path):
            continue
        key = shape(urlsplit(path).path)
        if per_shape.get(key, 0) >= PER_PATTERN:
            continue
        seen_paths.add(path)
        per_shape[key] = per_shape.get(key, 0) + 1
        response = client.get(path, follow=True)  # a page that sends one on (/reports/)
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        parser = VisibleText()
        parser.feed(response.content.decode())
        yield path, " ".join(parser.texts)
        for link in parser.links:
            parts = urlsplit(link)
            if parts.scheme or parts.netloc or not parts.path.startswith("/"):
                continue
            queue.append(parts.path + (f"?{parts.query}" if parts.query else ""))


@pytest.mark.django_db
@pytest.mark.parametrize("username", ROLES)
def test_every_page_a_role_reaches_speaks_chinese(demo: None, username: str, settings: Any) -> None:
    settings.OTP_REQUIRED = False
    client = Client()
    client.force_login(User.objects.get(username=username))
    problems: list[str] = []
    pages = 0
    # Data, not words: account names and the parts of e-mail addresses.
    names = {
        part
        for u in User.objects.values_list("username", flat=True)
        for part in ENGLISH_WORD.findall(u)
    }
    names |= {
        part
        for address in User.objects.values_list("email", flat=True)
        for part in ENGLISH_WORD.findall(address)
    }
    for path, text in crawl(client):
        pages += 1
        english = sorted({w for w in ENGLISH_WORD.findall(text) if w not in ALLOWED | names})
        codes = sorted(set(RULE_CODE.findall(text)))
        if english or codes:
            problems.append(f"{path}: {' '.join(english + codes)}")
    assert pages >= 3, f"{username} reached only {pages} pages"
    assert not problems, "\n".join(problems)
