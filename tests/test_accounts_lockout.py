"""Lockout after five failed logins in a row (MLPS level 3), on the web login and the
API's token endpoint, and its two ways out: the lock runs out after 30 minutes, or
the security administrator unlocks the account."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from duban.accounts.models import LoginThrottle
from duban.api.models import ApiToken
from duban.audit.models import AuditEvent
from duban.organisation.models import Role, User
from tests.conftest import PASSWORD, Org, make_person

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def password_sign_in_only(settings: Any) -> None:
    # Two-factor sign-in has its own tests (test_accounts_two_factor.py).
    settings.OTP_REQUIRED = False


# 10:00 in Shanghai.
START = dt.datetime(2026, 9, 28, 2, 0, tzinfo=dt.UTC)
LOCKED_UNTIL_TEXT = "2026-09-28 10:30"


@pytest.fixture(autouse=True)
def frozen_clock() -> Iterator[Any]:
    with time_machine.travel(START, tick=False) as moved:
        yield moved


@pytest.fixture
def security_admin(org: Org) -> User:
    return make_person("security_admin", Role.SECURITY_ADMIN, None, "鲁安全")


def web_login(client: Client, username: str, password: str) -> Any:
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR="10.8.0.7"
    )


def api_login(client: Client, username: str, password: str) -> Any:
    return client.post(
        "/api/v1/auth/token",
        {"username": username, "password": password},
        content_type="application/json",
        REMOTE_ADDR="10.8.0.9",
    )


def fail(client: Client, username: str, times: int) -> Any:
    response = None
    for _ in range(times):
        response = web_login(client, username, "wrong-password")
        assert response.status_code == 200
        assert "_auth_user_id" not in client.session
    return response


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


# ----------------------------------------------------------------------------- web


def test_four_failures_then_the_right_password_signs_in_and_resets_the_count(
    client: Client, org: Org
) -> None:
    fail(client, "lead_liaison", 4)
    response = web_login(client, "lead_liaison", PASSWORD)

    assert response.status_code == 302
    assert signed_in(client)
    assert LoginThrottle.objects.get(username="lead_liaison").failed_count == 0


def test_failures_say_wrong_password_until_the_fifth_says_locked(client: Client, org: Org) -> None:
    fourth = fail(client, "lead_liaison", 4).content.decode()
    fifth = fail(client, "lead_liaison", 1).content.decode()

    assert "请输入一个正确的" in fourth and "账号已锁定" not in fourth
    assert "账号已锁定：连续5次登录失败" in fifth


def test_the_fifth_failure_locks_even_the_right_password_out(client: Client, org: Org) -> None:
    fail(client, "lead_liaison", 5)

    response = web_login(client, "lead_liaison", PASSWORD)

    page = response.content.decode()
    assert response.status_code == 200
    assert "账号已锁定：连续5次登录失败" in page
    assert f"请于{LOCKED_UNTIL_TEXT}后再试，或联系安全管理员解锁" in page
    assert not signed_in(client)
    throttle = LoginThrottle.objects.get(username="lead_liaison")
    assert throttle.failed_count == 5
    assert throttle.locked_until == START + dt.timedelta(minutes=30)


def test_lock_and_refusals_are_audited(client: Client, org: Org) -> None:
    fail(client, "lead_liaison", 5)
    web_login(client, "lead_liaison", PASSWORD)

    events = list(AuditEvent.objects.order_by("sequence").values_list("verb", "data"))
    failures = [data for verb, data in events if verb == "login_failed"]
    assert [data["reason"] for data in failures] == ["invalid_credentials"] * 5 + ["locked"]
    assert all(data["username"] == "lead_liaison" for data in failures)
    assert all(data["ip"] == "10.8.0.7" for data in failures)
    locked = AuditEvent.objects.get(verb="account_locked")
    assert locked.actor is None
    assert locked.summary == f"账号lead_liaison连续5次登录失败，锁定至{LOCKED_UNTIL_TEXT}"


def test_the_lock_runs_out_after_30_minutes(
    client: Client, org: Org, frozen_clock: Any, settings: Any
) -> None:
    assert settings.ACCOUNT_LOCK_MINUTES == 30
    fail(client, "lead_liaison", 5)

    frozen_clock.shift(dt.timedelta(minutes=29, seconds=59))
    still_locked = web_login(client, "lead_liaison", PASSWORD)
    frozen_clock.shift(dt.timedelta(seconds=1))
    free = web_login(client, "lead_liaison", PASSWORD)

    assert "账号已锁定" in still_locked.content.decode()
    assert free.status_code == 302
    assert signed_in(client)


def test_after_a_lock_runs_out_the_count_starts_afresh(
    client: Client, org: Org, frozen_clock: Any
) -> None:
    fail(client, "lead_liaison", 5)
    frozen_clock.shift(dt.timedelta(minutes=31))

    fail(client, "lead_liaison", 1)

    throttle = LoginThrottle.objects.get(username="lead_liaison")
    assert (throttle.failed_count, throttle.locked_until) == (1, None)
    assert web_login(client, "lead_liaison", PASSWORD).status_code == 302


def test_an_unknown_username_locks_alike_so_locks_reveal_no_accounts(
    client: Client, org: Org
) -> None:
    fail(client, "no_such_person", 5)
    response = web_login(client, "no_such_person", "whatever")
    assert "账号已锁定：连续5次登录失败" in response.content.decode()


def test_a_lock_on_one_account_leaves_the_others_alone(client: Client, org: Org) -> None:
    fail(client, "lead_liaison", 5)
    assert web_login(client, "lead_head", PASSWORD).status_code == 302


# ----------------------------------------------------------------------------- API


def test_the_api_counts_failures_and_answers_423_with_the_lock_message(
    client: Client, org: Org
) -> None:
    for _ in range(4):
        refused = api_login(client, "lead_liaison", "wrong-password")
        assert refused.status_code == 401
        assert refused.json()["code"] == "invalid_credentials"
    fifth = api_login(client, "lead_liaison", "wrong-password")

    locked = api_login(client, "lead_liaison", PASSWORD)

    assert fifth.status_code == 423

    assert locked.status_code == 423
    assert locked.json() == {
        "code": "account_locked",
        "message": f"账号已锁定：连续5次登录失败，请于{LOCKED_UNTIL_TEXT}后再试，"
        "或联系安全管理员解锁。",
    }
    assert not ApiToken.objects.exists()
    failures = AuditEvent.objects.filter(verb="login_failed").order_by("sequence")
    assert [event.data["channel"] for event in failures] == ["api"] * 6
    assert failures.last().data["ip"] == "10.8.0.9"  # type: ignore[union-attr]


def test_web_and_api_failures_count_together(client: Client, org: Org) -> None:
    fail(client, "lead_liaison", 3)
    for _ in range(2):
        api_login(client, "lead_liaison", "wrong-password")
    assert "账号已锁定" in web_login(client, "lead_liaison", PASSWORD).content.decode()


# ----------------------------------------------------------------------------- unlock


def test_the_security_admin_sees_locked_accounts(
    client: Client, org: Org, security_admin: User
) -> None:
    fail(client, "lead_liaison", 5)
    fail(client, "lead_head", 2)  # failures without a lock are not listed
    client.force_login(security_admin)

    page = client.get(reverse("account-locks")).content.decode()

    assert "<h1>账号锁定</h1>" in page
    assert "lead_liaison" in page and "周联络" in page
    assert LOCKED_UNTIL_TEXT in page
    assert "lead_head" not in page


def test_the_security_admin_unlocks_an_account_and_it_is_audited(
    client: Client, org: Org, security_admin: User
) -> None:
    fail(client, "lead_liaison", 5)
    admin_client = Client()
    admin_client.force_login(security_admin)

    response = admin_client.post(reverse("account-locks"), {"username": "lead_liaison"})

    assert response.status_code == 302
    assert "已解锁账号lead_liaison。" in admin_client.get(reverse("account-locks")).content.decode()
    throttle = LoginThrottle.objects.get(username="lead_liaison")
    assert (throttle.failed_count, throttle.locked_until) == (0, None)
    event = AuditEvent.objects.get(verb="account_unlocked")
    assert event.actor == security_admin
    assert event.summary == f"解锁账号lead_liaison（原锁定至{LOCKED_UNTIL_TEXT}）"
    assert web_login(client, "lead_liaison", PASSWORD).status_code == 302


def test_unlocking_an_account_that_is_not_locked_is_refused(
    client: Client, org: Org, security_admin: User
) -> None:
    fail(client, "lead_liaison", 2)
    client.force_login(security_admin)
    before = (list(LoginThrottle.objects.values()), AuditEvent.objects.count())

    client.post(reverse("account-locks"), {"username": "lead_liaison"})

    page = client.get(reverse("account-locks")).content.decode()
    assert "账号lead_liaison当前未被锁定。" in page
    assert (list(LoginThrottle.objects.values()), AuditEvent.objects.count()) == before


@pytest.mark.parametrize("role", ["system_admin", "audit_admin", "office_supervisor", "liaison"])
def test_nobody_else_can_unlock(client: Client, org: Org, role: str) -> None:
    fail(client, "lead_liaison", 5)
    person = make_person(f"someone_{role}", role, None, "某人")
    person.is_staff = True
    person.save()
    client.force_login(person)
    before = (list(LoginThrottle.objects.values()), AuditEvent.objects.count())

    response = client.post(reverse("account-locks"), {"username": "lead_liaison"})

    assert response.status_code == 403
    assert "只有安全管理员可以访问此页面。" in response.content.decode()
    assert (list(LoginThrottle.objects.values()), AuditEvent.objects.count()) == before


def test_the_locks_page_queries_do_not_grow_with_rows(
    client: Client,
    org: Org,
    security_admin: User,
    django_assert_max_num_queries: Any,
    settings: Any,
) -> None:
    # 150 failed sign-ins from one address in a moment: past the throttle
    # (tests/test_throttle.py), which is not what this test is about.
    settings.THROTTLE_RATES = {}
    for number in range(30):
        fail(client, f"guess{number}", 5)
    client.force_login(security_admin)
    with django_assert_max_num_queries(8):
        page = client.get(reverse("account-locks")).content.decode()
    assert page.count("解锁</button>") == 30


# ----------------------------------------------------------------------------- sessions


def test_a_session_loads_its_person_with_their_unit_and_drops_a_deactivated_one(
    client: Client, org: Org, django_assert_num_queries: Any
) -> None:
    """The backend loads a session's person with their unit (the header shows it on
    every page) in the person's own query; a person deactivated since signing in is
    signed out, as with Django's own backend."""
    from duban.accounts.lockout import LockoutBackend

    backend = LockoutBackend()
    liaison = org.lead_liaison
    with django_assert_num_queries(1):
        loaded = backend.get_user(liaison.pk)
        assert loaded is not None and loaded.unit.name == liaison.unit.name
    assert backend.get_user(10**9) is None
    client.post(reverse("login"), {"username": liaison.username, "password": PASSWORD})
    assert client.get(reverse("my-work")).status_code == 200
    User.objects.filter(pk=liaison.pk).update(is_active=False)
    assert backend.get_user(liaison.pk) is None
    answer = client.get(reverse("my-work"))
    assert answer.status_code == 302 and answer["Location"].startswith(reverse("login"))
