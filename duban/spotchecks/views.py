"""The spot-check pages (R-K1), under /spotchecks/.

- `index`: the office's draws and the form for a new draw (office supervisors of the
  General Office only; anyone else gets 403);
- `draw_detail`: one draw — its period, size, seed and population, the sample with a
  check form for each item not yet checked, and the "重新演算" check that works the
  sample out again from the stored seed and population;
- `rectifications` / `rectification_detail`: the office's rectifications, or a unit's
  own, with their warning lights; the unit reports, the office accepts or returns.

The pages never save rows themselves: each POST calls an action of
`duban.spotchecks.actions`; a refusal re-renders the page with the action's message
and status, and changes nothing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Case, Count, IntegerField, Q, Value, When
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from duban import clock
from duban.items.errors import ActionError
from duban.items.models import Item
from duban.web.views import current_user

from . import actions
from .forms import (
    CheckForm,
    DrawForm,
    RectificationDecisionForm,
    RectificationReportForm,
    show_errors,
)
from .models import (
    CheckResult,
    Rectification,
    RectificationStatus,
    SizeMethod,
    SpotCheck,
    SpotCheckDraw,
)
from .queries import annotate_rectification_lights, may_see_rectifications, visible_rectifications
from .sampling import draw_sample_ids, sample_size

DRAW_LIST_LIMIT = 100
RECTIFICATION_LIST_LIMIT = 200


def _require_office(user: Any) -> None:
    if not actions.may_spot_check(user):
        raise PermissionDenied(_(actions.NOT_OFFICE))


def _previous_month(today: dt.date) -> tuple[dt.date, dt.date]:
    end = today.replace(day=1) - dt.timedelta(days=1)
    return end.replace(day=1), end


# ----------------------------------------------------------------------------- draws


def _index_page(
    request: HttpRequest, form: DrawForm | None = None, status: int = 200
) -> HttpResponse:
    user = current_user(request)
    if form is None:
        start, end = _previous_month(clock.today())
        form = DrawForm(initial={"period_start": start, "period_end": end, "percentage": 10})
    draws = (
        SpotCheckDraw.objects.filter(office_id=user.unit_id)
        .select_related("drawn_by")
        .annotate(
            checked=Count("checks", filter=~Q(checks__result="")),
            problems=Count("checks", filter=Q(checks__result=CheckResult.PROBLEM)),
        )
        .order_by("-drawn_at", "-id")[:DRAW_LIST_LIMIT]
    )
    return render(
        request, "spotchecks/index.html", {"draws": list(draws), "form": form}, status=status
    )


@require_safe
@login_required
def index(request: HttpRequest) -> HttpResponse:
    _require_office(current_user(request))
    return _index_page(request)


@require_POST
@login_required
def draw_new(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    _require_office(user)
    form = DrawForm(request.POST)
    if not form.is_valid():
        return _index_page(request, form, status=400)
    data = form.cleaned_data
    try:
        draw = actions.draw_sample(
            user,
            period_start=data["period_start"],
            period_end=data["period_end"],
            count=data["count"],
            percentage=data["percentage"],
            seed=data["seed"],
        )
    except ActionError as error:
        show_errors(form, error)
        return _index_page(request, form, status=error.status)
    messages.success(
        request,
        _("已从%(total)d项已办结事项中随机抽取%(size)d项。")
        % {"total": len(draw.population), "size": draw.sample_size},
    )
    return redirect("spotcheck-draw", pk=draw.pk)


def _office_draw(user: Any, pk: int) -> SpotCheckDraw:
    draw = SpotCheckDraw.objects.select_related("drawn_by").filter(pk=pk, office_id=user.unit_id)
    found = draw.first()
    if found is None:
        raise Http404
    return found


def _draw_page(
    request: HttpRequest,
    draw: SpotCheckDraw,
    *,
    posted: tuple[int, CheckForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    user = current_user(request)
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
    rows = []
    for check in checks:
        form = None
        if not check.is_recorded and check.item_id in visible:
            if posted is not None and posted[0] == check.pk:
                form = posted[1]
            else:
                form = CheckForm(prefix=f"check-{check.pk}")
        rows.append({"check": check, "visible": check.item_id in visible, "form": form})
    context: dict[str, Any] = {
        "draw": draw,
        "rows": rows,
        "checked": sum(1 for check in checks if check.is_recorded),
        "posted_check": posted[0] if posted else None,
    }
    if request.GET.get("reproduce"):
        # 重新演算: the sample worked out again from the stored seed and population.
        stored = [check.item_id for check in checks]
        size = sample_size(
            len(draw.population),
            count=draw.requested if draw.method_of_size == SizeMethod.COUNT else None,
            percentage=draw.requested if draw.method_of_size == SizeMethod.PERCENTAGE else None,
        )
        recomputed = draw_sample_ids(draw.seed, draw.population, size)
        context["reproduction"] = {
            "size": size,
            "recomputed": recomputed,
            "stored": stored,
            "matches": recomputed == stored and size == draw.sample_size,
        }
    return render(request, "spotchecks/draw_detail.html", context, status=status)


@require_safe
@login_required
def draw_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    _require_office(user)
    return _draw_page(request, _office_draw(user, pk))


@require_POST
@login_required
def record_check(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    _require_office(user)
    check = (
        SpotCheck.objects.select_related("draw__drawn_by")
        .filter(pk=pk, draw__office_id=user.unit_id)
        .first()
    )
    if check is None:
        raise Http404
    form = CheckForm(request.POST, prefix=f"check-{check.pk}")
    if not form.is_valid():
        return _draw_page(request, check.draw, posted=(check.pk, form), status=400)
    data = form.cleaned_data
    try:
        actions.record_check(
            user,
            check,
            method=data["method"],
            finding=data["finding"],
            result=data["result"],
            rectification_deadline=data["rectification_deadline"],
            rectification_requirement=data["rectification_requirement"],
        )
    except ActionError as error:
        show_errors(form, error)
        return _draw_page(request, check.draw, posted=(check.pk, form), status=error.status)
    messages.success(request, _("已记录抽查结果。"))
    return redirect("spotcheck-draw", pk=check.draw_id)


# ----------------------------------------------------------------------------- rectifications


@require_safe
@login_required
def rectifications(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    if not may_see_rectifications(user):
        raise PermissionDenied(_("只有督办部门和承办单位可以查看抽查整改。"))
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
    return render(
        request,
        "spotchecks/rectifications.html",
        {
            "rectifications": list(rows),
            "office_view": actions.may_spot_check(user),
            "limit": RECTIFICATION_LIST_LIMIT,
        },
    )


def _visible_rectification(user: Any, pk: int) -> Rectification:
    found = (
        annotate_rectification_lights(visible_rectifications(user))
        .select_related(
            "item",
            "unit",
            "created_by",
            "spot_check__draw",
            "spot_check__checked_by",
        )
        .filter(pk=pk)
        .first()
    )
    if found is None:
        raise Http404
    return found


def _rectification_page(
    request: HttpRequest,
    rectification: Rectification,
    *,
    report_form: RectificationReportForm | None = None,
    decision_form: RectificationDecisionForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = current_user(request)
    may_report = actions.is_rectifying_contact(user, rectification) and rectification.status in (
        RectificationStatus.OPEN,
        RectificationStatus.RETURNED,
    )
    may_decide = (
        actions.may_spot_check(user) and rectification.status == RectificationStatus.SUBMITTED
    )
    return render(
        request,
        "spotchecks/rectification_detail.html",
        {
            "rectification": rectification,
            "reports": list(rectification.reports.select_related("submitted_by", "decided_by")),
            "report_form": (report_form or RectificationReportForm()) if may_report else None,
            "decision_form": (decision_form or RectificationDecisionForm()) if may_decide else None,
        },
        status=status,
    )


@require_safe
@login_required
def rectification_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    return _rectification_page(request, _visible_rectification(user, pk))


@require_POST
@login_required
def rectification_submit(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    rectification = _visible_rectification(user, pk)
    form = RectificationReportForm(request.POST)
    form.is_valid()
    try:
        actions.submit_rectification(user, rectification, text=form.cleaned_data.get("text", ""))
    except ActionError as error:
        show_errors(form, error)
        return _rectification_page(request, rectification, report_form=form, status=error.status)
    messages.success(request, _("已报送整改情况。"))
    return redirect("spotcheck-rectification", pk=rectification.pk)


@require_POST
@login_required
def rectification_decide(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    rectification = _visible_rectification(user, pk)
    form = RectificationDecisionForm(request.POST)
    if not form.is_valid():
        return _rectification_page(request, rectification, decision_form=form, status=400)
    accept = form.cleaned_data["decision"] == "accept"
    try:
        actions.decide_rectification(
            user, rectification, accept=accept, comment=form.cleaned_data["comment"]
        )
    except ActionError as error:
        show_errors(form, error)
        return _rectification_page(request, rectification, decision_form=form, status=error.status)
    messages.success(request, _("整改情况已审核通过。") if accept else _("已退回整改情况。"))
    return redirect("spotcheck-rectification", pk=rectification.pk)
