"""The dashboard of the office and the school leaders: a year's items by status, light,
lead unit and source kind, the monthly trend, and overdue items by unit.

Every count is over `Item.objects.visible_to(user)` (R-C5), in a fixed number of
aggregate queries whatever the number of items. Counts of the year's items (status,
light, unit, source kind, overdue) link to the ledger with the same filters, which
lists exactly those items: the ledger applies the same visibility rule and the same
conditions (overdue: still active and past the deadline, R-U4; lights from
`annotate_lights`). The trend counts items established, and items completed, in each
month of the year, whatever their ledger year.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.db.models import Count, Q, QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _

from duban import clock
from duban.items.lights import (
    GREEN,
    GREY,
    LIGHTS,
    RED,
    YELLOW,
    annotate_lights,
    light_filter,
    light_thresholds,
    overdue_filter,
    start_of,
)
from duban.items.models import FIGURE_ROWS, Item, SourceKind
from duban.items.states import ACTIVE_STATUSES, CLOSED_STATUSES, Status
from duban.organisation.models import Role, Unit

from .charts import Bar, BarChart, TrendChart
from .figures import COMPLETED_STATUSES

TOP_UNITS = 10
LIGHT_ORDER = (RED, YELLOW, GREEN, GREY)


def ledger_link(year: int, **filters: Any) -> str:
    return f"{reverse('ledger')}?{urlencode({'year': year, **filters})}"


@dataclass
class UnitLine:
    unit_id: int
    name: str
    code: str
    total: int
    active: int
    overdue: int
    completed: int
    in_charge: bool
    year: int

    @property
    def link(self) -> str:
        return ledger_link(self.year, lead_unit=self.unit_id)

    @property
    def overdue_link(self) -> str:
        return ledger_link(self.year, lead_unit=self.unit_id, overdue="yes")


@dataclass
class Dashboard:
    year: int
    today: dt.date
    total: int
    overdue: int
    leader_view: bool
    charts: list[BarChart]
    trend: TrendChart
    in_charge: list[UnitLine]  # the leader's units, with their counts

    def chart(self, key: str) -> BarChart:
        return next(chart for chart in self.charts if chart.key == key)


def _month_starts(year: int) -> list[dt.datetime]:
    """Midnight (local) of the 1st of each month of `year`, and of the next January."""
    return [start_of(dt.date(year, month, 1)) for month in range(1, 13)] + [
        start_of(dt.date(year + 1, 1, 1))
    ]


@dataclass
class YearCounts:
    units: dict[int, UnitLine]
    by_status: dict[str, int]
    by_source: dict[str, int]
    by_light: dict[str, int]


def _year_counts(items: QuerySet[Any], user: Any, year: int, today: dt.date) -> YearCounts:
    """Every count of the year's items from one aggregate query: per lead unit, its
    items in all, in each state and of each source kind, and how many are red
    (overdue: active and past the deadline) and yellow; the hundred rows (one per unit)
    are summed here and the units' names come with one query of the units. Every
    column it reads is in the `item_year_figures` index, so it is one index-only scan
    of the year. Grey is exactly the closed states, green what is left."""
    thresholds = light_thresholds(today)
    lit: QuerySet[Any] = annotate_lights(items, thresholds=thresholds)
    statuses, sources = Status.values, SourceKind.values
    counts = {
        "total": Count("pk"),
        "red": Count("pk", filter=overdue_filter(today)),
        "yellow": Count("pk", filter=light_filter(YELLOW, thresholds)),
        **{f"status_{value}": Count("pk", filter=Q(status=value)) for value in statuses},
        **{f"source_{value}": Count("pk", filter=Q(source_kind=value)) for value in sources},
    }
    rows = list(lit.values("lead_unit").annotate(**counts).order_by())
    names = {
        unit["pk"]: unit
        for unit in Unit.objects.filter(pk__in={row["lead_unit"] for row in rows}).values(
            "pk", "name", "code", "leader_in_charge_id"
        )
    }
    units: dict[int, UnitLine] = {}
    by_status = dict.fromkeys(statuses, 0)
    by_source = dict.fromkeys(sources, 0)
    by_light = dict.fromkeys(LIGHT_ORDER, 0)
    for row in rows:
        unit = names[row["lead_unit"]]
        in_state = {value: row[f"status_{value}"] for value in statuses}
        grey = sum(in_state[value] for value in CLOSED_STATUSES)
        units[unit["pk"]] = UnitLine(
            unit["pk"],
            unit["name"],
            unit["code"],
            total=row["total"],
            active=sum(in_state[value] for value in ACTIVE_STATUSES),
            overdue=row["red"],
            completed=sum(in_state[value] for value in COMPLETED_STATUSES),
            in_charge=unit["leader_in_charge_id"] == user.pk,
            year=year,
        )
        for value, count in in_state.items():
            by_status[value] += count
        for value in sources:
            by_source[value] += row[f"source_{value}"]
        by_light[RED] += row["red"]
        by_light[YELLOW] += row["yellow"]
        by_light[GREY] += grey
        by_light[GREEN] += row["total"] - row["red"] - row["yellow"] - grey
    return YearCounts(units=units, by_status=by_status, by_source=by_source, by_light=by_light)


def _monthly(items: QuerySet[Item], year: int) -> tuple[list[int], list[int]]:
    """Items established, and items completed, in each month of the calendar year: one
    query of FILTER counts per moment, over the items with that moment in the year —
    an index-only scan of the moment's index (`item_established`, `item_completed`)."""
    starts = _month_starts(year)
    series: list[list[int]] = []
    for moment in ("established_at", "completed_at"):
        counts = {
            f"month_{month}": Count(
                "pk",
                filter=Q(**{f"{moment}__gte": starts[month], f"{moment}__lt": starts[month + 1]}),
            )
            for month in range(12)
        }
        in_year = {f"{moment}__gte": starts[0], f"{moment}__lt": starts[12]}
        row = items.filter(**in_year).aggregate(**counts)
        series.append([row[f"month_{month}"] for month in range(12)])
    return series[0], series[1]


