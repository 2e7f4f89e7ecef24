"""Extensions (延期, Art.22, R-E1–E4).

The lead unit applies once per item, ever (R-E1), no later than the 5th working day
before the current deadline (R-E2). Up to 3 calendar months beyond the current
deadline the supervising office decides, beyond that the leader in charge of the lead
unit (R-E3). Approval moves the deadline; the original deadline stays recorded, and
the request keeps the deadline it was filed against (R-E4).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from duban import clock
from duban.audit.models import record
from duban.organisation.models import Role

from .. import plausible, policy
from ..errors import InvalidInput, StateRefused
from ..extension_rules import approver_kind_for, latest_filing_day, office_limit
from ..models import (
    ExtensionApprover,
    ExtensionRequest,
    ExtensionStatus,
    Item,
    ItemChange,
)
from .core import _item_text, _locked, _notify, _office_staff


def _refuse_second_application(item: Item) -> None:
    """R-E1: one application per item, whatever became of it."""
    earlier = ExtensionRequest.objects.filter(item=item).first()
    if earlier is not None:
        raise StateRefused(
            _("每个督办事项只能申请延期一次，本事项已于%(day)s申请过（%(status)s），不能再次申请。")
            % {
                "day": timezone.localdate(earlier.created_at).isoformat(),
                "status": ExtensionStatus(earlier.status).label,
            }
        )


def _refuse_late_application(item: Item) -> None:
    """R-E2: filing date ≤ current deadline − 5 working days."""
    latest = latest_filing_day(item.deadline)
    if clock.today() > latest:
        raise StateRefused(
            _(
                "延期申请最迟应在%(latest)s（办结时限%(deadline)s前第5个工作日）提出，"
                "现已逾期，不能再申请延期。"
            )
            % {"latest": latest.isoformat(), "deadline": item.deadline.isoformat()}
        )


def _leader_in_charge(item: Item, limit: dt.date) -> Any:
    """The approver of a long extension: the lead unit's leader in charge, who must be
    able to see the item to decide it."""
    leader = item.lead_unit.leader_in_charge
    usable = (
        leader is not None
        and leader.is_active
        and leader.role == Role.SCHOOL_LEADER
        and Item.objects.visible_to(leader).filter(pk=item.pk).exists()
    )
    if not usable:
        raise InvalidInput(
            _(
                "延期超过3个月须由%(unit)s的分管校领导审批，但该单位没有可审批本事项的"
                "分管校领导。请联系督办部门，或申请不超过3个月的延期（最迟至%(limit)s）。"
            )
            % {"unit": item.lead_unit.name, "limit": limit.isoformat()},
            errors={"requested_deadline": _("最迟可申请至%(limit)s。") % {"limit": limit}},
        )
    return leader


@transaction.atomic
def request_extension(
    actor: Any, item: Item, *, requested_deadline: dt.date | None, reason: str
) -> ExtensionRequest:
    """The lead unit applies for a later deadline, with a reason (R-E1–E3)."""
    item = _locked(item)
    policy.check(actor, item, "request_extension")
    _refuse_second_application(item)
    _refuse_late_application(item)
    if requested_deadline is None:
        raise InvalidInput(
            _("请填写申请延至的日期。"), errors={"requested_deadline": _("此项为必填项。")}
        )
    if requested_deadline <= item.deadline:
        raise InvalidInput(
            _("申请延至的日期须晚于现在的办结时限%(deadline)s。")
            % {"deadline": item.deadline.isoformat()},
            errors={"requested_deadline": _("请填写晚于现在办结时限的日期。")},
        )
    plausible.check_date_ahead(requested_deadline, "requested_deadline", _("申请延至的日期"))
    reason = _item_text(item, reason, "reason", _("延期理由"))
    approver_kind = approver_kind_for(item.deadline, requested_deadline)
    leader = None
    if approver_kind == ExtensionApprover.LEADER:
        leader = _leader_in_charge(item, office_limit(item.deadline))

    request = ExtensionRequest.objects.create(
        item=item,
        unit=item.lead_unit,
        requested_by=actor,
        current_deadline=item.deadline,
        requested_deadline=requested_deadline,
        reason=reason,
        approver_kind=approver_kind,
        approver=leader,
        status=ExtensionStatus.PENDING,
        created_at=clock.now(),
    )
    approver_label = leader.full_name if leader is not None else item.supervising_office.name
    record(
        actor,
        "request_extension",
        _("申请延期至%(requested)s（现办结时限%(deadline)s），报%(approver)s审批，理由：%(reason)s")
        % {
            "requested": requested_deadline.isoformat(),
            "deadline": item.deadline.isoformat(),
            "approver": approver_label,
            "reason": reason,
        },
        item=item,
        unit=item.lead_unit,
        data={
            "requested_deadline": requested_deadline.isoformat(),
            "current_deadline": item.deadline.isoformat(),
            "approver_kind": approver_kind,
        },
    )
    body = _("%(unit)s申请将办结时限由%(deadline)s延至%(requested)s。理由：%(reason)s") % {
        "unit": item.lead_unit.name,
        "deadline": item.deadline.isoformat(),
        "requested": requested_deadline.isoformat(),
        "reason": reason,
    }
    if leader is None:
        _notify(
            _office_staff(item),
            item,
            _("延期申请待审批：%(title)s") % {"title": item.title},
            body,
        )
    else:
        _notify([leader], item, _("延期申请待您审批：%(title)s") % {"title": item.title}, body)
        # The office keeps track of every item, and hears that a leader decides this one.
        _notify(
            _office_staff(item),
            item,
            _("延期申请已报分管校领导审批：%(title)s") % {"title": item.title},
            body,
        )
    return request


@transaction.atomic
def decide_extension(
    actor: Any, item: Item, *, approve: bool, comment: str = ""
) -> ExtensionRequest:
    """The approver of R-E3 approves (the deadline moves) or rejects, with a comment.

    A rejection uses the item's one application up (R-E1).
    """
    item = _locked(item)
    policy.check(actor, item, "decide_extension")
    request = ExtensionRequest.objects.select_for_update().get(item=item)
    comment = plausible.clean_text(comment)
    if not approve or comment:  # a reason is required to reject; any comment has a limit
        label = _("审批意见") if approve else _("不予批准的理由")
        comment = _item_text(item, comment, "comment", label)
    if approve and request.requested_deadline <= item.deadline:
        # The deadline has meanwhile been moved at least as far by a recorded change.
        raise InvalidInput(
            _("申请延至的日期%(requested)s不晚于现在的办结时限%(deadline)s，无需批准延期。")
            % {
                "requested": request.requested_deadline.isoformat(),
                "deadline": item.deadline.isoformat(),
            }
        )
    now = clock.now()
    request.status = ExtensionStatus.APPROVED if approve else ExtensionStatus.REJECTED
    request.decided_by = actor
    request.decided_at = now
    request.comment = comment
    request.save(update_fields=["status", "decided_by", "decided_at", "comment"])

    lead = item.lead_unit
    if approve:
        old_deadline = item.deadline
        # The change record shows the new date next to every other change (R-S4).
        ItemChange.objects.create(
            item=item,
            field="deadline",
            old_value=old_deadline.isoformat(),
            new_value=request.requested_deadline.isoformat(),
            reason=_("经批准延期：%(reason)s") % {"reason": request.reason},
            authorised_by=actor if request.approver_kind == ExtensionApprover.LEADER else None,
            changed_by=actor,
            created_at=now,
        )
        item.deadline = request.requested_deadline
        item.deadline_provisional = False  # a date set by a decision is counted by no calendar
        item.save(update_fields=["deadline", "deadline_provisional", "updated_at"])
        summary = _("批准延期，办结时限由%(old)s延至%(new)s（原定%(original)s）") % {
            "old": old_deadline.isoformat(),
            "new": item.deadline.isoformat(),
            "original": item.original_deadline.isoformat(),
        }
        title = _("延期申请已批准：%(title)s") % {"title": item.title}
        body = _("办结时限延至%(new)s。") % {"new": item.deadline.isoformat()}
    else:
        summary = _("不予批准延期，理由：%(comment)s") % {"comment": comment}
        title = _("延期申请未获批准：%(title)s") % {"title": item.title}
        body = _("办结时限仍为%(deadline)s。") % {"deadline": item.deadline.isoformat()}
    if comment:
        if approve:
            summary += _("，意见：%(comment)s") % {"comment": comment}
        body += _("审批意见：%(comment)s") % {"comment": comment}
    record(
        actor,
        "decide_extension",
        summary,
        item=item,
        unit=lead,
        data={"approved": approve, "comment": comment, "deadline": item.deadline.isoformat()},
    )
    _notify([lead.liaison, lead.head], item, title, body)
    if request.approver_kind == ExtensionApprover.LEADER:
        _notify(_office_staff(item), item, title, body)
    return request
