"""The API's request and response shapes (they are also its OpenAPI document)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from ninja import Field, Schema
from pydantic import AfterValidator, BeforeValidator, Strict
from pydantic_core import PydanticCustomError

from duban.items.models import Confidentiality, SourceBody, SourceKind
from duban.items.plausible import MAX_MILESTONES, MAX_YEARS_AHEAD, YEAR_RANGE
from duban.items.states import Status


def _without_nul(value: str) -> str:
    # PostgreSQL cannot store NUL in text; refuse it here rather than fail in the database.
    if "\x00" in value:
        raise PydanticCustomError("nul_character", "must not contain NUL characters")
    return value


def _not_boolean(value: object) -> object:
    # JSON's true and false are not the numbers 1 and 0: `"lead_unit": true` is a mistake.
    if isinstance(value, bool):
        raise PydanticCustomError("int_type", "a boolean is not a number")
    return value


Text = Annotated[str, AfterValidator(_without_nul)]
# Row ids: positive and within a 64-bit integer, so no database sees an out-of-range value.
Id = Annotated[int, BeforeValidator(_not_boolean), Field(ge=1, le=2**63 - 1)]
# Years: the actions accept this year ± plausible.YEAR_RANGE.
Year = Annotated[
    int,
    BeforeValidator(_not_boolean),
    Field(ge=1, le=9999, description=f"年度，须在当年前后{YEAR_RANGE}年之内"),
]
# Dates a person sets: the actions accept at most plausible.MAX_YEARS_AHEAD years ahead.
LaterDate = Annotated[
    dt.date, Field(description=f"日期（YYYY-MM-DD），不得晚于今天起{MAX_YEARS_AHEAD}年")
]
# Required texts: must hold visible characters; direction controls (U+202A–E, U+2066–9) removed.
RequiredText = Annotated[
    Text, Field(description="须包含可见文字；双向控制字符（U+202A–U+202E、U+2066–U+2069）会被去除")
]
StrictBoolean = Annotated[bool, Strict()]


class ErrorOut(Schema):
    code: str
    message: str
    errors: dict[str, str] | None = None


# ----------------------------------------------------------------------------- auth and people


class TokenIn(Schema):
    username: Annotated[Text, Field(max_length=150)]
    password: Annotated[Text, Field(max_length=1024)]
    otp: Annotated[Text | None, Field(max_length=20)] = Field(
        None,
        description="动态验证码：督办员和管理员必填，为其身份验证器应用当前显示的6位数字",
    )


class TokenOut(Schema):
    token: str
    expires_at: dt.datetime


class UnitRef(Schema):
    id: int
    name: str


class MeOut(Schema):
    id: int
    username: str
    full_name: str
    role: str
    role_label: str
    title: str
    unit: UnitRef | None


class UnitOut(Schema):
    id: int
    code: str
    name: str
    kind: str
    kind_label: str
    is_active: bool
    head: str | None
    liaison: str | None
    leader_in_charge: str | None


# ----------------------------------------------------------------------------- items out


class ItemSummary(Schema):
    id: int
    ledger_number: str
    year: int
    title: str
    source_kind: str
    source_kind_label: str
    source_body: str
    source_body_label: str
    status: str
    status_label: str
    deadline: dt.date
    original_deadline: dt.date
    deadline_provisional: bool
    overdue: bool
    confidentiality: str
    urgent: bool
    lead_unit: UnitRef
    cooperating_units: list[UnitRef]
    supervising_office: UnitRef
    established_at: dt.datetime
    # Warning light (R-U4) and progress flags (R-U1, R-F3): duban.items.lights.
    light: Literal["green", "yellow", "red", "grey"]
    light_label: str
    light_meaning: str
    no_progress: bool
    missed_milestone: bool
    missed_phase_report: bool


class ItemPage(Schema):
    count: int
    page: int
    page_size: int
    results: list[ItemSummary]


class TimelineEntry(Schema):
    created_at: dt.datetime
    actor: str | None
    verb: str
    summary: str


class ChangeOut(Schema):
    id: int
    field: str
    old_value: str
    new_value: str
    reason: str
    authorised_by: str | None
    changed_by: str | None
    created_at: dt.datetime


class MilestoneOut(Schema):
    title: str
    due_on: dt.date


class PlanOut(Schema):
    id: int
    goals: str
    author: str
    created_at: dt.datetime
    supersedes: int | None
    current: bool
    milestones: list[MilestoneOut]


class FeedbackOut(Schema):
    id: int
    kind: str
    kind_label: str
    unit: UnitRef
    status: str
    status_label: str
    text: str
    author: str
    created_at: dt.datetime
    supersedes: int | None
    current: bool
    confirmed_by: str | None
    confirmed_at: dt.datetime | None
    reviewed_by: str | None
    reviewed_at: dt.datetime | None
    review_comment: str
    contributions: list[int]


class ExtensionRequestOut(Schema):
    """The item's one extension application (R-E1) and its route (R-E3)."""

    id: int
    unit: UnitRef
    requested_by: str
    created_at: dt.datetime
    current_deadline: dt.date
    requested_deadline: dt.date
    reason: str
    approver_kind: str
    approver_kind_label: str
    approver: str | None
    approver_id: int | None
    status: str
    status_label: str
    decided_by: str | None
    decided_at: dt.datetime | None
    comment: str


