"""Who may take which action on an item. Actions call `check`; pages and the API
call `allowed_actions` to offer only what the viewer may do. One table, both uses.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.utils.translation import gettext as _

from duban.organisation.models import Role

from .errors import ActionError, InvalidInput, PermissionRefused
from .models import FeedbackKind, FeedbackStatus
from .states import MOVES, check_move


def is_office_supervisor_of(user: Any, item: Any) -> bool:
    return bool(
        user.role == Role.OFFICE_SUPERVISOR
        and user.unit_id is not None
        and user.unit_id == item.supervising_office_id
    )


def is_lead_contact(user: Any, item: Any) -> bool:
    """The lead unit's liaison or head (第一责任人)."""
    unit = item.lead_unit
    return user.pk is not None and user.pk in (unit.liaison_id, unit.head_id)


def is_lead_head(user: Any, item: Any) -> bool:
    return user.pk is not None and user.pk == item.lead_unit.head_id


def cooperating_unit_of(user: Any, item: Any) -> Any:
    """The cooperating unit this person is liaison or head of, or None."""
    for unit in item.cooperating_units.all():
        if user.pk is not None and user.pk in (unit.liaison_id, unit.head_id):
            return unit
    return None


def is_cooperating_contact(user: Any, item: Any) -> bool:
    return cooperating_unit_of(user, item) is not None


def has_extension_request(item: Any) -> bool:
    """Whether the item has used its one extension application (R-E1)."""
    from .models import ExtensionRequest

    try:
        item.extension_request  # noqa: B018 (joined by the pages and the API)
    except ExtensionRequest.DoesNotExist:
        return False
    return True


def pending_extension_of(item: Any) -> Any:
    """The item's extension request while it awaits a decision, or None."""
    from .models import ExtensionRequest, ExtensionStatus

    try:
        request = item.extension_request
    except ExtensionRequest.DoesNotExist:
        return None
    return request if request.status == ExtensionStatus.PENDING else None


def is_extension_approver(user: Any, item: Any) -> bool:
    """R-E3: the supervising office decides up to 3 months, the leader in charge beyond."""
    from .models import ExtensionApprover

    request = pending_extension_of(item)
    if request is None:
        return False
    if request.approver_kind == ExtensionApprover.OFFICE:
        return is_office_supervisor_of(user, item)
    return user.pk is not None and user.pk == request.approver_id


ACTORS: dict[str, tuple[Callable[[Any, Any], bool], str]] = {
    "assign": (is_office_supervisor_of, "只有本事项的督办部门督办员可以交办。"),
    "reassign": (is_office_supervisor_of, "只有本事项的督办部门督办员可以重新交办。"),
    "change": (is_office_supervisor_of, "只有本事项的督办部门督办员可以变更事项。"),
    "accept_report": (is_office_supervisor_of, "只有本事项的督办部门督办员可以审核办结报告。"),
    "return_report": (is_office_supervisor_of, "只有本事项的督办部门督办员可以审核办结报告。"),
    "sign_for": (is_lead_contact, "只有承办单位的联络员或第一责任人可以签收。"),
    "return": (is_lead_contact, "只有承办单位的联络员或第一责任人可以退回事项。"),
    "record_plan": (is_lead_contact, "只有承办单位的联络员或第一责任人可以填报工作计划。"),
    "submit_feedback": (is_lead_contact, "只有承办单位的联络员或第一责任人可以反馈进展。"),
    "draft_completion_report": (
        is_lead_contact,
        "只有承办单位的联络员或第一责任人可以起草办结报告。",
    ),
    "confirm_report": (is_lead_head, "只有承办单位的第一责任人可以确认办结报告。"),
    "decline_report": (is_lead_head, "只有承办单位的第一责任人可以退回办结报告草稿。"),
    "report_contribution": (
        is_cooperating_contact,
        "只有配合单位的联络员或第一责任人可以报送配合情况。",
    ),
    "urge": (is_office_supervisor_of, "只有本事项的督办部门督办员可以催办。"),
    "request_extension": (
        is_lead_contact,
        "只有承办单位的联络员或第一责任人可以申请延期。",
    ),
    "decide_extension": (
        is_extension_approver,
        "您不是本事项延期申请的审批人，或没有待审批的延期申请。",
    ),
    "adjust": (is_office_supervisor_of, "只有本事项的督办部门督办员可以记录调整决定。"),
    "terminate": (is_office_supervisor_of, "只有本事项的督办部门督办员可以记录终止决定。"),
    "archive": (is_office_supervisor_of, "只有本事项的督办部门督办员可以立卷归档。"),
}
assert set(ACTORS) == set(MOVES), "every move needs its actors"


NEEDS_PENDING_REPORT = ("confirm_report", "decline_report")
# Taken for a whole year's volume (duban.documents), never offered on one item's page.
NOT_OFFERED_PER_ITEM = ("archive",)


def is_active_person(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and getattr(user, "is_active", False))


def has_pending_report(item: Any) -> bool:
    return bool(
        item.feedback.filter(
            kind=FeedbackKind.COMPLETION, status=FeedbackStatus.AWAITING_CONFIRMATION
        ).exists()
    )


