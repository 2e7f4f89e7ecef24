"""The ledger's Excel file over the API (duban.api.ledger): the export is the page's
export, cell for cell, for the same filters and the same person; the import is the
page's two steps — upload with a dry run (at once for a small file, by a worker for a
larger one), then confirm — all or nothing, for office supervisors only. Every refusal
is JSON with a Chinese message and changes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from duban.audit.models import AuditEvent
from duban.items import actions
from duban.items.models import Feedback, Item, LedgerCounter, Notice
from duban.ledger import actions as ledger_actions
from duban.ledger import exporting
from duban.ledger.models import ImportStatus, LedgerExport, LedgerImport
from duban.ledger.tasks import check_import, run_import
from tests.api_helpers import XLSX, Api, assert_error, content_of, sheet_rows
from tests.conftest import Org, advance, establish, make_person
from tests.test_ledger_import import BAD_ROWS, good_rows, workbook_bytes

SHANGHAI = ZoneInfo("Asia/Shanghai")
NUMBER_COLUMN = 0  # 台账编号
DATA_FROM = 3  # the title row, the filters row and the header row come first
# Sign-ins, token issues and reads are audited, but they are not changes.
NOT_CHANGES = ("login", "logout", "read_restricted", "download", "issue_api_token")


@pytest.fixture(autouse=True)
def november() -> Iterator[None]:
    """Friday 2026-11-20 (the day test_ledger_import's rows are written for)."""
    with time_machine.travel(dt.datetime(2026, 11, 20, 10, tzinfo=SHANGHAI), tick=False):
        yield


@pytest.fixture
def mixed_items(org: Org) -> dict[str, Item]:
    with time_machine.travel(dt.datetime(2026, 11, 2, 10, tzinfo=SHANGHAI), tick=False):
        overdue = establish(org, title="超期的会议事项", minutes_deadline=dt.date(2026, 11, 10))
    return {
        "meeting": advance(org, establish(org, title="办理中的会议事项"), "in_progress"),
        "overdue": overdue,
        "sensitive": establish(org, title="信访事项", confidentiality="sensitive"),
        "other_unit": establish(
            org, title="财务处承办事项", lead_unit=org.other_unit, cooperating_units=[]
        ),
    }


def page_export(user: Any, query: dict[str, str]) -> Any:
    page = Client()
    page.force_login(user)
    response = page.get("/ledger/export/", query)
    assert response.status_code == 200
    return response


def counts() -> dict[str, Any]:
    """What an import could change (the upload's own row aside)."""
    return {
        "items": list(Item.objects.order_by("pk").values_list("pk", "status", "deadline")),
        "events": AuditEvent.objects.exclude(verb__in=NOT_CHANGES).count(),
        "numbers": list(LedgerCounter.objects.values_list("pk", "last_number")),
        "notices": Notice.objects.count(),
        "feedback": Feedback.objects.count(),
    }


def numbers(rows: list[tuple[Any, ...]]) -> list[str]:
    return [str(row[NUMBER_COLUMN]) for row in rows[DATA_FROM:]]


# ----------------------------------------------------------------------------- export


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"year": "2026", "source_kind": "meeting"},
        {"status": "in_progress"},
        {"overdue": "yes"},
        {"light": "green", "sort": "deadline"},
        {"q": "财务处"},
        {"lead_unit": "LEAD"},
    ],
)
@pytest.mark.parametrize("persona", ["office_supervisor", "leader_in_charge", "lead_liaison"])
def test_the_export_is_the_pages_export(
    client: Client,
    org: Org,
    mixed_items: dict[str, Item],
    query: dict[str, str],
    persona: str,
) -> None:
    query = {
        key: str(org.lead_unit.pk) if value == "LEAD" else value for key, value in query.items()
    }
    user = getattr(org, persona)

    response = Api(client, user).get("/ledger/export", **query)

    assert response.status_code == 200, response.content
    assert response["Content-Type"] == XLSX
    assert response["Content-Disposition"].startswith("attachment;")
    exported = sheet_rows(content_of(response))
    assert exported == sheet_rows(content_of(page_export(user, query)))
    assert len(exported) > DATA_FROM or persona == "lead_liaison"


def test_the_export_leaves_out_what_the_person_may_not_see(
    client: Client, org: Org, mixed_items: dict[str, Item]
) -> None:
    def exported(user: Any) -> list[str]:
        return numbers(sheet_rows(content_of(Api(client, user).get("/ledger/export"))))

    sensitive, theirs = mixed_items["sensitive"], mixed_items["other_unit"]
    assert sensitive.ledger_number in exported(org.office_supervisor)
    assert sensitive.ledger_number not in exported(org.leader_in_charge)  # R-C1
    assert exported(org.other_unit_liaison) == [theirs.ledger_number]


