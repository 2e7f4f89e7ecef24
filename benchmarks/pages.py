"""Benchmark of the pages people open every day, on the configured database. Not a test.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/duban_scale \\
        .venv/bin/python manage.py seed_scale --items 100000 --events 1000000
    DATABASE_URL=... .venv/bin/python benchmarks/pages.py              # latency table
    DATABASE_URL=... .venv/bin/python benchmarks/pages.py --throughput # + 16 clients
    DATABASE_URL=... .venv/bin/python benchmarks/pages.py --jobs       # + sweep, export, ...
    DATABASE_URL=... .venv/bin/python benchmarks/pages.py --growth 10k.txt  # + growth

Latency: every page and API list in `PAGES`, as each persona in `PERSONAS` (office
supervisor, school leader, unit head, liaison, unit member, discipline and secrecy
supervisors), through Django's test client in this process: one warm-up request, then
`--repeat` timed ones. For each it prints the status, the query count (of one request),
the median and p95 server time, and for the ledger's pages the ratio to a bare baseline:
the same page's rows (the ledger's own queryset, sliced to the page) fetched as one SQL
statement and dumped to JSON. Pages a persona may not open (403, 404) are shown so.
On PostgreSQL each statement of every page is also EXPLAINed on this data, and the
pages whose plans read the items, notices or audit events from end to end (a
sequential scan) are listed under the table.

Growth (`--growth FILE`): FILE is the table this benchmark printed on a smaller
database (10,000 items); each page's median here is printed beside its median there,
with the ratio, the pages that grow more than 2x (the budget) and those whose query
count differs (the item page is compared by its template: each database's busiest item
has its own id).

Throughput (`--throughput`): gunicorn (2 sync workers, DEBUG off) serves the system and,
beside it, `benchmarks/baseline_wsgi.py` (the bare baseline as a WSGI app); 16 client
threads request the ledger's first page as the liaison and as the office supervisor for
`--seconds` each, and the requests per second are printed with their ratio. Each server
is first warmed up the same way for `WARM_UP_SECONDS` (its workers' first requests
compile templates and SQL and open their database connections), so that both figures
are of a running server. The two are then hammered in turn, `--rounds` times for their
share of `--seconds`: a machine whose speed drifts over a minute (a shared host's
does, by a fifth) then slows both figures alike, not the one measured second.

Jobs (`--jobs`): the sweep's selection of what is due (seconds), the reminder sweep twice
at the same moment (sent steps and seconds;
the second run must send 0), `export_ledger` of the largest year (seconds, peak RSS),
a dry-run import of 10,000 rows of the system's own export, and `verify_audit`.

Figures and their date go in docs/performance.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PERSONAS = {
    "office": "office1",
    "leader": "leader_wang",
    "head": "jwc_head",
    "liaison": "jwc_liaison",
    "member": None,  # a member of 教务处, found at run time
    "discipline": "jiwei1",
    "secrecy": "baomi1",
}
LEDGER_PAGES = (
    "/items/",
    "/items/?light=red",
    "/items/?light=yellow",
    "/items/?status=in_progress",
    "/items/?overdue=yes",
    "/items/?year={year}",
    "/items/?q=专项",
    "/items/?page=500",
)
PAGES = (
    "/",
    "/inbox/",
    *LEDGER_PAGES,
    "/items/{item}/",
    "/supervision/attention/",
    "/reports/",
    "/reports/dashboard/",
    "/reports/assessment/",
    "/api/v1/items",
    "/api/v1/items?light=red",
    "/api/v1/notices",
)


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7, help="timed requests per page")
    parser.add_argument("--personas", default=",".join(PERSONAS), help="comma-separated")
    parser.add_argument("--pages", default="", help="only pages containing this text")
    parser.add_argument("--throughput", action="store_true", help="also run 16 clients")
    parser.add_argument("--seconds", type=float, default=10.0, help="per throughput run")
    parser.add_argument("--rounds", type=int, default=5, help="turns of each throughput run")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--jobs", action="store_true", help="also time sweep, export, ...")
    parser.add_argument("--sql", action="store_true", help="print each slow page's SQL")
    parser.add_argument("--import-rows", type=int, default=10_000, help="rows of the import job")
    parser.add_argument(
        "--growth",
        metavar="FILE",
        help="the table this benchmark printed on a smaller database: each page's growth",
    )
    return parser.parse_args()


def setup_django() -> None:
    """Django as in production (DEBUG off), with the keys the database was seeded with:
    those given in the environment, else the development ones (`manage.py` with
    DEBUG=1), so that the audit events the pages write still verify."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "duban.settings")
    os.environ.setdefault("OTP_REQUIRED", "0")
    if "DEBUG" not in os.environ:
        import importlib

        os.environ["DEBUG"] = "1"
        development = importlib.import_module("duban.settings")
        os.environ.setdefault("SECRET_KEY", development.SECRET_KEY)
        os.environ.setdefault("AUDIT_KEY", development.AUDIT_KEY)
        del sys.modules["duban.settings"]
        os.environ["DEBUG"] = "0"
        os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost")
        os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
    import logging

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    if not settings.DEBUG:  # pages link their static files through the manifest
        call_command("collectstatic", interactive=False, verbosity=0)
    # A page a persona may not open is a row of the table, not a traceback.
    for name in ("django.request", "django.security", "duban.requests"):
        logging.getLogger(name).setLevel(logging.CRITICAL)


