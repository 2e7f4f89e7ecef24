"""The small lookups every page makes, by SQL compiled once per process
(duban.compiled.compiled_rows): the calendar's days and official years, the ledger's
years and its filter's units. The SQL is kept; the rows are always read again."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from duban.compiled import compiled_rows
from duban.items.lights import light_thresholds
from duban.items.models import LedgerCounter, SourceKind, ledger_years
from duban.organisation.models import Unit, UnitKind
from duban.web.forms import LedgerFilterForm, active_units
from duban.web.templatetags.duban_tags import field_block
from duban.workcalendar.calendar import WorkCalendar, set_day
from duban.workcalendar.models import CalendarDay, DayKind

from .conftest import Org

pytestmark = pytest.mark.django_db


def test_the_rows_are_the_orms_with_its_types_and_the_sql_is_compiled_once() -> None:
    first, last = dt.date(2026, 9, 25), dt.date(2026, 10, 12)
    set_day(dt.date(2026, 10, 1), DayKind.HOLIDAY, "国庆节")
    set_day(dt.date(2026, 9, 27), DayKind.WORKDAY, "调休上班")

    def days() -> Any:
        return CalendarDay.objects.filter(day__range=(first, last)).values_list("day", "kind")

    rows = compiled_rows(("test days", first, last), days)
    assert rows == list(days())
    assert all(type(day) is dt.date for day, _kind in rows)  # SQLite's text, converted

    # The second call compiles nothing but reads the table again.
    set_day(dt.date(2026, 10, 12), DayKind.HOLIDAY, "临时放假")
    again = compiled_rows(("test days", first, last), lambda: pytest.fail("compiled twice"))
    assert again == list(days())
    assert (dt.date(2026, 10, 12), DayKind.HOLIDAY) in again
    assert again != rows


def test_a_flat_list_and_a_query_that_matches_nothing() -> None:
    set_day(dt.date(2026, 10, 1), DayKind.HOLIDAY, "国庆节")
    flat = compiled_rows(
        ("test flat",),
        lambda: (
            CalendarDay.objects.filter(kind=DayKind.HOLIDAY, day__year=2026)
            .order_by("day")
            .values_list("day", flat=True)
        ),
    )
    assert flat == list(
        CalendarDay.objects.filter(kind=DayKind.HOLIDAY, day__year=2026)
        .order_by("day")
        .values_list("day", flat=True)
    )
    assert dt.date(2026, 10, 1) in flat
    with CaptureQueriesContext(connection) as queries:
        nothing = compiled_rows(
            ("test nothing",), lambda: CalendarDay.objects.filter(pk__in=[]).values_list("day")
        )
    assert nothing == []
    assert len(queries) == 0  # the ORM knows it matches nothing, and so does the cache


def test_an_edit_of_the_calendar_changes_the_next_pages_lights() -> None:
    # R-U4: "within three working days" moves when a holiday is declared; the calendar's
    # statement is compiled once, but each page reads the days again.
    today = dt.date(2026, 10, 26)  # a Monday
    before = light_thresholds(today)
    set_day(dt.date(2026, 10, 27), DayKind.HOLIDAY, "临时放假")
    after = light_thresholds(today)
    assert after.due_soon_until == before.due_soon_until + dt.timedelta(days=1)
    # A fresh calendar reads the day; the loaded window holds it.
    calendar = WorkCalendar()
    assert calendar.is_workday(dt.date(2026, 10, 27)).is_workday is False


def test_a_calendar_window_grows_by_the_days_it_lacks_only() -> None:
    set_day(dt.date(2026, 10, 1), DayKind.HOLIDAY, "国庆节")
    set_day(dt.date(2027, 1, 1), DayKind.HOLIDAY, "元旦")
    calendar = WorkCalendar()
    calendar.ensure_loaded(dt.date(2026, 10, 1), dt.date(2026, 11, 30))
    with CaptureQueriesContext(connection) as queries:
        calendar.ensure_loaded(dt.date(2026, 9, 1), dt.date(2027, 1, 31))
    assert len(queries) == 1
    assert calendar.is_workday(dt.date(2027, 1, 1)).is_workday is False
    assert calendar.is_workday(dt.date(2026, 10, 1)).is_workday is False
    assert calendar.workdays_between(dt.date(2026, 12, 31), dt.date(2027, 1, 4)).count == 1


def test_a_new_years_counter_is_in_the_next_ledger_years() -> None:
    LedgerCounter.objects.create(year=2031, source_kind=SourceKind.MEETING, last_number=1)
    assert ledger_years()[0] == 2031
    LedgerCounter.objects.create(year=2032, source_kind=SourceKind.MEETING, last_number=0)
    assert 2032 not in ledger_years()  # no item numbered yet
    LedgerCounter.objects.filter(year=2032).update(last_number=3)
    assert ledger_years()[0] == 2032


def _unit_select(form: LedgerFilterForm) -> str:
    return str(field_block(form["lead_unit"]))


def test_the_ledger_filters_units_are_read_when_shown_once(org: Org) -> None:
    form = LedgerFilterForm({"lead_unit": str(org.lead_unit.pk)}, years=[2026])
    assert form.is_valid()  # checks the unit asked for (a query of its own)
    with CaptureQueriesContext(connection) as queries:
        html = _unit_select(form)
    assert len(queries) == 1  # the options once (not again to ask if the first is empty)
    units = list(active_units())
    assert units and all(f">{unit.name}</option>" in html for unit in units)
    positions = [html.index(f">{unit.name}</option>") for unit in units]
    assert positions == sorted(positions)  # the university's order (by code)
    assert f'<option value="{org.lead_unit.pk}" selected>' in html
    assert '<option value="">全部</option>' in html

    # A unit added, and one closed, show on the next page.
    Unit.objects.create(code="9990", name="新设研究院", kind=UnitKind.DEPARTMENT)
    org.cooperating_unit.is_active = False
    org.cooperating_unit.save()
    html = _unit_select(LedgerFilterForm(None, years=[2026]))
    assert ">新设研究院</option>" in html
    assert f">{org.cooperating_unit.name}</option>" not in html


def test_the_ledger_filter_takes_only_an_active_unit(org: Org) -> None:
    form = LedgerFilterForm({"lead_unit": str(org.lead_unit.pk)}, years=[2026])
    assert form.is_valid()
    assert form.cleaned_data["lead_unit"] == org.lead_unit
    org.lead_unit.is_active = False
    org.lead_unit.save()
    form = LedgerFilterForm({"lead_unit": str(org.lead_unit.pk)}, years=[2026])
    assert not form.is_valid()
    assert "lead_unit" in form.errors