def test_the_export_is_audited_as_the_apis(
    client: Client, org: Org, mixed_items: dict[str, Item]
) -> None:
    Api(client, org.office_supervisor).get("/ledger/export", status="in_progress")
    event = AuditEvent.objects.get(verb="export_ledger")
    assert event.actor == org.office_supervisor
    assert event.data["via"] == "api"
    assert event.data["filters"] == {"status": "in_progress"}
    assert event.data["count"] == 1
    assert event.summary == "导出督办工作台账（筛选条件：状态：办理中），共1项"


@pytest.mark.parametrize(
    ("query", "field", "status"),
    [
        ({"year": "1999"}, "year", 400),
        ({"status": "paused"}, "status", 400),
        ({"overdue": "maybe"}, "overdue", 400),
        ({"lead_unit": "999999"}, "lead_unit", 400),
        ({"year": "2030"}, "year", 400),  # within range, but no item has that year
        ({"q": "长" * 101}, "q", 400),
    ],
)
def test_a_bad_filter_is_refused_and_nothing_is_exported(
    client: Client,
    org: Org,
    mixed_items: dict[str, Item],
    query: dict[str, str],
    field: str,
    status: int,
) -> None:
    response = Api(client, org.office_supervisor).get("/ledger/export", **query)
    body = assert_error(response, status, "invalid")
    assert field in body["errors"]
    assert not AuditEvent.objects.filter(verb="export_ledger").exists()


