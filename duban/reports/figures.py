"""Assessment figures (考核, R-K3) per unit and year.

Every figure is one condition over the rows of one *family* (items a unit leads, items
it cooperates on, its contributions, extension requests, returns, urges). A family's
figures for every unit come from ONE aggregate query (`values(unit).annotate(Count(...,
filter=condition))`), never a Python loop over rows; the drill-down list of a cell is
the same family's rows filtered by the same condition. So a number and its list agree
by construction, and tests/test_figures.py checks it for every figure.

Visibility (R-C1, R-C5). Figures are counted over the rows the viewer may see: items
come only from `Item.objects.visible_to(user)`, and events only of those items. R-C1
lets sensitive items "show in counts only" elsewhere; we chose the simplest honest
reading instead: nobody gets a count they cannot open. A number always equals the
length of the list behind it, for everyone. The office supervisor sees every ordinary
item the office supervises and the sensitive items assigned to them; a school leader
sees every ordinary item and the sensitive items they are named on; discipline and
classified items count only for their own office (and the lead unit's contacts). The
units' own figures (head and liaison) are complete for the items they lead.

The year. Item figures (led, completed, on time, overdue, cooperated) count the items of
the ledger year (`Item.year`, the year of establishment or an annual item's plan year),
whatever happened to them since. Event figures (extension requests, returns, urges,
contributions, phased-report urges) count the events dated in the calendar year
(Asia/Shanghai), on visible items of any year — as `duban.items.urges.
urges_received_by_unit` counts urges; for a viewer who sees every item the two agree.

Completion day. An item is judged by the day its accepted completion report was
submitted (`submitted_at`, the first responsible person's confirmation, R-F4), not by
the day the office finished its review: the same day `extension_rules.lateness_until`
counts lateness to (R-E4), so the lateness shown beside an item and these figures
never disagree. Items completed before `submitted_at` existed fall back to
`completed_at`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.db import connection
from django.db.models import Count, F, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from duban import clock
from duban.audit.models import AuditEvent
from duban.items.lights import start_of
from duban.items.models import (
    FIGURE_ROWS,
    OPEN_PART_STATUSES,
    ExtensionRequest,
    ExtensionStatus,
    Feedback,
    FeedbackKind,
    Item,
    PartStatus,
    WorkPart,
)
from duban.items.states import Status
from duban.items.urges import AUTOMATIC, MANUAL, counted_urges
from duban.organisation.models import Role, Unit

# The statuses of a completed item (an archived item was completed first).
COMPLETED_STATUSES = (Status.COMPLETED, Status.ARCHIVED)
# Active statuses in which the lead unit has not reported: lateness runs to today.
UNREPORTED_STATUSES = (Status.ESTABLISHED, Status.ASSIGNED, Status.RETURNED, Status.IN_PROGRESS)
# Statuses with a report on the table or accepted: lateness runs to the report's day.
REPORTED_STATUSES = (Status.SUBMITTED, *COMPLETED_STATUSES)

# The audit verbs of returns counted per unit: R-A2 (the item) and R-F5 (the report).
RETURN_VERB = "return"
RETURN_REPORT_VERB = "return_report"
# Automatic urges for a missed monthly report of a long item (duban.items.sweep).
PHASE_STEP_PREFIX = "phase-"
# duban.spotchecks's CheckResult.PROBLEM: a check that found a problem (R-K1).
SPOT_CHECK_PROBLEM = "problem"

LED = "led"
COOPERATION = "cooperation"
CONTRIBUTIONS = "contributions"
EXTENSIONS = "extensions"
RETURNS = "returns"
URGES = "urges"
PARTS = "parts"
SPOT_CHECKS = "spot_checks"


def reported_on() -> clock.LocalDate:
    """The local day the item's completion report went to the office (see the module)."""
    return clock.LocalDate(Coalesce("submitted_at", "completed_at"))


