"""Warning lights (R-U4) and the progress flags (R-U1, R-F3): derived facts, never stored.

`annotate_lights(queryset)` adds, in the queryset's own SQL (no query per row and no
Python loop over rows), four annotations to every item:

`no_progress` (R-U1) — the item is assigned or in progress, and its latest sign of
    life (the latest of `last_feedback_at`, `signed_at`, `assigned_at`) lies on a day
    before `subtract_workdays(today, 10)`: ten whole working days have passed without
    feedback. Feedback on day F makes the item "without progress" from the 11th working
    day after F (F + 10 working days is still fine).
`missed_milestone` (R-U1) — the item is in progress and a milestone of its current plan
    (the plan no later plan supersedes) fell due before today (`due_on < today`) with
    no feedback from the lead unit on or after its date. Each milestone's date is a
    reporting date: a progress feedback (or the completion report) dated on or after it
    reports it, so one feedback after the latest past milestone clears the flag.
`missed_phase_report` (R-F3) — a long item (every `annual` item, and any item whose
    deadline is more than 30 working days after its assignment: `deadline >
    add_workdays(assigned on, 30)`) owes a progress feedback in each calendar month
    after the month it was signed for. The flag is up when the last whole month (the
    month before today's) began after the signing and no feedback has come since that
    month began (a late report in the current month clears it). It is checked only
    while the item is in progress and not overdue: an overdue item is red and chased by
    the overdue ladder instead (R-U3).
`light` (R-U4), first match wins:
    grey   — completed, archived or terminated;
    red    — active and overdue: today > deadline (overdue from the day after it);
    yellow — active and the deadline is within 3 working days: deadline <=
             `add_workdays(today, 3)`, which includes the deadline day itself; or any
             of the three flags above;
    green  — everything else, including items not yet assigned that are neither
             overdue nor due within 3 working days (the flags apply only once the lead
             unit has been asked to act).

Working days are counted only by `duban.workcalendar.calendar`: the dates compared
with are worked out once per question in `light_thresholds` (one `WorkCalendar`, two
queries), then used as constants in SQL. "Long" depends on each item's own dates; it
is made a constant comparison as follows. An item can owe a phased report only if it
was assigned before the last whole month began (day P), so `add_workdays(assigned,
30) <= add_workdays(P - 1, 30)` =: `long_deadline_after`: any deadline after that is
long. For the few deadlines from today up to that day (the flag is only checked for
items not overdue) the cut-off `subtract_workdays(deadline, 30)` is computed in Python,
and `deadline > add_workdays(A, 30)` holds exactly when `A < subtract_workdays(deadline,
30)`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import (
    BooleanField,
    Case,
    CharField,
    DateField,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Greatest
from django.db.models.lookups import LessThan
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from duban import clock
from duban.compiled import Precompiled
from duban.workcalendar.calendar import WorkCalendar

from .models import Item, Milestone, SourceKind
from .states import ACTIVE_STATUSES, CLOSED_STATUSES, Status

GREEN = "green"
YELLOW = "yellow"
RED = "red"
GREY = "grey"

DUE_SOON_WORKDAYS = 3  # R-U4
NO_PROGRESS_WORKDAYS = 10  # R-U1
LONG_ITEM_WORKDAYS = 30  # R-F3
# Calendar days around today read in one go, enough for every threshold below even
# across the longest holiday; a question past it still answers (the calendar reads on).
CALENDAR_WINDOW = dt.timedelta(days=100)

# The statuses in which the lead unit owes progress and may be urged (MOVES["urge"]).
URGEABLE_STATUSES = (Status.ASSIGNED, Status.IN_PROGRESS)


@dataclass(frozen=True)
class Light:
    code: str
    label: Promise
    meaning: Promise

    @property
    def css_class(self) -> str:
        return f"light light--{self.code}"


LIGHTS: dict[str, Light] = {
    GREEN: Light(GREEN, _("绿灯"), _("正常推进")),
    YELLOW: Light(YELLOW, _("黄灯"), _("3个工作日内到期或进展滞后")),
    RED: Light(RED, _("红灯"), _("已超期")),
    GREY: Light(GREY, _("灰灯"), _("已办结或已终止")),
}
LIGHT_CHOICES = [(light.code, light.label) for light in LIGHTS.values()]


def start_of(day: dt.date) -> dt.datetime:
    """Midnight at the start of `day`, local time (dates are Asia/Shanghai days)."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def previous_month_start(today: dt.date) -> dt.date:
    return (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)