def test_an_export_above_the_limit_points_to_the_command(
    client: Client, org: Org, mixed_items: dict[str, Item], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("duban.ledger.exporting.PAGE_EXPORT_LIMIT", 1)
    response = Api(client, org.office_supervisor).get("/ledger/export")
    body = assert_error(response, 400, "too_many_rows")
    assert "export_ledger" in body["message"]
    assert not AuditEvent.objects.filter(verb="export_ledger").exists()


def test_a_large_selection_is_exported_in_the_background(
    client: Client, org: Org, mixed_items: dict[str, Item], settings: Any
) -> None:
    settings.LEDGER_EXPORT_DIRECT_ROWS = 2
    person = Api(client, org.office_supervisor)

    direct = person.get("/ledger/export", year="2026")
    body = assert_error(direct, 409, "background_export")
    assert "POST /api/v1/ledger/exports" in body["message"]
    assert not AuditEvent.objects.filter(verb="export_ledger").exists()

    queued = person.send("POST", "/ledger/exports?year=2026")
    assert queued.status_code == 202, queued.content
    job = queued.json()
    assert (job["status"], job["total"], job["download_url"]) == ("queued", 4, None)
    assert job["description"] == "筛选条件：年度：2026"
    assert_error(person.get(f"/ledger/exports/{job['id']}/file"), 409, "export_not_ready")
    # One export of a person's waits at a time.
    again = person.send("POST", "/ledger/exports?year=2026")
    assert assert_error(again, 400, "refused")["message"].startswith("您已有一个台账导出正在生成")
    assert LedgerExport.objects.count() == 1

    exporting.write_export.call(job["id"])  # as a worker runs it

    done = person.get(f"/ledger/exports/{job['id']}").json()
    assert (done["status"], done["written"], done["percent"]) == ("done", 4, 100)
    assert done["download_url"] == f"/api/v1/ledger/exports/{job['id']}/file"
    response = person.get(f"/ledger/exports/{job['id']}/file")
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    settings.LEDGER_EXPORT_DIRECT_ROWS = 500
    page = sheet_rows(content_of(page_export(org.office_supervisor, {"year": "2026"})))
    assert sheet_rows(content_of(response)) == page
    assert AuditEvent.objects.filter(verb="export_ledger").count() == 2  # the worker's, page's

    # Nobody else sees it.
    other = Api(client, org.leader_in_charge)
    assert_error(other.get(f"/ledger/exports/{job['id']}"), 404, "not_found")
    assert_error(other.get(f"/ledger/exports/{job['id']}/file"), 404, "not_found")


def test_a_background_export_with_a_bad_filter_is_refused_and_nothing_is_queued(
    client: Client, org: Org, mixed_items: dict[str, Item]
) -> None:
    person = Api(client, org.office_supervisor)
    body = assert_error(person.send("POST", "/ledger/exports?lead_unit=999999"), 400, "invalid")
    assert "lead_unit" in body["errors"]
    assert not LedgerExport.objects.exists()


def test_the_export_needs_a_token(client: Client, org: Org) -> None:
    assert_error(client.get("/api/v1/ledger/export"), 401, "unauthorized")
    assert not AuditEvent.objects.filter(verb="export_ledger").exists()


def export_queries(person: Api) -> tuple[int, int]:
    person.get("/me")  # the token's first use of the moment is noted: not the export's
    with CaptureQueriesContext(connection) as queries:
        response = person.get("/ledger/export")
        rows = len(numbers(sheet_rows(content_of(response))))
    return len(queries), rows


def test_the_export_queries_do_not_grow_with_rows(client: Client, org: Org) -> None:
    def build(count: int) -> None:
        for number in range(count):
            item = establish(org, title=f"事项{number}")
            if number % 2 == 0:
                advance(org, item, "in_progress")
                actions.urge_item(
                    org.office_supervisor, item, channel="system", recipient=org.lead_liaison
                )

    person = Api(client, org.office_supervisor)
    build(3)
    few, rows = export_queries(person)
    assert rows == 3
    build(20)
    many, rows = export_queries(person)
    assert rows == 23
    assert many == few


# ----------------------------------------------------------------------------- import


def test_an_upload_is_checked_by_a_dry_run_then_imported(client: Client, org: Org) -> None:
    person = Api(client, org.office_supervisor)
    before = counts()

    response = person.upload("/ledger/imports", workbook_bytes(good_rows()), "2026台账.xlsx")

    assert response.status_code == 201, response.content
    upload = response.json()
    assert counts() == before  # the check is a dry run
    assert (upload["filename"], upload["status"], upload["status_label"]) == (
        "2026台账.xlsx",
        "previewed",
        "待确认导入",
    )
    assert (upload["dry_run"], upload["ok"], upload["imported"]) == (True, True, False)
    assert (upload["header_row"], upload["row_count"], upload["problems"]) == (2, 4, [])
    lead_unit = next(row for row in upload["mapping"] if row["field"] == "承办单位")
    assert (lead_unit["header"], lead_unit["column"]) == ("牵头单位", "G")
    assert upload["unrecognised"] == ["序号"]
    assert [(row["row"], row["number"]) for row in upload["created"]][:2] == [
        (3, "督会〔2026〕第0001号"),
        (4, "督要〔2026〕第0001号"),
    ]
    assert person.get(f"/ledger/imports/{upload['id']}").json() == upload
    assert [row["id"] for row in person.get("/ledger/imports").json()] == [upload["id"]]

    response = person.post(f"/ledger/imports/{upload['id']}/confirm")

    assert response.status_code == 202, response.content
    queued = response.json()
    assert (queued["status"], queued["rows_done"], queued["rows_total"]) == ("queued", 0, 4)
    assert counts() == before  # a worker imports it
    run_import.call(upload["id"])  # as the worker runs it
    done = person.get(f"/ledger/imports/{upload['id']}").json()
    assert (done["rows_done"], done["rows_total"]) == (4, 4)
    assert (done["status"], done["imported"], done["dry_run"], done["item_count"]) == (
        "imported",
        True,
        False,
        4,
    )
    assert sorted(Item.objects.values_list("ledger_number", flat=True)) == sorted(
        row["number"] for row in upload["created"]
    )
    assert AuditEvent.objects.filter(verb="import_ledger", actor=org.office_supervisor).exists()

    # Importing it twice is refused, and changes nothing.
    before = counts()
    again = person.post(f"/ledger/imports/{upload['id']}/confirm")
    body = assert_error(again, 400, "invalid")
    assert body["message"] == "该台账已经导入，不能重复导入。"
    assert counts() == before


def test_a_ledger_with_bad_rows_is_reported_and_nothing_is_imported(
    client: Client, org: Org
) -> None:
    person = Api(client, org.office_supervisor)
    before = counts()

    upload = person.upload("/ledger/imports", workbook_bytes(BAD_ROWS)).json()

    assert upload["ok"] is False
    assert [problem["row"] for problem in upload["problems"]][:3] == [4, 5, 6]
    assert "第4行：承办单位“教务部”不存在" in [p["text"] for p in upload["problems"]]

    response = person.post(f"/ledger/imports/{upload['id']}/confirm")

    body = assert_error(response, 400, "invalid")
    assert body["message"] == "该台账的检查发现问题，未导入任何事项。请在Excel中修改后重新上传。"
    assert counts() == before
    assert LedgerImport.objects.get().status == ImportStatus.PREVIEWED


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"not a spreadsheet", "台账.xlsx", "xlsx"),
        (b"", "台账.xlsx", ""),
        (None, "", "请选择要导入的台账文件。"),
    ],
)
def test_a_file_that_is_not_a_ledger_is_refused_and_nothing_is_kept(
    client: Client, org: Org, content: bytes | None, name: str, message: str
) -> None:
    person = Api(client, org.office_supervisor)
    before = counts()
    response = person.upload("/ledger/imports", content, name)
    body = assert_error(response, 400, "invalid")
    assert message in body["message"]
    assert "file" in body["errors"]
    assert counts() == before
    assert not LedgerImport.objects.exists()


