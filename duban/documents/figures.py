"""The circular's figures (R-K4): per lead unit, for a period, through the visibility
rule (R-C5: what the office may see, and nothing else).

Set-based: one grouped query for the item figures, one for the urges, one for the
units' names, one for the overdue list — whatever the number of items. Working days
(days overdue) come only from `duban.workcalendar.calendar`.

The assessment figures (`duban.reports.figures`, R-K3) count a ledger year; a circular
covers any period, so the selection of items by period is this module's, while the
definitions are theirs: the completion day is the day the report went to the office
(`reported_on`), urges are those counted against a unit (`counted_urges`), and overdue
is judged as `overdue_condition` judges it, taken on the period's last day. A circular
of a whole year and the assessment of that year therefore agree on every item
established and closed within the year.

Definitions, for a period [start, end] and `as_of` = the earlier of `end` and today
(printed under the circular's table, `DEFINITIONS`):
- 承办事项数 (led): items the unit leads that were under supervision during the period:
  established by its end, and neither completed nor terminated before its start.
- 已办结 (completed): of those, completed (report accepted) within the period.
- 按期办结 (completed on time): completed within the period, with the report sent on or
  before the deadline in force (the approved one, R-E4).
- 超期未办结 (overdue): on `as_of`, established, neither completed nor terminated, past
  the deadline in force (overdue from the day after it, R-U4), and not already
  reported on time (a report sent in time and awaiting review is not late).
- 催办次数 (urges): urges the unit received within the period on those items, by the
  office or automatic, without the reminders before the deadline (R-U2, R-U3); shown
  apart as 人工催办 (by a person: phone, SMS, visit, ...) and 自动催办 (the sweep's
  overdue, urgent first-feedback and phased-report steps).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, F, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from duban import clock
from duban.items.lights import start_of
from duban.items.models import Item
from duban.items.states import Status
from duban.items.urges import AUTOMATIC, MANUAL, counted_urges
from duban.organisation.models import Unit
from duban.reports.figures import REPORTED_STATUSES, reported_on
from duban.workcalendar.calendar import WorkCalendar

ONE_DAY = dt.timedelta(days=1)

DEFINITIONS = (
    _("承办事项数：期末前已立项、期初前尚未办结或终止的本单位承办事项。"),
    _("已办结：其中在本期内审核通过办结的事项。"),
    _(
        "按期办结：本期内办结，且办结报告报送日不晚于现行办结时限（经批准延期的，"
        "为延期后的时限）的事项。"
    ),
    _(
        "超期未办结：截至统计日已超过现行办结时限（时限次日起算）、仍未办结且未终止的事项；"
        "已按期报送办结报告、正在审核的不计。"
    ),
    _("催办次数：本期内各单位被催办的次数，含督办部门催办和系统自动催办，不含到期前的提醒。"),
    _("人工催办：其中督办人员以系统通知、短信、电话、当面等方式催办的次数。"),
    _("自动催办：其中系统按规则自动催办的次数（超期催办、紧急事项首次反馈催办、阶段性反馈催报）。"),
)


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date

    @property
    def as_of(self) -> dt.date:
        """The day the overdue count is taken: the period's end, or today if earlier."""
        return min(self.end, clock.today())


@dataclass(frozen=True)
class UnitFigures:
    unit_id: int | None
    unit_name: str
    led: int = 0
    completed: int = 0
    completed_on_time: int = 0
    overdue: int = 0
    urges: int = 0
    urges_manual: int = 0
    urges_automatic: int = 0


@dataclass(frozen=True)
class OverdueRow:
    item_id: int
    ledger_number: str
    title: str
    lead_unit: str
    deadline: dt.date
    workdays_overdue: int
    provisional: bool


def office_items(user: object, office: Unit) -> QuerySet[Item]:
    """The office's items as `user` may see them (R-C5)."""
    return Item.objects.visible_to(user).filter(supervising_office=office)


def _before(day: dt.date) -> Q:
    """Not yet closed at the start of `day`."""
    begin = start_of(day)
    return (Q(completed_at__isnull=True) | Q(completed_at__gte=begin)) & (
        Q(terminated_at__isnull=True) | Q(terminated_at__gte=begin)
    )


