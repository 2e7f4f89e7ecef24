"""The ledger's Excel export (R-S5, R-E4, R-C5): the page's link, the command, the file.

Every file is opened and read back with openpyxl: headers, values, the frozen header,
column widths, print titles and page setup; formula injection; the rows equal the
ledger page's rows for the same filters; restricted items stay out of the files of
people who may not see them; the number of queries does not grow with the rows.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from io import StringIO
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from duban import clock
from duban.audit.models import AuditEvent
from duban.items import actions
from duban.items.actions.core import OFFLINE_TEXT
from duban.items.models import Item
from duban.ledger.export import CONTENT_TYPE
from duban.organisation.models import Role, Unit, UnitKind, User
from tests.conftest import Org, advance, establish, make_person

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
HEADERS = [
    "台账编号",
    "年度",
    "来源类别",
    "具体来源",
    "决定立项的校领导",
    "领导决定日期",
    "密级类别",
    "紧急",
    "事项名称",
    "工作内容",
    "督办依据",
    "承办单位",
    "配合单位",
    "立项日期",
    "交办日期",
    "原定办结时限",
    "当前办结时限",
    "状态",
    "预警",
    "催办次数",
    "延期情况",
    "报结日期",
    "办结日期",
    "超期工作日（按当前时限）",
    "超期工作日（按原定时限）",
    "退回或终止情况",
]


def at(*args: int) -> Any:
    """Travel to a moment, Asia/Shanghai time, the clock standing still."""
    return time_machine.travel(dt.datetime(*args, tzinfo=SHANGHAI), tick=False)


def download(client: Client, user: User, query: dict[str, str] | None = None) -> Any:
    client.force_login(user)
    response = client.get(reverse("ledger-export"), query or {})
    assert response.status_code == 200, response.content[:500]
    return response


def body(response: Any) -> bytes:
    return b"".join(response.streaming_content)


def sheet_of(response: Any) -> Worksheet:
    workbook = load_workbook(io.BytesIO(body(response)))
    return workbook.worksheets[0]


def data_rows(sheet: Worksheet) -> list[dict[str, Any]]:
    rows = list(sheet.iter_rows(min_row=4, values_only=True))
    return [dict(zip(HEADERS, row, strict=True)) for row in rows]


def numbers(sheet: Worksheet) -> list[str]:
    return [row["台账编号"] for row in data_rows(sheet)]


def page_numbers(client: Client, query: dict[str, str]) -> list[str]:
    page = client.get(reverse("ledger"), query).content.decode()
    table = re.search(
        r'<table class="table table--stack" id="ledger-table">(.*?)</table>', page, re.S
    )
    if table is None:
        return []
    return re.findall(r'<td class="nowrap" data-label="台账编号">(督[^<]+)</td>', table.group(1))


# ----------------------------------------------------------------------------- the file


@pytest.fixture
def extended_item(org: Org) -> Item:
    """A meeting item with an approved extension and one urge (R-E4, R-U2)."""
    with at(2026, 9, 28, 10):
        item = advance(org, establish(org, minutes_issued_on=dt.date(2026, 9, 28)), "in_progress")
    assert item.deadline == dt.date(2026, 10, 16)  # R-D2
    with at(2026, 10, 9, 10):
        actions.request_extension(
            org.lead_liaison, item, requested_deadline=dt.date(2026, 11, 30), reason="需等待新文件"
        )
        actions.decide_extension(org.office_supervisor, item, approve=True, comment="同意")
        actions.urge_item(
            org.office_supervisor,
            item,
            channel="phone",
            recipient=org.lead_liaison,
            note="电话督促尽快推进",
        )
    item.refresh_from_db()
    return item


def test_export_is_a_print_ready_workbook(client: Client, org: Org, extended_item: Item):
    with at(2026, 12, 3, 10):
        response = download(client, org.office_supervisor, {"year": "2026"})
    assert response["Content-Type"] == CONTENT_TYPE
    assert "attachment" in response["Content-Disposition"]
    assert ".xlsx" in response["Content-Disposition"]
    sheet = sheet_of(response)
    assert sheet.title == "督办工作台账"
    assert sheet["A1"].value == "督办工作台账（2026年）"
    assert sheet["A2"].value == "筛选条件：年度：2026；共1项；导出时间：2026-12-03 10:00"
    assert [cell.value for cell in sheet[3]] == HEADERS
    assert sheet["A3"].font.bold is True
    # The header stays in view and is printed on every page.
    assert sheet.freeze_panes == "A4"
    assert sheet.print_title_rows == "$3:$3"
    assert sheet.auto_filter.ref == "A3:Z4"
    # A width of N characters is stored as Excel stores it, with the cell padding
    # (5 pixels of 7 per character): 19 characters as 19.71.
    widths = {letter: sheet.column_dimensions[letter].width for letter in "AIJ"}
    assert widths == pytest.approx({"A": 19.71, "I": 24.71, "J": 36.71}, abs=0.01)
    assert sheet.page_setup.orientation == "landscape"
    assert sheet.page_setup.paperSize == 9  # A4
    assert sheet.page_setup.fitToWidth in (None, 1)  # one page wide; absent means 1 (OOXML)
    assert sheet.page_setup.fitToHeight == 0
    assert sheet.sheet_properties.pageSetUpPr.fitToPage is True


def test_export_row_shows_sources_dates_urges_extension_and_lateness(
    client: Client, org: Org, extended_item: Item
):
    with at(2026, 12, 3, 10):
        sheet = sheet_of(download(client, org.office_supervisor))
    assert sheet["A1"].value == "督办工作台账（全部年度）"
    assert sheet["A2"].value.startswith("筛选条件：无（全部可见事项）；共1项；")
    [row] = data_rows(sheet)
    assert row == {
        "台账编号": extended_item.ledger_number,
        "年度": 2026,
        "来源类别": "会议决定事项",
        "具体来源": "校长办公会",
        "决定立项的校领导": None,
        "领导决定日期": None,
        "密级类别": "普通",
        "紧急": "否",
        "事项名称": "修订本科生培养方案",
        "工作内容": "按校长办公会决定，完成2027版本科生培养方案修订。",
        "督办依据": "校长办公会纪要〔2026〕第12期",
        "承办单位": "教务处",
        "配合单位": "人事处",
        "立项日期": dt.datetime(2026, 9, 28),
        "交办日期": dt.datetime(2026, 9, 28),
        "原定办结时限": dt.datetime(2026, 10, 16),
        "当前办结时限": dt.datetime(2026, 11, 30),
        "状态": "办理中",
        "预警": "红灯",
        "催办次数": 1,
        "延期情况": "已批准：2026-10-16延至2026-11-30（2026-10-09申请，2026-10-09批准）",
        "报结日期": None,
        "办结日期": None,
        # R-E4: 12-01..12-03 against the approved deadline; 10-17..12-03 against the
        # original one (10 working days in October, 21 in November, 3 in December).
        "超期工作日（按当前时限）": 3,
        "超期工作日（按原定时限）": 34,
        "退回或终止情况": None,
    }
    date_cell = sheet.cell(row=4, column=HEADERS.index("当前办结时限") + 1)
    assert date_cell.number_format == "yyyy-mm-dd"


def test_export_of_a_completed_item_counts_lateness_to_its_report(client: Client, org: Org):
    with at(2026, 9, 28, 10):
        item = advance(org, establish(org, minutes_issued_on=dt.date(2026, 9, 28)), "in_progress")
    with at(2026, 10, 20, 10):  # two working days after the deadline 10-16
        advance_to_completed(org, item)
    with at(2026, 12, 3, 10):
        [row] = data_rows(sheet_of(download(client, org.office_supervisor)))
    assert row["状态"] == "已办结"
    assert row["预警"] == "灰灯"
    assert row["办结日期"] == dt.datetime(2026, 10, 20)
    assert row["延期情况"] == "无"
    assert row["超期工作日（按当前时限）"] == 2
    assert row["超期工作日（按原定时限）"] == 2


def advance_to_completed(org: Org, item: Item) -> None:
    actions.draft_completion_report(org.lead_liaison, item, "已完成全部工作")
    actions.confirm_report(org.lead_head, item)
    actions.review_report(org.office_supervisor, item, accept=True)


def test_exporting_is_audited(client: Client, org: Org, extended_item: Item):
    with at(2026, 12, 3, 10):
        download(client, org.office_supervisor, {"status": "in_progress", "page": "2"})
    event = AuditEvent.objects.get(verb="export_ledger")
    assert event.actor == org.office_supervisor
    assert event.summary == "导出督办工作台账（筛选条件：状态：办理中），共1项"
    assert event.data == {
        "filters": {"status": "in_progress"},
        "count": 1,
        "restricted": [],
        "via": "page",
    }


# ----------------------------------------------------------------------------- formulas


@pytest.mark.parametrize("title", ['=HYPERLINK("http://x","y")', "+1", "-1", "@SUM(1)", "=1+1"])
def test_text_a_spreadsheet_would_run_is_written_as_text(client: Client, org: Org, title: str):
    establish(org, title=title, content="=cmd|' /C calc'!A0", basis="-2+3")
    response = download(client, org.office_supervisor)
    content = body(response)
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        xml = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in xml and "<f " not in xml  # no formula anywhere
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    cells = {
        header: sheet.cell(row=4, column=HEADERS.index(header) + 1)
        for header in ("事项名称", "工作内容", "督办依据")
    }
    assert cells["事项名称"].value == title
    assert cells["工作内容"].value == "=cmd|' /C calc'!A0"
    assert cells["督办依据"].value == "-2+3"
    for cell in cells.values():
        assert cell.data_type == "s"
        assert cell.quotePrefix is True  # editing the cell keeps it text


def test_control_characters_are_dropped_not_fatal(client: Client, org: Org):
    establish(org, title="含控制字符\x0b的事项")
    [row] = data_rows(sheet_of(download(client, org.office_supervisor)))
    assert row["事项名称"] == "含控制字符的事项"


# ----------------------------------------------------------------------------- rows


@pytest.fixture
def mixed_items(org: Org) -> dict[str, Item]:
    with at(2026, 11, 2, 10):
        overdue = establish(org, title="超期的会议事项", minutes_deadline=dt.date(2026, 11, 10))
    with at(2026, 11, 20, 10):
        return {
            "overdue": overdue,
            "meeting": advance(org, establish(org, title="办理中的会议事项"), "in_progress"),
            "annual": establish(
                org,
                title="年度要点事项",
                source_kind="annual",
                source_body="work_points",
                year=2026,
                minutes_issued_on=None,
            ),
            "other": establish(
                org,
                title="领导批示事项",
                content="关于图书馆扩建的批示",
                source_kind="other",
                source_body="instruction",
                minutes_issued_on=None,
                instruction_deadline=dt.date(2026, 12, 30),
                deciding_leader=org.leader_in_charge,
                decided_on=dt.date(2026, 11, 20),
            ),
            "other_unit": establish(
                org, title="财务处承办事项", lead_unit=org.other_unit, cooperating_units=[]
            ),
        }


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"source_kind": "annual"},
        {"status": "in_progress"},
        {"overdue": "yes"},
        {"overdue": "no"},
        {"q": "图书馆扩建"},
        {"year": "2026", "source_kind": "meeting"},
        {"light": "red"},
        {"lead_unit": "LEAD"},
        {"year": "1999"},  # an invalid filter is ignored, as on the page
    ],
)
def test_export_rows_are_the_ledger_pages_rows(
    client: Client, org: Org, mixed_items: dict[str, Item], query: dict[str, str]
):
    query = {
        key: str(org.lead_unit.pk) if value == "LEAD" else value for key, value in query.items()
    }
    with at(2026, 11, 27, 10):
        client.force_login(org.office_supervisor)
        shown = page_numbers(client, query)
        exported = numbers(sheet_of(download(client, org.office_supervisor, query)))
    assert shown  # every query lists something
    assert sorted(exported) == sorted(shown)
    # The file is in register order: by year, category and number (R-S5).
    assert exported == [
        item.ledger_number
        for item in Item.objects.filter(ledger_number__in=exported).order_by(
            "year", "source_kind", "serial"
        )
    ]


def test_r_c5_export_leaves_out_what_the_person_may_not_see(client: Client, org: Org):
    sensitive = establish(org, title="信访事项", confidentiality="sensitive")
    ordinary = establish(org, title="普通事项")
    theirs = establish(org, title="财务处事项", lead_unit=org.other_unit, cooperating_units=[])

    supervisor_rows = numbers(sheet_of(download(client, org.office_supervisor)))
    assert sorted(supervisor_rows) == sorted(
        [sensitive.ledger_number, ordinary.ledger_number, theirs.ledger_number]
    )
    event = AuditEvent.objects.filter(verb="export_ledger").latest("sequence")
    assert event.data["restricted"] == [sensitive.ledger_number]

    assert numbers(sheet_of(download(client, org.other_unit_liaison))) == [theirs.ledger_number]
    # A school leader sees every ordinary item, but a sensitive one only when named (R-C1).
    leader_rows = numbers(sheet_of(download(client, org.leader_in_charge)))
    assert sensitive.ledger_number not in leader_rows
    assert ordinary.ledger_number in leader_rows


def test_export_for_anonymous_visitors_goes_to_login(client: Client, item: Item):
    response = client.get(reverse("ledger-export"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert AuditEvent.objects.filter(verb="export_ledger").count() == 0


def test_the_ledger_page_links_to_the_export_with_its_filters(client: Client, org: Org, item: Item):
    client.force_login(org.office_supervisor)
    page = client.get(reverse("ledger"), {"status": "established", "q": "培养"}).content.decode()
    link = re.search(r'id="ledger-export" href="([^"]+)"', page)
    assert link is not None
    assert link.group(1) == "/ledger/export/?status=established&amp;q=%E5%9F%B9%E5%85%BB"


def test_page_export_above_the_limit_points_to_the_command(
    client: Client, org: Org, item: Item, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr("duban.ledger.exporting.PAGE_EXPORT_LIMIT", 0)
    client.force_login(org.office_supervisor)
    response = client.get(reverse("ledger-export"), {"status": "established"})
    assert response.status_code == 302
    assert response["Location"] == "/items/?status=established"
    page = client.get(response["Location"]).content.decode()
    assert "超过页面导出的上限0项" in page
    assert "export_ledger" in page
    assert AuditEvent.objects.filter(verb="export_ledger").count() == 0


# ----------------------------------------------------------------------------- queries


def build_items(org: Org, count: int) -> None:
    for number in range(count):
        item = establish(org, title=f"事项{number}")
        if number % 3 == 0:
            advance(org, item, "in_progress")
            actions.urge_item(
                org.office_supervisor,
                item,
                channel="system",
                recipient=org.lead_liaison,
            )


def export_queries(client: Client, org: Org) -> tuple[int, int]:
    client.force_login(org.office_supervisor)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("ledger-export"))
        rows = len(numbers(sheet_of(response)))
    return len(queries), rows


def test_export_queries_do_not_grow_with_rows(client: Client, org: Org):
    build_items(org, 3)
    few, rows = export_queries(client, org)
    assert rows == 3
    build_items(org, 27)
    many, rows = export_queries(client, org)
    assert rows == 30
    assert many == few
    assert few <= 25


# ----------------------------------------------------------------------------- the command


@pytest.fixture
def secrecy_supervisor(org: Org) -> User:
    office = Unit.objects.create(code="0160", name="保密办公室", kind=UnitKind.SECRECY_OFFICE)
    return make_person("baomi", Role.OFFICE_SUPERVISOR, office, "保密督办员")


def test_command_exports_the_years_items_and_says_so(
    org: Org, secrecy_supervisor: User, tmp_path: Path
):
    ordinary = establish(org, title="普通事项")
    sensitive = establish(org, title="信访事项", confidentiality="sensitive")
    classified = actions.establish_item(
        secrecy_supervisor,
        actions.EstablishInput(
            title="某涉密事项",
            content="",
            basis="线下报送",
            source_kind="meeting",
            source_body="president_meeting",
            lead_unit=org.lead_unit,
            confidentiality="classified",
            minutes_issued_on=clock.today(),
        ),
    )
    year = clock.today().year
    output = tmp_path / "台账.xlsx"
    out = StringIO()
    call_command("export_ledger", "--year", str(year), "--output", str(output), stdout=out)
    assert out.getvalue() == f"exported 2 items to {output}\n"
    sheet = load_workbook(output).worksheets[0]
    assert sheet["A1"].value == f"督办工作台账（{year}年）"
    assert sorted(numbers(sheet)) == sorted([ordinary.ledger_number, sensitive.ledger_number])
    event = AuditEvent.objects.get(verb="export_ledger")
    assert event.actor is None
    assert event.data["via"] == "command"
    assert event.data["count"] == 2

    out = StringIO()
    call_command(
        "export_ledger",
        "--year",
        str(year),
        "--output",
        str(output),
        "--include-restricted",
        stdout=out,
    )
    assert out.getvalue() == f"exported 3 items to {output}\n"
    rows = {row["台账编号"]: row for row in data_rows(load_workbook(output).worksheets[0])}
    # A classified item is a registration only (R-C3).
    assert rows[classified.ledger_number]["工作内容"] == OFFLINE_TEXT
    assert rows[classified.ledger_number]["督办依据"] == OFFLINE_TEXT
    assert list(tmp_path.iterdir()) == [output]  # no temporary file left behind


def test_command_of_a_year_without_items_writes_an_empty_ledger(org: Org, tmp_path: Path):
    output = tmp_path / "empty.xlsx"
    out = StringIO()
    call_command("export_ledger", "--year", "2019", "--output", str(output), stdout=out)
    assert out.getvalue() == f"exported 0 items to {output}\n"
    sheet = load_workbook(output).worksheets[0]
    assert [cell.value for cell in sheet[3]] == HEADERS
    assert sheet.max_row == 3
