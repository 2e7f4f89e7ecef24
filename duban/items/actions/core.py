"""Every change to an item happens here, one function per action (DESIGN.md).

Each action locks the item, checks who may act (`policy.check`, which also checks the
state machine), validates its input, changes the rows, writes its audit event and its
notices in the same transaction. A refused action raises an `ActionError` and, since
everything runs inside `transaction.atomic`, changes nothing.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from duban import clock
from duban.audit.models import Entry, record, record_many
from duban.organisation.models import Role, Unit, UnitKind

from .. import plausible, policy
from ..deadlines import compute_deadline
from ..errors import ActionError, InvalidInput, PermissionRefused, Problems
from ..models import (
    LEDGER_PREFIX,
    SOURCE_BODIES,
    Confidentiality,
    Feedback,
    FeedbackKind,
    FeedbackStatus,
    Item,
    ItemChange,
    LedgerCounter,
    Milestone,
    Notice,
    SourceKind,
    WorkPlan,
)
from ..states import Status, apply_move
from .closing import close_with_items, flag_parts_past_deadline

TEXT_LIMIT = plausible.TEXT_LIMIT
TITLE_LIMIT = 200


# ----------------------------------------------------------------------------- helpers


def _required_text(value: str | None, field_name: str, label: str, limit: int = TEXT_LIMIT) -> str:
    return plausible.required_text(value, field_name, label, limit)


# Classified content never enters the system (R-C3, 涉密不上网): on a classified item
# every free-text field is left empty or says it is handled offline, and is stored so.
OFFLINE_TEXT = "涉密内容，按规定线下报送。"
OFFLINE_ANSWERS = ("", "线下报送", "线下办理", OFFLINE_TEXT)


def _offline_text(value: str | None, field_name: str) -> str:
    if plausible.clean_text(value) not in OFFLINE_ANSWERS:
        raise InvalidInput(
            _("涉密事项的内容不得录入本系统，请线下办理（此处留空或填写“线下报送”）。"),
            errors={field_name: _("涉密事项不得录入具体内容。")},
        )
    return OFFLINE_TEXT


def _item_text(
    item: Item, value: str | None, field_name: str, label: str, limit: int = TEXT_LIMIT
) -> str:
    """A required free-text input about `item`; on a classified item, refused unless
    it carries no content (R-C3)."""
    if item.confidentiality == Confidentiality.CLASSIFIED:
        return _offline_text(value, field_name)
    return _required_text(value, field_name, label, limit)


def _locked(item: Item) -> Item:
    """Re-read the item under a row lock, so concurrent actions queue up."""
    return (
        Item.objects.select_for_update(of=("self",))
        .select_related("lead_unit", "supervising_office")
        .get(pk=item.pk)
    )


# ----------------------------------------------------------------------------- batches
#
# The actions below that a ledger import takes for thousands of rows at once
# (establish, assign, sign for, draft, confirm and review a report) each have one body
# that works on a batch of steps: one lock, one visibility query per person, one
# insert or update per table, one chained append to the audit log. The single-item
# action is that body with a batch of one, so every rule lives in one place.


@dataclass
class Step:
    """One item's turn in a batch action: who takes it, when (None: now), and the
    action's text, if it takes one (an instruction, a report, a review comment)."""

    actor: Any
    item: Item
    at: dt.datetime | None = None
    text: str = ""
    accept: bool = True  # review_report only


# A batch action's refusals by the step's index; without it the first one is raised.
Refusals = dict[int, ActionError]


def _at(moment: dt.datetime | None) -> Any:
    return clock.frozen_at(moment) if moment is not None else contextlib.nullcontext()


def _refuse(refused: Refusals | None, index: int, error: ActionError) -> None:
    if refused is None:
        raise error
    refused[index] = error


def _locked_many(steps: Sequence[Step]) -> None:
    """Re-read the steps' items under row locks, in id order (so concurrent batches
    queue up rather than deadlock), with what the rules read of them."""
    ids = sorted({step.item.pk for step in steps})
    locked = {
        item.pk: item
        for item in Item.objects.select_for_update(of=("self",))
        .select_related("lead_unit__liaison", "lead_unit__head", "supervising_office", "supervisor")
        .filter(pk__in=ids)
        .order_by("pk")
    }
    for step in steps:
        step.item = locked[step.item.pk]


# (person id, item id) pairs that `visibility.visible_pairs` found visible.
Seeing = set[tuple[int, int]]


def _seeing(pairs: Iterable[tuple[Any, Item]], known: Seeing | None = None) -> Seeing:
    """(person id, item id) of the pairs that the visibility rule lets see, with one
    query per distinct person; or `known`: what the caller found with the same rule
    for the same items, in the same transaction, for several steps of a batch (the
    steps below change nothing the rule reads)."""
    from ..visibility import visible_pairs

    if known is not None:
        return known

    return visible_pairs(
        (person, item.pk) for person, item in pairs if policy.is_active_person(person)
    )


def _update_each(objects: Sequence[Any], fields: Sequence[str]) -> None:
    """`bulk_update`'s effect as one plain UPDATE per row, sent together: Django builds
    a CASE over hundreds of rows more slowly than the database runs the updates."""
    if not objects:
        return
    meta = type(objects[0])._meta
    columns = [meta.get_field(name) for name in fields]
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(column.column)} = %s" for column in columns)
    sql = f"UPDATE {quote(meta.db_table)} SET {assignments} WHERE {quote(meta.pk.column)} = %s"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.executemany(
            sql,
            [
                [
                    column.get_db_prep_save(getattr(row, column.attname), connection)
                    for column in columns
                ]
                + [row.pk]
                for row in objects
            ],
        )


def _check(step: Step, action: str, seeing: set[tuple[int, int]], **known: Any) -> None:
    visible = (step.actor.pk, step.item.pk) in seeing
    policy.check(step.actor, step.item, action, visible=visible, **known)


def _seen_by(people: Iterable[Any], item: Item, seeing: set[tuple[int, int]]) -> frozenset[int]:
    return frozenset(
        person.pk for person in people if person is not None and (person.pk, item.pk) in seeing
    )


