"""The item page's composition: what this person must do now, next to what it decides on.

The page opens with one card. "待我办理" holds the one step that waits for this person
(the first of `STEPS` they may take), its form, and the material the step decides on:
the head confirming sees the draft report with the cooperating units' parts, the office
reviewing sees the submitted report, the approver of an extension sees the request.
When nothing waits for them, the card says whom the item waits for. Every other action
this person may take goes to "更多操作", each in its own folded form.

Which actions are allowed is `policy.allowed_actions` (one rule for pages and API);
this module only orders and groups them, so a new panel is added here, not in the views.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from duban.attachments.models import Attachment
from duban.items.models import Feedback, FeedbackKind, FeedbackStatus, Item
from duban.items.policy import pending_extension_of
from duban.items.states import Status

Says = Callable[[Item, "Situation"], str]


@dataclass
class Situation:
    """What the page has read about the item, for the card's words and material."""

    pending_report: Feedback | None  # a draft awaiting the head
    submitted_report: Feedback | None  # the report awaiting the office
    has_plan: bool
    report_files: list[Any] = field(default_factory=list)  # the report's attachments


@dataclass(frozen=True)
class Step:
    """One step that can wait for a person: its forms (the first is the step itself, the
    rest its alternatives, such as 退回 beside 确认), what it decides on, and its words."""

    actions: tuple[str, ...]
    says: Says
    material: str = ""  # a template showing what the step decides on
    when: Callable[[Item, Situation], bool] = lambda item, situation: True


def _unit(item: Item) -> str:
    return item.lead_unit.name


STEPS: tuple[Step, ...] = (
    Step(
        ("confirm_report", "decline_report"),
        lambda item, s: _(
            "本单位的办结报告草稿待您确认。请审阅下面的报告全文（含配合单位报送的情况），"
            "确认后报送督办部门审核；需要修改的，退回联络员并写明意见。"
        ),
        "web/workbench/_draft_report.html",
    ),
    Step(
        ("accept_report", "return_report"),
        lambda item, s: (
            _(
                "%(unit)s已报送办结报告，待您审核。审核通过后事项办结；不符合要求的，退回并写明理由。"
            )
            % {"unit": _unit(item)}
        ),
        "web/workbench/_submitted_report.html",
    ),
    Step(
        ("decide_extension",),
        lambda item, s: (
            _("%(unit)s申请延期，待您审批。请核对申请的时限和理由。") % {"unit": _unit(item)}
        ),
        "web/workbench/_extension.html",
    ),
    Step(
        ("assign",),
        lambda item, s: (
            _("本事项已立项，请核对事项信息后交办给承办单位%(unit)s。") % {"unit": _unit(item)}
        ),
    ),
    Step(
        ("reassign",),
        lambda item, s: _("承办单位退回了本事项，请确定承办单位后重新交办。"),
    ),
    Step(
        ("sign_for", "return"),
        lambda item, s: (
            _("本事项已交办给%(unit)s，请签收；不属于本单位职责的，请退回并说明理由。")
            % {"unit": _unit(item)}
        ),
    ),
    Step(
        ("record_plan",),
        lambda item, s: _("事项已签收，请填报工作计划：工作目标和时间节点。"),
        when=lambda item, s: not s.has_plan and s.pending_report is None,
    ),
    Step(
        ("report_contribution",),
        lambda item, s: (
            _("本单位是配合单位，请向承办单位%(unit)s报送配合办理情况。") % {"unit": _unit(item)}
        ),
    ),
    Step(
        ("submit_feedback",),
        lambda item, s: (
            _(
                "请按工作计划反馈进展；工作完成后，在“更多操作”中起草办结报告。"
                "办结时限：%(deadline)s。"
            )
            % {"deadline": item.deadline.isoformat()}
        ),
        when=lambda item, s: s.pending_report is None,
    ),
)


def waiting_for(item: Item, situation: Situation) -> str:
    """Whom the item waits for, in words, for a person it does not wait for."""
    unit = _unit(item)
    head = item.lead_unit.head
    if item.status == Status.ESTABLISHED:
        return _("本事项已立项，等待督办部门交办。")
    if item.status == Status.ASSIGNED:
        return _("本事项已交办，等待%(unit)s签收。") % {"unit": unit}
    if item.status == Status.RETURNED:
        return _("承办单位已退回本事项，等待督办部门重新交办。")
    if item.status == Status.SUBMITTED:
        return _("%(unit)s已报送办结报告，等待督办部门审核。") % {"unit": unit}
    if item.status == Status.COMPLETED:
        return _("本事项已办结，等待督办部门立卷归档。")
    if item.status == Status.ARCHIVED:
        return _("本事项已办结并归档，只读。")
    if item.status == Status.TERMINATED:
        return _("本事项已终止。")
    request = pending_extension_of(item)
    if request is not None:
        approver = request.approver.full_name if request.approver else item.supervising_office.name
        return _("延期申请等待%(approver)s审批。") % {"approver": approver}
    if situation.pending_report is not None:
        who = head.full_name if head is not None else _("第一责任人")
        return _("办结报告草稿等待第一责任人%(head)s确认。") % {"head": who}
    return _("%(unit)s正在办理，办结时限%(deadline)s。") % {
        "unit": unit,
        "deadline": item.deadline.isoformat(),
    }


@dataclass
class Card:
    """The page's top card and its 更多操作."""

    step: Step | None
    says: str
    main: list[Any]  # the step's panels, in the step's order
    more: list[Any]  # every other allowed action's panel


def compose(item: Item, situation: Situation, panels: list[Any]) -> Card:
    """Split the allowed actions' panels (each with `.action`) into the card and the menu."""
    by_action = {panel.action: panel for panel in panels}
    for step in STEPS:
        if step.actions[0] in by_action and step.when(item, situation):
            main = [by_action[action] for action in step.actions if action in by_action]
            more = [panel for panel in panels if panel.action not in step.actions]
            return Card(step, step.says(item, situation), main, more)
    return Card(None, waiting_for(item, situation), [], list(panels))


def situation_of(item: Item, feedback: list[Feedback], has_plan: bool) -> Situation:
    """The reports the card needs, from the feedback the page has already read."""
    reports = [entry for entry in feedback if entry.kind == FeedbackKind.COMPLETION]
    situation = Situation(
        pending_report=next(
            (r for r in reports if r.status == FeedbackStatus.AWAITING_CONFIRMATION), None
        ),
        submitted_report=next(
            (r for r in reversed(reports) if r.status == FeedbackStatus.SUBMITTED), None
        ),
        has_plan=has_plan,
    )
    report = situation.pending_report or situation.submitted_report
    if report is not None:  # one query, only when a report waits for a decision
        parts = [report.pk, *(part.pk for part in report.contributions.all())]
        situation.report_files = list(
            Attachment.objects.filter(feedback__in=parts)
            .select_related("unit")
            .order_by("created_at", "id")
        )
    return situation