def build_dashboard(user: Any, year: int, today: dt.date | None = None) -> Dashboard:
    today = today or clock.today()
    # FIGURE_ROWS: counted from the indexes of the year's figures and of the trend.
    visible = Item.objects.visible_to(user).filter(FIGURE_ROWS)
    items = visible.filter(year=year)
    leader_view = user.role == Role.SCHOOL_LEADER

    year_counts = _year_counts(items, user, year, today)
    by_status, by_source = year_counts.by_status, year_counts.by_source
    by_light, units = year_counts.by_light, year_counts.units

    in_charge: list[UnitLine] = []
    if leader_view:
        for unit in Unit.objects.filter(leader_in_charge=user).order_by("code"):
            in_charge.append(
                units.get(unit.pk)
                or UnitLine(unit.pk, unit.name, unit.code, 0, 0, 0, 0, True, year)
            )
    first = {line.unit_id for line in in_charge}
    # The leader's own units first, then the others with the most items (by code for
    # equal counts).
    ranked = sorted(
        units.values(), key=lambda line: (line.unit_id not in first, -line.total, line.code)
    )
    top = [line for line in ranked if line.unit_id in first or line.total][:TOP_UNITS]
    overdue_units = sorted(
        (line for line in units.values() if line.overdue),
        key=lambda line: (-line.overdue, line.code),
    )

    status_bars = [
        Bar(str(label), by_status.get(value, 0), ledger_link(year, status=value))
        for value, label in Status.choices
        if value != Status.DRAFT or by_status.get(value)
    ]
    light_bars = [
        Bar(
            str(LIGHTS[code].label),
            by_light.get(code, 0),
            ledger_link(year, light=code),
            css_class=f"chart__bar--{code}",
        )
        for code in LIGHT_ORDER
    ]
    source_bars = [
        Bar(str(label), by_source.get(value, 0), ledger_link(year, source_kind=value))
        for value, label in SourceKind.choices
    ]
    unit_bars = [
        Bar(line.name, line.total, line.link, highlight=line.unit_id in first) for line in top
    ]
    overdue_bars = [
        Bar(line.name, line.overdue, line.overdue_link, highlight=line.unit_id in first)
        for line in overdue_units
    ]
    charts = [
        BarChart(
            "status",
            _("按状态"),
            _("本年度（台账年度）各状态的事项数。"),
            status_bars,
        ),
        BarChart(
            "light",
            _("按预警灯"),
            _(
                "本年度事项今日的预警灯：红灯已超期，黄灯3个工作日内到期或进展滞后，绿灯正常推进，灰灯已办结或已终止。"
            ),
            light_bars,
        ),
        BarChart(
            "unit",
            _("按承办单位"),
            _("本年度各承办单位牵头的事项数（前%(count)d个单位）。") % {"count": TOP_UNITS}
            + (_("您分管的单位排在前面并突出显示。") if leader_view else ""),
            unit_bars,
            _("本年度还没有事项。"),
        ),
        BarChart(
            "source",
            _("按来源类别"),
            _("本年度各来源类别（会议决定、年度重点工作、其他交办）的事项数。"),
            source_bars,
        ),
        BarChart(
            "overdue",
            _("超期事项按单位"),
            _("尚在办理、已过办结时限（时限次日起）的本年度事项，按承办单位统计。"),
            overdue_bars,
            _("没有超期事项。"),
        ),
    ]
    established, completed = _monthly(visible, year)
    trend = TrendChart(
        title=_("月度趋势"),
        definition=_(
            "%(year)d年每月新立项的事项数和审核办结的事项数（按立项时间、办结时间所在月份）。"
        )
        % {"year": year},
        established=established,
        completed=completed,
        established_label=_("立项"),
        completed_label=_("办结"),
        month_labels=[_("%(month)d月") % {"month": month} for month in range(1, 13)],
    )
    return Dashboard(
        year=year,
        today=today,
        total=sum(by_status.values()),
        overdue=sum(line.overdue for line in units.values()),
        leader_view=leader_view,
        charts=charts,
        trend=trend,
        in_charge=in_charge,
    )