def _notify(recipients: Iterable[Any], item: Item, title: str, body: str = "") -> int:
    """Write notices through the outbox; returns how many people were notified."""
    from duban.notify.outbox import notify

    return len(notify(recipients, item, title, body))


def _office_staff(item: Item) -> list[Any]:
    """Who hears about an item on the office side: its supervisor, else the office's staff."""
    if item.supervisor_id:
        return [item.supervisor]
    return list(item.supervising_office.members.filter(role=Role.OFFICE_SUPERVISOR, is_active=True))


def _supervising_office_for(confidentiality: str) -> Unit:
    offices: dict[str, str] = {
        Confidentiality.DISCIPLINE: UnitKind.DISCIPLINE_OFFICE,
        Confidentiality.CLASSIFIED: UnitKind.SECRECY_OFFICE,
    }
    kind = offices.get(confidentiality, UnitKind.GENERAL_OFFICE)
    office = Unit.objects.filter(kind=kind, is_active=True).first()
    if office is None:
        raise InvalidInput(_("系统中尚未设置相应的督办部门，请联系系统管理员。"))
    return office


def _next_ledger_numbers(
    wanted: Sequence[tuple[int, str, int | None]],
) -> list[tuple[int, str]]:
    """The next numbers of their year's category, in order, for (year, source kind,
    kept) each; a number once given is never reused (R-S5).

    `kept` is an imported item's own number from this system's ledger (duban.ledger):
    it is kept when no item holds it, and the numbers go on after the highest given.
    Each category's counter is locked once, however many numbers it gives."""
    keys = sorted({(year, kind) for year, kind, _kept in wanted})
    for year, kind in keys:
        LedgerCounter.objects.get_or_create(year=year, source_kind=kind)
    which = Q()
    for year, kind in keys:
        which |= Q(year=year, source_kind=kind)
    counters = {
        (counter.year, counter.source_kind): counter
        for counter in LedgerCounter.objects.select_for_update().filter(which).order_by("pk")
    }
    taken: set[tuple[int, str, int]] = set()
    kept_asked: dict[tuple[int, str], set[int]] = {}
    for year, kind, kept in wanted:
        if kept is not None and kept > 0:
            kept_asked.setdefault((year, kind), set()).add(kept)
    if kept_asked:
        held = Q()
        for (year, kind), serials in kept_asked.items():
            held |= Q(year=year, source_kind=kind, serial__in=sorted(serials))
        taken.update(Item.objects.filter(held).values_list("year", "source_kind", "serial"))
    last = {key: counter.last_number for key, counter in counters.items()}
    numbers = []
    for year, kind, kept in wanted:
        if kept is not None and kept > 0 and (year, kind, kept) not in taken:
            serial = kept
            last[year, kind] = max(last[year, kind], kept)
        else:
            last[year, kind] += 1
            serial = last[year, kind]
        taken.add((year, kind, serial))
        numbers.append((serial, f"{LEDGER_PREFIX[kind]}〔{year}〕第{serial:04d}号"))
    for key, counter in counters.items():
        if last[key] != counter.last_number:
            counter.last_number = last[key]
            counter.save(update_fields=["last_number"])
    return numbers


# ----------------------------------------------------------------------------- establish


@dataclass
class EstablishInput:
    title: str
    content: str
    basis: str
    source_kind: str
    source_body: str
    lead_unit: Unit | None
    cooperating_units: Sequence[Unit] = field(default_factory=list)
    confidentiality: str = Confidentiality.ORDINARY
    urgent: bool = False
    year: int | None = None
    minutes_issued_on: dt.date | None = None
    minutes_deadline: dt.date | None = None
    office_deadline: dt.date | None = None
    office_reason: str = ""
    instruction_deadline: dt.date | None = None
    deciding_leader: Any = None
    decided_on: dt.date | None = None
    # An imported item's number in this system's own ledger, kept when free (duban.ledger).
    ledger_serial: int | None = None


@dataclass
class Checked:
    """What `check_establish` found valid, for `establish_item` to store."""

    office: Unit
    lead_unit: Unit
    title: str
    content: str
    basis: str
    cooperating: list[Unit]
    leader: Any
    decided_on: dt.date | None
    year: int
    deadline: Any  # deadlines.Deadline


