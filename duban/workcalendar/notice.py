"""The State Council's holiday notice → the working calendar (RULES R-D6).

Each November the General Office of the State Council publishes
"国务院办公厅关于YYYY年部分节假日安排的通知". This module reads its text by plain rules,
so that every day it finds can be traced to a line of the notice:

- the notice's year comes from its title ("关于2026年部分节假日安排") or its first
  sentence ("现将2026年元旦、……");
- a holiday line starts with its name: "七、国庆节：10月1日（周四）至7日（周三）放假调休，
  共7天。9月20日（周日）、10月10日（周六）上班。" (the ordinal may be missing);
- within a holiday line, a sentence "D放假…" or "D至E放假…" gives the days off, and
  a sentence "D、E、…上班" the make-up working days (调休上班). Other sentences
  (e.g. 2024's "鼓励……安排职工在除夕（2月9日）休息") are remarks and name no day;
- a date is "M月D日", "YYYY年M月D日", or within a range or list just "D日" (month
  and year from the date before it); a date without a year is in the notice's year.

The notice checks itself: the stated count ("共N天", "放假1天") must equal the days of
the range, a stated weekday ("（周四）", "（星期日）", "（农历除夕、周二）") must be the
date's, "与周末连休" must touch a weekend, "不调休" must come with no make-up day, no
day may be named twice, and every date must exist. Any failure is a `NoticeError`
naming the line, and nothing is loaded.

Loading goes through `calendar.load_year` (and `calendar.set_day` for a day the notice
names in another year), then R-D6's recomputation of deadlines, audited like the
admin's calendar import.
"""

from __future__ import annotations

import re
import unicodedata
import zipfile
from calendar import monthrange
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from io import BytesIO
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from duban.audit.models import record
from duban.items.actions.recompute import recompute_working_day_deadlines
from duban.workcalendar.calendar import (
    NOTE_MAX_LENGTH,
    CalendarFileError,
    load_year,
    set_day,
)
from duban.workcalendar.models import CalendarDay, CalendarYear, DayKind, YearStatus

__all__ = [
    "DayChange",
    "HolidayNotice",
    "LoadedNotice",
    "NoticeDay",
    "NoticeError",
    "difference",
    "load_notice",
    "parse_notice",
    "read_notice_file",
]

MAKE_UP_WORKDAY_NOTE = "调休上班"  # as the seeded calendar notes a make-up day
MAX_LINE_SHOWN = 80
WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}
WEEKDAY_NAMES = "一二三四五六日"
CHINESE_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}

# The patterns run on the NFKC form of a line: full-width digits, colons, commas and
# brackets become ASCII ("（周四）" → "(周四)"), while "、", "。" and "至" stay.
_DATE = r"(?:(?:\d{4})年)?(?:(?:\d{1,2})月)?(?:\d{1,2})日(?:\([^()]*\))?"
DATE_PATTERN = re.compile(
    r"(?:(?P<year>\d{4})年)?(?:(?P<month>\d{1,2})月)?(?P<day>\d{1,2})日(?:\((?P<remark>[^()]*)\))?"
)
NOTICE_YEAR_PATTERNS = [
    re.compile(r"关于(\d{4})年(?:部分)?节假日安排"),
    re.compile(r"现将(\d{4})年"),
]
HOLIDAY_LINE_PATTERN = re.compile(
    r"^(?:[一二三四五六七八九十]+[、.]|\d{1,2}[、.])?\s*(?P<name>[^\d:,。;()]{1,30}?)\s*:\s*(?P<body>(?:\d{4}年)?\d{1,2}月\d.*)$"
)
HOLIDAY_SENTENCE_PATTERN = re.compile(
    rf"^(?P<first>{_DATE})(?:(?:至|到|-|~)(?P<last>{_DATE}))?放假(?P<rest>.*)$"
)
MAKE_UP_SENTENCE_PATTERN = re.compile(rf"^{_DATE}(?:、{_DATE})*上班$")
# "共8天" after the days, or "放假1天" (the sentence's rest then starts with the count).
COUNT_PATTERN = re.compile(
    r"共(\d{1,3}|[一二三四五六七八九十]{1,3})天|^(\d{1,3}|[一二三四五六七八九十]{1,3})天"
)
WEEKDAY_PATTERN = re.compile(r"(?:周|星期|礼拜)([一二三四五六日天])")
ANY_DATE_PATTERN = re.compile(r"\d{1,2}月\d{1,2}日|\d{1,2}日")


