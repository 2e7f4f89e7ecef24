"""The reminder sweep: the automatic ladder (R-U3), the urgent first feedback (R-F2)
and the phased reports of long items (R-F3).

`run_sweep(at)` looks at every item as of the moment `at` and sends each step that is
due and not yet sent. It runs every 5 minutes on the task engine
(`duban.items.tasks.sweep`) and by hand (`manage.py sweep --at ...`). Working days are
counted only by `duban.workcalendar.calendar`. The rules, as implemented:

- Only items the lead unit is working on are chased: assigned or in progress (the
  states of the "urge" move). Nothing is sent on a day that is not a working day, so
  the count of working days overdue does not move over a holiday.
- `deadline-3`: on the 3rd working day before the deadline,
  `subtract_workdays(deadline, 3)`; `deadline-0`: on the deadline day, or on the last
  working day before it when the deadline is not a working day. Both to the lead
  unit's liaison and head. Neither is sent for a day before the item was assigned
  (the assignment notice itself names the deadline).
- Overdue: k = the number of working days in (deadline, today]. `overdue-<k>` at k =
  1, 4, 7, ... (every 3 working days) to the liaison and the head; `leader-5` at k = 5
  to the leader in charge of the lead unit alone; from then on the leader is also in
  every `overdue-<k>` (k = 7, 10, ...).
- Catching up: each day only the latest step due is sent. A sweep that did not run on
  a step's day is made up by the next one, once, with the latest step due by then;
  earlier steps missed are never sent in a burst.
- `first-feedback` (R-F2): an urgent item without any feedback once the first working
  day after its assignment has ended (so on the 2nd working day after it, or the first
  sweep after) — to the liaison and the head, once per item.
- `phase-YYYY-MM` (R-F3): a long item whose last whole month YYYY-MM passed without a
  progress feedback (`lights.missed_phase_report`, whose docstring defines "long") —
  to the liaison and the head, once per month.
- When a deadline has been changed (extension, recorded change), the deadline steps of
  the new deadline are new steps: their key carries it, e.g. `overdue-1@2026-12-31`,
  so the ladder starts again for the new date. Keys of an unchanged deadline are the
  bare names above.
- Parts (分办, R-A4): each open part climbs the same ladder on its own date, keyed
  `part<id>-<step>@<date>`, addressed to the cooperating unit's liaison and head; once
  the part is overdue the lead unit's liaison is copied. Part reminders are urges of
  the cooperating unit, counted apart from the item's (`duban.items.urges`).
- `step_label(key)` says a step in words (pages, documents and the audit summary).

Exactly once: each step is an automatic `Urge` (no person urging, channel "system",
the step as its key), unique on (item, step). Steps are claimed in batches of
CLAIM_BATCH, each in its own transaction: lock the batch's items (in id order), skip
the steps already sent, insert the others' Urges, write their notices through
`duban.notify.outbox.notify_many` and their audit events, commit. A second worker
claiming the same items waits for the lock, then finds the steps sent and sends
nothing; the unique constraint is the backstop. Run `run_sweep` outside any
transaction, so each batch commits on its own.

Candidates are selected set-based: a fixed number of queries whatever the number of
items (the calendar, the candidate items with their people, the steps already sent),
then a constant number per batch and one per audit event (the chain's head moves
one event at a time).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property, partial
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from duban import clock
from duban.organisation.models import Unit
from duban.workcalendar.calendar import WorkCalendar

from .lights import URGEABLE_STATUSES as SWEPT_STATUSES
from .lights import LightThresholds, annotate_lights, light_thresholds, start_of
from .models import OPEN_PART_STATUSES, Item, Urge, UrgeChannel, WorkPart
from .visibility import visible_pairs

DEADLINE_3 = "deadline-3"
DEADLINE_0 = "deadline-0"
LEADER_5 = "leader-5"
FIRST_FEEDBACK = "first-feedback"
REMINDER_WORKDAYS = 3  # deadline-3
OVERDUE_EVERY = 3  # overdue-1, overdue-4, overdue-7, ...
LEADER_FROM = 5  # leader-5, then the leader in every later overdue step
FIRST_FEEDBACK_WORKDAYS = 1  # R-F2
CLAIM_BATCH = 200  # steps claimed and sent per transaction


# The candidates' columns that neither the steps, their notices, their audit events nor
# their webhooks' payloads read: three long texts and seven of the nine moments. For a
# run's 15,000 candidates, parsing those moments (psycopg) and texts was about a third
# of the selection's Python time (docs/performance.md, Jobs).
UNREAD_COLUMNS = (
    "content",
    "basis",
    "deadline_reason",
    "established_at",
    "signed_at",
    "submitted_at",
    "completed_at",
    "terminated_at",
    "created_at",
    "updated_at",
)

# What a candidate's steps and their texts read: the selection reads these columns as
# rows, not items (building 15,000 model instances with their units' people was most of
# a run's time when every step had been sent already); the items of the steps a batch
# sends are read whole, locked, in `_claim_and_send`.
CANDIDATE_COLUMNS = (
    "pk",
    "ledger_number",
    "title",
    "deadline",
    "original_deadline",
    "urgent",
    "assigned_at",
    "last_feedback_at",
    "lead_unit_id",
    "missed_phase_report",
)
LEAD_UNIT = CANDIDATE_COLUMNS.index("lead_unit_id")


@dataclass(frozen=True, slots=True)
class Candidate:
    """An item the sweep looks at, with its lead unit and the unit's people."""

    pk: int
    ledger_number: str
    title: str
    deadline: dt.date
    original_deadline: dt.date
    urgent: bool
    assigned_at: dt.datetime | None
    last_feedback_at: dt.datetime | None
    lead_unit_id: int
    missed_phase_report: bool
    lead_unit: Unit