def check_establish(
    actor: Any, data: EstablishInput, *, offices: dict[str, Unit] | None = None
) -> Checked:
    """Every check of 立项 (R-S1–S5, R-D1–D5), without storing anything: a refusal of
    who may establish comes at once; wrong input is refused once, naming every field
    to fix (`Problems`), so the form shows them all at once. `offices`: the
    supervising offices a batch has already found, by confidentiality."""
    if data.confidentiality not in Confidentiality.values:
        raise InvalidInput(_("密级类别无效。"), errors={"confidentiality": _("请选择密级类别。")})
    if offices is None:
        offices = {}
    if data.confidentiality not in offices:
        offices[data.confidentiality] = _supervising_office_for(data.confidentiality)
    office = offices[data.confidentiality]
    if actor.role != Role.OFFICE_SUPERVISOR or actor.unit_id != office.pk:
        raise PermissionRefused(_("只有%(office)s的督办员可以立项。") % {"office": office.name})
    problems = Problems()
    with problems.check():
        if data.source_kind not in SourceKind.values:
            raise InvalidInput(_("来源类别无效。"), errors={"source_kind": _("请选择来源类别。")})
        if data.source_body not in SOURCE_BODIES[data.source_kind]:
            raise InvalidInput(
                _("具体来源与来源类别不符。"),
                errors={"source_body": _("请选择与来源类别相符的具体来源。")},
            )
    title = content = basis = ""
    with problems.check():
        title = _required_text(data.title, "title", _("事项名称"), TITLE_LIMIT)
    with problems.check():
        if data.confidentiality == Confidentiality.CLASSIFIED:  # a registration only (R-C3)
            content = _offline_text(data.content, "content")
        else:
            content = _required_text(data.content, "content", _("工作内容"))
    with problems.check():
        if data.confidentiality == Confidentiality.CLASSIFIED:
            basis = _offline_text(data.basis, "basis")
        else:
            basis = _required_text(data.basis, "basis", _("督办依据"))
    cooperating = list({unit.pk: unit for unit in data.cooperating_units}.values())
    with problems.check():
        if data.lead_unit is None or not data.lead_unit.is_active:
            raise InvalidInput(_("请选择承办单位。"), errors={"lead_unit": _("请选择承办单位。")})
        if any(unit.pk == data.lead_unit.pk for unit in cooperating):
            raise InvalidInput(
                _("承办单位不能同时是配合单位。"),
                errors={"cooperating_units": _("请从配合单位中去掉承办单位。")},
            )
    with problems.check():
        if any(not unit.is_active for unit in cooperating):
            raise InvalidInput(
                _("配合单位中有已停用的单位。"),
                errors={"cooperating_units": _("请选择启用的单位。")},
            )

    today = clock.today()
    leader = None
    decided_on = None
    if data.source_kind == SourceKind.OTHER:  # R-S2: only with a school leader's decision
        with problems.check():
            leader = data.deciding_leader
            if leader is None or leader.role != Role.SCHOOL_LEADER:
                raise InvalidInput(
                    _("其他交办事项须经校领导决定方可立项。"),
                    errors={"deciding_leader": _("请选择作出决定的校领导。")},
                )
        with problems.check():
            if data.decided_on is None or data.decided_on > today:
                raise InvalidInput(
                    _("请填写校领导作出决定的日期（不能晚于今天）。"),
                    errors={"decided_on": _("请填写不晚于今天的日期。")},
                )
            decided_on = data.decided_on

    year = data.year if data.source_kind == SourceKind.ANNUAL and data.year else today.year
    with problems.check():
        plausible.check_year(year)
    for name, day, label in (
        ("minutes_deadline", data.minutes_deadline, _("纪要明确的时限")),
        ("office_deadline", data.office_deadline, _("督办部门确定的时限")),
        ("instruction_deadline", data.instruction_deadline, _("批示明确的时限")),
    ):
        with problems.check():
            plausible.check_date_ahead(day, name, label)
    with problems.check():
        if data.minutes_issued_on and data.minutes_issued_on > today:
            raise InvalidInput(
                _("纪要印发日期不能晚于今天。"),
                errors={"minutes_issued_on": _("请填写实际印发日期。")},
            )
    deadline = None
    if data.source_kind in SourceKind.values:
        with problems.check():
            deadline = compute_deadline(
                data.source_kind,
                year=year,
                minutes_issued_on=data.minutes_issued_on,
                minutes_deadline=data.minutes_deadline,
                office_deadline=data.office_deadline,
                office_reason=data.office_reason,
                instruction_deadline=data.instruction_deadline,
            )
            if deadline.day < today:
                raise InvalidInput(
                    _(
                        "按所填信息计算的办结时限（%(day)s）早于今天，"
                        "请由督办部门根据实际确定时限并写明理由。"
                    )
                    % {"day": deadline.day.isoformat()},
                    errors={"office_deadline": _("请填写不早于今天的办结时限。")},
                )
    problems.raise_any()
    # Both found, or a problem was raised above.
    assert deadline is not None and data.lead_unit is not None
    return Checked(
        office,
        data.lead_unit,
        title,
        content,
        basis,
        cooperating,
        leader,
        decided_on,
        year,
        deadline,
    )


@transaction.atomic
def establish_item(actor: Any, data: EstablishInput) -> Item:
    """立项 (R-S1–S5, R-D1–D5)."""
    item = establish_items(actor, [data])[0]
    assert item is not None  # a refusal was raised
    return item


@transaction.atomic
def establish_items(
    actor: Any,
    inputs: Sequence[EstablishInput],
    *,
    moments: Sequence[dt.datetime | None] | None = None,
    refused: Refusals | None = None,
) -> list[Item | None]:
    """立项 of several items at once, each checked as `establish_item` checks one and
    established at its moment (None: now); a refused one is None in the result (with
    `refused`: its error by index; else the error is raised)."""
    moments = moments if moments is not None else [None] * len(inputs)
    offices: dict[str, Unit] = {}
    checked: list[tuple[int, EstablishInput, Checked, dt.datetime]] = []
    for index, (data, moment) in enumerate(zip(inputs, moments, strict=True)):
        with _at(moment):
            try:
                checked.append(
                    (index, data, check_establish(actor, data, offices=offices), clock.now())
                )
            except ActionError as error:
                _refuse(refused, index, error)
    numbers = _next_ledger_numbers(
        [(found.year, data.source_kind, data.ledger_serial) for _i, data, found, _at in checked]
    )
    items: list[Item] = []
    for (_index, data, found, now), (serial, number) in zip(checked, numbers, strict=True):
        deadline = found.deadline
        items.append(
            Item(
                ledger_number=number,
                year=found.year,
                serial=serial,
                title=found.title,
                content=found.content,
                basis=found.basis,
                source_kind=data.source_kind,
                source_body=data.source_body,
                minutes_issued_on=data.minutes_issued_on,
                deciding_leader=found.leader,
                decided_on=found.decided_on,
                deadline_rule=deadline.rule,
                deadline_reason=deadline.reason,
                original_deadline=deadline.day,
                deadline=deadline.day,
                deadline_provisional=deadline.provisional,
                confidentiality=data.confidentiality,
                urgent=data.urgent,
                lead_unit=found.lead_unit,
                supervising_office=found.office,
                supervisor=actor,
                status=Status.ESTABLISHED,
                established_at=now,
                created_by=actor,
            )
        )
    Item.objects.bulk_create(items)
    Item.cooperating_units.through.objects.bulk_create(
        Item.cooperating_units.through(item_id=item.pk, unit_id=unit.pk)
        for item, (_i, _data, found, _now) in zip(items, checked, strict=True)
        for unit in found.cooperating
    )
    record_many(
        [
            Entry(
                actor,
                "establish",
                _("立项，台账编号%(number)s，办结时限%(deadline)s")
                % {"number": item.ledger_number, "deadline": item.deadline.isoformat()},
                item=item,
                data={"deadline": item.deadline.isoformat(), "rule": item.deadline_rule},
                created_at=item.established_at,
            )
            for item in items
        ]
    )
    result: list[Item | None] = [None] * len(inputs)
    for (index, _data, _found, _now), item in zip(checked, items, strict=True):
        result[index] = item
    return result


