"""Extensions (R-E1–E4) and terminations or adjustments (R-T1) over the API.

Like every item endpoint, each finds the item through the visibility rule first (a
hidden item answers 404, R-C5), calls the action and answers with the item as it now
stands; a refusal is the action's JSON error.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from duban.items import actions
from duban.items.models import DecisionKind

from .items import ACTION_RESPONSES, _act, _person
from .schemas import Id, LaterDate, RequiredText, StrictBoolean, Text

router = Router(tags=["延期与终止"])


class ExtensionIn(Schema):
    requested_deadline: LaterDate
    reason: RequiredText


class ExtensionDecisionIn(Schema):
    approve: StrictBoolean
    comment: Text = ""


class DecisionIn(Schema):
    """R-T1: decided by a meeting (name and date) or by a school leader (by id)."""

    decision_kind: DecisionKind
    meeting_name: Text = ""
    meeting_date: dt.date | None = None
    leader: Id | None = None
    basis: RequiredText
    reason: RequiredText


class TerminateIn(DecisionIn):
    pass


class AdjustIn(DecisionIn):
    new_deadline: LaterDate | None = None
    new_content: Text | None = None


def _decision(payload: DecisionIn) -> dict[str, Any]:
    return {
        "decision_kind": payload.decision_kind,
        "meeting_name": payload.meeting_name,
        "meeting_date": payload.meeting_date,
        "leader": _person(payload.leader, "leader"),
        "basis": payload.basis,
        "reason": payload.reason,
    }


@router.post("/{item_id}/extension", response=ACTION_RESPONSES)
def request_extension(request: HttpRequest, item_id: int, payload: ExtensionIn) -> Any:
    """申请延期: once per item (R-E1), by the 5th working day before the deadline (R-E2);
    up to 3 months the supervising office decides, beyond the leader in charge (R-E3)."""
    return _act(
        request,
        item_id,
        lambda user, item: actions.request_extension(
            user, item, requested_deadline=payload.requested_deadline, reason=payload.reason
        ),
    )


@router.post("/{item_id}/extension/decide", response=ACTION_RESPONSES)
def decide_extension(request: HttpRequest, item_id: int, payload: ExtensionDecisionIn) -> Any:
    """The approver approves (the deadline moves, the original stays, R-E4) or rejects
    with a comment."""
    return _act(
        request,
        item_id,
        lambda user, item: actions.decide_extension(
            user, item, approve=payload.approve, comment=payload.comment
        ),
    )


@router.post("/{item_id}/adjust", response=ACTION_RESPONSES)
def adjust_item(request: HttpRequest, item_id: int, payload: AdjustIn) -> Any:
    """调整 the deadline and/or content on a meeting's or a leader's decision (R-T1)."""
    decision = _decision(payload)
    return _act(
        request,
        item_id,
        lambda user, item: actions.adjust_item(
            user,
            item,
            **decision,
            new_deadline=payload.new_deadline,
            new_content=payload.new_content,
        ),
    )


@router.post("/{item_id}/terminate", response=ACTION_RESPONSES)
def terminate_item(request: HttpRequest, item_id: int, payload: TerminateIn) -> Any:
    """终止 on a meeting's or a leader's decision (R-T1)."""
    decision = _decision(payload)
    return _act(request, item_id, lambda user, item: actions.terminate_item(user, item, **decision))