Subject = Item | Candidate  # what a step is about: a candidate, or a part's item


@dataclass(frozen=True)
class SweepNotice:
    """One notice the sweep queued: a step sent to its recipients."""

    item_id: int
    ledger_number: str
    step: str
    recipients: tuple[str, ...]

    def line(self) -> str:
        return f"{self.ledger_number} {self.step} {','.join(self.recipients)}"


@dataclass
class SweepResult:
    at: dt.datetime
    today: dt.date
    workday: bool
    notices: list[SweepNotice] = field(default_factory=list)

    @property
    def sent(self) -> int:
        return len(self.notices)


@dataclass(frozen=True)
class PlannedStep:
    """A step due: its item, key and recipients, and its notice's title and body, which
    are written (translated and filled in) only when asked for: a run that finds its
    15,000 steps sent already writes none."""

    item: Subject
    key: str
    recipients: tuple[Any, ...]
    texts: Callable[[], tuple[str, str]]  # (title, body)
    part: WorkPart | None = None  # a cooperating unit's part (R-A4), urged on its own ladder

    @cached_property
    def written(self) -> tuple[str, str]:
        return self.texts()

    @property
    def title(self) -> str:
        return self.written[0]

    @property
    def body(self) -> str:
        return self.written[1]


def sent_steps(item_ids: Iterable[int], keys: Iterable[str]) -> set[tuple[int, str]]:
    """(item, step) of the steps among `keys` already sent on `item_ids`: the ids and
    the keys each as one array on PostgreSQL (`any_of`), whatever their number."""
    return set(
        Urge.objects.filter(item_id__any_of=set(item_ids), step__any_of=set(keys)).values_list(
            "item_id", "step"
        )
    )


def run_sweep(at: dt.datetime) -> SweepResult:
    """Send every step due as of `at` that has not been sent yet (see the module)."""
    if timezone.is_naive(at):
        at = timezone.make_aware(at)
    today = timezone.localdate(at)
    with clock.frozen_at(at):
        calendar = WorkCalendar()
        limits = light_thresholds(today, calendar)
        result = SweepResult(at=at, today=today, workday=calendar.is_workday(today).is_workday)
        if not result.workday:
            return result
        planned = due_steps(today, calendar, limits)
        sent = sent_steps({step.item.pk for step in planned}, {step.key for step in planned})
        unsent = [step for step in planned if (step.item.pk, step.key) not in sent]
        # Whoever may not see the item is not told about it (a discipline item, a
        # recusal): one visibility query per recipient for the whole run.
        seeing = visible_pairs(
            (person, step.item.pk) for step in unsent for person in step.recipients
        )
        for start in range(0, len(unsent), CLAIM_BATCH):
            batch = unsent[start : start + CLAIM_BATCH]
            result.notices.extend(_claim_and_send(batch, at, seeing))
        # Spot checks' rectifications climb the same ladder (R-K1, R-U3).
        from duban.spotchecks.reminders import sweep_rectifications

        result.notices.extend(sweep_rectifications(at, today, calendar, limits))
    return result