# ----------------------------------------------------------------------------- assignment


@transaction.atomic
def assign_item(actor: Any, item: Item, instruction: str = "") -> Item:
    """交办: notify the lead unit's liaison and head and every cooperating liaison (R-A1),
    with the office's optional instruction (交办意见) in the notices and the audit."""
    return assign_items([Step(actor, item, text=instruction)])[0]


@transaction.atomic
def assign_items(
    steps: Sequence[Step], *, refused: Refusals | None = None, seeing: Seeing | None = None
) -> list[Item]:
    """`assign_item` for several items at once (each step's text is its instruction);
    returns the items assigned (with `refused`, the refused ones are left out)."""
    _locked_many(steps)
    items = [step.item for step in steps]
    cooperating = _cooperating_liaisons(items)
    seeing = _seeing(
        (
            (person, step.item)
            for step in steps
            for person in (
                step.actor,
                step.item.lead_unit.liaison,
                step.item.lead_unit.head,
                *cooperating[step.item.pk],
            )
            if person is not None
        ),
        seeing,
    )
    done: list[Step] = []
    instructions: list[str] = []
    for index, step in enumerate(steps):
        item = step.item
        with _at(step.at):
            try:
                _check(step, "assign", seeing)
                instruction = plausible.clean_text(step.text)
                if instruction:
                    instruction = _item_text(
                        item, instruction, "instruction", _("交办意见"), INSTRUCTION_LIMIT
                    )
                    if item.confidentiality == Confidentiality.CLASSIFIED:
                        instruction = ""  # the offline placeholder says nothing to send (R-C3)
                apply_move(item, "assign")
            except ActionError as error:
                _refuse(refused, index, error)
                continue
            item.assigned_at = clock.now()
            item.updated_at = timezone.now()
        done.append(step)
        instructions.append(instruction)
    _update_each([step.item for step in done], ["status", "assigned_at", "updated_at"])
    messages = []
    entries = []
    for step, instruction in zip(done, instructions, strict=True):
        item = step.item
        messages += _assignment_messages(item, cooperating[item.pk], seeing, instruction)
        summary = _("交办给%(unit)s") % {"unit": item.lead_unit.name}
        if instruction:
            summary += _("；交办意见：%(instruction)s") % {"instruction": instruction}
        data = {"instruction": instruction} if instruction else None
        entries.append(
            Entry(step.actor, "assign", summary, item=item, data=data, created_at=item.assigned_at)
        )
    _notify_many(messages)
    record_many(entries)
    return [step.item for step in done]


INSTRUCTION_LIMIT = 2_000


def _cooperating_liaisons(items: Sequence[Item]) -> dict[int, list[Any]]:
    """Each item's cooperating units' liaisons, with one query."""
    through = Item.cooperating_units.through.objects.filter(
        item_id__in=[item.pk for item in items]
    ).select_related("unit__liaison")
    found: dict[int, list[Any]] = {item.pk: [] for item in items}
    for link in through.order_by("pk"):
        found[link.item_id].append(link.unit.liaison)
    return found


def _assignment_messages(
    item: Item, cooperating_liaisons: list[Any], seeing: set[tuple[int, int]], instruction: str = ""
) -> list[Any]:
    from duban.notify.outbox import Message

    title = _("新交办督办事项：%(title)s") % {"title": item.title}
    body = _("台账编号%(number)s，办结时限%(deadline)s。请及时签收。") % {
        "number": item.ledger_number,
        "deadline": item.deadline.isoformat(),
    }
    if instruction:
        body += _("交办意见：%(instruction)s") % {"instruction": instruction}
    lead = item.lead_unit
    at = clock.now() if item.assigned_at is None else item.assigned_at
    contacts = [lead.liaison, lead.head]
    return [
        Message(contacts, item, title, body, _seen_by(contacts, item, seeing), at),
        Message(
            cooperating_liaisons,
            item,
            _("请配合办理督办事项：%(title)s") % {"title": item.title},
            _("承办单位：%(unit)s。配合情况请报送承办单位。") % {"unit": lead.name},
            _seen_by(cooperating_liaisons, item, seeing),
            at,
        ),
    ]


def _notify_assignment(item: Item, instruction: str = "") -> None:
    """The assignment's notices of `reassign_item` (R-A1), as `assign_items` writes them."""
    liaisons = _cooperating_liaisons([item])[item.pk]
    _notify_many(_assignment_messages(item, liaisons, set(), instruction))


def _notify_many(messages: Sequence[Any]) -> None:
    from duban.notify.outbox import notify_many

    if messages:
        notify_many(messages)


@transaction.atomic
def sign_for_item(actor: Any, item: Item) -> Item:
    """签收 (R-A2)."""
    return sign_for_items([Step(actor, item)])[0]


@transaction.atomic
def sign_for_items(
    steps: Sequence[Step], *, refused: Refusals | None = None, seeing: Seeing | None = None
) -> list[Item]:
    """`sign_for_item` for several items at once; returns the items signed for."""
    _locked_many(steps)
    seeing = _seeing(((step.actor, step.item) for step in steps), seeing)
    done: list[Step] = []
    for index, step in enumerate(steps):
        with _at(step.at):
            try:
                _check(step, "sign_for", seeing)
                apply_move(step.item, "sign_for")
            except ActionError as error:
                _refuse(refused, index, error)
                continue
            step.item.signed_at = clock.now()
            step.item.updated_at = timezone.now()
        done.append(step)
    _update_each([step.item for step in done], ["status", "signed_at", "updated_at"])
    record_many(
        [
            Entry(
                step.actor,
                "sign_for",
                _("%(unit)s签收") % {"unit": step.item.lead_unit.name},
                item=step.item,
                created_at=step.item.signed_at,
            )
            for step in done
        ]
    )
    return [step.item for step in done]


