"""Importing at scale (issue 8 part 4): the page's import runs as a background task
with its progress on the page, stays all or nothing, is refused a second time, and
its queries do not grow with its rows.

The task is run as a worker runs it (`run_import.call`), right after the page's
confirmation has queued it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from duban.audit.models import AuditEvent
from duban.audit.verification import verify_chain
from duban.items.errors import InvalidInput
from duban.items.models import Item, LedgerCounter
from duban.ledger import actions
from duban.ledger.actions import confirm_ledger_import, import_ledger, upload_ledger
from duban.ledger.models import ImportStatus, LedgerImport
from duban.ledger.tasks import run_import
from tests.conftest import Org
from tests.test_ledger_import import SHANGHAI, counts, now_at, workbook_bytes

pytestmark = pytest.mark.django_db

STATUSES = ("已办结", "办理中", "已立项", "已交办", "已报结")


@pytest.fixture(autouse=True)
def today() -> Any:
    with now_at(2026, 11, 20, 10):
        yield


def many_rows(count: int, *, unit: str = "教务处") -> list[list[Any]]:
    """`count` rows of a year's ledger: meeting items in each imported status."""
    rows = []
    for index in range(1, count + 1):
        status = STATUSES[index % len(STATUSES)]
        established = dt.date(2026, 1, 5) + dt.timedelta(days=index % 200)
        rows.append(
            [
                index,
                f"第{index}项督办事项",
                f"第{index}项工作内容。",
                "校长办公会纪要〔2026〕第5期",
                "会议决定事项",
                "校长办公会",
                unit,
                "人事处" if index % 2 else "",
                established,
                established + dt.timedelta(days=1),
                established + dt.timedelta(days=60),
                status,
                established + dt.timedelta(days=30) if status == "已办结" else "",
                "",
            ]
        )
    return rows


class Progress:
    """Records what the import tells the cache while it runs."""

    def __init__(self) -> None:
        self.seen: list[tuple[int, int]] = []

    def set(self, key: str, value: tuple[int, int], timeout: int) -> None:
        self.seen.append(value)

    def get(self, key: str) -> Any:
        return self.seen[-1] if self.seen else None

    def delete(self, key: str) -> None:
        pass


def queued(org: Org, rows: list[list[Any]], django_capture_on_commit_callbacks: Any) -> Any:
    ledger_import = upload_ledger(
        org.office_supervisor, filename="2026台账.xlsx", content=workbook_bytes(rows)
    )
    with django_capture_on_commit_callbacks() as callbacks:
        confirm_ledger_import(org.office_supervisor, ledger_import)
    assert len(callbacks) == 1  # the task is queued once the confirmation commits
    ledger_import.refresh_from_db()
    return ledger_import