def due_steps(today: dt.date, calendar: WorkCalendar, limits: LightThresholds) -> list[PlannedStep]:
    """The latest step due today for every item that has one (sent or not)."""
    first_feedback_before = start_of(calendar.subtract_workdays(today, FIRST_FEEDBACK_WORKDAYS).day)
    rows = list(
        annotate_lights(Item.objects.filter(status__in=SWEPT_STATUSES), thresholds=limits)
        .filter(
            Q(deadline__lte=limits.due_soon_until)
            | Q(urgent=True, last_feedback_at__isnull=True, assigned_at__lt=first_feedback_before)
            | Q(missed_phase_report=True)
        )
        .order_by("deadline", "pk")
        .values_list(*CANDIDATE_COLUMNS)
    )
    # A hundred units with their people, once each, rather than joined to every row.
    units = Unit.objects.select_related("liaison", "head", "leader_in_charge").in_bulk(
        {row[LEAD_UNIT] for row in rows}
    )
    items = [
        Candidate(*columns, units[columns[LEAD_UNIT]])  # type: ignore[call-arg]
        for columns in rows
    ]
    overdue = [item.deadline for item in items if item.deadline < today]
    if overdue:
        # One read of the calendar covers every overdue count below.
        calendar.ensure_loaded(min(overdue), today)
    # The ladder's rung depends only on the deadline: worked out once per date.
    rungs: dict[dt.date, Rung | None] = {}
    planned: list[PlannedStep] = []
    for item in items:
        if item.deadline not in rungs:
            rungs[item.deadline] = ladder_rung(item.deadline, today, calendar, limits)
        step = _deadline_step(item, today, rungs[item.deadline])
        if step is not None:
            planned.append(step)
        if (
            item.urgent
            and item.last_feedback_at is None
            and item.assigned_at is not None
            and item.assigned_at < first_feedback_before
        ):
            planned.append(_first_feedback_step(item))
        if getattr(item, "missed_phase_report", False):
            planned.append(_phase_step(item, limits))
    planned.extend(_part_steps(today, calendar, limits))
    return [step for step in planned if step.recipients]


def _part_steps(
    today: dt.date, calendar: WorkCalendar, limits: LightThresholds
) -> list[PlannedStep]:
    """R-A4 with R-U3: each open part of an item being worked on climbs the ladder on its
    own date, to its cooperating unit's liaison and head; once it is overdue the lead
    unit's liaison is copied. No leader step: the lead unit chases its partners."""
    parts = (
        WorkPart.objects.filter(
            status__in=OPEN_PART_STATUSES,
            item__status__in=SWEPT_STATUSES,
            deadline__lte=limits.due_soon_until,
        )
        .select_related("item__lead_unit__liaison", "unit__liaison", "unit__head")
        .order_by("deadline", "pk")
    )
    planned = []
    for part in parts:
        rung = ladder_rung(part.deadline, today, calendar, limits)
        if rung is None or rung.name == LEADER_5:
            continue
        if rung.day < timezone.localdate(part.created_at):
            continue  # the division itself, newer than the step, named the date
        item = part.item
        people = tuple(person for person in (part.unit.liaison, part.unit.head) if person)
        if rung.latest_urge:
            people += (item.lead_unit.liaison,) if item.lead_unit.liaison else ()
        key = f"part{part.pk}-{rung.name}@{part.deadline.isoformat()}"
        planned.append(PlannedStep(item, key, people, partial(_part_texts, part, rung), part))
    return planned


def _part_texts(part: WorkPart, rung: Rung) -> tuple[str, str]:
    facts = {
        "title": part.item.title,
        "number": part.item.ledger_number,
        "deadline": part.deadline.isoformat(),
        "unit": part.unit.name,
        "days": rung.count,
    }
    if rung.latest_urge:
        return _("分工已超期%(days)d个工作日：%(title)s") % facts, _(
            "%(unit)s承担的分工（台账编号%(number)s）完成时限为%(deadline)s，"
            "已超期%(days)d个工作日。请立即办理并向承办单位报送。"
        ) % facts
    return _("分工即将到期：%(title)s") % facts, _(
        "%(unit)s承担的分工（台账编号%(number)s）完成时限为%(deadline)s。"
        "请按时向承办单位报送办理情况。"
    ) % facts


def _contacts(item: Subject) -> tuple[Any, ...]:
    unit = item.lead_unit
    return tuple(person for person in (unit.liaison, unit.head) if person is not None)


def _leader(item: Subject) -> tuple[Any, ...]:
    leader = item.lead_unit.leader_in_charge
    return (leader,) if leader is not None else ()


STEP_LABELS: dict[str, Any] = {
    DEADLINE_3: gettext_lazy("到期前3个工作日提醒"),
    DEADLINE_0: gettext_lazy("到期当日提醒"),
    LEADER_5: gettext_lazy("超期报分管校领导"),
    FIRST_FEEDBACK: gettext_lazy("紧急事项首次反馈催报"),
}