def year_span(year: int) -> dict[str, dt.datetime]:
    """Lookups of `created_at` within the local calendar year."""
    return {
        "created_at__gte": start_of(dt.date(year, 1, 1)),
        "created_at__lt": start_of(dt.date(year + 1, 1, 1)),
    }


def on_visible_items(visible: QuerySet[Item], events: QuerySet[Any]) -> QuerySet[Any]:
    """The `events` whose item is among `visible` (the items a person may see,
    `Item.objects.visible_to`). The rule is asked of the events' own
    items, looked up by primary key (`pk__any_of`): a year's urges are a few thousand,
    the items a hundred thousand, and testing the rule on every item to keep a few
    thousand events cost more than the rest of the count."""
    # Unordered: the events' model ordering would sort the ids for nothing.
    items = visible.filter(pk__any_of=events.order_by().values("item_id"))
    return events.filter(item__in=items.values("pk"))


# ----------------------------------------------------------------------------- families


def _year_items(visible: QuerySet[Item], year: int) -> QuerySet[Any]:
    # FIGURE_ROWS: counted from the index of the year's figures.
    return visible.filter(FIGURE_ROWS, year=year).alias(reported_on=reported_on())


def _contributions(visible: QuerySet[Item], year: int) -> QuerySet[Any]:
    return on_visible_items(
        visible, Feedback.objects.filter(kind=FeedbackKind.CONTRIBUTION, **year_span(year))
    )


def _extensions(visible: QuerySet[Item], year: int) -> QuerySet[Any]:
    return on_visible_items(visible, ExtensionRequest.objects.filter(**year_span(year)))


def _returns(visible: QuerySet[Item], year: int) -> QuerySet[Any]:
    return on_visible_items(
        visible,
        AuditEvent.objects.filter(verb__in=(RETURN_VERB, RETURN_REPORT_VERB), **year_span(year)),
    )


def _urges(visible: QuerySet[Item], year: int) -> QuerySet[Any]:
    # The definition of an urge counted against a unit is duban.items.urges's.
    return on_visible_items(visible, counted_urges().filter(**year_span(year)))


def _parts(visible: QuerySet[Item], year: int) -> QuerySet[Any]:
    """The parts (分办, R-A4) of the year's visible items, each counted for the
    cooperating unit it was given to, with the local day it was reported."""
    return WorkPart.objects.filter(item__in=_year_items(visible, year).values("pk")).alias(
        reported_on=clock.LocalDate("reported_at"), closed_on=clock.LocalDate("closed_at")
    )


def spot_check_model() -> Any:
    """duban.spotchecks's SpotCheck, or None while that app is not installed (the
    figure then shows 0 with a note)."""
    if not apps.is_installed("duban.spotchecks"):
        return None
    try:
        return apps.get_model("spotchecks", "SpotCheck")
    except LookupError:
        return None


def spot_checks_available() -> bool:
    return spot_check_model() is not None


def _spot_check_findings(visible: QuerySet[Item], year: int) -> QuerySet[Any]:
    """Checks that found a problem (R-K1), recorded in the year, on visible items; they
    count against the item's lead unit."""
    return on_visible_items(
        visible,
        spot_check_model().objects.filter(
            result=SPOT_CHECK_PROBLEM,
            checked_at__gte=start_of(dt.date(year, 1, 1)),
            checked_at__lt=start_of(dt.date(year + 1, 1, 1)),
        ),
    )


@dataclass(frozen=True)
class Family:
    key: str
    unit_field: str  # the lookup naming the unit a row counts for
    rows: Callable[[QuerySet[Item], int], QuerySet[Any]]  # (visible items, year)
    lists_items: bool  # rows are items (else events, each with its item)
    moment_field: str = "created_at"  # when an event happened (its year and order)


