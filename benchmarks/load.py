"""Load: simulated people of every role using duban at once (Locust, headless), against
gunicorn and the configured PostgreSQL database.

    .venv/bin/pip install -c requirements.lock -e '.[bench]'
    createdb -h 127.0.0.1 -U postgres duban_load
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/duban_load
    .venv/bin/python manage.py migrate && .venv/bin/python manage.py demo
    .venv/bin/python manage.py seed_scale --items 10000 --events 100000
    .venv/bin/python benchmarks/load.py --users 50 --minutes 10

Each simulated person signs in through the sign-in page as a real account of their
role (office supervisor, school leader, unit head, liaison, member; the demo
password), then, with 3–10 s of thinking between steps, opens their work, the
ledger with and without filters, items and the inbox. Liaisons report progress on
their unit's items; office supervisors urge, open the attention list, the dashboard,
the assessment and export a filtered ledger (a large selection through the background
export: queued, its progress page polled, the file downloaded); leaders open the dashboard and the
assessment. A third of the way in, one sweep and one `export_ledger` of a year run
beside them. At the end it prints, per page, the requests, errors and the 50th, 95th
and 99th percentile response times, the two jobs, and `verify_audit --full`.

Every simulated person comes from 127.0.0.1, so the sign-in throttle per address is
raised for the run (real people come from their own addresses); nothing else is
changed from production settings (DEBUG off, 4 gunicorn workers, one `run_worker`).
"""

# ruff: noqa: I001 - locust (gevent) must patch the standard library before anything else
from __future__ import annotations

# Locust patches the standard library for gevent on import: it comes first.
import locust
from locust import FastHttpUser, between, task
from locust.env import Environment

import argparse
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, ClassVar

import gevent

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT))

import pages  # noqa: E402

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
ITEM_LINK = re.compile(r'href="/items/(\d+)/"')
EXPORT_JOB = re.compile(r"/ledger/export/(\d+)/")
EXPORT_QUERY = "status=in_progress&light=red"


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--spawn-rate", type=float, default=1.0, help="people starting per second")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    return parser.parse_args()


# ----------------------------------------------------------------------------- who


class Cast:
    """Real accounts per role, and the items each may act on (found once, up front)."""

    people: ClassVar[dict[str, list[str]]] = {}
    feedback_items: ClassVar[dict[str, list[int]]] = {}
    urge_items: ClassVar[dict[str, list[int]]] = {}
    password: ClassVar[str] = ""

    @classmethod
    def load(cls) -> None:
        from duban.items.models import Confidentiality, Item
        from duban.items.states import Status
        from duban.items.visibility import visible_items_filter
        from duban.organisation.demo import DEMO_PASSWORD
        from duban.organisation.models import Role, User

        cls.password = DEMO_PASSWORD
        active = User.objects.filter(is_active=True)
        for role in (Role.OFFICE_SUPERVISOR, Role.SCHOOL_LEADER, Role.UNIT_HEAD, Role.LIAISON):
            names = list(active.filter(role=role).order_by("pk").values_list("username", flat=True))
            cls.people[role] = names[:200]
        cls.people[Role.UNIT_MEMBER] = list(
            active.filter(role=Role.UNIT_MEMBER)
            .order_by("pk")
            .values_list("username", flat=True)[:200]
        )
        # Ordinary items: a classified one takes no text (R-C3), so a report on it is refused.
        working = Item.objects.filter(
            status=Status.IN_PROGRESS, confidentiality=Confidentiality.ORDINARY
        )
        for liaison in User.objects.filter(username__in=cls.people[Role.LIAISON]):
            mine = working.filter(lead_unit__liaison=liaison).order_by("-pk")
            cls.feedback_items[liaison.username] = list(mine.values_list("pk", flat=True)[:20])
        for supervisor in User.objects.filter(username__in=cls.people[Role.OFFICE_SUPERVISOR]):
            seen = working.filter(visible_items_filter(supervisor)).order_by("-pk")
            cls.urge_items[supervisor.username] = list(seen.values_list("pk", flat=True)[:20])


# ----------------------------------------------------------------------------- people


