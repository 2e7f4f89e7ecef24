"""A year's ledger is written in constant-memory mode with its data rows as XML
(`duban.ledger.export.CellWriter`): the same sheet, byte for byte, as XlsxWriter writes
through its own calls, for every kind of cell the ledger has and for the text that
XlsxWriter escapes, keeps spaces around or cuts (R-S5).
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path
from typing import Any

import pytest
import xlsxwriter
from django.core.management import call_command
from openpyxl import load_workbook

from duban import clock
from duban.ledger import export
from duban.ledger.export import CellWriter
from tests.conftest import Org, establish

KINDS = ["centre", "number", "text", "wide", "date", "text", "number", "centre"]
PLAIN_ROWS: list[list[Any]] = [
    ["督2026-0001", 2026, "学院发展规划", "多行\n内容\t制表", dt.date(2026, 3, 1), "", 0, None],
    ["督2026-0002", 2026, "A&B <c> \"引\" 'x'", "x" * 16_383, dt.date(1900, 1, 5), "是", -3, ""],
    ["督2026-0003", 2025, "=SUM(A1:A3)", "-5", dt.date(2099, 12, 31), "+1", 7, "@x"],
]
ODD_ROWS: list[list[Any]] = [
    ["督2026-0004", 2026, "回车\r\n换行", "a", None, "", 1, "b"],
    ["督2026-0005", 2026, "_x0041_ 样式", "a", None, "", 1, "b"],
    ["督2026-0006", 2026, " 前有空格", "后有空格 ", None, "", 1, "末尾换行\n"],
    ["督2026-0007", 2026, "控制\x01字符\x1f", "\ufffe非字符", None, "", 1, "b"],
    ["督2026-0008", 2026, "长" * 40_000, "😀" * 20_000, None, "", 1, "b"],
    ["督2026-0009", 2026, "a", "b", dt.datetime(2026, 3, 1, 9, 30), "", 1.5, True],
    ["督2026-0010", 2026, "a", "b", dt.date(2026, 3, 1), "", 10**17, "\x02"],
]


def written(rows: list[list[Any]], as_xml: bool, used: list[bool]) -> dict[str, bytes]:
    """The workbook's parts after writing a title, a header and `rows`, with the rows
    as XML or through XlsxWriter's calls; `used` collects whether each row went as XML."""
    output = io.BytesIO()
    workbook = xlsxwriter.Workbook(
        output, {"constant_memory": True, "strings_to_numbers": False, "strings_to_urls": False}
    )
    workbook.set_properties({"created": dt.datetime(2026, 1, 1)})
    sheet = workbook.add_worksheet("台账")
    sheet.set_row(0, 30)
    write = CellWriter(workbook, sheet)
    write.as_xml = as_xml
    original = write._write_xml

    def spy(row: int, values: Any, kinds: Any) -> bool:
        done = original(row, values, kinds)
        used.append(done)
        return done

    write._write_xml = spy  # type: ignore[method-assign]
    write(0, 0, "督办工作台账", "title")
    for column in range(len(KINDS)):
        write(2, column, f"列{column}", "header")
    for index, values in enumerate(rows, start=3):
        write.row(index, values, KINDS)
    sheet.autofilter(2, 0, 2 + len(rows), len(KINDS) - 1)
    workbook.close()
    with zipfile.ZipFile(io.BytesIO(output.getvalue())) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


@pytest.mark.parametrize("rows", [PLAIN_ROWS, ODD_ROWS, PLAIN_ROWS + ODD_ROWS + PLAIN_ROWS])
def test_rows_written_as_xml_are_the_sheet_xlsxwriter_writes(rows: list[list[Any]]):
    used: list[bool] = []
    fast = written(rows, as_xml=True, used=used)
    assert used  # the XML path was asked for every row
    slow = written(rows, as_xml=False, used=[])
    assert fast.keys() == slow.keys()
    for name in fast:
        assert fast[name] == slow[name], name
    # Plain rows go as XML; each odd row is left to XlsxWriter.
    plain = [values in PLAIN_ROWS for values in rows]
    assert used == plain


def test_plain_rows_do_go_as_xml():
    used: list[bool] = []
    parts = written(PLAIN_ROWS, as_xml=True, used=used)
    assert used == [True, True, True]
    sheet = parts["xl/worksheets/sheet1.xml"].decode()
    assert '<row r="4"><c r="A4" s="' in sheet
    assert "A&amp;B &lt;c&gt; \"引\" 'x'" in sheet
    assert "<v>46082</v>" in sheet  # 2026-03-01 as Excel's day number


def test_an_in_memory_workbook_writes_through_xlsxwriter():
    workbook = xlsxwriter.Workbook(io.BytesIO(), {"in_memory": True})
    assert CellWriter(workbook, workbook.add_worksheet()).as_xml is False
    workbook.close()


def test_a_year_exported_in_constant_memory_reads_as_the_in_memory_one(
    org: Org, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    establish(org, title="普通事项 & <附件>", content="第一行\n第二行")
    establish(org, title="=1+1", content=" 前后空格 ", urgent=True)
    establish(org, title="第三项", content="多行\n\n内容", basis="=依据")
    year = str(clock.today().year)

    def export_rows(limit: int, name: str) -> list[tuple[Any, ...]]:
        monkeypatch.setattr(export, "IN_MEMORY_ROWS", limit)
        output = tmp_path / name
        call_command("export_ledger", "--year", year, "--output", str(output), stdout=io.StringIO())
        sheet = load_workbook(output).worksheets[0]
        return [row for index, row in enumerate(sheet.iter_rows(values_only=True)) if index != 1]

    in_memory = export_rows(10_000, "memory.xlsx")
    streamed = export_rows(0, "streamed.xlsx")
    assert len(in_memory) == 2 + 3  # title, header, the items
    assert streamed == in_memory
