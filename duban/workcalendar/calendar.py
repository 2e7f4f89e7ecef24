"""Working days (RULES R-D6): the one module that counts them.

Every question about working days goes through the functions here; nothing else in
the project counts days. The answers come from the stored `CalendarDay` rows; a day
without a row is a working day from Monday to Friday. A year without official data
(no `CalendarYear` row, or a provisional one) still answers, Monday to Friday unless
rows were stored for it, and every result that depends on it is flagged provisional.

Periods follow Civil Code Art.201 (R-D2): the start day itself is never counted.

Each public function reads the calendar in a bounded number of queries: the day rows
of a date window sized for the question together with the official years (a small
table, one row per year) in one statement, and the window extended only when a count
runs past it. Code that asks many questions at
once (a list of items) can build one `WorkCalendar` and reuse it.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import reduce

from django.db import transaction
from django.db.models import CharField, DateField, IntegerField, Q, QuerySet, Value
from django.db.models.functions import Cast
from django.utils.translation import gettext as _

from duban.compiled import compiled_rows
from duban.workcalendar.models import CalendarDay, CalendarYear, DayKind, YearStatus

__all__ = [
    "CalendarFileError",
    "CountResult",
    "DayResult",
    "WorkCalendar",
    "WorkdayAnswer",
    "add_workdays",
    "is_workday",
    "load_year",
    "parse_iso_date",
    "set_day",
    "subtract_workdays",
    "workdays_between",
    "year_schedule",
    "year_status",
]

ONE_DAY = timedelta(days=1)
# Extra calendar days fetched beyond the estimate, enough for the longest break
# (Spring Festival or National Day, up to 9 days off in a row).
WINDOW_MARGIN_DAYS = 20
DATE_PATTERN = re.compile(r"\d{4}-\d{2}-\d{2}")
KIND_WORDS = {
    "workday": DayKind.WORKDAY,
    "holiday": DayKind.HOLIDAY,
    "工作日": DayKind.WORKDAY,
    "休息日": DayKind.HOLIDAY,
}
NOTE_MAX_LENGTH = CalendarDay._meta.get_field("note").max_length or 100


@dataclass(frozen=True)
class DayResult:
    day: date
    provisional: bool  # True when any day counted (or the day asked) lies in a provisional year


@dataclass(frozen=True)
class WorkdayAnswer:
    is_workday: bool
    provisional: bool


@dataclass(frozen=True)
class CountResult:
    count: int
    provisional: bool


class CalendarFileError(Exception):
    """A calendar file cannot be loaded; `line_number` is 1-based (0: the whole file)."""

    def __init__(self, line_number: int, message: str) -> None:
        super().__init__(line_number, message)
        self.line_number = line_number
        self.message = message

    def __str__(self) -> str:
        if self.line_number == 0:
            return self.message
        return _("第 %(line)d 行：%(message)s") % {
            "line": self.line_number,
            "message": self.message,
        }


def parse_iso_date(text: str) -> date:
    """Parse exactly `YYYY-MM-DD`; raise ValueError otherwise.

    `date.fromisoformat` alone also takes forms such as `20261001` or `2026-W40-4`.
    """
    if not DATE_PATTERN.fullmatch(text):
        raise ValueError(text)
    return date.fromisoformat(text)


class WorkCalendar:
    """The stored calendar, read lazily by date window.

    Not a cache across requests: build one per question (the public functions do) or
    per page, so an edit of the calendar is seen by the next page.
    """

    def __init__(self) -> None:
        self._official_years: set[int] | None = None
        self._kinds: dict[date, str] = {}
        self._loaded_from: date | None = None
        self._loaded_to: date | None = None
        # _workdays_before[i]: working days in [loaded_from, loaded_from + i), built on the
        # first count over the loaded window, so each count is two lookups, not a walk.
        self._workdays_before: list[int] | None = None

    # -- loading ---------------------------------------------------------------

    def _load_years(self) -> set[int]:
        if self._official_years is None:
            self._official_years = set(
                CalendarYear.objects.filter(status=YearStatus.OFFICIAL).values_list(
                    "year", flat=True
                )
            )
        return self._official_years

    def ensure_loaded(self, first: date, last: date) -> None:
        """Make sure the day rows of [first, last] are in memory (one query at most; the
        first also brings the official years)."""
        if self._is_loaded(first) and self._is_loaded(last):
            return
        if self._loaded_from is None or self._loaded_to is None:
            self._loaded_from, self._loaded_to = first, last
            self._load_days_and_years(first, last)
            return
        # Keep the loaded window contiguous, fetching only the days not yet held.
        parts = []
        if first < self._loaded_from:
            parts.append(Q(day__gte=first, day__lt=self._loaded_from))
        if last > self._loaded_to:
            parts.append(Q(day__gt=self._loaded_to, day__lte=last))
        self._loaded_from = min(first, self._loaded_from)
        self._loaded_to = max(last, self._loaded_to)
        days = CalendarDay.objects.filter(reduce(operator.or_, parts)).order_by()
        self._kinds.update(days.values_list("day", "kind"))  # the years came with the first
        self._workdays_before = None

    def _load_days_and_years(self, first: date, last: date) -> None:
        """The day rows of [first, last] and the official years in one statement (UNION
        ALL): every page that shows a light asks both, and a query costs more than its
        two small reads. A day row has no year; a year row has only its year. The
        statement is compiled once per process for its window (`compiled_rows`): the
        ORM took six times as long to build it as the database to answer it."""

        def build() -> QuerySet[CalendarDay, tuple[date | None, str | None, int | None]]:
            no_year = Cast(Value(None), IntegerField())
            official = (
                CalendarYear.objects.filter(status=YearStatus.OFFICIAL)
                .order_by()
                .values_list(Cast(Value(None), DateField()), Cast(Value(None), CharField()), "year")
            )
            days = CalendarDay.objects.filter(day__range=(first, last)).order_by()
            return days.values_list("day", "kind", no_year).union(official, all=True)

        years: set[int] = set()
        for day, kind, year in compiled_rows(("calendar", first, last), build):
            if year is None:
                self._kinds[day] = kind
            else:
                years.add(year)
        self._official_years = years
        self._workdays_before = None

    # -- answers over loaded days ----------------------------------------------

    def is_provisional_year(self, year: int) -> bool:
        return year not in self._load_years()

    def _is_workday_loaded(self, day: date) -> bool:
        kind = self._kinds.get(day)
        if kind is not None:
            return kind == DayKind.WORKDAY
        return day.weekday() < 5

    def is_workday(self, day: date) -> WorkdayAnswer:
        self.ensure_loaded(day, day)
        return WorkdayAnswer(
            is_workday=self._is_workday_loaded(day),
            provisional=self.is_provisional_year(day.year),
        )

    def add_workdays(self, start: date, n: int) -> DayResult:
        return self._step(start, n, forward=True)

    def subtract_workdays(self, start: date, n: int) -> DayResult:
        return self._step(start, n, forward=False)

    def workdays_between(self, start: date, end: date) -> CountResult:
        if end <= start:
            return CountResult(count=0, provisional=False)
        self.ensure_loaded(start + ONE_DAY, end)
        before = self._running_workdays()
        origin = self._loaded_from
        assert origin is not None  # loaded just above
        # Working days in (start, end] = those before end + 1 minus those before start + 1.
        count = before[(end - origin).days + 1] - before[(start - origin).days + 1]
        provisional = any(
            self.is_provisional_year(year) for year in range((start + ONE_DAY).year, end.year + 1)
        )
        return CountResult(count=count, provisional=provisional)

    def _step(self, start: date, n: int, *, forward: bool) -> DayResult:
        if n < 0:
            raise ValueError(_("工作日数不能为负数"))
        if n == 0:
            return DayResult(day=start, provisional=self.is_provisional_year(start.year))
        step = ONE_DAY if forward else -ONE_DAY
        # About 7 calendar days per 5 working days, plus room for a long break.
        span = n * 7 // 5 + WINDOW_MARGIN_DAYS
        self._ensure_ahead(start, span, forward=forward)
        day = start
        remaining = n
        while remaining:
            try:
                day += step
            except OverflowError:
                raise ValueError(_("日期超出可计算的范围")) from None
            if not self._is_loaded(day):
                # Ran past the window: fetch a larger one in a single query.
                span *= 2
                self._ensure_ahead(day - step, span, forward=forward)
            if self._is_workday_loaded(day):
                remaining -= 1
        first, last = (start + ONE_DAY, day) if forward else (day, start - ONE_DAY)
        provisional = any(
            self.is_provisional_year(year) for year in range(first.year, last.year + 1)
        )
        return DayResult(day=day, provisional=provisional)

    def _running_workdays(self) -> list[int]:
        if self._workdays_before is None:
            assert self._loaded_from is not None and self._loaded_to is not None
            running = [0]
            day = self._loaded_from
            while day <= self._loaded_to:
                running.append(running[-1] + self._is_workday_loaded(day))
                day += ONE_DAY
            self._workdays_before = running
        return self._workdays_before

    def _is_loaded(self, day: date) -> bool:
        if self._loaded_from is None or self._loaded_to is None:
            return False
        return self._loaded_from <= day <= self._loaded_to

    def _ensure_ahead(self, origin: date, days: int, *, forward: bool) -> None:
        """Load `days` calendar days from `origin` in the counting direction."""
        if forward:
            last = origin + timedelta(days=min(days, (date.max - origin).days))
            self.ensure_loaded(origin, last)
        else:
            first = origin - timedelta(days=min(days, (origin - date.min).days))
            self.ensure_loaded(first, origin)


# -- the public questions -----------------------------------------------------------


def is_workday(day: date) -> WorkdayAnswer:
    """Whether `day` is a working day, and whether that answer is provisional."""
    return WorkCalendar().is_workday(day)


def add_workdays(start: date, n: int) -> DayResult:
    """The n-th working day after `start` (start not counted, R-D2); n == 0 gives start."""
    return WorkCalendar().add_workdays(start, n)


def subtract_workdays(start: date, n: int) -> DayResult:
    """The n-th working day before `start` (start not counted, R-E2); n == 0 gives start."""
    return WorkCalendar().subtract_workdays(start, n)


def workdays_between(start: date, end: date) -> CountResult:
    """The number of working days in (start, end]; 0 when end <= start."""
    return WorkCalendar().workdays_between(start, end)


def year_status(year: int) -> str:
    """`"official"` when the year's calendar is loaded as official, else `"provisional"`."""
    if CalendarYear.objects.filter(year=year, status=YearStatus.OFFICIAL).exists():
        return YearStatus.OFFICIAL.value
    return YearStatus.PROVISIONAL.value


