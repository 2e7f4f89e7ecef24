"""Minutes and work plans read into proposals, by rules a person can follow.

Nothing here guesses: every field a proposal gets comes with the words it came from
(`Evidence`: the field, the words, their place in the paragraph), and what the rules
did not find is left empty and flagged. No network, no model.

The shape of the documents (one line per paragraph, `reading.read_lines`):
- a 会议纪要 has its number (校长办公会纪要〔2026〕第18期) near the top, then its
  decisions, numbered 一、二、… or （一）（二）… (or 1. 2. …), often after a line
  saying 议定事项 / 会议议定 / 纪要如下; the list of who attended ends them. A
  decision's paragraph runs until the next number of its level; its sub-points
  belong to it. When the top numbers are only headings (一、议定事项), the
  decisions are the numbers beneath them.
- a 党政工作要点 has its year in its title, section headings (一、…, （一）…) and
  numbered tasks (1. 2. … or （1）…); each task becomes an annual item whose
  category is the headings above it.

Units are recognised by their names and aliases (`UnitDirectory`), and their part by
the words around them:
- lead unit (承办单位): 由X牵头, X牵头, X负责, X承办, 请X…, 责成X, 牵头单位：X, 责任单位：X;
- cooperating units (配合单位): X、Y配合, X协助, 会同X, 配合单位：X、Y.
A unit named in no such phrasing is reported as named, not given a part. When one
phrasing names several responsible units, the first is the lead unit and the others
cooperate (R-S3: one lead unit), and the proposal says so.

Deadlines (R-D1) in the forms meetings write them, resolved against the issue date:
"于2026年12月20日前", "12月20日前", "12月底前", "12月中旬前", "年底前", "月底前",
"下周五前", "本学期内", "两周内", "10个工作日内", "一个月内". When a decision names
several, the latest is its deadline (the earlier ones are steps on the way). A
semester ends, in this reading, on 31 July (spring: issued February to August) or
31 January (autumn). Working days are counted by the calendar module only.
"""

from __future__ import annotations

import calendar as monthdays
import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import cn2an
from django.utils.translation import gettext as _

from duban.items.deadlines import compute_deadline
from duban.items.errors import InvalidInput
from duban.items.models import SourceKind
from duban.workcalendar import calendar

# ----------------------------------------------------------------------------- results

DEADLINE_GIVEN = "given"  # R-D1: the decision names it
DEADLINE_TEN_WORKDAYS = "R-D2"
DEADLINE_OFFICE = "R-D3"
DEADLINE_YEAR_END = "R-D4"

NO_DECISIONS = "未识别到议定事项"


@dataclass
class Evidence:
    """A recognised field and the words it came from (start/end in the paragraph)."""

    field: str
    words: str
    start: int
    end: int
    note: str = ""


@dataclass
class Found:
    """One proposal as read from the document."""

    position: int
    label: str  # the decision's own number as written: "三", "（三）", "3"
    title: str
    content: str
    source_text: str
    first_line: int
    last_line: int
    category: str = ""
    lead_unit_id: int | None = None
    cooperating_unit_ids: list[int] = field(default_factory=list)
    deadline: dt.date | None = None
    deadline_basis: str = DEADLINE_TEN_WORKDAYS
    deadline_words: str = ""
    evidence: list[Evidence] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)


@dataclass
class StructureLine:
    """A line of the document as the rules saw it: for the page, and for the message
    of a document in which no decision was found."""

    number: int
    kind: str
    text: str


@dataclass
class ParsedDocument:
    kind: str  # "minutes" or "work_plan"
    number: str
    number_words: str
    title: str
    year: int
    issued_on: dt.date | None
    proposals: list[Found]
    structure: list[StructureLine]
    flags: list[str] = field(default_factory=list)


class NothingFound(InvalidInput):
    """No decision (or task) was recognised; `structure` is the document as seen."""

    def __init__(self, message: str, structure: list[StructureLine]) -> None:
        super().__init__(message, errors={"file": message})
        self.structure = structure


