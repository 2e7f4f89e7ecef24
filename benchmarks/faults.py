"""Fault drill: PostgreSQL restarted while people use duban and the worker delivers.

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/duban_load   # a database of its own
    .venv/bin/python benchmarks/faults.py

It starts gunicorn (DEBUG off), a background worker (`run_worker`) and an SMTP server
on loopback (aiosmtpd), then:
1. a signed-in office supervisor opens the ledger every 0.1 s throughout;
2. half of N notices (with email) are written, and the worker starts delivering;
3. PostgreSQL is restarted (`pg_ctlcluster … restart`, as root, on this machine);
4. the other half of the notices is written once the database is back;
5. it waits until every delivery is sent (or a minute passes).

It prints the requests by answer (200, 503 with the Chinese message, anything else),
how long the pages were unavailable, the notices written, the emails the SMTP server
accepted (sent), lost (written, never accepted) and doubled (accepted twice), and
`verify_audit --full`. The drill passes when no request got any other answer than
200 or the 503 page, lost = 0, doubled = 0 and the audit chain holds.

The other faults are tests: a worker killed mid-delivery
(tests/test_notify_worker.py), the SMTP server down (tests/test_notify.py), the
attachment disk full and the database away mid-request (tests/test_faults.py).
"""

from __future__ import annotations

import argparse
import collections
import email
import email.policy
import http.client
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT))

import pages  # noqa: E402

RUN = time.strftime("%H%M%S")  # titles unique to this run


class Inbox:
    def __init__(self) -> None:
        self.subjects: list[str] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.subjects.append(str(message["Subject"]).strip())
        return "250 Message accepted for delivery"


def restart_postgresql() -> float:
    version = sorted(os.listdir("/etc/postgresql"))[-1]
    started = time.perf_counter()
    subprocess.run(  # noqa: S603
        ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"],  # noqa: S607
        check=True,
    )
    return time.perf_counter() - started


def write_notices(tag: str, count: int, people: list[Any]) -> list[str]:
    from django.db import close_old_connections

    from duban.notify.outbox import notify

    close_old_connections()
    titles = []
    for number in range(count):
        title = f"故障演练{RUN}{tag}-{number:03d}"
        notify([people[number % len(people)]], None, title, "演练通知，无需处理。")
        titles.append(title)
    return titles


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notices", type=int, default=40)
    parser.add_argument("--seconds", type=float, default=30.0)
    arguments = parser.parse_args()

    smtp_port = pages.free_port()
    # The notices are written here: this process must know the email channel too.
    os.environ["EMAIL_HOST"], os.environ["EMAIL_PORT"] = "127.0.0.1", str(smtp_port)
    pages.setup_django()
    from aiosmtpd.controller import Controller
    from django.db import connection
    from django.test import Client

    from duban.organisation.models import Role, User

    if connection.vendor != "postgresql":
        sys.exit("benchmarks/faults.py restarts PostgreSQL: set DATABASE_URL to it")
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    people = list(User.objects.filter(is_active=True).exclude(email="").order_by("pk")[:20])
    office = User.objects.filter(role=Role.OFFICE_SUPERVISOR, is_active=True).first()
    client = Client()
    client.force_login(office)
    cookie = f"sessionid={client.cookies['sessionid'].value}"
    environment = pages.server_environment(EMAIL_HOST="127.0.0.1", EMAIL_PORT=str(smtp_port))
    port = pages.free_port()
    server = pages.start_gunicorn("duban.wsgi:application", port, environment)
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "run_worker", "--interval", "0.5", "--tick", "1"],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    answers: collections.Counter[str] = collections.Counter()
    unavailable: list[float] = []
    stop = threading.Event()

    def browse() -> None:
        while not stop.is_set():
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                conn.request("GET", "/items/", headers={"Cookie": cookie, "Host": "127.0.0.1"})
                response = conn.getresponse()
                body = response.read().decode("utf-8", "replace")
                conn.close()
            except OSError as error:
                answers[f"no answer ({type(error).__name__})"] += 1
            else:
                if response.status == 503 and "数据库暂时无法连接" in body:
                    answers["503 数据库暂时无法连接"] += 1
                    unavailable.append(time.monotonic())
                else:
                    answers[str(response.status)] += 1
            time.sleep(0.1)

    browser = threading.Thread(target=browse)
    browser.start()
    titles: list[str] = []
    try:
        time.sleep(3)
        titles += write_notices("A", arguments.notices // 2, people)
        time.sleep(2)
        restart = restart_postgresql()
        print(f"PostgreSQL restarted in {restart:.1f} s", flush=True)
        time.sleep(2)
        for _attempt in range(30):
            try:
                titles += write_notices("B", arguments.notices - arguments.notices // 2, people)
                break
            except Exception:
                connection.close()
                time.sleep(1)
        deadline = time.monotonic() + max(arguments.seconds, 60)
        while time.monotonic() < deadline:
            with inbox.lock:
                if len(set(inbox.subjects)) >= len(titles):
                    break
            time.sleep(1)
        time.sleep(3)  # anything doubled would arrive now
    finally:
        stop.set()
        browser.join()
        worker.terminate()
        worker.wait()
        server.terminate()
        server.wait()
        controller.stop()

    received = collections.Counter(
        subject.removeprefix("[督办系统] ") for subject in inbox.subjects
    )
    sent = sum(1 for title in titles if received[title])
    lost = len(titles) - sent
    doubled = sum(count - 1 for count in received.values() if count > 1)
    print("\n| answer | requests |\n|---|---|")
    for answer, count in sorted(answers.items()):
        print(f"| {answer} | {count} |")
    if unavailable:
        print(f"pages unavailable for {unavailable[-1] - unavailable[0]:.1f} s")
    print(f"\nnotices {len(titles)}: sent {sent}, lost {lost}, doubled {doubled}")
    intact, line = pages.verify_audit_full(environment)
    print(f"verify_audit --full: {line}")
    bad = sum(
        count
        for answer, count in answers.items()
        if answer not in {"200", "503 数据库暂时无法连接"}
    )
    passed = bad == 0 and lost == 0 and doubled == 0 and intact
    print("drill passed" if passed else "drill FAILED")
    sys.exit(0 if passed else 1)


if __name__ == "__main__":
    main()
