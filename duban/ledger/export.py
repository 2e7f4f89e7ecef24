"""The ledger as an .xlsx workbook, written as a stream (R-S5, R-E4, R-C5).

`write_ledger(items, file, ...)` takes an ordered queryset that already went through
the visibility rule (the page's rows, `duban.web.views.ledger_items`, or the
command's) and writes one row per item with XlsxWriter; above IN_MEMORY_ROWS rows in
constant-memory mode, its data rows written as XML (`CellWriter`; a small ledger, such
as most page exports, is built in memory; a year's is not held in memory). Rows
are read with `.iterator(chunk_size=CHUNK_SIZE)`, so only one chunk of items is ever
in memory, and the queries grow with the chunks, not the rows — one for the chunk,
one each for its terminations, cooperating units, deciding leaders, urge counts and
return reasons (`with_chunk_facts`), plus a fixed few up
front (the count, the units' names, the light thresholds, the calendar window for
lateness). Each row goes to
XlsxWriter's temporary file once the next begins, then into the .xlsx zip. (Reading
ledgers back, `duban.ledger.importing`, is openpyxl's.)

What a row shows:
- 预警: the warning light (R-U4) from `annotate_lights`, in the rows' own SQL;
- 催办次数: every urge recorded for the item (manual and automatic, R-U2);
- 延期情况: none, pending, approved or rejected, with the dates (R-E1–E3);
- 超期工作日: working days late against the current and against the original deadline
  (R-E4), by `extension_rules.lateness`, counted on one `WorkCalendar` loaded once for
  the whole export: no query per row.
Classified items show their registration only (R-C3): their content and basis are
the offline placeholder they were stored with.

Print-ready: a title row and a row naming the filters, a styled header row that stays
in view (frozen) and repeats on every printed page, column widths, A4 landscape fitted
to the page width, page numbers, and an autofilter on the header.

Text that a spreadsheet would run as a formula (starting with =, +, -, @, a tab or a
carriage return) is written as a plain string cell (`CellWriter`), never as a
formula, and marked with the quote prefix so that editing the cell keeps it text.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice
from typing import IO, Any

import xlsxwriter
from django.db.models import (
    Count,
    F,
    Min,
    QuerySet,
)
from django.db.models.functions import Least
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from xlsxwriter.utility import xl_col_to_name

from duban import clock
from duban.audit.models import AuditEvent
from duban.items.actions.core import OFFLINE_TEXT
from duban.items.extension_rules import lateness
from duban.items.lights import LIGHTS
from duban.items.models import (
    Adjustment,
    AdjustmentKind,
    Confidentiality,
    DecisionKind,
    ExtensionStatus,
    Item,
    SourceBody,
    SourceKind,
    Urge,
)
from duban.items.states import Status
from duban.organisation.models import Unit, User
from duban.workcalendar.calendar import CountResult, WorkCalendar

CHUNK_SIZE = 1000
PROGRESS_ROWS = 200  # a background export reports its progress this often
IN_MEMORY_ROWS = 2_000  # up to this many rows the workbook is built in memory (faster)
REPORTED_STATUSES = (Status.SUBMITTED, Status.COMPLETED, Status.ARCHIVED)
RETURN_VERB = "return"  # the audit verb of a unit's return (R-A2), with its reason
CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Text a spreadsheet program would take for a formula when it reads or re-enters it.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
CELL_TEXT_LIMIT = 32_767  # Excel's limit for one cell
PLAIN_TEXT_LIMIT = CELL_TEXT_LIMIT // 2  # text this short is never cut, whatever it holds
TITLE_ROW, FILTER_ROW, HEADER_ROW = 1, 2, 3
FIRST_DATA_ROW = HEADER_ROW + 1


@dataclass
class ExportResult:
    count: int = 0
    # The restricted items written (sensitive, discipline, classified), for the audit.
    restricted: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Column:
    header: str
    width: float
    kind: str = "text"  # text, wide (wrapped long text), date, number, centre


def columns() -> list[Column]:
    return [
        Column(_("台账编号"), 19, "centre"),
        Column(_("年度"), 6, "centre"),
        Column(_("来源类别"), 12, "centre"),
        Column(_("具体来源"), 14),
        Column(_("决定立项的校领导"), 9, "centre"),
        Column(_("领导决定日期"), 11, "date"),
        Column(_("密级类别"), 8, "centre"),
        Column(_("紧急"), 5, "centre"),
        Column(_("事项名称"), 24),
        Column(_("工作内容"), 36, "wide"),
        Column(_("督办依据"), 22, "wide"),
        Column(_("承办单位"), 14),
        Column(_("配合单位"), 16),
        Column(_("立项日期"), 11, "date"),
        Column(_("交办日期"), 11, "date"),
        Column(_("原定办结时限"), 11, "date"),
        Column(_("当前办结时限"), 11, "date"),
        Column(_("状态"), 8, "centre"),
        Column(_("预警"), 6, "centre"),
        Column(_("催办次数"), 6, "number"),
        Column(_("延期情况"), 22, "wide"),
        Column(_("报结日期"), 11, "date"),
        Column(_("办结日期"), 11, "date"),
        Column(_("超期工作日（按当前时限）"), 9, "number"),
        Column(_("超期工作日（按原定时限）"), 9, "number"),
        Column(_("退回或终止情况"), 22, "wide"),
    ]


# ----------------------------------------------------------------------------- the rows


# What a row reads (`row_values` and the functions it calls): the rest of each row and
# of its related rows is not fetched, which takes a third off building the rows.
EXPORTED_FIELDS = (
    *(
        f"{field}"
        for field in (
            "ledger_number",
            "year",
            "serial",
            "source_kind",
            "source_body",
            "decided_on",
            "confidentiality",
            "urgent",
            "title",
            "content",
            "basis",
            "status",
            "established_at",
            "assigned_at",
            "original_deadline",
            "deadline",
            "submitted_at",
            "completed_at",
            "terminated_at",
        )
    ),
    "lead_unit_id",
    "deciding_leader_id",
    *(
        f"extension_request__{field}"
        for field in (
            "status",
            "current_deadline",
            "requested_deadline",
            "created_at",
            "decided_at",
        )
    ),
)


def export_queryset(items: QuerySet[Item]) -> QuerySet[Item]:
    """The ledger's rows with what the export shows, in register order: by year,
    category (source kind) and ledger number (R-S5). `items` must carry the lights
    (`annotate_lights`). The rest of a row comes per chunk from `with_chunk_facts`."""
    return (
        items.select_related("extension_request")
        .only(*EXPORTED_FIELDS)
        .order_by("year", "source_kind", "serial", "pk")
    )


class UnitNames:
    """Every unit's name and order (code, id), read once for the export: a year's rows
    name a hundred units 40,000 times, which made as many model instances."""

    def __init__(self) -> None:
        self.names: dict[int, str] = {}
        self.order: dict[int, tuple[str, int]] = {}
        for pk, code, name in Unit.objects.values_list("pk", "code", "name"):
            self.names[pk] = name
            self.order[pk] = (code, pk)


def with_chunk_facts(chunk: list[Item], units: UnitNames) -> list[Item]:
    """Set on each item of `chunk` what its row shows beyond its own columns, with one
    query each for the chunk (a subquery per row made PostgreSQL's planner price a
    year's export high enough to JIT-compile it, 0.8 s of 13):
    `lead_unit_name`; `cooperating_names` (、-joined, in the units' order);
    `deciding_leader_name`; `urge_count` (every urge recorded, manual and automatic);
    `return_reason` (the reason of the latest return, R-A2); `terminations` (R-T1).
    The chunk's ids go to PostgreSQL as one array (`any_of`): a statement with a
    thousand placeholders was parsed in Python by the driver and Django each time."""
    ids = [item.pk for item in chunk]
    cooperating: dict[int, list[int]] = {}
    through = Item.cooperating_units.through.objects.filter(item_id__any_of=ids)
    for item_id, unit_id in through.values_list("item_id", "unit_id"):
        cooperating.setdefault(item_id, []).append(unit_id)
    leaders = dict(
        User.objects.filter(pk__in={item.deciding_leader_id for item in chunk}).values_list(
            "pk", "full_name"
        )
    )
    counts = dict(
        Urge.objects.filter(item_id__any_of=ids)
        .order_by()
        .values("item")
        .annotate(count=Count("pk"))
        .values_list("item", "count")
    )
    reasons: dict[int, str] = {}
    returns = (
        AuditEvent.objects.filter(item_id__any_of=ids, verb=RETURN_VERB)
        .order_by("item_id", "-created_at", "-pk")
        .values_list("item_id", "data__reason")
    )
    for item_id, reason in returns:
        reasons.setdefault(item_id, reason)
    terminations: dict[int, list[Adjustment]] = {}
    decisions = Adjustment.objects.filter(item_id__any_of=ids, kind=AdjustmentKind.TERMINATE)
    for decision in decisions.select_related("leader"):
        terminations.setdefault(decision.item_id, []).append(decision)
    for item in chunk:
        facts: Any = item  # the row's own attributes, set here for row_values
        facts.terminations = terminations.get(item.pk, [])
        facts.lead_unit_name = units.names[item.lead_unit_id]
        facts.cooperating_names = "、".join(
            units.names[unit_id]
            for unit_id in sorted(cooperating.get(item.pk, ()), key=units.order.__getitem__)
        )
        leader_id = item.deciding_leader_id
        facts.deciding_leader_name = leaders[leader_id] if leader_id is not None else ""
        facts.urge_count = counts.get(item.pk, 0)
        facts.return_reason = reasons.get(item.pk)
    return chunk


def chunks(rows: QuerySet[Item], size: int = CHUNK_SIZE) -> Iterator[list[Item]]:
    """The rows in lists of `size`, read with `.iterator(chunk_size=size)`: one chunk
    of items (and its prefetched relations) in memory at a time."""
    units = UnitNames()
    rows_iterator = rows.iterator(chunk_size=size)
    while chunk := list(islice(rows_iterator, size)):
        yield with_chunk_facts(chunk, units)


def _local_date(moment: dt.datetime | None, zone: dt.tzinfo | None = None) -> dt.date | None:
    return timezone.localdate(moment, zone) if moment is not None else None


def extension_text(item: Item, none: str | None = None) -> str:
    """延期情况: none, pending, approved or rejected, with the dates (R-E1–E4)."""
    try:
        request = item.extension_request
    except Item.extension_request.RelatedObjectDoesNotExist:
        return none if none is not None else _("无")
    dates = {
        "from": request.current_deadline.isoformat(),
        "to": request.requested_deadline.isoformat(),
        "asked": timezone.localdate(request.created_at).isoformat(),
        "decided": (_local_date(request.decided_at) or clock.today()).isoformat(),
    }
    # The wording is read back by duban.ledger.importing.parse_extension.
    if request.status == ExtensionStatus.APPROVED:
        return _("已批准：%(from)s延至%(to)s（%(asked)s申请，%(decided)s批准）") % dates
    if request.status == ExtensionStatus.REJECTED:
        return _("未批准：申请由%(from)s延至%(to)s（%(asked)s申请，%(decided)s未批准）") % dates
    if request.status == ExtensionStatus.EXPIRED:
        return (
            _("已失效：申请由%(from)s延至%(to)s（%(asked)s申请），事项已关闭（%(decided)s）")
            % dates
        )
    return _("待审批：申请由%(from)s延至%(to)s（%(asked)s申请）") % dates


def closing_text(item: Item) -> str:
    """退回或终止情况: the unit's reason for returning the item (R-A2), or the decision
    that terminated it (R-T1). Read back by duban.ledger.importing.parse_closing."""
    terminations = getattr(item, "terminations", None)
    if terminations is None:
        terminations = list(item.adjustments.filter(kind=AdjustmentKind.TERMINATE))
    if item.terminated_at is not None and terminations:
        decision = terminations[-1]
        if decision.decision_kind == DecisionKind.MEETING:
            by = _("会议：%(name)s（%(day)s）") % {
                "name": decision.meeting_name,
                "day": decision.meeting_date.isoformat() if decision.meeting_date else "",
            }
        else:
            by = _("校领导：%(name)s") % {"name": decision.leader.full_name}
        return _("%(day)s终止；%(by)s；依据：%(basis)s；原因：%(reason)s") % {
            "day": timezone.localdate(item.terminated_at).isoformat(),
            "by": by,
            "basis": decision.basis,
            "reason": decision.reason,
        }
    reason = getattr(item, "return_reason", None)
    if item.status == Status.RETURNED and reason:
        return _("退回理由：%(reason)s") % {"reason": reason}
    return ""


class LatenessCalendar(WorkCalendar):
    """The stored calendar, loaded once for the whole export, remembering each count:
    many rows share their dates (every active row counts to today), so lateness costs
    one count per distinct pair of dates, not one per row."""

    def __init__(self) -> None:
        super().__init__()
        self._counts: dict[tuple[dt.date, dt.date], CountResult] = {}

    def workdays_between(self, start: dt.date, end: dt.date) -> CountResult:
        key = (start, end)
        if key not in self._counts:
            self._counts[key] = super().workdays_between(start, end)
        return self._counts[key]


def lateness_calendar(items: QuerySet[Item], today: dt.date) -> LatenessCalendar:
    """One calendar holding every day lateness will count over (one aggregate query and
    the calendar's own two), so `lateness` never queries per row."""
    work_calendar = LatenessCalendar()
    earliest = items.order_by().aggregate(day=Min(Least(F("deadline"), F("original_deadline"))))[
        "day"
    ]
    if earliest is not None and earliest < today:
        work_calendar.ensure_loaded(earliest, today)
    return work_calendar


class Labels:
    """The Chinese labels of the coded values, translated once per export, and the zone
    of its local days, looked up once: Django's look-up of the current zone took 4.7 of
    the 5.8 µs of each timestamp's day, and a year's export has 135,000 of them."""

    def __init__(self) -> None:
        self.zone = timezone.get_current_timezone()
        self.source_kinds = {value: str(label) for value, label in SourceKind.choices}
        self.source_bodies = {value: str(label) for value, label in SourceBody.choices}
        self.statuses = {value: str(label) for value, label in Status.choices}
        self.lights = {code: str(light.label) for code, light in LIGHTS.items()}
        self.no_extension = _("无")
        self.confidentiality = {value: str(label) for value, label in Confidentiality.choices}
        self.yes, self.no = _("是"), _("否")


def row_values(
    item: Item, work_calendar: WorkCalendar, today: dt.date, labels: Labels | None = None
) -> list[Any]:
    """One item's cells, in the order of `columns()`; `item` carries what
    `with_chunk_facts` sets."""
    labels = labels or Labels()
    facts: Any = item
    classified = item.confidentiality == Confidentiality.CLASSIFIED
    late = lateness(item, today, work_calendar)
    return [
        item.ledger_number,
        item.year,
        labels.source_kinds[item.source_kind],
        labels.source_bodies[item.source_body],
        facts.deciding_leader_name,
        item.decided_on,
        labels.confidentiality[item.confidentiality],
        labels.yes if item.urgent else labels.no,
        item.title,
        # A registration only (R-C3): the content never entered the system.
        OFFLINE_TEXT if classified else item.content,
        OFFLINE_TEXT if classified else item.basis,
        facts.lead_unit_name,
        facts.cooperating_names,
        _local_date(item.established_at, labels.zone),
        _local_date(item.assigned_at, labels.zone),
        item.original_deadline,
        item.deadline,
        labels.statuses[item.status],
        labels.lights.get(getattr(item, "light", ""), ""),
        facts.urge_count,
        extension_text(item, labels.no_extension),
        # A report sent back (R-F5) is not a 报结: the day shows once it stands.
        _local_date(item.submitted_at, labels.zone) if item.status in REPORTED_STATUSES else None,
        _local_date(item.completed_at, labels.zone),
        late.against_current,
        late.against_original,
        closing_text(item),
    ]


# ----------------------------------------------------------------------------- cells


def clean_text(value: str) -> str:
    """Text as a cell can hold it: without the control characters XML forbids, and cut
    at Excel's limit for one cell."""
    if value.isprintable() and len(value) <= CELL_TEXT_LIMIT:
        return value  # the common case, checked in C: no control character at all
    text = ILLEGAL_CHARACTERS_RE.sub("", value)
    return text[:CELL_TEXT_LIMIT]


BORDER = {"border": 1, "border_color": "#808080"}
BODY = {"font_name": "宋体", "font_size": 10, "valign": "top", **BORDER}
FORMATS: dict[str, dict[str, Any]] = {
    "title": {"font_name": "黑体", "font_size": 16, "bold": True, "valign": "vcenter"},
    "filters": {"font_name": "宋体", "font_size": 10, "font_color": "#404040", "valign": "vcenter"},
    "header": {
        "font_name": "黑体",
        "font_size": 10,
        "bold": True,
        "bg_color": "#D9E1F2",
        "pattern": 1,
        "align": "center",
        "valign": "vcenter",
        "text_wrap": True,
        **BORDER,
    },
    "text": {**BODY, "text_wrap": True},
    "wide": {**BODY, "text_wrap": True},
    "centre": {**BODY, "align": "center", "text_wrap": True},
    "date": {**BODY, "align": "center", "num_format": "yyyy-mm-dd"},
    "number": {**BODY, "align": "center"},
}


# Day 0 of Excel's 1900 date system, as XlsxWriter counts dates after February 1900.
EXCEL_EPOCH = dt.date(1899, 12, 30)


class CellWriter:
    """Writes typed cells with the ledger's formats. Every value is written by its own
    type (text, number, date, blank): text is never read as a formula, a number or a
    link, and text a spreadsheet would run when edited gets the quote prefix.

    A workbook written in constant-memory mode (a year's ledger) gets its data rows as
    XML, one string per row, straight into the sheet's row file: the markup XlsxWriter
    itself writes for those cells (`<c r=.. s=.. t="inlineStr">`, numbers as `%.16G`),
    without its nine calls per cell. A row holding anything but plain text, whole
    numbers and dates — text XlsxWriter would escape (a carriage return, `_xHHHH_`),
    keep spaces around or cut, a time of day — goes through XlsxWriter's own calls
    instead. `tests/test_export_xml.py` writes the same rows both ways and compares the
    sheets byte for byte, so a new XlsxWriter that writes cells otherwise is caught
    there."""

    def __init__(self, workbook: xlsxwriter.Workbook, sheet: Any) -> None:
        self.sheet = sheet
        self.formats = {kind: workbook.add_format(spec) for kind, spec in FORMATS.items()}
        self.quoted = {
            kind: workbook.add_format({**spec, "quote_prefix": True})
            for kind, spec in FORMATS.items()
        }
        self._days: dict[dt.date, int] = {}
        self.as_xml = bool(sheet.constant_memory)
        self._columns: list[str] = []  # A, B, C, ... as far as rows reach
        self._styles: dict[int, str] = {}  # id(format) -> ' s="N"', in order of use

    def __call__(self, row: int, column: int, value: Any, kind: str) -> None:
        self.cells(row, [value], [kind], first_column=column)

    def row(self, row: int, values: Sequence[Any], kinds: Sequence[str]) -> None:
        """A whole row of data, from the first column on."""
        if self.as_xml and self._write_xml(row, values, kinds):
            return
        self.cells(row, values, kinds)

    def cells(
        self, row: int, values: Sequence[Any], kinds: Sequence[str], first_column: int = 0
    ) -> None:
        """Cells from `first_column` on, each by its value's type, through XlsxWriter.
        A plain date is written as the day number Excel stores for it (days since
        1899-12-30) with the date format — the cell `write_datetime` writes — worked
        out once per distinct day."""
        sheet, formats = self.sheet, self.formats
        for column, (value, kind) in enumerate(zip(values, kinds, strict=True), first_column):
            if value is None or value == "":
                sheet.write_blank(row, column, None, formats[kind])
            elif isinstance(value, str):
                text = clean_text(value)
                style = self.quoted[kind] if text.startswith(FORMULA_TRIGGERS) else formats[kind]
                sheet.write_string(row, column, text, style)
            elif type(value) is dt.date:
                sheet.write_number(row, column, self._day(value), formats[kind])
            elif isinstance(value, dt.date):
                sheet.write_datetime(row, column, value, formats[kind])
            else:
                sheet.write_number(row, column, value, formats[kind])

    def _day(self, value: dt.date) -> int:
        days = self._days
        if value not in days:
            days[value] = (value - EXCEL_EPOCH).days
        return days[value]

    def _style(self, cell_format: Any) -> str:
        """The cell's style attribute; XlsxWriter numbers formats in the order cells
        first use them, so they are numbered here when a cell first uses one too."""
        key = id(cell_format)
        if key not in self._styles:
            self._styles[key] = f' s="{cell_format._get_xf_index()}"'
        return self._styles[key]

    def _write_xml(self, row: int, values: Sequence[Any], kinds: Sequence[str]) -> bool:
        """Write the row as XML into the sheet's row file; False (nothing written) when
        a cell needs XlsxWriter's own handling."""
        sheet = self.sheet
        if row in sheet.row_info or row < sheet.previous_row:
            return False  # a row with its own height, or one XlsxWriter refuses
        if row > sheet.previous_row:
            # The row before goes to the file first (its cells number their formats
            # first), as when XlsxWriter is given this row's first cell.
            sheet._write_single_row(row)
        elif sheet.table:
            return False  # XlsxWriter holds cells of this row already
        if len(values) != len(kinds):
            raise ValueError("a value for every column")
        columns, number = self._columns, row + 1
        while len(columns) < len(values):
            columns.append(xl_col_to_name(len(columns)))
        styles, formats, quoted = self._styles, self.formats, self.quoted
        parts = []
        for column, value in enumerate(values):
            # The cell's reference and style attribute, then its value as XlsxWriter
            # writes it: a formatted blank, an inline string, or a number.
            kind = kinds[column]
            if value is None or value == "":
                cell_format = formats[kind]
                style = styles.get(id(cell_format)) or self._style(cell_format)
                parts.append(f'<c r="{columns[column]}{number}"{style}/>')
            elif type(value) is str:
                text = clean_text(value)
                plain = (
                    text.isprintable()  # no control character, no space but " "
                    and "_x" not in text
                    and 0 < len(text) <= PLAIN_TEXT_LIMIT
                    and text[0] != " "
                    and text[-1] != " "
                )
                if not plain and not _plain_xml_text(text):
                    return False
                cell_format = quoted[kind] if text.startswith(FORMULA_TRIGGERS) else formats[kind]
                style = styles.get(id(cell_format)) or self._style(cell_format)
                if "&" in text or "<" in text or ">" in text:
                    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
                cell = f'<c r="{columns[column]}{number}"{style} t="inlineStr">'
                parts.append(f"{cell}<is><t>{text}</t></is></c>")
            elif type(value) is dt.date or (type(value) is int and abs(value) < 10**15):
                cell_format = formats[kind]
                style = styles.get(id(cell_format)) or self._style(cell_format)
                day = self._day(value) if type(value) is dt.date else value
                parts.append(f'<c r="{columns[column]}{number}"{style}><v>{day}</v></c>')
            else:
                return False
        sheet._check_dimensions(row, 0)
        sheet._check_dimensions(row, len(values) - 1)
        sheet.fh.write(f'<row r="{number}">{"".join(parts)}</row>')
        return True


def _plain_xml_text(text: str) -> bool:
    """Text XlsxWriter writes into an inline cell unchanged but for &, < and >: no
    leading or trailing space (it would mark the cell to keep it), no character it
    writes as `_xHHHH_` (a carriage return, U+FFFE/U+FFFF) nor text that looks like
    such an escape, and short enough that it is never cut."""
    if not text or "_x" in text or len(text) > PLAIN_TEXT_LIMIT:
        return False
    if text[0].isspace() or text[-1].isspace():
        return False
    return text.isprintable() or not ("\r" in text or "\ufffe" in text or "\uffff" in text)


def _set_up_sheet(sheet: Any, table: Sequence[Column]) -> None:
    """Widths, frozen header, print setup: all before the first row is written."""
    for index, column in enumerate(table):
        sheet.set_column(index, index, column.width)
    sheet.set_row(TITLE_ROW - 1, 30)
    sheet.set_row(HEADER_ROW - 1, 30)
    sheet.freeze_panes(FIRST_DATA_ROW - 1, 0)
    sheet.repeat_rows(HEADER_ROW - 1)
    sheet.set_landscape()
    sheet.set_paper(9)  # A4
    sheet.fit_to_pages(1, 0)  # one page wide, as many pages down as it takes
    sheet.center_horizontally()
    sheet.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    sheet.set_footer("&C" + _("第 &P 页，共 &N 页"))


# ----------------------------------------------------------------------------- the workbook


def ledger_title(year: int | None) -> str:
    if year:
        return _("督办工作台账（%(year)d年）") % {"year": year}
    return _("督办工作台账（全部年度）")


def write_ledger(
    items: QuerySet[Item],
    destination: IO[bytes] | str,
    *,
    title: str,
    filters: str,
    today: dt.date | None = None,
    total: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> ExportResult:
    """Write the ledger of `items` (visible, filtered, carrying the lights) to
    `destination`; returns how many rows were written and the ledger numbers of the
    restricted ones among them (sensitive, discipline, classified), for the audit.

    `filters` describes the filters in words; it goes in the second row with the count
    (`total`, when the caller has counted the rows already). `progress`, when given, is
    called with the number of rows written after every PROGRESS_ROWS rows.
    """
    today = today or clock.today()
    rows = export_queryset(items)
    total = items.count() if total is None else total
    work_calendar = lateness_calendar(items, today)
    table = columns()

    workbook = xlsxwriter.Workbook(
        destination,
        {
            # Above IN_MEMORY_ROWS each row goes to disk once the next begins.
            "constant_memory": total > IN_MEMORY_ROWS,
            "strings_to_numbers": False,
            "strings_to_formulas": False,
            "strings_to_urls": False,
        },
    )
    sheet = workbook.add_worksheet(_("督办工作台账"))
    _set_up_sheet(sheet, table)
    write = CellWriter(workbook, sheet)

    write(TITLE_ROW - 1, 0, title, "title")
    summary = _("%(filters)s；共%(count)d项；导出时间：%(time)s") % {
        "filters": filters,
        "count": total,
        "time": timezone.localtime(clock.now()).strftime("%Y-%m-%d %H:%M"),
    }
    write(FILTER_ROW - 1, 0, summary, "filters")
    for index, column in enumerate(table):
        write(HEADER_ROW - 1, index, column.header, "header")

    result = ExportResult()
    labels = Labels()
    kinds = [column.kind for column in table]
    row = FIRST_DATA_ROW - 1
    for chunk in chunks(rows):
        for item in chunk:
            values = row_values(item, work_calendar, today, labels)
            write.row(row, values, kinds)
            row += 1
            result.count += 1
            if item.confidentiality != Confidentiality.ORDINARY:
                result.restricted.append(item.ledger_number)
            if progress is not None and result.count % PROGRESS_ROWS == 0:
                progress(result.count)
    last_row = HEADER_ROW + max(result.count, 1)
    sheet.autofilter(HEADER_ROW - 1, 0, last_row - 1, len(table) - 1)
    workbook.close()
    return result
