"""The ledger round trip (issue: loose ends, 4): the ledger's own export imports again.
A year exported by `export_ledger` and imported by `import_ledger` into a database that
holds only the organisation gives the same items — numbers, units, deadlines, states,
leaders and dates, extensions with their dates — including returned, terminated and
archived rows.

The demo year is exported from its own database, built by the real commands in a
subprocess (`migrate`, `demo`, `export_ledger`), and imported into the test database
(SQLite or PostgreSQL) holding the demo's organisation only: two databases, as an
office moving its ledger would have."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.core.management import call_command

from duban import clock
from duban.audit.models import AuditEvent
from duban.documents.actions import file_volume
from duban.items import actions
from duban.items.lights import annotate_lights
from duban.items.models import Item
from duban.items.states import Status
from duban.ledger.actions import import_ledger
from duban.ledger.export import ledger_title, write_ledger
from duban.organisation import demo
from duban.organisation.models import User

from .conftest import Org, advance, establish
from .ledger_snapshot import item_facts, year_snapshot

SHANGHAI = ZoneInfo("Asia/Shanghai")
ROOT = Path(settings.BASE_DIR)


def run(*args: str, env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


@pytest.fixture(scope="module")
def demo_year(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int, dict[str, Any]]:
    """The demo's year exported from its own SQLite database, with what that database
    holds of it."""
    folder = tmp_path_factory.mktemp("round-trip")
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{folder / 'source.db'}",
        "DEBUG": "1",
        "OTP_REQUIRED": "0",
    }
    year = dt.date.today().year
    run("migrate", "-v0", env=env)
    run("demo", env=env)
    output = folder / f"台账{year}.xlsx"
    printed = run("export_ledger", "--year", str(year), "--output", str(output), env=env)
    assert printed.strip() == f"exported {len(json.loads(snapshot(env, year)))} items to {output}"
    return output, year, json.loads(snapshot(env, year))


def snapshot(env: dict[str, str], year: int) -> str:
    code = f"from tests.ledger_snapshot import dump; print(dump({year}))"
    return run("shell", "-c", code, env=env).strip().splitlines()[-1]


@pytest.mark.django_db
def test_the_demo_year_exported_and_imported_into_an_empty_database_is_the_same_year(
    demo_year: tuple[Path, int, dict[str, Any]],
) -> None:
    path, year, exported = demo_year
    demo.load(items=False)
    assert not Item.objects.exists()
    out = StringIO()
    call_command("import_ledger", str(path), "--supervisor", "office1", stdout=out)
    assert out.getvalue().strip().endswith(f"imported {len(exported)} items from {path}")
    imported = year_snapshot(year)
    assert sorted(imported) == sorted(exported)  # the same numbers
    for number, facts in exported.items():
        assert imported[number] == facts, number
    # The demo year covers what a round trip must keep.
    statuses = {facts["status"] for facts in exported.values()}
    assert {Status.RETURNED, Status.IN_PROGRESS, Status.SUBMITTED, Status.COMPLETED} <= statuses
    assert any(facts["extension"] for facts in exported.values())
    assert any(facts["deciding_leader"] for facts in exported.values())
    assert any(f["deadline"] != f["original_deadline"] for f in exported.values())
    # New items go on after the highest number kept.
    last = max(int(number[-5:-1]) for number in exported if number.startswith("督会"))
    supervisor = User.objects.get(username="office1")
    with clock.frozen_at(clock.now()):
        item = actions.establish_item(
            supervisor,
            actions.EstablishInput(
                title="导入后的新事项",
                content="内容",
                basis="依据",
                source_kind="meeting",
                source_body="president_meeting",
                lead_unit=Item.objects.first().lead_unit,
                office_deadline=clock.today() + dt.timedelta(days=30),
                office_reason="会议未明确时限，督办部门确定",
            ),
        )
    assert item.serial == last + 1


@pytest.fixture
def closed_items(org: Org) -> list[Item]:
    """A returned, a terminated, a completed-then-archived and a terminated-then-archived
    item of 2026."""
    with time_machine.travel(dt.datetime(2026, 3, 2, 10, tzinfo=SHANGHAI), tick=False) as t:
        returned = advance(org, establish(org, minutes_deadline=dt.date(2026, 4, 30)), "assigned")
        actions.return_item(org.lead_liaison, returned, "不属于本单位职责，建议由人事处承办")
        terminated = establish(org, minutes_deadline=dt.date(2026, 4, 30))
        archived = advance(
            org, establish(org, minutes_deadline=dt.date(2026, 4, 30)), "in_progress"
        )
        archived_terminated = establish(org, minutes_deadline=dt.date(2026, 5, 29))
        t.move_to(dt.datetime(2026, 3, 20, 10, tzinfo=SHANGHAI))
        actions.terminate_item(
            org.office_supervisor,
            archived_terminated,
            decision_kind="meeting",
            meeting_name="校长办公会2026年第5次会议",
            meeting_date=dt.date(2026, 3, 18),
            basis="校长办公会纪要〔2026〕第5期",
            reason="并入其他事项",
        )
        t.move_to(dt.datetime(2026, 4, 10, 10, tzinfo=SHANGHAI))
        actions.draft_completion_report(org.lead_liaison, archived, "已完成全部工作")
        actions.confirm_report(org.lead_head, archived)
        t.move_to(dt.datetime(2026, 4, 14, 10, tzinfo=SHANGHAI))
        actions.review_report(org.office_supervisor, archived, accept=True)
        t.move_to(dt.datetime(2027, 1, 8, 10, tzinfo=SHANGHAI))
        file_volume(org.office_supervisor, 2026)
        # Terminated after the year's volume was filed: it stays terminated.
        actions.terminate_item(
            org.office_supervisor,
            terminated,
            decision_kind="leader",
            leader=org.leader_in_charge,
            basis="王校长批示",
            reason="上级政策调整，不再实施",
        )
    items = [returned, terminated, archived, archived_terminated]
    for item in items:
        item.refresh_from_db()
    assert [item.status for item in items] == [
        Status.RETURNED,
        Status.TERMINATED,
        Status.ARCHIVED,
        Status.ARCHIVED,
    ]
    return items


@pytest.mark.django_db
def test_returned_terminated_and_archived_rows_import_with_their_state_and_dates(
    org: Org, closed_items: list[Item], tmp_path: Path
) -> None:
    path = tmp_path / "台账2026.xlsx"
    with time_machine.travel(dt.datetime(2027, 1, 11, 10, tzinfo=SHANGHAI), tick=False):
        write_ledger(
            annotate_lights(Item.objects.filter(pk__in=[item.pk for item in closed_items])),
            str(path),
            title=ledger_title(2026),
            filters="2026",
        )
        # The same database: the numbers are taken, so the rows get new ones, and
        # everything else the ledger says is the same.
        report = import_ledger(
            org.office_supervisor, path.read_bytes(), filename=path.name, year=2026
        )
    assert report.ok, report.problem_texts()
    new_numbers = [entry["number"] for entry in report.created]
    assert [entry["status"] for entry in report.created] == ["已退回", "已终止", "已归档", "已归档"]
    by_number = {
        item.ledger_number: item for item in Item.objects.filter(ledger_number__in=new_numbers)
    }
    originals = sorted(closed_items, key=lambda item: (item.source_kind, item.serial))
    for original, number in zip(originals, new_numbers, strict=True):
        copy = by_number[number]
        expected = {**item_facts(original), "number": number}
        assert item_facts(copy) == expected, original.ledger_number
    returned = by_number[new_numbers[0]]
    assert "不属于本单位职责" in AuditEvent.objects.get(item=returned, verb="return").summary
    archived = [
        by_number[number] for number in new_numbers if by_number[number].status == Status.ARCHIVED
    ]
    assert len(archived) == 2
    assert all(item.volume_entry.volume.year == 2026 for item in archived)


@pytest.mark.django_db
def test_a_terminated_row_without_its_decision_is_refused_and_nothing_is_imported(
    org: Org, tmp_path: Path
) -> None:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(
        [
            "事项名称",
            "工作内容",
            "督办依据",
            "承办单位",
            "来源类别",
            "具体来源",
            "办结时限",
            "立项日期",
            "状态",
        ]
    )
    sheet.append(
        [
            "某事项",
            "内容",
            "依据",
            org.lead_unit.name,
            "会议决定事项",
            "校长办公会",
            "2026-04-30",
            "2026-03-02",
            "已终止",
        ]
    )
    path = tmp_path / "t.xlsx"
    workbook.save(path)
    before = Item.objects.count()
    with time_machine.travel(dt.datetime(2026, 5, 1, 10, tzinfo=SHANGHAI), tick=False):
        report = import_ledger(org.office_supervisor, path.read_bytes(), filename="t.xlsx")
    assert not report.imported
    assert report.problem_texts() == [
        "第2行：已终止事项须在“退回或终止情况”中写明终止决定，如“2026-10-16终止；校领导：王某某；依据：……；原因：……”"
    ]
    assert Item.objects.count() == before
