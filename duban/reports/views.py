"""The pages of figures and reports (/reports/…).

Who sees what:
- the dashboard and the reports to the leadership (R-F6): office supervisors and
  school leaders; anyone else gets 403;
- the assessment (R-K3): office supervisors and school leaders see every unit; a
  unit's head and liaison see their own unit's row (to know where the unit stands);
  anyone else gets 403.
Every list and count comes from `Item.objects.visible_to(user)` (R-C5).
"""

from __future__ import annotations

import csv
import datetime as dt
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe

from duban import clock
from duban.items.models import SourceBody, UrgeChannel, ledger_years
from duban.organisation.models import Role, Unit, User

from . import actions, figures, leadership
from .dashboard import build_dashboard

MIN_YEAR = 2000
MAX_YEAR = 2100
READERS = (Role.OFFICE_SUPERVISOR, Role.SCHOOL_LEADER)
SPREADSHEET_FORMULA_STARTS = ("=", "+", "-", "@")


def current_user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _require_reader(user: User) -> None:
    if user.role not in READERS:
        raise PermissionDenied(_("只有督办部门和校领导可以查看统计和报告。"))


def _assessment_units(user: User) -> Any:
    units = figures.assessment_units(user)
    if units is None:
        raise PermissionDenied(_("只有督办部门、校领导和各单位负责人、联络员可以查看考核统计。"))
    return units


def _year(request: HttpRequest) -> int:
    """The year asked for, or this year (a malformed year is ignored)."""
    try:
        year = int(request.GET.get("year", ""))
    except ValueError:
        return clock.today().year
    return year if MIN_YEAR <= year <= MAX_YEAR else clock.today().year


def _years(user: User, year: int) -> list[int]:
    years = set(ledger_years())
    years.update({clock.today().year, year})
    return sorted(years, reverse=True)


@require_safe
@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    if user.role in READERS:
        return redirect("reports-dashboard")
    _assessment_units(user)
    return redirect("reports-assessment")


# ----------------------------------------------------------------------------- dashboard


@require_safe
@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    _require_reader(user)
    year = _year(request)
    return render(
        request,
        "reports/dashboard.html",
        {
            "dashboard": build_dashboard(user, year),
            "year": year,
            "years": _years(user, year),
            "tab": "dashboard",
        },
    )


# ----------------------------------------------------------------------------- assessment


