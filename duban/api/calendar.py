"""The working-day calendar (R-D6) over the API: read by anyone signed in, changed by
the system administrator only — a day, a year's calendar file, the State Council's
notice — through `duban.workcalendar.actions` (the admin's own path: audited, and the
working-day deadlines counted again).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from ninja import Path, Router

from duban.workcalendar import actions
from duban.workcalendar.calendar import year_schedule
from duban.workcalendar.models import CalendarDay, DayKind, YearStatus
from duban.workcalendar.notice import difference, new_kinds

from .errors import NotFound
from .items import READ_ERRORS, _user
from .schemas import ErrorOut
from .schemas_reports import (
    CalendarDayChangedOut,
    CalendarDayIn,
    CalendarFileIn,
    CalendarFileOut,
    CalendarYearNumber,
    CalendarYearOut,
    HolidayNoticeIn,
    HolidayNoticeOut,
)

router = Router(tags=["工作日历"])

# The days a person may edit: the years the calendar admin imports (CalendarImportForm).
FIRST_DAY, LAST_DAY = dt.date(1900, 1, 1), dt.date(2100, 12, 31)
CHANGE_RESPONSES: dict[int, Any] = {**READ_ERRORS, 403: ErrorOut}


def calendar_day(row: CalendarDay) -> dict[str, Any]:
    return {
        "day": row.day,
        "kind": row.kind,
        "kind_label": str(row.get_kind_display()),
        "note": row.note,
        "weekday": row.day.isoweekday(),
    }


@router.get(
    "/{int:year}",
    response={200: CalendarYearOut, **READ_ERRORS},
    summary=gettext_noop("某年度的工作日历"),
)
def read_calendar_year(request: HttpRequest, year: Path[CalendarYearNumber]) -> dict[str, Any]:
    """A year as deadlines are counted in it: its status (official once the State
    Council's notice is loaded; provisional, Monday to Friday, until then), the number
    of working days, the holidays that fall on weekdays and the make-up working days
    that fall on weekends. Every other Monday to Friday is a working day."""
    schedule = year_schedule(year)
    status = YearStatus.PROVISIONAL if schedule.provisional else YearStatus.OFFICIAL
    return {
        "year": year,
        "status": status.value,
        "status_label": str(status.label),
        "provisional": schedule.provisional,
        "source": schedule.source,
        "workdays": schedule.workdays,
        "holidays": [
            calendar_day(row) for row in schedule.exceptions if row.kind == DayKind.HOLIDAY
        ],
        "make_up_workdays": [
            calendar_day(row) for row in schedule.exceptions if row.kind == DayKind.WORKDAY
        ],
    }


@router.put(
    "/{int:year}",
    response={200: CalendarFileOut, **CHANGE_RESPONSES},
    summary=gettext_noop("以日历文件替换某年度的日历（系统管理员）"),
)
def load_calendar_year(
    request: HttpRequest, year: Path[CalendarYearNumber], payload: CalendarFileIn
) -> dict[str, Any]:
    """The system administrator replaces a year's calendar with a calendar file's text
    (as the admin's 导入年度日历) and the year becomes official. The whole file is
    checked first: a mistake (named by its line) changes nothing. The change is
    audited, and the working-day deadlines counted again (R-D6)."""
    loaded = actions.load_calendar_year(
        _user(request), year, payload.text.splitlines(), source=_("接口导入")
    )
    return {
        "year": year,
        "days": loaded.days,
        "moved": loaded.moved,
        "confirmed": loaded.confirmed,
        "message": _(
            "已导入%(year)d年日历，共%(days)d天，该年度已设为正式。按工作日计算的办结时限已重算："
            "%(moved)d项调整，%(confirmed)d项确认。"
        )
        % {"year": year, "days": loaded.days, "moved": loaded.moved, "confirmed": loaded.confirmed},
    }


@router.put(
    "/days/{day}",
    response={200: CalendarDayChangedOut, **CHANGE_RESPONSES},
    summary=gettext_noop("修改某一天为工作日或休息日（系统管理员）"),
)
def edit_calendar_day(request: HttpRequest, day: dt.date, payload: CalendarDayIn) -> dict[str, Any]:
    """The system administrator makes one day a working day or a day off (`day`:
    YYYY-MM-DD). The change is audited, and the working-day deadlines of its year are
    counted again (R-D6); the answer says how many moved."""
    if not FIRST_DAY <= day <= LAST_DAY:
        raise NotFound(_("日期超出日历范围（1900–2100年）。"))
    edited = actions.edit_day(_user(request), day, payload.kind, payload.note)
    return {"day": calendar_day(edited.day), "moved": edited.moved, "confirmed": edited.confirmed}


@router.post(
    "/holiday-notice",
    response={200: HolidayNoticeOut, **CHANGE_RESPONSES},
    summary=gettext_noop("按国务院节假日安排通知载入年度日历（系统管理员）"),
)
def load_holiday_notice(request: HttpRequest, payload: HolidayNoticeIn) -> dict[str, Any]:
    """The State Council's holiday notice, as its full text: with `confirm` false, a
    preview that changes nothing (the days it names and how they differ from the
    stored calendar); with `confirm` true, the year is loaded as official and its
    working-day deadlines counted again (R-D6)."""
    user = _user(request)
    lines = payload.text.splitlines()
    notice = actions.read_holiday_notice(user, lines, replace=payload.replace)
    kinds = dict(DayKind.choices)
    after = new_kinds(notice)
    changes = [
        {
            "day": change.day,
            "before": str(kinds[change.stored_kind]),
            "after": str(kinds[change.new_kind]),
            "note": after[change.day][1],
        }
        for change in difference(notice)
    ]
    answer: dict[str, Any] = {
        "year": notice.year,
        "loaded": False,
        "holidays": [day.day for day in notice.holidays],
        "make_up_workdays": [day.day for day in notice.make_up_workdays],
        "changes": changes,
        "message": _("预览：%(year)d年放假%(holidays)d天，调休上班%(workdays)d天，日历未改动。")
        % {
            "year": notice.year,
            "holidays": len(notice.holidays),
            "workdays": len(notice.make_up_workdays),
        },
    }
    if not payload.confirm:
        return answer
    _notice, loaded = actions.load_holiday_notice(user, lines, replace=payload.replace)
    answer.update(
        loaded=True,
        moved=loaded.moved,
        confirmed=loaded.confirmed,
        message=_(
            "已载入%(year)d年日历，该年度已设为正式。按工作日计算的办结时限已重算："
            "%(moved)d项调整，%(confirmed)d项确认。"
        )
        % {"year": notice.year, "moved": loaded.moved, "confirmed": loaded.confirmed},
    )
    return answer
