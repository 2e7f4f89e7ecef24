"""Recusal (回避, R-C4) over the API: the item is found through the visibility rule
first (hidden answers 404); the action checks who may declare what."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from duban.items import actions

from .items import ACTION_RESPONSES, _person, _unit, _user, _visible_item
from .schemas import LongRequiredText, PersonId, UnitId, server_rule

router = Router(tags=["回避"])


class RecusalOut(Schema):
    id: int
    message: str


class RecusalIn(Schema):
    """A person or a unit, exactly one of the two."""

    model_config = {
        "json_schema_extra": {
            "oneOf": [
                {"required": [name], "properties": {name: {"not": {"type": "null"}}}}
                for name in ("person", "unit")
            ]
        }
    }

    person: PersonId | None = Field(
        None,
        description="回避人员编号（与 unit 二选一）",
        json_schema_extra=server_rule("登记他人须为本事项的督办部门督办员；不得重复登记"),
    )
    unit: UnitId | None = Field(
        None,
        description="回避单位编号（与 person 二选一）",
        json_schema_extra=server_rule("不得为承办单位；不得重复登记"),
    )
    reason: LongRequiredText = Field(description="回避理由")


RECUSAL_RESPONSES = {**ACTION_RESPONSES, 201: RecusalOut}
RECUSAL_RESPONSES.pop(200)


@router.post("/{item_id}/recusal", response=RECUSAL_RESPONSES, summary="登记回避")
def declare_recusal(request: HttpRequest, item_id: int, payload: RecusalIn) -> Any:
    """登记回避: the supervising office records a person or unit; anyone may declare
    their own. From then on the item is hidden from them, whatever their role — so the
    answer is a confirmation, not the item."""
    user = _user(request)
    item = _visible_item(user, item_id)
    person = _person(payload.person, "person") if payload.person is not None else None
    unit = _unit(payload.unit, "unit") if payload.unit is not None else None
    recusal = actions.declare_recusal(user, item, reason=payload.reason, person=person, unit=unit)
    return Status(201, {"id": recusal.pk, "message": _("已登记回避。")})
