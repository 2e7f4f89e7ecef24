"""Every change to an item happens in this package, one function per action (DESIGN.md).

Each action locks the item, checks who may act (`policy.check`, which also checks the
state machine), validates its input, changes the rows, writes its audit event and its
notices in the same transaction. A refused action raises an `ActionError` and, since
everything runs inside `transaction.atomic`, changes nothing.

Modules: `core` (establishment, assignment, handling, feedback, review), `extensions`
(R-E1–E4), `adjustments` (termination and adjustment, R-T1), `recusal` (R-C4),
`urging` (manual urges, R-U2), `parts` (分办, R-A4), `recompute` (R-D6), `closing`
(what follows from closing an item or moving its deadline).
"""

from .adjustments import adjust_item, terminate_item
from .core import (
    CHANGEABLE_FIELDS,
    TEXT_LIMIT,
    TITLE_LIMIT,
    EstablishInput,
    MilestoneInput,
    Refusals,
    Seeing,
    Step,
    assign_item,
    assign_items,
    change_item,
    check_establish,
    confirm_report,
    confirm_reports,
    decline_report,
    draft_completion_report,
    draft_completion_reports,
    establish_item,
    establish_items,
    mark_all_notices_read,
    mark_item_notices_read,
    mark_notice_read,
    reassign_item,
    record_plan,
    report_contribution,
    return_item,
    review_report,
    review_reports,
    sign_for_item,
    sign_for_items,
    submit_feedback,
)
from .extensions import decide_extension, request_extension
from .parts import divide_item, redate_part, report_part, sign_part, urge_part
from .recusal import declare_recusal, may_declare_recusal, recused_units
from .urging import urge_item, urge_recipients

__all__ = [
    "CHANGEABLE_FIELDS",
    "TEXT_LIMIT",
    "TITLE_LIMIT",
    "EstablishInput",
    "MilestoneInput",
    "Refusals",
    "Seeing",
    "Step",
    "adjust_item",
    "assign_item",
    "assign_items",
    "change_item",
    "check_establish",
    "confirm_report",
    "confirm_reports",
    "decide_extension",
    "declare_recusal",
    "decline_report",
    "divide_item",
    "draft_completion_report",
    "draft_completion_reports",
    "establish_item",
    "establish_items",
    "mark_all_notices_read",
    "mark_item_notices_read",
    "mark_notice_read",
    "may_declare_recusal",
    "reassign_item",
    "record_plan",
    "recused_units",
    "redate_part",
    "report_contribution",
    "report_part",
    "request_extension",
    "return_item",
    "review_report",
    "review_reports",
    "sign_for_item",
    "sign_for_items",
    "sign_part",
    "submit_feedback",
    "terminate_item",
    "urge_item",
    "urge_part",
    "urge_recipients",
]
