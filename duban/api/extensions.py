"""Extensions (R-E1–E4) and terminations or adjustments (R-T1) over the API.

Like every item endpoint, each finds the item through the visibility rule first (a
hidden item answers 404, R-C5), calls the action and answers with the item as it now
stands; a refusal is the action's JSON error.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Field, Router, Schema
from pydantic.json_schema import JsonDict

from duban.items import actions
from duban.items.models import DecisionKind
from duban.items.plausible import TEXT_LIMIT

from .items import ACTION_RESPONSES, _act, _person
from .schemas import (
    LATER,
    ItemText,
    LaterDate,
    PersonId,
    StrictBoolean,
    Text,
    comment_needed_unless,
    longest,
    server_rule,
)

router = Router(tags=["延期与终止"])


class ExtensionIn(Schema):
    requested_deadline: LaterDate = Field(
        description="申请延至的日期",
        json_schema_extra=server_rule(
            LATER + "；须晚于现在的办结时限；申请须不晚于时限前第5个工作日提出（R-E2）"
        ),
    )
    reason: Annotated[ItemText, longest(TEXT_LIMIT)] = Field(description="延期理由")


class ExtensionDecisionIn(Schema):
    """The approver approves, or rejects with a reason in `comment` (R-E3)."""

    model_config = {"json_schema_extra": comment_needed_unless("approve")}

    approve: StrictBoolean = Field(description="true：批准延期；false：不予批准")
    comment: Annotated[Text, longest(TEXT_LIMIT)] = Field(
        "",
        description="审批意见；不予批准时必填，写明理由",
        json_schema_extra=server_rule("不予批准时须包含可见文字；涉密事项只能填写“线下报送”"),
    )


# R-T1: a meeting's decision names the meeting and its date; a leader's names the leader.
_DECIDED_BY: JsonDict = {
    "oneOf": [
        {
            "required": ["meeting_name", "meeting_date"],
            "properties": {
                "decision_kind": {"const": DecisionKind.MEETING.value},
                "meeting_name": {"minLength": 1, "pattern": r"\S"},
                "meeting_date": {"type": "string", "format": "date"},
            },
        },
        {
            "required": ["leader"],
            "properties": {
                "decision_kind": {"const": DecisionKind.LEADER.value},
                "leader": {"type": "integer"},
            },
        },
    ]
}


class DecisionIn(Schema):
    """R-T1: decided by a meeting (`meeting_name` and `meeting_date`) or by a school
    leader (`leader`, by id)."""

    model_config = {"json_schema_extra": _DECIDED_BY}

    decision_kind: DecisionKind = Field(description="决定方式：meeting（会议研究决定）或 leader")
    meeting_name: Annotated[Text, longest(200)] = Field(
        "",
        description="会议名称及期次：decision_kind 为 meeting 时必填",
        json_schema_extra=server_rule("decision_kind 为 meeting 时须包含可见文字"),
    )
    meeting_date: dt.date | None = Field(
        None,
        description="会议日期：decision_kind 为 meeting 时必填",
        json_schema_extra=server_rule("decision_kind 为 meeting 时必填，不得晚于今天"),
    )
    leader: PersonId | None = Field(
        None,
        description="同意的校领导：decision_kind 为 leader 时必填",
        json_schema_extra=server_rule("decision_kind 为 leader 时必填，须为启用的校领导"),
    )
    basis: Annotated[ItemText, longest(TEXT_LIMIT)] = Field(description="决定依据")
    reason: Annotated[ItemText, longest(TEXT_LIMIT)] = Field(description="客观原因")


class TerminateIn(DecisionIn):
    pass


class AdjustIn(DecisionIn):
    """Adjust the deadline and/or the content: at least one of `new_deadline` and
    `new_content`."""

    new_deadline: LaterDate | None = Field(
        None,
        description="调整后的办结时限",
        json_schema_extra=server_rule(LATER + "；不得早于今天；与 new_content 至少填一项"),
    )
    new_content: Annotated[Text, longest(TEXT_LIMIT)] | None = Field(
        None,
        description="调整后的工作内容",
        json_schema_extra=server_rule("与 new_deadline 至少填一项；涉密事项不得填写内容"),
    )


def _decision(payload: DecisionIn) -> dict[str, Any]:
    return {
        "decision_kind": payload.decision_kind,
        "meeting_name": payload.meeting_name,
        "meeting_date": payload.meeting_date,
        "leader": _person(payload.leader, "leader"),
        "basis": payload.basis,
        "reason": payload.reason,
    }


@router.post("/{item_id}/extension", response=ACTION_RESPONSES, summary="申请延期")
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


@router.post("/{item_id}/extension/decide", response=ACTION_RESPONSES, summary="审批延期")
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


@router.post("/{item_id}/adjust", response=ACTION_RESPONSES, summary="调整事项")
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


@router.post("/{item_id}/terminate", response=ACTION_RESPONSES, summary="终止事项")
def terminate_item(request: HttpRequest, item_id: int, payload: TerminateIn) -> Any:
    """终止 on a meeting's or a leader's decision (R-T1)."""
    decision = _decision(payload)
    return _act(request, item_id, lambda user, item: actions.terminate_item(user, item, **decision))