def line_error(number: int, message: str) -> InvalidInput:
    text = _("第%(line)d行：%(message)s") % {"line": number, "message": message}
    return InvalidInput(text, errors={"file": text})


# ----------------------------------------------------------------------------- numbers

CN_DIGITS = "零〇一二两三四五六七八九十百"
CN_NUMBER = f"[{CN_DIGITS}]+"


def number_value(text: str) -> int:
    """A number written in digits or Chinese numerals (cn2an); -1 for neither."""
    if text.isascii() and text.isdigit():
        return int(text)
    try:
        return int(cn2an.cn2an(text, "smart"))
    except ValueError:
        return -1


# ----------------------------------------------------------------------------- structure

# Each kind of number that opens a paragraph, from the highest level down.
MARKERS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("cn", re.compile(rf"^({CN_NUMBER})\s*[、，,．.]\s*")),
    ("cn_paren", re.compile(rf"^[（(]\s*({CN_NUMBER})\s*[）)]\s*")),
    ("arabic", re.compile(r"^(\d{1,3})\s*(?:[、，,．]|\.(?!\d))\s*")),
    ("arabic_paren", re.compile(r"^[（(]\s*(\d{1,3})\s*[）)]\s*")),
)
LEVEL = {kind: index for index, (kind, _pattern) in enumerate(MARKERS)}
KIND_LABELS = {
    "cn": "一、",
    "cn_paren": "（一）",
    "arabic": "1.",
    "arabic_paren": "（1）",
    "text": "",
}
DECISIONS_START = re.compile(r"议定事项|会议议定|会议决定如下|纪要如下|议定如下|会议决定事项")
# The list of who attended (and the distribution) closes the decisions.
DECISIONS_END = re.compile(
    r"^(出席|列席|参加|请假|缺席|记录|抄送|分送|主送|印发|出席人员|列席人员|参会人员)"
    r"(人员|领导|单位)?\s*[:：]"
)


@dataclass
class Line:
    number: int  # 1-based, as the page and the messages count
    text: str
    kind: str  # a MARKERS kind, or "text"
    label: str  # the number as written, without its brackets and comma
    marker_end: int  # where the text after the number starts


def classify(lines: list[str]) -> list[Line]:
    result = []
    for index, text in enumerate(lines, start=1):
        kind, label, end = "text", "", 0
        for name, pattern in MARKERS:
            match = pattern.match(text)
            if match:
                kind, label, end = name, match.group(1), match.end()
                break
        result.append(Line(index, text, kind, label, end))
    return result


def structure_of(lines: list[Line]) -> list[StructureLine]:
    return [
        StructureLine(line.number, KIND_LABELS[line.kind] or _("正文"), line.text[:60])
        for line in lines
    ]


def is_heading(line: Line) -> bool:
    """A numbered line that only names a section: short, no sentence in it."""
    rest = line.text[line.marker_end :]
    return len(rest) <= 30 and not re.search(r"[。；;]", rest.rstrip("。"))


def _paragraphs(lines: list[Line], level_kind: str) -> list[list[Line]]:
    """The numbered paragraphs of `level_kind`, each with the lines under it up to the
    next number of its level or higher."""
    level = LEVEL[level_kind]
    paragraphs: list[list[Line]] = []
    is_open = False
    for line in lines:
        if line.kind == level_kind:
            paragraphs.append([line])
            is_open = True
        elif line.kind != "text" and LEVEL[line.kind] < level:
            is_open = False  # a higher number closes the paragraph
        elif is_open:
            paragraphs[-1].append(line)
    return paragraphs


def _headings_above(lines: list[Line], level_kind: str) -> dict[int, str]:
    """For each line number, the headings (higher numbers) above it, joined."""
    level = LEVEL[level_kind]
    current: dict[int, str] = {}
    result: dict[int, str] = {}
    for line in lines:
        if line.kind != "text" and LEVEL[line.kind] < level:
            current = {k: v for k, v in current.items() if k < LEVEL[line.kind]}
            current[LEVEL[line.kind]] = line.text.rstrip("。")
        result[line.number] = " / ".join(current[k] for k in sorted(current))
    return result


