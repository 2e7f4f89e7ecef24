"""Every change to an item happens here, one function per action (DESIGN.md).

Each action locks the item, checks who may act (`policy.check`, which also checks the
state machine), validates its input, changes the rows, writes its audit event and its
notices in the same transaction. A refused action raises an `ActionError` and, since
everything runs inside `transaction.atomic`, changes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from duban import clock
from duban.audit.models import record
from duban.organisation.models import Role, Unit, UnitKind

from .. import plausible, policy
from ..deadlines import compute_deadline
from ..errors import InvalidInput, PermissionRefused, Problems
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
from .closing import close_with_item, flag_parts_past_deadline

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


def _next_ledger_number(year: int, source_kind: str, kept: int | None = None) -> tuple[int, str]:
    """The next number of the year's category; a number once given is never reused (R-S5).

    `kept` is an imported item's own number from this system's ledger (duban.ledger):
    it is kept when no item holds it, and the numbers go on after the highest given."""
    LedgerCounter.objects.get_or_create(year=year, source_kind=source_kind)
    counter = LedgerCounter.objects.select_for_update().get(year=year, source_kind=source_kind)
    if (
        kept is not None
        and kept > 0
        and not Item.objects.filter(year=year, source_kind=source_kind, serial=kept).exists()
    ):
        serial = kept
        if kept > counter.last_number:
            counter.last_number = kept
            counter.save(update_fields=["last_number"])
    else:
        counter.last_number = F("last_number") + 1
        counter.save(update_fields=["last_number"])
        counter.refresh_from_db(fields=["last_number"])
        serial = counter.last_number
    return serial, f"{LEDGER_PREFIX[source_kind]}〔{year}〕第{serial:04d}号"


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


def check_establish(actor: Any, data: EstablishInput) -> Checked:
    """Every check of 立项 (R-S1–S5, R-D1–D5), without storing anything: a refusal of
    who may establish comes at once; wrong input is refused once, naming every field
    to fix (`Problems`), so the form shows them all at once."""
    if data.confidentiality not in Confidentiality.values:
        raise InvalidInput(_("密级类别无效。"), errors={"confidentiality": _("请选择密级类别。")})
    office = _supervising_office_for(data.confidentiality)
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
    checked = check_establish(actor, data)
    office, title, content, basis = checked.office, checked.title, checked.content, checked.basis
    cooperating, leader, decided_on = checked.cooperating, checked.leader, checked.decided_on
    year, deadline = checked.year, checked.deadline
    serial, number = _next_ledger_number(year, data.source_kind, data.ledger_serial)
    now = clock.now()
    item = Item.objects.create(
        ledger_number=number,
        year=year,
        serial=serial,
        title=title,
        content=content,
        basis=basis,
        source_kind=data.source_kind,
        source_body=data.source_body,
        minutes_issued_on=data.minutes_issued_on,
        deciding_leader=leader,
        decided_on=decided_on,
        deadline_rule=deadline.rule,
        deadline_reason=deadline.reason,
        original_deadline=deadline.day,
        deadline=deadline.day,
        deadline_provisional=deadline.provisional,
        confidentiality=data.confidentiality,
        urgent=data.urgent,
        lead_unit=checked.lead_unit,
        supervising_office=office,
        supervisor=actor,
        status=Status.ESTABLISHED,
        established_at=now,
        created_by=actor,
    )
    item.cooperating_units.set(cooperating)
    record(
        actor,
        "establish",
        _("立项，台账编号%(number)s，办结时限%(deadline)s")
        % {"number": number, "deadline": deadline.day.isoformat()},
        item=item,
        data={"deadline": deadline.day.isoformat(), "rule": deadline.rule},
    )
    return item


# ----------------------------------------------------------------------------- assignment


@transaction.atomic
def assign_item(actor: Any, item: Item, instruction: str = "") -> Item:
    """交办: notify the lead unit's liaison and head and every cooperating liaison (R-A1),
    with the office's optional instruction (交办意见) in the notices and the audit."""
    item = _locked(item)
    policy.check(actor, item, "assign")
    instruction = plausible.clean_text(instruction)
    if instruction:
        instruction = _item_text(item, instruction, "instruction", _("交办意见"), INSTRUCTION_LIMIT)
        if item.confidentiality == Confidentiality.CLASSIFIED:
            instruction = ""  # the offline placeholder says nothing to send (R-C3)
    apply_move(item, "assign")
    item.assigned_at = clock.now()
    item.save(update_fields=["status", "assigned_at", "updated_at"])
    _notify_assignment(item, instruction)
    summary = _("交办给%(unit)s") % {"unit": item.lead_unit.name}
    if instruction:
        summary += _("；交办意见：%(instruction)s") % {"instruction": instruction}
    data = {"instruction": instruction} if instruction else None
    record(actor, "assign", summary, item=item, data=data)
    return item


INSTRUCTION_LIMIT = 2_000


def _notify_assignment(item: Item, instruction: str = "") -> None:
    title = _("新交办督办事项：%(title)s") % {"title": item.title}
    body = _("台账编号%(number)s，办结时限%(deadline)s。请及时签收。") % {
        "number": item.ledger_number,
        "deadline": item.deadline.isoformat(),
    }
    if instruction:
        body += _("交办意见：%(instruction)s") % {"instruction": instruction}
    lead = item.lead_unit
    _notify([lead.liaison, lead.head], item, title, body)
    cooperating_liaisons = [
        unit.liaison for unit in item.cooperating_units.select_related("liaison")
    ]
    _notify(
        cooperating_liaisons,
        item,
        _("请配合办理督办事项：%(title)s") % {"title": item.title},
        _("承办单位：%(unit)s。配合情况请报送承办单位。") % {"unit": lead.name},
    )


