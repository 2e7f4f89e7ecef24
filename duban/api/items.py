"""Items: the ledger, one item's record, and one endpoint per action.

Every endpoint finds the item through the visibility rule first, so an item the
user may not see answers exactly like one that does not exist (404, R-C5).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from duban import clock
from duban.items import actions
from duban.items.errors import InvalidInput
from duban.items.lights import LightThresholds, light_thresholds
from duban.items.listing import LedgerFilters, filter_items
from duban.items.models import Item
from duban.items.visibility import count_gate, note_read
from duban.organisation.models import Unit, User
from duban.web.paging import COUNT_LIMIT, bounded_count

from . import present
from .errors import item_not_found
from .schemas import (
    ChangeIn,
    ErrorOut,
    EstablishIn,
    ItemDetail,
    ItemFilters,
    ItemPage,
    PlanIn,
    ReasonIn,
    ReassignIn,
    ReviewIn,
    TextIn,
)

router = Router(tags=["督办事项"])

READ_ERRORS: dict[int, Any] = {400: ErrorOut, 401: ErrorOut, 404: ErrorOut}
ACTION_RESPONSES: dict[int, Any] = {
    200: ItemDetail,
    **READ_ERRORS,
    403: ErrorOut,
    409: ErrorOut,
}


def _user(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


def _visible_item(user: Any, item_id: int) -> Item:
    item = Item.objects.visible_to(user).filter(pk=item_id).first()
    if item is None:
        raise item_not_found()
    return item


def _detail(user: Any, item_id: int) -> dict[str, Any]:
    item = present.detail_queryset(user).filter(pk=item_id).first()
    if item is None:
        raise item_not_found()
    return present.item_detail(user, item)


# ----------------------------------------------------------------------------- ids in bodies


def _unit(unit_id: int, field: str) -> Unit:
    unit = Unit.objects.filter(pk=unit_id).first()
    if unit is None:
        raise InvalidInput(
            _("单位不存在。"), errors={field: _("没有编号为%(id)d的单位。") % {"id": unit_id}}
        )
    return unit


def _units(unit_ids: Sequence[int], field: str) -> list[Unit]:
    found = {unit.pk: unit for unit in Unit.objects.filter(pk__in=set(unit_ids))}
    missing = [unit_id for unit_id in unit_ids if unit_id not in found]
    if missing:
        raise InvalidInput(
            _("单位不存在。"),
            errors={
                field: _("没有编号为%(ids)s的单位。")
                % {"ids": "、".join(str(unit_id) for unit_id in missing)}
            },
        )
    return [found[unit_id] for unit_id in dict.fromkeys(unit_ids)]


def _person(user_id: int | None, field: str) -> User | None:
    if user_id is None:
        return None
    person = User.objects.filter(pk=user_id).first()
    if person is None:
        raise InvalidInput(
            _("人员不存在。"), errors={field: _("没有编号为%(id)d的人员。") % {"id": user_id}}
        )
    return person


# ----------------------------------------------------------------------------- reading


def _filtered(
    queryset: QuerySet[Item], filters: ItemFilters, thresholds: LightThresholds
) -> QuerySet[Item]:
    """The ledger's rule (duban.items.listing); rows from `present.summary_queryset`."""
    return filter_items(
        queryset,
        LedgerFilters(
            year=filters.year,
            source_kind=filters.source_kind,
            status=filters.status,
            lead_unit=filters.lead_unit,
            overdue=filters.overdue,
            light=filters.light,
            pending_extension=filters.extension == "pending",
            keyword=filters.q or "",
        ),
        thresholds,
    )


@router.get("", response={200: ItemPage, **READ_ERRORS}, summary="督办台账（事项列表）")
def list_items(request: HttpRequest, filters: Query[ItemFilters]) -> dict[str, Any]:
    """The ledger: the items you may see, filtered, a page at a time."""
    thresholds = light_thresholds()
    rows = _filtered(present.summary_queryset(_user(request), thresholds), filters, thresholds)
    start = (filters.page - 1) * filters.page_size
    today = clock.today()
    # Counted up to a bound, as the ledger's pages are (duban.web.paging).
    counted = bounded_count(rows.filter(count_gate(_user(request))), COUNT_LIMIT)
    return {
        "count": min(counted, COUNT_LIMIT),
        "more": counted > COUNT_LIMIT,
        "page": filters.page,
        "page_size": filters.page_size,
        "results": [
            present.item_summary(item, today)
            for item in rows.only(*present.SUMMARY_COLUMNS)[start : start + filters.page_size]
        ],
    }


@router.get("/{item_id}", response={200: ItemDetail, **READ_ERRORS}, summary="事项详情")
def read_item(request: HttpRequest, item_id: int) -> dict[str, Any]:
    """One item with its timeline, changes, plans, feedback and the actions open to you."""
    user = _user(request)
    item = present.detail_queryset(user).filter(pk=item_id).first()
    if item is None:
        raise item_not_found()
    note_read(user, item, "接口")
    return present.item_detail(user, item)


# ----------------------------------------------------------------------------- establishing


@router.post("", response={201: ItemDetail, **READ_ERRORS, 403: ErrorOut}, summary="立项")
def establish_item(request: HttpRequest, payload: EstablishIn) -> Status[dict[str, Any]]:
    """立项 (R-S1–S5); the deadline is computed by the rules of Art.22 (R-D1–D5)."""
    user = _user(request)
    data = actions.EstablishInput(
        title=payload.title,
        content=payload.content,
        basis=payload.basis,
        source_kind=payload.source_kind,
        source_body=payload.source_body,
        lead_unit=_unit(payload.lead_unit, "lead_unit"),
        cooperating_units=_units(payload.cooperating_units, "cooperating_units"),
        confidentiality=payload.confidentiality,
        urgent=payload.urgent,
        year=payload.year,
        minutes_issued_on=payload.minutes_issued_on,
        minutes_deadline=payload.minutes_deadline,
        office_deadline=payload.office_deadline,
        office_reason=payload.office_reason,
        instruction_deadline=payload.instruction_deadline,
        deciding_leader=_person(payload.deciding_leader, "deciding_leader"),
        decided_on=payload.decided_on,
    )
    item = actions.establish_item(user, data)
    return Status(201, _detail(user, item.pk))