class Person(FastHttpUser):  # geventhttpclient: less of the cores for Locust itself
    abstract = True
    role: ClassVar[str] = ""
    wait_time = between(3, 10)

    def on_start(self) -> None:
        self.username = random.choice(Cast.people[self.role])
        page = self.client.get("/login/", name="/login/")
        token = CSRF.search(page.text)
        with self.client.post(
            "/login/",
            data={
                "username": self.username,
                "password": Cast.password,
                "csrfmiddlewaretoken": token.group(1) if token else "",
            },
            name="/login/ (POST)",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code == 302:
                response.success()
            else:
                response.failure(f"sign-in of {self.username}: {response.status_code}")
        self.items: list[int] = []

    def page(self, path: str, name: str | None = None) -> Any:
        response = self.client.get(path, name=name or path)
        if path.startswith("/items/?") or path == "/items/":
            found = [int(pk) for pk in ITEM_LINK.findall(response.text)]
            if found:
                self.items = found
        return response

    def post_action(self, pk: int, action: str, data: dict[str, str]) -> None:
        page = self.client.get(f"/items/{pk}/", name="/items/[id]/")
        token = CSRF.search(page.text)
        if token is None:
            return
        with self.client.post(
            f"/items/{pk}/{action}/",
            data={**data, "csrfmiddlewaretoken": token.group(1)},
            name=f"/items/[id]/{action}/ (POST)",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code == 302:
                response.success()
            else:
                response.failure(f"{action} on {pk}: {response.status_code}")

    def open_a_report(self) -> None:
        self.page(random.choice(["/reports/dashboard/", "/reports/assessment/"]))

    @task(3)
    def my_work(self) -> None:
        self.page("/")

    @task(4)
    def ledger(self) -> None:
        self.page("/items/")

    @task(2)
    def ledger_filtered(self) -> None:
        self.page(random.choice(["/items/?light=red", "/items/?status=in_progress"]))

    @task(4)
    def an_item(self) -> None:
        if self.items:
            self.page(f"/items/{random.choice(self.items)}/", "/items/[id]/")

    @task(1)
    def inbox(self) -> None:
        self.page("/inbox/")


class Liaison(Person):
    role = "liaison"
    weight = 4

    @task(2)
    def report_progress(self) -> None:
        mine = Cast.feedback_items.get(self.username) or []
        if mine:
            text = f"负载测试：本周推进情况，第{random.randint(1, 99)}次。"
            self.post_action(random.choice(mine), "submit_feedback", {"text": text})


class Head(Person):
    role = "unit_head"
    weight = 2


class Member(Person):
    role = "unit_member"
    weight = 2


class Office(Person):
    role = "office_supervisor"
    weight = 2

    @task(1)
    def urge(self) -> None:
        seen = Cast.urge_items.get(self.username) or []
        if seen:
            data = {"channel": "system", "recipient": "liaison", "note": "负载测试：请尽快反馈。"}
            self.post_action(random.choice(seen), "urge", data)

    @task(1)
    def attention(self) -> None:
        self.page("/supervision/attention/")

    @task(1)
    def reports(self) -> None:
        self.open_a_report()

    @task(1)
    def export(self) -> None:
        """A filtered ledger as Excel: small selections come at once; a large one is
        queued, its page polled while the worker writes it, then downloaded."""
        offer = self.page(f"/ledger/export/?{EXPORT_QUERY}", "/ledger/export/?…")
        waiting = (
            EXPORT_JOB.search(offer.text)
            if "text/html" in offer.headers.get("Content-Type", "")
            else None
        )
        token = CSRF.search(offer.text) if waiting is None else None
        if waiting is None and token is None:
            return  # the file itself: a small selection
        if waiting is None:
            with self.client.post(
                "/ledger/export/start/",
                data={"query": EXPORT_QUERY, "csrfmiddlewaretoken": token.group(1)},
                name="/ledger/export/start/ (POST)",
                allow_redirects=False,
                catch_response=True,
            ) as response:
                waiting = EXPORT_JOB.search(response.headers.get("Location", ""))
                if response.status_code == 302 and waiting:
                    response.success()
                else:
                    response.failure(f"export start: {response.status_code}")
                    return
        job = waiting.group(1)
        for _ in range(30):  # the person watches the progress bar for up to a minute
            page = self.client.get(f"/ledger/export/{job}/", name="/ledger/export/[id]/")
            if "export-download" in page.text:
                self.client.get(f"/ledger/export/{job}/file/", name="/ledger/export/[id]/file/")
                return
            if "export-progress" not in page.text or "alert--error" in page.text:
                return
            gevent.sleep(2)


class Leader(Person):
    role = "school_leader"
    weight = 1

    @task(2)
    def reports(self) -> None:
        self.open_a_report()


# ----------------------------------------------------------------------------- the run


def server_environment() -> dict[str, str]:
    return pages.server_environment(
        SESSION_COOKIE_SECURE="0",  # plain HTTP on loopback
        CSRF_COOKIE_SECURE="0",
        THROTTLE_SIGN_IN_ADDRESS="1000/m",  # every simulated person is 127.0.0.1
    )


def run_job(name: str, command: list[str], environment: dict[str, str]) -> str:
    """One job beside the load (a greenlet: the patched subprocess waits cooperatively)."""
    started = time.perf_counter()
    done = subprocess.run(  # noqa: S603 - our own manage.py
        command, cwd=ROOT, env=environment, capture_output=True, text=True, check=False
    )
    seconds = time.perf_counter() - started
    last = (done.stdout.strip() or done.stderr.strip()).splitlines()[-1:] or [""]
    state = "ok" if done.returncode == 0 else f"FAILED ({done.returncode})"
    return f"| {name} (beside the load) | {state}, {seconds:.1f} s | {last[0][:120]} |"


def start_jobs(environment: dict[str, str], folder: str) -> list[Any]:
    manage = [sys.executable, "manage.py"]
    year = time.localtime().tm_year
    return [
        gevent.spawn(run_job, "sweep", [*manage, "sweep"], environment),
        gevent.spawn(
            run_job,
            f"export_ledger --year {year}",
            [*manage, "export_ledger", "--year", str(year), "--output", f"{folder}/year.xlsx"],
            environment,
        ),
    ]


def warm_up(port: int, workers: int) -> None:
    """A few requests per worker first, so no simulated person meets a cold one."""
    import http.client

    for _ in range(workers * 4):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        connection.request("GET", "/login/", headers={"Host": "127.0.0.1"})
        connection.getresponse().read()
        connection.close()


def main() -> None:
    arguments = parse_arguments()
    pages.setup_django()
    from django.db import connection

    if connection.vendor != "postgresql":
        sys.exit("benchmarks/load.py runs against PostgreSQL: set DATABASE_URL")
    Cast.load()
    connection.close()
    environment = server_environment()
    port = pages.free_port()
    server = pages.start_gunicorn("duban.wsgi:application", port, environment, arguments.workers)
    # One worker, as deployed: notices, the periodic sweep and the large exports.
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "run_worker"],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    warm_up(port, arguments.workers)
    print(
        f"# duban load: {arguments.users} people, {arguments.minutes:g} minutes, "
        f"{arguments.workers} gunicorn workers, {time.strftime('%Y-%m-%d %H:%M')}",
        flush=True,
    )
    run = Environment(
        user_classes=[Liaison, Head, Member, Office, Leader], host=f"http://127.0.0.1:{port}"
    )
    runner = run.create_local_runner()
    seconds = arguments.minutes * 60
    job_lines: list[str] = []
    with tempfile.TemporaryDirectory() as folder:
        try:
            runner.start(arguments.users, spawn_rate=arguments.spawn_rate)
            gevent.sleep(seconds / 3)
            jobs = start_jobs(environment, folder)
            gevent.sleep(seconds - seconds / 3)
            runner.quit()
            job_lines = [job.get() for job in jobs]
        finally:
            server.terminate()
            worker.terminate()
            server.wait()
            worker.wait()
    print_table(run)
    print("\n| job | result | last line |\n|---|---|---|")
    print("\n".join(job_lines))
    _intact, line = pages.verify_audit_full(environment)
    print(f"\nverify_audit --full: {line}")


def print_table(run: Environment) -> None:
    stats = run.stats
    print("\n| page | requests | errors | p50 ms | p95 ms | p99 ms |\n|---|---|---|---|---|---|")
    for (name, method), entry in sorted(stats.entries.items()):
        print(
            f"| {method} `{name}` | {entry.num_requests} | {entry.num_failures} | "
            f"{entry.get_response_time_percentile(0.5):.0f} | "
            f"{entry.get_response_time_percentile(0.95):.0f} | "
            f"{entry.get_response_time_percentile(0.99):.0f} |"
        )
    total = stats.total
    print(
        f"| all | {total.num_requests} | {total.num_failures} | "
        f"{total.get_response_time_percentile(0.5):.0f} | "
        f"{total.get_response_time_percentile(0.95):.0f} | "
        f"{total.get_response_time_percentile(0.99):.0f} |"
    )
    for error in stats.errors.values():
        print(f"error ×{error.occurrences}: {error.method} {error.name}: {error.error}")
    print(f"locust {locust.__version__}")


if __name__ == "__main__":
    main()
