"""The item pages: establish (立项), the item page, and one POST endpoint per action.

The pages never change rows themselves: each POST reads its form and calls the
action in `duban.items.actions`. A refused action (`ActionError`) re-renders the item
page with the error's status and message, the user's input kept in its form.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from duban import clock
from duban.items import actions, policy
from duban.items.deadlines import compute_deadline
from duban.items.errors import ActionError
from duban.items.lights import annotate_lights, is_overdue
from duban.items.models import (
    DeadlineRule,
    Feedback,
    FeedbackKind,
    FeedbackStatus,
    Item,
    SourceKind,
)
from duban.items.visibility import note_read
from duban.organisation.models import User

from . import extension_views, supervision_views, workbench
from .extension_forms import (
    AdjustForm,
    ExtensionDecisionForm,
    ExtensionRequestForm,
    TerminateForm,
)
from .forms import (
    ActionForm,
    AssignForm,
    ChangeForm,
    CommentForm,
    ConfirmForm,
    EstablishForm,
    PlanForm,
    ReasonForm,
    ReassignForm,
    TextForm,
)
from .urge_forms import UrgeForm
from .views import current_user

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

CHECK_INPUT = gettext_lazy("请检查填写的内容。")


def visible_item(request: HttpRequest, pk: int) -> Item:
    """The one way the item pages get an item: a hidden item answers 404, like a missing one."""
    items = (
        # The page shows the item's warning light (R-U4).
        annotate_lights(Item.objects.visible_to(request.user))
        .select_related(
            "lead_unit__head",
            "lead_unit__liaison",
            "supervising_office",
            "supervisor",
            "deciding_leader",
            "created_by",
            # R-E1: the one extension request; the policy reads it (who decides it).
            "extension_request__unit",
            "extension_request__requested_by",
            "extension_request__approver",
            "extension_request__decided_by",
        )
        .prefetch_related("cooperating_units")
    )
    return get_object_or_404(items, pk=pk)


# ----------------------------------------------------------------------------- establish


def establish_input(data: Mapping[str, Any]) -> actions.EstablishInput:
    """The action's input from the form; only the chosen source kind's fields count."""
    kind = data["source_kind"]
    values: dict[str, Any] = {
        "title": data["title"],
        "content": data["content"],
        "basis": data["basis"],
        "source_kind": kind,
        "source_body": data["source_body"],
        "lead_unit": data["lead_unit"],
        "cooperating_units": list(data["cooperating_units"]),
        "confidentiality": data["confidentiality"],
        "urgent": data["urgent"],
    }
    if kind == SourceKind.MEETING:
        values.update({name: data[name] for name in EstablishForm.MEETING_FIELDS})
        values["office_reason"] = data["office_reason"] or ""
    elif kind == SourceKind.ANNUAL:
        values["year"] = data["year"]
    elif kind == SourceKind.OTHER:
        values.update({name: data[name] for name in EstablishForm.OTHER_FIELDS})
    return actions.EstablishInput(**values)


def add_rule_errors(user: User, form: EstablishForm) -> None:
    """With the form's own errors, what the rules would refuse of the rest of the input
    (`check_establish`, which stores nothing): every field to fix after one submit."""
    data: dict[str, Any] = {name: form.cleaned_data.get(name) for name in form.fields}
    data["cooperating_units"] = data["cooperating_units"] or []
    for name in ("title", "content", "basis", "source_body", "office_reason"):
        data[name] = data[name] or ""
    data["urgent"] = bool(data["urgent"])
    data["source_kind"] = data["source_kind"] or form.data.get("source_kind", "")
    data["confidentiality"] = data["confidentiality"] or "ordinary"
    try:
        actions.check_establish(user, establish_input(data))
    except ActionError as error:
        for name, text in error.errors.items():
            if name in form.fields and name not in form.errors:
                form.add_error(name, text)


def add_action_errors(form: Any, error: ActionError) -> None:
    """Put an action's field errors on the form's fields (others above the form)."""
    for name, text in error.errors.items():
        form.add_error(name if name in form.fields else None, text)


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def item_new(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    if not user.is_office_supervisor:
        raise PermissionDenied(_("只有督办员可以立项。"))
    error_message = ""
    status = 200
    if request.method == "POST":
        form = EstablishForm(request.POST)
        if form.is_valid():
            try:
                item = actions.establish_item(user, establish_input(form.cleaned_data))
            except ActionError as error:
                add_action_errors(form, error)
                error_message, status = error.message, error.status
            else:
                messages.success(
                    request,
                    _("已立项，台账编号%(number)s，办结时限%(deadline)s。")
                    % {"number": item.ledger_number, "deadline": item.deadline.isoformat()},
                )
                return redirect("item-detail", pk=item.pk)
        else:
            error_message, status = str(CHECK_INPUT), 400
            add_rule_errors(user, form)
    else:
        today = clock.today()
        form = EstablishForm(initial={"source_kind": SourceKind.MEETING, "year": today.year})
    return render(
        request,
        "web/item_new.html",
        {"form": form, "error_message": error_message},
        status=status,
    )


@require_safe
@login_required
def deadline_preview(request: HttpRequest) -> HttpResponse:
    """GET /items/new/deadline/?<the 立项 form's fields>: the deadline the item would get,
    asked of the same rule the action applies (`compute_deadline`), as the form is
    filled in. Only the fields the rule reads count; the rest may still be empty."""
    user = current_user(request)
    if not user.is_office_supervisor:
        raise PermissionDenied(_("只有督办员可以立项。"))
    form = EstablishForm(request.GET)
    form.is_valid()  # the other fields' errors are the submit's business
    data = form.cleaned_data
    kind = data.get("source_kind") or request.GET.get("source_kind", "")
    try:
        deadline = compute_deadline(
            kind,
            year=data.get("year") or clock.today().year,
            minutes_issued_on=data.get("minutes_issued_on"),
            minutes_deadline=data.get("minutes_deadline"),
            office_deadline=data.get("office_deadline"),
            office_reason=data.get("office_reason") or "",
            instruction_deadline=data.get("instruction_deadline"),
        )
    except (ActionError, ValueError) as error:
        message = error.message if isinstance(error, ActionError) else str(error)
        return render(request, "web/_deadline_preview.html", {"problem": message})
    late = deadline.day < clock.today()
    return render(
        request,
        "web/_deadline_preview.html",
        {
            "deadline": deadline,
            "rule": DeadlineRule(deadline.rule).label,
            "late": late,
        },
    )


# ----------------------------------------------------------------------------- actions


def _assign(user: User, item: Item, form: ActionForm) -> str:
    item = actions.assign_item(user, item, form.cleaned_data["instruction"])
    return _("已交办给%(unit)s。") % {"unit": item.lead_unit.name}


def _sign_for(user: User, item: Item, form: ActionForm) -> str:
    actions.sign_for_item(user, item)
    return _("已签收，事项进入办理。")


def _return(user: User, item: Item, form: ActionForm) -> str:
    actions.return_item(user, item, form.cleaned_data["reason"])
    return _("已退回督办部门。")


def _reassign(user: User, item: Item, form: ActionForm) -> str:
    item = actions.reassign_item(
        user, item, note=form.cleaned_data["note"], lead_unit=form.cleaned_data["lead_unit"]
    )
    return _("已重新交办给%(unit)s。") % {"unit": item.lead_unit.name}


def _change(user: User, item: Item, form: ActionForm) -> str:
    data = form.cleaned_data
    changes: dict[str, Any] = {}
    # A field left as it was is not a change; one absent from the post neither.
    for name in ("title", "content", "basis"):
        if name in form.data and data[name].strip() != getattr(item, name).strip():
            changes[name] = data[name]
    deadline: dt.date | None = data.get("deadline")
    if deadline is not None and deadline != item.deadline:
        changes["deadline"] = deadline
    actions.change_item(
        user, item, reason=data["reason"], authorised_by=data["authorised_by"], **changes
    )
    return _("已记录变更。")


def _record_plan(user: User, item: Item, form: ActionForm) -> str:
    actions.record_plan(user, item, form.cleaned_data["goals"], form.cleaned_data["milestones"])
    return _("工作计划已保存。")


def _submit_feedback(user: User, item: Item, form: ActionForm) -> str:
    actions.submit_feedback(user, item, form.cleaned_data["text"])
    return _("进展已反馈。")


def _report_contribution(user: User, item: Item, form: ActionForm) -> str:
    actions.report_contribution(user, item, form.cleaned_data["text"])
    return _("配合情况已报送承办单位。")


def _draft_completion_report(user: User, item: Item, form: ActionForm) -> str:
    actions.draft_completion_report(user, item, form.cleaned_data["text"])
    return _("办结报告已提交，待第一责任人确认。")


def _decline_report(user: User, item: Item, form: ActionForm) -> str:
    actions.decline_report(user, item, form.cleaned_data["reason"])
    return _("已退回办结报告草稿。")


def _confirm_report(user: User, item: Item, form: ActionForm) -> str:
    actions.confirm_report(user, item)
    return _("已确认，办结报告已报送督办部门。")


def _accept_report(user: User, item: Item, form: ActionForm) -> str:
    actions.review_report(user, item, accept=True, comment=form.cleaned_data["comment"])
    return _("审核通过，事项已办结。")


def _return_report(user: User, item: Item, form: ActionForm) -> str:
    actions.review_report(user, item, accept=False, comment=form.cleaned_data["comment"])
    return _("办结报告已退回承办单位。")


@dataclass(frozen=True)
class ActionSpec:
    heading: StrOrPromise
    button: StrOrPromise
    form_class: type[ActionForm]
    run: Callable[[User, Item, ActionForm], str]
    labels: Mapping[str, StrOrPromise] = field(default_factory=dict)
    tone: str = "primary"  # the button's look: primary, secondary or danger
    collapsed: bool = False  # the exception, not the day's work: offered last
    # What cannot be undone is shown, in these words, and confirmed before it happens.
    confirm: Callable[[Item], str] | None = None


# One entry per action of `policy`; the URL names the action, e.g. /items/7/sign_for/.
ACTIONS: dict[str, ActionSpec] = {
    "assign": ActionSpec(
        gettext_lazy("交办"),
        gettext_lazy("交办"),
        AssignForm,
        _assign,
        confirm=lambda item: (
            _(
                "将把本事项交办给%(unit)s，并通知其联络员、第一责任人和配合单位联络员。"
                "交办后事项进入签收办理，不能撤回。"
            )
            % {"unit": item.lead_unit.name}
        ),
    ),
    "sign_for": ActionSpec(gettext_lazy("签收"), gettext_lazy("签收"), ConfirmForm, _sign_for),
    "return": ActionSpec(
        gettext_lazy("退回事项"),
        gettext_lazy("退回"),
        ReasonForm,
        _return,
        {"reason": gettext_lazy("退回理由")},
        tone="danger",
    ),
    "reassign": ActionSpec(
        gettext_lazy("重新交办"), gettext_lazy("重新交办"), ReassignForm, _reassign
    ),
    "change": ActionSpec(
        gettext_lazy("变更事项"),
        gettext_lazy("记录变更"),
        ChangeForm,
        _change,
        tone="secondary",
        collapsed=True,
    ),
    "record_plan": ActionSpec(
        gettext_lazy("工作计划"), gettext_lazy("保存工作计划"), PlanForm, _record_plan
    ),
    "submit_feedback": ActionSpec(
        gettext_lazy("反馈进展"),
        gettext_lazy("反馈进展"),
        TextForm,
        _submit_feedback,
        {"text": gettext_lazy("进展情况")},
    ),
    "report_contribution": ActionSpec(
        gettext_lazy("报送配合情况"),
        gettext_lazy("报送承办单位"),
        TextForm,
        _report_contribution,
        {"text": gettext_lazy("配合办理情况")},
    ),
    "draft_completion_report": ActionSpec(
        gettext_lazy("起草办结报告"),
        gettext_lazy("提交第一责任人确认"),
        TextForm,
        _draft_completion_report,
        {"text": gettext_lazy("办结情况")},
    ),
    "confirm_report": ActionSpec(
        gettext_lazy("确认办结报告"),
        gettext_lazy("确认并报送督办部门"),
        ConfirmForm,
        _confirm_report,
        confirm=lambda item: (
            _("将以第一责任人名义确认%(unit)s的办结报告，并报送督办部门审核。确认后不能撤回。")
            % {"unit": item.lead_unit.name}
        ),
    ),
    "decline_report": ActionSpec(
        gettext_lazy("退回办结报告草稿"),
        gettext_lazy("退回修改"),
        ReasonForm,
        _decline_report,
        {"reason": gettext_lazy("修改意见")},
        tone="danger",
    ),
    "accept_report": ActionSpec(
        gettext_lazy("审核通过"),
        gettext_lazy("审核通过，办结"),
        CommentForm,
        _accept_report,
        {"comment": gettext_lazy("审核意见（可不填）")},
        confirm=lambda item: (
            _("将审核通过%(unit)s的办结报告，事项办结。办结后不能再反馈、变更或延期。")
            % {"unit": item.lead_unit.name}
        ),
    ),
    "return_report": ActionSpec(
        gettext_lazy("退回办结报告"),
        gettext_lazy("退回承办单位"),
        CommentForm,
        _return_report,
        {"comment": gettext_lazy("退回理由")},
        tone="danger",
        confirm=lambda item: (
            _("将把办结报告退回%(unit)s，事项回到办理中，承办单位须重新起草办结报告。")
            % {"unit": item.lead_unit.name}
        ),
    ),
    # Urges (R-U2): `supervision_views`.
    "urge": ActionSpec(
        gettext_lazy("催办"),
        gettext_lazy("记录催办"),
        UrgeForm,
        supervision_views.urge,
        tone="secondary",
    ),
    # Extensions (R-E1–E4) and terminations or adjustments (R-T1): `extension_views`.
    "request_extension": ActionSpec(
        gettext_lazy("申请延期"),
        gettext_lazy("提交延期申请"),
        ExtensionRequestForm,
        extension_views.request_extension,
        tone="secondary",
        collapsed=True,
    ),
    "decide_extension": ActionSpec(
        gettext_lazy("审批延期申请"),
        gettext_lazy("提交审批意见"),
        ExtensionDecisionForm,
        extension_views.decide_extension,
    ),
    "adjust": ActionSpec(
        gettext_lazy("记录调整决定"),
        gettext_lazy("记录调整"),
        AdjustForm,
        extension_views.adjust,
        tone="secondary",
        collapsed=True,
    ),
    "terminate": ActionSpec(
        gettext_lazy("记录终止决定"),
        gettext_lazy("终止事项"),
        TerminateForm,
        extension_views.terminate,
        tone="danger",
        collapsed=True,
        confirm=lambda item: _("将终止本事项：不再督办，未决的延期申请随之失效，终止后不能恢复。"),
    ),
}


def make_form(action: str, item: Item, data: Any = None, current_plan: Any = None) -> ActionForm:
    """The action's form; a form that edits something shows its current value (the
    item's fields for 变更, the current plan for 工作计划)."""
    spec = ACTIONS[action]
    initial: dict[str, Any] = {}
    if action == "record_plan" and current_plan is not None:
        initial = {
            "goals": current_plan.goals,
            "milestones": [(m.title, m.due_on) for m in current_plan.milestones.all()],
        }
    if action == "change":
        initial = {
            "title": item.title,
            "content": item.content,
            "basis": item.basis,
            "deadline": item.deadline,
        }
    form = spec.form_class(data, action=action, initial=initial)
    for name, label in spec.labels.items():
        form.fields[name].label = label
    return form


