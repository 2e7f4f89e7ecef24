"""Reading an office's existing Excel ledger: the file check, the column mapping and
each row's values, with every problem named by its row number.

Nothing here writes: `duban.ledger.actions.import_ledger` takes the rows read here
through the real actions, all or nothing.

The column mapping (a header is recognised after dropping spaces, asterisks and a
trailing note in brackets, e.g. “办结时限（日期）” → “办结时限”; the first header of a
field's list found in the file wins):

| field            | headers recognised                                  | required     |
|------------------|-----------------------------------------------------|--------------|
| 事项名称         | 事项名称, 督办事项, 督办事项名称, 事项, 工作事项    | yes          |
| 工作内容         | 工作内容, 内容, 主要内容, 具体内容, 工作任务,       | yes, but not |
|                  | 督办内容                                            | for 涉密     |
| 督办依据         | 督办依据, 依据, 文件依据, 立项依据                  | as 工作内容  |
| 承办单位         | 承办单位, 牵头单位, 责任单位, 主办单位, 主责单位  | yes          |
| 配合单位         | 配合单位, 协办单位, 协同单位, 参与单位            | no           |
| 办结时限         | 当前办结时限, 办结时限, 完成时限, 时限要求, 时限,  | yes, but not |
|                  | 原定办结时限                                        | for 年度     |
| 来源类别         | 来源类别, 来源, 事项来源, 类别                      | yes          |
| 具体来源         | 具体来源, 来源会议, 会议名称                        | see below    |
| 立项日期         | 立项日期, 立项时间                                  | no           |
| 交办日期         | 交办日期, 交办时间                                  | no           |
| 状态             | 状态, 办理状态, 事项状态, 办理情况                  | no           |
| 办结日期         | 办结日期, 完成日期, 办结时间                        | for 已办结   |
| 年度             | 年度                                                | no           |
| 决定立项的校领导 | 决定立项的校领导, 批示领导, 交办领导, 决定领导      | for 其他交办 |
| 领导决定日期     | 领导决定日期, 批示日期, 决定日期                    | no           |
| 原定办结时限     | 原定办结时限 (when 当前办结时限 is there too)        | no           |
| 报结日期         | 报结日期, 报结时间                                  | no           |
| 延期情况         | 延期情况 (our own export's wording)                  | no           |
| 退回或终止情况   | 退回或终止情况, 退回理由, 终止情况                  | for 已终止   |
| 密级类别         | 密级类别, 密级                                      | no (普通)    |
| 紧急             | 紧急, 是否紧急, 紧急事项                            | no           |
| 原台账编号       | 台账编号, 原台账编号, 编号 (kept in the audit only) | no           |

How values are read:
- the header row is the first of the sheet's first 10 rows that has a 事项名称 column and
  at least two other recognised headers (our own export's title rows are skipped);
- units by their exact name (`Unit.name`), active ones only; several cooperating units
  are separated by 、 ， , ； ; / or spaces;
- dates: Excel dates, or text such as 2026-10-16, 2026/10/16, 2026.10.16, 2026年10月16日;
- 来源类别: 会议决定事项 (会议), 年度重点工作 (年度), 其他交办事项 (其他, 交办); a
  specific body (校长办公会, 党委常委会, 校领导批示, …) named in 具体来源 or in 来源
  itself also tells the kind. 会议 and 其他 items must name their body; 年度 items
  without one are 党政工作要点;
- 状态: 已立项/待交办, 已交办/待签收, 已退回, 办理中 (在办, 正在办理, 推进中,
  进行中), 已报结/待审核, 已办结 (办结, 已完成, 完成), 已终止, 已归档; empty:
  已办结 if a 办结日期 is given, else 已交办 if a 交办日期 is given, else 已立项.
  An 已终止 row needs its decision in 退回或终止情况; an 已归档 row is an 已办结 one
  (with its 办结日期) or an 已终止 one (with its decision), filed after the import;
- 延期情况 and 退回或终止情况 are read in the wording our own export writes
  (`duban.ledger.export.extension_text`, `closing_text`), so that a year exported and
  imported again is the same year: an extension is requested and decided again on its
  dates, a termination recorded with its decision;
- 台账编号: an old number in this system's own form (督会〔2026〕第0012号) of the
  row's year and category is kept when it is free; any other number is recorded in
  the audit and the item numbered by this system's rules;
- 办结时限 by kind: a 会议 item's deadline is recorded as set by the office from the
  old ledger (R-D3, with that reason); an 其他 item's is the instruction's deadline
  (R-D5) and it needs its deciding leader (R-S2: a school leader, by full name); a
  年度 item's deadline is 31 December of its year (R-D4), so a different one is
  reported;
- 年度: --year (the page's 台账年度) if given, else the 年度 column, else the year of
  the row's dates, else this year. With --year every row's dates must lie in it.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from duban import clock
from duban.items.models import (
    LEDGER_PREFIX,
    SOURCE_BODIES,
    Confidentiality,
    ExtensionStatus,
    SourceBody,
    SourceKind,
)
from duban.items.states import Status
from duban.organisation.models import Role, Unit, User

MAX_BYTES = 10 * 1024 * 1024  # the upload limit: 10 MB
MAX_ROWS = 10_000  # data rows of one import
MAX_UNPACKED_BYTES = 200 * 1024 * 1024  # what the parts of an .xlsx may unpack to
MAX_ZIP_ENTRIES = 5000
HEADER_SEARCH_ROWS = 10


class ImportFileError(Exception):
    """The file cannot be read as a ledger at all (not a row's problem)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# ----------------------------------------------------------------------------- the mapping


@dataclass(frozen=True)
class Field:
    key: str
    label: Promise
    headers: tuple[str, ...]
    note: Promise


FIELDS: tuple[Field, ...] = (
    Field(
        "title",
        gettext_lazy("事项名称"),
        ("事项名称", "督办事项", "督办事项名称", "事项", "工作事项"),
        gettext_lazy("必填"),
    ),
    Field(
        "content",
        gettext_lazy("工作内容"),
        ("工作内容", "内容", "主要内容", "具体内容", "工作任务", "督办内容"),
        gettext_lazy("必填（涉密事项除外）"),
    ),
    Field(
        "basis",
        gettext_lazy("督办依据"),
        ("督办依据", "依据", "文件依据", "立项依据"),
        gettext_lazy("必填（涉密事项除外）"),
    ),
    Field(
        "lead_unit",
        gettext_lazy("承办单位"),
        ("承办单位", "牵头单位", "责任单位", "主办单位", "主责单位"),
        gettext_lazy("必填，须与系统中的单位名称一致"),
    ),
    Field(
        "cooperating_units",
        gettext_lazy("配合单位"),
        ("配合单位", "协办单位", "协同单位", "参与单位"),
        gettext_lazy("可多个，用顿号、逗号或分号分隔"),
    ),
    Field(
        "deadline",
        gettext_lazy("办结时限"),
        ("当前办结时限", "办结时限", "完成时限", "时限要求", "时限", "原定办结时限"),
        gettext_lazy("必填（年度重点工作为当年12月31日）"),
    ),
    Field(
        "original_deadline",
        gettext_lazy("原定办结时限"),
        ("原定办结时限",),
        gettext_lazy("选填；晚于或早于当前办结时限的，按延期情况或时限变更补录"),
    ),
    Field(
        "source_kind",
        gettext_lazy("来源类别"),
        ("来源类别", "来源", "事项来源", "类别"),
        gettext_lazy("必填：会议决定事项、年度重点工作或其他交办事项"),
    ),
    Field(
        "source_body",
        gettext_lazy("具体来源"),
        ("具体来源", "来源会议", "会议名称"),
        gettext_lazy("会议和其他交办事项须写明，如校长办公会、校领导批示"),
    ),
    Field(
        "established_on",
        gettext_lazy("立项日期"),
        ("立项日期", "立项时间"),
        gettext_lazy("选填；历史事项按此日期补录立项"),
    ),
    Field(
        "assigned_on",
        gettext_lazy("交办日期"),
        ("交办日期", "交办时间"),
        gettext_lazy("选填；按此日期补录交办"),
    ),
    Field(
        "status",
        gettext_lazy("状态"),
        ("状态", "办理状态", "事项状态", "办理情况"),
        gettext_lazy("选填：已立项、已交办、已退回、办理中、已报结、已办结、已终止或已归档"),
    ),
    Field(
        "submitted_on",
        gettext_lazy("报结日期"),
        ("报结日期", "报结时间"),
        gettext_lazy("选填；办结报告报送之日，默认为办结日期"),
    ),
    Field(
        "completed_on",
        gettext_lazy("办结日期"),
        ("办结日期", "完成日期", "办结时间"),
        gettext_lazy("已办结事项必填"),
    ),
    Field("year", gettext_lazy("年度"), ("年度",), gettext_lazy("选填")),
    Field(
        "deciding_leader",
        gettext_lazy("决定立项的校领导"),
        ("决定立项的校领导", "批示领导", "交办领导", "决定领导"),
        gettext_lazy("其他交办事项必填，填校领导姓名"),
    ),
    Field(
        "decided_on",
        gettext_lazy("领导决定日期"),
        ("领导决定日期", "批示日期", "决定日期"),
        gettext_lazy("选填，默认为立项日期"),
    ),
    Field(
        "confidentiality",
        gettext_lazy("密级类别"),
        ("密级类别", "密级"),
        gettext_lazy("选填：普通、敏感、执纪审查、涉密；默认普通"),
    ),
    Field(
        "urgent",
        gettext_lazy("紧急"),
        ("紧急", "是否紧急", "紧急事项"),
        gettext_lazy("选填：是/否"),
    ),
    Field(
        "extension",
        gettext_lazy("延期情况"),
        ("延期情况",),
        gettext_lazy(
            "选填，按本系统导出的写法，如“已批准：2026-10-16延至2026-11-16（2026-10-01申请，2026-10-09批准）”"
        ),
    ),
    Field(
        "closing",
        gettext_lazy("退回或终止情况"),
        ("退回或终止情况", "退回理由", "终止情况"),
        gettext_lazy(
            "已终止事项必填，如“2026-10-16终止；校领导：王某某；依据：……；原因：……”；"
            "已退回事项选填“退回理由：……”"
        ),
    ),
    Field(
        "original_number",
        gettext_lazy("原台账编号"),
        ("台账编号", "原台账编号", "编号"),
        gettext_lazy("仅作记录，导入后按本系统规则重新编号"),
    ),
)
FIELD_BY_KEY = {item.key: item for item in FIELDS}
HEADER_NOTE = re.compile(r"[（(][^（）()]*[）)]$")


def normalise_header(value: Any) -> str:
    text = re.sub(r"[\s\u3000*＊:：]", "", str(value or ""))
    return HEADER_NOTE.sub("", text)


@dataclass
class Mapping:
    header_row: int  # the spreadsheet's row number of the header row
    columns: dict[str, int]  # field key -> column index (0-based)
    headers: dict[str, str]  # field key -> the header as written in the file
    unrecognised: list[str] = field(default_factory=list)

    def rows(self) -> list[dict[str, str]]:
        """The mapping as the page and the command show it, one line per field."""
        from openpyxl.utils import get_column_letter

        lines = []
        for item in FIELDS:
            index = self.columns.get(item.key)
            lines.append(
                {
                    "field": str(item.label),
                    "header": self.headers.get(item.key, ""),
                    "column": get_column_letter(index + 1) if index is not None else "",
                    "note": str(item.note),
                }
            )
        return lines


def detect_mapping(header_cells: tuple[Any, ...], row_number: int) -> Mapping | None:
    """The mapping of one candidate header row, or None if it is not a header row."""
    found: dict[str, str] = {}
    position: dict[str, int] = {}
    for index, cell in enumerate(header_cells):
        name = normalise_header(cell)
        if name:
            found.setdefault(name, str(cell).strip())
            position.setdefault(name, index)
    columns: dict[str, int] = {}
    headers: dict[str, str] = {}
    used: set[str] = set()
    for item in FIELDS:
        for header in item.headers:
            if header in position and header not in used:
                columns[item.key] = position[header]
                headers[item.key] = found[header]
                used.add(header)
                break
    if "title" not in columns or len(columns) < 3:
        return None
    unrecognised = [
        str(cell).strip()
        for index, cell in enumerate(header_cells)
        if normalise_header(cell) and index not in columns.values()
    ]
    return Mapping(row_number, columns, headers, unrecognised)


# ----------------------------------------------------------------------------- the file


def check_xlsx(content: bytes, name: str) -> None:
    """An .xlsx judged by its bytes: a ZIP holding xl/workbook.xml, of a sane size when
    unpacked. Raises ImportFileError with the reason."""
    if len(content) > MAX_BYTES:
        raise ImportFileError(_("文件“%(name)s”超过10 MB，请拆分后再导入。") % {"name": name})
    not_xlsx = _("文件“%(name)s”不是Excel（.xlsx）文件，请在Excel中另存为.xlsx后再导入。") % {
        "name": name
    }
    if not content.startswith(b"PK\x03\x04"):
        raise ImportFileError(not_xlsx)
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            entries = archive.infolist()
            if len(entries) > MAX_ZIP_ENTRIES:
                raise ImportFileError(not_xlsx)
            names = {entry.filename for entry in entries}
            unpacked = sum(entry.file_size for entry in entries)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError):
        raise ImportFileError(not_xlsx) from None
    if "xl/workbook.xml" not in names:
        raise ImportFileError(not_xlsx)
    if unpacked > MAX_UNPACKED_BYTES:
        raise ImportFileError(_("文件“%(name)s”解压后过大，无法导入。") % {"name": name})