FAMILIES: dict[str, Family] = {
    family.key: family
    for family in (
        Family(LED, "lead_unit", _year_items, lists_items=True),
        Family(COOPERATION, "cooperating_units", _year_items, lists_items=True),
        Family(CONTRIBUTIONS, "unit", _contributions, lists_items=False),
        Family(EXTENSIONS, "unit", _extensions, lists_items=False),
        Family(RETURNS, "unit", _returns, lists_items=False),
        Family(URGES, "unit", _urges, lists_items=False),
        Family(PARTS, "unit", _parts, lists_items=False),
        Family(
            SPOT_CHECKS,
            "item__lead_unit",
            _spot_check_findings,
            lists_items=False,
            moment_field="checked_at",
        ),
    )
}


# ----------------------------------------------------------------------------- figures


@dataclass(frozen=True)
class Figure:
    key: str
    family: str
    label: Promise
    definition: Promise
    condition: Callable[[dt.date], Q]  # over the family's rows, as of `today`

    @property
    def counts_lead_items(self) -> bool:
        return self.family == LED


def _everything(today: dt.date) -> Q:
    return Q(pk__isnull=False)


def _completed(today: dt.date) -> Q:
    return Q(status__in=COMPLETED_STATUSES)


def _on_time(today: dt.date) -> Q:
    return Q(status__in=COMPLETED_STATUSES, reported_on__lte=F("deadline"))


def _on_time_original(today: dt.date) -> Q:
    return Q(status__in=COMPLETED_STATUSES, reported_on__lte=F("original_deadline"))


def _part_on_time(today: dt.date) -> Q:
    return Q(status=PartStatus.REPORTED, reported_on__lte=F("deadline"))


def _part_late(today: dt.date) -> Q:
    # Reported after its date; still open after its date; or closed with its item,
    # unreported, after its date had passed.
    return (
        Q(status=PartStatus.REPORTED, reported_on__gt=F("deadline"))
        | Q(status__in=OPEN_PART_STATUSES, deadline__lt=today)
        | Q(status=PartStatus.CLOSED, closed_on__gt=F("deadline"))
    )


def overdue_condition(today: dt.date) -> Q:
    # Overdue from the day after the deadline (R-U4); judged at the report's day once
    # the unit has reported (R-E4). Terminated items are no longer due.
    return Q(status__in=UNREPORTED_STATUSES, deadline__lt=today) | Q(
        status__in=REPORTED_STATUSES, reported_on__gt=F("deadline")
    )