@require_safe
@login_required
def assessment(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    units = _assessment_units(user)
    year = _year(request)
    table = figures.compute_assessment(user, year, units)
    _link_cells(table)
    return render(
        request,
        "reports/assessment.html",
        {
            "assessment": table,
            "year": year,
            "years": _years(user, year),
            "rate_definition": figures.RATE_DEFINITION,
            "unavailable_note": figures.UNAVAILABLE_NOTE,
            "own_unit_only": user.role not in READERS,
            "tab": "assessment",
        },
    )


# Stand-ins reversed once, then replaced per cell: a 100-unit table has 2,000 links.
_UNIT_MARK, _FIGURE_MARK = 987_654_321, "figurekeymark"


def _link_cells(table: figures.Assessment) -> None:
    """Each figure cell's drill-down link (reports-assessment-figure)."""
    pattern = reverse("reports-assessment-figure", args=[table.year, _UNIT_MARK, _FIGURE_MARK])
    for row in table.rows:
        unit_link = pattern.replace(str(_UNIT_MARK), str(row.unit.pk))
        for cell in row.cells:
            if cell.column.figure is not None:
                cell.href = unit_link.replace(_FIGURE_MARK, cell.column.key)


def _csv_cell(value: Any) -> str:
    """A cell a spreadsheet would run as a formula is written as text."""
    text = str(value)
    return "'" + text if text.startswith(SPREADSHEET_FORMULA_STARTS) else text


@require_safe
@login_required
def assessment_csv(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    return assessment_csv_response(user, _assessment_units(user), _year(request))


def assessment_csv_response(user: User, units: Any, year: int) -> HttpResponse:
    """The assessment of `units` as a CSV download, audited (the page's and the API's)."""
    data = figures.compute_assessment(user, year, units)
    actions.record_assessment_export(user, year=year, units=len(data.rows))
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="assessment-{year}.csv"'
    response.write("\ufeff")  # so that spreadsheets read the Chinese as UTF-8
    writer = csv.writer(response)
    writer.writerow(
        [_("单位代码"), _("单位"), *(str(figure.label) for figure in data.figures), _("办结率")]
    )
    for row in data.rows:
        rate = row.completion_rate
        writer.writerow(
            [
                _csv_cell(row.unit.code),
                _csv_cell(row.unit.name),
                *(row.counts[figure.key] for figure in data.figures),
                f"{rate:.1%}" if rate is not None else "",
            ]
        )
    return response


def _event_detail(family: str, row: Any) -> str:
    """One line saying what the event was (the drill-down of an event figure)."""
    if family == figures.CONTRIBUTIONS:
        return str(row.text)
    if family == figures.EXTENSIONS:
        return _("申请延至%(requested)s（申请时时限%(current)s）：%(status)s") % {
            "requested": row.requested_deadline.isoformat(),
            "current": row.current_deadline.isoformat(),
            "status": row.get_status_display(),
        }
    if family == figures.URGES:
        who = (
            row.urged_by.full_name
            if row.urged_by
            else _("系统自动提醒（%(step)s）") % {"step": row.step_label}
        )
        return _("%(channel)s · %(who)s%(note)s") % {
            "channel": UrgeChannel(row.channel).label,
            "who": who,
            "note": "：" + row.note if row.note else "",
        }
    if family == figures.SPOT_CHECKS:
        return _("%(method)s：%(finding)s") % {
            "method": row.get_method_display(),
            "finding": row.finding,
        }
    return str(row.summary)


@require_safe
@login_required
def assessment_figure(request: HttpRequest, year: int, unit_id: int, figure: str) -> HttpResponse:
    """The rows behind one number of the assessment: as many as the number says."""
    user = current_user(request)
    units = _assessment_units(user)
    unit = get_object_or_404(Unit, pk=unit_id)
    if not units.filter(pk=unit.pk).exists():
        raise PermissionDenied(_("只能查看本单位的考核数据。"))
    chosen = figures.FIGURES.get(figure)
    if chosen is None or not MIN_YEAR <= year <= MAX_YEAR:
        raise Http404
    if chosen.family == figures.SPOT_CHECKS and not figures.spot_checks_available():
        raise Http404
    family = figures.FAMILIES[chosen.family]
    today = clock.today()
    rows = figures.figure_rows(user, year, unit.pk, chosen.key, today)
    context: dict[str, Any] = {
        "figure": chosen,
        "unit": unit,
        "year": year,
        "today": today,
        "lists_items": family.lists_items,
        "tab": "assessment",
    }
    if family.lists_items:
        context["items"] = leadership.report_rows(rows, today)
        context["count"] = len(context["items"])
    else:
        related = ["item__lead_unit", *(["urged_by"] if chosen.family == figures.URGES else [])]
        events = list(rows.select_related(*related).order_by(family.moment_field, "id"))
        for event in events:
            event.moment = getattr(event, family.moment_field)
            event.detail = _event_detail(chosen.family, event)
        context["events"] = events
        context["count"] = len(events)
    return render(request, "reports/assessment_figure.html", context)


# ----------------------------------------------------------------------------- R-F6


@require_safe
@login_required
def meetings(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    _require_reader(user)
    year = _year(request)
    return render(
        request,
        "reports/meetings.html",
        {
            "meetings": leadership.meetings(user, year),
            "year": year,
            "years": _years(user, year),
            "tab": "meetings",
        },
    )


@require_safe
@login_required
def meeting(request: HttpRequest, source_body: str, minutes: str) -> HttpResponse:
    user = current_user(request)
    _require_reader(user)
    if source_body not in dict(SourceBody.choices):
        raise Http404
    minutes_issued_on: dt.date | None = None
    if minutes != leadership.UNDATED:
        try:
            minutes_issued_on = dt.date.fromisoformat(minutes)
        except ValueError:
            raise Http404 from None
    today = clock.today()
    items = leadership.report_rows(
        leadership.meeting_items(user, source_body, minutes_issued_on), today
    )
    if not items:
        raise Http404  # no meeting of that day, or none of its items is visible
    return render(
        request,
        "reports/meeting.html",
        {
            "items": items,
            "body_label": SourceBody(source_body).label,
            "minutes_issued_on": minutes_issued_on,
            "bases": sorted({item.basis for item in items}),
            "today": today,
            "tab": "meetings",
        },
    )


@require_safe
@login_required
def leader_list(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    _require_reader(user)
    year = _year(request)
    return render(
        request,
        "reports/leaders.html",
        {
            "lines": leadership.leader_lines(user, year),
            "year": year,
            "years": _years(user, year),
            "tab": "leaders",
        },
    )


@require_safe
@login_required
def leader(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    _require_reader(user)
    person = get_object_or_404(leadership.leaders(), pk=pk)
    year = _year(request)
    today = clock.today()
    in_charge, decided = leadership.leader_items(user, person, year)
    return render(
        request,
        "reports/leader.html",
        {
            "leader": person,
            "units": Unit.objects.filter(leader_in_charge=person).order_by("code"),
            "in_charge": leadership.report_rows(in_charge, today),
            "decided": leadership.report_rows(decided, today),
            "year": year,
            "years": _years(user, year),
            "today": today,
            "tab": "leaders",
        },
    )


class PeriodForm(forms.Form):
    start = forms.DateField(
        label=gettext_lazy("起始日期"), widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=gettext_lazy("截止日期"), widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and start > end:
            raise forms.ValidationError(gettext_lazy("起始日期不能晚于截止日期。"))
        if start and end and (end - start).days > 366 * 5:
            raise forms.ValidationError(gettext_lazy("时间段不能超过五年。"))
        return cleaned


@require_safe
@login_required
def period(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    _require_reader(user)
    today = clock.today()
    start, end = leadership.default_period(today)
    form = PeriodForm(
        request.GET if "start" in request.GET or "end" in request.GET else None,
        initial={"start": start, "end": end},
    )
    if form.is_bound and form.is_valid():
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    report = leadership.period_report(user, start, end, today)
    return render(
        request,
        "reports/period.html",
        {
            "form": form,
            "report": report,
            "title": leadership.period_title(start, end),
            "today": today,
            "tab": "period",
        },
    )