class AdjustmentOut(Schema):
    """A termination or adjustment, with the decision behind it (R-T1)."""

    id: int
    kind: str
    kind_label: str
    decision_kind: str
    decision_kind_label: str
    meeting_name: str
    meeting_date: dt.date | None
    leader: str | None
    basis: str
    reason: str
    new_deadline: dt.date | None
    new_content: str
    recorded_by: str
    created_at: dt.datetime


class LatenessOut(Schema):
    """Working days late against the current and the original deadline (R-E4)."""

    against_current: int
    against_original: int


class UrgeOut(Schema):
    """A recorded urge (R-U2); `automatic` ones are the reminder ladder's steps."""

    id: int
    channel: str
    channel_label: str
    unit: UnitRef
    recipient: str | None
    recipient_id: int | None
    note: str
    urged_by: str | None
    automatic: bool
    step: str
    created_at: dt.datetime


class ItemDetail(ItemSummary):
    content: str
    basis: str
    deadline_rule: str
    deadline_rule_label: str
    deadline_reason: str
    minutes_issued_on: dt.date | None
    deciding_leader: str | None
    deciding_leader_id: int | None
    decided_on: dt.date | None
    supervisor: str | None
    assigned_at: dt.datetime | None
    signed_at: dt.datetime | None
    submitted_at: dt.datetime | None
    completed_at: dt.datetime | None
    last_feedback_at: dt.datetime | None
    updated_at: dt.datetime
    timeline: list[TimelineEntry]
    changes: list[ChangeOut]
    plans: list[PlanOut]
    feedback: list[FeedbackOut]
    extension_request: ExtensionRequestOut | None
    adjustments: list[AdjustmentOut]
    terminated_at: dt.datetime | None
    lateness: LatenessOut
    urges: list[UrgeOut]
    allowed_actions: list[str]


# ----------------------------------------------------------------------------- items in


class ItemFilters(Schema):
    """The ledger's filters."""

    year: Annotated[int | None, Field(ge=1, le=9999)] = None
    source_kind: SourceKind | None = None
    status: Status | None = None
    lead_unit: Id | None = None
    overdue: bool | None = Field(
        None, description="true: past the deadline and still active; false: the others"
    )
    q: Annotated[Text | None, Field(max_length=200)] = Field(
        None, description="keyword in title, content or ledger number"
    )
    extension: Literal["pending"] | None = Field(
        None, description="pending: an extension request awaits its approver (R-E3)"
    )
    light: Literal["green", "yellow", "red", "grey"] | None = Field(
        None, description="the warning light (R-U4)"
    )
    page: Annotated[int, Field(ge=1, le=1_000_000)] = 1
    page_size: Annotated[int, Field(ge=1, le=100)] = 20


class EstablishIn(Schema):
    """Mirrors `actions.EstablishInput`; units and people by id, dates ISO."""

    title: RequiredText
    content: RequiredText
    basis: RequiredText
    source_kind: SourceKind
    source_body: SourceBody
    lead_unit: Id
    cooperating_units: list[Id] = []
    confidentiality: Confidentiality = Confidentiality.ORDINARY
    urgent: StrictBoolean = False
    year: Year | None = None
    minutes_issued_on: dt.date | None = None
    minutes_deadline: LaterDate | None = None
    office_deadline: LaterDate | None = None
    office_reason: Text = ""
    instruction_deadline: LaterDate | None = None
    deciding_leader: Id | None = None
    decided_on: dt.date | None = None


class ReasonIn(Schema):
    reason: RequiredText


class TextIn(Schema):
    text: Text


class ReassignIn(Schema):
    note: Text
    lead_unit: Id | None = None
    cooperating_units: list[Id] | None = None


class ChangeIn(Schema):
    reason: Text
    authorised_by: Id | None = None
    title: Text | None = None
    content: Text | None = None
    basis: Text | None = None
    deadline: LaterDate | None = None


class MilestoneIn(Schema):
    title: Text
    due_on: dt.date


class PlanIn(Schema):
    goals: RequiredText
    milestones: Annotated[
        list[MilestoneIn],
        Field(max_length=MAX_MILESTONES, description=f"时间节点，1至{MAX_MILESTONES}个"),
    ]


class ReviewIn(Schema):
    accept: StrictBoolean
    comment: Text = ""


# ----------------------------------------------------------------------------- notices


class NoticeFilters(Schema):
    unread: bool | None = None
    page: Annotated[int, Field(ge=1, le=1_000_000)] = 1
    page_size: Annotated[int, Field(ge=1, le=100)] = 20


class NoticeOut(Schema):
    id: int
    title: str
    body: str
    item_id: int | None
    created_at: dt.datetime
    read_at: dt.datetime | None


class NoticePage(Schema):
    count: int
    unread: int
    page: int
    page_size: int
    results: list[NoticeOut]