class NoticeError(CalendarFileError):
    """A notice that cannot be loaded, naming its line (number and text) when it can."""

    def __init__(self, line_number: int, message: str, line_text: str = "") -> None:
        super().__init__(line_number, message)
        self.line_text = line_text.strip()

    def __str__(self) -> str:
        if self.line_number == 0:
            return self.message
        text = self.line_text
        if len(text) > MAX_LINE_SHOWN:
            text = text[:MAX_LINE_SHOWN] + "……"
        return _("第 %(line)d 行“%(text)s”：%(message)s") % {
            "line": self.line_number,
            "text": text,
            "message": self.message,
        }


@dataclass(frozen=True)
class NoticeDay:
    day: date
    kind: str  # DayKind.HOLIDAY (a day off) or DayKind.WORKDAY (a make-up working day)
    name: str  # the holiday's name, as the notice's line starts ("国庆节、中秋节")
    line_number: int

    @property
    def word(self) -> str:
        """The command's word for the day: `holiday` or `workday`."""
        return "holiday" if self.kind == DayKind.HOLIDAY else "workday"

    @property
    def note(self) -> str:
        """The note stored with the day, as the seeded calendar writes it."""
        return self.name if self.kind == DayKind.HOLIDAY else MAKE_UP_WORKDAY_NOTE


@dataclass(frozen=True)
class HolidayNotice:
    year: int
    year_line_number: int
    year_line_text: str
    days: tuple[NoticeDay, ...]  # in date order

    @property
    def holidays(self) -> list[NoticeDay]:
        return [day for day in self.days if day.kind == DayKind.HOLIDAY]

    @property
    def make_up_workdays(self) -> list[NoticeDay]:
        return [day for day in self.days if day.kind == DayKind.WORKDAY]

    def summary(self) -> str:
        """The last line of the command's output (read by outside scripts: keep it)."""
        return (
            f"{self.year}: {len(self.holidays)} holidays, "
            f"{len(self.make_up_workdays)} make-up workdays"
        )

    def output_lines(self) -> list[str]:
        """One line per day named, in date order, then the summary."""
        lines = [f"{day.day.isoformat()} {day.word} {day.name}" for day in self.days]
        return [*lines, self.summary()]

    def calendar_lines(self) -> list[str]:
        """The notice's days of its own year, as `calendar.load_year` reads them."""
        return [
            f"{day.day.isoformat()} {day.kind} {day.note}"
            for day in self.days
            if day.day.year == self.year
        ]

    def days_in_other_years(self) -> list[NoticeDay]:
        return [day for day in self.days if day.day.year != self.year]


# -- reading the file -------------------------------------------------------------------


def read_notice_file(name: str, content: bytes) -> list[str]:
    """The notice's lines from a UTF-8 text file or a Word document (.docx).

    A .docx gives one line per paragraph. Raises `NoticeError` (line 0) for a file that
    is neither.
    """
    is_docx = name.lower().endswith(".docx")
    if is_docx or content.startswith(b"PK\x03\x04"):
        return _read_docx(name, content)
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise NoticeError(
            0, _("文件“%(name)s”必须是 UTF-8 编码的文本或 Word 文档（.docx）。") % {"name": name}
        ) from None
    return text.splitlines()


def _read_docx(name: str, content: bytes) -> list[str]:
    from docx import Document
    from docx.opc.exceptions import PackageNotFoundError
    from lxml.etree import XMLSyntaxError

    try:
        document = Document(BytesIO(content))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError, XMLSyntaxError):
        raise NoticeError(
            0,
            _("文件“%(name)s”不是有效的 Word 文档（.docx），请另存为 .docx 或粘贴通知全文。")
            % {"name": name},
        ) from None
    lines: list[str] = []
    for paragraph in document.paragraphs:
        lines.extend(paragraph.text.split("\n") or [""])
    return lines


# -- parsing ----------------------------------------------------------------------------


@dataclass
class _Line:
    number: int
    text: str  # as written, for messages
    normal: str  # NFKC form, stripped, for the patterns

    def error(self, message: str) -> NoticeError:
        return NoticeError(self.number, message, self.text)


