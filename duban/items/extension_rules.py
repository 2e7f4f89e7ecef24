"""The rules of extensions as plain functions (R-E2–E4, Art.22): the latest day an
application may be filed, who decides it, and how late an item is against both its
current and its original deadline.

Working days are counted only by `duban.workcalendar.calendar`; the 3 months of R-E3
are calendar months.
"""

from __future__ import annotations

import datetime as dt
from calendar import monthrange
from typing import Any, NamedTuple

from django.db.models import Q
from django.utils import timezone

from duban import clock
from duban.workcalendar.calendar import WorkCalendar, subtract_workdays

from .models import ExtensionApprover, ExtensionStatus
from .states import ACTIVE_STATUSES, Status

FILING_WORKDAYS = 5  # R-E2: no later than the 5th working day before the deadline
OFFICE_MONTHS = 3  # R-E3: up to 3 calendar months the supervising office decides


def add_months(day: dt.date, months: int) -> dt.date:
    """`day` plus whole calendar months, the day clamped to the month's end
    (11-30 + 3 months = 02-28, or 02-29 in a leap year)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, monthrange(year, month)[1]))


def latest_filing_day(deadline: dt.date) -> dt.date:
    """R-E2: the last day an extension may be applied for: deadline − 5 working days."""
    return subtract_workdays(deadline, FILING_WORKDAYS).day


def office_limit(current_deadline: dt.date) -> dt.date:
    """The latest new deadline the supervising office may grant (R-E3)."""
    return add_months(current_deadline, OFFICE_MONTHS)


def approver_kind_for(current_deadline: dt.date, requested_deadline: dt.date) -> str:
    """R-E3: up to 3 calendar months → the office; more → the leader in charge."""
    if requested_deadline <= office_limit(current_deadline):
        return ExtensionApprover.OFFICE
    return ExtensionApprover.LEADER


def pending_extension_filter() -> Q:
    """Items whose extension request awaits a decision (only active items can be decided)."""
    return Q(extension_request__status=ExtensionStatus.PENDING, status__in=ACTIVE_STATUSES)


# ----------------------------------------------------------------------------- lateness (R-E4)


class Lateness(NamedTuple):
    """Working days late against the current and against the original deadline."""

    against_current: int
    against_original: int

    @property
    def differs(self) -> bool:
        return self.against_current != self.against_original


def lateness_until(item: Any, today: dt.date) -> dt.date | None:
    """The day lateness is counted to: the completion report's submission for items that
    reported, today for items still being handled; None for terminated items, which are
    no longer due."""
    if item.status == Status.TERMINATED:
        return None
    if item.status in ACTIVE_STATUSES and item.status != Status.SUBMITTED:
        return today
    reported = item.submitted_at or item.completed_at
    return timezone.localdate(reported) if reported is not None else today


def lateness(
    item: Any, today: dt.date | None = None, work_calendar: WorkCalendar | None = None
) -> Lateness:
    """How many working days `item` is (or was) late against its current deadline and
    against its original one (R-E4). Pass a `WorkCalendar` to reuse it over many items."""
    until = lateness_until(item, today or clock.today())
    if until is None:
        return Lateness(0, 0)
    work_calendar = work_calendar or WorkCalendar()
    return Lateness(
        work_calendar.workdays_between(item.deadline, until).count,
        work_calendar.workdays_between(item.original_deadline, until).count,
    )