@transaction.atomic
def return_item(actor: Any, item: Item, reason: str) -> Item:
    """退回 with a reason; counted against the lead unit (R-A2, Art.6)."""
    item = _locked(item)
    policy.check(actor, item, "return")
    reason = _item_text(item, reason, "reason", _("退回理由"))
    apply_move(item, "return")
    item.save(update_fields=["status", "updated_at"])
    record(
        actor,
        "return",
        _("%(unit)s退回事项，理由：%(reason)s") % {"unit": item.lead_unit.name, "reason": reason},
        item=item,
        unit=item.lead_unit,
        data={"reason": reason},
    )
    _notify(
        _office_staff(item),
        item,
        _("督办事项被退回：%(title)s") % {"title": item.title},
        reason,
    )
    return item


@transaction.atomic
def reassign_item(
    actor: Any,
    item: Item,
    *,
    note: str,
    lead_unit: Unit | None = None,
    cooperating_units: Sequence[Unit] | None = None,
) -> Item:
    """The office reassigns a returned item — to another lead unit, or insists (R-A2)."""
    item = _locked(item)
    policy.check(actor, item, "reassign")
    note = _item_text(item, note, "note", _("重新交办说明"))
    new_lead = lead_unit or item.lead_unit
    if not new_lead.is_active:
        raise InvalidInput(_("请选择启用的承办单位。"), errors={"lead_unit": _("该单位已停用。")})
    if item.recusals.filter(unit=new_lead).exists():  # R-C4
        raise InvalidInput(
            _("%(unit)s已登记回避本事项，不能作为承办单位。") % {"unit": new_lead.name},
            errors={"lead_unit": _("该单位已登记回避。")},
        )
    new_cooperating = (
        list(cooperating_units)
        if cooperating_units is not None
        else list(item.cooperating_units.all())
    )
    if any(unit.pk == new_lead.pk for unit in new_cooperating):
        new_cooperating = [unit for unit in new_cooperating if unit.pk != new_lead.pk]
    now = clock.now()
    if new_lead.pk != item.lead_unit_id:
        ItemChange.objects.create(
            item=item,
            field="lead_unit",
            old_value=item.lead_unit.name,
            new_value=new_lead.name,
            reason=note,
            changed_by=actor,
            created_at=now,
        )
        item.lead_unit = new_lead
    old_names = sorted(unit.name for unit in item.cooperating_units.all())
    new_names = sorted(unit.name for unit in new_cooperating)
    if old_names != new_names:
        ItemChange.objects.create(
            item=item,
            field="cooperating_units",
            old_value="、".join(old_names),
            new_value="、".join(new_names),
            reason=note,
            changed_by=actor,
            created_at=now,
        )
        item.cooperating_units.set(new_cooperating)
    apply_move(item, "reassign")
    item.assigned_at = now
    item.save(update_fields=["status", "lead_unit", "assigned_at", "updated_at"])
    _notify_assignment(item)
    record(
        actor,
        "reassign",
        _("重新交办给%(unit)s：%(note)s") % {"unit": new_lead.name, "note": note},
        item=item,
        data={"note": note},
    )
    return item


# ----------------------------------------------------------------------------- changes (R-S4)

CHANGEABLE_FIELDS = ("title", "content", "basis", "deadline")


@transaction.atomic
def change_item(
    actor: Any,
    item: Item,
    *,
    reason: str,
    authorised_by: Any = None,
    title: str | None = None,
    content: str | None = None,
    basis: str | None = None,
    deadline: dt.date | None = None,
) -> Item:
    """A recorded change of an established item, keeping the original values (R-S4).

    An `other` item changes only with a school leader's authority, as it was
    established (R-S2).
    """
    item = _locked(item)
    policy.check(actor, item, "change")
    reason = _item_text(item, reason, "reason", _("变更理由"))
    if item.source_kind == SourceKind.OTHER and (
        authorised_by is None or authorised_by.role != Role.SCHOOL_LEADER
    ):
        raise InvalidInput(
            _("其他交办事项的变更须经校领导同意。"),
            errors={"authorised_by": _("请选择同意变更的校领导。")},
        )
    if authorised_by is not None and authorised_by.role != Role.SCHOOL_LEADER:
        raise InvalidInput(
            _("批准变更的须是校领导。"),
            errors={"authorised_by": _("请选择同意变更的校领导。")},
        )
    new_values: dict[str, Any] = {}
    if title is not None:
        new_values["title"] = _item_text(item, title, "title", _("事项名称"), TITLE_LIMIT)
    if content is not None:
        new_values["content"] = _item_text(item, content, "content", _("工作内容"))
    if basis is not None:
        new_values["basis"] = _item_text(item, basis, "basis", _("督办依据"))
    if deadline is not None:
        if deadline < clock.today():
            raise InvalidInput(
                _("新的办结时限不能早于今天。"), errors={"deadline": _("请填写不早于今天的日期。")}
            )
        plausible.check_date_ahead(deadline, "deadline", _("新的办结时限"))
        new_values["deadline"] = deadline
    changed = {name: value for name, value in new_values.items() if getattr(item, name) != value}
    if not changed:
        # Each field that could carry the change is named, so a form (or a client)
        # shows where to write it.
        raise InvalidInput(
            _("没有需要变更的内容。"),
            errors=dict.fromkeys(
                ("title", "content", "basis", "deadline"), _("请填写与原值不同的内容。")
            ),
        )
    now = clock.now()
    for name, value in changed.items():
        old = getattr(item, name)
        ItemChange.objects.create(
            item=item,
            field=name,
            old_value=old.isoformat() if isinstance(old, dt.date) else str(old),
            new_value=value.isoformat() if isinstance(value, dt.date) else str(value),
            reason=reason,
            authorised_by=authorised_by,
            changed_by=actor,
            created_at=now,
        )
        setattr(item, name, value)
    update_fields = [*changed, "updated_at"]
    if "deadline" in changed:
        # A date set by a recorded change is counted by no calendar (R-D6).
        item.deadline_provisional = False
        update_fields.append("deadline_provisional")
    item.save(update_fields=update_fields)
    if "deadline" in changed:
        flag_parts_past_deadline(item)
    labels = {
        "title": _("事项名称"),
        "content": _("工作内容"),
        "basis": _("督办依据"),
        "deadline": _("办结时限"),
    }
    record(
        actor,
        "change",
        _("变更%(fields)s，理由：%(reason)s")
        % {"fields": "、".join(labels[name] for name in changed), "reason": reason},
        item=item,
        data={"fields": sorted(changed), "reason": reason},
    )
    return item


