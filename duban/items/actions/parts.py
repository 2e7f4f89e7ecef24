"""分办 (R-A4): the lead unit divides an item's work among its cooperating units.

- `divide_item`: the lead unit's liaison or head gives a cooperating unit a part — what
  it must do and its own date, no later than the item's deadline.
- `sign_part`, `report_part`: the cooperating unit's liaison or head signs for its part
  and reports on it through the contribution report (R-F1), attached to the part.
- `urge_part`: the lead unit urges a cooperating unit about its part; recorded like the
  office's urges (R-U2), counted apart from them (they chase a cooperating unit, not
  the lead unit), told to the cooperating unit's liaison and head.
- `redate_part`: a new date for a part, no later than the item's deadline.
- `flag_parts_past_deadline`: after the item's deadline moves earlier than a part's
  date, the part is flagged for the lead unit to re-date (called by every action that
  changes a deadline). `close_open_parts`: the item closed, its open parts close with
  it and take no more reports (called where the item closes, `closing.py`).

Who may do what, in which states, is `policy.PART_ACTORS`; parts are seen with their
item (the visibility rule), and the office reads them but does not act on them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from duban import clock
from duban.audit.models import record

from .. import plausible, policy
from ..errors import InvalidInput
from ..models import (
    Item,
    PartStatus,
    Urge,
    UrgeChannel,
    WorkPart,
)
from .closing import flag_parts_past_deadline
from .core import _item_text, _locked, _notify, report_contribution

__all__ = [
    "divide_item",
    "flag_parts_past_deadline",
    "redate_part",
    "report_part",
    "sign_part",
    "urge_part",
]


def _check_date(item: Item, deadline: dt.date | None, field: str = "deadline") -> dt.date:
    if deadline is None:
        raise InvalidInput(_("请填写分工的完成时限。"), errors={field: _("此项为必填项。")})
    if deadline > item.deadline:
        raise InvalidInput(
            _("分工的完成时限%(day)s晚于事项的办结时限%(deadline)s。")
            % {"day": deadline.isoformat(), "deadline": item.deadline.isoformat()},
            errors={field: _("不能晚于事项的办结时限。")},
        )
    if deadline < clock.today():
        raise InvalidInput(
            _("分工的完成时限不能早于今天。"), errors={field: _("请填写不早于今天的日期。")}
        )
    return deadline


def _part_contacts(part: WorkPart) -> list[Any]:
    return [part.unit.liaison, part.unit.head]


@transaction.atomic
def divide_item(
    actor: Any, item: Item, *, unit: Any, task: str, deadline: dt.date | None
) -> WorkPart:
    """Give one cooperating unit a part of the item's work (R-A4)."""
    item = _locked(item)
    policy.check_part(actor, item, "divide")
    if unit is None or not item.cooperating_units.filter(pk=unit.pk).exists():
        raise InvalidInput(
            _("只能分办给本事项的配合单位。"), errors={"unit": _("请选择本事项的配合单位。")}
        )
    task = _item_text(item, task, "task", _("分工内容"))
    deadline = _check_date(item, deadline)
    part = WorkPart.objects.create(
        item=item,
        unit=unit,
        task=task,
        deadline=deadline,
        created_by=actor,
        created_at=clock.now(),
    )
    record(
        actor,
        "divide",
        _("分办给%(unit)s，完成时限%(deadline)s") % {"unit": unit.name, "deadline": deadline},
        item=item,
        unit=unit,
        data={"part": part.pk, "deadline": deadline.isoformat()},
    )
    _notify(
        _part_contacts(part),
        item,
        _("承办单位分办了工作：%(title)s") % {"title": item.title},
        _("%(lead)s请贵单位承担：%(task)s。完成时限：%(deadline)s。")
        % {"lead": item.lead_unit.name, "task": task, "deadline": deadline.isoformat()},
    )
    return part


def _locked_part(part: WorkPart) -> tuple[Item, WorkPart]:
    item = _locked(part.item)
    return item, WorkPart.objects.select_for_update().select_related("unit").get(pk=part.pk)


@transaction.atomic
def sign_part(actor: Any, part: WorkPart) -> WorkPart:
    item, part = _locked_part(part)
    policy.check_part(actor, item, "sign_part", part)
    part.status = PartStatus.SIGNED
    part.signed_by = actor
    part.signed_at = clock.now()
    part.save(update_fields=["status", "signed_by", "signed_at"])
    record(
        actor,
        "sign_part",
        _("%(unit)s签收分工") % {"unit": part.unit.name},
        item=item,
        unit=part.unit,
        data={"part": part.pk},
    )
    return part


@transaction.atomic
def report_part(actor: Any, part: WorkPart, text: str) -> WorkPart:
    """The cooperating unit reports on its part: its contribution report (R-F1), which
    the lead unit's completion report includes, attached to the part."""
    item, part = _locked_part(part)
    policy.check_part(actor, item, "report_part", part)
    contribution = report_contribution(actor, item, text)
    contribution.part = part
    contribution.save(update_fields=["part"])
    part.status = PartStatus.REPORTED
    part.reported_at = contribution.created_at
    part.save(update_fields=["status", "reported_at"])
    return part


@transaction.atomic
def redate_part(actor: Any, part: WorkPart, deadline: dt.date | None) -> WorkPart:
    item, part = _locked_part(part)
    policy.check_part(actor, item, "redate_part", part)
    deadline = _check_date(item, deadline)
    plausible.check_date_ahead(deadline, "deadline", _("分工的完成时限"))
    old = part.deadline
    part.deadline = deadline
    part.needs_redate = False
    part.save(update_fields=["deadline", "needs_redate"])
    record(
        actor,
        "redate_part",
        _("%(unit)s的分工时限：%(old)s→%(new)s")
        % {"unit": part.unit.name, "old": old.isoformat(), "new": deadline.isoformat()},
        item=item,
        unit=part.unit,
        data={"part": part.pk, "old": old.isoformat(), "new": deadline.isoformat()},
    )
    _notify(
        _part_contacts(part),
        item,
        _("分工时限已调整：%(title)s") % {"title": item.title},
        _("贵单位分工的完成时限调整为%(deadline)s。") % {"deadline": deadline.isoformat()},
    )
    return part


@transaction.atomic
def urge_part(actor: Any, part: WorkPart, *, channel: str, note: str = "") -> Urge:
    """The lead unit urges a cooperating unit about its part (R-A4, recorded as R-U2)."""
    item, part = _locked_part(part)
    policy.check_part(actor, item, "urge_part", part)
    if channel not in UrgeChannel.values:
        raise InvalidInput(_("催办方式无效。"), errors={"channel": _("请选择催办方式。")})
    note = plausible.clean_text(note) or _(
        "请抓紧办理%(lead)s分办的工作，按时（%(deadline)s前）报送办理情况。"
    ) % {"lead": item.lead_unit.name, "deadline": part.deadline.isoformat()}
    note = _item_text(item, note, "note", _("催办内容"))
    unit = part.unit
    urge = Urge.objects.create(
        item=item,
        unit=unit,
        part=part,
        recipient=unit.liaison,
        channel=channel,
        note=note,
        urged_by=actor,
        created_at=clock.now(),
    )
    record(
        actor,
        "urge_part",
        _("承办单位催办%(unit)s（%(channel)s）")
        % {"unit": unit.name, "channel": UrgeChannel(channel).label},
        item=item,
        unit=unit,
        data={"part": part.pk, "urge": urge.pk, "channel": channel},
    )
    _notify(
        _part_contacts(part),
        item,
        _("承办单位催办：%(title)s") % {"title": item.title},
        note,
    )
    return urge