@dataclass
class Row:
    persona: str
    page: str
    status: int
    queries: int
    median_ms: float
    p95_ms: float
    baseline_ms: float | None = None
    sql_ms: float = 0.0
    full_scans: tuple[str, ...] = ()  # big tables a statement reads end to end

    def line(self) -> str:
        if self.status >= 300:
            return f"| {self.persona} | `{self.page}` | {self.status} | | | | |"
        ratio = f"{self.median_ms / self.baseline_ms:.1f}×" if self.baseline_ms else ""
        baseline = f"{self.baseline_ms:.0f}" if self.baseline_ms else ""
        return (
            f"| {self.persona} | `{self.page}` | {self.status} | {self.queries} | "
            f"{self.median_ms:.0f} | {self.p95_ms:.0f} | {baseline} {ratio} |"
        )


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def timed(call: Callable[[], Any], repeat: int) -> list[float]:
    call()  # warm
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return times


# ----------------------------------------------------------------------------- latency


def personas(selected: list[str]) -> dict[str, Any]:
    from duban.organisation.models import Role, User

    found = {}
    for key in selected:
        username = PERSONAS[key]
        if username is None:
            user = User.objects.filter(role=Role.UNIT_MEMBER, unit__code="0301").first()
            user = user or User.objects.filter(role=Role.UNIT_MEMBER).first()
        else:
            user = User.objects.filter(username=username).first()
        if user is not None:
            found[key] = user
    return found


class QueryLog:
    """Counts and times every SQL statement (a connection's execute wrapper: it survives
    the connection being closed and reopened between requests)."""

    def __init__(self) -> None:
        self.queries: list[tuple[float, str]] = []
        self.statements: list[tuple[str, Any]] = []  # each with its parameters

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.queries.append(((time.perf_counter() - started) * 1000, sql))
            self.statements.append((sql, params))


BIG_TABLES = ("items_item", "items_notice", "audit_auditevent")


def full_scans(statements: list[tuple[str, Any]]) -> tuple[str, ...]:
    """The big tables (items, notices, audit events) that PostgreSQL's plan of each
    SELECT reads from end to end (a sequential scan), as it plans them on this data."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return ()
    found: list[str] = []

    def walk(node: dict[str, Any]) -> None:
        if node.get("Node Type") == "Seq Scan" and node.get("Relation Name") in BIG_TABLES:
            found.append(node["Relation Name"])
        for child in node.get("Plans", []):
            walk(child)

    for sql, params in statements:
        if not sql.lstrip().upper().startswith("SELECT"):
            continue
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
            plan = cursor.fetchone()[0]
        walk((json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"])
    return tuple(sorted(set(found)))


def busiest_item(user: Any) -> int | None:
    """The visible item with the most audit events (the item page with its timeline)."""
    from django.db.models import Count

    from duban.items.models import Item

    visible = Item.objects.visible_to(user).order_by()
    top = (
        visible.filter(pk__in=visible.values("pk")[:2000])
        .annotate(n=Count("events"))
        .order_by("-n")
        .values_list("pk", flat=True)
        .first()
    )
    return top


def baseline(user: Any, query: str) -> Callable[[], str]:
    """The ledger page's rows as one SQL statement, dumped to JSON."""
    from django.http import QueryDict

    from duban.web.views import PAGE_SIZE, ledger_items

    params = QueryDict(query.partition("?")[2])
    page = int(params.get("page", "1") or 1)

    def run() -> str:
        _form, items = ledger_items(user, params)
        start = (page - 1) * PAGE_SIZE
        rows = items.values("pk", "ledger_number", "title", "deadline", "status", "light")[
            start : start + PAGE_SIZE
        ]
        return json.dumps(list(rows), default=str, ensure_ascii=False)

    return run