def period_items(user: object, office: Unit, period: Period) -> QuerySet[Item]:
    """Items under supervision during the period: established by its end, not closed
    before its start; with `reported_on`, the day the report went to the office."""
    return (
        office_items(user, office)
        .exclude(status=Status.DRAFT)
        .filter(established_at__lt=start_of(period.end + ONE_DAY))
        .filter(_before(period.start))
        .alias(reported_on=reported_on())
    )


def overdue_filter(as_of: dt.date) -> Q:
    """Overdue on `as_of` (over `period_items`): established and open at its end, past
    the deadline, and not reported on time."""
    after = as_of + ONE_DAY
    reported_in_time = Q(status__in=REPORTED_STATUSES, reported_on__lte=F("deadline"))
    return (
        Q(established_at__lt=start_of(after), deadline__lt=as_of)
        & _before(after)
        & ~reported_in_time
    )


def unit_figures(user: object, office: Unit, period: Period) -> list[UnitFigures]:
    """One row per lead unit with any figure, ordered by unit code."""
    begin, finish = start_of(period.start), start_of(period.end + ONE_DAY)
    completed = Q(completed_at__gte=begin, completed_at__lt=finish)
    items = period_items(user, office, period)
    counts = {
        row["lead_unit"]: row
        for row in items.order_by()
        .values("lead_unit")
        .annotate(
            led=Count("pk"),
            completed=Count("pk", filter=completed),
            completed_on_time=Count("pk", filter=completed & Q(reported_on__lte=F("deadline"))),
            overdue=Count("pk", filter=overdue_filter(period.as_of)),
        )
    }
    urges = {
        row["unit"]: row
        for row in counted_urges()
        .filter(item__in=items.values("pk"), created_at__gte=begin, created_at__lt=finish)
        .order_by()
        .values("unit")
        .annotate(
            count=Count("pk"),
            manual=Count("pk", filter=MANUAL),
            by_sweep=Count("pk", filter=AUTOMATIC),
        )
    }
    units = Unit.objects.filter(pk__in=set(counts) | set(urges)).order_by("code", "pk")
    rows = []
    for unit in units.only("pk", "name", "code"):
        row = counts.get(unit.pk, {})
        rows.append(
            UnitFigures(
                unit_id=unit.pk,
                unit_name=unit.name,
                led=row.get("led", 0),
                completed=row.get("completed", 0),
                completed_on_time=row.get("completed_on_time", 0),
                overdue=row.get("overdue", 0),
                urges=urges.get(unit.pk, {}).get("count", 0),
                urges_manual=urges.get(unit.pk, {}).get("manual", 0),
                urges_automatic=urges.get(unit.pk, {}).get("by_sweep", 0),
            )
        )
    return rows


def total_of(rows: list[UnitFigures]) -> UnitFigures:
    return UnitFigures(
        unit_id=None,
        unit_name=str(_("合计")),
        led=sum(row.led for row in rows),
        completed=sum(row.completed for row in rows),
        completed_on_time=sum(row.completed_on_time for row in rows),
        overdue=sum(row.overdue for row in rows),
        urges=sum(row.urges for row in rows),
        urges_manual=sum(row.urges_manual for row in rows),
        urges_automatic=sum(row.urges_automatic for row in rows),
    )


def overdue_rows(user: object, office: Unit, period: Period) -> list[OverdueRow]:
    """The overdue items on `period.as_of`, by lead unit and deadline, with the working
    days they are overdue (counted by the calendar, R-D6)."""
    as_of = period.as_of
    items = (
        period_items(user, office, period)
        .filter(overdue_filter(as_of))
        .select_related("lead_unit")
        .order_by("lead_unit__code", "deadline", "ledger_number")
    )
    calendar = WorkCalendar()
    rows = []
    for item in items:
        late = calendar.workdays_between(item.deadline, as_of)
        rows.append(
            OverdueRow(
                item_id=item.pk,
                ledger_number=item.ledger_number,
                title=item.title,
                lead_unit=item.lead_unit.name,
                deadline=item.deadline,
                workdays_overdue=late.count,
                provisional=late.provisional,
            )
        )
    return rows