@dataclass(frozen=True)
class LightThresholds:
    """The dates the lights compare with, as of `today`; see the module docstring."""

    today: dt.date
    due_soon_until: dt.date  # add_workdays(today, 3)
    quiet_before: dt.date  # subtract_workdays(today, 10)
    phase_month_start: dt.date  # the first day of the last whole month
    long_deadline_after: dt.date  # add_workdays(phase_month_start - 1 day, 30)
    long_cutoffs: tuple[tuple[dt.date, dt.date], ...]  # (deadline, subtract_workdays(it, 30))

    @property
    def phase_month(self) -> str:
        return self.phase_month_start.strftime("%Y-%m")


def light_thresholds(
    today: dt.date | None = None, work_calendar: WorkCalendar | None = None
) -> LightThresholds:
    """Work out the dates once, through the calendar module (two queries)."""
    today = today or clock.today()
    calendar = work_calendar or WorkCalendar()
    calendar.ensure_loaded(today - CALENDAR_WINDOW, today + CALENDAR_WINDOW)
    month_start = previous_month_start(today)
    long_after = calendar.add_workdays(month_start - dt.timedelta(days=1), LONG_ITEM_WORKDAYS).day
    cutoffs = []
    deadline = today
    while deadline <= long_after:
        cutoffs.append((deadline, calendar.subtract_workdays(deadline, LONG_ITEM_WORKDAYS).day))
        deadline += dt.timedelta(days=1)
    return LightThresholds(
        today=today,
        due_soon_until=due_soon_until(today, calendar),
        quiet_before=calendar.subtract_workdays(today, NO_PROGRESS_WORKDAYS).day,
        phase_month_start=month_start,
        long_deadline_after=long_after,
        long_cutoffs=tuple(cutoffs),
    )


def due_soon_until(today: dt.date, days: WorkCalendar | None = None) -> dt.date:
    """The last deadline that counts as "within 3 working days" of `today` (R-U4);
    `days`: an already loaded calendar, to ask no query of the database."""
    return (days or WorkCalendar()).add_workdays(today, DUE_SOON_WORKDAYS).day


def overdue_filter(today: dt.date) -> Q:
    """Overdue (R-U4): still active and past the deadline, from the day after it. The
    red light, the ledger's 已超期 filter and the dashboard's overdue counts."""
    return Q(status__in=ACTIVE_STATUSES, deadline__lt=today)


def is_overdue(item: Any, today: dt.date) -> bool:
    """`overdue_filter` of one item in hand."""
    return bool(item.status in ACTIVE_STATUSES and item.deadline and item.deadline < today)


def deadline_lights(open_rows: Q, today: dt.date, soon_until: dt.date) -> list[When]:
    """R-U4's deadline part, for anything with a `deadline` (items, rectifications):
    red from the day after the deadline, yellow within 3 working days of it, the
    deadline day itself included. The caller puts grey before and green after."""
    return [
        When(open_rows & Q(deadline__lt=today), then=Value(RED)),
        When(open_rows & Q(deadline__lte=soon_until), then=Value(YELLOW)),
    ]


def _flag(condition: Any) -> Case:
    return Case(
        When(condition, then=Value(True)), default=Value(False), output_field=BooleanField()
    )


def _flag_conditions(limits: LightThresholds) -> dict[str, Any]:
    """The three progress flags as conditions on the item row (see the docstring)."""
    today = limits.today
    phase_start = start_of(limits.phase_month_start)
    progress_at = Greatest(
        Coalesce("last_feedback_at", "assigned_at"), Coalesce("signed_at", "assigned_at")
    )
    current_milestones = Milestone.objects.filter(
        plan__item=OuterRef("pk"),
        plan__superseded_by__isnull=True,
        due_on__lt=today,
        due_on__gt=Coalesce(
            # The day of the item's latest feedback (the wrapper gives LocalDate the
            # type of the outer column).
            clock.LocalDate(
                ExpressionWrapper(OuterRef("last_feedback_at"), output_field=DateTimeField())
            ),
            Value(dt.date.min),
            output_field=DateField(),
        ),
    )
    long_item = Q(source_kind=SourceKind.ANNUAL) | Q(deadline__gt=limits.long_deadline_after)
    if limits.long_cutoffs:
        cutoff = Case(
            *[
                When(deadline=deadline, then=Value(start_of(first_short)))
                for deadline, first_short in limits.long_cutoffs
            ],
            default=Value(None),
            output_field=DateTimeField(),
        )
        long_item |= Q(LessThan(F("assigned_at"), cutoff))
    return {
        "no_progress": Q(status__in=URGEABLE_STATUSES)
        & Q(LessThan(progress_at, start_of(limits.quiet_before))),
        "missed_milestone": Q(status=Status.IN_PROGRESS) & Q(Exists(current_milestones)),
        "missed_phase_report": (
            Q(status=Status.IN_PROGRESS, signed_at__lt=phase_start, deadline__gte=today)
            & (Q(last_feedback_at__isnull=True) | Q(last_feedback_at__lt=phase_start))
            & long_item
        ),
    }


