"""Benchmark of the ledger's Excel export (issue 5: "10,000 items within seconds and
without holding them all in memory"). Not a test.

    .venv/bin/python benchmarks/ledger_export.py                  # 10,000 items, SQLite
    .venv/bin/python benchmarks/ledger_export.py --items 1000
    .venv/bin/python benchmarks/ledger_export.py --postgres postgres://postgres@127.0.0.1:5432/postgres

It builds a scratch database — a temporary SQLite file, or with --postgres a new
database on that server, dropped at the end — migrates it, and writes the items with
`bulk_create` (fast, and acceptable here: this measures the export, not the actions),
with cooperating units, urges and extension requests on some of them. Then it exports
them exactly as the ledger page does (the office supervisor's `ledger_items`, no
filters, `write_ledger` to a temporary file) and prints:

- seconds: the export's wall time and CPU time, measured without tracemalloc;
- peak memory: tracemalloc's peak of Python allocations during a second export run
  (tracemalloc slows Python down, so that run is not timed);
- queries: how many SQL statements the export ran;
- the file's size and rows.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import secrets
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=10_000, help="items to export")
    parser.add_argument(
        "--postgres",
        help="a PostgreSQL server URL; a scratch database is created there and dropped",
    )
    return parser.parse_args()


def scratch_postgres(server_url: str) -> tuple[str, Any]:
    """Create a scratch database on the server; returns its URL and a drop function."""
    import psycopg

    name = f"duban_bench_{secrets.token_hex(4)}"
    with psycopg.connect(server_url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    base = server_url.rsplit("/", 1)[0]

    def drop() -> None:
        from django.db import connections

        connections.close_all()
        with psycopg.connect(server_url, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}"')

    return f"{base}/{name}", drop


def build(count: int) -> Any:
    """Units, people and `count` items written directly; returns the office supervisor."""
    from django.utils import timezone

    from duban.items.models import (
        LEDGER_PREFIX,
        DeadlineRule,
        ExtensionRequest,
        ExtensionStatus,
        Item,
        SourceBody,
        SourceKind,
        Urge,
        UrgeChannel,
    )
    from duban.items.states import Status
    from duban.organisation.models import Role, Unit, UnitKind, User

    office = Unit.objects.create(code="0100", name="党政办公室", kind=UnitKind.GENERAL_OFFICE)
    supervisor = User.objects.create(
        username="bench_supervisor",
        role=Role.OFFICE_SUPERVISOR,
        unit=office,
        full_name="孙督办",
    )
    units = Unit.objects.bulk_create(
        Unit(code=f"{200 + n:04d}", name=f"第{n + 1}单位", kind=UnitKind.DEPARTMENT)
        for n in range(40)
    )
    liaisons = User.objects.bulk_create(
        User(username=f"liaison{n}", role=Role.LIAISON, unit=unit, full_name=f"联络员{n}")
        for n, unit in enumerate(units)
    )
    for unit, liaison in zip(units, liaisons, strict=True):
        unit.liaison = liaison
    Unit.objects.bulk_update(units, ["liaison"])

    kinds = [
        (SourceKind.MEETING, SourceBody.PRESIDENT_MEETING),
        (SourceKind.ANNUAL, SourceBody.WORK_POINTS),
        (SourceKind.OTHER, SourceBody.SUPERIOR),
    ]
    statuses = [Status.ESTABLISHED, Status.ASSIGNED, Status.IN_PROGRESS, Status.COMPLETED]
    serials = dict.fromkeys((kind for kind, _ in kinds), 0)
    year = 2026
    start = dt.date(year, 1, 5)
    content = "按会议决定，认真研究制定工作方案，明确责任分工和时间节点，确保按期完成。" * 3
    rows = []
    for n in range(count):
        kind, body = kinds[n % 3]
        serials[kind] += 1
        serial = serials[kind]
        established = start + dt.timedelta(days=n % 300)
        deadline = established + dt.timedelta(days=20 + n % 60)
        status = statuses[n % 4]
        moment = timezone.make_aware(dt.datetime.combine(established, dt.time(9)))
        rows.append(
            Item(
                ledger_number=f"{LEDGER_PREFIX[kind]}〔{year}〕第{serial:04d}号",
                year=year,
                serial=serial,
                title=f"督办事项第{n + 1}项：推进重点工作",
                content=content,
                basis=f"校长办公会纪要〔{year}〕第{n % 40 + 1}期",
                source_kind=kind,
                source_body=body,
                deadline_rule=DeadlineRule.OFFICE_SET,
                original_deadline=deadline,
                deadline=deadline + dt.timedelta(days=30) if n % 10 == 0 else deadline,
                lead_unit=units[n % len(units)],
                supervising_office=office,
                supervisor=supervisor,
                status=status,
                established_at=moment,
                assigned_at=moment if status != Status.ESTABLISHED else None,
                signed_at=moment if status in (Status.IN_PROGRESS, Status.COMPLETED) else None,
                submitted_at=moment + dt.timedelta(days=15) if status == Status.COMPLETED else None,
                completed_at=moment + dt.timedelta(days=16) if status == Status.COMPLETED else None,
                created_by=supervisor,
            )
        )
    items = Item.objects.bulk_create(rows, batch_size=1000)
    through = Item.cooperating_units.through
    through.objects.bulk_create(
        (
            through(item_id=item.pk, unit_id=units[(index + 1) % len(units)].pk)
            for index, item in enumerate(items)
            if index % 2 == 0
        ),
        batch_size=2000,
    )
    Urge.objects.bulk_create(
        (
            Urge(
                item=item,
                unit=item.lead_unit,
                recipient=item.lead_unit.liaison,
                channel=UrgeChannel.PHONE,
                note="电话督促",
                urged_by=supervisor,
                created_at=item.established_at + dt.timedelta(days=10),
            )
            for index, item in enumerate(items)
            if index % 4 == 2
        ),
        batch_size=2000,
    )
    ExtensionRequest.objects.bulk_create(
        (
            ExtensionRequest(
                item=item,
                unit=item.lead_unit,
                requested_by=item.lead_unit.liaison,
                current_deadline=item.original_deadline,
                requested_deadline=item.deadline,
                reason="需等待上级文件",
                approver_kind="office",
                status=ExtensionStatus.APPROVED,
                decided_by=supervisor,
                decided_at=item.established_at + dt.timedelta(days=5),
                created_at=item.established_at + dt.timedelta(days=3),
            )
            for index, item in enumerate(items)
            if index % 10 == 0
        ),
        batch_size=2000,
    )
    return supervisor


def export_once(supervisor: Any, path: str) -> tuple[float, float, int, int]:
    """The page's export of everything the supervisor sees: (seconds, CPU seconds,
    rows, queries)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from duban.ledger.export import ledger_title, write_ledger
    from duban.web.views import ledger_items

    started, cpu_started = time.perf_counter(), time.process_time()
    with CaptureQueriesContext(connection) as queries:
        _form, items = ledger_items(supervisor, None)
        result = write_ledger(items, path, title=ledger_title(None), filters="筛选条件：无")
    return (
        time.perf_counter() - started,
        time.process_time() - cpu_started,
        result.count,
        len(queries),
    )


