"""Throttling (ASVS V2.2, V11.1): over a limit, 429 with `Retry-After` and a Chinese
message, and nothing changes; the counters are per address, per account, per token."""

from __future__ import annotations

import datetime as dt
import os
from typing import Any

import pytest
import time_machine
from django.test import Client

from duban.accounts.throttle import Rate, hit
from duban.audit.models import AuditEvent

from .conftest import PASSWORD, Org

NOON = dt.datetime(2026, 12, 3, 12, 0, 0, tzinfo=dt.UTC)


def sign_in(client: Client, username: str, password: str = "wrong", **extra: Any) -> Any:  # noqa: S107
    return client.post("/login/", {"username": username, "password": password}, **extra)


def test_rates_are_parsed_or_refused() -> None:
    assert Rate.parse("10/m") == Rate(10, 60)
    assert Rate.parse("5/h") == Rate(5, 3600)
    for text in ("10", "0/m", "x/m", "10/w"):
        with pytest.raises(ValueError, match="a rate is like 10/m"):
            Rate.parse(text)


def test_a_window_counts_then_waits_until_it_ends() -> None:
    rate = Rate(3, 60)
    start = 1_800_000_000.0  # the start of a window (divisible by 60)
    assert [hit("t", "k", rate, start + n) for n in range(3)] == [0, 0, 0]
    assert hit("t", "k", rate, start + 15) == 45  # seconds left in the window
    assert hit("t", "other", rate, start + 15) == 0  # another key counts apart
    assert hit("t", "k", rate, start + 60) == 0  # the next window


def test_sign_in_per_account_over_the_limit_is_429_and_locks_nothing(
    client: Client, org: Org, settings: Any
) -> None:
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "sign_in_account": "3/m"}
    username = org.lead_liaison.username
    with time_machine.travel(NOON, tick=False):
        for _ in range(3):
            assert sign_in(client, username).status_code == 200  # the form, with its error
        failures = AuditEvent.objects.filter(verb="login_failed").count()
        assert failures == 3
        refused = sign_in(client, username, PASSWORD)
        assert refused.status_code == 429
        assert refused["Retry-After"] == "60"
        assert refused.content.decode() == "请求过于频繁，请在60秒后重试。"
        # The view never ran: not signed in, no failure counted or audited.
        assert "_auth_user_id" not in client.session
        assert AuditEvent.objects.filter(verb="login_failed").count() == failures
        # Another account from the same address is not held up.
        assert sign_in(client, org.lead_head.username).status_code == 200
    with time_machine.travel(NOON + dt.timedelta(minutes=1), tick=False):
        assert sign_in(client, username, PASSWORD).status_code == 302


def test_sign_in_per_address(client: Client, org: Org, settings: Any) -> None:
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "sign_in_address": "2/m"}
    with time_machine.travel(NOON, tick=False):
        assert sign_in(client, "a").status_code == 200
        assert sign_in(client, "b").status_code == 200
        assert sign_in(client, "c").status_code == 429
        assert sign_in(client, "c", REMOTE_ADDR="10.0.0.2").status_code == 200


def test_api_token_issuing_and_api_calls(client: Client, org: Org, settings: Any) -> None:
    settings.THROTTLE_RATES = {
        **settings.THROTTLE_RATES,
        "sign_in_account": "2/m",
        "api_token": "3/m",
    }
    body = {"username": org.lead_liaison.username, "password": PASSWORD}
    with time_machine.travel(NOON, tick=False):
        issued = client.post("/api/v1/auth/token", body, content_type="application/json")
        assert issued.status_code == 200
        token = issued.json()["token"]
        client.post("/api/v1/auth/token", body, content_type="application/json")
        refused = client.post("/api/v1/auth/token", body, content_type="application/json")
        assert refused.status_code == 429
        assert refused.json() == {
            "code": "too_many_requests",
            "message": "请求过于频繁，请在60秒后重试。",
        }
        assert refused["Retry-After"] == "60"
        headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
        answers = [client.get("/api/v1/me", **headers).status_code for _ in range(4)]
        assert answers == [200, 200, 200, 429]


def test_uploads_per_account(client: Client, org: Org, settings: Any) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from .conftest import establish

    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "upload_account": "1/m"}
    with time_machine.travel(NOON, tick=False):
        item = establish(org)
        client.force_login(org.office_supervisor)
        url = f"/items/{item.pk}/attachments/"

        def upload(name: str) -> Any:
            pdf = SimpleUploadedFile(name, b"%PDF-1.4\n%%EOF\n", "application/pdf")
            return client.post(url, {"file": pdf})

        first = upload("a.pdf")
        assert first.status_code in (200, 302)
        count = item.attachments.count()
        refused = upload("b.pdf")
        assert refused.status_code == 429
        assert item.attachments.count() == count  # nothing stored


def test_counters_are_shared_through_redis() -> None:
    """With CACHE_URL=redis://… every web process counts together: two clients of a
    real Redis (the one this machine runs; skipped where there is none)."""
    import redis
    from django.core.cache.backends.redis import RedisCache

    import duban.accounts.throttle as throttle

    url = os.environ.get("REDIS_URL_FOR_TESTS", "redis://127.0.0.1:6379/15")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip(f"no Redis at {url}")
    first, second = RedisCache(url, {}), RedisCache(url, {})
    first.clear()
    rate, start = Rate(2, 60), 1_800_000_000.0
    original = throttle.cache
    try:
        throttle.cache = first
        assert [hit("t", "k", rate, start), hit("t", "k", rate, start + 1)] == [0, 0]
        throttle.cache = second  # another web process
        assert hit("t", "k", rate, start + 2) == 58
    finally:
        throttle.cache = original
        first.clear()
