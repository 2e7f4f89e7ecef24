"""Items (督办事项) and what hangs off them: changes, plans, feedback, notices.

State changes happen only in `duban.items.actions`; rows are read through
`Item.objects.visible_to(user)` (`duban.items.visibility`).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from duban.choicelabels import ChoiceLabels
from duban.compiled import compiled_rows

from .states import ACTIVE_STATUSES, Status


class SourceKind(models.TextChoices):
    MEETING = "meeting", _("会议决定事项")
    ANNUAL = "annual", _("年度重点工作")
    OTHER = "other", _("其他交办事项")


class SourceBody(models.TextChoices):
    """Where the decision came from; which ones fit depends on the source kind (R-S1)."""

    STANDING_COMMITTEE = "standing_committee", _("党委常委会")
    PRESIDENT_MEETING = "president_meeting", _("校长办公会")
    SECRETARY_MEETING = "secretary_meeting", _("书记办公会")
    WORK_POINTS = "work_points", _("党政工作要点")
    MAJOR_PLAN = "major_plan", _("重大规划")
    SUPERIOR = "superior", _("上级决策部署或交办转办事项")
    INSTRUCTION = "instruction", _("校领导批示")
    PARTY_CONGRESS = "party_congress", _("党代会")
    STAFF_CONGRESS = "staff_congress", _("教代会")
    PARTY_PLENARY = "party_plenary", _("党委全会")
    SPECIAL_MEETING = "special_meeting", _("专题工作会议")


SOURCE_BODIES: dict[str, tuple[str, ...]] = {
    SourceKind.MEETING: (
        SourceBody.STANDING_COMMITTEE,
        SourceBody.PRESIDENT_MEETING,
        SourceBody.SECRETARY_MEETING,
    ),
    SourceKind.ANNUAL: (SourceBody.WORK_POINTS, SourceBody.MAJOR_PLAN),
    SourceKind.OTHER: (
        SourceBody.SUPERIOR,
        SourceBody.INSTRUCTION,
        SourceBody.PARTY_CONGRESS,
        SourceBody.STAFF_CONGRESS,
        SourceBody.PARTY_PLENARY,
        SourceBody.SPECIAL_MEETING,
    ),
}

# Ledger numbers are kept per year and category (R-S5): 督会〔2026〕第0012号.
LEDGER_PREFIX: dict[str, str] = {
    SourceKind.MEETING: "督会",
    SourceKind.ANNUAL: "督要",
    SourceKind.OTHER: "督交",
}


class DeadlineRule(models.TextChoices):
    MINUTES_DEADLINE = "minutes_deadline", _("会议纪要明确的时限")  # R-D1
    TEN_WORKDAYS = "ten_workdays", _("纪要印发后第10个工作日")  # R-D2
    OFFICE_SET = "office_set", _("督办部门根据实际确定")  # R-D3
    YEAR_END = "year_end", _("当年12月31日")  # R-D4
    INSTRUCTION = "instruction", _("领导批示明确的时限")  # R-D5


class Confidentiality(models.TextChoices):
    ORDINARY = "ordinary", _("普通")
    SENSITIVE = "sensitive", _("敏感")
    DISCIPLINE = "discipline", _("执纪审查")
    CLASSIFIED = "classified", _("涉密")


# Every kind whose content is shown only to the people R-C1–C3 name.
RESTRICTED_KINDS = (
    Confidentiality.SENSITIVE,
    Confidentiality.DISCIPLINE,
    Confidentiality.CLASSIFIED,
)


class LedgerCounter(models.Model):
    """The last ledger number given per year and category; numbers are never reused."""

    year = models.PositiveSmallIntegerField()
    source_kind = models.CharField(max_length=20, choices=SourceKind.choices)
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["year", "source_kind"], name="one_counter_per_category")
        ]


def ledger_years() -> list[int]:
    """The years that have items, newest first: from the ledger's counters (a row per
    year and category), not a DISTINCT over the items. A year filter lists them all;
    a person who sees no item of a year gets an empty list for it."""
    years = compiled_rows(
        ("ledger years",),
        lambda: LedgerCounter.objects.filter(last_number__gt=0).values_list("year", flat=True),
    )
    return sorted(set(years), reverse=True)


class ItemQuerySet(models.QuerySet["Item"]):
    def visible_to(self, user: object) -> ItemQuerySet:
        from .visibility import visible_condition

        return self.filter(visible_condition(user))


# The condition of the covering indexes that the figures and the dashboard count with
# (`item_year_figures`, `item_established`, `item_completed`): every item has a lead
# unit, so it selects every row, but only a query that states it may use the indexes.
# The figures' and the dashboard's queries state it; the ledger's do not. Answered from
# such an index, a unit person's ledger tested its visibility arrays (`= ANY(ARRAY(...))`,
# a thousand cooperated items) against every row of the index, 300 ms, where it
# otherwise ORs bitmap index scans.
FIGURE_ROWS = Q(lead_unit__isnull=False)

# The columns the visibility rule (duban.items.visibility, R-C5) reads on the item row:
# the indexes that count what a person may see include them all.
VISIBILITY_COLUMNS = [
    "confidentiality",
    "supervising_office",
    "lead_unit",
    "supervisor",
    "deciding_leader",
]

# The columns the light reads besides status and deadline (duban.items.lights
# .annotate_lights: the phase reports are asked of some kinds of item only).
LIGHT_COLUMNS = ["source_kind", "assigned_at", "signed_at", "last_feedback_at"]


class Item(ChoiceLabels, models.Model):
    ledger_number = models.CharField(_("台账编号"), max_length=40, unique=True)
    year = models.PositiveSmallIntegerField(_("年度"))
    serial = models.PositiveIntegerField(_("序号"))
    title = models.CharField(_("事项名称"), max_length=200)
    content = models.TextField(_("工作内容"))
    basis = models.TextField(_("督办依据"), help_text=_("所依据的文件、会议纪要或批示"))
    source_kind = models.CharField(_("来源类别"), max_length=20, choices=SourceKind.choices)
    source_body = models.CharField(_("具体来源"), max_length=30, choices=SourceBody.choices)
    minutes_issued_on = models.DateField(_("纪要印发日期"), null=True, blank=True)
    deciding_leader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("决定立项的校领导"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="decided_items",
    )
    decided_on = models.DateField(_("领导决定日期"), null=True, blank=True)
    deadline_rule = models.CharField(_("时限依据"), max_length=20, choices=DeadlineRule.choices)
    deadline_reason = models.TextField(_("时限确定理由"), blank=True)
    original_deadline = models.DateField(_("原定办结时限"))
    deadline = models.DateField(_("办结时限"), db_index=True)
    deadline_provisional = models.BooleanField(_("时限按暂定日历计算"), default=False)
    confidentiality = models.CharField(
        _("密级类别"), max_length=20, choices=Confidentiality.choices, default="ordinary"
    )
    urgent = models.BooleanField(_("紧急事项"), default=False)
    lead_unit = models.ForeignKey(
        "organisation.Unit",
        verbose_name=_("承办单位"),
        on_delete=models.PROTECT,
        related_name="led_items",
    )
    cooperating_units = models.ManyToManyField(
        "organisation.Unit",
        verbose_name=_("配合单位"),
        blank=True,
        related_name="cooperating_items",
    )
    supervising_office = models.ForeignKey(
        "organisation.Unit",
        verbose_name=_("督办部门"),
        on_delete=models.PROTECT,
        related_name="supervised_items",
    )
    named_leaders = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("相关校领导"),
        blank=True,
        related_name="named_on_items",
        help_text=_("敏感事项仅对此处列明的校领导可见"),
    )
    supervisor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("督办员"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="supervised_items",
    )
    status = models.CharField(
        _("状态"), max_length=20, choices=Status.choices, default=Status.ESTABLISHED
    )
    established_at = models.DateTimeField(_("立项时间"))
    assigned_at = models.DateTimeField(_("交办时间"), null=True, blank=True)
    signed_at = models.DateTimeField(_("签收时间"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("报结时间"), null=True, blank=True)
    completed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    terminated_at = models.DateTimeField(_("终止时间"), null=True, blank=True)
    last_feedback_at = models.DateTimeField(_("最近反馈时间"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("立项人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ItemQuerySet.as_manager()

    class Meta:
        ordering = ["-year", "source_kind", "-serial"]
        verbose_name = _("督办事项")
        verbose_name_plural = _("督办事项")
        constraints = [
            models.UniqueConstraint(
                fields=["year", "source_kind", "serial"], name="one_serial_per_category"
            )
        ]
        indexes = [
            models.Index(fields=["lead_unit", "status"]),
            # The ledger's order (Meta.ordering): its first page is the index's first rows.
            models.Index(fields=["-year", "source_kind", "-serial"], name="item_ledger_order"),
            # The same order over the active items only: the red, yellow, overdue and
            # active-status filters walk it (a third of the items) and skip the closed
            # ones, which a unit's red items lie far behind in the ledger's order.
            models.Index(
                fields=["-year", "source_kind", "-serial"],
                name="item_ledger_order_active",
                condition=Q(status__in=ACTIVE_STATUSES),
            ),
            # The ledger's other orders (duban.web.views.LEDGER_SORTS), read in either
            # direction: by deadline, by status and by lead unit, each then by deadline.
            models.Index(fields=["deadline", "id"], name="item_sort_deadline"),
            # By status, with every column the visibility rule and the light read: the
            # light, overdue and status filters (duban.items.lights.light_filter, ranges
            # of status and deadline) are counted index-only on PostgreSQL.
            models.Index(
                fields=["status", "deadline", "id"],
                include=[*VISIBILITY_COLUMNS, *LIGHT_COLUMNS],
                name="item_sort_status",
            ),
            models.Index(fields=["lead_unit", "deadline", "id"], name="item_sort_unit"),
            # Every column the visibility rule (R-C5) reads: counting what a person may
            # see is an index-only scan on PostgreSQL, not a read of the whole table.
            models.Index(fields=VISIBILITY_COLUMNS, include=["id"], name="item_visibility"),
            # The same columns by id: the figures of events (urges, extension requests,
            # feedback, spot checks) and the inbox ask the rule of the items their rows
            # point to, looked up by id, without reading those item rows.
            models.Index(fields=["id"], include=VISIBILITY_COLUMNS, name="item_visible_by_id"),
            # A year's items by lead unit with every column the year's figures read
            # (duban.reports.figures, duban.reports.dashboard: with the light) and the
            # visibility rule:
            # counting a year of 40,000 items is an index-only scan, not a read of
            # 40,000 wide rows.
            models.Index(
                fields=["year", "lead_unit"],
                include=[
                    "id",
                    "status",
                    "source_kind",
                    "deadline",
                    "original_deadline",
                    "submitted_at",
                    "completed_at",
                    # the light (duban.items.lights.annotate_lights; LIGHT_COLUMNS,
                    # with source_kind above)
                    "assigned_at",
                    "signed_at",
                    "last_feedback_at",
                    *VISIBILITY_COLUMNS,
                ],
                name="item_year_figures",
                condition=FIGURE_ROWS,
            ),
            # The dashboard's monthly trend: items established, and items completed, in
            # a calendar year, whatever their ledger year, as index-only scans.
            models.Index(
                fields=["established_at"],
                include=["id", *VISIBILITY_COLUMNS],
                name="item_established",
                condition=FIGURE_ROWS,
            ),
            models.Index(
                fields=["completed_at"],
                include=["id", *VISIBILITY_COLUMNS],
                name="item_completed",
                condition=FIGURE_ROWS,
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ledger_number} {self.title}"

    @property
    def deadline_extended(self) -> bool:
        return self.deadline != self.original_deadline


class ItemChange(models.Model):
    """A recorded change of an established item's content, units or deadline (R-S4)."""

    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="changes")
    field = models.CharField(_("变更项"), max_length=40)
    old_value = models.TextField(_("原值"))
    new_value = models.TextField(_("新值"))
    reason = models.TextField(_("变更理由"))
    authorised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("批准领导"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("变更人"),
        null=True,  # the system's own recomputation (R-D6) has no person behind it
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("变更时间"))

    # What each changed field is called where people read the record.
    FIELD_LABELS = {
        "title": _("事项名称"),
        "content": _("工作内容"),
        "basis": _("督办依据"),
        "deadline": _("办结时限"),
        "lead_unit": _("承办单位"),
        "cooperating_units": _("配合单位"),
    }

    class Meta:
        ordering = ["created_at", "id"]

    @property
    def label(self) -> str:
        return str(self.FIELD_LABELS.get(self.field, self.field))


