"""Figures and reports over the API: the dashboard, the assessment (R-K3) with the
rows behind each of its numbers, and the reports to the leadership (R-F6).

Each endpoint mirrors a page of `duban.reports.views` and calls what that page calls
(`build_dashboard`, `figures.compute_assessment`, `figures.figure_rows`,
`leadership.*`), so a number here is the page's number, counted over
`Item.objects.visible_to(user)` (R-C5). Who may read what is the pages' rule too:

- the dashboard and the reports to the leadership: office supervisors and school
  leaders; anyone else gets 403;
- the assessment: office supervisors and school leaders see every unit; a unit's head
  and liaison see their own unit's row; anyone else gets 403.

Refusals are the API's JSON errors; nothing here writes.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from ninja import Path, Query, Router

from duban import clock
from duban.items.errors import InvalidInput, PermissionRefused
from duban.items.lights import LIGHTS
from duban.items.models import Item, SourceBody
from duban.items.states import Status
from duban.organisation.models import Unit, User
from duban.reports import figures, leadership
from duban.reports import views as report_pages
from duban.reports.dashboard import build_dashboard

from . import present
from .errors import NotFound
from .items import READ_ERRORS, _user
from .schemas import ErrorOut, Id
from .schemas_reports import (
    AssessmentOut,
    DashboardOut,
    FigureRowsOut,
    LeaderLineOut,
    LeaderReportOut,
    MeetingOut,
    MeetingReportOut,
    PathYear,
    PeriodQuery,
    PeriodReportOut,
    YearQuery,
)

router = Router(tags=["统计与报告"])

RESPONSES: dict[int, Any] = {**READ_ERRORS, 403: ErrorOut}
# The longest period a report covers (the page's PeriodForm).
MAX_PERIOD_DAYS = 366 * 5


def _require_reader(user: User) -> None:
    if user.role not in report_pages.READERS:
        raise PermissionRefused(_("只有督办部门和校领导可以查看统计和报告。"))


def _assessment_units(user: User) -> QuerySet[Unit]:
    units = figures.assessment_units(user)
    if units is None:
        raise PermissionRefused(_("只有督办部门、校领导和各单位负责人、联络员可以查看考核统计。"))
    return units


def _year(query: YearQuery) -> int:
    return query.year or clock.today().year


# ----------------------------------------------------------------------------- rows


def report_item(row: Item) -> dict[str, Any]:
    """A row of `leadership.report_rows`: light and lateness (R-E4) already worked out."""
    lateness = getattr(row, "lateness", None)
    terminated = row.status == Status.TERMINATED
    return {
        "id": row.pk,
        "ledger_number": row.ledger_number,
        "title": row.title,
        "urgent": row.urgent,
        "lead_unit": present.unit_ref(row.lead_unit),
        "status": row.status,
        "status_label": str(row.get_status_display()),
        "light": row.light,  # type: ignore[attr-defined]
        "light_label": str(LIGHTS[row.light].label),  # type: ignore[attr-defined]
        "original_deadline": row.original_deadline,
        "deadline": row.deadline,
        "deadline_extended": row.deadline_extended,
        "lateness": None
        if terminated or lateness is None
        else {
            "against_current": lateness.against_current,
            "against_original": lateness.against_original,
        },
    }


def _rows(items: QuerySet[Item], today: dt.date, **shared: Any) -> list[dict[str, Any]]:
    return [report_item(row) for row in leadership.report_rows(items, today, **shared)]


# ----------------------------------------------------------------------------- dashboard


API_FILTER_VALUES = {"overdue": {"yes": "true", "no": "false"}}


def _bar(bar: Any) -> dict[str, Any]:
    """A bar with the ledger filters its page links to, and the same list in the API."""
    filters = dict(parse_qsl(urlsplit(bar.href).query))
    api_filters = {
        name: API_FILTER_VALUES.get(name, {}).get(value, value) for name, value in filters.items()
    }
    return {
        "label": bar.label,
        "value": bar.value,
        "highlight": bar.highlight,
        "filters": filters,
        "items_url": f"/api/v1/items?{urlencode(api_filters)}",
    }


@router.get(
    "/dashboard", response={200: DashboardOut, **RESPONSES}, summary=gettext_noop("统计看板")
)
def read_dashboard(request: HttpRequest, query: Query[YearQuery]) -> dict[str, Any]:
    """The dashboard of /reports/dashboard/: the year's items by status, light, lead
    unit and source kind, the monthly trend, overdue items by unit. Each bar's
    `items_url` lists exactly the items it counts."""
    user = _user(request)
    _require_reader(user)
    board = build_dashboard(user, _year(query))
    return {
        "year": board.year,
        "today": board.today,
        "total": board.total,
        "overdue": board.overdue,
        "leader_view": board.leader_view,
        "charts": [
            {
                "key": chart.key,
                "title": str(chart.title),
                "definition": str(chart.definition),
                "total": chart.total,
                "bars": [_bar(bar) for bar in chart.bars],
            }
            for chart in board.charts
        ],
        "trend": {
            "title": str(board.trend.title),
            "definition": str(board.trend.definition),
            "months": [str(label) for label in board.trend.month_labels],
            "established": board.trend.established,
            "completed": board.trend.completed,
        },
        "in_charge": [
            {
                "unit": {"id": line.unit_id, "name": line.name},
                "code": line.code,
                "total": line.total,
                "active": line.active,
                "overdue": line.overdue,
                "completed": line.completed,
            }
            for line in board.in_charge
        ],
    }


# ----------------------------------------------------------------------------- assessment


def _figure(figure: figures.Figure, unavailable: set[str]) -> dict[str, Any]:
    return {
        "key": figure.key,
        "label": str(figure.label),
        "definition": str(figure.definition),
        "family": figure.family,
        "available": figure.key not in unavailable,
    }


def _unavailable() -> set[str]:
    if figures.spot_checks_available():
        return set()
    return {figure.key for figure in figures.figures_of(figures.SPOT_CHECKS)}


@router.get(
    "/assessment", response={200: AssessmentOut, **RESPONSES}, summary=gettext_noop("考核统计")
)
def read_assessment(request: HttpRequest, query: Query[YearQuery]) -> dict[str, Any]:
    """The assessment of /reports/assessment/ (R-K3): every figure of every unit the
    reader may see, for a year. Each number's rows: `GET
    /reports/assessment/{year}/{unit_id}/{figure}`."""
    user = _user(request)
    units = _assessment_units(user)
    table = figures.compute_assessment(user, _year(query), units)
    return {
        "year": table.year,
        "today": table.today,
        "own_unit_only": user.role not in report_pages.READERS,
        "rate_definition": str(figures.RATE_DEFINITION),
        "figures": [_figure(figure, table.unavailable) for figure in table.figures],
        "rows": [
            {
                "unit": present.unit_ref(row.unit),
                "code": row.unit.code,
                "in_charge": row.in_charge,
                "counts": row.counts,
                "completion_rate": row.completion_rate,
            }
            for row in table.rows
        ],
    }


@router.get(
    "/assessment/export",
    response={200: None, **RESPONSES},
    summary=gettext_noop("导出考核统计（CSV）"),
    openapi_extra={
        "responses": {
            "200": {
                "description": "考核统计 CSV（UTF-8，带 BOM；Content-Disposition: attachment）",
                "content": {"text/csv": {"schema": {"type": "string"}}},
            }
        }
    },
)
def export_assessment(request: HttpRequest, query: Query[YearQuery]) -> HttpResponse:
    """The assessment as the page's 导出 link writes it: one row per unit you may see,
    every figure and the completion rate. Each export is audited."""
    user = _user(request)
    return report_pages.assessment_csv_response(user, _assessment_units(user), _year(query))


def _event(family: str, moment_field: str, row: Any) -> dict[str, Any]:
    item = row.item
    return {
        "id": row.pk,
        "moment": present.local(getattr(row, moment_field)),
        "detail": report_pages._event_detail(family, row),
        "item": {
            "id": item.pk,
            "ledger_number": item.ledger_number,
            "title": item.title,
            "lead_unit": present.unit_ref(item.lead_unit),
        },
    }


@router.get(
    "/assessment/{year}/{unit_id}/{figure}",
    response={200: FigureRowsOut, **RESPONSES},
    summary=gettext_noop("考核数字的明细"),
)
def read_assessment_figure(
    request: HttpRequest, year: Path[PathYear], unit_id: Id, figure: str
) -> dict[str, Any]:
    """The rows behind one number of the assessment: as many as the number says
    (items for the item figures, events — urges, returns, extension requests, ... —
    with their item for the others). `figure` is a key of the assessment's
    `figures`."""
    user = _user(request)
    units = _assessment_units(user)
    unit = Unit.objects.filter(pk=unit_id).first()
    if unit is None:
        raise NotFound(_("单位不存在。"))
    if not units.filter(pk=unit.pk).exists():
        raise PermissionRefused(_("只能查看本单位的考核数据。"))
    chosen = figures.FIGURES.get(figure)
    unavailable = _unavailable()
    if (
        chosen is None
        or chosen.key in unavailable
        or not report_pages.MIN_YEAR <= year <= report_pages.MAX_YEAR
    ):
        raise NotFound(_("没有这项考核数据。"))
    family = figures.FAMILIES[chosen.family]
    today = clock.today()
    rows = figures.figure_rows(user, year, unit.pk, chosen.key, today)
    items: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    if family.lists_items:
        items = _rows(rows, today)
    else:
        related = ["item__lead_unit", *(["urged_by"] if chosen.family == figures.URGES else [])]
        events = [
            _event(chosen.family, family.moment_field, row)
            for row in rows.select_related(*related).order_by(family.moment_field, "id")
        ]
    return {
        "year": year,
        "unit": present.unit_ref(unit),
        "figure": _figure(chosen, unavailable),
        "count": len(items) + len(events),
        "lists_items": family.lists_items,
        "items": items,
        "events": events,
    }


# ----------------------------------------------------------------------------- R-F6


@router.get(
    "/meetings",
    response={200: list[MeetingOut], **RESPONSES},
    summary=gettext_noop("按会议报告：会议列表"),
)
def list_meetings(request: HttpRequest, query: Query[YearQuery]) -> list[dict[str, Any]]:
    """The meetings whose items are in the year's ledger, newest minutes first, with
    their counts (/reports/meetings/)."""
    user = _user(request)
    _require_reader(user)
    return [
        {
            "source_body": meeting.source_body,
            "body_label": meeting.body_label,
            "minutes_issued_on": meeting.minutes_issued_on,
            "minutes": meeting.date_slug,
            "total": meeting.total,
            "completed": meeting.completed,
            "active": meeting.active,
            "overdue": meeting.overdue,
        }
        for meeting in leadership.meetings(user, _year(query))
    ]


@router.get(
    "/meetings/{source_body}/{minutes}",
    response={200: MeetingReportOut, **RESPONSES},
    summary=gettext_noop("按会议报告：一次会议的事项"),
)
def read_meeting(request: HttpRequest, source_body: str, minutes: str) -> dict[str, Any]:
    """The items of one meeting's minutes (`minutes`: the day they were issued,
    YYYY-MM-DD, or `undated`), with light and lateness (R-E4)."""
    user = _user(request)
    _require_reader(user)
    not_found = NotFound(_("没有这次会议的事项。"))
    if source_body not in SourceBody.values:
        raise not_found
    minutes_issued_on: dt.date | None = None
    if minutes != leadership.UNDATED:
        try:
            minutes_issued_on = dt.date.fromisoformat(minutes)
        except ValueError:
            raise not_found from None
    today = clock.today()
    rows = leadership.report_rows(
        leadership.meeting_items(user, source_body, minutes_issued_on), today
    )
    if not rows:
        raise not_found  # no meeting of that day, or none of its items is visible
    return {
        "source_body": source_body,
        "body_label": str(SourceBody(source_body).label),
        "minutes_issued_on": minutes_issued_on,
        "bases": sorted({row.basis for row in rows}),
        "items": [report_item(row) for row in rows],
    }


def _leader(person: User) -> dict[str, Any]:
    return {"id": person.pk, "full_name": person.full_name, "title": person.title}


@router.get(
    "/leaders",
    response={200: list[LeaderLineOut], **RESPONSES},
    summary=gettext_noop("按校领导报告：校领导列表"),
)
def list_leaders(request: HttpRequest, query: Query[YearQuery]) -> list[dict[str, Any]]:
    """Each school leader with the year's counts of the items of the units in their
    charge and of the items established on their decision (/reports/leaders/)."""
    user = _user(request)
    _require_reader(user)
    return [
        {"leader": _leader(line.leader), "in_charge": line.in_charge, "decided": line.decided}
        for line in leadership.leader_lines(user, _year(query))
    ]


@router.get(
    "/leaders/{leader_id}",
    response={200: LeaderReportOut, **RESPONSES},
    summary=gettext_noop("按校领导报告：一位校领导的事项"),
)
def read_leader(request: HttpRequest, leader_id: Id, query: Query[YearQuery]) -> dict[str, Any]:
    """The year's items of the units a school leader is in charge of, and the items
    established on their decision."""
    user = _user(request)
    _require_reader(user)
    person = leadership.leaders().filter(pk=leader_id).first()
    if person is None:
        raise NotFound(_("校领导不存在。"))
    year = _year(query)
    today = clock.today()
    in_charge, decided = leadership.leader_items(user, person, year)
    return {
        "year": year,
        "leader": _leader(person),
        "units": [
            present.unit_ref(unit)
            for unit in Unit.objects.filter(leader_in_charge=person).order_by("code")
        ],
        "in_charge": _rows(in_charge, today),
        "decided": _rows(decided, today),
    }


@router.get(
    "/period",
    response={200: PeriodReportOut, **RESPONSES},
    summary=gettext_noop("按时段报告"),
)
def read_period(request: HttpRequest, query: Query[PeriodQuery]) -> dict[str, Any]:
    """Items established, completed and overdue in a period, both days included
    (/reports/period/; `leadership.period_querysets` says what each list holds)."""
    user = _user(request)
    _require_reader(user)
    today = clock.today()
    default_start, default_end = leadership.default_period(today)
    start, end = query.start or default_start, query.end or default_end
    if start > end:
        message = _("起始日期不能晚于截止日期。")
        raise InvalidInput(message, errors={"start": message})
    if (end - start).days > MAX_PERIOD_DAYS:
        message = _("时间段不能超过五年。")
        raise InvalidInput(message, errors={"end": message})
    report = leadership.period_report(user, start, end, today)
    return {
        "start": start,
        "end": end,
        "title": leadership.period_title(start, end),
        "established": [report_item(row) for row in report.established],
        "completed": [report_item(row) for row in report.completed],
        "overdue": [report_item(row) for row in report.overdue],
    }