@dataclass
class ActionPanel:
    action: str
    spec: ActionSpec
    form: ActionForm
    url: str


def action_panels(
    user: User,
    item: Item,
    *,
    pending_report: Feedback | None,
    posted: ActionForm | None,
    current_plan: Any = None,
) -> list[ActionPanel]:
    """The forms of exactly the actions this person may take now (`policy.allowed_actions`)."""
    panels = []
    # The page has read the feedback already; tell the policy whether a draft waits.
    allowed = policy.allowed_actions(user, item, pending_report=pending_report is not None)
    # The day's work first; the exceptions (a recorded change, say) come last.
    allowed.sort(key=lambda action: ACTIONS[action].collapsed)
    for action in allowed:
        if posted is not None and posted.action == action:
            form = posted
        else:
            form = make_form(action, item, current_plan=current_plan)
        url = reverse("item-action", kwargs={"pk": item.pk, "action": action})
        panels.append(ActionPanel(action, ACTIONS[action], form, url))
    return panels


def item_page(
    request: HttpRequest,
    item: Item,
    *,
    posted: ActionForm | None = None,
    error_message: str = "",
    status: int = 200,
    extra: dict[str, Any] | None = None,
) -> HttpResponse:
    user = current_user(request)
    today = clock.today()
    feedback = list(
        item.feedback.select_related("unit", "author", "confirmed_by", "reviewed_by")
        .prefetch_related(
            Prefetch("contributions", queryset=Feedback.objects.select_related("unit", "author"))
        )
        .order_by("created_at", "id")
    )
    superseded_ids = {entry.supersedes_id for entry in feedback if entry.supersedes_id}
    for entry in feedback:
        entry.is_superseded = entry.pk in superseded_ids  # type: ignore[attr-defined]
    progress = [entry for entry in feedback if entry.kind == FeedbackKind.PROGRESS]
    reports = [entry for entry in feedback if entry.kind == FeedbackKind.COMPLETION]
    pending_report = next(
        (entry for entry in reports if entry.status == FeedbackStatus.AWAITING_CONFIRMATION),
        None,
    )
    # Cooperating units report to the lead unit, never straight to the office (R-F1): the
    # office sees their parts inside the completion report.
    contributions = [entry for entry in feedback if entry.kind == FeedbackKind.CONTRIBUTION]
    cooperating_ids = {unit.pk for unit in item.cooperating_units.all()}
    if user.unit_id is not None and user.unit_id == item.lead_unit_id:
        shown_contributions = contributions
    elif user.unit_id in cooperating_ids:
        shown_contributions = [entry for entry in contributions if entry.unit_id == user.unit_id]
    else:
        shown_contributions = []

    plans = list(
        item.plans.select_related("author").prefetch_related("milestones").order_by("created_at")
    )
    current_plan = plans[-1] if plans else None
    changes = list(item.changes.select_related("changed_by", "authorised_by"))
    events = list(item.events.select_related("actor").order_by("created_at", "id"))

    panels = action_panels(
        user, item, pending_report=pending_report, posted=posted, current_plan=current_plan
    )
    offered = {panel.action for panel in panels}
    situation = workbench.situation_of(item, feedback, has_plan=current_plan is not None)
    card = workbench.compose(item, situation, panels)
    # What was typed into a form that is no longer offered (say, someone else moved the
    # item meanwhile) is shown back, so nothing entered is lost.
    unsent_text = []
    if posted is not None and posted.action not in offered:
        unsent_text = [
            str(value)
            for key, value in posted.data.items()
            if key != "csrfmiddlewaretoken" and str(value).strip()
        ]
    context = {
        "item": item,
        "today": today,
        "is_overdue": is_overdue(item, today),
        "cooperating_units": list(item.cooperating_units.all()),
        "current_plan": current_plan,
        "earlier_plan_count": max(len(plans) - 1, 0),
        "progress": progress,
        "contributions": shown_contributions,
        "reports": list(reversed(reports)),
        "changes": changes,
        "events": events,
        "panels": panels,
        "card": card,
        "situation": situation,
        "posted_in_more": posted is not None and posted.action in {p.action for p in card.more},
        "error_message": error_message,
        "posted_action": posted.action if posted is not None else "",
        "unsent_text": unsent_text,
        **workbench.sections(item, user, today, offered),
        **(extra or {}),
    }
    return render(request, "web/item_detail.html", context, status=status)