class WorkPlan(models.Model):
    """The lead unit's plan: goals and dated milestones (R-A3). A new plan supersedes the old."""

    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="plans")
    goals = models.TextField(_("工作目标"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("填报人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("填报时间"))
    supersedes = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="superseded_by"
    )

    class Meta:
        ordering = ["created_at", "id"]


class Milestone(models.Model):
    plan = models.ForeignKey(WorkPlan, on_delete=models.CASCADE, related_name="milestones")
    title = models.CharField(_("节点内容"), max_length=200)
    due_on = models.DateField(_("完成日期"))

    class Meta:
        ordering = ["due_on", "id"]


class FeedbackKind(models.TextChoices):
    PROGRESS = "progress", _("进展反馈")
    CONTRIBUTION = "contribution", _("配合单位报送")
    COMPLETION = "completion", _("办结报告")


class FeedbackStatus(models.TextChoices):
    AWAITING_CONFIRMATION = "awaiting_confirmation", _("待第一责任人确认")
    DECLINED = "declined", _("第一责任人退回修改")
    SUPERSEDED = "superseded", _("已被新稿替代")
    SUBMITTED = "submitted", _("已报送")
    ACCEPTED = "accepted", _("审核通过")
    RETURNED = "returned", _("审核退回")


class Feedback(models.Model):
    """A report from a unit, dated by the system and never edited (R-F7).

    A cooperating unit's contribution goes to the lead unit (R-F1); the lead unit's
    completion report includes the contributions and goes to the office once the
    first responsible person confirms it (R-F4).
    """

    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="feedback")
    unit = models.ForeignKey(
        "organisation.Unit", verbose_name=_("报送单位"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("类别"), max_length=20, choices=FeedbackKind.choices)
    text = models.TextField(_("内容"))
    status = models.CharField(_("状态"), max_length=30, choices=FeedbackStatus.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("填报人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("报送时间"))
    supersedes = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="superseded_by"
    )
    part = models.ForeignKey(
        "WorkPart",
        verbose_name=_("所报分工"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reports",
        help_text=_("配合单位就分办给本单位的分工报送时，所报的分工"),
    )
    contributions = models.ManyToManyField(
        "self", symmetrical=False, blank=True, related_name="included_in"
    )
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("确认人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审核人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    review_comment = models.TextField(_("审核意见"), blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["item", "kind", "status"])]


class Notice(models.Model):
    """A message in a person's in-app inbox, written with the event that causes it (R-A1)."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="notices"
    )
    item = models.ForeignKey(
        Item, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    created_at = models.DateTimeField(_("时间"))
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "read_at"]),
            # The inbox, its header menu and the API list a person's notices newest
            # first: a walk of this index that stops at the page. Without it the
            # database sorted every notice of the recipient, or read the whole table
            # for a person the statistics took for a typical recipient (10 ms for the
            # header's menu of a supervisor with no notices, at 100,000 notices).
            models.Index(fields=["recipient", "-created_at", "-id"], name="notice_inbox_order"),
        ]


# ----------------------------------------------------------------------------- urging (R-U*)


class UrgeChannel(models.TextChoices):
    SYSTEM = "system", _("系统通知")
    SMS = "sms", _("短信")
    PHONE = "phone", _("电话")
    VERBAL = "verbal", _("口头")
    WRITTEN = "written", _("书面通知")
    VISIT = "visit", _("上门督办")
    MEETING = "meeting", _("会议督办")


# Channels through which an urge is also sent, not only recorded (R-U2).
SENDING_URGE_CHANNELS = (UrgeChannel.SYSTEM, UrgeChannel.SMS)


class Urge(models.Model):
    """A recorded chase (催办, R-U2). Automatic reminders are urges with a `step`.

    `step` names the ladder step (R-U3, R-F2, R-F3), e.g. "deadline-3" or
    "overdue-6"; (item, step) is unique, so each step is sent exactly once however
    many sweeps run at the same time.
    """

    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="urges")
    unit = models.ForeignKey(
        "organisation.Unit",
        verbose_name=_("被催办单位"),
        on_delete=models.PROTECT,
        related_name="urges_received",
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("催办对象"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    channel = models.CharField(_("催办方式"), max_length=20, choices=UrgeChannel.choices)
    note = models.TextField(_("催办内容"), blank=True)
    urged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("催办人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("为空表示系统自动提醒"),
    )
    step = models.CharField(_("自动提醒步骤"), max_length=40, blank=True)
    # An urge of the lead unit to a cooperating unit about its part (R-A4), counted
    # apart from the office's urges of the lead unit.
    part = models.ForeignKey(
        "WorkPart",
        verbose_name=_("分工"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="urges",
    )
    created_at = models.DateTimeField(_("催办时间"))

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["item", "step"],
                condition=~models.Q(step=""),
                name="each_reminder_step_once",
            )
        ]
        indexes = [models.Index(fields=["unit", "created_at"])]

    @property
    def automatic(self) -> bool:
        return bool(self.step)

    @property
    def step_label(self) -> str:
        """The automatic reminder's step in words (duban.items.sweep.step_label)."""
        from duban.items.sweep import step_label

        return step_label(self.step) if self.step else ""


# ----------------------------------------------------------------------------- extensions (R-E*)


class ExtensionApprover(models.TextChoices):
    OFFICE = "office", _("督办部门")  # up to 3 calendar months (R-E3)
    LEADER = "leader", _("分管校领导")  # more than 3 months


class ExtensionStatus(models.TextChoices):
    PENDING = "pending", _("待审批")
    APPROVED = "approved", _("已批准")
    REJECTED = "rejected", _("未批准")
    EXPIRED = "expired", _("已失效")  # its item closed while it waited


class ExtensionRequest(models.Model):
    """The one extension application an item may ever have (R-E1: one-to-one)."""

    item = models.OneToOneField(Item, on_delete=models.PROTECT, related_name="extension_request")
    unit = models.ForeignKey(
        "organisation.Unit", verbose_name=_("申请单位"), on_delete=models.PROTECT, related_name="+"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("申请人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    current_deadline = models.DateField(_("申请时的办结时限"))
    requested_deadline = models.DateField(_("申请延至"))
    reason = models.TextField(_("延期理由"))
    approver_kind = models.CharField(
        _("审批层级"), max_length=20, choices=ExtensionApprover.choices
    )
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审批领导"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="extension_requests_to_decide",
    )
    status = models.CharField(
        _("状态"), max_length=20, choices=ExtensionStatus.choices, default=ExtensionStatus.PENDING
    )
    created_at = models.DateTimeField(_("申请时间"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审批人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    comment = models.TextField(_("审批意见"), blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "approver_kind"])]


# ----------------------------------------------------------------------------- R-T1


class DecisionKind(models.TextChoices):
    MEETING = "meeting", _("会议研究决定")
    LEADER = "leader", _("校领导同意")


class AdjustmentKind(models.TextChoices):
    TERMINATE = "terminate", _("终止")
    ADJUST = "adjust", _("调整")


class Adjustment(models.Model):
    """A termination or adjustment for objective reasons, with its authority (R-T1)."""

    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="adjustments")
    kind = models.CharField(_("类别"), max_length=20, choices=AdjustmentKind.choices)
    decision_kind = models.CharField(_("决定方式"), max_length=20, choices=DecisionKind.choices)
    meeting_name = models.CharField(_("会议名称及期次"), max_length=200, blank=True)
    meeting_date = models.DateField(_("会议日期"), null=True, blank=True)
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("同意的校领导"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    basis = models.TextField(_("决定依据"))
    reason = models.TextField(_("客观原因"))
    new_deadline = models.DateField(_("调整后的办结时限"), null=True, blank=True)
    new_content = models.TextField(_("调整后的工作内容"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("记录人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("记录时间"))

    class Meta:
        ordering = ["created_at", "id"]


# ----------------------------------------------------------------------------- recusal (R-C4)


class Recusal(models.Model):
    """A person or a unit with an interest in an item (回避). It overrides every role:
    no view, no action, no approval, never drawn for a spot check (R-C4)."""

    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="recusals")
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("回避人员"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="recusals",
    )
    unit = models.ForeignKey(
        "organisation.Unit",
        verbose_name=_("回避单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="recusals",
    )
    reason = models.TextField(_("回避理由"))
    declared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("登记时间"))

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(person__isnull=False, unit__isnull=True)
                    | models.Q(person__isnull=True, unit__isnull=False)
                ),
                name="recusal_of_a_person_or_a_unit",
            ),
            models.UniqueConstraint(fields=["item", "person"], name="one_recusal_per_person"),
            models.UniqueConstraint(fields=["item", "unit"], name="one_recusal_per_unit"),
        ]


# ----------------------------------------------------------------------------- work parts (R-A4)


class PartStatus(models.TextChoices):
    ASSIGNED = "assigned", _("待签收")
    SIGNED = "signed", _("办理中")
    REPORTED = "reported", _("已报送")
    CLOSED = "closed", _("已关闭")  # its item closed before the part was reported


OPEN_PART_STATUSES = (PartStatus.ASSIGNED, PartStatus.SIGNED)


class WorkPart(models.Model):
    """分办 (R-A4): the lead unit's division of an item's work — one cooperating unit's
    part, with its own date, no later than the item's deadline. Changed only by
    `duban.items.actions.parts`."""

    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="parts")
    unit = models.ForeignKey(
        "organisation.Unit",
        verbose_name=_("配合单位"),
        on_delete=models.PROTECT,
        related_name="work_parts",
    )
    task = models.TextField(_("分工内容"))
    deadline = models.DateField(_("完成时限"), db_index=True)
    status = models.CharField(
        _("状态"), max_length=20, choices=PartStatus.choices, default=PartStatus.ASSIGNED
    )
    needs_redate = models.BooleanField(
        _("需重新确定时限"),
        default=False,
        help_text=_("事项办结时限提前后，本分工的时限晚于事项时限，待承办单位重新确定"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("分办人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("分办时间"))
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("签收人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    signed_at = models.DateTimeField(_("签收时间"), null=True, blank=True)
    reported_at = models.DateTimeField(_("报送时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("关闭时间"), null=True, blank=True)

    class Meta:
        ordering = ["deadline", "id"]
        verbose_name = _("分工")
        verbose_name_plural = _("分工")
        indexes = [models.Index(fields=["unit", "status"])]

    def __str__(self) -> str:
        return f"{self.item.ledger_number} {self.unit} {self.deadline}"