def test_the_task_imports_in_batches_and_records_its_progress(
    org: Org, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    monkeypatch.setattr(actions, "BATCH_SIZE", 5)
    progress = Progress()
    monkeypatch.setattr(actions, "cache", progress)
    ledger_import = queued(org, many_rows(12), django_capture_on_commit_callbacks)
    assert (ledger_import.status, ledger_import.rows_total) == (ImportStatus.QUEUED, 12)
    assert Item.objects.count() == 0

    result = run_import.call(ledger_import.pk)  # as a worker runs it

    assert result == {"status": "imported", "items": 12}
    # (rows done, rows to do) after every batch, each stamped with the time it was told.
    assert [value[:2] for value in progress.seen] == [(0, 0), (0, 12), (5, 12), (10, 12), (12, 12)]
    assert all(len(value) == 3 for value in progress.seen)
    ledger_import.refresh_from_db()
    assert ledger_import.status == ImportStatus.IMPORTED
    assert (ledger_import.rows_done, ledger_import.rows_total, ledger_import.item_count) == (
        12,
        12,
        12,
    )
    assert Item.objects.count() == 12
    assert Item.objects.filter(status="completed").count() == 2
    completed = Item.objects.filter(status="completed").first()
    assert completed is not None
    assert list(completed.events.values_list("verb", flat=True)) == [
        "establish",
        "assign",
        "sign_for",
        "draft_completion_report",
        "confirm_report",
        "accept_report",
        "import_ledger_row",
    ]
    assert verify_chain(None, full=True).intact
    # A second copy of the task finds the import done and changes nothing.
    before = counts()
    assert run_import.call(ledger_import.pk) == {
        "skipped": "not queued, or claimed by another worker"
    }
    assert counts() == before


def test_the_page_shows_the_progress_and_refreshes_itself(
    client: Client,
    org: Org,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    ledger_import = queued(org, many_rows(12), django_capture_on_commit_callbacks)
    client.force_login(org.office_supervisor)
    detail = reverse("ledger-import-detail", args=[ledger_import.pk])
    page = client.get(detail).content.decode()
    assert "已确认导入，正在排队等待后台处理" in page
    assert '<meta http-equiv="refresh" content="3">' in page
    assert "确认导入</button>" not in page

    LedgerImport.objects.filter(pk=ledger_import.pk).update(status=ImportStatus.RUNNING)
    progress = Progress()
    progress.set("", (5, 12), 0)
    monkeypatch.setattr(actions, "cache", progress)
    page = client.get(detail).content.decode()
    assert "正在导入：已处理 5 / 12 行（42%）" in page
    assert '<progress max="12" value="5"' in page
    assert '<meta http-equiv="refresh" content="3">' in page

    LedgerImport.objects.filter(pk=ledger_import.pk).update(status=ImportStatus.QUEUED)
    run_import.call(ledger_import.pk)
    page = client.get(detail).content.decode()
    assert "已导入 12 项督办事项。" in page
    assert 'http-equiv="refresh"' not in page


def test_a_bad_row_anywhere_imports_nothing_and_shows_every_problem(
    client: Client, org: Org, django_capture_on_commit_callbacks: Any
) -> None:
    rows = many_rows(30)
    rows[14][6] = rows[20][6] = "财务处"  # rows 17 and 23: another lead unit
    rows[14][11] = rows[20][11] = "办理中"
    ledger_import = queued(org, rows, django_capture_on_commit_callbacks)
    # Between the check and the import, that unit's liaison leaves: nobody can sign.
    org.other_unit_liaison.is_active = False
    org.other_unit_liaison.save()
    before = counts()

    assert run_import.call(ledger_import.pk) == {"status": "failed", "items": 0}

    assert counts() == before  # no item, no audit event, no number used
    assert Item.objects.count() == 0
    assert AuditEvent.objects.filter(verb__in=["establish", "import_ledger"]).count() == 0
    assert LedgerCounter.objects.filter(last_number__gt=0).count() == 0
    ledger_import.refresh_from_db()
    assert ledger_import.status == ImportStatus.FAILED
    assert ledger_import.rows_done == 0
    assert [problem["row"] for problem in ledger_import.report["problems"]] == [17, 23]
    assert ledger_import.report["problems"][0]["text"] == "第17行：督办事项不存在。"
    client.force_login(org.office_supervisor)
    page = client.get(reverse("ledger-import-detail", args=[ledger_import.pk])).content.decode()
    assert "导入未成功。" in page
    assert "发现 2 处问题，未导入任何事项。" in page
    assert "第17行：督办事项不存在。" in page and "第23行：督办事项不存在。" in page
    assert verify_chain(None, full=True).intact


def test_a_second_confirmation_is_refused_and_changes_nothing(
    client: Client, org: Org, django_capture_on_commit_callbacks: Any
) -> None:
    ledger_import = queued(org, many_rows(3), django_capture_on_commit_callbacks)
    client.force_login(org.office_supervisor)
    detail = reverse("ledger-import-detail", args=[ledger_import.pk])
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(detail)
    assert response.status_code == 409
    assert "该台账已确认导入，正在后台处理，请勿重复确认。" in response.content.decode()
    assert callbacks == []  # nothing queued again
    assert LedgerImport.objects.get().status == ImportStatus.QUEUED

    # One import at a time per person: another upload waits for this one.
    other = upload_ledger(
        org.office_supervisor, filename="b.xlsx", content=workbook_bytes(many_rows(2))
    )
    with pytest.raises(InvalidInput, match="您有一份台账正在导入"):
        confirm_ledger_import(org.office_supervisor, other)
    other.refresh_from_db()
    assert other.status == ImportStatus.PREVIEWED

    run_import.call(ledger_import.pk)
    before = counts()
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(detail)
    assert response.status_code == 409
    assert "该台账已经导入，不能重复导入。" in response.content.decode()
    assert callbacks == []
    assert counts() == before


def test_the_queries_do_not_grow_with_the_rows(org: Org) -> None:
    def queries(count: int) -> int:
        content = workbook_bytes(many_rows(count))
        with CaptureQueriesContext(connection) as captured:
            report = import_ledger(org.office_supervisor, content, filename="a.xlsx")
        assert report.imported, report.problems
        return len(captured)

    few = queries(20)
    many = queries(200)
    assert many < few * 3, (few, many)
    assert verify_chain(None, full=True).intact


def test_an_abandoned_import_no_longer_holds_the_uploaders_turn(
    org: Org, django_capture_on_commit_callbacks: Any
) -> None:
    stuck = queued(org, many_rows(2), django_capture_on_commit_callbacks)
    LedgerImport.objects.filter(pk=stuck.pk).update(status=ImportStatus.RUNNING)
    other = upload_ledger(
        org.office_supervisor, filename="b.xlsx", content=workbook_bytes(many_rows(3))
    )
    with pytest.raises(InvalidInput, match="您有一份台账正在导入"):
        confirm_ledger_import(org.office_supervisor, other)
    # Its worker died without a word: seven hours later it is given up.
    LedgerImport.objects.filter(pk=stuck.pk).update(
        started_at=dt.datetime(2026, 11, 20, 3, tzinfo=SHANGHAI)
    )
    with django_capture_on_commit_callbacks():
        confirm_ledger_import(org.office_supervisor, other)
    stuck.refresh_from_db()
    assert stuck.status == ImportStatus.FAILED
    assert stuck.report["problems"] == [
        {
            "row": None,
            "text": "导入未能在后台完成（已中断），未导入任何事项。请重新上传后再确认导入。",
        }
    ]
    assert LedgerImport.objects.get(pk=other.pk).status == ImportStatus.QUEUED
    assert Item.objects.count() == 0