# ----------------------------------------------------------------------------- handling


@dataclass(frozen=True)
class MilestoneInput:
    title: str
    due_on: dt.date


@transaction.atomic
def record_plan(
    actor: Any, item: Item, goals: str, milestones: Sequence[MilestoneInput]
) -> WorkPlan:
    """The lead unit's work plan (R-A3); a new plan supersedes the current one."""
    item = _locked(item)
    policy.check(actor, item, "record_plan")
    goals = _item_text(item, goals, "goals", _("工作目标"))
    if not milestones:
        raise InvalidInput(
            _("工作计划至少需要一个时间节点。"), errors={"milestones": _("请填写时间节点。")}
        )
    plausible.check_milestone_count(len(milestones))
    titles = []
    for index, milestone in enumerate(milestones, start=1):
        titles.append(
            _item_text(
                item, milestone.title, "milestones", _("第%(n)d个节点的内容") % {"n": index}, 200
            )
        )
        if milestone.due_on > item.deadline:
            raise InvalidInput(
                _("第%(n)d个节点的日期%(day)s晚于办结时限%(deadline)s。")
                % {
                    "n": index,
                    "day": milestone.due_on.isoformat(),
                    "deadline": item.deadline.isoformat(),
                },
                errors={"milestones": _("节点日期不能晚于办结时限。")},
            )
    current = item.plans.filter(superseded_by__isnull=True).order_by("-created_at").first()
    plan = WorkPlan.objects.create(
        item=item, goals=goals, author=actor, created_at=clock.now(), supersedes=current
    )
    Milestone.objects.bulk_create(
        Milestone(plan=plan, title=title, due_on=milestone.due_on)
        for title, milestone in zip(titles, milestones, strict=True)
    )
    record(
        actor,
        "record_plan",
        _("填报工作计划（%(count)d个节点）") % {"count": len(milestones)}
        if current is None
        else _("更新工作计划（%(count)d个节点）") % {"count": len(milestones)},
        item=item,
    )
    return plan


@transaction.atomic
def submit_feedback(actor: Any, item: Item, text: str) -> Feedback:
    """Progress feedback from the lead unit, dated by the system (R-F7)."""
    item = _locked(item)
    policy.check(actor, item, "submit_feedback")
    text = _item_text(item, text, "text", _("进展情况"))
    now = clock.now()
    feedback = Feedback.objects.create(
        item=item,
        unit=item.lead_unit,
        kind=FeedbackKind.PROGRESS,
        text=text,
        status=FeedbackStatus.SUBMITTED,
        author=actor,
        created_at=now,
    )
    item.last_feedback_at = now
    item.save(update_fields=["last_feedback_at", "updated_at"])
    record(actor, "submit_feedback", _("反馈进展"), item=item, data={"feedback": feedback.pk})
    return feedback


@transaction.atomic
def report_contribution(actor: Any, item: Item, text: str) -> Feedback:
    """A cooperating unit reports its part to the lead unit, never to the office (R-F1)."""
    item = _locked(item)
    policy.check(actor, item, "report_contribution")
    unit = policy.cooperating_unit_of(actor, item)
    text = _item_text(item, text, "text", _("配合办理情况"))
    previous = (
        item.feedback.filter(kind=FeedbackKind.CONTRIBUTION, unit=unit, superseded_by__isnull=True)
        .order_by("-created_at")
        .first()
    )
    contribution = Feedback.objects.create(
        item=item,
        unit=unit,
        kind=FeedbackKind.CONTRIBUTION,
        text=text,
        status=FeedbackStatus.SUBMITTED,
        author=actor,
        created_at=clock.now(),
        supersedes=previous,
    )
    record(
        actor,
        "report_contribution",
        _("%(unit)s向承办单位报送配合情况") % {"unit": unit.name},
        item=item,
        unit=unit,
        data={"feedback": contribution.pk},
    )
    lead = item.lead_unit
    _notify(
        [lead.liaison],
        item,
        _("配合单位已报送：%(title)s") % {"title": item.title},
        _("%(unit)s报送了配合办理情况。") % {"unit": unit.name},
    )
    return contribution


def _current_contributions(feedback: Sequence[Feedback]) -> list[Feedback]:
    """The cooperating units' contributions not superseded, of an item's feedback."""
    replaced = {row.supersedes_id for row in feedback if row.kind == FeedbackKind.CONTRIBUTION}
    return sorted(
        (
            row
            for row in feedback
            if row.kind == FeedbackKind.CONTRIBUTION and row.pk not in replaced
        ),
        key=lambda row: row.pk,
    )


def _pending_report(item: Item) -> Feedback | None:
    return item.feedback.filter(
        kind=FeedbackKind.COMPLETION, status=FeedbackStatus.AWAITING_CONFIRMATION
    ).first()


@transaction.atomic
def draft_completion_report(actor: Any, item: Item, text: str) -> Feedback:
    """The lead unit drafts its completion report; it includes the cooperating units'
    current contributions and waits for the head's confirmation (R-F1, R-F4)."""
    return draft_completion_reports([Step(actor, item, text=text)])[0]


