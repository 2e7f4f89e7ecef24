"""The deadline rules of Art.22 (R-D1–D5). Working days come from the calendar module."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils.translation import gettext as _

from duban.workcalendar import calendar

from .errors import InvalidInput
from .models import DeadlineRule, SourceKind

MEETING_WORKDAYS = 10  # R-D2


@dataclass(frozen=True)
class Deadline:
    day: dt.date
    rule: str
    provisional: bool
    reason: str = ""


def compute_deadline(
    source_kind: str,
    *,
    year: int,
    minutes_issued_on: dt.date | None = None,
    minutes_deadline: dt.date | None = None,
    office_deadline: dt.date | None = None,
    office_reason: str = "",
    instruction_deadline: dt.date | None = None,
) -> Deadline:
    """The deadline an item gets at establishment, or InvalidInput naming what is missing."""
    if source_kind == SourceKind.MEETING:
        if minutes_deadline is not None and office_deadline is not None:
            raise InvalidInput(
                _("纪要明确的时限与督办部门自定的时限只能填写一个。"),
                errors={"office_deadline": _("纪要已明确时限时，请不要另定时限。")},
            )
        if minutes_deadline is not None:  # R-D1
            return Deadline(minutes_deadline, DeadlineRule.MINUTES_DEADLINE, False)
        if office_deadline is not None:  # R-D3
            if not office_reason.strip():
                raise InvalidInput(
                    _("督办部门自定时限时必须写明理由。"),
                    errors={"office_reason": _("请写明为什么10个工作日不足以办结。")},
                )
            return Deadline(office_deadline, DeadlineRule.OFFICE_SET, False, office_reason.strip())
        if minutes_issued_on is None:  # R-D2 needs the issuance date
            raise InvalidInput(
                _("会议决定事项须填写纪要明确的时限，或纪要印发日期以计算时限。"),
                errors={"minutes_issued_on": _("请填写会议纪要印发日期。")},
            )
        result = calendar.add_workdays(minutes_issued_on, MEETING_WORKDAYS)
        return Deadline(result.day, DeadlineRule.TEN_WORKDAYS, result.provisional)
    if source_kind == SourceKind.ANNUAL:  # R-D4
        return Deadline(dt.date(year, 12, 31), DeadlineRule.YEAR_END, False)
    if source_kind == SourceKind.OTHER:  # R-D5
        if instruction_deadline is None:
            raise InvalidInput(
                _("其他交办事项须填写领导批示明确的办结时限。"),
                errors={"instruction_deadline": _("请填写批示中的办结时限。")},
            )
        return Deadline(instruction_deadline, DeadlineRule.INSTRUCTION, False)
    raise InvalidInput(
        _("来源类别无效。"), errors={"source_kind": _("请选择会议、年度或其他交办。")}
    )