def _decision_level(lines: list[Line]) -> str | None:
    """The kind of number the decisions carry: the highest level present, unless every
    line of that level is a mere heading with numbers beneath it."""
    present = [kind for kind, _pattern in MARKERS if any(line.kind == kind for line in lines)]
    for index, kind in enumerate(present):
        if index + 1 < len(present) and all(
            is_heading(line) for line in lines if line.kind == kind
        ):
            continue
        return kind
    return None


# ----------------------------------------------------------------------------- units


@dataclass(frozen=True)
class UnitName:
    word: str
    unit_id: int
    unit_name: str
    is_alias: bool


class UnitDirectory:
    """The names and aliases of the active units, matched longest first."""

    def __init__(self, names: Iterable[UnitName]) -> None:
        self.names = {name.word: name for name in names if name.word}
        self.units = {name.unit_id: name.unit_name for name in self.names.values()}
        words = sorted(self.names, key=len, reverse=True)
        self.pattern = re.compile("|".join(re.escape(word) for word in words)) if words else None

    @classmethod
    def from_database(cls) -> UnitDirectory:
        from duban.organisation.models import Unit

        names: list[UnitName] = []
        for unit in Unit.objects.filter(is_active=True).only("pk", "name", "aliases"):
            names.append(UnitName(unit.name, unit.pk, unit.name, False))
            names.extend(UnitName(alias, unit.pk, unit.name, True) for alias in unit.alias_list)
        return cls(names)

    def mentions(self, text: str) -> list[tuple[int, int, UnitName]]:
        """Each unit named in `text`, outside document titles 《…》."""
        if self.pattern is None:
            return []
        quoted = [(m.start(), m.end()) for m in re.finditer(r"《[^》]*》", text)]
        found = []
        for match in self.pattern.finditer(text):
            if any(start <= match.start() < end for start, end in quoted):
                continue
            found.append((match.start(), match.end(), self.names[match.group()]))
        return found


LIST_JOINER = re.compile(r"^\s*(?:、|和|及|与|以及|,)\s*$")
LEAD_LABEL = re.compile(
    r"(?:牵头单位|牵头部门|责任单位|责任部门|承办单位|主办单位|主责单位)\s*[:：]\s*$"
)
COOPERATE_LABEL = re.compile(r"(?:配合单位|配合部门|协办单位|参与单位)\s*[:：]\s*$")
COOPERATE_BEFORE = re.compile(r"(?:会同|联合|协同|商请)\s*$")
LEAD_BEFORE = re.compile(r"(?:明确由|交由|责成|委托|由|请)\s*$")
# Names in the same list that are no unit (an alias not yet registered, say), skipped
# over to reach the list's verb, and flagged: "人事处、计财处配合".
UNKNOWN_TAIL = r"(?P<tail>(?:(?:、|和|及|与)[\u4e00-\u9fff]{2,10}?)*)"
LEAD_AFTER = re.compile(
    rf"^{UNKNOWN_TAIL}(?:等单位|等部门)?\s*(?:牵头负责|具体负责|牵头|负责|承办|主办)"
)
COOPERATE_AFTER = re.compile(
    rf"^{UNKNOWN_TAIL}(?:等单位|等部门|等)?\s*(?:配合|协助|协同|参与|协办)"
)
LIST_END = re.compile(r"[；;）)。\n]")


def _unit_groups(
    text: str, mentions: list[tuple[int, int, UnitName]]
) -> list[list[tuple[int, int, UnitName]]]:
    groups: list[list[tuple[int, int, UnitName]]] = []
    for mention in mentions:
        if groups and LIST_JOINER.match(text[groups[-1][-1][1] : mention[0]]):
            groups[-1].append(mention)
        else:
            groups.append([mention])
    return groups