def step_label(key: str) -> str:
    """The reminder step `key` (an Urge's `step`) in words, for pages and documents."""
    part = key.startswith("part")
    base, _sep, day = key.partition("@")
    if part:
        base = base.split("-", 1)[1] if "-" in base else base
    if base in STEP_LABELS:
        label = str(STEP_LABELS[base])
    elif base.startswith("overdue-"):
        label = _("超期%(n)s个工作日催办") % {"n": base.removeprefix("overdue-")}
    elif base.startswith("phase-"):
        label = _("%(month)s阶段性反馈催报") % {"month": base.removeprefix("phase-")}
    else:
        return key
    if part:
        label = _("分工%(label)s") % {"label": label}
    if day:
        label += _("（时限%(day)s）") % {"day": day}
    return label


def _deadline_key(item: Subject, name: str) -> str:
    if item.deadline == item.original_deadline:
        return name
    return f"{name}@{item.deadline.isoformat()}"


@dataclass(frozen=True)
class Rung:
    """The latest step of R-U3's ladder due today for a deadline (see the module)."""

    name: str  # deadline-3, deadline-0, overdue-<k> or leader-5
    day: dt.date  # the working day the step belongs to
    count: int  # working days overdue, or left before the deadline for deadline-3
    latest_urge: int = 0  # overdue: the latest overdue-<k> due (k = 1, 4, 7, ...)


def ladder_rung(
    deadline: dt.date, today: dt.date, calendar: WorkCalendar, limits: LightThresholds
) -> Rung | None:
    """The one rule of the ladder, for items and rectifications alike."""
    if deadline < today:
        overdue = calendar.workdays_between(deadline, today).count
        latest_urge = overdue - (overdue - 1) % OVERDUE_EVERY
        name = LEADER_5 if latest_urge < LEADER_FROM <= overdue else f"overdue-{latest_urge}"
        return Rung(name, today, overdue, latest_urge)
    if deadline > limits.due_soon_until:
        return None
    last_day = calendar.subtract_workdays(deadline + dt.timedelta(days=1), 1).day
    if today >= last_day:
        return Rung(DEADLINE_0, last_day, 0)
    day = calendar.subtract_workdays(deadline, REMINDER_WORKDAYS).day
    return Rung(DEADLINE_3, day, calendar.workdays_between(today, deadline).count)


def _deadline_step(item: Subject, today: dt.date, rung: Rung | None) -> PlannedStep | None:
    if rung is None:
        return None
    texts = partial(_deadline_texts, item, today, rung)
    if rung.name == LEADER_5:
        return PlannedStep(item, _deadline_key(item, LEADER_5), _leader(item), texts)
    if rung.latest_urge:
        people = _contacts(item)
        if rung.latest_urge >= LEADER_FROM:
            people += _leader(item)
        return PlannedStep(item, _deadline_key(item, rung.name), people, texts)
    assigned_on = timezone.localdate(item.assigned_at) if item.assigned_at else today
    if rung.day < assigned_on:
        return None  # the assignment notice, newer than the step, names the deadline
    return PlannedStep(item, _deadline_key(item, rung.name), _contacts(item), texts)


def _deadline_texts(item: Subject, today: dt.date, rung: Rung) -> tuple[str, str]:
    deadline = item.deadline
    facts: dict[str, Any] = {
        "title": item.title,
        "number": item.ledger_number,
        "deadline": deadline.isoformat(),
        "unit": item.lead_unit.name,
        "days": rung.count,
    }
    if rung.name == LEADER_5:
        return _("分管单位督办事项已超期%(days)d个工作日：%(title)s") % facts, _(
            "%(unit)s承办的督办事项（台账编号%(number)s，办结时限%(deadline)s）"
            "已超期%(days)d个工作日，请督促办理。"
        ) % facts
    if rung.latest_urge:
        return _("督办事项已超期%(days)d个工作日：%(title)s") % facts, _(
            "台账编号%(number)s，办结时限%(deadline)s，已超期%(days)d个工作日。"
            "请立即办理并反馈；确有困难的，请书面说明情况。"
        ) % facts
    if rung.name == DEADLINE_0:
        body = (
            _("台账编号%(number)s，办结时限为今天。请按时报送办结报告。")
            if deadline == today
            else _("台账编号%(number)s，办结时限%(deadline)s，今天是到期前最后一个工作日。")
        )
        return _("督办事项今天到期：%(title)s") % facts, body % facts
    return _("督办事项即将到期：%(title)s") % facts, _(
        "台账编号%(number)s，办结时限%(deadline)s，还有%(days)d个工作日。请抓紧办理。"
    ) % facts


