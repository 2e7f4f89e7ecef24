"""The lists of 我的工作: what each person has to do next.

Every list starts from `Item.objects.visible_to(user)` and costs one query however
many rows it has. Each list is cut at `LIST_LIMIT` rows; the ledger has the rest.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Case, Exists, IntegerField, OuterRef, Q, QuerySet, Value, When
from django.utils.translation import gettext as _

from duban import clock
from duban.items.extension_rules import pending_extension_filter
from duban.items.lights import (
    LightThresholds,
    annotate_lights,
    due_soon_until,
    light_thresholds,
    overdue_filter,
)
from duban.items.models import ExtensionApprover, Feedback, FeedbackKind, FeedbackStatus, Item
from duban.items.states import ACTIVE_STATUSES, Status
from duban.organisation.models import Role

LIST_LIMIT = 50
# The columns the item lists' rows show, here and in the ledger (duban.web.views,
# duban.web.templatetags.duban_tags.ledger_rows): an item has ten timestamps and two
# long texts no list shows, and loading them cost a page of 20 rows more than writing
# its HTML (the office's 我的工作, five lists of 50, loaded 250 items' texts).
ROW_COLUMNS = (
    "ledger_number",
    "title",
    "urgent",
    "source_kind",
    "source_body",
    "status",
    "deadline",
    "original_deadline",
    "deadline_provisional",
    "lead_unit__name",
)


@dataclass
class WorkList:
    key: str
    title: str
    items: list[Item] = field(default_factory=list)
    empty_text: str = ""
    ledger_query: str = ""  # a link to the same rows in the ledger, where one fits
    kind: str = "items"  # "items" or "contributions"
    contributions: list[Feedback] = field(default_factory=list)
    show_contributed: bool = False  # rows carry `contributed` (this unit has reported)

    @property
    def truncated(self) -> bool:
        return len(self.items) >= LIST_LIMIT


def _rows(queryset: QuerySet[Item]) -> list[Item]:
    return list(queryset.select_related("lead_unit").only(*ROW_COLUMNS)[:LIST_LIMIT])


def work_lists(user: Any) -> list[WorkList]:
    roles = (Role.OFFICE_SUPERVISOR, Role.SCHOOL_LEADER, Role.LIAISON, Role.UNIT_HEAD)
    if user.role not in (*roles, Role.UNIT_MEMBER):
        return []
    # Every row shows its warning light (R-U4); the light's dates are worked out once.
    limits = light_thresholds(clock.today())
    visible = annotate_lights(Item.objects.visible_to(user), thresholds=limits)
    if user.role == Role.OFFICE_SUPERVISOR:
        return office_lists(user, visible, limits)
    if user.role == Role.SCHOOL_LEADER:
        return leader_lists(user, visible)
    return unit_lists(user, visible)


def office_lists(
    user: Any, visible: QuerySet[Item], limits: LightThresholds | None = None
) -> list[WorkList]:
    today = clock.today()
    own = visible.filter(supervising_office_id=user.unit_id)
    due_soon = limits.due_soon_until if limits is not None else due_soon_until(today)
    deadline_near = own.filter(status__in=ACTIVE_STATUSES, deadline__lte=due_soon).order_by(
        "deadline", "id"
    )
    return [
        WorkList(
            "to_assign",
            _("待交办事项"),
            _rows(own.filter(status=Status.ESTABLISHED).order_by("established_at", "id")),
            _("没有待交办的事项。"),
            "status=established",
        ),
        WorkList(
            "returned",
            _("被退回、待重新交办的事项"),
            _rows(own.filter(status=Status.RETURNED).order_by("deadline", "id")),
            _("没有被退回的事项。"),
            "status=returned",
        ),
        WorkList(
            "to_review",
            _("待审核的办结报告"),
            _rows(own.filter(status=Status.SUBMITTED).order_by("submitted_at", "id")),
            _("没有待审核的办结报告。"),
            "status=submitted",
        ),
        WorkList(
            "extensions_to_decide",
            _("待审批的延期申请（延期不超过3个月）"),
            _rows(
                own.filter(
                    pending_extension_filter(),
                    extension_request__approver_kind=ExtensionApprover.OFFICE,
                ).order_by("extension_request__created_at", "id")
            ),
            _("没有待本部门审批的延期申请。"),
            "extension=pending",
        ),
        WorkList(
            "deadline_near",
            _("3个工作日内到期或已超期的事项"),
            _rows(deadline_near),
            _("没有临近时限或超期的事项。"),
        ),
    ]


def _lead_contact(user: Any) -> Q:
    return Q(lead_unit__liaison=user) | Q(lead_unit__head=user)


def unit_lists(user: Any, visible: QuerySet[Item]) -> list[WorkList]:
    led = visible.filter(_lead_contact(user))
    awaiting_confirmation = Feedback.objects.filter(
        item=OuterRef("pk"),
        kind=FeedbackKind.COMPLETION,
        status=FeedbackStatus.AWAITING_CONFIRMATION,
    )
    cooperating_contact = Item.cooperating_units.through.objects.filter(
        Q(unit__liaison=user) | Q(unit__head=user), item_id=OuterRef("pk")
    )
    contributed = Feedback.objects.filter(
        item=OuterRef("pk"), kind=FeedbackKind.CONTRIBUTION, unit_id=user.unit_id
    )
    lists = [
        WorkList(
            "to_sign_for",
            _("待签收事项"),
            _rows(led.filter(status=Status.ASSIGNED).order_by("assigned_at", "id")),
            _("没有待签收的事项。"),
        ),
        WorkList(
            "in_progress",
            _("本单位承办、办理中的事项"),
            _rows(led.filter(status=Status.IN_PROGRESS).order_by("deadline", "id")),
            _("没有办理中的事项。"),
        ),
    ]
    if _heads_a_unit(user):
        lists.append(
            WorkList(
                "to_confirm",
                _("待您确认的办结报告"),
                _rows(
                    visible.filter(lead_unit__head=user, status=Status.IN_PROGRESS)
                    .filter(Exists(awaiting_confirmation))
                    .order_by("deadline", "id")
                ),
                _("没有待确认的办结报告。"),
            )
        )
    contributions = list(
        Feedback.objects.filter(
            kind=FeedbackKind.CONTRIBUTION,
            superseded_by__isnull=True,
            item__in=led.filter(status=Status.IN_PROGRESS),
        )
        .select_related("item", "unit", "author")
        .order_by("-created_at", "-id")[:LIST_LIMIT]
    )
    lists.append(
        WorkList(
            "contributions",
            _("配合单位报送的情况"),
            empty_text=_("暂无配合单位报送的情况。"),
            kind="contributions",
            contributions=contributions,
        )
    )
    lists.append(
        WorkList(
            "to_contribute",
            _("需要本单位配合的事项"),
            _rows(
                visible.filter(Exists(cooperating_contact), status=Status.IN_PROGRESS)
                .annotate(contributed=Exists(contributed))
                .order_by("deadline", "id")
            ),
            _("没有需要配合的事项。"),
            show_contributed=True,
        )
    )
    return lists


def _heads_a_unit(user: Any) -> bool:
    return bool(user.role == Role.UNIT_HEAD or user.headed_units.exists())


def leader_lists(user: Any, visible: QuerySet[Item]) -> list[WorkList]:
    today = clock.today()
    overdue_first = Case(
        When(overdue_filter(today), then=Value(0)),
        default=Value(1),
        output_field=IntegerField(),
    )
    rows = (
        visible.filter(lead_unit__leader_in_charge=user, status__in=ACTIVE_STATUSES)
        .annotate(overdue_rank=overdue_first)
        .order_by("overdue_rank", "deadline", "id")
    )
    return [
        # R-E3: an extension beyond 3 months lands on the leader in charge's desk.
        WorkList(
            "extensions_to_decide",
            _("待您审批的延期申请（延期超过3个月）"),
            _rows(
                visible.filter(
                    pending_extension_filter(), extension_request__approver=user
                ).order_by("extension_request__created_at", "id")
            ),
            _("没有待您审批的延期申请。"),
        ),
        WorkList(
            "led_units",
            _("分管单位承办的在办事项（超期的在前）"),
            _rows(rows),
            _("分管单位没有在办的督办事项。"),
        ),
    ]
