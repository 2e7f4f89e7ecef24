"""Sessions and sign-in records (MLPS level 3): the idle timeout, every login, failed
login and logout audited, and the last login's time and place shown at sign-in."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.urls import reverse

from duban.audit.models import AuditEvent
from tests.conftest import PASSWORD, Org

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def password_sign_in_only(settings: Any) -> None:
    # Two-factor sign-in has its own tests (test_accounts_two_factor.py).
    settings.OTP_REQUIRED = False


# 10:00 in Shanghai.
START = dt.datetime(2026, 9, 28, 2, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def frozen_clock() -> Iterator[Any]:
    with time_machine.travel(START, tick=False) as moved:
        yield moved


def login(client: Client, username: str = "lead_liaison", ip: str = "10.8.0.7") -> Any:
    return client.post(
        reverse("login"), {"username": username, "password": PASSWORD}, REMOTE_ADDR=ip
    )


# ----------------------------------------------------------------------------- idle timeout


def test_idle_timeout_is_30_minutes_and_ends_with_the_browser() -> None:
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE is True


def test_a_session_idle_for_longer_than_the_timeout_signs_out(
    client: Client, org: Org, frozen_clock: Any
) -> None:
    login(client)

    frozen_clock.shift(dt.timedelta(minutes=30, seconds=1))
    response = client.get(reverse("my-work"))

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next=/"


def test_each_request_pushes_the_timeout_back(client: Client, org: Org, frozen_clock: Any) -> None:
    login(client)
    # Active every 25 minutes for two hours: never signed out.
    for _ in range(5):
        frozen_clock.shift(dt.timedelta(minutes=25))
        assert client.get(reverse("my-work")).status_code == 200
    frozen_clock.shift(dt.timedelta(minutes=31))
    assert client.get(reverse("my-work")).status_code == 302


def test_the_session_cookie_lives_only_as_long_as_the_browser(client: Client, org: Org) -> None:
    response = login(client)
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["max-age"] == ""
    assert cookie["expires"] == ""
    assert cookie["httponly"] is True


def test_requests_within_a_minute_do_not_write_the_session(
    client: Client, org: Org, frozen_clock: Any, django_assert_max_num_queries: Any
) -> None:
    # Saving the session on every request would make every read a write.
    login(client)

    def session_writes() -> int:
        with django_assert_max_num_queries(20) as captured:
            client.get(reverse("inbox"))
        return sum('UPDATE "django_session"' in query["sql"] for query in captured)

    frozen_clock.shift(dt.timedelta(seconds=59))
    assert session_writes() == 0
    frozen_clock.shift(dt.timedelta(seconds=1))
    assert session_writes() == 1
    assert session_writes() == 0


# ----------------------------------------------------------------------------- audit


def test_a_login_is_audited_with_username_and_address(client: Client, org: Org) -> None:
    login(client, ip="10.1.2.3")

    event = AuditEvent.objects.get(verb="login")
    assert event.actor == org.lead_liaison
    assert event.summary == "登录成功"
    assert event.data == {"username": "lead_liaison", "ip": "10.1.2.3", "channel": "web"}


def test_a_failed_login_is_audited_without_an_actor(client: Client, org: Org) -> None:
    client.post(
        reverse("login"),
        {"username": "lead_liaison", "password": "not-it"},
        REMOTE_ADDR="10.1.2.4",
    )

    event = AuditEvent.objects.get(verb="login_failed")
    assert event.actor is None
    assert event.summary == "登录失败（用户名或密码错误）：lead_liaison"
    assert event.data == {
        "username": "lead_liaison",
        "ip": "10.1.2.4",
        "reason": "invalid_credentials",
        "channel": "web",
    }
    assert "not-it" not in str(event.data) and "not-it" not in event.summary


def test_a_logout_is_audited(client: Client, org: Org) -> None:
    login(client)
    client.post(reverse("logout"), REMOTE_ADDR="10.8.0.7")

    event = AuditEvent.objects.get(verb="logout")
    assert event.actor == org.lead_liaison
    assert event.data == {"username": "lead_liaison", "ip": "10.8.0.7"}


def test_an_api_token_login_is_audited(client: Client, org: Org) -> None:
    response = client.post(
        "/api/v1/auth/token",
        {"username": "lead_liaison", "password": PASSWORD},
        content_type="application/json",
        REMOTE_ADDR="10.8.0.9",
    )

    assert response.status_code == 200
    event = AuditEvent.objects.get(verb="login")
    assert event.actor == org.lead_liaison
    assert event.data == {"username": "lead_liaison", "ip": "10.8.0.9", "channel": "api"}


def test_the_client_address_comes_from_the_proxy_only_when_trusted(
    client: Client, org: Org, settings: Any
) -> None:
    forwarded = {"HTTP_X_FORWARDED_FOR": "203.0.113.9, 10.0.0.5"}
    client.post(reverse("login"), {"username": "lead_liaison", "password": PASSWORD}, **forwarded)
    settings.TRUST_X_FORWARDED_FOR = True
    Client().post(reverse("login"), {"username": "lead_liaison", "password": PASSWORD}, **forwarded)

    addresses = [e.data["ip"] for e in AuditEvent.objects.filter(verb="login").order_by("pk")]
    # Untrusted: the socket's address; trusted: what our proxy appended last.
    assert addresses == ["127.0.0.1", "10.0.0.5"]


# ----------------------------------------------------------------------------- last login


def test_the_first_login_says_so(client: Client, org: Org) -> None:
    response = login(client)
    page = client.get(response["Location"]).content.decode()
    assert "欢迎！这是您第一次登录督办系统。" in page


def test_the_next_login_shows_the_time_and_place_of_the_previous_one(
    client: Client, org: Org, frozen_clock: Any
) -> None:
    login(client, ip="10.1.2.3")
    client.post(reverse("logout"))
    frozen_clock.shift(dt.timedelta(days=1, hours=2))

    response = login(client, ip="10.9.9.9")
    page = client.get(response["Location"]).content.decode()

    assert "上次登录：2026-09-28 10:00，10.1.2.3" in page
    # The banner shows once, not on every page.
    assert "上次登录" not in client.get(reverse("my-work")).content.decode()