FIGURE_LIST: tuple[Figure, ...] = (
    Figure(
        "led",
        LED,
        _("牵头事项"),
        _(
            "本年度立项、本单位为承办单位的督办事项数（含已办结、已终止）。只有牵头事项计入本单位的办结率。"
        ),
        _everything,
    ),
    Figure(
        "completed",
        LED,
        _("已办结"),
        _("牵头事项中已办结（含已归档）的事项数。"),
        _completed,
    ),
    Figure(
        "on_time",
        LED,
        _("按期办结（现时限）"),
        _(
            "已办结事项中，办结报告报送日（第一责任人确认报送之日）不晚于现办结时限"
            "（经批准延期的，为延期后的时限）的事项数。"
        ),
        _on_time,
    ),
    Figure(
        "on_time_original",
        LED,
        _("按期办结（原时限）"),
        _("已办结事项中，办结报告报送日不晚于立项时原定办结时限的事项数（同时对照原时限）。"),
        _on_time_original,
    ),
    Figure(
        "overdue",
        LED,
        _("超期"),
        _(
            "牵头事项中，尚未报结且已过现办结时限（时限次日起算），或办结报告晚于现办结时限报送的事项数；"
            "已终止事项不计。"
        ),
        overdue_condition,
    ),
    Figure(
        "cooperated",
        COOPERATION,
        _("配合事项"),
        _("本年度立项、本单位为配合单位的事项数。单列统计，不计入本单位办结率。"),
        _everything,
    ),
    Figure(
        "parts_on_time",
        PARTS,
        _("分工按期报送"),
        _(
            "本年度事项中承办单位分办给本单位的分工，在分工时限内报送配合情况的个数。"
            "单列统计，不计入本单位办结率。"
        ),
        _part_on_time,
    ),
    Figure(
        "parts_late",
        PARTS,
        _("分工逾期"),
        _(
            "分办给本单位的分工中，晚于分工时限报送，或分工时限已过仍未报送（含事项办结时仍未报送）"
            "的个数（时限次日起算）。"
        ),
        _part_late,
    ),
    Figure(
        "contributions",
        CONTRIBUTIONS,
        _("报送配合情况"),
        _("本年度本单位作为配合单位向承办单位报送配合办理情况的次数（含后来更新的报送）。"),
        _everything,
    ),
    Figure(
        "extensions_requested",
        EXTENSIONS,
        _("申请延期"),
        _("本年度本单位提出的延期申请数（每个事项只能申请一次）。"),
        _everything,
    ),
    Figure(
        "extensions_approved",
        EXTENSIONS,
        _("获批延期"),
        _("本年度本单位提出、已获批准的延期申请数。"),
        lambda today: Q(status=ExtensionStatus.APPROVED),
    ),
    Figure(
        "returns",
        RETURNS,
        _("退回交办"),
        _("本年度本单位退回交办事项的次数（不得推诿）。"),
        lambda today: Q(verb=RETURN_VERB),
    ),
    Figure(
        "report_returns",
        RETURNS,
        _("办结报告被退回"),
        _("本年度本单位的办结报告经督办部门审核被退回的次数。"),
        lambda today: Q(verb=RETURN_REPORT_VERB),
    ),
    Figure(
        "urges_received",
        URGES,
        _("被催办"),
        _(
            "本年度本单位被催办的次数：督办部门的人工催办和系统自动催办（超期、紧急事项首次反馈、"
            "阶段性反馈），不含到期前的提醒。"
        ),
        _everything,
    ),
    Figure(
        "urges_manual",
        URGES,
        _("人工催办"),
        _("其中督办人员以系统通知、短信、电话、当面、书面等方式催办的次数。"),
        lambda today: MANUAL,
    ),
    Figure(
        "urges_automatic",
        URGES,
        _("自动催办"),
        _(
            "其中系统按规则自动催办的次数（超期后每3个工作日一次、紧急事项首次反馈、"
            "阶段性反馈催报），不含到期前的提醒。"
        ),
        lambda today: AUTOMATIC,
    ),
    Figure(
        "phase_reports_late",
        URGES,
        _("阶段性反馈迟报"),
        _(
            "本年度长期事项上月未报阶段性进展、系统自动催报的次数（每个事项每月至多一次），"
            "以此计量阶段性反馈迟报。"
        ),
        lambda today: Q(step__startswith=PHASE_STEP_PREFIX),
    ),
    Figure(
        "spot_check_findings",
        SPOT_CHECKS,
        _("抽查发现问题"),
        _("本年度回访复查、随机抽查结论为“发现问题”的抽查次数，计入被抽查事项的承办单位。"),
        _everything,
    ),
)
FIGURES: dict[str, Figure] = {figure.key: figure for figure in FIGURE_LIST}

RATE_DEFINITION = _("办结率 = 已办结 ÷ 牵头事项。由两个可点开的数字算出，本身不单独列出事项。")
UNAVAILABLE_NOTE = _("抽查功能尚未启用，暂计为0。")


def definitions() -> dict[str, str]:
    """Figure → its definition in Chinese (the page's legend and tooltips)."""
    return {figure.key: str(figure.definition) for figure in FIGURE_LIST}


# ----------------------------------------------------------------------------- the table