def sheet_rows(content: bytes) -> Generator[tuple[int, tuple[Any, ...]], None, None]:
    """(row number, cell values) of the workbook's first sheet, as stored (formulas
    give their last computed value)."""
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a damaged file
        raise ImportFileError(_("无法读取该Excel文件：%(error)s") % {"error": error}) from None
    try:
        sheet = workbook.worksheets[0]
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield number, tuple(values)
    finally:
        workbook.close()


# ----------------------------------------------------------------------------- values


SOURCE_KIND_NAMES: dict[str, str] = {
    "会议决定事项": SourceKind.MEETING,
    "会议决定": SourceKind.MEETING,
    "会议": SourceKind.MEETING,
    "会议事项": SourceKind.MEETING,
    "年度重点工作": SourceKind.ANNUAL,
    "年度重点": SourceKind.ANNUAL,
    "年度工作": SourceKind.ANNUAL,
    "年度": SourceKind.ANNUAL,
    "其他交办事项": SourceKind.OTHER,
    "其他交办": SourceKind.OTHER,
    "其他": SourceKind.OTHER,
    "交办": SourceKind.OTHER,
    "交办事项": SourceKind.OTHER,
}
STATUS_NAMES: dict[str, str] = {
    "已立项": Status.ESTABLISHED,
    "立项": Status.ESTABLISHED,
    "待交办": Status.ESTABLISHED,
    "已交办": Status.ASSIGNED,
    "交办": Status.ASSIGNED,
    "待签收": Status.ASSIGNED,
    "办理中": Status.IN_PROGRESS,
    "在办": Status.IN_PROGRESS,
    "正在办理": Status.IN_PROGRESS,
    "推进中": Status.IN_PROGRESS,
    "进行中": Status.IN_PROGRESS,
    "已退回": Status.RETURNED,
    "退回": Status.RETURNED,
    "已终止": Status.TERMINATED,
    "终止": Status.TERMINATED,
    "已归档": Status.ARCHIVED,
    "归档": Status.ARCHIVED,
    "已报结": Status.SUBMITTED,
    "待审核": Status.SUBMITTED,
    "已办结": Status.COMPLETED,
    "办结": Status.COMPLETED,
    "已完成": Status.COMPLETED,
    "完成": Status.COMPLETED,
}
IMPORTED_STATUSES = (
    Status.ESTABLISHED,
    Status.ASSIGNED,
    Status.RETURNED,
    Status.IN_PROGRESS,
    Status.SUBMITTED,
    Status.COMPLETED,
    Status.TERMINATED,
    Status.ARCHIVED,
)
CONFIDENTIALITY_NAMES: dict[str, str] = {
    **{str(label): value for value, label in Confidentiality.choices},
    "": Confidentiality.ORDINARY,
    "一般": Confidentiality.ORDINARY,
    "无": Confidentiality.ORDINARY,
    "否": Confidentiality.ORDINARY,
}
YES = {"是", "紧急", "√", "✓", "Y", "y", "yes", "Yes", "YES", "1", "TRUE", "True", "true"}
NO = {"", "否", "不紧急", "一般", "N", "n", "no", "No", "NO", "0", "FALSE", "False", "false"}
UNIT_SEPARATORS = re.compile(r"[、,，;；/\s]+")
DATE_TEXT = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:\s.*)?$")
YEAR_TEXT = re.compile(r"^(\d{4})\s*年?(?:度)?$")