def read_units(text: str, directory: UnitDirectory, found: Found) -> None:
    """Fill the lead and cooperating units from `text`, with their evidence and flags."""
    leads: list[tuple[UnitName, Evidence]] = []
    cooperating: list[UnitName] = []
    unplaced: list[str] = []
    for group in _unit_groups(text, directory.mentions(text)):
        start, end = group[0][0], group[-1][1]
        before, after = text[max(0, start - 8) : start], text[end : end + 40]
        role, words_start, words_end = "", start, end
        if match := COOPERATE_LABEL.search(before):
            role, words_start = "cooperating", start - (len(before) - match.start())
        elif match := LEAD_LABEL.search(before):
            role, words_start = "lead", start - (len(before) - match.start())
        elif match := COOPERATE_BEFORE.search(before):
            role, words_start = "cooperating", start - (len(before) - match.start())
        elif match := LEAD_AFTER.match(after):
            role, words_end = "lead", end + match.end()
            if lead_before := LEAD_BEFORE.search(before):
                words_start = start - (len(before) - lead_before.start())
            _flag_unknown_tail(match.group("tail"), directory, found)
        elif match := COOPERATE_AFTER.match(after):
            role, words_end = "cooperating", end + match.end()
            _flag_unknown_tail(match.group("tail"), directory, found)
        elif match := LEAD_BEFORE.search(before):
            role, words_start = "lead", start - (len(before) - match.start())
        words = text[words_start:words_end]
        names = [mention[2] for mention in group]
        aliases = [
            _("“%(alias)s”即%(unit)s") % {"alias": n.word, "unit": n.unit_name}
            for n in names
            if n.is_alias
        ]
        alias_note = "；".join(aliases)
        if role == "lead":
            first, rest = names[0], names[1:]
            note = alias_note
            if rest:
                note = "；".join(
                    filter(
                        None,
                        [alias_note, _("同一处列出多个单位，首个作为承办单位，其余作为配合单位")],
                    )
                )
            leads.append((first, Evidence("lead_unit", words, words_start, words_end, note)))
            cooperating.extend(rest)
            if rest:
                found.evidence.append(
                    Evidence("cooperating_units", words, words_start, words_end, note)
                )
        elif role == "cooperating":
            cooperating.extend(names)
            found.evidence.append(
                Evidence("cooperating_units", words, words_start, words_end, alias_note)
            )
        else:
            unplaced.extend(n.unit_name for n in names)
            found.evidence.append(Evidence("unit_named", words, words_start, words_end, alias_note))
    _flag_unknown_listed_units(text, directory, found)
    if leads:
        lead = leads[0][0]
        found.lead_unit_id = lead.unit_id
        found.evidence.extend(evidence for _name, evidence in leads)
        others = list(dict.fromkeys(n.unit_name for n, _e in leads if n.unit_id != lead.unit_id))
        if others:
            found.flags.append(
                _("识别到多个承办单位（%(first)s、%(others)s），已取第一个，请核对。")
                % {"first": lead.unit_name, "others": "、".join(others)}
            )
            cooperating.extend(n for n, _e in leads if n.unit_id != lead.unit_id)
    else:
        found.flags.append(_("未识别到承办单位，请选择。"))
    found.cooperating_unit_ids = list(
        dict.fromkeys(n.unit_id for n in cooperating if n.unit_id != found.lead_unit_id)
    )
    placed = {directory.units[i] for i in [found.lead_unit_id, *found.cooperating_unit_ids] if i}
    unplaced = [name for name in dict.fromkeys(unplaced) if name not in placed]
    if unplaced:
        found.flags.append(
            _("文中提到%(units)s，但未识别其职责（承办或配合），请核对。")
            % {"units": "、".join(unplaced)}
        )


def _flag_unknown_tail(tail: str, directory: UnitDirectory, found: Found) -> None:
    names = [name for name in re.split(r"[、和及与]", tail) if name]
    _flag_unknown(names, directory, found)


def _flag_unknown(names: list[str], directory: UnitDirectory, found: Found) -> None:
    unknown = [name for name in dict.fromkeys(names) if name not in directory.names]
    if unknown:
        found.flags.append(
            _("以下名称未能对应到系统中的单位：%(names)s（可由系统管理员在单位的“别名”中登记）。")
            % {"names": "、".join(unknown)}
        )