@dataclass
class _Reader:
    year: int
    days: dict[date, NoticeDay] = field(default_factory=dict)

    def add(self, line: _Line, day: date, kind: str, name: str) -> None:
        earlier = self.days.get(day)
        if earlier is not None:
            raise line.error(
                _("%(day)s 已在第 %(first)d 行列出，同一天不能列两次")
                % {"day": _chinese_date(day), "first": earlier.line_number}
            )
        self.days[day] = NoticeDay(day=day, kind=kind, name=name, line_number=line.number)


def parse_notice(lines: Iterable[str]) -> HolidayNotice:
    """Read a holiday notice's text lines; raise `NoticeError` naming the first bad line."""
    numbered = [
        _Line(number, raw.lstrip("\ufeff"), unicodedata.normalize("NFKC", raw).strip())
        for number, raw in enumerate(lines, start=1)
    ]
    year, year_line = _notice_year(numbered)
    reader = _Reader(year=year)
    holiday_lines = 0
    for line in numbered:
        match = HOLIDAY_LINE_PATTERN.match(line.normal)
        if match is None:
            continue
        holiday_lines += 1
        _read_holiday_line(reader, line, match.group("name").strip(), match.group("body"))
    if holiday_lines == 0:
        raise NoticeError(
            0, _("通知中没有找到任何节日安排（应有“一、元旦：1月1日……放假”这样的行）。")
        )
    days = tuple(sorted(reader.days.values(), key=lambda notice_day: notice_day.day))
    return HolidayNotice(
        year=year, year_line_number=year_line.number, year_line_text=year_line.text, days=days
    )


def _notice_year(lines: Sequence[_Line]) -> tuple[int, _Line]:
    found: tuple[int, _Line] | None = None
    for line in lines:
        for pattern in NOTICE_YEAR_PATTERNS:
            for match in pattern.finditer(line.normal):
                year = int(match.group(1))
                if found is None:
                    found = (year, line)
                elif year != found[0]:
                    raise line.error(
                        _("通知年度不一致：第 %(first)d 行为 %(year)d 年，此处为 %(other)d 年")
                        % {"first": found[1].number, "year": found[0], "other": year}
                    )
    if found is None:
        raise NoticeError(
            0,
            _("没有找到通知的年度（应有“关于YYYY年部分节假日安排的通知”或“现将YYYY年……”）。"),
        )
    if not 1900 <= found[0] <= 2100:
        raise found[1].error(_("年度 %(year)d 无效") % {"year": found[0]})
    return found


def _read_holiday_line(reader: _Reader, line: _Line, name: str, body: str) -> None:
    if len(name) > NOTE_MAX_LENGTH:
        raise line.error(_("节日名称过长，最多 %(max)d 个字") % {"max": NOTE_MAX_LENGTH})
    holidays_found = 0
    make_up_days: list[date] = []
    no_make_up_days = False
    for sentence in _sentences(body):
        holiday = HOLIDAY_SENTENCE_PATTERN.match(sentence)
        if holiday is not None:
            holidays_found += 1
            rest = holiday.group("rest")
            if ANY_DATE_PATTERN.search(rest):
                # e.g. make-up days after a comma: refuse rather than skip them.
                raise line.error(
                    _("无法识别“%(sentence)s”：放假日期之后的日期应另起一句（以“。”分开）")
                    % {"sentence": sentence}
                )
            no_make_up_days = no_make_up_days or "不调休" in rest
            for day in _holiday_days(
                reader, line, holiday.group("first"), holiday.group("last"), rest
            ):
                reader.add(line, day, DayKind.HOLIDAY, name)
        elif MAKE_UP_SENTENCE_PATTERN.match(sentence):
            previous: date | None = None
            for token in DATE_PATTERN.finditer(sentence[: -len("上班")]):
                previous = _date(reader, line, token, previous)
                reader.add(line, previous, DayKind.WORKDAY, name)
                make_up_days.append(previous)
        elif ("放假" in sentence or "上班" in sentence) and ANY_DATE_PATTERN.search(sentence):
            raise line.error(
                _("无法识别“%(sentence)s”：应为“M月D日至D日放假……”或“M月D日、M月D日上班”")
                % {"sentence": sentence}
            )
    if holidays_found == 0:
        raise line.error(_("“%(name)s”一行没有放假日期") % {"name": name})
    if no_make_up_days and make_up_days:
        raise line.error(
            _("写明“不调休”，却列有调休上班日 %(day)s") % {"day": _chinese_date(make_up_days[0])}
        )


