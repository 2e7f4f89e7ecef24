"""Spot checks (回访抽查, R-K1) over the API: the same reads and actions as the pages
under /spotchecks/ (`duban.spotchecks.views`), with the same rules.

- Draws and their checks are the General Office's supervisors' (403 for anyone else,
  as on the pages); a draw of another office answers 404 like a missing one.
- A drawn item the reader may not see (recused from it, R-C4) shows no details.
- Rectifications: the office's for its supervisors, a unit's own for its people, each
  only where its item is visible (`queries.visible_rectifications`, R-C5); a hidden
  one answers 404 like a missing one.

Every change is an action of `duban.spotchecks.actions`; a refusal is its JSON error
and changes nothing.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Status

from duban.items.errors import PermissionRefused
from duban.items.models import Item
from duban.spotchecks import actions
from duban.spotchecks.models import (
    CheckResult,
    Rectification,
    RectificationStatus,
    SizeMethod,
    SpotCheck,
    SpotCheckDraw,
)
from duban.spotchecks.queries import (
    annotate_rectification_lights,
    may_see_rectifications,
    visible_rectifications,
)
from duban.spotchecks.sampling import draw_sample_ids, sample_size
from duban.spotchecks.views import DRAW_LIST_LIMIT, RECTIFICATION_LIST_LIMIT

from . import present
from .errors import NotFound
from .oversight_schemas import (
    CheckIn,
    DrawIn,
    DrawOut,
    DrawSummaryOut,
    RectificationDecisionIn,
    RectificationOut,
    RectificationReportIn,
    RectificationSummaryOut,
    SpotCheckOut,
)
from .schemas import ErrorOut

router = Router(tags=["回访抽查"])

READ: dict[int, Any] = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut}
ACT: dict[int, Any] = {**READ, 409: ErrorOut}
RECTIFICATIONS_REFUSAL = "只有督办部门和承办单位可以查看抽查整改。"


def _user(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


def _require_office(user: Any) -> None:
    if not actions.may_spot_check(user):
        raise PermissionRefused(_(actions.NOT_OFFICE))


# ----------------------------------------------------------------------------- draws


def _draws(user: Any) -> QuerySet[SpotCheckDraw]:
    return (
        SpotCheckDraw.objects.filter(office_id=user.unit_id)
        .select_related("drawn_by")
        .annotate(
            checked=Count("checks", filter=~Q(checks__result="")),
            problems=Count("checks", filter=Q(checks__result=CheckResult.PROBLEM)),
        )
    )


def _draw_summary(draw: SpotCheckDraw) -> dict[str, Any]:
    return {
        "id": draw.pk,
        "period_start": draw.period_start,
        "period_end": draw.period_end,
        "method_of_size": draw.method_of_size,
        "method_of_size_label": str(draw.get_method_of_size_display()),
        "requested": draw.requested,
        "seed": draw.seed,
        "population_size": len(draw.population),
        "sample_size": draw.sample_size,
        "checked": draw.checked,  # type: ignore[attr-defined]
        "problems": draw.problems,  # type: ignore[attr-defined]
        "drawn_by": present.name(draw.drawn_by),
        "drawn_at": present.local(draw.drawn_at),
    }


def _check(check: SpotCheck, visible: set[int]) -> dict[str, Any]:
    item = check.item if check.item_id in visible else None
    rectification = getattr(check, "rectification", None)
    return {
        "id": check.pk,
        "draw_id": check.draw_id,
        "position": check.position,
        "item_id": item.pk if item else None,
        "item": (
            {
                "id": item.pk,
                "ledger_number": item.ledger_number,
                "title": item.title,
                "lead_unit": present.unit_ref(item.lead_unit),
            }
            if item
            else None
        ),
        "method": check.method,
        "method_label": str(check.get_method_display()) if check.method else "",
        "result": check.result,
        "result_label": str(check.get_result_display()) if check.result else "",
        "finding": check.finding if item else "",
        "checked_by": present.name(check.checked_by),
        "checked_at": present.local(check.checked_at),
        "rectification_id": rectification.pk if rectification and item else None,
        "allowed_actions": ["record"] if item and not check.is_recorded else [],
    }


def _draw_detail(user: Any, draw_id: int) -> dict[str, Any]:
    """The draw as its page shows it, with the sample worked out again (重新演算)."""
    draw = _draws(user).filter(pk=draw_id).first()
    if draw is None:
        raise NotFound(_("抽查批次不存在。"))
    checks = list(
        draw.checks.select_related("item__lead_unit", "checked_by", "rectification").order_by(
            "position"
        )
    )
    # A drawn item the viewer may not see (e.g. recused from it, R-C4) shows no details.
    visible = set(
        Item.objects.visible_to(user)
        .filter(pk__in=[check.item_id for check in checks])
        .values_list("pk", flat=True)
    )
    size = sample_size(
        len(draw.population),
        count=draw.requested if draw.method_of_size == SizeMethod.COUNT else None,
        percentage=draw.requested if draw.method_of_size == SizeMethod.PERCENTAGE else None,
    )
    recomputed = draw_sample_ids(draw.seed, draw.population, size)
    stored = [check.item_id for check in checks]
    return {
        **_draw_summary(draw),
        "population": list(draw.population),
        "checks": [_check(check, visible) for check in checks],
        "reproduction": {
            "size": size,
            "recomputed": recomputed,
            "matches": recomputed == stored and size == draw.sample_size,
        },
    }


@router.get(
    "/spotchecks/draws",
    response={200: list[DrawSummaryOut], **READ},
    summary="抽查批次列表",
)
def list_spot_check_draws(request: HttpRequest) -> list[dict[str, Any]]:
    """The office's draws, newest first (at most 100), with how many of each draw's
    items are checked and how many showed a problem. Office supervisors of the General
    Office only (403 otherwise)."""
    user = _user(request)
    _require_office(user)
    draws = _draws(user).order_by("-drawn_at", "-id")[:DRAW_LIST_LIMIT]
    return [_draw_summary(draw) for draw in draws]


@router.post("/spotchecks/draws", response={201: DrawOut, **ACT}, summary="随机抽取事项")
def draw_spot_check_sample(request: HttpRequest, payload: DrawIn) -> Status[dict[str, Any]]:
    """随机抽查 (R-K1): draw a sample of the office's items completed in the period, by
    count or percentage (rounded up), reproducible from its stored seed and population.
    Items the supervisor is recused from are never drawn (R-C4)."""
    user = _user(request)
    _require_office(user)
    draw = actions.draw_sample(
        user,
        period_start=payload.period_start,
        period_end=payload.period_end,
        count=payload.count,
        percentage=payload.percentage,
        seed=payload.seed,
    )
    return Status(201, _draw_detail(user, draw.pk))


@router.get("/spotchecks/draws/{draw_id}", response={200: DrawOut, **READ}, summary="抽查批次详情")
def read_spot_check_draw(request: HttpRequest, draw_id: int) -> dict[str, Any]:
    """One draw of the office: period, size, seed, population, the check of each drawn
    item, and `reproduction`, the sample worked out again from the seed (重新演算)."""
    user = _user(request)
    _require_office(user)
    return _draw_detail(user, draw_id)


@router.post(
    "/spotchecks/checks/{check_id}/record",
    response={200: SpotCheckOut, **ACT},
    summary="记录抽查结果",
)
def record_spot_check(request: HttpRequest, check_id: int, payload: CheckIn) -> dict[str, Any]:
    """Record the check of one drawn item: method, finding and result; a problem opens
    a rectification with a requirement and a deadline, which the lead unit is told of."""
    user = _user(request)
    _require_office(user)
    check = SpotCheck.objects.filter(pk=check_id, draw__office_id=user.unit_id).first()
    if check is None:
        raise NotFound(_("抽查记录不存在。"))
    actions.record_check(
        user,
        check,
        method=payload.method,
        finding=payload.finding,
        result=payload.result,
        rectification_deadline=payload.rectification_deadline,
        rectification_requirement=payload.rectification_requirement,
    )
    check = SpotCheck.objects.select_related("item__lead_unit", "checked_by", "rectification").get(
        pk=check_id
    )
    visible = set(
        Item.objects.visible_to(user).filter(pk=check.item_id).values_list("pk", flat=True)
    )
    return _check(check, visible)


# ----------------------------------------------------------------------------- rectifications


def _rectification_summary(row: Rectification) -> dict[str, Any]:
    return {
        "id": row.pk,
        "item_id": row.item_id,
        "item_ledger_number": row.item.ledger_number,
        "item_title": row.item.title,
        "unit": present.unit_ref(row.unit),
        "requirement": row.requirement,
        "deadline": row.deadline,
        "status": row.status,
        "status_label": str(row.get_status_display()),
        "light": row.light,  # type: ignore[attr-defined]
    }


def _visible_rectification(user: Any, rectification_id: int) -> Rectification:
    found = (
        annotate_rectification_lights(visible_rectifications(user))
        .select_related("item", "unit", "created_by", "spot_check__checked_by")
        .filter(pk=rectification_id)
        .first()
    )
    if found is None:
        raise NotFound(_("整改不存在。"))
    return found


def _allowed_rectification_actions(user: Any, row: Rectification) -> list[str]:
    """What the rectification page offers the reader (spotchecks.views)."""
    allowed = []
    if actions.is_rectifying_contact(user, row) and row.status in (
        RectificationStatus.OPEN,
        RectificationStatus.RETURNED,
    ):
        allowed.append("submit")
    if actions.may_spot_check(user) and row.status == RectificationStatus.SUBMITTED:
        allowed.append("decide")
    return allowed


def _rectification_detail(user: Any, rectification_id: int) -> dict[str, Any]:
    row = _visible_rectification(user, rectification_id)
    return {
        **_rectification_summary(row),
        "spot_check_id": row.spot_check_id,
        "draw_id": row.spot_check.draw_id,
        "created_by": present.name(row.created_by),
        "created_at": present.local(row.created_at),
        "updated_at": present.local(row.updated_at),
        "checked_by": present.name(row.spot_check.checked_by),
        "reports": [
            {
                "id": report.pk,
                "text": report.text,
                "submitted_by": present.name(report.submitted_by),
                "submitted_at": present.local(report.submitted_at),
                "outcome": report.outcome,
                "outcome_label": str(report.get_outcome_display()) if report.outcome else "",
                "comment": report.comment,
                "decided_by": present.name(report.decided_by),
                "decided_at": present.local(report.decided_at),
            }
            for report in row.reports.select_related("submitted_by", "decided_by")
        ],
        "allowed_actions": _allowed_rectification_actions(user, row),
    }


@router.get(
    "/spotchecks/rectifications",
    response={200: list[RectificationSummaryOut], **READ},
    summary="抽查整改列表",
)
def list_rectifications(request: HttpRequest) -> list[dict[str, Any]]:
    """The office's rectifications for its supervisors, a unit's own for its liaison,
    head and members (403 for anyone else); open ones first by deadline, at most 200,
    each with its warning light."""
    user = _user(request)
    if not may_see_rectifications(user):
        raise PermissionRefused(_(RECTIFICATIONS_REFUSAL))
    closed_last = Case(
        When(status=RectificationStatus.ACCEPTED, then=Value(1)),
        default=Value(0),
        output_field=IntegerField(),
    )
    rows = (
        annotate_rectification_lights(visible_rectifications(user))
        .select_related("item", "unit")
        .annotate(closed_last=closed_last)
        .order_by("closed_last", "deadline", "id")[:RECTIFICATION_LIST_LIMIT]
    )
    return [_rectification_summary(row) for row in rows]


@router.get(
    "/spotchecks/rectifications/{rectification_id}",
    response={200: RectificationOut, **READ},
    summary="整改详情",
)
def read_rectification(request: HttpRequest, rectification_id: int) -> dict[str, Any]:
    """One rectification with its reports and the actions open to you."""
    return _rectification_detail(_user(request), rectification_id)


@router.post(
    "/spotchecks/rectifications/{rectification_id}/submit",
    response={200: RectificationOut, **ACT},
    summary="报送整改情况",
)
def submit_rectification(
    request: HttpRequest, rectification_id: int, payload: RectificationReportIn
) -> dict[str, Any]:
    """The lead unit's liaison or head reports what it has put right (again, after a
    return)."""
    user = _user(request)
    actions.submit_rectification(
        user, _visible_rectification(user, rectification_id), text=payload.text
    )
    return _rectification_detail(user, rectification_id)


@router.post(
    "/spotchecks/rectifications/{rectification_id}/decide",
    response={200: RectificationOut, **ACT},
    summary="审核整改情况",
)
def decide_rectification(
    request: HttpRequest, rectification_id: int, payload: RectificationDecisionIn
) -> dict[str, Any]:
    """The office accepts the reported rectification, or returns it with a reason."""
    user = _user(request)
    actions.decide_rectification(
        user,
        _visible_rectification(user, rectification_id),
        accept=payload.accept,
        comment=payload.comment,
    )
    return _rectification_detail(user, rectification_id)
