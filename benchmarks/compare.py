"""One page served two ways, measured side by side: another version of duban, or the
same version on another database. Not a test.

    # a change: this checkout against another one, on the configured database
    git worktree add /tmp/before main~1
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/duban_scale \\
        .venv/bin/python benchmarks/compare.py --tree /tmp/before --persona liaison
    # the growth budget: 100,000 items against 10,000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/duban_scale \\
        .venv/bin/python benchmarks/compare.py \\
        --database postgres://postgres@127.0.0.1:5432/duban_10k \\
        --persona office --page /reports/dashboard/

Timing the two one after the other on a shared machine cannot show a change of a few
percent, nor a page's growth: the machine's speed drifts by a fifth, at times by half,
within minutes (docs/performance.md). Here each side serves the page in a process of
its own (Django's test client, production settings, as benchmarks/pages.py), and the
two are run in alternating batches (`--batches` of `--requests` each, every other
batch in the other order), so that a slower minute slows both alike. For each side it
prints the median and p95 server time of a request, the process's CPU time per
request (user and system) and, on PostgreSQL on this machine, that of its database
connection's server process (from /proc); then the first side's CPU difference from
the second's and the ratio of their medians.

`--tree DIR`: the other side imports its `duban` package from DIR (any directory
holding a checkout), with this checkout's benchmark and environment. `--database URL`:
the other side runs this checkout on that database.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
import pages  # noqa: E402 - this checkout's benchmark helpers; they import no duban module

WARM_UP_REQUESTS = 30


@dataclass
class Cost:
    """What `requests` requests took: the server process's CPU seconds, its database's
    (None if not measured), and each request's time in milliseconds."""

    python: float = 0.0
    database: float | None = None
    requests: int = 0
    times: list[float] = field(default_factory=list)

    def add(self, python: float, database: float | None, times: list[float]) -> None:
        self.python += python
        if database is not None:
            self.database = (self.database or 0.0) + database
        self.requests += len(times)
        self.times.extend(times)

    def per_request(self) -> tuple[float, float | None]:
        """CPU milliseconds per request: Python, and the database's (None if not
        measured)."""
        python = self.python / self.requests * 1000
        database = None if self.database is None else self.database / self.requests * 1000
        return python, database

    def median(self) -> float:
        return statistics.median(self.times)

    def p95(self) -> float:
        return pages.p95(self.times)


def report(costs: dict[str, Cost]) -> list[str]:
    """The table of the two sides, the first's CPU difference from the second's and
    the ratio of their medians."""
    lines = [
        "| side | median ms | p95 ms | Python CPU ms/request | database CPU ms/request |",
        "|---|---|---|---|---|",
    ]
    for name, cost in costs.items():
        python, database = cost.per_request()
        shown = "" if database is None else f"{database:.2f}"
        lines.append(
            f"| {name} | {cost.median():.1f} | {cost.p95():.1f} | {python:.2f} | {shown} |"
        )
    first, second = costs.values()
    cpu = [sum(value or 0.0 for value in cost.per_request()) for cost in (first, second)]
    lines.append(
        f"CPU difference: {cpu[0] - cpu[1]:+.2f} ms a request ({cpu[0] / cpu[1] - 1:+.1%})"
    )
    lines.append(f"median ratio: {first.median() / second.median():.2f}×")
    return lines


# ----------------------------------------------------------------------------- worker


def worker(tree: str, persona: str, page: str) -> None:
    """Serve `page` as `persona` with the duban of `tree`: after a warm-up, print
    `ready`; then for each line N read, serve N requests and print the CPU seconds
    they took here and in the database's server process ('-' if not measured), and
    each request's milliseconds."""
    sys.path.insert(0, tree)  # ahead of this checkout, which `pages` put first
    pages.setup_django()
    from django.test import Client

    user = pages.personas([persona]).get(persona)
    if user is None:
        raise SystemExit(f"no {persona} in this database (seed_scale or the demo)")
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    for _ in range(WARM_UP_REQUESTS):
        status = client.get(page).status_code
        if status != 200:
            raise SystemExit(f"{page} answered {status} to {persona}")
    server_cpu = database_process_cpu()
    print("ready", flush=True)
    for line in sys.stdin:
        before, database_before = os.times(), server_cpu()
        times = []
        for _ in range(int(line)):
            started = time.perf_counter()
            client.get(page)
            times.append((time.perf_counter() - started) * 1000)
        after, database_after = os.times(), server_cpu()
        python = after.user + after.system - before.user - before.system
        database = (
            "-"
            if database_before is None or database_after is None
            else str(database_after - database_before)
        )
        print(python, database, ",".join(f"{value:.3f}" for value in times), flush=True)