def text_of(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).replace("\r\n", "\n").replace("\r", "\n").strip()


def parse_date(value: Any) -> dt.date:
    """A date from an Excel date, a serial number, or text such as 2026-10-16,
    2026/10/16, 2026.10.16 or 2026年10月16日; ValueError otherwise."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        if 1 <= value < 2_958_466:  # Excel's serial days (1900 date system)
            from openpyxl.utils.datetime import from_excel

            moment = from_excel(value)
            return moment.date() if isinstance(moment, dt.datetime) else moment
        raise ValueError(value)
    match = DATE_TEXT.match(text_of(value))
    if match is None:
        raise ValueError(value)
    year, month, day = (int(part) for part in match.groups())
    return dt.date(year, month, day)


def parse_year(value: Any) -> int:
    if isinstance(value, int | float) and not isinstance(value, bool) and float(value).is_integer():
        year = int(value)
    else:
        match = YEAR_TEXT.match(text_of(value))
        if match is None:
            raise ValueError(value)
        year = int(match.group(1))
    if not 2000 <= year <= 2100:
        raise ValueError(value)
    return year


DAY = r"(\d{4}-\d{2}-\d{2})"
EXTENSION_TEXTS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (ExtensionStatus.APPROVED, re.compile(rf"^已批准：{DAY}延至{DAY}（{DAY}申请，{DAY}批准）$")),
    (
        ExtensionStatus.REJECTED,
        re.compile(rf"^未批准：申请由{DAY}延至{DAY}（{DAY}申请，{DAY}未批准）$"),
    ),
    (
        ExtensionStatus.EXPIRED,
        re.compile(rf"^已失效：申请由{DAY}延至{DAY}（{DAY}申请），事项已关闭（{DAY}）$"),
    ),
    (ExtensionStatus.PENDING, re.compile(rf"^待审批：申请由{DAY}延至{DAY}（{DAY}申请）$")),
)
NO_EXTENSION = {"", "无", "未申请", "否"}
TERMINATION_TEXT = re.compile(
    rf"^{DAY}终止；(?:校领导：(?P<leader>[^；]+)|会议：(?P<meeting>.+?)（{DAY}）)；"
    r"依据：(?P<basis>.+?)；原因：(?P<reason>.+)$",
    re.DOTALL,
)
RETURN_TEXT = re.compile(r"^退回理由：(?P<reason>.+)$", re.DOTALL)
LEDGER_NUMBER_TEXT = re.compile(
    r"^(?P<prefix>督[会要交])〔(?P<year>\d{4})〕第(?P<serial>\d{1,6})号$"
)


@dataclass(frozen=True)
class ExtensionRecord:
    """An extension request as the ledger tells it (R-E1–E3)."""

    status: str
    current_deadline: dt.date
    requested_deadline: dt.date
    requested_on: dt.date
    decided_on: dt.date | None


@dataclass(frozen=True)
class Termination:
    """The decision that terminated an item (R-T1)."""

    day: dt.date
    leader_name: str
    meeting_name: str
    meeting_date: dt.date | None
    basis: str
    reason: str


def parse_extension(text: str) -> ExtensionRecord | None:
    """延期情况 in our export's wording; None for no request; ValueError otherwise."""
    if text in NO_EXTENSION:
        return None
    for status, pattern in EXTENSION_TEXTS:
        match = pattern.match(text)
        if match is not None:
            days = [dt.date.fromisoformat(day) for day in match.groups()]
            decided = days[3] if len(days) > 3 else None
            return ExtensionRecord(status, days[0], days[1], days[2], decided)
    raise ValueError(text)


