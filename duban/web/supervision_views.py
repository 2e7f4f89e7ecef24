"""The office's watch over progress: the attention page (R-U1, R-F3) and urging (R-U2).

The attention page lists, for office supervisors only, the items without obvious
progress: no feedback for 10 working days, a missed milestone, a missed phased report
(the flags of `duban.items.lights`), each with its light and an urge button. Its rows
come from `Item.objects.visible_to(user)` like every list. Urges are taken by
`actions.urge_item`: from the item page's form (the "urge" entry of
`item_views.ACTIONS`) or, as a system notice to the liaison, with one click here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import (
    Case,
    Count,
    IntegerField,
    OuterRef,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from duban import clock
from duban.items import actions
from duban.items.errors import ActionError
from duban.items.lights import (
    NEEDS_ATTENTION,
    RED,
    URGEABLE_STATUSES,
    LightThresholds,
    annotate_lights,
    light_thresholds,
)
from duban.items.models import Item, Urge, UrgeChannel
from duban.items.urges import item_urges, urges_received_by_unit
from duban.organisation.models import User

from .views import current_user
from .worklists import ROW_COLUMNS

ATTENTION_LIMIT = 200
RED_FIRST = Case(When(light=RED, then=Value(0)), default=Value(1), output_field=IntegerField())
ATTENTION_ORDER = ("red_first", "deadline", "id")


# ----------------------------------------------------------------------------- the item page


def urge(user: User, item: Item, form: Any) -> str:
    """The item page's urge form (`item_views.ACTIONS["urge"]`)."""
    data = form.cleaned_data
    person = actions.urge_recipients(item).get(data["recipient"])
    taken = actions.urge_item(
        user, item, channel=data["channel"], recipient=person, note=data["note"]
    )
    channel = UrgeChannel(taken.channel)
    if taken.channel in (UrgeChannel.SYSTEM, UrgeChannel.SMS):
        return _("已通过%(channel)s催办%(name)s。") % {
            "channel": channel.label,
            "name": taken.recipient.full_name if taken.recipient else "",
        }
    return _("已记录%(channel)s催办。") % {"channel": channel.label}


def item_page_context(item: Item) -> dict[str, Any]:
    """What the item page shows of urging: the item's urges (one query)."""
    return {"urges": list(item_urges(item))}


# ----------------------------------------------------------------------------- attention


@dataclass
class AttentionList:
    key: str
    title: str
    explanation: str
    empty_text: str
    items: list[Item] = field(default_factory=list)


def _require_office_supervisor(user: User) -> None:
    if not user.is_office_supervisor:
        raise PermissionDenied(_("只有督办部门的督办员可以查看进展预警。"))


def attention_items(user: User) -> list[Item]:
    """Items of R-U1 and R-F3 the person may see, red first, then by deadline.

    The first ATTENTION_LIMIT are chosen by their ids alone, a statement the status
    index answers by itself on PostgreSQL (it holds every column the rule, the light
    and the flags read: items 0018); only the rows chosen are then read, with their
    urges. Chosen and read in one statement, the office's list read the item row of
    each of the 17,000 items being worked on at 100,000 items to keep 200. The rows
    read only the columns the page shows (`ROW_COLUMNS`, the last feedback): the
    item's other timestamps and long texts cost 200 rows more than their HTML."""
    thresholds = light_thresholds()
    urges = Urge.objects.filter(item=OuterRef("pk")).order_by()
    return list(
        annotate_lights(
            Item.objects.filter(pk__in=attention_choice(user, thresholds)), thresholds=thresholds
        )
        .annotate(
            urge_count=Coalesce(
                Subquery(urges.values("item").annotate(count=Count("pk")).values("count")),
                Value(0),
            ),
            last_urged_at=Subquery(urges.order_by("-created_at").values("created_at")[:1]),
            red_first=RED_FIRST,
        )
        .select_related("lead_unit")
        .only(*ROW_COLUMNS, "last_feedback_at")
        .order_by(*ATTENTION_ORDER)
    )


def attention_choice(user: User, thresholds: LightThresholds) -> QuerySet[Any, Any]:
    """The ids of the first ATTENTION_LIMIT items of the list, in its order."""
    return (
        annotate_lights(Item.objects.visible_to(user), thresholds=thresholds)
        .filter(NEEDS_ATTENTION, status__in=URGEABLE_STATUSES)
        .annotate(red_first=RED_FIRST)
        .order_by(*ATTENTION_ORDER)
        .values("pk")[:ATTENTION_LIMIT]
    )


@require_safe
@login_required
def attention(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    _require_office_supervisor(user)
    rows = attention_items(user)
    today = clock.today()
    # Urges each lead unit received this year (R-U2), automatic reminders included.
    received = urges_received_by_unit(today.year)
    for row in rows:
        row.unit_urges = received.get(row.lead_unit_id, 0)  # type: ignore[attr-defined]
    lists = [
        AttentionList(
            "no_progress",
            _("10个工作日无反馈的事项"),
            _("交办或签收以来、或最近一次反馈以来，已满10个工作日没有进展反馈。"),
            _("没有10个工作日无反馈的事项。"),
            [row for row in rows if row.no_progress],  # type: ignore[attr-defined]
        ),
        AttentionList(
            "missed_milestone",
            _("计划节点已过、未报进展的事项"),
            _("工作计划中的时间节点已过，节点日及以后未收到进展反馈。"),
            _("没有节点逾期未报的事项。"),
            [row for row in rows if row.missed_milestone],  # type: ignore[attr-defined]
        ),
        AttentionList(
            "missed_phase_report",
            _("未按月报送阶段性进展的长期事项"),
            _(
                "年度重点工作和办理期限超过30个工作日的事项，须每月反馈阶段性进展；上月及本月至今未收到。"
            ),
            _("没有漏报阶段性进展的事项。"),
            [row for row in rows if row.missed_phase_report],  # type: ignore[attr-defined]
        ),
    ]
    return render(
        request,
        "web/attention.html",
        {
            "lists": lists,
            "total": len(rows),
            "truncated": len(rows) >= ATTENTION_LIMIT,
            "today": today,
            "year": today.year,
        },
    )


@require_POST
@login_required
def attention_urge(request: HttpRequest, pk: int) -> HttpResponse:
    """One click from the attention page: a system notice to the lead unit's liaison,
    with the standard text (other channels and people: the item page's form)."""
    user = current_user(request)
    _require_office_supervisor(user)
    item = Item.objects.visible_to(user).select_related("lead_unit__liaison").filter(pk=pk).first()
    if item is None:
        raise Http404
    try:
        actions.urge_item(
            user, item, channel=UrgeChannel.SYSTEM, recipient=item.lead_unit.liaison, note=""
        )
    except ActionError as error:
        messages.error(
            request,
            _("%(number)s：%(message)s") % {"number": item.ledger_number, "message": error.message},
        )
    else:
        messages.success(
            request,
            _("已向%(unit)s联络员发送催办通知（%(number)s）。")
            % {"unit": item.lead_unit.name, "number": item.ledger_number},
        )
    return redirect("attention")
