"""The item page's part in extensions (R-E1–E4) and terminations or adjustments (R-T1):
what each form's POST runs (registered in `item_views.ACTIONS`) and what the page shows.

As everywhere on the pages, the forms call the actions and never save rows.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _

from duban.items import actions
from duban.items.extension_rules import lateness, latest_filing_day, office_limit
from duban.items.models import ExtensionApprover, ExtensionRequest, ExtensionStatus, Item

from .extension_forms import AdjustForm, ExtensionDecisionForm

if TYPE_CHECKING:
    from duban.organisation.models import User

    from .forms import ActionForm


def request_extension(user: User, item: Item, form: ActionForm) -> str:
    data = form.cleaned_data
    request = actions.request_extension(
        user, item, requested_deadline=data["requested_deadline"], reason=data["reason"]
    )
    if request.approver_kind == ExtensionApprover.LEADER:
        approver = request.approver.full_name if request.approver else ""
    else:
        approver = item.supervising_office.name
    return _("延期申请已提交，报%(approver)s审批。") % {"approver": approver}


def decide_extension(user: User, item: Item, form: ActionForm) -> str:
    assert isinstance(form, ExtensionDecisionForm)
    request = actions.decide_extension(
        user, item, approve=form.approve, comment=form.cleaned_data["comment"]
    )
    if request.status == ExtensionStatus.APPROVED:
        return _("已批准延期，办结时限延至%(day)s。") % {
            "day": request.requested_deadline.isoformat()
        }
    return _("已作不予批准处理。")


def _decision(form: ActionForm) -> dict[str, Any]:
    data = form.cleaned_data
    return {
        name: data[name]
        for name in ("decision_kind", "meeting_name", "meeting_date", "leader", "basis", "reason")
    }


def adjust(user: User, item: Item, form: ActionForm) -> str:
    assert isinstance(form, AdjustForm)
    data = form.cleaned_data
    actions.adjust_item(
        user,
        item,
        **_decision(form),
        new_deadline=data["new_deadline"],
        new_content=data["new_content"],
    )
    return _("已记录调整决定。")


def terminate(user: User, item: Item, form: ActionForm) -> str:
    actions.terminate_item(user, item, **_decision(form))
    return _("已记录终止决定，事项已终止。")


# ----------------------------------------------------------------------------- the item page


def extension_request_of(item: Item) -> ExtensionRequest | None:
    """The item's one extension request (R-E1), or None."""
    try:
        return item.extension_request
    except ExtensionRequest.DoesNotExist:
        return None


def item_page_context(item: Item, today: dt.date, offered: set[str]) -> dict[str, Any]:
    """What the item page shows of extensions and adjustments; `item` comes with its
    extension request (and the request's people) already joined."""
    context: dict[str, Any] = {
        "extension_request": extension_request_of(item),
        "adjustments": list(item.adjustments.select_related("leader", "recorded_by")),
        "lateness": lateness(item, today),
    }
    if "request_extension" in offered:
        # Tell the applicant the rules before they apply (R-E2, R-E3).
        context["extension_latest_filing_day"] = latest_filing_day(item.deadline)
        context["extension_office_limit"] = office_limit(item.deadline)
    return context