def _sentences(body: str) -> list[str]:
    return [part.strip() for part in re.split(r"[。;]", body) if part.strip()]


def _holiday_days(
    reader: _Reader, line: _Line, first_text: str, last_text: str | None, rest: str
) -> list[date]:
    first_match = DATE_PATTERN.fullmatch(first_text)
    assert first_match is not None  # the sentence pattern matched it
    if first_match.group("month") is None:
        raise line.error(_("“%(text)s”缺少月份") % {"text": first_text})
    first = _date(reader, line, first_match, None)
    last = first
    if last_text is not None:
        last_match = DATE_PATTERN.fullmatch(last_text)
        assert last_match is not None
        last = _date(reader, line, last_match, first)
    if last < first:
        raise line.error(
            _("放假结束日 %(last)s 早于开始日 %(first)s")
            % {"last": _chinese_date(last), "first": _chinese_date(first)}
        )
    days = [first + timedelta(days=offset) for offset in range((last - first).days + 1)]
    count = COUNT_PATTERN.search(rest)
    if count is not None:
        stated = _number(count.group(1) or count.group(2))
        if stated != len(days):
            raise line.error(
                _("写明共 %(stated)d 天，但 %(first)s 至 %(last)s 是 %(actual)d 天")
                % {
                    "stated": stated,
                    "first": _chinese_date(first),
                    "last": _chinese_date(last),
                    "actual": len(days),
                }
            )
    if "与周末连休" in rest and not (first.weekday() == 0 or last.weekday() == 4):
        raise line.error(
            _("写明“与周末连休”，但 %(first)s 至 %(last)s 不与周末相连")
            % {"first": _chinese_date(first), "last": _chinese_date(last)}
        )
    return days


def _date(reader: _Reader, line: _Line, match: re.Match[str], previous: date | None) -> date:
    """The date of one token; month and year default to the previous date's, else the
    notice's year. Checks that the date exists and the stated weekday is its own."""
    text = match.group(0).split("(")[0]  # without its "（周四）"
    year_text, month_text = match.group("year"), match.group("month")
    if month_text is not None:
        month = int(month_text)
    elif previous is not None:
        month = previous.month
    else:
        raise line.error(_("“%(text)s”缺少月份") % {"text": text})
    if year_text is not None:
        year = int(year_text)
        if abs(year - reader.year) > 1:
            raise line.error(
                _("日期 %(text)s 与通知年度 %(year)d 年相差太远")
                % {"text": text, "year": reader.year}
            )
    elif previous is not None:
        year = previous.year
        if month_text is not None and month < previous.month:
            year += 1  # "12月31日至1月2日" runs into the next year
    else:
        year = reader.year
    try:
        day = date(year, month, int(match.group("day")))
    except ValueError:
        if 1 <= month <= 12:
            reason = _("%(year)d年%(month)d月只有%(days)d天") % {
                "year": year,
                "month": month,
                "days": monthrange(year, month)[1],
            }
        else:
            reason = _("没有%(month)d月") % {"month": month}
        raise line.error(
            _("日期“%(text)s”不存在（%(reason)s）") % {"text": text, "reason": reason}
        ) from None
    weekday = WEEKDAY_PATTERN.search(match.group("remark") or "")
    if weekday is not None and WEEKDAYS[weekday.group(1)] != day.weekday():
        raise line.error(
            _("%(day)s 是星期%(actual)s，不是%(stated)s")
            % {
                "day": _chinese_date(day),
                "actual": WEEKDAY_NAMES[day.weekday()],
                "stated": weekday.group(0),
            }
        )
    return day


def _number(text: str) -> int:
    """An Arabic or small Chinese number: "8", "八", "十", "十二", "二十"."""
    if text.isdigit():
        return int(text)
    if "十" not in text:
        return CHINESE_DIGITS.get(text, -1) if len(text) == 1 else -1
    tens_text, _sep, units_text = text.partition("十")
    tens = CHINESE_DIGITS.get(tens_text, -1) if tens_text else 1
    units = CHINESE_DIGITS.get(units_text, -1) if units_text else 0
    return -1 if tens < 0 or units < 0 else tens * 10 + units


def _chinese_date(day: date) -> str:
    return _("%(year)d年%(month)d月%(day)d日") % {
        "year": day.year,
        "month": day.month,
        "day": day.day,
    }


