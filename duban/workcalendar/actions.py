"""The calendar's changes by a person (R-D6): one day edited, a year's calendar file
loaded, or the State Council's holiday notice loaded. Only the system administrator
may make them (三员分立: units, people and the calendar are theirs).

Each goes through the calendar module (`calendar.set_day`, `calendar.load_year`,
`notice.load_notice`) and counts the working-day deadlines again
(`recompute_working_day_deadlines`), in one transaction with its audit event: a
refusal changes nothing. The admin's day edit and file import call `edit_day` and
`load_calendar_year`; the API calls all three.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from duban.accounts.admin_audit import record_admin_change, snapshot
from duban.accounts.roles import has_role
from duban.audit.models import record
from duban.items.actions.recompute import recompute_working_day_deadlines
from duban.items.errors import InvalidInput, PermissionRefused
from duban.organisation.models import Role

from .calendar import NOTE_MAX_LENGTH, CalendarFileError, load_year, set_day
from .models import CalendarDay, DayKind
from .notice import (
    HolidayNotice,
    LoadedNotice,
    NoticeError,
    check_replace,
    load_notice,
    parse_notice,
)

EDITED_FIELDS = ["kind", "note"]


def require_calendar_admin(actor: Any) -> None:
    if not has_role(actor, Role.SYSTEM_ADMIN):
        raise PermissionRefused(_("只有系统管理员可以修改工作日历。"))


@dataclass(frozen=True)
class EditedDay:
    day: CalendarDay
    moved: int
    confirmed: int


def edit_day(actor: Any, day: dt.date, kind: str, note: str = "") -> EditedDay:
    """Make `day` a working day or a day off, audited, and recount the deadlines of
    its year."""
    require_calendar_admin(actor)
    if kind not in DayKind.values:
        raise InvalidInput(
            _("类型无效。"), errors={"kind": _("类型须为 workday（工作日）或 holiday（休息日）。")}
        )
    if len(note) > NOTE_MAX_LENGTH:
        message = _("备注过长，最多 %(max)d 个字") % {"max": NOTE_MAX_LENGTH}
        raise InvalidInput(message, errors={"note": message})
    with transaction.atomic():
        previous = CalendarDay.objects.select_for_update().filter(day=day).first()
        before = snapshot(previous, EDITED_FIELDS) if previous is not None else None
        stored = set_day(day, kind, note)
        record_admin_change(actor, stored, before, snapshot(stored, EDITED_FIELDS))
        recounted = recompute_working_day_deadlines(day.year, actor)
    return EditedDay(stored, recounted.moved, recounted.confirmed)


@dataclass(frozen=True)
class LoadedYear:
    days: int
    moved: int
    confirmed: int


def load_calendar_year(actor: Any, year: int, lines: Iterable[str], *, source: str) -> LoadedYear:
    """Replace `year`'s calendar from a calendar file's lines (`calendar.load_year`) and
    mark it official, audited; the working-day deadlines are counted again (R-D6). A
    file with a mistake changes nothing."""
    require_calendar_admin(actor)
    try:
        with transaction.atomic():
            stored = load_year(year, lines, source=source)
            recounted = recompute_working_day_deadlines(year, actor)
            record(
                actor,
                "admin_load_calendar",
                _("导入%(year)d年日历（%(days)d天），该年度设为正式")
                % {"year": year, "days": stored},
                data={"year": year, "days": stored},
            )
    except (CalendarFileError, ValueError) as error:
        raise InvalidInput(str(error), errors={"text": str(error)}) from None
    return LoadedYear(stored, recounted.moved, recounted.confirmed)


def read_holiday_notice(actor: Any, lines: Iterable[str], *, replace: bool) -> HolidayNotice:
    """The notice, parsed and checked against the stored calendar (nothing written):
    the preview before `load_holiday_notice`."""
    require_calendar_admin(actor)
    try:
        notice = parse_notice(lines)
        check_replace(notice, replace=replace)
    except NoticeError as error:
        raise InvalidInput(str(error), errors={"text": str(error)}) from None
    return notice


def load_holiday_notice(
    actor: Any, lines: Iterable[str], *, replace: bool
) -> tuple[HolidayNotice, LoadedNotice]:
    """Load the notice's year as official (R-D6), as the admin's notice page does."""
    notice = read_holiday_notice(actor, lines, replace=replace)
    try:
        return notice, load_notice(notice, actor=actor, replace=replace)
    except NoticeError as error:
        raise InvalidInput(str(error), errors={"text": str(error)}) from None