def parse_termination(text: str) -> Termination | None:
    match = TERMINATION_TEXT.match(text)
    if match is None:
        return None
    day, meeting_day = match.group(1), match.group(4)
    return Termination(
        day=dt.date.fromisoformat(day),
        leader_name=(match.group("leader") or "").strip(),
        meeting_name=(match.group("meeting") or "").strip(),
        meeting_date=dt.date.fromisoformat(meeting_day) if meeting_day else None,
        basis=match.group("basis").strip(),
        reason=match.group("reason").strip(),
    )


def parse_return_reason(text: str) -> str:
    match = RETURN_TEXT.match(text)
    return match.group("reason").strip() if match else ""


def ledger_serial(number: str, source_kind: str, year: int) -> int | None:
    """The serial of an old number in this system's own form for this year and
    category (督会〔2026〕第0012号 → 12), else None."""
    match = LEDGER_NUMBER_TEXT.match(number)
    if match is None or int(match.group("year")) != year:
        return None
    if match.group("prefix") != LEDGER_PREFIX.get(source_kind):
        return None
    serial = int(match.group("serial"))
    return serial if serial > 0 else None


# Longest labels first, so that a label inside another one never wins.
BODY_LABELS = sorted(
    ((str(label), value) for value, label in SourceBody.choices), key=lambda pair: -len(pair[0])
)
BODY_ALIASES: tuple[tuple[str, str], ...] = (
    ("常委会", SourceBody.STANDING_COMMITTEE),
    ("校长办公会议", SourceBody.PRESIDENT_MEETING),
    ("书记办公会议", SourceBody.SECRETARY_MEETING),
    ("工作要点", SourceBody.WORK_POINTS),
    ("批示", SourceBody.INSTRUCTION),
    ("上级", SourceBody.SUPERIOR),
    ("转办", SourceBody.SUPERIOR),
    ("教职工代表大会", SourceBody.STAFF_CONGRESS),
    ("党员代表大会", SourceBody.PARTY_CONGRESS),
    ("全体会议", SourceBody.PARTY_PLENARY),
    ("专题会", SourceBody.SPECIAL_MEETING),
)