def _check_actor_and_state(user: Any, item: Any, action: str) -> None:
    allowed, message = ACTORS[action]
    if not is_active_person(user) or not allowed(user, item):
        raise PermissionRefused(_(message))
    check_move(item, action)


NOT_VISIBLE = "督办事项不存在。"


def check(
    user: Any,
    item: Any,
    action: str,
    *,
    visible: bool | None = None,
    pending_report: bool | None = None,
) -> None:
    """Refuse unless `user` may take `action` on `item` in its present state.

    Whoever may not see the item (R-C1–C4: restricted kinds, recusal) may not act on
    it, whatever the role; they are told only what a missing item would tell them.
    `visible` and `pending_report`: what a batch action has already found for many
    items at once (`visibility.visible_pairs`), not asked again per item.
    """
    from .visibility import is_visible_to

    if visible is None:
        visible = is_active_person(user) and is_visible_to(user, item)
    if not is_active_person(user) or not visible:
        raise PermissionRefused(_(NOT_VISIBLE))
    _check_actor_and_state(user, item, action)
    if action in NEEDS_PENDING_REPORT:
        if pending_report is None:
            pending_report = has_pending_report(item)
        if not pending_report:
            raise InvalidInput(_("没有待确认的办结报告。"))


def allowed_actions(user: Any, item: Any, *, pending_report: bool | None = None) -> list[str]:
    """`pending_report`: whether a draft awaits the head, when the caller already knows."""
    from .visibility import is_visible_to

    if not is_active_person(user) or not is_visible_to(user, item):
        return []
    allowed = []
    for action in MOVES:
        if action in NOT_OFFERED_PER_ITEM:
            continue
        try:
            _check_actor_and_state(user, item, action)
        except ActionError:
            continue
        if action in NEEDS_PENDING_REPORT:
            if pending_report is None:
                pending_report = has_pending_report(item)
            if not pending_report:
                continue
        # R-E1: one application ever. (The action itself refuses a second one with the
        # day of the first; pages just stop offering it.)
        if action == "request_extension" and has_extension_request(item):
            continue
        allowed.append(action)
    return allowed


# ----------------------------------------------------------------------------- work parts (R-A4)


def is_part_contact(user: Any, part: Any) -> bool:
    """The liaison or head of the cooperating unit the part is assigned to."""
    unit = part.unit
    return user.pk is not None and user.pk in (unit.liaison_id, unit.head_id)


# Who takes each step of a part, and in which states of its item. The lead unit divides,
# re-dates and urges; the cooperating unit signs for and reports on its own part; the
# office only reads (R-A4, R-F1).
PART_ACTORS: dict[str, tuple[str, str]] = {
    "divide": ("lead", "只有承办单位的联络员或第一责任人可以分办。"),
    "redate_part": ("lead", "只有承办单位的联络员或第一责任人可以调整分工时限。"),
    "urge_part": ("lead", "只有承办单位的联络员或第一责任人可以催办配合单位。"),
    "sign_part": ("part", "只有该分工所属配合单位的联络员或第一责任人可以签收。"),
    "report_part": ("part", "只有该分工所属配合单位的联络员或第一责任人可以报送。"),
}
PART_STATES = MOVES["report_contribution"].sources  # the lead unit is working on it


def check_part(
    user: Any, item: Any, action: str, part: Any = None, *, known_visible: bool = False
) -> None:
    """Refuse unless `user` may take the part `action` on `item` (and `part`) now.
    `known_visible`: the caller found the item through the visibility rule already."""
    from .errors import StateRefused
    from .models import OPEN_PART_STATUSES, PartStatus
    from .visibility import is_visible_to

    if not is_active_person(user) or not (known_visible or is_visible_to(user, item)):
        raise PermissionRefused(_(NOT_VISIBLE))
    who, message = PART_ACTORS[action]
    allowed = is_lead_contact(user, item) if who == "lead" else is_part_contact(user, part)
    if not allowed:
        raise PermissionRefused(_(message))
    if part is not None and part.status not in OPEN_PART_STATUSES:
        raise StateRefused(
            _("该分工%(status)s，不能再办理。") % {"status": part.get_status_display()}
        )
    if action == "sign_part" and part.status != PartStatus.ASSIGNED:
        raise StateRefused(_("该分工已签收。"))
    if action == "report_part" and part.status != PartStatus.SIGNED:
        raise StateRefused(_("请先签收该分工，再报送办理情况。"))
    if item.status not in PART_STATES:
        raise StateRefused(
            _("事项当前状态为“%(status)s”，不能办理分工。") % {"status": item.get_status_display()}
        )


ITEM_PART_ACTIONS = ("divide",)


def allowed_part_actions(user: Any, item: Any, part: Any = None) -> list[str]:
    """The part actions to offer on a visible item: `divide` on the item, the others on
    one part (no query: the item was found through the visibility rule)."""
    names = ITEM_PART_ACTIONS if part is None else tuple(set(PART_ACTORS) - set(ITEM_PART_ACTIONS))
    allowed = []
    for action in PART_ACTORS:
        if action not in names:
            continue
        try:
            check_part(user, item, action, part, known_visible=True)
        except ActionError:
            continue
        allowed.append(action)
    return allowed