def _flag_unknown_listed_units(text: str, directory: UnitDirectory, found: Found) -> None:
    """In labelled lists (牵头单位：…；配合单位：…) a name that is no unit is flagged."""
    label = re.compile(
        r"(?:牵头单位|牵头部门|责任单位|责任部门|承办单位|主办单位|配合单位|配合部门|协办单位)\s*[:：]"
    )
    unknown: list[str] = []
    for match in label.finditer(text):
        rest = text[match.end() :]
        end = LIST_END.search(rest)
        listed = rest[: end.start() if end else len(rest)]
        unknown.extend(name.strip() for name in re.split(r"[、，,和及与\s]+", listed))
    _flag_unknown([name for name in unknown if name], directory, found)


# ----------------------------------------------------------------------------- dates

_NUM = r"\d{1,2}|[一二三四五六七八九十]{1,3}"
FULL_DATE = re.compile(
    r"(\d{4})\s*年\s*(\d{1,2}|[一二三四五六七八九十]{1,3})\s*月\s*(\d{1,2}|[一二三四五六七八九十]{1,3})\s*[日号]"
)
MONTH_DAY = re.compile(rf"(?<![\d年])({_NUM})\s*月\s*({_NUM})\s*[日号]")
DEADLINE_AFTER = re.compile(
    r"^\s*(?:前|之前|以前|为止|止|以内|内)|^.{0,3}(?:完成|办结|报送|提交|上报|落实到位)"
)
DEADLINE_BEFORE = re.compile(r"(?:截至|截止|不晚于|最迟于)\s*$")
MONTH_PART = re.compile(
    rf"(?<![\d年])({_NUM})\s*月\s*(底|末|份|上旬|中旬|下旬)\s*(?:前|之前|以前)?"
)
YEAR_END = re.compile(
    r"(\d{4}\s*年|明年|今年|本年度?|(?<![一二两三四五六七八九十\d])年)(底前|底|末前|末|内)"
)
MONTH_END = re.compile(
    r"(本月|当月|下个?月)(?:底|末|内)(?:前|之前)?"
    r"|(?<![\d一二三四五六七八九十])月(?:底|末)(?:前|之前)?"
)
WEEKDAY = re.compile(r"(本|下|这)周([一二三四五六日天])\s*(?:前|之前|以前)?")
SEMESTER = re.compile(r"本学期(?:内|末|结束前|结束)")
WITHIN = re.compile(
    r"(\d{1,3}|[一二两三四五六七八九十]{1,3})\s*(个工作日|个月|周|星期|天|日)\s*(?:内|之内|以内)"
)
WEEKDAYS = "一二三四五六日"


def _day(year: int, month: int, day: int, line: int, words: str) -> dt.date:
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise line_error(line, _("日期“%(words)s”不存在。") % {"words": words}) from None


def _month_last(year: int, month: int) -> dt.date:
    return dt.date(year, month, monthdays.monthrange(year, month)[1])


def _add_months(day: dt.date, months: int) -> dt.date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(day.day, monthdays.monthrange(year, month)[1]))


def _month(text: str, line: int, words: str) -> int:
    month = number_value(text)
    if not 1 <= month <= 12:
        raise line_error(line, _("日期“%(words)s”不存在。") % {"words": words})
    return month


def check_dates(lines: list[Line]) -> None:
    """Every full date the document writes must exist (naming the line)."""
    for line in lines:
        for match in FULL_DATE.finditer(line.text):
            _day(
                int(match.group(1)),
                number_value(match.group(2)),
                number_value(match.group(3)),
                line.number,
                match.group(),
            )


def _line_of(found_lines: list[Line], text: str, position: int) -> int:
    """The document line that holds `position` of the paragraph `text`."""
    offset = 0
    for line in found_lines:
        offset += len(line.text) + 1
        if position < offset:
            return line.number
    return found_lines[-1].number