def latency(arguments: argparse.Namespace) -> list[Row]:
    from django.db import connection
    from django.test import Client

    from duban import clock
    from duban.api.tokens import issue_token
    from duban.items.models import Item

    year = Item.objects.order_by("-year").values_list("year", flat=True).first() or (
        clock.today().year
    )
    rows: list[Row] = []
    for key, user in personas(arguments.personas.split(",")).items():
        client = Client(SERVER_NAME="127.0.0.1")
        client.force_login(user)
        token = issue_token(user)[0]
        api = Client(SERVER_NAME="127.0.0.1", headers={"Authorization": f"Bearer {token}"})
        item = busiest_item(user)
        for template in PAGES:
            if arguments.pages and arguments.pages not in template:
                continue
            if "{item}" in template and item is None:
                continue
            page = template.format(year=year, item=item)
            agent = api if page.startswith("/api/") else client
            response = agent.get(page)
            if response.status_code != 200:
                rows.append(Row(key, page, response.status_code, 0, 0, 0))
                print(rows[-1].line(), flush=True)
                continue
            captured = QueryLog()
            with connection.execute_wrapper(captured):
                agent.get(page)
            sql_ms = sum(ms for ms, _sql in captured.queries)
            times = timed(lambda agent=agent, page=page: agent.get(page), arguments.repeat)
            base = None
            if page.startswith("/items/?") or page == "/items/":
                base = statistics.median(timed(baseline(user, page), arguments.repeat))
            row = Row(
                key,
                page,
                200,
                len(captured.queries),
                statistics.median(times),
                p95(times),
                base,
                sql_ms,
                full_scans(captured.statements),
            )
            rows.append(row)
            print(row.line(), flush=True)
            if arguments.sql and row.median_ms > 150:
                for ms, sql in sorted(captured.queries, key=lambda query: -query[0])[:3]:
                    print(f"    {ms:.0f} ms: {sql[:600]}")
    return rows


# ----------------------------------------------------------------------------- growth

GROWTH_LIMIT = 2.0  # the budget: a page's median at 100,000 items at most 2x at 10,000
ITEM_PAGE = re.compile(r"^/items/\d+/$")


def page_key(persona: str, page: str) -> tuple[str, str]:
    """A row's persona and page, the item page named by its template (each database's
    busiest item has its own id)."""
    return persona, ITEM_PAGE.sub("/items/{item}/", page)


def read_table(path: str) -> tuple[str, dict[tuple[str, str], tuple[int, float]]]:
    """The item count and the rows (queries, median ms) of a table this benchmark
    printed: its pages that answered 200."""
    header, rows = "", {}
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if line.startswith("# duban pages on "):
            header = line.partition(": ")[2].partition(",")[0]
        cells = [cell.strip() for cell in line.split("|")[1:-1]]
        if len(cells) == 7 and cells[2] == "200":
            rows[page_key(cells[0], cells[1].strip("`"))] = (int(cells[3]), float(cells[4]))
    return header, rows


def growth(rows: list[Row], path: str) -> list[str]:
    """Each page's median here against its median in `path`, with the pages that grow
    more than GROWTH_LIMIT times and those whose query count differs."""
    there_items, there = read_table(path)
    lines = [
        "\n| persona | page | queries there, here | median ms there, here | growth |",
        "|---|---|---|---|---|",
    ]
    compared = over = counts_differ = 0
    for row in rows:
        before = there.get(page_key(row.persona, row.page))
        if row.status != 200 or before is None or not before[1]:
            continue
        compared += 1
        ratio = row.median_ms / before[1]
        over += ratio > GROWTH_LIMIT
        counts_differ += before[0] != row.queries
        mark = " **over**" if ratio > GROWTH_LIMIT else ""
        lines.append(
            f"| {row.persona} | `{row.page}` | {before[0]}, {row.queries} | "
            f"{before[1]:.0f}, {row.median_ms:.0f} | {ratio:.1f}×{mark} |"
        )
    lines.append(
        f"\nGrowth from {path} ({there_items}): {over} of {compared} pages more than "
        f"{GROWTH_LIMIT:.0f}×; query count differs on {counts_differ}"
    )
    return lines


# ----------------------------------------------------------------------------- throughput


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_gunicorn(
    app: str, port: int, env: dict[str, str], workers: int = 2
) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(  # noqa: S603 - our own gunicorn and arguments
        [
            str(Path(sys.executable).parent / "gunicorn"),
            app,
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "--chdir",
            str(ROOT),
        ],
        env=env,
    )
    for _ in range(100):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"gunicorn {app} did not start")