def _feedback_of(items: Sequence[Item]) -> dict[int, list[Feedback]]:
    """Each item's feedback, newest first, with one query."""
    found: dict[int, list[Feedback]] = {item.pk: [] for item in items}
    rows = Feedback.objects.filter(item_id__in=[item.pk for item in items]).order_by(
        "-created_at", "-pk"
    )
    for feedback in rows:
        found[feedback.item_id].append(feedback)
    return found


@transaction.atomic
def draft_completion_reports(
    steps: Sequence[Step], *, refused: Refusals | None = None, seeing: Seeing | None = None
) -> list[Feedback]:
    """`draft_completion_report` for several items at once (each step's text is its
    report); returns the drafts written."""
    _locked_many(steps)
    items = [step.item for step in steps]
    feedback = _feedback_of(items)
    seeing = _seeing(
        (
            (person, step.item)
            for step in steps
            for person in (step.actor, step.item.lead_unit.head)
            if person is not None
        ),
        seeing,
    )
    reports: list[Feedback] = []
    contributions: list[list[Feedback]] = []
    superseded: list[Feedback] = []
    done: list[Step] = []
    for index, step in enumerate(steps):
        item = step.item
        with _at(step.at):
            try:
                _check(step, "draft_completion_report", seeing)
                text = _item_text(item, step.text, "text", _("办结情况"))
            except ActionError as error:
                _refuse(refused, index, error)
                continue
            rows = feedback[item.pk]
            completions = [row for row in rows if row.kind == FeedbackKind.COMPLETION]
            previous = next(
                (row for row in completions if row.status == FeedbackStatus.AWAITING_CONFIRMATION),
                None,
            )
            if previous is not None:
                # The new draft supersedes the one still waiting; both are kept.
                previous.status = FeedbackStatus.SUPERSEDED
                superseded.append(previous)
            else:
                replaced = {row.supersedes_id for row in completions}
                previous = next((row for row in completions if row.pk not in replaced), None)
            reports.append(
                Feedback(
                    item=item,
                    unit=item.lead_unit,
                    kind=FeedbackKind.COMPLETION,
                    text=text,
                    status=FeedbackStatus.AWAITING_CONFIRMATION,
                    author=step.actor,
                    created_at=clock.now(),
                    supersedes=previous,
                )
            )
        contributions.append(_current_contributions(rows))
        done.append(step)
    _update_each(superseded, ["status"])
    Feedback.objects.bulk_create(reports)
    Feedback.contributions.through.objects.bulk_create(
        Feedback.contributions.through(from_feedback_id=report.pk, to_feedback_id=part.pk)
        for report, parts in zip(reports, contributions, strict=True)
        for part in parts
    )
    messages = []
    entries = []
    for step, report in zip(done, reports, strict=True):
        item = step.item
        entries.append(
            Entry(
                step.actor,
                "draft_completion_report",
                _("起草办结报告，待第一责任人确认"),
                item=item,
                created_at=report.created_at,
            )
        )
        head = item.lead_unit.head
        if head is not None and head.pk != step.actor.pk:
            messages.append(_message([head], item, seeing, report.created_at, **REPORT_DRAFTED))
    record_many(entries)
    _notify_many(messages)
    return reports


def _message(
    people: Sequence[Any], item: Item, seeing: set[tuple[int, int]], at: Any, title: Any, body: Any
) -> Any:
    from duban.notify.outbox import Message

    title = title % {"title": item.title}
    return Message(people, item, str(title), str(body), _seen_by(people, item, seeing), at)


REPORT_DRAFTED = {
    "title": gettext_lazy("办结报告待您确认：%(title)s"),
    "body": gettext_lazy("请审阅本单位的办结报告并确认后报送督办部门。"),
}


def _require_pending_report(item: Item) -> Feedback:
    report = _pending_report(item)
    if report is None:
        raise InvalidInput(_("没有待确认的办结报告。"))
    return report


@transaction.atomic
def decline_report(actor: Any, item: Item, reason: str) -> Feedback:
    """The head sends the draft back to the liaison with a reason."""
    item = _locked(item)
    policy.check(actor, item, "decline_report")
    report = _require_pending_report(item)
    reason = _item_text(item, reason, "reason", _("退回修改意见"))
    report.status = FeedbackStatus.DECLINED
    report.review_comment = reason
    report.save(update_fields=["status", "review_comment"])
    record(
        actor,
        "decline_report",
        _("第一责任人退回办结报告：%(reason)s") % {"reason": reason},
        item=item,
    )
    _notify(
        [report.author],
        item,
        _("办结报告需修改：%(title)s") % {"title": item.title},
        reason,
    )
    return report


@transaction.atomic
def confirm_report(actor: Any, item: Item) -> Feedback:
    """The first responsible person confirms; the report goes to the office (R-F4)."""
    return confirm_reports([Step(actor, item)])[0]


def _reports_in(items: Sequence[Item], status: str) -> dict[int, Feedback]:
    """Each item's completion report in `status`, with one query."""
    rows = Feedback.objects.filter(
        item_id__in=[item.pk for item in items], kind=FeedbackKind.COMPLETION, status=status
    ).order_by("pk")
    found: dict[int, Feedback] = {}
    for report in rows:
        found.setdefault(report.item_id, report)
    return found


def _office_staff_of(items: Sequence[Item]) -> dict[int, list[Any]]:
    """`_office_staff` of each item, each office's staff read once."""
    staff: dict[int, list[Any]] = {}
    found: dict[int, list[Any]] = {}
    for item in items:
        if item.supervisor_id:
            found[item.pk] = [item.supervisor]
            continue
        if item.supervising_office_id not in staff:
            staff[item.supervising_office_id] = _office_staff(item)
        found[item.pk] = staff[item.supervising_office_id]
    return found