# -- changing the calendar ------------------------------------------------------------


def _days_of_year(year: int) -> list[date]:
    first = date(year, 1, 1)
    count = (date(year, 12, 31) - first).days + 1
    return [first + timedelta(days=offset) for offset in range(count)]


def _default_kind(day: date) -> str:
    return DayKind.WORKDAY if day.weekday() < 5 else DayKind.HOLIDAY


def _check_year(year: int) -> None:
    if not 1 <= year <= date.max.year:
        raise ValueError(_("年度无效：%(year)s") % {"year": year})


def _parse_calendar_lines(year: int, lines: Iterable[str]) -> dict[date, tuple[str, str]]:
    entries: dict[date, tuple[str, str]] = {}
    first_seen: dict[date, int] = {}
    for line_number, raw_line in enumerate(lines, start=1):
        line = raw_line.lstrip("\ufeff").strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split(None, 2)
        if len(parts) < 2:
            raise CalendarFileError(
                line_number,
                _("格式应为“YYYY-MM-DD workday|holiday [备注]”，实为“%(line)s”") % {"line": line},
            )
        date_text, kind_text = parts[0], parts[1]
        note = parts[2].strip() if len(parts) == 3 else ""
        try:
            day = parse_iso_date(date_text)
        except ValueError:
            raise CalendarFileError(
                line_number,
                _("日期“%(text)s”无效，应为 YYYY-MM-DD") % {"text": date_text},
            ) from None
        kind = KIND_WORDS.get(kind_text.lower())
        if kind is None:
            raise CalendarFileError(
                line_number,
                _("类型“%(text)s”无效，应为 workday、holiday、工作日或休息日")
                % {"text": kind_text},
            )
        if day.year != year:
            raise CalendarFileError(
                line_number,
                _("日期 %(day)s 不在 %(year)d 年内") % {"day": day.isoformat(), "year": year},
            )
        if day in entries:
            raise CalendarFileError(
                line_number,
                _("日期 %(day)s 重复（第 %(first)d 行已有）")
                % {"day": day.isoformat(), "first": first_seen[day]},
            )
        if len(note) > NOTE_MAX_LENGTH:
            raise CalendarFileError(
                line_number, _("备注过长，最多 %(max)d 个字") % {"max": NOTE_MAX_LENGTH}
            )
        entries[day] = (kind, note)
        first_seen[day] = line_number
    if not entries:
        # An official year always has holidays; an empty file is a mistake, and
        # loading it would silently erase the year's holidays.
        raise CalendarFileError(0, _("文件中没有任何日期行"))
    return entries