def find_body(text: str) -> str:
    for label, value in (*BODY_LABELS, *BODY_ALIASES):
        if label in text:
            return value
    return ""


def kind_of_body(body: str) -> str:
    return next(kind for kind, bodies in SOURCE_BODIES.items() if body in bodies)


# ----------------------------------------------------------------------------- rows


@dataclass
class Problem:
    row: int | None  # None: the file as a whole
    message: str

    def text(self) -> str:
        if self.row is None:
            return self.message
        return _("第%(row)d行：%(message)s") % {"row": self.row, "message": self.message}


@dataclass
class ImportRow:
    """One row, read and checked, ready for the actions."""

    number: int
    title: str
    content: str
    basis: str
    source_kind: str
    source_body: str
    lead_unit: Unit
    cooperating_units: list[Unit]
    deadline: dt.date | None
    year: int
    status: str
    confidentiality: str = Confidentiality.ORDINARY
    urgent: bool = False
    established_on: dt.date | None = None
    assigned_on: dt.date | None = None
    completed_on: dt.date | None = None
    deciding_leader: User | None = None
    decided_on: dt.date | None = None
    original_number: str = ""
    original_deadline: dt.date | None = None
    submitted_on: dt.date | None = None
    extension: ExtensionRecord | None = None
    termination: Termination | None = None
    terminating_leader: User | None = None
    return_reason: str = ""
    serial: int | None = None  # the old number kept, when it is this system's own

    @property
    def first_deadline(self) -> dt.date | None:
        """The deadline the item was established with."""
        return self.original_deadline or self.deadline

    @property
    def closes(self) -> str:
        """How the item ends: completed, terminated or still open ("")."""
        if self.termination is not None:
            return Status.TERMINATED
        if self.status in (Status.COMPLETED, Status.ARCHIVED):
            return Status.COMPLETED
        return ""


@dataclass
class Directory:
    """Units and school leaders by name, read once per import (two queries)."""

    units: dict[str, Unit]
    leaders: dict[str, list[User]]

    @classmethod
    def load(cls) -> Directory:
        leaders: dict[str, list[User]] = {}
        for leader in User.objects.filter(role=Role.SCHOOL_LEADER, is_active=True):
            leaders.setdefault(leader.full_name.strip(), []).append(leader)
        units = Unit.objects.select_related("liaison", "head")
        return cls(units={unit.name.strip(): unit for unit in units}, leaders=leaders)


