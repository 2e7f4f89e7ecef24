"""Rectifications remind like items (R-K1 with R-U3): 3 working days before the
rectification deadline, on it, and every 3 working days once it is overdue, to the
liaison and the head of the unit that must rectify, each step exactly once.

The ladder's rule is the items' (`duban.items.sweep.ladder_rung`); the leader in charge
is not brought in (the step `leader-5` is the items' alone). The claim is the unique
(rectification, step) of `RectificationReminder`, inserted in the transaction that
sends the notice, as the items' sweep claims its steps.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from duban.audit.models import record
from duban.items.lights import LightThresholds
from duban.items.sweep import DEADLINE_0, DEADLINE_3, LEADER_5, SweepNotice, ladder_rung
from duban.workcalendar.calendar import WorkCalendar

from .models import Rectification, RectificationReminder, RectificationStatus

OPEN_STATUSES = (RectificationStatus.OPEN, RectificationStatus.RETURNED)


def sweep_rectifications(
    at: dt.datetime, today: dt.date, calendar: WorkCalendar, limits: LightThresholds
) -> list[SweepNotice]:
    """Send the step due today of every open rectification (set-based selection)."""
    rows = list(
        Rectification.objects.filter(status__in=OPEN_STATUSES, deadline__lte=limits.due_soon_until)
        .select_related("unit__liaison", "unit__head", "item")
        .order_by("deadline", "pk")
    )
    planned = []
    for rectification in rows:
        rung = ladder_rung(rectification.deadline, today, calendar, limits)
        if rung is None or rung.name == LEADER_5:
            continue  # LEADER_5: its overdue-<k> was sent on its own day
        if rung.day < timezone.localdate(rectification.created_at):
            continue  # the requirement itself, newer than the step, named the deadline
        planned.append((rectification, f"{rung.name}@{rectification.deadline.isoformat()}", rung))
    sent = set(
        RectificationReminder.objects.filter(
            rectification__in=[row for row, _step, _rung in planned],
            step__in={step for _row, step, _rung in planned},
        ).values_list("rectification_id", "step")
    )
    notices = []
    for rectification, step, rung in planned:
        if (rectification.pk, step) in sent:
            continue
        notice = _claim_and_send(rectification, step, rung.name, rung.count, at)
        if notice is not None:
            notices.append(notice)
    return notices


def _message(rectification: Rectification, name: str, count: int) -> tuple[str, str]:
    facts: dict[str, Any] = {
        "number": rectification.item.ledger_number,
        "title": rectification.item.title,
        "deadline": rectification.deadline.isoformat(),
        "days": count,
    }
    if name == DEADLINE_3:
        return (
            _("整改即将到期：%(title)s") % facts,
            _("抽查发现问题的整改（台账编号%(number)s）期限为%(deadline)s，还有%(days)d个工作日。")
            % facts,
        )
    if name == DEADLINE_0:
        return (
            _("整改今天到期：%(title)s") % facts,
            _("抽查发现问题的整改（台账编号%(number)s）期限为%(deadline)s，请按时报送整改情况。")
            % facts,
        )
    return (
        _("整改已超期%(days)d个工作日：%(title)s") % facts,
        _(
            "抽查发现问题的整改（台账编号%(number)s）期限为%(deadline)s，已超期%(days)d个工作日。"
            "请立即整改并报送整改情况。"
        )
        % facts,
    )


def _claim_and_send(
    rectification: Rectification, step: str, name: str, count: int, at: dt.datetime
) -> SweepNotice | None:
    from duban.notify.outbox import notify

    unit = rectification.unit
    people = [person for person in (unit.liaison, unit.head) if person and person.is_active]
    if not people:
        return None
    title, body = _message(rectification, name, count)
    item = rectification.item
    with transaction.atomic():
        try:
            with transaction.atomic():
                RectificationReminder.objects.create(
                    rectification=rectification, step=step, sent_at=at
                )
        except IntegrityError:
            return None  # another sweep sent this step
        notices = notify(people, item, title, body)  # only to those who may see the item
        names = tuple(str(notice.recipient.full_name or notice.recipient) for notice in notices)
        record(
            None,
            "rectification_reminder",
            _("整改自动提醒（%(step)s），发送给%(names)s")
            % {"step": step, "names": "、".join(names)},
            item=item,
            unit=unit,
            data={"rectification": rectification.pk, "step": step},
        )
    return SweepNotice(item.pk, item.ledger_number, f"rectification-{step}", names)