def main() -> None:
    arguments = parse_arguments()
    scratch = tempfile.mkdtemp(prefix="duban-bench-")
    drop = None
    if arguments.postgres:
        url, drop = scratch_postgres(arguments.postgres)
    else:
        url = f"sqlite:///{scratch}/bench.sqlite3"
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DEBUG", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "duban.settings")

    import django

    django.setup()
    from django.core.management import call_command

    from duban import clock

    try:
        started = time.perf_counter()
        call_command("migrate", verbosity=0)
        supervisor = build(arguments.items)
        print(
            f"database: {'postgresql' if drop else 'sqlite'}; "
            f"built {arguments.items} items in {time.perf_counter() - started:.1f} s"
        )
        path = os.path.join(scratch, "ledger.xlsx")
        moment = dt.datetime(2026, 12, 3, 10, tzinfo=dt.timezone(dt.timedelta(hours=8)))
        with clock.frozen_at(moment):
            seconds, cpu, rows, queries = export_once(supervisor, path)
            tracemalloc.start()
            export_once(supervisor, path)
            _current, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
        size = os.path.getsize(path)
        print(f"exported {rows} rows in {seconds:.2f} s (CPU {cpu:.2f} s; {queries} queries)")
        print(f"peak memory (tracemalloc): {peak / 1024 / 1024:.1f} MiB")
        print(f"file: {size / 1024 / 1024:.2f} MiB")
    finally:
        if drop is not None:
            drop()


if __name__ == "__main__":
    main()
