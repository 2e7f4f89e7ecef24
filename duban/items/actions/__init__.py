"""Every change to an item happens in this package, one function per action (DESIGN.md).

Each action locks the item, checks who may act (`policy.check`, which also checks the
state machine), validates its input, changes the rows, writes its audit event and its
notices in the same transaction. A refused action raises an `ActionError` and, since
everything runs inside `transaction.atomic`, changes nothing.

Modules: `core` (establishment, assignment, handling, feedback, review).
"""

from .core import (
    CHANGEABLE_FIELDS,
    TEXT_LIMIT,
    TITLE_LIMIT,
    EstablishInput,
    MilestoneInput,
    assign_item,
    change_item,
    confirm_report,
    decline_report,
    draft_completion_report,
    establish_item,
    mark_notice_read,
    reassign_item,
    record_plan,
    report_contribution,
    return_item,
    review_report,
    sign_for_item,
    submit_feedback,
)

__all__ = [
    "CHANGEABLE_FIELDS",
    "TEXT_LIMIT",
    "TITLE_LIMIT",
    "EstablishInput",
    "MilestoneInput",
    "assign_item",
    "change_item",
    "confirm_report",
    "decline_report",
    "draft_completion_report",
    "establish_item",
    "mark_notice_read",
    "reassign_item",
    "record_plan",
    "report_contribution",
    "return_item",
    "review_report",
    "sign_for_item",
    "submit_feedback",
]
