"""Model rows as the API shows them (plain dicts shaped like `schemas`).

The querysets here fetch everything a page shows in a fixed number of queries, so
the number does not grow with the rows (STYLE.md).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from duban import clock
from duban.audit.models import AuditEvent
from duban.items import policy
from duban.items.extension_rules import lateness
from duban.items.lights import LightThresholds, annotate_lights, is_overdue, light_fields
from duban.items.models import (
    Adjustment,
    ExtensionRequest,
    Feedback,
    FeedbackKind,
    FeedbackStatus,
    Item,
    ItemChange,
    Notice,
    Urge,
    WorkPlan,
)


def local(moment: dt.datetime | None) -> dt.datetime | None:
    return timezone.localtime(moment) if moment is not None else None


def name(person: Any) -> str | None:
    if person is None:
        return None
    return str(person.full_name or person.username)


def unit_ref(unit: Any) -> dict[str, Any] | None:
    return {"id": unit.pk, "name": unit.name} if unit is not None else None


def me(user: Any) -> dict[str, Any]:
    return {
        "id": user.pk,
        "username": user.username,
        "full_name": user.full_name,
        "role": user.role,
        "role_label": str(user.get_role_display()),
        "title": user.title,
        "unit": unit_ref(user.unit),
    }


def unit(row: Any) -> dict[str, Any]:
    return {
        "id": row.pk,
        "code": row.code,
        "name": row.name,
        "kind": row.kind,
        "kind_label": str(row.get_kind_display()),
        "is_active": row.is_active,
        "head": name(row.head),
        "liaison": name(row.liaison),
        "leader_in_charge": name(row.leader_in_charge),
    }


# ----------------------------------------------------------------------------- items


def summary_queryset(user: Any, thresholds: LightThresholds | None = None) -> QuerySet[Item]:
    return (
        # Each row carries its warning light and progress flags (R-U4, R-U1, R-F3).
        annotate_lights(Item.objects.visible_to(user), thresholds=thresholds)
        .select_related("lead_unit", "supervising_office")
        .prefetch_related("cooperating_units")
    )


def detail_queryset(user: Any) -> QuerySet[Item]:
    people = ("author", "confirmed_by", "reviewed_by")
    return (
        summary_queryset(user)
        .select_related(
            "deciding_leader",
            "supervisor",
            # R-E1: the one extension request; the policy reads it too.
            "extension_request__unit",
            "extension_request__requested_by",
            "extension_request__approver",
            "extension_request__decided_by",
        )
        .prefetch_related(
            Prefetch("events", queryset=AuditEvent.objects.select_related("actor")),
            Prefetch(
                "changes", queryset=ItemChange.objects.select_related("changed_by", "authorised_by")
            ),
            Prefetch(
                "plans",
                queryset=WorkPlan.objects.select_related("author").prefetch_related("milestones"),
            ),
            Prefetch(
                "feedback",
                queryset=Feedback.objects.select_related("unit", *people).prefetch_related(
                    Prefetch("contributions", queryset=Feedback.objects.only("pk"))
                ),
            ),
            Prefetch(
                "adjustments", queryset=Adjustment.objects.select_related("leader", "recorded_by")
            ),
            Prefetch(
                "urges", queryset=Urge.objects.select_related("unit", "recipient", "urged_by")
            ),
        )
    )


# The columns `item_summary` reads: a list of items loads these only, not the long
# texts and the timestamps of the item's detail (duban.api.items.list_items).
SUMMARY_COLUMNS = (
    "ledger_number",
    "year",
    "title",
    "source_kind",
    "source_body",
    "status",
    "deadline",
    "original_deadline",
    "deadline_provisional",
    "confidentiality",
    "urgent",
    "lead_unit",
    "supervising_office",
    "established_at",
)


def item_summary(item: Item, today: dt.date | None = None) -> dict[str, Any]:
    return {
        "id": item.pk,
        "ledger_number": item.ledger_number,
        "year": item.year,
        "title": item.title,
        "source_kind": item.source_kind,
        "source_kind_label": str(item.get_source_kind_display()),
        "source_body": item.source_body,
        "source_body_label": str(item.get_source_body_display()),
        "status": item.status,
        "status_label": str(item.get_status_display()),
        "deadline": item.deadline,
        "original_deadline": item.original_deadline,
        "deadline_provisional": item.deadline_provisional,
        "overdue": is_overdue(item, today or clock.today()),
        "confidentiality": item.confidentiality,
        "urgent": item.urgent,
        "lead_unit": unit_ref(item.lead_unit),
        "cooperating_units": [unit_ref(row) for row in item.cooperating_units.all()],
        "supervising_office": unit_ref(item.supervising_office),
        "established_at": local(item.established_at),
        **light_fields(item, today),
    }


def _superseded(rows: list[Any]) -> set[int]:
    return {row.supersedes_id for row in rows if row.supersedes_id is not None}


def item_detail(user: Any, item: Item) -> dict[str, Any]:
    """The item with everything that happened to it; `item` comes from `detail_queryset`."""
    plans = list(item.plans.all())
    feedback = list(item.feedback.all())
    replaced_plans = _superseded(plans)
    replaced_feedback = _superseded(feedback)
    return {
        **item_summary(item),
        "content": item.content,
        "basis": item.basis,
        "deadline_rule": item.deadline_rule,
        "deadline_rule_label": str(item.get_deadline_rule_display()),
        "deadline_reason": item.deadline_reason,
        "minutes_issued_on": item.minutes_issued_on,
        "deciding_leader": name(item.deciding_leader),
        "deciding_leader_id": item.deciding_leader_id,
        "decided_on": item.decided_on,
        "supervisor": name(item.supervisor),
        "assigned_at": local(item.assigned_at),
        "signed_at": local(item.signed_at),
        "submitted_at": local(item.submitted_at),
        "completed_at": local(item.completed_at),
        "last_feedback_at": local(item.last_feedback_at),
        "updated_at": local(item.updated_at),
        "timeline": [
            {
                "created_at": local(event.created_at),
                "actor": name(event.actor),
                "verb": event.verb,
                "summary": event.summary,
            }
            for event in item.events.all()
        ],
        "changes": [
            {
                "id": change.pk,
                "field": change.field,
                "old_value": change.old_value,
                "new_value": change.new_value,
                "reason": change.reason,
                "authorised_by": name(change.authorised_by),
                "changed_by": name(change.changed_by),
                "created_at": local(change.created_at),
            }
            for change in item.changes.all()
        ],
        "plans": [
            {
                "id": plan.pk,
                "goals": plan.goals,
                "author": name(plan.author),
                "created_at": local(plan.created_at),
                "supersedes": plan.supersedes_id,
                "current": plan.pk not in replaced_plans,
                "milestones": [
                    {"title": milestone.title, "due_on": milestone.due_on}
                    for milestone in plan.milestones.all()
                ],
            }
            for plan in plans
        ],
        "feedback": [
            {
                "id": row.pk,
                "kind": row.kind,
                "kind_label": str(row.get_kind_display()),
                "unit": unit_ref(row.unit),
                "status": row.status,
                "status_label": str(row.get_status_display()),
                "text": row.text,
                "author": name(row.author),
                "created_at": local(row.created_at),
                "supersedes": row.supersedes_id,
                "current": row.pk not in replaced_feedback,
                "confirmed_by": name(row.confirmed_by),
                "confirmed_at": local(row.confirmed_at),
                "reviewed_by": name(row.reviewed_by),
                "reviewed_at": local(row.reviewed_at),
                "review_comment": row.review_comment,
                "contributions": [contribution.pk for contribution in row.contributions.all()],
            }
            for row in feedback
        ],
        "extension_request": extension_request(item),
        "adjustments": [adjustment(row) for row in item.adjustments.all()],
        "terminated_at": local(item.terminated_at),
        "lateness": lateness(item)._asdict(),
        "urges": [urge(row) for row in item.urges.all()],
        "allowed_actions": policy.allowed_actions(
            user,
            item,
            pending_report=any(
                row.kind == FeedbackKind.COMPLETION
                and row.status == FeedbackStatus.AWAITING_CONFIRMATION
                for row in feedback
            ),
        ),
    }


def extension_request(item: Item) -> dict[str, Any] | None:
    """The item's extension request (R-E1–E3), or None; joined by `detail_queryset`."""
    try:
        row = item.extension_request
    except ExtensionRequest.DoesNotExist:
        return None
    return {
        "id": row.pk,
        "unit": unit_ref(row.unit),
        "requested_by": name(row.requested_by),
        "created_at": local(row.created_at),
        "current_deadline": row.current_deadline,
        "requested_deadline": row.requested_deadline,
        "reason": row.reason,
        "approver_kind": row.approver_kind,
        "approver_kind_label": str(row.get_approver_kind_display()),
        "approver": name(row.approver),
        "approver_id": row.approver_id,
        "status": row.status,
        "status_label": str(row.get_status_display()),
        "decided_by": name(row.decided_by),
        "decided_at": local(row.decided_at),
        "comment": row.comment,
    }