def read_deadline(text: str, lines: list[Line], issued_on: dt.date, found: Found) -> None:
    """Every deadline the decision names, resolved against `issued_on`; the latest wins."""
    candidates: list[tuple[dt.date, Evidence]] = []
    taken: list[tuple[int, int]] = []

    def add(day: dt.date, start: int, end: int, note: str = "") -> None:
        if any(start < t_end and t_start < end for t_start, t_end in taken):
            return
        taken.append((start, end))
        candidates.append((day, Evidence("deadline", text[start:end], start, end, note)))

    def is_deadline(start: int, end: int) -> bool:
        return bool(DEADLINE_AFTER.match(text[end : end + 6])) or bool(
            DEADLINE_BEFORE.search(text[max(0, start - 5) : start])
        )

    def span_with_suffix(start: int, end: int) -> tuple[int, int]:
        prefix = re.search(
            r"(?:于|在|截至|截止|不晚于|最迟于)\s*$", text[max(0, start - 4) : start]
        )
        suffix = re.match(r"\s*(?:之前|以前|前|为止|止)", text[end:])
        return (
            start - len(prefix.group()) if prefix else start,
            end + (suffix.end() if suffix else 0),
        )

    for match in FULL_DATE.finditer(text):
        line = _line_of(lines, text, match.start())
        day = _day(
            int(match.group(1)),
            number_value(match.group(2)),
            number_value(match.group(3)),
            line,
            match.group(),
        )
        if is_deadline(match.start(), match.end()):
            add(day, *span_with_suffix(match.start(), match.end()))
        else:
            taken.append((match.start(), match.end()))
    for match in MONTH_DAY.finditer(text):
        line = _line_of(lines, text, match.start())
        month = _month(match.group(1), line, match.group())
        day = _day(issued_on.year, month, number_value(match.group(2)), line, match.group())
        note = ""
        if day < issued_on:
            day = _day(issued_on.year + 1, month, day.day, line, match.group())
            note = _("早于印发日期，按次年计")
        if is_deadline(match.start(), match.end()):
            add(day, *span_with_suffix(match.start(), match.end()), note)
    for match in MONTH_PART.finditer(text):
        line = _line_of(lines, text, match.start())
        month = _month(match.group(1), line, match.group())
        year = issued_on.year if month >= issued_on.month else issued_on.year + 1
        part = match.group(2)
        day = {"上旬": dt.date(year, month, 10), "中旬": dt.date(year, month, 20)}.get(
            part, _month_last(year, month)
        )
        add(day, *span_with_suffix(match.start(), match.end()))
    for match in YEAR_END.finditer(text):
        which = match.group(1)
        year = issued_on.year
        if which[0].isdigit():
            year = int(which[:4])
        elif which == "明年":
            year += 1
        add(dt.date(year, 12, 31), *span_with_suffix(match.start(), match.end()))
    for match in MONTH_END.finditer(text):
        months = 1 if match.group(1) and match.group(1).startswith("下") else 0
        first = _add_months(issued_on.replace(day=1), months)
        add(_month_last(first.year, first.month), match.start(), match.end())
    for match in WEEKDAY.finditer(text):
        monday = issued_on - dt.timedelta(days=issued_on.weekday())
        if match.group(1) == "下":
            monday += dt.timedelta(days=7)
        weekday = WEEKDAYS.index("日" if match.group(2) == "天" else match.group(2))
        add(monday + dt.timedelta(days=weekday), match.start(), match.end())
    for match in SEMESTER.finditer(text):
        if 2 <= issued_on.month <= 8:
            day, note = dt.date(issued_on.year, 7, 31), _("春季学期，按7月31日计")
        else:
            year = issued_on.year + (1 if issued_on.month >= 9 else 0)
            day, note = dt.date(year, 1, 31), _("秋季学期，按1月31日计")
        add(day, match.start(), match.end(), note)
    for match in WITHIN.finditer(text):
        count, unit = number_value(match.group(1)), match.group(2)
        if unit == "个工作日":
            result = calendar.add_workdays(issued_on, count)
            day = result.day
            note = _("自印发日起第%(n)d个工作日") % {"n": count}
        elif unit == "个月":
            day, note = _add_months(issued_on, count), _("自印发日起%(n)d个月") % {"n": count}
        elif unit in ("周", "星期"):
            day = issued_on + dt.timedelta(days=7 * count)
            note = _("自印发日起%(n)d周") % {"n": count}
        else:
            day = issued_on + dt.timedelta(days=count)
            note = _("自印发日起%(n)d天") % {"n": count}
        add(day, match.start(), match.end(), note)

    if not candidates:
        return
    candidates.sort(key=lambda pair: (pair[0], pair[1].start))
    day, evidence = candidates[-1]
    if len(candidates) > 1:
        evidence.note = "；".join(
            filter(None, [evidence.note, _("文中有多个时限，取最晚者作为办结时限")])
        )
    found.deadline, found.deadline_basis, found.deadline_words = day, DEADLINE_GIVEN, evidence.words
    found.evidence.extend(evidence for _day, evidence in candidates)