# The table's column groups: a unit's own items (the completion rate's), then the rest.
GROUPS: tuple[tuple[Promise, tuple[str, ...]], ...] = (
    (_("牵头事项（计入办结率）"), (LED,)),
    (_("配合事项（单列）"), (COOPERATION, PARTS, CONTRIBUTIONS)),
    (_("延期"), (EXTENSIONS,)),
    (_("退回"), (RETURNS,)),
    (_("催办"), (URGES,)),
    (_("抽查"), (SPOT_CHECKS,)),
)
RATE = "completion_rate"


@dataclass(frozen=True)
class Column:
    """A column of the table: a figure, or the completion rate (after the led figures)."""

    key: str
    label: Promise
    definition: Promise
    figure: Figure | None


@dataclass
class Cell:
    column: Column
    count: int = 0
    rate: float | None = None
    href: str = ""  # the cell's drill-down page, filled in by the view


@dataclass
class UnitFigures:
    unit: Unit
    counts: dict[str, int]
    in_charge: bool = False  # a unit the viewing leader is in charge of
    cells: list[Cell] = field(default_factory=list)

    @property
    def completion_rate(self) -> float | None:
        led = self.counts["led"]
        return self.counts["completed"] / led if led else None


@dataclass
class Assessment:
    year: int
    today: dt.date
    figures: tuple[Figure, ...]
    rows: list[UnitFigures]
    unavailable: set[str] = field(default_factory=set)  # figures shown as 0 with a note

    @property
    def columns(self) -> list[Column]:
        return table_columns()

    @property
    def groups(self) -> list[tuple[Promise, int]]:
        """Each group's label and its number of columns (the header's first row)."""
        spans = []
        for label, families in GROUPS:
            span = sum(1 for figure in FIGURE_LIST if figure.family in families)
            spans.append((label, span + (1 if LED in families else 0)))
        return spans


def table_columns() -> list[Column]:
    columns = []
    for _label, families in GROUPS:
        for figure in FIGURE_LIST:
            if figure.family in families:
                columns.append(Column(figure.key, figure.label, figure.definition, figure))
        if LED in families:
            columns.append(Column(RATE, _("办结率"), RATE_DEFINITION, None))
    return columns


def figures_of(family: str) -> list[Figure]:
    return [figure for figure in FIGURE_LIST if figure.family == family]


def family_query(
    family: Family,
    visible: QuerySet[Item],
    year: int,
    today: dt.date,
    unit_ids: Iterable[int] | None = None,
) -> QuerySet[Any]:
    """The one aggregate query of the family's figures over the `visible` items (the
    person's, `Item.objects.visible_to`): a row per unit."""
    rows = family.rows(visible, year)
    # One filter on the unit, so that a many-valued unit (the cooperating units) is
    # one inner join: rows without a unit are not joined and counted at all.
    if unit_ids is not None:
        rows = rows.filter(**{f"{family.unit_field}__in": list(unit_ids)})
    else:
        rows = rows.filter(**{f"{family.unit_field}__isnull": False})
    counts = {
        figure.key: Count("pk", filter=figure.condition(today)) for figure in figures_of(family.key)
    }
    return rows.values(family.unit_field).annotate(**counts).order_by()


def family_counts(
    family: Family,
    visible: QuerySet[Item],
    year: int,
    today: dt.date,
    unit_ids: Iterable[int] | None = None,
) -> dict[int, dict[str, int]]:
    """The family's figures of every unit, by unit id."""
    figures = figures_of(family.key)
    if (
        family.key == COOPERATION
        and unit_ids is None  # a few units' cooperation rows are found by their index
        and connection.vendor == "postgresql"
        and all(figure.condition is _everything for figure in figures)
    ):
        counted = _cooperation_counts(_year_items(visible, year))
        return {unit: {figure.key: count for figure in figures} for unit, count in counted}
    result: dict[int, dict[str, int]] = {}
    for row in family_query(family, visible, year, today, unit_ids):
        result[row.pop(family.unit_field)] = row
    return result


