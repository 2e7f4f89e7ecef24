"""The item's state machine: one table of allowed moves, one function to apply them.

Overdue, the warning light, a pending extension and "no progress" are derived facts,
not states (DESIGN.md, "The item's life").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import models
from django.utils.translation import gettext_lazy as _

from .errors import StateRefused

if TYPE_CHECKING:
    from .models import Item


class Status(models.TextChoices):
    DRAFT = "draft", _("草稿")
    ESTABLISHED = "established", _("已立项")
    ASSIGNED = "assigned", _("已交办")
    RETURNED = "returned", _("已退回")
    IN_PROGRESS = "in_progress", _("办理中")
    SUBMITTED = "submitted", _("已报结")
    COMPLETED = "completed", _("已办结")
    ARCHIVED = "archived", _("已归档")
    TERMINATED = "terminated", _("已终止")


ACTIVE_STATUSES = (
    Status.ESTABLISHED,
    Status.ASSIGNED,
    Status.RETURNED,
    Status.IN_PROGRESS,
    Status.SUBMITTED,
)
CLOSED_STATUSES = (Status.COMPLETED, Status.ARCHIVED, Status.TERMINATED)


@dataclass(frozen=True)
class Move:
    sources: tuple[str, ...]
    target: str | None  # None: the action happens within the state


MOVES: dict[str, Move] = {
    "assign": Move((Status.ESTABLISHED,), Status.ASSIGNED),
    "sign_for": Move((Status.ASSIGNED,), Status.IN_PROGRESS),
    "return": Move((Status.ASSIGNED,), Status.RETURNED),
    "reassign": Move((Status.RETURNED,), Status.ASSIGNED),
    "change": Move(ACTIVE_STATUSES, None),
    "record_plan": Move((Status.IN_PROGRESS,), None),
    "submit_feedback": Move((Status.IN_PROGRESS,), None),
    "report_contribution": Move((Status.IN_PROGRESS,), None),
    "draft_completion_report": Move((Status.IN_PROGRESS,), None),
    "decline_report": Move((Status.IN_PROGRESS,), None),
    "confirm_report": Move((Status.IN_PROGRESS,), Status.SUBMITTED),
    "accept_report": Move((Status.SUBMITTED,), Status.COMPLETED),
    "return_report": Move((Status.SUBMITTED,), Status.IN_PROGRESS),
    # Deadlines that hold (R-U2, R-E1–E4, R-T1).
    "urge": Move((Status.ASSIGNED, Status.IN_PROGRESS), None),
    "request_extension": Move((Status.ASSIGNED, Status.IN_PROGRESS), None),
    "decide_extension": Move(ACTIVE_STATUSES, None),
    "adjust": Move(ACTIVE_STATUSES, None),
    "terminate": Move(ACTIVE_STATUSES, Status.TERMINATED),
    # R-K2: filing a year's volume (duban.documents.actions.file_volume). Terminated
    # items are closed too and their record (the R-T1 decision) belongs in the archive,
    # so both closed statuses are filed. Nothing leaves `archived`: no move has it as a
    # source, so every action refuses an archived item (read-only).
    "archive": Move((Status.COMPLETED, Status.TERMINATED), Status.ARCHIVED),
}


def check_move(item: Item, action: str) -> Move:
    move = MOVES[action]
    if item.status not in move.sources:
        raise StateRefused(
            _("事项当前状态为“%(status)s”，不能执行此操作。")
            % {"status": Status(item.status).label}
        )
    return move


def apply_move(item: Item, action: str) -> None:
    """Move `item` as `action` allows, or refuse; the caller saves."""
    move = check_move(item, action)
    if move.target is not None:
        item.status = move.target