# ----------------------------------------------------------------------------- title


def title_of(text: str) -> str:
    first = re.split(r"[。；;\n]", text, maxsplit=1)[0].strip()
    first = re.sub(r"^会议(?=研究|审议|听取|讨论|决定|同意|要求|认为|强调|明确)", "", first)
    if len(first) > 30:
        head = first.split("，", 1)[0]
        first = head if 6 <= len(head) <= 60 else first[:59] + "…" if len(first) > 60 else first
    return first or text[:60]


# ----------------------------------------------------------------------------- documents

MINUTES_NUMBER = re.compile(
    r"([\u4e00-\u9fa5]{0,20}?纪要)?\s*[〔\[［【(（]\s*(\d{4})\s*[〕\]］】)）]\s*第\s*(\d{1,4}|[一二三四五六七八九十百]+)\s*期"
)
MINUTES_TITLE = re.compile(r"[\u4e00-\u9fa5]*(?:常委会|办公会|会议)纪要")
ISSUED = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日\s*印发")
BODIES = {
    "党委常委会": "standing_committee",
    "校长办公会": "president_meeting",
    "书记办公会": "secretary_meeting",
}
PLAN_YEAR = re.compile(r"(\d{4})\s*年.{0,16}?工作要点")


def detect_body(lines: list[str]) -> str | None:
    head = "".join(lines[:8])
    for label, value in BODIES.items():
        if label in head:
            return value
    return None


def detect_issued_on(lines: list[str]) -> dt.date | None:
    for number, text in enumerate(lines, start=1):
        if match := ISSUED.search(text):
            year, month, day = (int(group) for group in match.groups())
            return _day(year, month, day, number, match.group())
    return None


def minutes_number(lines: list[str], body_label: str) -> tuple[str, str]:
    """The minutes' number (校长办公会纪要〔2026〕第18期) and the words it came from."""
    for index, text in enumerate(lines[:12]):
        match = MINUTES_NUMBER.search(text)
        if match is None:
            continue
        title = match.group(1)
        if not title:
            before = [t for t in lines[max(0, index - 3) : index] if MINUTES_TITLE.search(t)]
            title_match = MINUTES_TITLE.search(before[-1]) if before else None
            title = title_match.group() if title_match else f"{body_label}纪要"
        serial = number_value(match.group(3))
        return f"{title}〔{match.group(2)}〕第{serial}期", match.group()
    return "", ""


def _decision_lines(lines: list[Line]) -> list[Line]:
    """The lines that hold the decisions: after 议定事项 (when written), up to the list
    of who attended."""
    start = 0
    for index, line in enumerate(lines):
        if DECISIONS_START.search(line.text):
            start = index if line.kind != "text" and is_heading(line) else index + 1
            break
    body: list[Line] = []
    for line in lines[start:]:
        if DECISIONS_END.match(line.text):
            break
        body.append(line)
    return body


def _found(paragraph: list[Line], position: int, category: str = "") -> Found:
    text = "\n".join(line.text for line in paragraph)
    first = paragraph[0]
    body = text[first.marker_end :].strip()
    return Found(
        position=position,
        label=first.label,
        title=title_of(body),
        content=body,
        source_text=text,
        first_line=first.number,
        last_line=paragraph[-1].number,
        category=category,
    )