def _cooperation_counts(items: QuerySet[Any]) -> list[tuple[int, int]]:
    """(unit, items of the year it cooperates on) of every unit, on PostgreSQL: each
    item's `unit_ids` (its lead and cooperating units, items migration 0015) is in the
    index of the year's figures, so the year is read from that index and each array,
    less the lead unit, unnested, without joining the cooperation rows of every year (a
    unit is never both an item's lead and one of its cooperating units; the actions,
    the import and the intake refuse it)."""
    # The column is the items' own, named as visibility names it.
    listed = (
        items.annotate(units=RawSQL('"items_item"."unit_ids"', []))
        .values_list("lead_unit_id", "units")
        .order_by()
    )
    sql, params = listed.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT unit, COUNT(*) FROM (SELECT unnest(array_remove(item.units, item.lead))"  # noqa: S608
            f" AS unit FROM ({sql}) AS item (lead, units)) AS cooperation GROUP BY unit",
            params,
        )
        return [(unit, count) for unit, count in cursor.fetchall()]


def assessment_units(user: Any) -> QuerySet[Unit] | None:
    """The units whose figures `user` may see: every unit for the office and the
    school leaders, their own unit for a unit's head and liaison, None for the rest."""
    if user.role in (Role.OFFICE_SUPERVISOR, Role.SCHOOL_LEADER):
        return Unit.objects.all()
    if user.role in (Role.UNIT_HEAD, Role.LIAISON) and user.unit_id:
        return Unit.objects.filter(pk=user.unit_id)
    return None


def compute_assessment(
    user: Any, year: int, units: QuerySet[Unit], today: dt.date | None = None
) -> Assessment:
    """Every figure of `units` for `year`, as `user` may see them. One query for the
    units and one per figure family, whatever the number of items."""
    today = today or clock.today()
    unit_list = list(units.order_by("code"))
    restrict = None if user.role in (Role.OFFICE_SUPERVISOR, Role.SCHOOL_LEADER) else unit_list
    unit_ids = [unit.pk for unit in restrict] if restrict is not None else None
    unavailable: set[str] = set()
    counts: dict[int, dict[str, int]] = {}
    # The rule is built once; every family's query copies it.
    visible = Item.objects.visible_to(user)
    for family in FAMILIES.values():
        if family.key == SPOT_CHECKS and not spot_checks_available():
            unavailable.update(figure.key for figure in figures_of(family.key))
            continue
        for unit_id, values in family_counts(family, visible, year, today, unit_ids).items():
            counts.setdefault(unit_id, {}).update(values)
    zero = {figure.key: 0 for figure in FIGURE_LIST}
    rows = [
        UnitFigures(
            unit=unit,
            counts={**zero, **counts.get(unit.pk, {})},
            in_charge=unit.leader_in_charge_id == user.pk,
        )
        # Inactive units stay in the table while they have figures of the year.
        for unit in unit_list
        if unit.is_active or unit.pk in counts
    ]
    rows.sort(key=lambda row: (not row.in_charge, row.unit.code))
    columns = table_columns()
    for row in rows:
        row.cells = [
            Cell(column, rate=row.completion_rate)
            if column.figure is None
            else Cell(column, count=row.counts[column.key])
            for column in columns
        ]
    return Assessment(year, today, FIGURE_LIST, rows, unavailable)


def figure_rows(
    user: Any, year: int, unit_id: int, figure_key: str, today: dt.date | None = None
) -> QuerySet[Any]:
    """The rows behind one cell: exactly what `family_counts` counted there."""
    figure = FIGURES[figure_key]
    family = FAMILIES[figure.family]
    rows = family.rows(Item.objects.visible_to(user), year).filter(**{family.unit_field: unit_id})
    return rows.filter(figure.condition(today or clock.today()))


def figure_item_ids(rows: QuerySet[Any], family: Family) -> list[int]:
    """The item of each row, in the rows' order (an item repeats for repeated events)."""
    return list(rows.values_list("pk" if family.lists_items else "item_id", flat=True))