# -- against the stored calendar --------------------------------------------------------


@dataclass(frozen=True)
class DayChange:
    day: date
    stored_kind: str
    new_kind: str
    new_note: str

    @property
    def weekday_name(self) -> str:
        return WEEKDAY_NAMES[self.day.weekday()]


def _default_kind(day: date) -> str:
    return DayKind.WORKDAY if day.weekday() < 5 else DayKind.HOLIDAY


def _affected_days(notice: HolidayNotice) -> list[date]:
    first = date(notice.year, 1, 1)
    days = [
        first + timedelta(days=offset)
        for offset in range((date(notice.year, 12, 31) - first).days + 1)
    ]
    return sorted([*days, *(day.day for day in notice.days_in_other_years())])


def new_kinds(notice: HolidayNotice) -> dict[date, tuple[str, str]]:
    """Every day the load would write: its kind and note, notice days first."""
    named = {day.day: (str(day.kind), day.note) for day in notice.days}
    return {day: named.get(day, (_default_kind(day), "")) for day in _affected_days(notice)}


def stored_kinds(days: Sequence[date]) -> dict[date, str]:
    """The stored kind of each day (Monday to Friday for a day without a row)."""
    if not days:
        return {}
    rows = dict(
        CalendarDay.objects.filter(day__range=(min(days), max(days))).values_list("day", "kind")
    )
    return {day: rows.get(day, _default_kind(day)) for day in days}


def difference(notice: HolidayNotice) -> list[DayChange]:
    """The days whose kind (working day or day off) the load would change."""
    after = new_kinds(notice)
    before = stored_kinds(list(after))
    return [
        DayChange(day=day, stored_kind=before[day], new_kind=kind, new_note=note)
        for day, (kind, note) in after.items()
        if before[day] != kind
    ]


def is_official(year: int) -> bool:
    return CalendarYear.objects.filter(year=year, status=YearStatus.OFFICIAL).exists()


def check_replace(notice: HolidayNotice, *, replace: bool) -> None:
    """Refuse a notice for a year with an official calendar unless told to replace it."""
    if not replace and is_official(notice.year):
        raise NoticeError(
            notice.year_line_number,
            _("%(year)d 年已有正式日历；如确需以此通知替换，请选择“替换”（命令行加 --replace）")
            % {"year": notice.year},
            notice.year_line_text,
        )


# -- loading ----------------------------------------------------------------------------


@dataclass(frozen=True)
class LoadedNotice:
    days_stored: int
    moved: int
    confirmed: int


def load_notice(notice: HolidayNotice, *, actor: Any = None, replace: bool = False) -> LoadedNotice:
    """Load the notice's year as official, recount deadlines (R-D6) and audit the load.

    The year's days not named follow Monday to Friday. One transaction: a refusal
    changes nothing.
    """
    with transaction.atomic():
        # Lock the year's row (if any) so two loads of one year queue up.
        list(CalendarYear.objects.select_for_update().filter(year=notice.year))
        check_replace(notice, replace=replace)
        changed = len(difference(notice))
        stored = load_year(notice.year, notice.calendar_lines(), source=_("国务院节假日安排通知"))
        for other in notice.days_in_other_years():
            set_day(other.day, other.kind, other.note)
        moved = confirmed = 0
        # The notice's own year first, so a moved deadline's record names that year.
        other_years = sorted({day.day.year for day in notice.days_in_other_years()})
        for year in [notice.year, *other_years]:
            recounted = recompute_working_day_deadlines(year, actor)
            moved += recounted.moved
            confirmed += recounted.confirmed
        record(
            actor,
            "admin_load_calendar",
            _(
                "按国务院节假日安排通知载入%(year)d年日历（放假%(holidays)d天、调休上班"
                "%(workdays)d天，%(changed)d天有变化），该年度设为正式"
            )
            % {
                "year": notice.year,
                "holidays": len(notice.holidays),
                "workdays": len(notice.make_up_workdays),
                "changed": changed,
            },
            data={
                "year": notice.year,
                "days": stored,
                "source": "holiday_notice",
                "holidays": len(notice.holidays),
                "make_up_workdays": len(notice.make_up_workdays),
                "changed_days": changed,
                "replaced": replace,
            },
        )
    return LoadedNotice(days_stored=stored, moved=moved, confirmed=confirmed)
