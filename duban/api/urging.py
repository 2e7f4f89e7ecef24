"""Urges (催办, R-U2) over the API.

Like every item endpoint, the item is found through the visibility rule first (a
hidden item answers 404, R-C5); the action checks who may urge, the channel, the
recipient and the note, and answers with the item as it now stands (its `urges`
included); a refusal is the action's JSON error.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema

from duban.items import actions

from .items import ACTION_RESPONSES, _act, _person
from .schemas import Id, Text

router = Router(tags=["催办"])


class UrgeIn(Schema):
    channel: Text = Field(
        description="催办方式：system（系统通知）、sms（短信）、phone（电话）、verbal（口头）、"
        "written（书面通知）、visit（上门督办）、meeting（会议督办）"
    )
    recipient: Id = Field(
        description="催办对象：承办单位的联络员、第一责任人或分管校领导（人员编号）"
    )
    note: Text = Field(
        "",
        description="催办内容：电话、口头、书面、上门、会议督办时必填（谈话或通知的要点）；"
        "系统通知和短信发送此内容，不填则发送标准催办语",
    )


@router.post("/{item_id}/urge", response=ACTION_RESPONSES)
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
