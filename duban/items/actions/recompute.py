"""R-D6 recomputed: when a year's calendar is loaded or edited, every deadline that was
counted in working days through that year (R-D2: the 10th working day after the
minutes) and has not passed is counted again.

- A deadline the calendar moves is a recorded change (R-S4), with the reason
  "国务院节假日安排公布后重算", audited and told to the lead unit; the reminder ladder
  follows the new date (its steps carry the changed deadline, `duban.items.sweep`).
- The provisional flag is set to what the new count says: cleared once every year the
  count crosses is official.
- Given deadlines (R-D1 minutes, R-D3 office, R-D4 year end, R-D5 instruction) never
  move, and neither does a deadline changed since (an extension, a recorded change):
  it is a date someone gave, not a count.

`recompute_working_day_deadlines` is the one action; the `workdays` command and the
calendar's admin pages call it after they change the calendar.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext as _

from duban import clock
from duban.audit.models import record
from duban.workcalendar import calendar

from ..deadlines import MEETING_WORKDAYS
from ..models import DeadlineRule, Item, ItemChange
from ..states import ACTIVE_STATUSES
from .closing import flag_parts_past_deadline
from .core import _notify

REASON = "国务院节假日安排公布后重算"


@dataclass(frozen=True)
class Recomputed:
    moved: int
    confirmed: int  # counted again, same date, no longer provisional


@transaction.atomic
def recompute_working_day_deadlines(year: int, actor: Any = None) -> Recomputed:
    """Count again every working-day deadline through `year` that has not passed."""
    today = clock.today()
    candidates = list(
        Item.objects.select_for_update(of=("self",))
        .filter(
            deadline_rule=DeadlineRule.TEN_WORKDAYS,
            status__in=ACTIVE_STATUSES,
            deadline__gte=today,
            minutes_issued_on__year__lte=year,
            deadline__year__gte=year,
        )
        # Not given since by an extension, a recorded change or an adjustment (each
        # records its ItemChange); earlier recomputations do not count.
        .exclude(
            Exists(
                ItemChange.objects.filter(item=OuterRef("pk"), field="deadline").exclude(
                    reason=REASON
                )
            )
        )
        .select_related("lead_unit__liaison", "lead_unit__head")
        .order_by("pk")
    )
    moved = confirmed = 0
    now = clock.now()
    for item in candidates:
        assert item.minutes_issued_on is not None  # R-D2 is counted from it
        counted = calendar.add_workdays(item.minutes_issued_on, MEETING_WORKDAYS)
        if counted.day == item.deadline:
            if item.deadline_provisional and not counted.provisional:
                Item.objects.filter(pk=item.pk).update(deadline_provisional=False)
                confirmed += 1
            continue
        old = item.deadline
        ItemChange.objects.create(
            item=item,
            field="deadline",
            old_value=old.isoformat(),
            new_value=counted.day.isoformat(),
            reason=REASON,
            changed_by=actor if getattr(actor, "pk", None) else None,
            created_at=now,
        )
        item.deadline = counted.day
        item.deadline_provisional = counted.provisional
        item.save(update_fields=["deadline", "deadline_provisional", "updated_at"])
        flag_parts_past_deadline(item)
        summary = _("%(year)d年日历公布，按工作日重算办结时限：%(old)s→%(new)s") % {
            "year": year,
            "old": old.isoformat(),
            "new": counted.day.isoformat(),
        }
        record(
            actor,
            "recompute_deadline",
            summary,
            item=item,
            data={"old": old.isoformat(), "new": counted.day.isoformat(), "year": year},
        )
        _notify(
            [item.lead_unit.liaison, item.lead_unit.head],
            item,
            _("办结时限已调整：%(title)s") % {"title": item.title},
            _("%(reason)s：办结时限由%(old)s调整为%(new)s。")
            % {"reason": REASON, "old": old.isoformat(), "new": counted.day.isoformat()},
        )
        moved += 1
    return Recomputed(moved=moved, confirmed=confirmed)