@require_safe
@login_required
def item_detail(request: HttpRequest, pk: int) -> HttpResponse:
    item = visible_item(request, pk)
    note_read(request.user, item, "页面")
    return item_page(request, item)


CONFIRMED = "confirmed"


def confirm_page(
    request: HttpRequest, item: Item, action: str, spec: ActionSpec, form: ActionForm
) -> HttpResponse:
    """What the action will do, before it does it: the same post again, with `confirmed`.
    Works without JavaScript; nothing is changed until the person confirms."""
    assert spec.confirm is not None
    posted = [
        (name, value)
        for name, values in request.POST.lists()
        if name not in ("csrfmiddlewaretoken", CONFIRMED)
        for value in values
    ]
    shown = [
        (form.fields[name].label, form.cleaned_data[name])
        for name in form.fields
        if name in form.cleaned_data and str(form.cleaned_data[name] or "").strip()
    ]
    context = {
        "item": item,
        "spec": spec,
        "says": spec.confirm(item),
        "posted": posted,
        "shown": shown,
        "url": reverse("item-action", kwargs={"pk": item.pk, "action": action}),
        "confirmed": CONFIRMED,
    }
    return render(request, "web/confirm_action.html", context)


@require_POST
@login_required
def item_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    item = visible_item(request, pk)
    spec = ACTIONS.get(action)
    if spec is None:
        raise Http404
    form = make_form(action, item, data=request.POST)
    if not form.is_valid():
        return item_page(request, item, posted=form, error_message=str(CHECK_INPUT), status=400)
    user = current_user(request)
    try:
        if spec.confirm is not None and request.POST.get(CONFIRMED) != "1":
            policy.check(user, item, action)  # a refusal now, not after confirming
            return confirm_page(request, item, action, spec, form)
        message = spec.run(user, item, form)
    except ActionError as error:
        add_action_errors(form, error)
        # The refused action changed nothing; show the item as it is now.
        item = visible_item(request, pk)
        return item_page(
            request, item, posted=form, error_message=error.message, status=error.status
        )
    messages.success(request, message)
    return redirect("item-detail", pk=item.pk)