@transaction.atomic
def sign_for_item(actor: Any, item: Item) -> Item:
    """签收 (R-A2)."""
    item = _locked(item)
    policy.check(actor, item, "sign_for")
    apply_move(item, "sign_for")
    item.signed_at = clock.now()
    item.save(update_fields=["status", "signed_at", "updated_at"])
    record(actor, "sign_for", _("%(unit)s签收") % {"unit": item.lead_unit.name}, item=item)
    return item


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


def _current_contributions(item: Item) -> list[Feedback]:
    return list(item.feedback.filter(kind=FeedbackKind.CONTRIBUTION, superseded_by__isnull=True))


def _pending_report(item: Item) -> Feedback | None:
    return item.feedback.filter(
        kind=FeedbackKind.COMPLETION, status=FeedbackStatus.AWAITING_CONFIRMATION
    ).first()


@transaction.atomic
def draft_completion_report(actor: Any, item: Item, text: str) -> Feedback:
    """The lead unit drafts its completion report; it includes the cooperating units'
    current contributions and waits for the head's confirmation (R-F1, R-F4)."""
    item = _locked(item)
    policy.check(actor, item, "draft_completion_report")
    text = _item_text(item, text, "text", _("办结情况"))
    previous = _pending_report(item)
    if previous is not None:
        # The new draft supersedes the one still waiting; both are kept.
        previous.status = FeedbackStatus.SUPERSEDED
        previous.save(update_fields=["status"])
    else:
        previous = (
            item.feedback.filter(kind=FeedbackKind.COMPLETION, superseded_by__isnull=True)
            .order_by("-created_at")
            .first()
        )
    report = Feedback.objects.create(
        item=item,
        unit=item.lead_unit,
        kind=FeedbackKind.COMPLETION,
        text=text,
        status=FeedbackStatus.AWAITING_CONFIRMATION,
        author=actor,
        created_at=clock.now(),
        supersedes=previous,
    )
    report.contributions.set(_current_contributions(item))
    record(actor, "draft_completion_report", _("起草办结报告，待第一责任人确认"), item=item)
    head = item.lead_unit.head
    if head is not None and head.pk != actor.pk:
        _notify(
            [head],
            item,
            _("办结报告待您确认：%(title)s") % {"title": item.title},
            _("请审阅本单位的办结报告并确认后报送督办部门。"),
        )
    return report


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
    item = _locked(item)
    policy.check(actor, item, "confirm_report")
    report = _require_pending_report(item)
    now = clock.now()
    report.status = FeedbackStatus.SUBMITTED
    report.confirmed_by = actor
    report.confirmed_at = now
    report.save(update_fields=["status", "confirmed_by", "confirmed_at"])
    apply_move(item, "confirm_report")
    item.submitted_at = now
    item.last_feedback_at = now
    item.save(update_fields=["status", "submitted_at", "last_feedback_at", "updated_at"])
    record(actor, "confirm_report", _("第一责任人确认办结报告，报送督办部门"), item=item)
    _notify(
        _office_staff(item),
        item,
        _("办结报告待审核：%(title)s") % {"title": item.title},
        _("%(unit)s已报送办结报告。") % {"unit": item.lead_unit.name},
    )
    return report


@transaction.atomic
def review_report(actor: Any, item: Item, *, accept: bool, comment: str = "") -> Feedback:
    """The office accepts the report (item completed) or returns it with a reason (R-F5)."""
    item = _locked(item)
    action = "accept_report" if accept else "return_report"
    policy.check(actor, item, action)
    report = item.feedback.get(kind=FeedbackKind.COMPLETION, status=FeedbackStatus.SUBMITTED)
    comment = plausible.clean_text(comment)
    if not accept:
        comment = _item_text(item, comment, "comment", _("退回理由"))
    now = clock.now()
    report.status = FeedbackStatus.ACCEPTED if accept else FeedbackStatus.RETURNED
    report.reviewed_by = actor
    report.reviewed_at = now
    report.review_comment = comment
    report.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_comment"])
    apply_move(item, action)
    if accept:
        item.completed_at = now
        close_with_item(actor, item, _("事项已办结"))
    item.save(update_fields=["status", "completed_at", "updated_at"])
    lead = item.lead_unit
    if accept:
        record(actor, "accept_report", _("审核通过，事项办结"), item=item)
        title = _("督办事项已办结：%(title)s") % {"title": item.title}
    else:
        record(
            actor,
            "return_report",
            _("办结报告被退回，理由：%(reason)s") % {"reason": comment},
            item=item,
            unit=lead,
            data={"reason": comment},
        )
        title = _("办结报告被退回：%(title)s") % {"title": item.title}
    _notify([lead.liaison, lead.head], item, title, comment)
    return report


# ----------------------------------------------------------------------------- inbox


def mark_all_notices_read(actor: Any, notices: Any) -> int:
    """Mark read every unread notice of `notices` (the actor's readable ones: the caller
    passes its inbox) that is the actor's own; returns how many were unread."""
    return int(notices.filter(recipient=actor, read_at__isnull=True).update(read_at=clock.now()))


def mark_notice_read(actor: Any, notice_id: int) -> bool:
    """Mark one of the actor's own notices read; returns whether it was unread."""
    updated = Notice.objects.filter(pk=notice_id, recipient=actor, read_at__isnull=True).update(
        read_at=clock.now()
    )
    return updated == 1