@transaction.atomic
def confirm_reports(
    steps: Sequence[Step], *, refused: Refusals | None = None, seeing: Seeing | None = None
) -> list[Feedback]:
    """`confirm_report` for several items at once; returns the reports confirmed."""
    _locked_many(steps)
    items = [step.item for step in steps]
    pending = _reports_in(items, FeedbackStatus.AWAITING_CONFIRMATION)
    office = _office_staff_of(items)
    seeing = _seeing(
        (
            (person, step.item)
            for step in steps
            for person in (step.actor, *office[step.item.pk])
            if person is not None
        ),
        seeing,
    )
    done: list[tuple[Step, Feedback]] = []
    for index, step in enumerate(steps):
        item = step.item
        report = pending.get(item.pk)
        with _at(step.at):
            try:
                _check(step, "confirm_report", seeing, pending_report=report is not None)
                apply_move(item, "confirm_report")
            except ActionError as error:
                _refuse(refused, index, error)
                continue
            assert report is not None  # the check refuses without one
            now = clock.now()
            report.status = FeedbackStatus.SUBMITTED
            report.confirmed_by = step.actor
            report.confirmed_at = now
            item.submitted_at = now
            item.last_feedback_at = now
            item.updated_at = timezone.now()
        done.append((step, report))
    _update_each([report for _step, report in done], ["status", "confirmed_by", "confirmed_at"])
    _update_each(
        [step.item for step, _report in done],
        ["status", "submitted_at", "last_feedback_at", "updated_at"],
    )
    record_many(
        [
            Entry(
                step.actor,
                "confirm_report",
                _("第一责任人确认办结报告，报送督办部门"),
                item=step.item,
                created_at=report.confirmed_at,
            )
            for step, report in done
        ]
    )
    _notify_many(
        [
            _message(
                office[step.item.pk],
                step.item,
                seeing,
                report.confirmed_at,
                _("办结报告待审核：%(title)s"),
                _("%(unit)s已报送办结报告。") % {"unit": step.item.lead_unit.name},
            )
            for step, report in done
        ]
    )
    return [report for _step, report in done]


@transaction.atomic
def review_report(actor: Any, item: Item, *, accept: bool, comment: str = "") -> Feedback:
    """The office accepts the report (item completed) or returns it with a reason (R-F5)."""
    return review_reports([Step(actor, item, text=comment, accept=accept)])[0]


@transaction.atomic
def review_reports(
    steps: Sequence[Step], *, refused: Refusals | None = None, seeing: Seeing | None = None
) -> list[Feedback]:
    """`review_report` for several items at once (each step's `accept`, and its text
    the comment); returns the reports reviewed."""
    _locked_many(steps)
    items = [step.item for step in steps]
    submitted = _reports_in(items, FeedbackStatus.SUBMITTED)
    seeing = _seeing(
        (
            (person, step.item)
            for step in steps
            for person in (step.actor, step.item.lead_unit.liaison, step.item.lead_unit.head)
            if person is not None
        ),
        seeing,
    )
    done: list[tuple[Step, Feedback, str]] = []
    for index, step in enumerate(steps):
        item = step.item
        action = "accept_report" if step.accept else "return_report"
        with _at(step.at):
            try:
                _check(step, action, seeing)
                report = submitted.get(item.pk)
                if report is None:
                    raise Feedback.DoesNotExist("no submitted completion report")
                comment = plausible.clean_text(step.text)
                if not step.accept:
                    comment = _item_text(item, comment, "comment", _("退回理由"))
                apply_move(item, action)
            except ActionError as error:
                _refuse(refused, index, error)
                continue
            now = clock.now()
            report.status = FeedbackStatus.ACCEPTED if step.accept else FeedbackStatus.RETURNED
            report.reviewed_by = step.actor
            report.reviewed_at = now
            report.review_comment = comment
            if step.accept:
                item.completed_at = now
            item.updated_at = timezone.now()
        done.append((step, report, comment))
    by_actor: dict[int, tuple[Any, list[Item]]] = {}
    for step, _report, _comment in done:
        if step.accept:
            by_actor.setdefault(step.actor.pk, (step.actor, []))[1].append(step.item)
    for actor, closed in by_actor.values():
        close_with_items(actor, closed, _("事项已办结"))
    _update_each(
        [report for _step, report, _comment in done],
        ["status", "reviewed_by", "reviewed_at", "review_comment"],
    )
    _update_each(
        [step.item for step, _report, _comment in done], ["status", "completed_at", "updated_at"]
    )
    entries = []
    messages = []
    for step, report, comment in done:
        item, lead = step.item, step.item.lead_unit
        at = report.reviewed_at
        if step.accept:
            entries.append(
                Entry(
                    step.actor, "accept_report", _("审核通过，事项办结"), item=item, created_at=at
                )
            )
            title = _("督办事项已办结：%(title)s")
        else:
            entries.append(
                Entry(
                    step.actor,
                    "return_report",
                    _("办结报告被退回，理由：%(reason)s") % {"reason": comment},
                    item=item,
                    unit=lead,
                    data={"reason": comment},
                    created_at=at,
                )
            )
            title = _("办结报告被退回：%(title)s")
        messages.append(_message([lead.liaison, lead.head], item, seeing, at, title, comment))
    record_many(entries)
    _notify_many(messages)
    return [report for _step, report, _comment in done]


# ----------------------------------------------------------------------------- inbox


def mark_all_notices_read(actor: Any, notices: Any) -> int:
    """Mark read every unread notice of `notices` (the actor's readable ones: the caller
    passes its inbox) that is the actor's own; returns how many were unread."""
    return int(notices.filter(recipient=actor, read_at__isnull=True).update(read_at=clock.now()))


def mark_item_notices_read(items: Sequence[Item]) -> int:
    """Mark read every unread notice of `items`, whoever received it: the steps of an
    old ledger filled in on import (`duban.ledger`) need no one's attention now.
    Returns how many were unread."""
    unread = Notice.objects.filter(item__in=[item.pk for item in items], read_at__isnull=True)
    return int(unread.update(read_at=clock.now()))


def mark_notice_read(actor: Any, notice_id: int) -> bool:
    """Mark one of the actor's own notices read; returns whether it was unread."""
    updated = Notice.objects.filter(pk=notice_id, recipient=actor, read_at__isnull=True).update(
        read_at=clock.now()
    )
    return updated == 1
