"""Manual urges (催办, Art.15, 19, R-U2).

The supervising office chases the lead unit through one of the channels of
`UrgeChannel`. Every urge is recorded (who, whom, when, channel, note) as an `Urge`
row and an audit event; an urge by system notice or SMS is also sent, through the
outbox, in the same transaction. The automatic reminders of the ladder (R-U3) are
recorded the same way by `duban.items.sweep`, with a step and no person urging.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from duban import clock
from duban.audit.models import record

from .. import plausible, policy
from ..errors import InvalidInput
from ..models import SENDING_URGE_CHANNELS, Confidentiality, Item, Urge, UrgeChannel
from .core import TEXT_LIMIT, _item_text, _locked, _offline_text

__all__ = ["urge_item", "urge_recipients"]


def urge_recipients(item: Item) -> dict[str, Any]:
    """Whom the office may urge about `item`: the lead unit's liaison and its head
    (第一责任人), or the leader in charge of the lead unit. Keys name the role."""
    unit = item.lead_unit
    people = {"liaison": unit.liaison, "head": unit.head, "leader": unit.leader_in_charge}
    return {role: person for role, person in people.items() if person is not None}


def _recipient(item: Item, recipient: Any) -> Any:
    allowed = urge_recipients(item)
    if recipient is None or getattr(recipient, "pk", None) not in {
        person.pk for person in allowed.values()
    }:
        raise InvalidInput(
            _("催办对象须是%(unit)s的联络员、第一责任人或分管校领导。")
            % {"unit": item.lead_unit.name},
            errors={"recipient": _("请选择承办单位的联络员、第一责任人或分管校领导。")},
        )
    if not recipient.is_active:
        raise InvalidInput(
            _("%(name)s的账号已停用，不能作为催办对象。") % {"name": recipient.full_name},
            errors={"recipient": _("该人员账号已停用。")},
        )
    return recipient


@transaction.atomic
def urge_item(actor: Any, item: Item, *, channel: str, recipient: Any, note: str = "") -> Urge:
    """The office urges the lead unit (R-U2).

    `channel` is one of `UrgeChannel`; `recipient` the lead unit's liaison or head, or
    its leader in charge. `note` says what was said or agreed: required for the
    channels that are only recorded here (phone, verbal, written notice, visit,
    meeting); for system and SMS it is the message sent (a standard text when empty).
    """
    item = _locked(item)
    policy.check(actor, item, "urge")
    if channel not in UrgeChannel.values:
        raise InvalidInput(
            _("催办方式无效。"),
            errors={"channel": _("请选择催办方式：%(choices)s。") % {"choices": _channel_list()}},
        )
    recipient = _recipient(item, recipient)
    sending = channel in SENDING_URGE_CHANNELS
    if sending and item.confidentiality == Confidentiality.CLASSIFIED:
        text = _offline_text(note, "note")  # R-C3
    elif sending:
        text = plausible.clean_text(note)
        if len(text) > TEXT_LIMIT:
            raise InvalidInput(
                _("催办内容过长（最多%(limit)d字）。") % {"limit": TEXT_LIMIT},
                errors={"note": _("最多%(limit)d字。") % {"limit": TEXT_LIMIT}},
            )
    else:
        # What was said on the phone, at the visit or the meeting is the record itself.
        text = _item_text(item, note, "note", _("催办内容（谈话或通知的要点）"))

    channel_label = UrgeChannel(channel).label
    urge = Urge.objects.create(
        item=item,
        unit=item.lead_unit,
        recipient=recipient,
        channel=channel,
        note=text,
        urged_by=actor,
        step="",
        created_at=clock.now(),
    )
    record(
        actor,
        "urge",
        _("通过%(channel)s催办%(unit)s（%(person)s）")
        % {"channel": channel_label, "unit": item.lead_unit.name, "person": recipient.full_name},
        item=item,
        unit=item.lead_unit,
        data={"urge": urge.pk, "channel": channel, "recipient": recipient.pk, "note": text},
    )
    if sending:
        from duban.notify.outbox import notify

        notify(
            [recipient],
            item,
            _("督办催办：%(title)s") % {"title": item.title},
            text or _standard_text(item),
            force_channels=("sms",) if channel == UrgeChannel.SMS else (),
        )
    return urge


def _standard_text(item: Item) -> str:
    return _("请抓紧办理督办事项（台账编号%(number)s，办结时限%(deadline)s）并及时反馈进展。") % {
        "number": item.ledger_number,
        "deadline": item.deadline.isoformat(),
    }


def _channel_list() -> str:
    return "、".join(str(label) for label in UrgeChannel.labels)
