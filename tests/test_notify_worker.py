"""The background engine: `manage.py run_worker` (the django-tasks-db worker plus the
periodic schedule), `serve` starting it beside the server, and a worker killed
mid-delivery losing nothing.

Subprocesses use this test's own database: on PostgreSQL the test database itself;
on SQLite, whose test database lives in this process's memory, a file copy made with
SQLite's backup API, copied back after the subprocess is gone. Waits are bounded and
only for real subprocesses and servers.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import logging
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django_tasks_db.models import DBTaskResult

from duban import clock
from duban.notify import periodic
from duban.notify.models import Delivery, DeliveryStatus, PeriodicRun
from duban.notify.outbox import notify
from duban.notify.tasks import deliver_due
from tests.conftest import Org, establish
from tests.test_notify import free_port, give_addresses, start_smtp, use_smtp

ROOT = Path(__file__).resolve().parent.parent
DELIVER_DUE = "duban.notify.tasks.deliver_due"
MISSING_TASK = "duban.items.tasks_that_do_not_exist.sweep"


def run_worker_once() -> str:
    out = io.StringIO()
    call_command("run_worker", "--once", stdout=out)
    return out.getvalue()


# ----------------------------------------------------------------------------- run_worker


@pytest.mark.django_db(transaction=True)
def test_run_worker_once_enqueues_the_periodic_delivery_and_runs_it(
    org: Org, settings: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
):
    settings.PERIODIC_TASKS = [(DELIVER_DUE, 30), (MISSING_TASK, 300)]
    settings.SMS_LOG_FILE = tmp_path / "sms.log"
    give_addresses(org.lead_liaison)
    notify([org.lead_liaison], establish(org), "催办", force_channels=("sms",))
    DBTaskResult.objects.all().delete()  # only the periodic run is left to send it

    start = clock.now()
    with time_machine.travel(start, tick=False), caplog.at_level(logging.WARNING):
        output = run_worker_once()
    assert output.splitlines() == [f"已加入队列：{DELIVER_DUE}", "后台任务已处理完毕。"]
    # The sweep's module does not exist (yet): one clear line, nothing else breaks.
    assert any(
        f"periodic task {MISSING_TASK} is not available yet" in record.getMessage()
        for record in caplog.records
    )
    assert Delivery.objects.get().status == DeliveryStatus.SENT
    assert "to=" + org.lead_liaison.phone in settings.SMS_LOG_FILE.read_text(encoding="utf-8")
    task_result = DBTaskResult.objects.get()
    assert task_result.task_path == DELIVER_DUE
    assert task_result.status == "SUCCESSFUL"
    assert task_result.return_value == {"sent": 1, "retrying": 0, "failed": 0}

    # Within the period nothing is enqueued again; after it, once more.
    with time_machine.travel(start + dt.timedelta(seconds=29), tick=False):
        assert run_worker_once().splitlines() == ["后台任务已处理完毕。"]
    with time_machine.travel(start + dt.timedelta(seconds=30), tick=False):
        assert run_worker_once().splitlines()[0] == f"已加入队列：{DELIVER_DUE}"
    assert DBTaskResult.objects.filter(task_path=DELIVER_DUE).count() == 2


@pytest.mark.django_db(transaction=True)
def test_many_workers_enqueue_one_copy_per_period(settings: Any):
    settings.PERIODIC_TASKS = [(DELIVER_DUE, 30)]
    moment = clock.now()
    results: list[list[str]] = []

    def scheduler_tick() -> None:
        try:
            results.append(periodic.enqueue_due(moment))
        finally:
            connection.close()

    threads = [threading.Thread(target=scheduler_tick) for _ in range(4)]
    concurrent = connection.vendor == "postgresql"
    for thread in threads:
        thread.start()
        if not concurrent:  # SQLite's in-memory test database: one writer at a time
            thread.join(timeout=60)
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(map(len, results)) == [0, 0, 0, 1]
    assert DBTaskResult.objects.filter(task_path=DELIVER_DUE).count() == 1
    assert PeriodicRun.objects.get(name=DELIVER_DUE).last_enqueued_at == moment


# ----------------------------------------------------------------------------- subprocesses


@contextlib.contextmanager
def shared_database(tmp_path: Path) -> Iterator[tuple[str, Callable[[], None]]]:
    """A DATABASE_URL for a subprocess to use this test's database, and a function to
    call once the subprocess is gone, before reading what it wrote."""
    settings_dict = connection.settings_dict
    if connection.vendor == "postgresql":
        user = urllib.parse.quote(settings_dict["USER"] or "")
        password = settings_dict["PASSWORD"] or ""
        credentials = f"{user}:{urllib.parse.quote(password)}" if password else user
        host = settings_dict["HOST"] or "127.0.0.1"
        port = settings_dict["PORT"] or 5432
        yield f"postgres://{credentials}@{host}:{port}/{settings_dict['NAME']}", lambda: None
        return
    path = tmp_path / "shared.sqlite3"
    connection.ensure_connection()
    target = sqlite3.connect(path)
    try:
        connection.connection.backup(target)
    finally:
        target.close()

    def copy_back() -> None:
        source = sqlite3.connect(path)
        try:
            # The subprocess ran the file in WAL mode (settings); an in-memory database
            # cannot take a WAL-mode header, so turn the file back first.
            source.execute("PRAGMA journal_mode=DELETE")
            source.backup(connection.connection)
        finally:
            source.close()

    yield f"sqlite:///{path}", copy_back


def subprocess_environment(database_url: str, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(DEBUG="1", DATABASE_URL=database_url, PYTHONUNBUFFERED="1", **extra)
    return env


class SilentSmtpServer:
    """Accepts connections and never says a word: a sender blocks waiting for the
    greeting. Records each connection it accepts."""

    def __init__(self) -> None:
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen()
        self.port = int(self.socket.getsockname()[1])
        self.accepted = threading.Event()
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self) -> None:
        self.socket.settimeout(120)
        with contextlib.suppress(OSError):
            peer, _address = self.socket.accept()
            self.accepted.set()
            self.stopped.wait(timeout=120)
            peer.close()

    def close(self) -> None:
        self.stopped.set()
        self.socket.close()
        self.thread.join(timeout=10)


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_delivery_loses_nothing(org: Org, settings: Any, tmp_path: Path):
    give_addresses(org.lead_liaison)
    use_smtp(settings, free_port())
    notify([org.lead_liaison], establish(org), "标题", "内容")
    silent = SilentSmtpServer()
    try:
        with shared_database(tmp_path) as (database_url, copy_back):
            worker = subprocess.Popen(
                [
                    sys.executable,
                    "manage.py",
                    "shell",
                    "-c",
                    "from duban.notify.tasks import deliver_due; deliver_due.call()",
                ],
                cwd=ROOT,
                env=subprocess_environment(
                    database_url,
                    EMAIL_HOST="127.0.0.1",
                    EMAIL_PORT=str(silent.port),
                    EMAIL_TIMEOUT="120",
                ),
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
            )
            try:
                # The worker has claimed the delivery and is talking to the server.
                assert silent.accepted.wait(timeout=60), worker.stdout
            finally:
                os.kill(worker.pid, signal.SIGKILL)
                worker.wait(timeout=30)
            assert worker.returncode == -signal.SIGKILL
            copy_back()
    finally:
        silent.close()

    stranded = Delivery.objects.get()
    assert stranded.status == DeliveryStatus.PENDING
    assert stranded.attempts == 0
    assert stranded.sent_at is None
    assert stranded.claimed_until is not None
    assert stranded.claimed_until > clock.now()  # the dead worker's lease still holds
    lease = stranded.claimed_until

    controller, inbox = start_smtp(free_port())
    use_smtp(settings, controller.port)
    try:
        # While the lease holds, no other worker touches it...
        assert deliver_due.call() == {"sent": 0, "retrying": 0, "failed": 0}
        # ...once it has expired, the delivery is sent, once.
        with time_machine.travel(lease + dt.timedelta(seconds=1), tick=False):
            assert deliver_due.call() == {"sent": 1, "retrying": 0, "failed": 0}
            assert deliver_due.call() == {"sent": 0, "retrying": 0, "failed": 0}
    finally:
        controller.stop()
    assert inbox.subjects() == ["[督办系统] 标题"]
    delivered = Delivery.objects.get()
    assert delivered.status == DeliveryStatus.SENT
    assert delivered.attempts == 1


def wait_for_line(stream: Any, needle: str, timeout: float) -> list[str]:
    """Read lines until one contains `needle`; bounded by `timeout` seconds."""
    lines: list[str] = []
    found = threading.Event()

    def reader() -> None:
        for raw in iter(stream.readline, ""):
            lines.append(raw.rstrip("\n"))
            if needle in raw:
                found.set()
                return

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    found.wait(timeout=timeout)
    assert found.is_set(), "\n".join(lines)
    return lines


def process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "terminate"])
def test_serve_starts_the_worker_beside_the_server_and_stops_it(tmp_path: Path, stop: int):
    port = free_port()
    with shared_database(tmp_path) as (database_url, _copy_back):
        server = subprocess.Popen(
            [sys.executable, "manage.py", "serve"],
            cwd=ROOT,
            env=subprocess_environment(database_url, PORT=str(port)),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            lines = wait_for_line(server.stdout, "后台任务进程已启动", timeout=60)
            started = lines[-1]
            worker_pid = int(started.split("PID ")[1].split("）")[0])
            assert process_exists(worker_pid)
            deadline = time.monotonic() + 60
            status = None
            while status is None and time.monotonic() < deadline:
                with contextlib.suppress(OSError):
                    login = f"http://127.0.0.1:{port}/login/"
                    with urllib.request.urlopen(login, timeout=5) as response:
                        status = response.status
                if status is None:
                    time.sleep(0.2)
            assert status == 200
            assert process_exists(worker_pid)
        finally:
            server.send_signal(stop)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        # The server reaped its worker on the way out.
        assert not process_exists(worker_pid)


@pytest.mark.django_db(transaction=True)
def test_serve_check_starts_nothing(tmp_path: Path):
    with shared_database(tmp_path) as (database_url, _copy_back):
        # Were a server or a worker started, this would not return.
        result = subprocess.run(
            [sys.executable, "manage.py", "serve", "--check"],
            cwd=ROOT,
            env=subprocess_environment(database_url, PORT=str(free_port())),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert result.returncode == 0, result.stderr
    assert "督办系统地址：" in result.stdout
    assert "后台任务进程已启动" not in result.stdout