def database_process_cpu() -> Callable[[], float | None]:
    """A function giving the CPU seconds of the connection's PostgreSQL server process
    so far, or None where that cannot be read (another database, another machine)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return lambda: None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        stat = Path(f"/proc/{cursor.fetchone()[0]}/stat")
    ticks = os.sysconf("SC_CLK_TCK")

    def seconds() -> float | None:
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # not on this machine
            return None
        return (int(fields[11]) + int(fields[12])) / ticks  # utime, stime

    return seconds


# ----------------------------------------------------------------------------- driver


@dataclass(frozen=True)
class Side:
    name: str
    tree: str
    database_url: str


def start(side: Side, persona: str, page: str) -> subprocess.Popen[str]:
    environment = {
        **os.environ,
        "DATABASE_URL": side.database_url,
        # One connection, so that its server process is the one measured.
        "DB_POOL_MIN_SIZE": "1",
        "DB_POOL_MAX_SIZE": "1",
    }
    process = subprocess.Popen(  # noqa: S603 - this file, with our own arguments
        [sys.executable, __file__, "--worker", side.tree, persona, page],
        env=environment,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    if process.stdout.readline().strip() != "ready":
        process.kill()
        raise SystemExit(f"{side.name} did not start")
    return process


def compare(sides: list[Side], persona: str, page: str, batches: int, requests: int) -> list[str]:
    processes = {side.name: start(side, persona, page) for side in sides}
    costs = {side.name: Cost() for side in sides}
    names = list(processes)
    try:
        for batch in range(batches):
            for name in names if batch % 2 == 0 else reversed(names):
                process = processes[name]
                assert process.stdin is not None and process.stdout is not None
                process.stdin.write(f"{requests}\n")
                process.stdin.flush()
                python, database, times = process.stdout.readline().split()
                costs[name].add(
                    float(python),
                    None if database == "-" else float(database),
                    [float(value) for value in times.split(",")],
                )
    finally:
        for process in processes.values():
            assert process.stdin is not None
            process.stdin.close()
            process.wait()
    username = pages.PERSONAS.get(persona) or persona
    title = f"# {page} as {username}: {batches} alternating batches of {requests} requests"
    return [title, *report(costs)]


def sides(arguments: argparse.Namespace, database_url: str) -> list[Side]:
    here = Side(f"{ROOT}, {_database_name(database_url)}", str(ROOT), database_url)
    if arguments.tree:
        tree = str(Path(arguments.tree).resolve())
        return [here, Side(f"{tree}, {_database_name(database_url)}", tree, database_url)]
    return [
        here,
        Side(f"{ROOT}, {_database_name(arguments.database)}", str(ROOT), arguments.database),
    ]


def _database_name(url: str) -> str:
    return url.rsplit("/", 1)[-1] or url


def main() -> None:
    if sys.argv[1:2] == ["--worker"]:
        worker(*sys.argv[2:5])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    other = parser.add_mutually_exclusive_group(required=True)
    other.add_argument("--tree", help="the other side: a directory holding another checkout")
    other.add_argument("--database", help="the other side: this checkout on this database URL")
    parser.add_argument("--persona", default="liaison", help="a persona of benchmarks/pages.py")
    parser.add_argument("--page", default="/items/")
    parser.add_argument("--batches", type=int, default=30)
    parser.add_argument("--requests", type=int, default=40)
    arguments = parser.parse_args()
    if arguments.tree and not (Path(arguments.tree) / "duban").is_dir():
        parser.error(f"{arguments.tree} holds no duban checkout")
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url:
        parser.error("DATABASE_URL is not set: say which database this side runs on")
    for line in compare(
        sides(arguments, database_url),
        arguments.persona,
        arguments.page,
        max(2, arguments.batches),
        max(1, arguments.requests),
    ):
        print(line, flush=True)


if __name__ == "__main__":
    main()
