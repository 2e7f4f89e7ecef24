"""Urges (催办, R-U2) over the API.

Like every item endpoint, the item is found through the visibility rule first (a
hidden item answers 404, R-C5); the action checks who may urge, the channel, the
recipient and the note, and answers with the item as it now stands (its `urges`
included); a refusal is the action's JSON error.
"""

from __future__ import annotations

from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Field, Router, Schema

from duban.items import actions
from duban.items.models import UrgeChannel
from duban.items.plausible import TEXT_LIMIT

from .items import ACTION_RESPONSES, _act, _person
from .schemas import PersonId, Text, longest, server_rule

router = Router(tags=["催办"])


class UrgeIn(Schema):
    # (The enum is said to clients; the action refuses another channel in words.)
    channel: Text = Field(
        description="催办方式：system（系统通知）、sms（短信）、phone（电话）、verbal（口头）、"
        "written（书面通知）、visit（上门督办）、meeting（会议督办）",
        json_schema_extra={"enum": list(UrgeChannel.values)},
    )
    recipient: PersonId = Field(
        description="催办对象：承办单位的联络员、第一责任人或分管校领导（人员编号）",
        json_schema_extra=server_rule("须为承办单位的联络员、第一责任人或分管校领导，账号启用"),
    )
    note: Annotated[Text, longest(TEXT_LIMIT)] = Field(
        "",
        description="催办内容：电话、口头、书面、上门、会议督办时必填（谈话或通知的要点）；"
        "系统通知和短信发送此内容，不填则发送标准催办语",
        json_schema_extra=server_rule(
            "phone、verbal、written、visit、meeting 时须包含可见文字；涉密事项只能填写“线下报送”"
        ),
    )


@router.post("/{item_id}/urge", response=ACTION_RESPONSES, summary="催办")
def urge_item(request: HttpRequest, item_id: int, payload: UrgeIn) -> Any:
    """催办: the supervising office chases the lead unit; system and SMS urges are also sent."""
    recipient = _person(payload.recipient, "recipient")
    return _act(
        request,
        item_id,
        lambda user, item: actions.urge_item(
            user, item, channel=payload.channel, recipient=recipient, note=payload.note
        ),
    )