def parse_minutes(
    raw_lines: list[str],
    *,
    issued_on: dt.date,
    body_label: str,
    directory: UnitDirectory,
) -> ParsedDocument:
    lines = classify(raw_lines)
    check_dates(lines)
    number, number_words = minutes_number(raw_lines, body_label)
    flags = [] if number else [_("未识别到纪要编号，请在依据中补充。")]
    body = _decision_lines(lines)
    level = _decision_level(body)
    if level is None:
        raise NothingFound(NO_DECISIONS, structure_of(lines))
    headings = _headings_above(body, level)
    proposals = []
    for position, paragraph in enumerate(_paragraphs(body, level), start=1):
        found = _found(paragraph, position, headings.get(paragraph[0].number, ""))
        read_units(found.source_text, directory, found)
        read_deadline(found.source_text, paragraph, issued_on, found)
        if found.deadline is None:
            found.deadline = compute_deadline(  # R-D2, the one place it is counted
                SourceKind.MEETING, year=issued_on.year, minutes_issued_on=issued_on
            ).day
            found.deadline_basis = DEADLINE_TEN_WORKDAYS
            found.flags.append(_("纪要未写明时限，按印发后第10个工作日计。"))
        proposals.append(found)
    if not proposals:
        raise NothingFound(NO_DECISIONS, structure_of(lines))
    return ParsedDocument(
        kind="minutes",
        number=number or f"{body_label}纪要（{issued_on.isoformat()}印发）",
        number_words=number_words,
        title=number or raw_lines[0][:100],
        year=issued_on.year,
        issued_on=issued_on,
        proposals=proposals,
        structure=structure_of(lines),
        flags=flags,
    )


def plan_year(raw_lines: list[str]) -> tuple[int | None, str]:
    for text in raw_lines[:10]:
        if match := PLAN_YEAR.search(text):
            return int(match.group(1)), text
    return None, ""


def parse_work_plan(
    raw_lines: list[str], *, year: int | None, directory: UnitDirectory
) -> ParsedDocument:
    lines = classify(raw_lines)
    check_dates(lines)
    found_year, title_line = plan_year(raw_lines)
    if year is None:
        year = found_year
    if year is None:
        message = _("未能从标题识别工作要点的年度，请填写年度。")
        raise InvalidInput(message, errors={"year": message})
    present = [kind for kind, _pattern in MARKERS if any(line.kind == kind for line in lines)]
    # Tasks carry the lowest level of number; the levels above are the headings.
    task_level = present[-1] if present else None
    if task_level is None:
        raise NothingFound(_("未识别到工作任务（编号的条目）"), structure_of(lines))
    headings = _headings_above(lines, task_level)
    title = title_line or f"{year}年党政工作要点"
    proposals = []
    for position, paragraph in enumerate(_paragraphs(lines, task_level), start=1):
        found = _found(paragraph, position, headings.get(paragraph[0].number, ""))
        found.title = title_of(
            re.sub(r"[（(]?(?:牵头|责任|承办)(?:单位|部门)[:：].*$", "", found.content, flags=re.S)
        )
        read_units(found.source_text, directory, found)
        found.deadline = compute_deadline(SourceKind.ANNUAL, year=year).day  # R-D4
        found.deadline_basis = DEADLINE_YEAR_END
        proposals.append(found)
    return ParsedDocument(
        kind="work_plan",
        number=title,
        number_words=title_line,
        title=title,
        year=year,
        issued_on=None,
        proposals=proposals,
        structure=structure_of(lines),
    )


def highlight(text: str, evidence: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """`text` cut into (piece, field) pairs: field "" for words nothing was read from."""
    marks = sorted(
        (e for e in evidence if 0 <= e["start"] < e["end"] <= len(text)),
        key=lambda e: (e["start"], -e["end"]),
    )
    pieces: list[tuple[str, str]] = []
    at = 0
    for mark in marks:
        if mark["start"] < at:
            continue
        if mark["start"] > at:
            pieces.append((text[at : mark["start"]], ""))
        pieces.append((text[mark["start"] : mark["end"]], mark["field"]))
        at = mark["end"]
    if at < len(text):
        pieces.append((text[at:], ""))
    return pieces