def load_year(year: int, lines: Iterable[str], *, source: str) -> int:
    """Replace `year`'s schedule from text lines and mark the year official.

    One day a line: `YYYY-MM-DD workday|holiday [note...]` (or 工作日/休息日); blank
    lines and lines starting with `#` are ignored; days not listed follow Monday to
    Friday. The whole file is checked before anything is written, so a
    `CalendarFileError` changes nothing. Returns the number of days stored (365/366).
    """
    _check_year(year)
    entries = _parse_calendar_lines(year, lines)
    days = []
    for day in _days_of_year(year):
        kind, note = entries.get(day, (_default_kind(day), ""))
        days.append(CalendarDay(day=day, kind=kind, note=note))
    with transaction.atomic():
        CalendarDay.objects.filter(day__year=year).delete()
        CalendarDay.objects.bulk_create(days, batch_size=1000)
        CalendarYear.objects.update_or_create(
            year=year,
            defaults={"status": YearStatus.OFFICIAL, "source": source},
        )
    return len(days)


@transaction.atomic
def set_day(day: date, kind: str, note: str = "") -> CalendarDay:
    """An administrator's edit of one day.

    A year without rows first gets all its days as Monday to Friday, so that every
    day of a stored year has a row. The year's status is left as it is; a year never
    seen before is recorded as provisional.
    """
    if kind not in DayKind.values:
        raise ValueError(_("类型“%(kind)s”无效") % {"kind": kind})
    if len(note) > NOTE_MAX_LENGTH:
        raise ValueError(_("备注过长，最多 %(max)d 个字") % {"max": NOTE_MAX_LENGTH})
    calendar_year, created = CalendarYear.objects.get_or_create(
        year=day.year,
        defaults={"status": YearStatus.PROVISIONAL, "source": _("管理员编辑")},
    )
    if not created:
        calendar_year.save(update_fields=["updated_at"])
    if not CalendarDay.objects.filter(day__year=day.year).exists():
        CalendarDay.objects.bulk_create(
            [CalendarDay(day=d, kind=_default_kind(d)) for d in _days_of_year(day.year)],
            batch_size=1000,
        )
    stored, _created = CalendarDay.objects.update_or_create(
        day=day, defaults={"kind": kind, "note": note}
    )
    return stored


# -- reading a year, as people read it ----------------------------------------------------


@dataclass(frozen=True)
class YearSchedule:
    year: int
    provisional: bool
    source: str
    workdays: int
    # The stored days whose kind is not the Monday-to-Friday default: the statutory
    # holidays on weekdays and the make-up working days on weekends, in date order.
    exceptions: list[CalendarDay]


def year_schedule(year: int) -> YearSchedule:
    """`year` as the calendar counts it (two queries): a year with no rows is Monday to
    Friday and provisional."""
    _check_year(year)
    row = CalendarYear.objects.filter(year=year).first()
    stored = {day.day: day for day in CalendarDay.objects.filter(day__year=year).order_by("day")}
    workdays = 0
    exceptions = []
    for day in _days_of_year(year):
        found = stored.get(day)
        kind = found.kind if found is not None else _default_kind(day)
        workdays += kind == DayKind.WORKDAY
        if found is not None and kind != _default_kind(day):
            exceptions.append(found)
    return YearSchedule(
        year=year,
        provisional=row is None or row.status != YearStatus.OFFICIAL,
        source=row.source if row is not None else "",
        workdays=workdays,
        exceptions=exceptions,
    )