WARM_UP_SECONDS = 3.0


def hammer(port: int, path: str, cookie: str, clients: int, seconds: float) -> tuple[int, float]:
    """The requests that `clients` threads get answered for `path` in about `seconds`,
    and the seconds they took."""
    done = [0] * clients
    failed: list[str] = []
    stop = time.monotonic() + seconds

    def client(index: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        headers = {"Cookie": cookie, "Host": "127.0.0.1"}
        while time.monotonic() < stop:
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            response.read()
            if response.status != 200:
                failed.append(f"{response.status} {path}")
                return
            done[index] += 1

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failed:
        raise RuntimeError(f"throughput run failed: {failed[0]}")
    return sum(done), time.monotonic() - started


def rates(
    runs: list[tuple[str, int, str]], clients: int, seconds: float, rounds: int
) -> list[float]:
    """Requests per second of each (port, path, cookie), hammered in turn `rounds`
    times for its share of `seconds`, after a warm-up of each."""
    for port, path, cookie in runs:
        hammer(port, path, cookie, clients, WARM_UP_SECONDS)
    served = [(0, 0.0)] * len(runs)
    for _round in range(rounds):
        for index, (port, path, cookie) in enumerate(runs):
            count, spent = hammer(port, path, cookie, clients, seconds / rounds)
            served[index] = (served[index][0] + count, served[index][1] + spent)
    return [count / spent for count, spent in served]


def server_environment(**extra: str) -> dict[str, str]:
    """The environment of a server or job the benchmarks start: production settings
    (DEBUG off) with the keys of this process, so sessions signed here are valid there
    and the audit events they write verify."""
    from django.conf import settings

    return {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": settings.SECRET_KEY,
        "AUDIT_KEY": settings.AUDIT_KEY,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "OTP_REQUIRED": "0",
        "REQUEST_LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
        **extra,
    }


def verify_audit_full(env: dict[str, str]) -> tuple[bool, str]:
    """`verify_audit --full` (no anchor): whether the chain holds, and its last line."""
    done = subprocess.run(
        [sys.executable, "manage.py", "verify_audit", "--full", "--no-anchor"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    return done.returncode == 0, done.stdout.strip() or done.stderr.strip()


def throughput(arguments: argparse.Namespace) -> list[str]:
    from django.test import Client

    users = personas(["liaison", "office"])
    env = server_environment()
    lines = []
    for key, user in users.items():
        client = Client()
        client.force_login(user)
        cookie = f"sessionid={client.cookies['sessionid'].value}"
        env["BASELINE_USER"] = user.username
        port, base_port = free_port(), free_port()
        server = start_gunicorn("duban.wsgi:application", port, env)
        bare = start_gunicorn("benchmarks.baseline_wsgi:application", base_port, env)
        try:
            served, plain = rates(
                [(port, "/items/", cookie), (base_port, "/", "")],
                arguments.clients,
                arguments.seconds,
                max(1, arguments.rounds),
            )
        finally:
            server.terminate()
            bare.terminate()
            server.wait()
            bare.wait()
        line = (
            f"| {key} | `/items/` | {served:.1f} req/s | baseline {plain:.1f} req/s | "
            f"{served / plain:.0%} |"
        )
        print(line, flush=True)
        lines.append(line)
    return lines


# ----------------------------------------------------------------------------- jobs


# Runs a command and prints its peak RSS (KB) last on stderr. The benchmark's own
# process is large: a child forked from it would count the parent's pages in its peak,
# so the command is started from this small process instead.
PEAK_RSS = (
    "import resource, subprocess, sys; done = subprocess.run(sys.argv[1:]); "
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); "
    "sys.exit(done.returncode)"
)


def run_timed(command: list[str]) -> tuple[float, float, str]:
    """Seconds, peak RSS (MB) of the command alone, and its last line of output."""
    started = time.perf_counter()
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-c", PEAK_RSS, *command],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    errors = done.stderr.strip().splitlines()
    peak = int(errors.pop()) / 1024 if errors and errors[-1].isdigit() else 0.0
    output = done.stdout.strip().splitlines() or errors
    last = output[-1] if output else ""
    if done.returncode != 0:
        last = f"FAILED ({done.returncode}): {last}"
    return seconds, peak, last


def jobs(import_rows: int) -> list[str]:
    from django.db.models import Count
    from django.utils import timezone

    from duban import clock
    from duban.items.lights import annotate_lights, light_thresholds
    from duban.items.models import Confidentiality, Item
    from duban.items.states import Status
    from duban.items.sweep import due_steps, run_sweep
    from duban.ledger.export import ledger_title, write_ledger
    from duban.workcalendar.calendar import WorkCalendar

    lines = []
    # 09:00 of the last working day up to today: the sweep sends nothing on a day off.
    calendar = WorkCalendar()
    day = clock.today()
    while not calendar.is_workday(day).is_workday:
        day -= dt.timedelta(days=1)
    moment = min(clock.now(), timezone.make_aware(dt.datetime.combine(day, dt.time(9))))
    with clock.frozen_at(moment):
        started = time.perf_counter()
        selected = due_steps(day, calendar, light_thresholds(day, calendar))
        seconds = time.perf_counter() - started
    lines.append(f"| sweep, selecting what is due | {seconds:.1f} s | {len(selected)} steps |")
    print(lines[-1], flush=True)
    for run in (1, 2):
        started = time.perf_counter()
        result = run_sweep(moment)
        seconds = time.perf_counter() - started
        rate = f", {result.sent / seconds:.0f} steps/s" if result.sent else ""
        lines.append(f"| sweep, run {run} | {seconds:.1f} s | sent {result.sent}{rate} |")
        print(lines[-1], flush=True)

    year = (
        Item.objects.values("year")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .values_list("year", flat=True)
        .first()
    )
    count = Item.objects.filter(year=year).count()
    manage = [sys.executable, "manage.py"]
    with tempfile.TemporaryDirectory() as folder:
        output = Path(folder) / "year.xlsx"
        seconds, peak, last = run_timed(
            [*manage, "export_ledger", "--year", str(year), "--output", str(output)]
        )
        lines.append(
            f"| export_ledger {year} ({count} items) | {seconds:.1f} s | "
            f"peak RSS {peak:.0f} MB · {last} |"
        )
        print(lines[-1], flush=True)

        rows = Item.objects.filter(
            year=year,
            confidentiality=Confidentiality.ORDINARY,
            status__in=(
                Status.ESTABLISHED,
                Status.ASSIGNED,
                Status.IN_PROGRESS,
                Status.SUBMITTED,
                Status.COMPLETED,
            ),
            extension_request__isnull=True,  # seeded requests do not keep R-E2's dates
        ).order_by("pk")[:import_rows]
        sample = Path(folder) / "import.xlsx"
        write_ledger(
            annotate_lights(Item.objects.filter(pk__in=list(rows.values_list("pk", flat=True)))),
            str(sample),
            title=ledger_title(year),
            filters="benchmark",
        )
        seconds, peak, last = run_timed(
            [*manage, "import_ledger", str(sample), "--supervisor", "office1", "--dry-run"]
        )
        lines.append(
            f"| import_ledger --dry-run ({import_rows} rows) | {seconds:.1f} s | "
            f"{seconds / max(1, import_rows) * 1000:.0f} ms/row · {last[:60]} |"
        )
        print(lines[-1], flush=True)
    seconds, peak, last = run_timed([*manage, "verify_audit", "--no-anchor"])
    lines.append(f"| verify_audit | {seconds:.1f} s | {last} |")
    print(lines[-1], flush=True)
    return lines


def main() -> None:
    arguments = parse_arguments()
    setup_django()
    from django.db import connection

    from duban.items.models import Item

    print(
        f"# duban pages on {connection.vendor}: {Item.objects.count()} items, "
        f"{time.strftime('%Y-%m-%d %H:%M')}"
    )
    print("| persona | page | status | queries | median ms | p95 ms | baseline ms, ratio |")
    print("|---|---|---|---|---|---|---|")
    rows = latency(arguments)
    if connection.vendor == "postgresql":
        scanned = [row for row in rows if row.full_scans]
        print(
            f"\nSequential scans of {', '.join(BIG_TABLES)} in the plans of the "
            f"{sum(row.queries for row in rows)} statements above: "
            + ("none" if not scanned else f"{len(scanned)} pages")
        )
        for row in scanned:
            print(f"- {row.persona} `{row.page}`: {', '.join(row.full_scans)}")
    if arguments.growth:
        print("\n".join(growth(rows, arguments.growth)))
    if arguments.throughput:
        print("\n| persona | page | served | baseline | share |\n|---|---|---|---|---|")
        throughput(arguments)
    if arguments.jobs:
        print("\n| job | time | result |\n|---|---|---|")
        jobs(arguments.import_rows)


if __name__ == "__main__":
    main()