# ----------------------------------------------------------------------------- actions


def _act(request: HttpRequest, item_id: int, action: Callable[[Any, Item], object]) -> Any:
    """Run `action` on a visible item and answer with the item as it now stands."""
    user = _user(request)
    action(user, _visible_item(user, item_id))
    return _detail(user, item_id)


@router.post("/{item_id}/assign", response=ACTION_RESPONSES, summary="交办")
def assign_item(request: HttpRequest, item_id: int) -> Any:
    """交办 (R-A1)."""
    return _act(request, item_id, actions.assign_item)


@router.post("/{item_id}/sign-for", response=ACTION_RESPONSES, summary="签收")
def sign_for_item(request: HttpRequest, item_id: int) -> Any:
    """签收 (R-A2)."""
    return _act(request, item_id, actions.sign_for_item)


@router.post("/{item_id}/return", response=ACTION_RESPONSES, summary="退回事项")
def return_item(request: HttpRequest, item_id: int, payload: ReasonIn) -> Any:
    """退回, with a reason (R-A2)."""
    return _act(
        request, item_id, lambda user, item: actions.return_item(user, item, payload.reason)
    )


@router.post("/{item_id}/reassign", response=ACTION_RESPONSES, summary="重新交办")
def reassign_item(request: HttpRequest, item_id: int, payload: ReassignIn) -> Any:
    """Reassign a returned item — to another lead unit, or the same one (R-A2)."""
    lead_unit = _unit(payload.lead_unit, "lead_unit") if payload.lead_unit is not None else None
    cooperating = (
        _units(payload.cooperating_units, "cooperating_units")
        if payload.cooperating_units is not None
        else None
    )
    return _act(
        request,
        item_id,
        lambda user, item: actions.reassign_item(
            user, item, note=payload.note, lead_unit=lead_unit, cooperating_units=cooperating
        ),
    )


@router.post("/{item_id}/change", response=ACTION_RESPONSES, summary="变更事项")
def change_item(request: HttpRequest, item_id: int, payload: ChangeIn) -> Any:
    """A recorded change of content or deadline, with a reason (R-S4)."""
    authorised_by = _person(payload.authorised_by, "authorised_by")
    return _act(
        request,
        item_id,
        lambda user, item: actions.change_item(
            user,
            item,
            reason=payload.reason,
            authorised_by=authorised_by,
            title=payload.title,
            content=payload.content,
            basis=payload.basis,
            deadline=payload.deadline,
        ),
    )


@router.post("/{item_id}/plan", response=ACTION_RESPONSES, summary="报送工作计划")
def record_plan(request: HttpRequest, item_id: int, payload: PlanIn) -> Any:
    """The lead unit's work plan: goals and dated milestones (R-A3)."""
    milestones = [
        actions.MilestoneInput(title=milestone.title, due_on=milestone.due_on)
        for milestone in payload.milestones
    ]
    return _act(
        request,
        item_id,
        lambda user, item: actions.record_plan(user, item, payload.goals, milestones),
    )


@router.post("/{item_id}/feedback", response=ACTION_RESPONSES, summary="反馈进展")
def submit_feedback(request: HttpRequest, item_id: int, payload: TextIn) -> Any:
    """Progress feedback from the lead unit (R-F7)."""
    return _act(
        request, item_id, lambda user, item: actions.submit_feedback(user, item, payload.text)
    )


@router.post("/{item_id}/contribution", response=ACTION_RESPONSES, summary="配合单位报送办理情况")
def report_contribution(request: HttpRequest, item_id: int, payload: TextIn) -> Any:
    """A cooperating unit reports its part to the lead unit (R-F1)."""
    return _act(
        request, item_id, lambda user, item: actions.report_contribution(user, item, payload.text)
    )


@router.post("/{item_id}/completion-report", response=ACTION_RESPONSES, summary="起草办结报告")
def draft_completion_report(request: HttpRequest, item_id: int, payload: TextIn) -> Any:
    """The lead unit's completion report, for its head to confirm (R-F1, R-F4)."""
    return _act(
        request,
        item_id,
        lambda user, item: actions.draft_completion_report(user, item, payload.text),
    )


@router.post("/{item_id}/decline-report", response=ACTION_RESPONSES, summary="退回办结报告草稿")
def decline_report(request: HttpRequest, item_id: int, payload: ReasonIn) -> Any:
    """The head sends the draft report back to the liaison, with a reason."""
    return _act(
        request, item_id, lambda user, item: actions.decline_report(user, item, payload.reason)
    )


@router.post("/{item_id}/confirm-report", response=ACTION_RESPONSES, summary="确认办结报告")
def confirm_report(request: HttpRequest, item_id: int) -> Any:
    """The head confirms the report; it goes to the office (R-F4)."""
    return _act(request, item_id, actions.confirm_report)


@router.post("/{item_id}/review", response=ACTION_RESPONSES, summary="审核办结报告")
def review_report(request: HttpRequest, item_id: int, payload: ReviewIn) -> Any:
    """The office accepts the report (item completed) or returns it with a reason (R-F5)."""
    return _act(
        request,
        item_id,
        lambda user, item: actions.review_report(
            user, item, accept=payload.accept, comment=payload.comment
        ),
    )
