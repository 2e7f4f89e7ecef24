"""Importing an office's Excel ledger: the column mapping, the report of every row's
problems by row number, all or nothing, the dry run, the command and the page.

The files are built here with openpyxl, as an office's own spreadsheet would be.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from io import StringIO
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook

from duban.audit.models import AuditEvent
from duban.items.models import (
    DeadlineRule,
    Feedback,
    FeedbackStatus,
    Item,
    ItemChange,
    LedgerCounter,
    Notice,
)
from duban.ledger.actions import import_ledger
from duban.ledger.importing import detect_mapping, parse_date
from duban.ledger.models import ImportStatus, LedgerImport
from duban.ledger.tasks import run_import
from duban.organisation.models import User
from tests.conftest import Org, establish

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
HEADERS = [
    "序号",
    "督办事项",
    "工作内容",
    "督办依据",
    "来源",
    "具体来源",
    "牵头单位",
    "协办单位",
    "立项日期",
    "交办日期",
    "完成时限",
    "状态",
    "办结日期",
    "批示领导",
]


def now_at(*args: int) -> Any:
    return time_machine.travel(dt.datetime(*args, tzinfo=SHANGHAI), tick=False)


@pytest.fixture(autouse=True)
def today() -> Any:
    """The imports happen on 2026-11-20 (a Friday)."""
    with now_at(2026, 11, 20, 10):
        yield


def workbook_bytes(
    rows: list[list[Any]], headers: list[str] = HEADERS, title: bool = True
) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    if title:
        sheet.append(["2026年督办工作台账"])  # a title row above the header, as offices do
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def good_rows() -> list[list[Any]]:
    return [
        # Row 3: a meeting item completed in June, late by nothing.
        [
            1,
            "修订本科生培养方案",
            "完成2027版本科生培养方案修订。",
            "校长办公会纪要〔2026〕第5期",
            "会议决定事项",
            "2026年第5次校长办公会",
            "教务处",
            "人事处",
            "2026-03-02",
            "2026/3/3",
            "2026年6月30日",
            "已办结",
            dt.datetime(2026, 6, 20),
            "",
        ],
        # Row 4: an annual item in progress; its deadline is the year's end (R-D4).
        [
            2,
            "推进一流学科建设",
            "完成年度学科建设任务。",
            "2026年党政工作要点",
            "年度重点工作",
            "",
            "教务处",
            "",
            dt.date(2026, 1, 10),
            dt.date(2026, 1, 12),
            "",
            "办理中",
            "",
            "",
        ],
        # Row 5: a leader's instruction, established this month, not yet assigned.
        [
            3,
            "图书馆扩建论证",
            "组织专家论证图书馆扩建方案。",
            "王校长批示",
            "其他交办事项",
            "校领导批示",
            "财务处",
            "教务处、人事处",
            "2026-11-02",
            "",
            "2026-12-31",
            "",
            "",
            "王校长",
        ],
        # Row 6: a live meeting item without dates: established now.
        [
            4,
            "制定实验室安全方案",
            "制定并印发实验室安全管理方案。",
            "党委常委会纪要〔2026〕第20期",
            "",
            "党委常委会",
            "人事处",
            "",
            "",
            "",
            "2027-01-15",
            "已立项",
            "",
            "",
        ],
    ]


def counts() -> dict[str, int]:
    return {
        "items": Item.objects.count(),
        "events": AuditEvent.objects.count(),
        "counters": LedgerCounter.objects.count(),
        "counter_numbers": sum(LedgerCounter.objects.values_list("last_number", flat=True)),
        "notices": Notice.objects.count(),
        "feedback": Feedback.objects.count(),
        "changes": ItemChange.objects.count(),
    }


def local_date(moment: dt.datetime | None) -> dt.date | None:
    return timezone.localdate(moment) if moment else None


# ----------------------------------------------------------------------------- reading


def test_dates_are_read_in_the_usual_forms() -> None:
    expected = dt.date(2026, 10, 16)
    for value in (
        "2026-10-16",
        "2026/10/16",
        "2026.10.16",
        "2026年10月16日",
        " 2026 年 10 月 16 日 ",
        "2026-10-16 00:00:00",
        dt.datetime(2026, 10, 16, 0, 0),
        expected,
        46311,  # Excel's serial number of 2026-10-16
    ):
        assert parse_date(value) == expected, value
    for wrong in ("2026-13-45", "明年", "10/16/2026", "2026-10"):
        with pytest.raises(ValueError):
            parse_date(wrong)


def test_the_usual_headers_are_recognised() -> None:
    mapping = detect_mapping(
        ("督办事项*", "内容", "依据", "牵头单位", "协办单位", "完成时限（日期）", "来源", "备注"),
        2,
    )
    assert mapping is not None
    assert mapping.columns == {
        "title": 0,
        "content": 1,
        "basis": 2,
        "lead_unit": 3,
        "cooperating_units": 4,
        "deadline": 5,
        "source_kind": 6,
    }
    assert mapping.unrecognised == ["备注"]
    # A row that is not a header row.
    assert detect_mapping(("2026年督办工作台账",), 1) is None


def test_current_deadline_wins_over_the_original_one() -> None:
    mapping = detect_mapping(("事项名称", "原定办结时限", "当前办结时限", "承办单位"), 3)
    assert mapping is not None
    assert mapping.columns["deadline"] == 2
    assert mapping.columns["original_deadline"] == 1
    assert mapping.unrecognised == []


# ----------------------------------------------------------------------------- import


def test_a_good_ledger_imports_every_row_through_the_actions(org: Org) -> None:
    report = import_ledger(
        org.office_supervisor, workbook_bytes(good_rows()), filename="2026台账.xlsx"
    )
    assert report.problems == []
    assert report.imported is True
    assert report.header_row == 2
    assert report.unrecognised == ["序号"]
    assert [(entry["row"], entry["number"], entry["status"]) for entry in report.created] == [
        (3, "督会〔2026〕第0001号", "已办结"),
        (4, "督要〔2026〕第0001号", "办理中"),
        (5, "督交〔2026〕第0001号", "已立项"),
        (6, "督会〔2026〕第0002号", "已立项"),
    ]
    completed = Item.objects.get(ledger_number="督会〔2026〕第0001号")
    assert completed.title == "修订本科生培养方案"
    assert completed.source_body == "president_meeting"
    assert completed.lead_unit == org.lead_unit
    assert list(completed.cooperating_units.all()) == [org.cooperating_unit]
    assert completed.deadline == completed.original_deadline == dt.date(2026, 6, 30)
    assert completed.deadline_rule == DeadlineRule.OFFICE_SET  # R-D3, with its reason
    assert completed.deadline_reason == "按原台账《2026台账.xlsx》记载的办结时限导入"
    assert completed.status == "completed"
    assert local_date(completed.established_at) == dt.date(2026, 3, 2)
    assert local_date(completed.assigned_at) == dt.date(2026, 3, 3)
    assert local_date(completed.signed_at) == dt.date(2026, 3, 3)
    assert local_date(completed.submitted_at) == dt.date(2026, 6, 20)
    assert local_date(completed.completed_at) == dt.date(2026, 6, 20)
    assert completed.supervisor == org.office_supervisor
    report_text = completed.feedback.get(status=FeedbackStatus.ACCEPTED).text
    assert report_text.startswith("【据原台账补录】原台账《2026台账.xlsx》第3行记载")
    # The closed item's filled-in steps leave no unread notices behind.
    assert not Notice.objects.filter(item=completed, read_at__isnull=True).exists()
    assert list(completed.events.values_list("verb", flat=True)) == [
        "establish",
        "assign",
        "sign_for",
        "draft_completion_report",
        "confirm_report",
        "accept_report",
        "import_ledger_row",
    ]
    note = completed.events.get(verb="import_ledger_row")
    assert note.actor == org.office_supervisor
    assert note.summary == (
        "据台账《2026台账.xlsx》第3行导入；签收、办结报告及确认、审核办结系按原台账补录，"
        "非在系统中办理"
    )

    annual = Item.objects.get(ledger_number="督要〔2026〕第0001号")
    assert (annual.year, annual.deadline, annual.status) == (
        2026,
        dt.date(2026, 12, 31),
        "in_progress",
    )
    assert local_date(annual.established_at) == dt.date(2026, 1, 10)

    instructed = Item.objects.get(ledger_number="督交〔2026〕第0001号")
    assert instructed.deciding_leader == org.leader_in_charge
    assert instructed.decided_on == dt.date(2026, 11, 2)
    assert instructed.deadline == dt.date(2026, 12, 31)
    assert instructed.lead_unit == org.other_unit
    assert set(instructed.cooperating_units.all()) == {org.lead_unit, org.cooperating_unit}
    assert instructed.status == "established"

    live = Item.objects.get(ledger_number="督会〔2026〕第0002号")
    assert live.established_at == dt.datetime(2026, 11, 20, 10, tzinfo=SHANGHAI)
    assert live.source_body == "standing_committee"

    event = AuditEvent.objects.get(verb="import_ledger")
    assert event.actor == org.office_supervisor
    assert event.summary == "导入台账《2026台账.xlsx》，共4项"
    assert event.data["items"] == [
        {"row": 3, "number": "督会〔2026〕第0001号"},
        {"row": 4, "number": "督要〔2026〕第0001号"},
        {"row": 5, "number": "督交〔2026〕第0001号"},
        {"row": 6, "number": "督会〔2026〕第0002号"},
    ]


def test_numbers_continue_after_the_items_already_in_the_ledger(org: Org) -> None:
    existing = establish(org)
    assert existing.ledger_number == "督会〔2026〕第0001号"
    report = import_ledger(
        org.office_supervisor, workbook_bytes(good_rows()[:1]), filename="a.xlsx"
    )
    assert [entry["number"] for entry in report.created] == ["督会〔2026〕第0002号"]


def test_last_years_ledger_is_imported_into_its_year(org: Org) -> None:
    rows = [
        [
            1,
            "2025年校园网改造",
            "完成校园网升级改造。",
            "校长办公会纪要〔2025〕第9期",
            "会议决定事项",
            "校长办公会",
            "教务处",
            "",
            "2025-04-01",
            "2025-04-02",
            "2025-09-30",
            "已办结",
            "2025-10-10",
            "",
        ],
        [
            2,
            "2025年度重点工作",
            "完成年度任务。",
            "2025年党政工作要点",
            "年度重点工作",
            "党政工作要点",
            "人事处",
            "",
            "2025-01-06",
            "2025-01-06",
            "",
            "已办结",
            "2025-12-20",
            "",
        ],
    ]
    report = import_ledger(
        org.office_supervisor, workbook_bytes(rows), filename="2025.xlsx", year=2025
    )
    assert report.problems == []
    assert [entry["number"] for entry in report.created] == [
        "督会〔2025〕第0001号",
        "督要〔2025〕第0001号",
    ]
    late = Item.objects.get(ledger_number="督会〔2025〕第0001号")
    assert (late.year, late.deadline, late.status) == (2025, dt.date(2025, 9, 30), "completed")
    assert local_date(late.completed_at) == dt.date(2025, 10, 10)


def row(number: int, title: str, **values: str) -> list[Any]:
    """A data row of HEADERS: a meeting item of 教务处 unless `values` say otherwise."""
    cells = {
        "内容": "内容",
        "依据": "依据",
        "来源": "会议决定事项",
        "具体来源": "校长办公会",
        "牵头单位": "教务处",
        "协办单位": "",
        "完成时限": "2026-12-31",
        "状态": "",
        "批示领导": "",
        **values,
    }
    return [
        number,
        title,
        cells["内容"],
        cells["依据"],
        cells["来源"],
        cells["具体来源"],
        cells["牵头单位"],
        cells["协办单位"],
        "",
        "",
        cells["完成时限"],
        cells["状态"],
        "",
        cells["批示领导"],
    ]


BAD_ROWS: list[list[Any]] = [
    # Row 3: fine on its own, but nothing is imported while another row is wrong.
    good_rows()[0],
    # Row 4: an unknown lead unit.
    row(2, "推进学科建设", 牵头单位="教务部"),
    # Row 5: a date that does not exist.
    row(3, "修订制度", 完成时限="2026-13-45"),
    # Row 6: no title, and an unknown cooperating unit.
    row(4, "", 协办单位="后勤处"),
    # Row 7: an instruction without its leader, and a state that is not one.
    row(5, "批示事项", 来源="其他交办事项", 具体来源="校领导批示", 状态="已暂停"),
    # Row 8: refused by the establish action itself (the title is too long).
    row(6, "长" * 201),
]
BAD_REPORT = [
    "第4行：承办单位“教务部”不存在",
    "第5行：办结时限“2026-13-45”不是有效日期（例如 2026-10-16 或 2026年10月16日）",
    "第6行：缺少事项名称",
    "第6行：配合单位“后勤处”不存在",
    "第7行：状态“已暂停”无法识别（可导入：已立项、已交办、已退回、办理中、已报结、已办结、已终止、已归档）",
    "第7行：其他交办事项须填写决定立项的校领导",
    "第8行：事项名称过长（最多200字）。",
]


def test_a_ledger_with_bad_rows_reports_each_and_changes_nothing(org: Org) -> None:
    before = counts()
    report = import_ledger(org.office_supervisor, workbook_bytes(BAD_ROWS), filename="bad.xlsx")
    assert report.imported is False
    assert report.problem_texts() == BAD_REPORT
    assert counts() == before


def test_a_dry_run_writes_nothing(org: Org, tmp_path: Path) -> None:
    path = tmp_path / "2026台账.xlsx"
    path.write_bytes(workbook_bytes(good_rows()))
    before = counts()
    out = StringIO()
    call_command("import_ledger", str(path), "--dry-run", stdout=out)
    assert counts() == before
    lines = out.getvalue().splitlines()
    assert lines[0] == "表头在第2行，列映射："
    assert "  事项名称 ← B“督办事项”" in lines
    assert "  承办单位 ← G“牵头单位”" in lines
    assert "  未识别、不导入的列：序号" in lines
    assert "第3行 → 督会〔2026〕第0001号 修订本科生培养方案（已办结）" in lines
    assert lines[-1] == f"dry run: 4 items would be imported from {path}"


def test_the_command_imports_and_says_so(org: Org, tmp_path: Path) -> None:
    path = tmp_path / "2026台账.xlsx"
    path.write_bytes(workbook_bytes(good_rows()))
    out = StringIO()
    call_command("import_ledger", str(path), stdout=out)
    assert out.getvalue().splitlines()[-1] == f"imported 4 items from {path}"
    assert Item.objects.count() == 4


def test_the_command_reports_bad_rows_and_fails(org: Org, tmp_path: Path) -> None:
    path = tmp_path / "bad.xlsx"
    path.write_bytes(workbook_bytes(BAD_ROWS))
    before = counts()
    out = StringIO()
    with pytest.raises(CommandError, match="发现7处问题，未导入任何事项。"):
        call_command("import_ledger", str(path), stdout=out)
    assert [line for line in out.getvalue().splitlines() if line.startswith("第")] == BAD_REPORT
    assert counts() == before


def test_the_command_needs_to_know_whose_import_it_is(org: Org, tmp_path: Path) -> None:
    path = tmp_path / "a.xlsx"
    path.write_bytes(workbook_bytes(good_rows()))
    User.objects.create_user(
        username="second", role="office_supervisor", unit=org.office, full_name="第二督办"
    )
    with pytest.raises(CommandError, match="请用 --supervisor 指定"):
        call_command("import_ledger", str(path), stdout=StringIO())
    out = StringIO()
    call_command("import_ledger", str(path), "--supervisor", "second", stdout=out)
    assert Item.objects.filter(supervisor__username="second").count() == 4


def test_only_office_supervisors_import(org: Org) -> None:
    from duban.items.errors import PermissionRefused

    with pytest.raises(PermissionRefused, match="只有督办部门的督办员可以导入台账。"):
        import_ledger(org.lead_liaison, workbook_bytes(good_rows()), filename="a.xlsx")
    assert Item.objects.count() == 0


def test_our_own_export_can_be_read_back(client: Client, org: Org) -> None:
    establish(org, title="导出再导入的事项")
    client.force_login(org.office_supervisor)
    exported = b"".join(client.get(reverse("ledger-export")).streaming_content)
    report = import_ledger(org.office_supervisor, exported, filename="export.xlsx", dry_run=True)
    assert report.problems == []
    assert report.header_row == 3  # below the title and the filters rows
    assert [entry["title"] for entry in report.created] == ["导出再导入的事项"]
    assert [entry["original_number"] for entry in report.created] == ["督会〔2026〕第0001号"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"just some text", "不是Excel（.xlsx）文件"),
        (b"PK\x03\x04 broken zip", "不是Excel（.xlsx）文件"),
        (workbook_bytes([], headers=["甲", "乙"]), "未找到表头行"),
        (workbook_bytes([], headers=HEADERS), "表头行以下没有数据。"),
        (workbook_bytes([["x"]], headers=["事项名称", "工作内容", "督办依据"]), "缺少“承办单位”列"),
    ],
)
def test_unreadable_files_are_reported(org: Org, content: bytes, message: str) -> None:
    before = counts()
    report = import_ledger(org.office_supervisor, content, filename="f.xlsx")
    assert message in report.problem_texts()[0]
    assert report.imported is False
    assert counts() == before


# ----------------------------------------------------------------------------- the page


def upload(client: Client, content: bytes, name: str = "2026台账.xlsx", **data: Any) -> Any:
    file = SimpleUploadedFile(name, content, content_type="application/octet-stream")
    return client.post(reverse("ledger-import"), {"file": file, **data})


def test_the_page_shows_the_mapping_then_imports(
    client: Client, org: Org, django_capture_on_commit_callbacks: Any
) -> None:
    client.force_login(org.office_supervisor)
    page = client.get(reverse("ledger-import")).content.decode()
    assert 'enctype="multipart/form-data"' in page
    assert "牵头单位" in page  # the table of recognised headers

    before = counts()
    response = upload(client, workbook_bytes(good_rows()))
    assert response.status_code == 302
    ledger_import = LedgerImport.objects.get()
    assert response["Location"] == reverse("ledger-import-detail", args=[ledger_import.pk])
    assert counts() == before  # the check is a dry run
    page = client.get(response["Location"]).content.decode()
    assert "识别到的列（表头在第2行）" in page
    assert "B列“督办事项”" in page
    assert "检查通过：将导入 4 项督办事项。" in page
    assert "督会〔2026〕第0001号" in page  # the numbers the items will get

    with django_capture_on_commit_callbacks(execute=True):  # queues the background import
        response = client.post(reverse("ledger-import-detail", args=[ledger_import.pk]))
    assert response.status_code == 302
    assert Item.objects.count() == 0
    run_import.call(ledger_import.pk)  # as a worker runs it
    assert Item.objects.count() == 4
    ledger_import.refresh_from_db()
    assert ledger_import.status == ImportStatus.IMPORTED
    assert ledger_import.item_count == 4
    page = client.get(response["Location"]).content.decode()
    assert "已确认导入“2026台账.xlsx”，正在后台导入" in page
    assert "已导入 4 项督办事项。" in page

    # Importing the same upload twice is refused, and changes nothing.
    before = counts()
    response = client.post(reverse("ledger-import-detail", args=[ledger_import.pk]), follow=True)
    assert "该台账已经导入，不能重复导入。" in response.content.decode()
    assert counts() == before


def test_the_page_shows_every_problem_and_offers_no_import(client: Client, org: Org) -> None:
    client.force_login(org.office_supervisor)
    response = upload(client, workbook_bytes(BAD_ROWS))
    page = client.get(response["Location"]).content.decode()
    assert "发现 7 处问题，未导入任何事项。" in page
    for text in BAD_REPORT:
        assert text.replace("“", "&ldquo;") in page or text in page
    assert "确认导入" not in page
    # Posting anyway re-checks and imports nothing.
    before = counts()
    response = client.post(reverse("ledger-import-detail", args=[LedgerImport.objects.get().pk]))
    assert response.status_code == 409
    assert counts() == before


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"%PDF-1.7 not a spreadsheet", "ledger.xlsx", "不是Excel（.xlsx）文件"),
        (b"a,b,c\n1,2,3\n", "ledger.csv", "不是Excel（.xlsx）文件"),
        (b"PK\x03\x04" + b"\x00" * (10 * 1024 * 1024), "big.xlsx", "文件超过10 MB"),
    ],
)
def test_the_page_refuses_what_is_not_a_small_xlsx(
    client: Client, org: Org, content: bytes, name: str, message: str
) -> None:
    client.force_login(org.office_supervisor)
    response = upload(client, content, name)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert LedgerImport.objects.count() == 0


def test_the_page_asks_for_a_file(client: Client, org: Org) -> None:
    client.force_login(org.office_supervisor)
    response = client.post(reverse("ledger-import"), {})
    assert response.status_code == 400
    assert "请选择要导入的台账文件。" in response.content.decode()


@pytest.mark.parametrize(
    "persona",
    ["lead_liaison", "lead_head", "leader_in_charge", "other_unit_liaison", "system_admin"],
)
def test_the_page_is_for_office_supervisors_only(client: Client, org: Org, persona: str) -> None:
    client.force_login(getattr(org, persona))
    assert client.get(reverse("ledger-import")).status_code == 403
    response = upload(client, workbook_bytes(good_rows()))
    assert response.status_code == 403
    assert LedgerImport.objects.count() == 0
    assert Item.objects.count() == 0


def test_an_upload_is_seen_and_imported_only_by_its_uploader(client: Client, org: Org) -> None:
    client.force_login(org.office_supervisor)
    upload(client, workbook_bytes(good_rows()))
    ledger_import = LedgerImport.objects.get()
    colleague = User.objects.create_user(
        username="colleague", role="office_supervisor", unit=org.office, full_name="同事"
    )
    client.force_login(colleague)
    detail = reverse("ledger-import-detail", args=[ledger_import.pk])
    assert client.get(detail).status_code == 404
    assert client.post(detail).status_code == 404
    assert Item.objects.count() == 0


def test_the_upload_needs_the_csrf_token(org: Org) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(org.office_supervisor)
    response = upload(client, workbook_bytes(good_rows()))
    assert response.status_code == 403
    assert LedgerImport.objects.count() == 0
    page = client.get(reverse("ledger-import")).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token is not None
    response = upload(client, workbook_bytes(good_rows()), csrfmiddlewaretoken=token.group(1))
    assert response.status_code == 302


def test_filled_in_steps_send_no_email_or_sms(org: Org, settings: Any) -> None:
    """Steps back-filled from an old ledger reach the inbox only: nobody is emailed or
    texted about last year's assignment."""
    from duban.notify.models import Delivery

    settings.EMAIL_HOST = "127.0.0.1"  # email is open in this deployment
    for person in (org.lead_liaison, org.lead_head, org.cooperating_liaison):
        person.email = f"{person.username}@example.edu.cn"
        person.save()
    report = import_ledger(
        org.office_supervisor, workbook_bytes(good_rows()), filename="2026台账.xlsx"
    )
    assert report.imported is True
    assert Notice.objects.exists()
    assert Delivery.objects.count() == 0
