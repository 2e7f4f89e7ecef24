"""分办 (R-A4) over the API: an item's work parts, dividing, signing for, reporting on,
re-dating and urging them.

The item is found through the visibility rule (a hidden item answers 404, R-C5). A
cooperating unit signs for and reports on only its own parts: another unit's part is
not found (404). Who may do what is the actions' (policy.PART_ACTORS); a refusal is
their JSON error, and changes nothing.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from duban.items import actions
from duban.items.models import Item, UrgeChannel, WorkPart
from duban.items.parts import item_parts, part_to_act_on
from duban.items.plausible import TEXT_LIMIT
from duban.items.policy import allowed_part_actions

from . import present
from .errors import NotFound
from .items import _unit, _user, _visible_item
from .schemas import ErrorOut, LaterDate, Text, UnitId, longest, server_rule

router = Router(tags=["分办"])

RESPONSES: dict[int, Any] = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: ErrorOut,
}


class PartOut(Schema):
    id: int
    unit_id: int
    unit: str
    task: str
    deadline: dt.date
    status: str
    status_label: str
    light: str
    needs_redate: bool
    signed_at: dt.datetime | None
    reported_at: dt.datetime | None
    allowed_actions: list[str]


# Every field has a default: a hidden item answers 404 before its body is judged, and
# the actions name what is missing in words (R-C5: the answer for a hidden item is a
# missing one's, whatever the body).
class DivideIn(Schema):
    unit: UnitId | None = Field(
        None,
        description="配合单位（单位编号），须为本事项的配合单位",
        json_schema_extra=server_rule("必填；须为本事项的配合单位"),
    )
    task: Annotated[Text, longest(TEXT_LIMIT)] = Field(
        "",
        description="分工内容（必填，须包含可见文字）",
        json_schema_extra=server_rule("必填，须包含可见文字；涉密事项只能填写“线下报送”"),
    )
    deadline: LaterDate | None = Field(
        None,
        description="完成时限（必填），不得晚于事项的办结时限",
        json_schema_extra=server_rule("必填；不得早于今天，不得晚于事项的办结时限"),
    )


class PartReportIn(Schema):
    text: Annotated[Text, longest(TEXT_LIMIT)] = Field(
        "",
        description="办理情况（必填）",
        json_schema_extra=server_rule("必填，须包含可见文字；涉密事项只能填写“线下报送”"),
    )


class PartUrgeIn(Schema):
    channel: Text = Field(
        "",
        description="催办方式：system、sms、phone、verbal、written、visit、meeting",
        json_schema_extra={"enum": list(UrgeChannel.values), **server_rule("必填")},
    )
    note: Annotated[Text, longest(TEXT_LIMIT)] = Field(
        "",
        description="催办内容",
        json_schema_extra=server_rule(
            "phone、verbal、written、visit、meeting 时须包含可见文字；涉密事项只能填写“线下报送”"
        ),
    )


class RedateIn(Schema):
    deadline: LaterDate | None = Field(
        None,
        description="新的完成时限（必填）",
        json_schema_extra=server_rule("必填；不得早于今天，不得晚于事项的办结时限"),
    )


def _part_out(user: Any, item: Item, part: WorkPart) -> dict[str, Any]:
    return {
        "id": part.pk,
        "unit_id": part.unit_id,
        "unit": part.unit.name,
        "task": part.task,
        "deadline": part.deadline,
        "status": part.status,
        "status_label": part.get_status_display(),
        "light": getattr(part, "light", ""),
        "needs_redate": part.needs_redate,
        "signed_at": present.local(part.signed_at) if part.signed_at else None,
        "reported_at": present.local(part.reported_at) if part.reported_at else None,
        "allowed_actions": allowed_part_actions(user, item, part),
    }


def _answer(user: Any, item: Item, part_id: int) -> dict[str, Any]:
    part = item_parts(item).get(pk=part_id)
    return _part_out(user, item, part)


def _part(user: Any, item: Item, part_id: int, *, own_only: bool) -> WorkPart:
    part = part_to_act_on(user, item, part_id, own_only=own_only)
    if part is None:
        raise NotFound(_("分工不存在。"))
    return part


@router.get("/{item_id}/parts", response={200: list[PartOut], **RESPONSES}, summary="分工列表")
def list_parts(request: HttpRequest, item_id: int) -> list[dict[str, Any]]:
    """The item's division among its cooperating units, with each part's state and light."""
    user = _user(request)
    item = _visible_item(user, item_id)
    return [_part_out(user, item, part) for part in item_parts(item)]


@router.post("/{item_id}/parts", response={201: PartOut, **RESPONSES}, summary="分办")
def divide_item(request: HttpRequest, item_id: int, payload: DivideIn) -> Any:
    """分办: the lead unit gives a cooperating unit a part, dated no later than the item."""
    user = _user(request)
    item = _visible_item(user, item_id)
    unit = _unit(payload.unit, "unit") if payload.unit is not None else None
    part = actions.divide_item(user, item, unit=unit, task=payload.task, deadline=payload.deadline)
    return Status(201, _answer(user, item, part.pk))


@router.post(
    "/{item_id}/parts/{part_id}/sign", response={200: PartOut, **RESPONSES}, summary="签收分工"
)
def sign_part(request: HttpRequest, item_id: int, part_id: int) -> Any:
    """The cooperating unit signs for its part."""
    user = _user(request)
    item = _visible_item(user, item_id)
    actions.sign_part(user, _part(user, item, part_id, own_only=True))
    return _answer(user, item, part_id)


@router.post(
    "/{item_id}/parts/{part_id}/report",
    response={200: PartOut, **RESPONSES},
    summary="报送分工办理情况",
)
def report_part(request: HttpRequest, item_id: int, part_id: int, payload: PartReportIn) -> Any:
    """The cooperating unit reports on its part to the lead unit (R-F1)."""
    user = _user(request)
    item = _visible_item(user, item_id)
    actions.report_part(user, _part(user, item, part_id, own_only=True), payload.text)
    return _answer(user, item, part_id)


@router.post(
    "/{item_id}/parts/{part_id}/urge", response={200: PartOut, **RESPONSES}, summary="催办分工"
)
def urge_part(request: HttpRequest, item_id: int, part_id: int, payload: PartUrgeIn) -> Any:
    """The lead unit urges the cooperating unit about its part (recorded, R-U2)."""
    user = _user(request)
    item = _visible_item(user, item_id)
    part = _part(user, item, part_id, own_only=False)
    actions.urge_part(user, part, channel=payload.channel, note=payload.note)
    return _answer(user, item, part_id)


@router.post(
    "/{item_id}/parts/{part_id}/redate",
    response={200: PartOut, **RESPONSES},
    summary="调整分工时限",
)
def redate_part(request: HttpRequest, item_id: int, part_id: int, payload: RedateIn) -> Any:
    """The lead unit gives a part a new date, no later than the item's deadline."""
    user = _user(request)
    item = _visible_item(user, item_id)
    actions.redate_part(user, _part(user, item, part_id, own_only=False), payload.deadline)
    return _answer(user, item, part_id)