def test_an_import_year_out_of_range_is_refused(client: Client, org: Org) -> None:
    person = Api(client, org.office_supervisor)
    response = person.upload("/ledger/imports", workbook_bytes(good_rows()), year="1999")
    body = assert_error(response, 400, "invalid")
    assert body["errors"] == {"year": "不能小于2000。"}
    assert not LedgerImport.objects.exists()


@pytest.mark.parametrize(
    "persona", ["lead_liaison", "lead_head", "leader_in_charge", "system_admin"]
)
def test_only_office_supervisors_import(client: Client, org: Org, persona: str) -> None:
    person = Api(client, getattr(org, persona))
    before = counts()
    response = person.upload("/ledger/imports", workbook_bytes(good_rows()))
    body = assert_error(response, 403, "forbidden")
    assert body["message"] == "只有督办部门的督办员可以导入台账。"
    assert counts() == before
    assert not LedgerImport.objects.exists()
    assert_error(person.get("/ledger/imports"), 403, "forbidden")


def test_an_upload_is_seen_and_imported_only_by_its_uploader(client: Client, org: Org) -> None:
    upload = (
        Api(client, org.office_supervisor)
        .upload("/ledger/imports", workbook_bytes(good_rows()))
        .json()
    )
    colleague = Api(client, make_person("colleague", "office_supervisor", org.office, "同事"))
    before = counts()
    assert_error(colleague.get(f"/ledger/imports/{upload['id']}"), 404, "not_found")
    assert_error(colleague.post(f"/ledger/imports/{upload['id']}/confirm"), 404, "not_found")
    assert colleague.get("/ledger/imports").json() == []
    assert counts() == before
    assert LedgerImport.objects.get().status == ImportStatus.PREVIEWED
    lead = Api(client, org.lead_liaison)
    assert_error(lead.post(f"/ledger/imports/{upload['id']}/confirm"), 403, "forbidden")
    assert counts() == before


def test_a_larger_upload_is_checked_by_a_worker_and_followed_until_checked(
    client: Client,
    org: Org,
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    person = Api(client, org.office_supervisor)
    content = workbook_bytes(good_rows())
    checked_at_once = person.upload("/ledger/imports", content, "2026台账.xlsx").json()
    settings.LEDGER_IMPORT_DIRECT_ROWS = 3  # a title, a header and a data row
    progress: dict[str, Any] = {}
    monkeypatch.setattr(ledger_actions, "cache", progress_stand_in(progress))
    before = counts()

    with django_capture_on_commit_callbacks() as callbacks:
        response = person.upload("/ledger/imports", content, "2026台账.xlsx")

    assert response.status_code == 202, response.content
    assert len(callbacks) == 1  # the check, queued
    upload = response.json()
    assert (upload["status"], upload["status_label"], upload["ok"]) == (
        "checking",
        "正在检查",
        False,
    )
    assert (upload["rows_done"], upload["rows_total"], upload["created"]) == (0, 0, [])
    assert counts() == before

    # The worker has checked 2 of the 4 rows.
    progress[f"ledger-import:{upload['id']}:progress"] = (2, 4, 0.0)
    LedgerImport.objects.filter(pk=upload["id"]).update(check_started_at=dt.datetime.now(SHANGHAI))
    following = person.get(f"/ledger/imports/{upload['id']}").json()
    assert (following["status"], following["rows_done"], following["rows_total"]) == (
        "checking",
        2,
        4,
    )

    # Confirming now is refused, and changes nothing.
    stored = LedgerImport.objects.filter(pk=upload["id"]).values().get()
    body = assert_error(
        person.post(f"/ledger/imports/{upload['id']}/confirm"), 409, "invalid_state"
    )
    assert body["message"] == "该台账正在后台检查，请待检查完成、看过检查结果后再确认导入。"
    assert LedgerImport.objects.filter(pk=upload["id"]).values().get() == stored
    assert counts() == before

    LedgerImport.objects.filter(pk=upload["id"]).update(check_started_at=None)
    check_import.call(upload["id"])  # as the worker runs it

    checked = person.get(f"/ledger/imports/{upload['id']}").json()
    assert (checked["status"], checked["ok"], checked["rows_done"], checked["rows_total"]) == (
        "previewed",
        True,
        0,
        0,
    )
    different = ("id", "created_at")
    assert {k: v for k, v in checked.items() if k not in different} == {
        k: v for k, v in checked_at_once.items() if k not in different
    }
    response = person.post(f"/ledger/imports/{upload['id']}/confirm")
    assert response.status_code == 202, response.content
    assert response.json()["status"] == "queued"


def progress_stand_in(values: dict[str, Any]) -> Any:
    """The progress cache as a dict the test fills."""

    class Progress:
        def get(self, key: str) -> Any:
            return values.get(key)

        def set(self, key: str, value: Any, timeout: int) -> None:
            values[key] = value

        def delete(self, key: str) -> None:
            values.pop(key, None)

    return Progress()