def adjustment(row: Adjustment) -> dict[str, Any]:
    return {
        "id": row.pk,
        "kind": row.kind,
        "kind_label": str(row.get_kind_display()),
        "decision_kind": row.decision_kind,
        "decision_kind_label": str(row.get_decision_kind_display()),
        "meeting_name": row.meeting_name,
        "meeting_date": row.meeting_date,
        "leader": name(row.leader),
        "basis": row.basis,
        "reason": row.reason,
        "new_deadline": row.new_deadline,
        "new_content": row.new_content,
        "recorded_by": name(row.recorded_by),
        "created_at": local(row.created_at),
    }


def urge(row: Urge) -> dict[str, Any]:
    """A recorded urge (R-U2); an automatic reminder has a step and nobody urging."""
    return {
        "id": row.pk,
        "channel": row.channel,
        "channel_label": str(row.get_channel_display()),
        "unit": unit_ref(row.unit),
        "recipient": name(row.recipient),
        "recipient_id": row.recipient_id,
        "note": row.note,
        "urged_by": name(row.urged_by),
        "automatic": row.automatic,
        "step": row.step,
        "created_at": local(row.created_at),
    }


# ----------------------------------------------------------------------------- notices


def notice(row: Notice) -> dict[str, Any]:
    return {
        "id": row.pk,
        "title": row.title,
        "body": row.body,
        "item_id": row.item_id,
        "created_at": local(row.created_at),
        "read_at": local(row.read_at),
    }