class RowReader:
    """Reads the cells of one data row into an ImportRow, collecting its problems."""

    def __init__(
        self,
        mapping: Mapping,
        directory: Directory,
        *,
        year: int | None,
        today: dt.date,
    ) -> None:
        self.mapping = mapping
        self.directory = directory
        self.year = year
        self.today = today

    def cell(self, cells: tuple[Any, ...], key: str) -> Any:
        index = self.mapping.columns.get(key)
        if index is None or index >= len(cells):
            return None
        return cells[index]

    def is_empty(self, cells: tuple[Any, ...]) -> bool:
        return all(text_of(self.cell(cells, key)) == "" for key in self.mapping.columns)

    def read(self, number: int, cells: tuple[Any, ...]) -> tuple[ImportRow | None, list[str]]:
        problems: list[str] = []

        def text(key: str) -> str:
            return text_of(self.cell(cells, key))

        def date(key: str) -> dt.date | None:
            value = self.cell(cells, key)
            if text_of(value) == "":
                return None
            try:
                return parse_date(value)
            except (ValueError, OverflowError):
                problems.append(
                    _("%(field)s“%(value)s”不是有效日期（例如 2026-10-16 或 2026年10月16日）")
                    % {"field": FIELD_BY_KEY[key].label, "value": text_of(value)}
                )
                return None

        title = text("title")
        if not title:
            problems.append(_("缺少事项名称"))
        confidentiality = CONFIDENTIALITY_NAMES.get(text("confidentiality"))
        if confidentiality is None:
            problems.append(
                _("密级类别“%(value)s”无效（应为普通、敏感、执纪审查或涉密）")
                % {"value": text("confidentiality")}
            )
            confidentiality = Confidentiality.ORDINARY
        classified = confidentiality == Confidentiality.CLASSIFIED
        content, basis = text("content"), text("basis")
        if not content and not classified:
            problems.append(_("缺少工作内容"))
        if not basis and not classified:
            problems.append(_("缺少督办依据"))

        source_kind, source_body = self._source(text("source_kind"), text("source_body"), problems)
        lead_unit = self._unit(text("lead_unit"), _("承办单位"), problems, required=True)
        cooperating: list[Unit] = []
        for name in UNIT_SEPARATORS.split(text("cooperating_units")):
            if name:
                unit = self._unit(name, _("配合单位"), problems, required=False)
                if unit is not None and unit not in cooperating:
                    cooperating.append(unit)

        deadline = date("deadline")
        established_on = date("established_on")
        assigned_on = date("assigned_on")
        completed_on = date("completed_on")
        decided_on = date("decided_on")
        status = self._status(text("status"), assigned_on, completed_on, problems)
        year = self._year(text("year"), established_on or assigned_on, problems)

        original_deadline = date("original_deadline")
        submitted_on = date("submitted_on")
        extension = None
        try:
            extension = parse_extension(text("extension"))
        except ValueError:
            problems.append(
                _("延期情况“%(value)s”无法识别（请按本系统导出的写法填写，或填“无”）")
                % {"value": text("extension")}
            )
        if source_kind == SourceKind.ANNUAL and year is not None:
            year_end = dt.date(year, 12, 31)
            first_deadline = original_deadline or deadline
            if first_deadline is not None and first_deadline != year_end:
                problems.append(
                    _(
                        "年度重点工作的办结时限为当年12月31日（%(end)s），原台账为%(day)s；"
                        "如另有时限，请按会议决定事项或其他交办事项导入"
                    )
                    % {"end": year_end.isoformat(), "day": first_deadline.isoformat()}
                )
            deadline = deadline or year_end
        elif deadline is None and source_kind and not text("deadline"):
            problems.append(_("缺少办结时限"))

        leader = None
        if source_kind == SourceKind.OTHER:
            leader = self._leader(text("deciding_leader"), problems)
        termination, terminating_leader, return_reason = self._closing(
            text("closing"), status, completed_on, problems
        )
        if submitted_on and completed_on and submitted_on > completed_on:
            problems.append(_("报结日期晚于办结日期"))
        if extension is not None and status == Status.ESTABLISHED:
            problems.append(_("尚未交办的事项不会有延期申请，请核对状态或延期情况"))

        self._check_dates(
            problems,
            deadline=deadline,
            established_on=established_on,
            assigned_on=assigned_on,
            completed_on=completed_on,
            decided_on=decided_on,
            status=status,
            year=year,
            source_kind=source_kind,
            closing=text("closing"),
        )
        reported = status in (Status.SUBMITTED, Status.COMPLETED) or (
            status == Status.ARCHIVED and termination is None
        )
        if lead_unit is not None and (
            reported or status in (Status.IN_PROGRESS, Status.RETURNED) or extension is not None
        ):
            # Signing for and reporting are taken by the unit's own people (R-A2, R-F4).
            if lead_unit.liaison_id is None:
                problems.append(
                    _("承办单位“%(unit)s”未设联络员，无法补录签收和报结") % {"unit": lead_unit.name}
                )
            if reported and lead_unit.head_id is None:
                problems.append(
                    _("承办单位“%(unit)s”未设第一责任人，无法补录办结报告的确认")
                    % {"unit": lead_unit.name}
                )
        urgent_text = text("urgent")
        if urgent_text not in YES | NO:
            problems.append(_("紧急“%(value)s”无效（应为是或否）") % {"value": urgent_text})

        if problems or lead_unit is None or year is None or not source_kind:
            return None, problems
        return (
            ImportRow(
                number=number,
                title=title,
                content=content,
                basis=basis,
                source_kind=source_kind,
                source_body=source_body,
                lead_unit=lead_unit,
                cooperating_units=[unit for unit in cooperating if unit.pk != lead_unit.pk],
                deadline=deadline,
                year=year,
                status=status,
                confidentiality=confidentiality,
                urgent=urgent_text in YES,
                established_on=established_on,
                assigned_on=assigned_on,
                completed_on=completed_on,
                deciding_leader=leader,
                decided_on=decided_on,
                original_number=text("original_number"),
                original_deadline=original_deadline,
                submitted_on=submitted_on,
                extension=extension,
                termination=termination,
                terminating_leader=terminating_leader,
                return_reason=return_reason,
                serial=ledger_serial(text("original_number"), source_kind, year),
            ),
            [],
        )

    def _closing(
        self, value: str, status: str, completed_on: dt.date | None, problems: list[str]
    ) -> tuple[Termination | None, User | None, str]:
        """退回或终止情况: a returned row's reason, a terminated row's decision."""
        if status == Status.RETURNED:
            return None, None, parse_return_reason(value)
        terminated = status == Status.TERMINATED or (
            status == Status.ARCHIVED and completed_on is None and value
        )
        if not terminated:
            return None, None, ""
        termination = parse_termination(value)
        if termination is None:
            problems.append(
                _(
                    "已终止事项须在“退回或终止情况”中写明终止决定，如"
                    "“2026-10-16终止；校领导：王某某；依据：……；原因：……”"
                )
            )
            return None, None, ""
        leader = None
        if termination.leader_name:
            leader = self._leader(termination.leader_name, problems)
        return termination, leader, ""

    def _source(self, kind_text: str, body_text: str, problems: list[str]) -> tuple[str, str]:
        kind = SOURCE_KIND_NAMES.get(kind_text, "")
        body = find_body(body_text) or find_body(kind_text)
        if body_text and not find_body(body_text):
            problems.append(_("具体来源“%(value)s”无法识别") % {"value": body_text})
            return "", ""
        if not kind_text and not body:
            problems.append(_("缺少来源类别"))
            return "", ""
        if kind_text and not kind and not body:
            problems.append(
                _("来源类别“%(value)s”无法识别（应为会议决定事项、年度重点工作或其他交办事项）")
                % {"value": kind_text}
            )
            return "", ""
        if body:
            body_kind = kind_of_body(body)
            if kind and kind != body_kind:
                problems.append(
                    _("具体来源“%(body)s”不属于“%(kind)s”")
                    % {"body": SourceBody(body).label, "kind": SourceKind(kind).label}
                )
                return "", ""
            return body_kind, body
        if kind == SourceKind.ANNUAL:
            return kind, SourceBody.WORK_POINTS
        bodies = "、".join(str(SourceBody(value).label) for value in SOURCE_BODIES[kind])
        problems.append(
            _("%(kind)s须在“具体来源”中写明：%(bodies)s")
            % {"kind": SourceKind(kind).label, "bodies": bodies}
        )
        return "", ""

    def _unit(self, name: str, label: str, problems: list[str], *, required: bool) -> Unit | None:
        if not name:
            if required:
                problems.append(_("缺少%(label)s") % {"label": label})
            return None
        unit = self.directory.units.get(name)
        if unit is None:
            problems.append(_("%(label)s“%(name)s”不存在") % {"label": label, "name": name})
            return None
        if not unit.is_active:
            problems.append(_("%(label)s“%(name)s”已停用") % {"label": label, "name": name})
            return None
        return unit

    def _leader(self, name: str, problems: list[str]) -> User | None:
        if not name:
            problems.append(_("其他交办事项须填写决定立项的校领导"))
            return None
        found = self.directory.leaders.get(name, [])
        if len(found) != 1:
            problems.append(
                _("校领导“%(name)s”不存在") % {"name": name}
                if not found
                else _("校领导“%(name)s”有重名，请联系系统管理员") % {"name": name}
            )
            return None
        return found[0]

    def _status(
        self,
        value: str,
        assigned_on: dt.date | None,
        completed_on: dt.date | None,
        problems: list[str],
    ) -> str:
        if not value:
            if completed_on is not None:
                return Status.COMPLETED
            return Status.ASSIGNED if assigned_on is not None else Status.ESTABLISHED
        status = STATUS_NAMES.get(value)
        if status is None:
            problems.append(
                _(
                    "状态“%(value)s”无法识别（可导入：已立项、已交办、已退回、办理中、已报结、"
                    "已办结、已终止、已归档）"
                )
                % {"value": value}
            )
            return ""
        return status

    def _year(self, value: str, first_date: dt.date | None, problems: list[str]) -> int | None:
        if self.year is not None:
            return self.year
        if value:
            try:
                return parse_year(value)
            except ValueError:
                problems.append(_("年度“%(value)s”无效") % {"value": value})
                return None
        return first_date.year if first_date is not None else self.today.year

    def _check_dates(
        self,
        problems: list[str],
        *,
        deadline: dt.date | None,
        established_on: dt.date | None,
        assigned_on: dt.date | None,
        completed_on: dt.date | None,
        decided_on: dt.date | None,
        status: str,
        year: int | None,
        source_kind: str,
        closing: str = "",
    ) -> None:
        labels = {
            "established_on": FIELD_BY_KEY["established_on"].label,
            "assigned_on": FIELD_BY_KEY["assigned_on"].label,
            "completed_on": FIELD_BY_KEY["completed_on"].label,
        }
        dates = {
            "established_on": established_on,
            "assigned_on": assigned_on,
            "completed_on": completed_on,
        }
        for key, day in dates.items():
            if day is not None and day > self.today:
                problems.append(
                    _("%(field)s%(day)s晚于今天") % {"field": labels[key], "day": day.isoformat()}
                )
        if established_on and assigned_on and assigned_on < established_on:
            problems.append(_("交办日期早于立项日期"))
        start = assigned_on or established_on
        if start and completed_on and completed_on < start:
            problems.append(_("办结日期早于交办日期"))
        first = established_on or assigned_on
        if deadline is not None and first is not None and deadline < first:
            problems.append(
                _("办结时限%(deadline)s早于立项日期%(day)s")
                % {"deadline": deadline.isoformat(), "day": first.isoformat()}
            )
        if deadline is not None and first is None and deadline < self.today:
            problems.append(
                _("办结时限%(deadline)s已过，历史事项请填写立项日期或交办日期")
                % {"deadline": deadline.isoformat()}
            )
        if status == Status.COMPLETED and completed_on is None:
            problems.append(_("已办结事项须填写办结日期"))
        if status == Status.ARCHIVED and completed_on is None and not closing:
            problems.append(_("已归档事项须填写办结日期，或在“退回或终止情况”中写明终止决定"))
        if decided_on is not None and decided_on > (first or self.today):
            problems.append(_("领导决定日期晚于立项日期"))
        if year is None:
            return
        # An item belongs to the year it is established in; an annual item to its own
        # year, which it may be established shortly before.
        if source_kind == SourceKind.ANNUAL:
            if first is not None and first.year > year:
                problems.append(
                    _("立项日期%(day)s晚于年度%(year)d年")
                    % {"day": first.isoformat(), "year": year}
                )
        elif first is not None and first.year != year:
            problems.append(
                _("立项日期%(day)s与年度%(year)d年不符") % {"day": first.isoformat(), "year": year}
            )
        elif first is None and year != self.today.year:
            problems.append(_("%(year)d年度的事项须填写立项日期或交办日期") % {"year": year})


