"""Items that cannot be completed (Art.24, R-T1): termination or adjustment.

For objective reasons an item may be terminated, or its deadline or content adjusted,
only by a meeting's deliberation (the meeting recorded) or a school leader's consent.
The office records the decision: an `Adjustment` row keeps the decision, its basis and
who recorded it; an adjustment also writes the `ItemChange` rows of R-S4, so the
item's change record shows the old and new values.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from duban import clock
from duban.audit.models import record
from duban.organisation.models import Role

from .. import plausible, policy
from ..errors import InvalidInput
from ..models import Adjustment, AdjustmentKind, DecisionKind, Item, ItemChange
from ..states import apply_move
from .closing import close_with_item, flag_parts_past_deadline
from .core import _item_text, _locked, _notify, _required_text

MEETING_NAME_LIMIT = 200


@dataclass(frozen=True)
class _Decision:
    """A checked decision: by a meeting (name and date) or by a leader."""

    kind: str
    meeting_name: str
    meeting_date: dt.date | None
    leader: Any
    basis: str
    reason: str

    def authority(self) -> str:
        if self.kind == DecisionKind.MEETING:
            assert self.meeting_date is not None
            return _("经%(meeting)s（%(day)s）研究决定") % {
                "meeting": self.meeting_name,
                "day": self.meeting_date.isoformat(),
            }
        return _("经%(leader)s同意") % {"leader": self.leader.full_name}


def _decision(
    *,
    item: Item,
    decision_kind: str,
    meeting_name: str,
    meeting_date: dt.date | None,
    leader: Any,
    basis: str,
    reason: str,
) -> _Decision:
    """R-T1: a meeting (recorded, not in the future) or a school leader; basis and reason."""
    if decision_kind not in DecisionKind.values:
        raise InvalidInput(
            _("请选择决定方式：会议研究决定或校领导同意。"),
            errors={"decision_kind": _("请选择决定方式。")},
        )
    name, day, consenting = "", None, None
    if decision_kind == DecisionKind.MEETING:
        name = _required_text(meeting_name, "meeting_name", _("会议名称"), MEETING_NAME_LIMIT)
        if meeting_date is None:
            raise InvalidInput(
                _("请填写作出决定的会议日期。"), errors={"meeting_date": _("此项为必填项。")}
            )
        if meeting_date > clock.today():
            raise InvalidInput(
                _("会议日期%(day)s晚于今天，只能记录已经作出的决定。")
                % {"day": meeting_date.isoformat()},
                errors={"meeting_date": _("请填写不晚于今天的日期。")},
            )
        day = meeting_date
    else:
        if leader is None or leader.role != Role.SCHOOL_LEADER or not leader.is_active:
            raise InvalidInput(
                _("须由校领导同意，请选择同意的校领导。"),
                errors={"leader": _("请选择同意的校领导。")},
            )
        consenting = leader
    return _Decision(
        kind=decision_kind,
        meeting_name=name,
        meeting_date=day,
        leader=consenting,
        basis=_item_text(item, basis, "basis", _("决定依据")),
        reason=_item_text(item, reason, "reason", _("客观原因")),
    )


def _unit_contacts(item: Item) -> list[Any]:
    """The lead unit's liaison and head, and each cooperating unit's liaison — once the
    item has been assigned to them; before that the units have not heard of it."""
    if item.assigned_at is None:
        return []
    lead = item.lead_unit
    cooperating = [unit.liaison for unit in item.cooperating_units.select_related("liaison")]
    return [lead.liaison, lead.head, *cooperating]


def _adjustment(
    actor: Any, item: Item, kind: str, decision: _Decision, **values: Any
) -> Adjustment:
    return Adjustment.objects.create(
        item=item,
        kind=kind,
        decision_kind=decision.kind,
        meeting_name=decision.meeting_name,
        meeting_date=decision.meeting_date,
        leader=decision.leader,
        basis=decision.basis,
        reason=decision.reason,
        recorded_by=actor,
        created_at=clock.now(),
        **values,
    )


@transaction.atomic
def terminate_item(
    actor: Any,
    item: Item,
    *,
    decision_kind: str,
    meeting_name: str = "",
    meeting_date: dt.date | None = None,
    leader: Any = None,
    basis: str,
    reason: str,
) -> Adjustment:
    """终止: the item ends without completion, on a meeting's or a leader's decision."""
    item = _locked(item)
    policy.check(actor, item, "terminate")
    decision = _decision(
        item=item,
        decision_kind=decision_kind,
        meeting_name=meeting_name,
        meeting_date=meeting_date,
        leader=leader,
        basis=basis,
        reason=reason,
    )
    adjustment = _adjustment(actor, item, AdjustmentKind.TERMINATE, decision)
    apply_move(item, "terminate")
    item.terminated_at = adjustment.created_at
    close_with_item(actor, item, _("事项已终止"))
    item.save(update_fields=["status", "terminated_at", "updated_at"])
    summary = _("%(authority)s，终止办理。原因：%(reason)s") % {
        "authority": decision.authority(),
        "reason": decision.reason,
    }
    record(
        actor,
        "terminate",
        summary,
        item=item,
        data={"adjustment": adjustment.pk, "decision_kind": decision.kind},
    )
    _notify(
        _unit_contacts(item),
        item,
        _("督办事项已终止：%(title)s") % {"title": item.title},
        summary,
    )
    return adjustment


@transaction.atomic
def adjust_item(
    actor: Any,
    item: Item,
    *,
    decision_kind: str,
    meeting_name: str = "",
    meeting_date: dt.date | None = None,
    leader: Any = None,
    basis: str,
    reason: str,
    new_deadline: dt.date | None = None,
    new_content: str | None = None,
) -> Adjustment:
    """调整: a new deadline and/or new work content, on a meeting's or a leader's decision.

    Each changed value is also an `ItemChange` (R-S4); the original deadline stays.
    """
    item = _locked(item)
    policy.check(actor, item, "adjust")
    decision = _decision(
        item=item,
        decision_kind=decision_kind,
        meeting_name=meeting_name,
        meeting_date=meeting_date,
        leader=leader,
        basis=basis,
        reason=reason,
    )
    changed: dict[str, Any] = {}
    if new_deadline is not None and new_deadline != item.deadline:
        if new_deadline < clock.today():
            raise InvalidInput(
                _("调整后的办结时限不能早于今天。"),
                errors={"new_deadline": _("请填写不早于今天的日期。")},
            )
        plausible.check_date_ahead(new_deadline, "new_deadline", _("调整后的办结时限"))
        changed["deadline"] = new_deadline
    content = (new_content or "").strip()
    if content:
        content = _item_text(item, content, "new_content", _("调整后的工作内容"))
        if content != item.content.strip():
            changed["content"] = content
    if not changed:
        raise InvalidInput(
            _("请填写与现在不同的办结时限或工作内容。"),
            errors={"new_deadline": _("请填写调整后的办结时限或工作内容。")},
        )
    adjustment = _adjustment(
        actor,
        item,
        AdjustmentKind.ADJUST,
        decision,
        new_deadline=changed.get("deadline"),
        new_content=changed.get("content", ""),
    )
    for name, value in changed.items():
        old = getattr(item, name)
        ItemChange.objects.create(
            item=item,
            field=name,
            old_value=old.isoformat() if isinstance(old, dt.date) else str(old),
            new_value=value.isoformat() if isinstance(value, dt.date) else str(value),
            reason=decision.reason,
            authorised_by=decision.leader,
            changed_by=actor,
            created_at=adjustment.created_at,
        )
        setattr(item, name, value)
    update_fields = [*changed, "updated_at"]
    if "deadline" in changed:
        item.deadline_provisional = False  # a decided date is counted by no calendar
        update_fields.append("deadline_provisional")
    item.save(update_fields=update_fields)
    if "deadline" in changed:
        flag_parts_past_deadline(item)

    parts = []
    if "deadline" in changed:
        parts.append(_("办结时限调整为%(day)s") % {"day": changed["deadline"].isoformat()})
    if "content" in changed:
        parts.append(_("工作内容已调整"))
    summary = _("%(authority)s，%(what)s。原因：%(reason)s") % {
        "authority": decision.authority(),
        "what": "，".join(parts),
        "reason": decision.reason,
    }
    record(
        actor,
        "adjust",
        summary,
        item=item,
        data={
            "adjustment": adjustment.pk,
            "decision_kind": decision.kind,
            "fields": sorted(changed),
        },
    )
    _notify(
        _unit_contacts(item),
        item,
        _("督办事项已调整：%(title)s") % {"title": item.title},
        summary,
    )
    return adjustment
