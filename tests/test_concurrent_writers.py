"""Issue 14, sections 4 and 5, against a real server process: concurrent writers are
served or refused cleanly (never SQLite's "database is locked"), and a threaded server
holds a bounded number of PostgreSQL connections however many requests it serves.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from duban import clock
from duban.api.tokens import issue_token
from duban.items import actions
from duban.items.models import ExtensionRequest, ExtensionStatus

from .conftest import Org, advance, establish
from .test_notify_worker import shared_database, subprocess_environment

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def server(database_url: str, command: list[str], port: int, **env: str) -> Iterator[str]:
    """A real server process on loopback; yields its base address once it answers."""
    process = subprocess.Popen(
        [sys.executable, "manage.py", *command],
        cwd=ROOT,
        env=subprocess_environment(database_url, OTP_REQUIRED="0", PORT=str(port), **env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/api/v1/openapi.json", timeout=5):  # noqa: S310
                    break
            except (urllib.error.URLError, ConnectionError):
                if process.poll() is not None or time.monotonic() > deadline:
                    output = process.stdout.read().decode() if process.stdout else ""
                    raise AssertionError(f"the server did not start:\n{output}") from None
                time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=30)


def post_json(url: str, token: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(  # noqa: S310
        url,
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        text = error.read()
        try:
            return error.code, json.loads(text)
        except ValueError:
            return error.code, {"raw": text.decode(errors="replace")[:500]}


# serialized_rollback: its flush leaves the tables as a serialized-rollback test after it
# expects them (no content types recreated under other ids).
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_r_e3_eight_concurrent_decisions_of_one_extension_one_wins_seven_refused(
    org: Org, tmp_path: Path
) -> None:
    """Issue 14: 8 simultaneous decisions of one extension request — exactly one 200,
    seven 4xx, no 500 (on SQLite this needs WAL and immediate transactions)."""
    item = advance(
        org, establish(org, minutes_deadline=clock.today() + dt.timedelta(days=60)), "in_progress"
    )
    actions.request_extension(
        org.lead_liaison,
        item,
        requested_deadline=item.deadline + dt.timedelta(days=20),
        reason="需协调校外专家评审，时间不足",
    )
    tokens = [issue_token(org.office_supervisor)[0] for _ in range(8)]
    results: list[tuple[int, dict[str, Any]]] = []
    lock = threading.Lock()

    with shared_database(tmp_path) as (database_url, copy_back):
        port = free_port()
        with server(database_url, ["runserver", f"127.0.0.1:{port}", "--noreload"], port) as base:
            start = threading.Barrier(8)

            def decide(token: str) -> None:
                start.wait(timeout=60)
                answer = post_json(
                    f"{base}/api/v1/items/{item.pk}/extension/decide",
                    token,
                    {"approve": True, "comment": "同意"},
                )
                with lock:
                    results.append(answer)

            threads = [threading.Thread(target=decide, args=(token,)) for token in tokens]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=120)
        copy_back()

    statuses = sorted(status for status, _body in results)
    assert len(results) == 8
    assert statuses.count(200) == 1, results
    refused = [(status, body) for status, body in results if status != 200]
    assert all(400 <= status < 500 for status, _body in refused), results
    # The losers find the request decided: refused as for anyone who may not decide it.
    assert all(body.get("code") in ("forbidden", "invalid_state") for _s, body in refused), results
    assert all(body.get("message") for _status, body in refused), results
    assert all("database is locked" not in json.dumps(body) for _status, body in results)
    decided = ExtensionRequest.objects.get(item=item)
    assert decided.status == ExtensionStatus.APPROVED
    item.refresh_from_db()
    assert item.deadline == decided.requested_deadline


def _server_connections(database: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            [database],
        )
        return int(cursor.fetchone()[0])


# serialized_rollback: its flush leaves the tables as a serialized-rollback test after it
# expects them (no content types recreated under other ids).
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_serve_holds_a_bounded_number_of_connections_over_300_requests(
    org: Org, tmp_path: Path
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("connection pooling is PostgreSQL's (SQLite opens a file, not a server)")
    token = issue_token(org.lead_liaison)[0]
    pool_size = 3
    seen: list[int] = []
    with shared_database(tmp_path) as (database_url, _copy_back):
        port = free_port()
        with server(database_url, ["serve"], port, DB_POOL_MAX_SIZE=str(pool_size)) as base:
            for number in range(300):
                path = "/login/" if number % 2 else "/api/v1/items"
                request = urllib.request.Request(  # noqa: S310
                    base + path, headers={"Authorization": f"Bearer {token}"}
                )
                with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                    assert response.status == 200
                if number % 10 == 9:
                    seen.append(_server_connections(connection.settings_dict["NAME"]))
    assert len(seen) == 30
    # The server's pool and the worker's pool beside it, each at most `pool_size`.
    assert max(seen) <= 2 * pool_size, seen