def _first_feedback_step(item: Subject) -> PlannedStep:
    return PlannedStep(item, FIRST_FEEDBACK, _contacts(item), partial(_first_feedback_texts, item))


def _first_feedback_texts(item: Subject) -> tuple[str, str]:
    assigned_at = item.assigned_at or clock.now()
    facts = {
        "title": item.title,
        "number": item.ledger_number,
        "assigned": timezone.localtime(assigned_at).strftime("%Y-%m-%d %H:%M"),
    }
    return _("紧急督办事项请立即反馈：%(title)s") % facts, _(
        "台账编号%(number)s为紧急事项，应在交办后1个工作日内反馈（交办时间%(assigned)s），"
        "至今未收到反馈。请立即反馈办理情况。"
    ) % facts


def _phase_step(item: Subject, limits: LightThresholds) -> PlannedStep:
    key = f"phase-{limits.phase_month}"
    return PlannedStep(item, key, _contacts(item), partial(_phase_texts, item, limits))


def _phase_texts(item: Subject, limits: LightThresholds) -> tuple[str, str]:
    month = limits.phase_month_start
    facts = {
        "title": item.title,
        "number": item.ledger_number,
        "month": _("%(year)d年%(month)d月") % {"year": month.year, "month": month.month},
    }
    return _("请报送阶段性进展：%(title)s") % facts, _(
        "台账编号%(number)s为长期事项，须每月反馈阶段性进展；%(month)s未收到进展反馈，请及时报送。"
    ) % facts


def _claim_and_send(
    steps: list[PlannedStep], at: dt.datetime, seeing: set[tuple[int, int]]
) -> list[SweepNotice]:
    """Claim a batch of steps and send them, in one transaction: lock the batch's items,
    skip the steps already sent, insert the others' Urges, write their notices and
    audit events. A second sweep claiming the same items waits for the lock and then
    finds the steps sent; the unique (item, step) constraint stays the backstop.
    Recipients are those of `seeing`, the (person, item) pairs the visibility rule
    allows; a step nobody may receive is not sent."""
    from duban.audit.models import Entry, record_many
    from duban.notify.outbox import Message, notify_many

    addressed = []
    for step in steps:
        recipients = [
            person
            for person in step.recipients
            if person.is_active and (person.pk, step.item.pk) in seeing
        ]
        if recipients:
            addressed.append((step, recipients))
    if not addressed:
        return []
    item_ids = sorted({step.item.pk for step, _recipients in addressed})
    with transaction.atomic():
        # The batch's items, locked and read whole (what the urges, notices, audit
        # events and webhooks are about), each with the lead unit the step has.
        items = {
            item.pk: item
            for item in Item.objects.select_for_update()
            .filter(pk__in=item_ids)
            .defer(*UNREAD_COLUMNS)
            .order_by("pk")
        }
        for step, _recipients in addressed:
            items[step.item.pk].lead_unit = step.item.lead_unit
        sent = sent_steps(item_ids, {step.key for step, _recipients in addressed})
        claimed = [
            (step, recipients)
            for step, recipients in addressed
            if (step.item.pk, step.key) not in sent
        ]
        Urge.objects.bulk_create(
            Urge(
                item=items[step.item.pk],
                unit=step.part.unit if step.part else step.item.lead_unit,
                part=step.part,
                recipient=recipients[0],
                channel=UrgeChannel.SYSTEM,
                note=step.body,
                urged_by=None,
                step=step.key,
                created_at=at,
            )
            for step, recipients in claimed
        )
        notify_many(
            [
                Message(
                    recipients,
                    items[step.item.pk],
                    step.title,
                    step.body,
                    seeing=frozenset(person.pk for person in recipients),
                )
                for step, recipients in claimed
            ]
        )
        notices = []
        entries = []
        for step, recipients in claimed:
            names = tuple(str(person.full_name or person.username) for person in recipients)
            entries.append(
                Entry(
                    None,
                    "reminder",
                    _("系统自动提醒（%(step)s），发送给%(names)s")
                    % {"step": step_label(step.key), "names": "、".join(names)},
                    item=items[step.item.pk],
                    unit=step.part.unit if step.part else step.item.lead_unit,
                    data={"step": step.key, "recipients": [person.pk for person in recipients]},
                )
            )
            notices.append(SweepNotice(step.item.pk, step.item.ledger_number, step.key, names))
        record_many(entries)
    return notices