@dataclass
class ReadResult:
    mapping: Mapping | None
    rows: list[ImportRow]
    problems: list[Problem]
    row_count: int  # data rows read (empty rows skipped)


def read_ledger(content: bytes, name: str, *, year: int | None = None) -> ReadResult:
    """Check the file, find the header row and read every data row (no writes)."""
    check_xlsx(content, name)
    rows = sheet_rows(content)
    try:
        return _read_rows(rows, year=year, today=clock.today())
    finally:
        rows.close()


def _read_rows(
    rows: Iterator[tuple[int, tuple[Any, ...]]], *, year: int | None, today: dt.date
) -> ReadResult:
    mapping: Mapping | None = None
    for number, cells in rows:
        mapping = detect_mapping(cells, number)
        if mapping is not None or number >= HEADER_SEARCH_ROWS:
            break
    if mapping is None:
        return ReadResult(
            None,
            [],
            [
                Problem(
                    None,
                    _(
                        "未找到表头行：前%(n)d行中没有包含“事项名称”等列名的行，请检查文件的第一个工作表。"
                    )
                    % {"n": HEADER_SEARCH_ROWS},
                )
            ],
            0,
        )
    problems: list[Problem] = []
    for item in FIELDS:
        if item.key in ("title", "lead_unit", "source_kind") and item.key not in mapping.columns:
            if item.key == "source_kind" and "source_body" in mapping.columns:
                continue
            problems.append(Problem(None, _("缺少“%(field)s”列") % {"field": item.label}))
    if problems:
        return ReadResult(mapping, [], problems, 0)

    reader = RowReader(mapping, Directory.load(), year=year, today=today)
    read: list[ImportRow] = []
    count = 0
    for number, cells in rows:
        if reader.is_empty(cells):
            continue
        count += 1
        if count > MAX_ROWS:
            problems.append(
                Problem(None, _("一次最多导入%(n)d行，请拆分文件后再导入。") % {"n": MAX_ROWS})
            )
            break
        row, row_problems = reader.read(number, cells)
        problems.extend(Problem(number, message) for message in row_problems)
        if row is not None:
            read.append(row)
    if count == 0 and not problems:
        problems.append(Problem(None, _("表头行以下没有数据。")))
    return ReadResult(mapping, read, problems, count)
