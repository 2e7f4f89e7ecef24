"""Reports to the leadership (R-F6, Art.16): per meeting, per leader, per period.

Each report lists items from `Item.objects.visible_to(user)` (R-C5) with status, light,
original and current deadline and lateness against both (R-E4), in a fixed number of
queries: the lights come from `annotate_lights`, lateness is counted by one
`WorkCalendar` loaded once for the page.

- Per meeting: the items of one meeting's minutes, grouped by the meeting body
  (`source_body`) and the day its minutes were issued (`minutes_issued_on`).
- Per leader: the items led by the units a school leader is in charge of, and the items
  established on that leader's decision (`deciding_leader`).
- Per period: items established, completed, and overdue in a date range (see
  `period_report`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from duban import clock
from duban.items.extension_rules import lateness
from duban.items.lights import (
    LightThresholds,
    annotate_lights,
    light_thresholds,
    overdue_filter,
    start_of,
)
from duban.items.models import Item, SourceBody, SourceKind
from duban.items.states import ACTIVE_STATUSES
from duban.organisation.models import Role, User
from duban.workcalendar.calendar import WorkCalendar

from .figures import COMPLETED_STATUSES, overdue_condition, reported_on

UNDATED = "undated"  # the URL's word for a meeting item without a minutes date


def summary_counts(today: dt.date) -> dict[str, Count]:
    return {
        "total": Count("pk"),
        "completed": Count("pk", filter=Q(status__in=COMPLETED_STATUSES)),
        "active": Count("pk", filter=Q(status__in=ACTIVE_STATUSES)),
        "overdue": Count("pk", filter=overdue_filter(today)),
    }


def report_rows(
    items: QuerySet[Item],
    today: dt.date | None = None,
    *,
    thresholds: LightThresholds | None = None,
    calendar: WorkCalendar | None = None,
) -> list[Item]:
    """The rows of a report: each item with its light and `lateness` (R-E4). Pass the
    `thresholds` and `calendar` of the page to share them between several lists."""
    today = today or clock.today()
    rows = list(
        annotate_lights(items, thresholds=thresholds or light_thresholds(today))
        .select_related("lead_unit")
        .order_by("deadline", "id")
    )
    if rows:
        calendar = calendar or WorkCalendar()
        first = min(min(row.deadline, row.original_deadline) for row in rows)
        calendar.ensure_loaded(first, max(today, *(row.deadline for row in rows)))
        for row in rows:
            row.lateness = lateness(row, today, calendar)  # type: ignore[attr-defined]
    return rows


# ----------------------------------------------------------------------------- per meeting


@dataclass
class Meeting:
    source_body: str
    minutes_issued_on: dt.date | None
    total: int
    completed: int
    active: int
    overdue: int

    @property
    def body_label(self) -> str:
        return str(SourceBody(self.source_body).label)

    @property
    def date_slug(self) -> str:
        return self.minutes_issued_on.isoformat() if self.minutes_issued_on else UNDATED


def meetings(user: Any, year: int, today: dt.date | None = None) -> list[Meeting]:
    """The meetings whose items are in the year's ledger, newest minutes first."""
    today = today or clock.today()
    rows = (
        Item.objects.visible_to(user)
        .filter(source_kind=SourceKind.MEETING, year=year)
        .values("source_body", "minutes_issued_on")
        .annotate(**summary_counts(today))
        .order_by("-minutes_issued_on", "source_body")
    )
    return [Meeting(**row) for row in rows]


def meeting_items(user: Any, source_body: str, minutes_issued_on: dt.date | None) -> QuerySet[Item]:
    return (
        Item.objects.visible_to(user)
        .filter(source_kind=SourceKind.MEETING, source_body=source_body)
        .filter(
            Q(minutes_issued_on=minutes_issued_on)
            if minutes_issued_on
            else Q(minutes_issued_on__isnull=True)
        )
    )


# ----------------------------------------------------------------------------- per leader


@dataclass
class LeaderLine:
    leader: User
    in_charge: dict[str, int]
    decided: dict[str, int]


def leaders() -> QuerySet[User]:
    return User.objects.filter(role=Role.SCHOOL_LEADER, is_active=True).order_by(
        "full_name", "username"
    )


def leader_lines(user: Any, year: int, today: dt.date | None = None) -> list[LeaderLine]:
    """Each school leader with the year's counts of both lists (three queries)."""
    today = today or clock.today()
    items = Item.objects.visible_to(user).filter(year=year)
    counts = summary_counts(today)
    zero = dict.fromkeys(counts, 0)
    by_charge = {
        row.pop("lead_unit__leader_in_charge"): row
        for row in items.values("lead_unit__leader_in_charge").annotate(**counts).order_by()
    }
    by_decision = {
        row.pop("deciding_leader"): row
        for row in items.values("deciding_leader").annotate(**counts).order_by()
    }
    return [
        LeaderLine(
            leader, by_charge.get(leader.pk, dict(zero)), by_decision.get(leader.pk, dict(zero))
        )
        for leader in leaders()
    ]


def leader_items(user: Any, leader: User, year: int) -> tuple[QuerySet[Item], QuerySet[Item]]:
    """(items of the units in the leader's charge, items established on the leader's
    decision) of the year."""
    items = Item.objects.visible_to(user).filter(year=year)
    return (
        items.filter(lead_unit__leader_in_charge=leader),
        items.filter(deciding_leader=leader),
    )


# ----------------------------------------------------------------------------- per period


@dataclass
class PeriodReport:
    start: dt.date
    end: dt.date
    established: list[Item]
    completed: list[Item]
    overdue: list[Item]


def period_querysets(
    user: Any, start: dt.date, end: dt.date, today: dt.date | None = None
) -> dict[str, QuerySet[Item]]:
    """The three lists of a period [start, end], both days included:

    - established: established on a day of the period;
    - completed: accepted as completed on a day of the period;
    - overdue: the deadline fell in the period and the lead unit missed it — still not
      reported and now past it, or reported after it (the assessment's 超期, as of today;
      terminated items are no longer due).
    """
    today = today or clock.today()
    visible = Item.objects.visible_to(user)
    after, before = start_of(start), start_of(end + dt.timedelta(days=1))
    return {
        "established": visible.filter(established_at__gte=after, established_at__lt=before),
        "completed": visible.filter(completed_at__gte=after, completed_at__lt=before),
        "overdue": visible.alias(reported_on=reported_on()).filter(
            overdue_condition(today), deadline__gte=start, deadline__lte=end
        ),
    }


def period_report(
    user: Any, start: dt.date, end: dt.date, today: dt.date | None = None
) -> PeriodReport:
    today = today or clock.today()
    lists = period_querysets(user, start, end, today)
    shared: dict[str, Any] = {"thresholds": light_thresholds(today), "calendar": WorkCalendar()}
    return PeriodReport(
        start=start,
        end=end,
        established=report_rows(lists["established"], today, **shared),
        completed=report_rows(lists["completed"], today, **shared),
        overdue=report_rows(lists["overdue"], today, **shared),
    )


def default_period(today: dt.date) -> tuple[dt.date, dt.date]:
    """This month so far."""
    return today.replace(day=1), today


def period_title(start: dt.date, end: dt.date) -> str:
    return _("%(start)s至%(end)s") % {"start": start.isoformat(), "end": end.isoformat()}