def _light_case(limits: LightThresholds) -> Case:
    flags = _flag_conditions(limits)
    return Case(
        When(status__in=CLOSED_STATUSES, then=Value(GREY)),
        *deadline_lights(Q(status__in=ACTIVE_STATUSES), limits.today, limits.due_soon_until),
        When(
            flags["no_progress"] | flags["missed_milestone"] | flags["missed_phase_report"],
            then=Value(YELLOW),
        ),
        default=Value(GREEN),
        output_field=CharField(),
    )


def light_annotations(limits: LightThresholds) -> dict[str, Precompiled]:
    """`light` and the three flags as expressions on the item row, each compiled once
    per set of thresholds (a day's) and table alias (duban.compiled): their SQL
    depends on nothing else, and building and compiling them with the ORM cost a list
    page more than the database spent on its rows."""
    key = ("lights", timezone.get_current_timezone_name(), limits)

    def flag(name: str) -> Precompiled:
        return Precompiled(
            (*key, name), lambda: _flag(_flag_conditions(limits)[name]), BooleanField()
        )

    return {
        "no_progress": flag("no_progress"),
        "missed_milestone": flag("missed_milestone"),
        "missed_phase_report": flag("missed_phase_report"),
        "light": Precompiled((*key, "light"), lambda: _light_case(limits), CharField()),
    }


def annotate_lights(
    queryset: QuerySet[Item],
    today: dt.date | None = None,
    *,
    thresholds: LightThresholds | None = None,
) -> QuerySet[Item]:
    """Add `light`, `no_progress`, `missed_milestone` and `missed_phase_report` to
    every row of `queryset` (rules in the module docstring). Pass `thresholds` to reuse
    dates already worked out (several lists on one page)."""
    return queryset.annotate(**light_annotations(thresholds or light_thresholds(today)))


NEEDS_ATTENTION = Q(no_progress=True) | Q(missed_milestone=True) | Q(missed_phase_report=True)


def light_filter(code: str, thresholds: LightThresholds | None = None) -> Q:
    """Rows of `annotate_lights` whose light is `code`: exactly `Q(light=code)`, written
    as ranges of indexed columns (status, deadline) so that the database narrows the
    rows by index before it works out any light. Red and grey are ranges only; yellow
    and green also ask the flags, which apply only to items being worked on."""
    limits = thresholds or light_thresholds()
    active = Q(status__in=ACTIVE_STATUSES)
    if code == GREY:
        return Q(status__in=CLOSED_STATUSES)
    if code == RED:
        return overdue_filter(limits.today)
    # Active with a later deadline: yellow if flagged, else green — nothing else. Each
    # light is asked as "not the other" (`light <> 'green'`): PostgreSQL has no
    # statistics of the light expression and takes an equality to it for a rare value
    # (0.5%), a difference for a common one. Asked `light = 'yellow'`, it expected a
    # hundred of the office's 5,000 yellow items and sorted them all for the first
    # page (15 ms at 100,000 items) instead of walking the ledger's order (3 ms).
    later = active & Q(deadline__gt=limits.due_soon_until)
    if code == YELLOW:
        due_soon = active & Q(deadline__gte=limits.today, deadline__lte=limits.due_soon_until)
        # Every flag needs the lead unit at work (assigned or in progress).
        return due_soon | (later & Q(status__in=URGEABLE_STATUSES) & ~Q(light=GREEN))
    if code == GREEN:
        return later & ~Q(light=YELLOW)
    return Q(pk__in=[])


def light_fields(item: Item, today: dt.date | None = None) -> dict[str, Any]:
    """The light and flags of one item: read from its annotations when it was fetched
    through `annotate_lights`, else worked out with one more query (plus the calendar)."""
    names = ("light", "no_progress", "missed_milestone", "missed_phase_report")
    if all(hasattr(item, name) for name in names):
        values = {name: getattr(item, name) for name in names}
    else:
        values = annotate_lights(Item.objects.filter(pk=item.pk), today).values(*names).get()
    light = LIGHTS[values["light"]]
    return {
        **values,
        "light_label": str(light.label),
        "light_meaning": str(light.meaning),
    }


def annotate_part_lights(queryset: Any, today: dt.date | None = None) -> Any:
    """Add `light` to each work part (R-A4) by its own date, as an item's (R-U4): grey
    once reported or closed, red overdue, yellow within 3 working days, else green."""
    from .models import OPEN_PART_STATUSES

    today = today or clock.today()
    open_rows = Q(status__in=OPEN_PART_STATUSES)
    return queryset.annotate(
        light=Case(
            *deadline_lights(open_rows, today, due_soon_until(today)),
            When(~open_rows, then=Value(GREY)),
            default=Value(GREEN),
            output_field=CharField(),
        )
    )
