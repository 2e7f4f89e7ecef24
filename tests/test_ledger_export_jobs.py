"""The ledger page's export of a large selection, written by a worker (duban.ledger.exporting).

Above LEDGER_EXPORT_DIRECT_ROWS rows the page offers a background export: it is queued,
the worker writes the page's own rows as the requester sees them (R-C5) and reports its
progress, the file is kept for its requester only, audited once, and dropped when it
expires. Refusals (a second export while one waits, over the limit, someone else's
export) answer in Chinese and change nothing. The worker's task is run as a worker
runs it (`.call`), and the clock is moved, never waited for.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from duban import clock
from duban.audit.models import AuditEvent
from duban.items.models import Item
from duban.ledger import exporting
from duban.ledger.export import write_ledger
from duban.ledger.models import ExportStatus, LedgerExport
from duban.organisation.models import User
from tests.conftest import Org, establish

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def small_direct_limit(settings: Any) -> None:
    settings.LEDGER_EXPORT_DIRECT_ROWS = 2


@pytest.fixture
def items(org: Org) -> list[Item]:
    return [
        establish(org, title="事项甲"),
        establish(org, title="事项乙"),
        establish(org, title="事项丙", confidentiality="sensitive"),
        establish(org, title="财务处事项", lead_unit=org.other_unit, cooperating_units=[]),
    ]


def start(client: Client, user: User, query: str = "") -> Any:
    client.force_login(user)
    return client.post(reverse("ledger-export-start"), {"query": query})


def exported_titles(content: bytes) -> list[str]:
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    return sorted(row[8] for row in sheet.iter_rows(min_row=4, values_only=True))


def exports() -> int:
    return AuditEvent.objects.filter(verb="export_ledger").count()


def test_a_large_selection_is_offered_as_a_background_export(
    client: Client, org: Org, items: list[Item]
):
    client.force_login(org.office_supervisor)
    response = client.get(reverse("ledger-export"), {"status": "established"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "符合条件的事项共 4 项" in page
    assert "将在后台生成" in page
    assert 'name="query" value="status=established"' in page
    # Nothing is queued, written or audited until the person asks for it.
    assert LedgerExport.objects.count() == 0
    assert exports() == 0


def test_a_small_selection_is_still_written_within_the_request(
    client: Client, org: Org, items: list[Item]
):
    client.force_login(org.other_unit_liaison)  # sees one item: at most the direct limit
    response = client.get(reverse("ledger-export"))
    assert response.status_code == 200
    assert exported_titles(b"".join(response.streaming_content)) == ["财务处事项"]
    assert LedgerExport.objects.count() == 0
    assert exports() == 1


def test_the_worker_writes_the_page_rows_and_the_requester_downloads_them(
    client: Client, org: Org, items: list[Item]
):
    response = start(client, org.office_supervisor, "status=established")
    job = LedgerExport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("ledger-export-job", args=[job.pk])
    assert (job.status, job.total, job.written) == (ExportStatus.QUEUED, 4, 0)
    page = client.get(response["Location"]).content.decode()
    assert "排队等待生成" in page
    assert 'hx-trigger="every 2s"' in page  # the page polls while the worker writes

    assert exporting.write_export.call(job.pk) == {"status": "done", "rows": 4}
    job.refresh_from_db()
    assert (job.status, job.written, job.total) == (ExportStatus.DONE, 4, 4)
    page = client.get(response["Location"]).content.decode()
    assert "已生成，共 4 项" in page
    assert "every 2s" not in page

    download = client.get(reverse("ledger-export-download", args=[job.pk]))
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment")
    content = b"".join(download.streaming_content)
    assert exported_titles(content) == sorted(item.title for item in items)
    event = AuditEvent.objects.get(verb="export_ledger")
    assert event.actor_id == org.office_supervisor.pk
    assert event.data["count"] == 4
    assert event.data["filters"] == {"status": "established"}
    assert event.data["restricted"] == [items[2].ledger_number]


def test_r_c5_the_rows_are_those_the_requester_may_see(client: Client, org: Org, items: list[Item]):
    start(client, org.lead_liaison)
    job = LedgerExport.objects.get()
    exporting.write_export.call(job.pk)
    job.refresh_from_db()
    assert job.status == ExportStatus.DONE
    mine = Item.objects.visible_to(org.lead_liaison).values_list("title", flat=True)
    assert exported_titles(bytes(job.content)) == sorted(mine)
    assert "财务处事项" not in exported_titles(bytes(job.content))


def test_progress_is_reported_while_the_rows_are_written(
    org: Org, items: list[Item], monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr("duban.ledger.export.PROGRESS_ROWS", 1)
    reported: list[int] = []
    write_ledger(Item.objects.all(), io.BytesIO(), title="t", filters="f", progress=reported.append)
    assert reported == [1, 2, 3, 4]


def test_someone_elses_export_is_as_if_it_did_not_exist(
    client: Client, org: Org, items: list[Item]
):
    start(client, org.office_supervisor)
    job = LedgerExport.objects.get()
    exporting.write_export.call(job.pk)
    client.force_login(org.lead_liaison)
    assert client.get(reverse("ledger-export-job", args=[job.pk])).status_code == 404
    assert client.get(reverse("ledger-export-download", args=[job.pk])).status_code == 404
    assert exports() == 1  # the requester's own, and nothing more


def test_a_second_export_while_one_waits_is_refused_and_changes_nothing(
    client: Client, org: Org, items: list[Item]
):
    start(client, org.office_supervisor, "status=established")
    response = start(client, org.office_supervisor, "year=2026")
    assert response.status_code == 302
    assert response["Location"] == "/items/?year=2026"
    page = client.get(response["Location"]).content.decode()
    assert "您已有一个台账导出正在生成" in page
    assert LedgerExport.objects.count() == 1
    # The offer page says so too, and links to the waiting one.
    offer = client.get(reverse("ledger-export")).content.decode()
    job = LedgerExport.objects.get()
    assert reverse("ledger-export-job", args=[job.pk]) in offer
    assert 'action="/ledger/export/start/"' not in offer


def test_an_export_over_the_page_limit_is_refused(
    client: Client, org: Org, items: list[Item], monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr("duban.ledger.exporting.PAGE_EXPORT_LIMIT", 3)
    response = start(client, org.office_supervisor)
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "超过页面导出的上限3项" in page
    assert LedgerExport.objects.count() == 0


def test_anonymous_visitors_are_sent_to_sign_in(client: Client, items: list[Item]):
    response = client.post(reverse("ledger-export-start"), {"query": ""})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert LedgerExport.objects.count() == 0


def test_a_second_delivery_of_the_task_writes_and_audits_nothing_more(
    client: Client, org: Org, items: list[Item]
):
    start(client, org.office_supervisor)
    job = LedgerExport.objects.get()
    exporting.write_export.call(job.pk)
    assert exporting.write_export.call(job.pk) == {"skipped": "done"}
    assert exports() == 1


def test_a_failed_write_keeps_nothing_and_says_so(
    client: Client, org: Org, items: list[Item], monkeypatch: pytest.MonkeyPatch
):
    def full_disk(*args: Any, **kwargs: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("duban.ledger.exporting.write_ledger", full_disk)
    start(client, org.office_supervisor)
    job = LedgerExport.objects.get()
    assert exporting.write_export.call(job.pk)["status"] == "failed"
    job.refresh_from_db()
    assert job.status == ExportStatus.FAILED
    assert job.content is None
    assert exports() == 0
    page = client.get(reverse("ledger-export-job", args=[job.pk])).content.decode()
    assert "导出失败：生成文件时出错" in page
    download = client.get(reverse("ledger-export-download", args=[job.pk]))
    assert download.status_code == 302
    # Once it has failed, the person may export again.
    assert start(client, org.office_supervisor)["Location"].startswith("/ledger/export/")
    assert LedgerExport.objects.count() == 2


def test_a_requester_deactivated_meanwhile_gets_no_file(
    client: Client, org: Org, items: list[Item]
):
    start(client, org.office_supervisor)
    job = LedgerExport.objects.get()
    User.objects.filter(pk=org.office_supervisor.pk).update(is_active=False)
    exporting.write_export.call(job.pk)
    job.refresh_from_db()
    assert (job.status, job.content) == (ExportStatus.FAILED, None)
    assert "账号已停用" in job.message
    assert exports() == 0


def test_files_expire_and_lost_exports_fail(client: Client, org: Org, items: list[Item]):
    start(client, org.office_supervisor)
    done = LedgerExport.objects.get()
    exporting.write_export.call(done.pk)
    lost = LedgerExport.objects.create(
        requested_by=org.lead_liaison,
        description="筛选条件：无（全部可见事项）",
        filename="x.xlsx",
        created_at=clock.now(),
    )
    assert exporting.expire_exports.call() == {"expired": 0, "lost": 0}
    with time_machine.travel(clock.now() + dt.timedelta(hours=25), tick=False):
        assert exporting.expire_exports.call() == {"expired": 1, "lost": 1}
        done.refresh_from_db()
        lost.refresh_from_db()
        assert (done.status, done.content) == (ExportStatus.EXPIRED, None)
        assert lost.status == ExportStatus.FAILED
        client.force_login(org.office_supervisor)
        response = client.get(reverse("ledger-export-download", args=[done.pk]))
        assert response.status_code == 302
        page = client.get(response["Location"]).content.decode()
        assert "尚未生成或已过期" in page
        assert "已超过保留时间" in page


def test_the_progress_page_costs_the_same_whatever_the_rows(
    client: Client, org: Org, items: list[Item]
):
    start(client, org.office_supervisor)
    job = LedgerExport.objects.get()
    url = reverse("ledger-export-job", args=[job.pk])
    with CaptureQueriesContext(connection) as few:
        client.get(url, headers={"HX-Request": "true"})
    for number in range(10):
        establish(org, title=f"更多事项{number}")
    job.delete()
    start(client, org.office_supervisor)
    job = LedgerExport.objects.get()
    exporting.write_export.call(job.pk)
    url = reverse("ledger-export-job", args=[job.pk])
    with CaptureQueriesContext(connection) as many:
        response = client.get(url, headers={"HX-Request": "true"})
    assert response.content.decode().startswith('<div id="export-progress"')
    assert len(many) == len(few)
