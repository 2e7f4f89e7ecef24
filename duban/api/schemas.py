"""The API's request and response shapes (they are also its OpenAPI document).

The document states every constraint the server enforces on input. What JSON Schema
can say it says: required texts are non-empty (`minLength` 1 and a visible
character, `pattern` \\S), ids are ≥ 1, lengths match the models' fields, choices
are enums. Fields that go together are said in their descriptions. A rule only the
server can judge — against stored rows or today's date — is named in the field's
`x-server-rule` (`server_rule`), which `duban.api.openapi` also adds to the field's
description. The JSON-Schema-only keywords (`json_schema_extra`) do not change what
pydantic accepts: the actions check the same things with their own Chinese messages.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from ninja import Field, Schema
from pydantic import AfterValidator, BeforeValidator, Strict
from pydantic.json_schema import JsonDict
from pydantic_core import PydanticCustomError

from duban.items.models import Confidentiality, SourceBody, SourceKind
from duban.items.plausible import MAX_MILESTONES, MAX_YEARS_AHEAD, TEXT_LIMIT, YEAR_RANGE
from duban.items.states import Status
from duban.web.paging import COUNT_LIMIT


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


def server_rule(rule: str) -> JsonDict:
    """A field's rule that only the server can judge (against stored rows or today's
    date), for the OpenAPI document: `x-server-rule`, also appended to its description."""
    return {"x-server-rule": rule}


Text = Annotated[str, AfterValidator(_without_nul)]
# Row ids: positive and within a 64-bit integer, so no database sees an out-of-range value.
# (The bounds come before the validator: after it, pydantic would write them into the
# document as "ge"/"le", which JSON Schema does not know, instead of minimum/maximum.)
Id = Annotated[int, Field(ge=1, le=2**63 - 1), BeforeValidator(_not_boolean)]
# Years: the actions accept this year ± plausible.YEAR_RANGE.
Year = Annotated[
    int,
    Field(
        ge=1,
        le=9999,
        description=f"年度，须在当年前后{YEAR_RANGE}年之内",
        json_schema_extra=server_rule(f"须在当年前后{YEAR_RANGE}年之内"),
    ),
    BeforeValidator(_not_boolean),
]
# Dates a person sets: the actions accept at most plausible.MAX_YEARS_AHEAD years ahead.
LaterDate = Annotated[
    dt.date,
    Field(
        description=f"日期（YYYY-MM-DD），不得晚于今天起{MAX_YEARS_AHEAD}年",
        json_schema_extra=server_rule(f"不得晚于今天起{MAX_YEARS_AHEAD}年"),
    ),
]
# Required texts: must hold visible characters; direction controls (U+202A–E, U+2066–9) removed.
# (minLength and pattern are said to clients; the actions refuse blank text in words.)
RequiredText = Annotated[
    Text,
    Field(
        description="须包含可见文字；双向控制字符（U+202A–U+202E、U+2066–U+2069）会被去除",
        json_schema_extra={
            "minLength": 1,
            "pattern": r"\S",
            **server_rule("须包含可见文字（空格、零宽字符等不可见字符不算）"),
        },
    ),
]


def longest(limit: int) -> Any:
    """`maxLength` said to clients; the actions refuse longer text in their own words
    (plausible.TEXT_LIMIT, the title's 200), so pydantic does not check it first."""
    return Field(json_schema_extra={"maxLength": limit})


# A required text about an item: on a classified item (R-C3) only “线下报送”.
ItemText = Annotated[
    RequiredText,
    Field(
        json_schema_extra=server_rule(
            "须包含可见文字；涉密事项（R-C3）不得录入内容，只能填写“线下报送”"
        )
    ),
]
ACTIVE_UNIT = "须为已有、启用的单位的编号"
LATER = f"不得晚于今天起{MAX_YEARS_AHEAD}年"
CHANGED_TEXT = "如填写，须包含可见文字且与原值不同；涉密事项不得变更内容"
LongRequiredText = Annotated[RequiredText, longest(TEXT_LIMIT)]
# Ids of rows a body refers to: the row must exist (400 naming the field otherwise).
UnitId = Annotated[Id, Field(json_schema_extra=server_rule("须为已有单位的编号"))]
PersonId = Annotated[Id, Field(json_schema_extra=server_rule("须为已有人员的编号"))]
StrictBoolean = Annotated[bool, Strict()]


def comment_needed_unless(flag: str) -> JsonDict:
    """JSON Schema of a decision: `flag` true, or false with a reason in `comment`."""
    return {
        "oneOf": [
            {"properties": {flag: {"const": True}}},
            {
                "required": ["comment"],
                "properties": {
                    flag: {"const": False},
                    "comment": {"minLength": 1, "pattern": r"\S"},
                },
            },
        ]
    }


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
    count: int = Field(
        description=f"匹配的事项数，最多计到{COUNT_LIMIT}；"
        "超过时 more 为 true，可用筛选条件缩小范围。"
    )
    more: bool = Field(
        description=f"匹配的事项是否多于{COUNT_LIMIT}项（count 只计到{COUNT_LIMIT}）。"
    )
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
    """Mirrors `actions.EstablishInput`; units and people by id, dates ISO.

    Which fields go together depends on `source_kind` (R-D1–D5, R-S2):
    - `meeting`: `source_body` one of standing_committee, president_meeting,
      secretary_meeting; and either `minutes_deadline` (the deadline the minutes name),
      or `office_deadline` with `office_reason`, or `minutes_issued_on` (the deadline is
      then the 10th working day after it) — never both deadlines;
    - `annual`: `source_body` work_points or major_plan; `year` (default this year);
    - `other`: `source_body` one of superior, instruction, party_congress,
      staff_congress, party_plenary, special_meeting; `instruction_deadline`,
      `deciding_leader` and `decided_on` are required.
    A classified item (R-C3) carries no content: `content` and `basis` say “线下报送”.
    """

    title: Annotated[RequiredText, longest(200)] = Field(description="事项名称")
    content: Annotated[ItemText, longest(TEXT_LIMIT)] = Field(description="工作内容")
    basis: Annotated[ItemText, longest(TEXT_LIMIT)] = Field(
        description="督办依据：所依据的文件、会议纪要或批示"
    )
    source_kind: SourceKind = Field(description="来源类别（R-S1）")
    source_body: SourceBody = Field(
        description="具体来源，须与来源类别相符（见上）",
        json_schema_extra=server_rule("须与 source_kind 相符"),
    )
    lead_unit: Annotated[UnitId, Field(json_schema_extra=server_rule(ACTIVE_UNIT))] = Field(
        description="承办单位"
    )
    cooperating_units: Annotated[
        list[UnitId],
        Field(json_schema_extra=server_rule(ACTIVE_UNIT + "，且不含承办单位")),
    ] = Field([], description="配合单位，可为空")
    confidentiality: Confidentiality = Field(
        Confidentiality.ORDINARY,
        description="密级类别；discipline 由纪委办公室、classified 由保密办公室的督办员立项",
    )
    urgent: StrictBoolean = False
    year: Year | None = Field(None, description="年度：仅 annual 使用，默认当年")
    minutes_issued_on: dt.date | None = Field(
        None,
        description="会议纪要印发日期：meeting 且未填 minutes_deadline、office_deadline 时必填",
        json_schema_extra=server_rule("不得晚于今天；按它计算的时限（第10个工作日）不得早于今天"),
    )
    minutes_deadline: LaterDate | None = Field(
        None,
        description="纪要明确的时限（meeting，与 office_deadline 只填一个）",
        json_schema_extra=server_rule(LATER + "；不得早于今天"),
    )
    office_deadline: LaterDate | None = Field(
        None,
        description="督办部门根据实际确定的时限（meeting，须同时填写 office_reason）",
        json_schema_extra=server_rule(LATER + "；不得早于今天；不能与 minutes_deadline 同填"),
    )
    office_reason: Annotated[Text, longest(TEXT_LIMIT)] = Field(
        "",
        description="自定时限的理由：填写 office_deadline 时必填",
        json_schema_extra=server_rule("填写 office_deadline 时须包含可见文字"),
    )
    instruction_deadline: LaterDate | None = Field(
        None,
        description="批示明确的时限：other 必填",
        json_schema_extra=server_rule("source_kind 为 other 时必填；" + LATER + "；不得早于今天"),
    )
    deciding_leader: PersonId | None = Field(
        None,
        description="作出决定的校领导：other 必填",
        json_schema_extra=server_rule("source_kind 为 other 时必填，须为校领导"),
    )
    decided_on: dt.date | None = Field(
        None,
        description="校领导作出决定的日期：other 必填",
        json_schema_extra=server_rule("source_kind 为 other 时必填，不得晚于今天"),
    )


class ReasonIn(Schema):
    reason: Annotated[ItemText, longest(TEXT_LIMIT)] = Field(description="理由")


class TextIn(Schema):
    text: Annotated[ItemText, longest(TEXT_LIMIT)] = Field(description="内容")


class ReassignIn(Schema):
    note: Annotated[ItemText, longest(TEXT_LIMIT)] = Field(description="重新交办说明")
    lead_unit: (
        Annotated[UnitId, Field(json_schema_extra=server_rule(ACTIVE_UNIT + "，且未登记回避"))]
        | None
    ) = Field(None, description="新的承办单位；不填则仍交原承办单位")
    cooperating_units: list[UnitId] | None = Field(None, description="新的配合单位；不填则不变")


class ChangeIn(Schema):
    """A recorded change (R-S4): `reason` and at least one of `title`, `content`,
    `basis`, `deadline`; `authorised_by` (a school leader) for `other` items."""

    model_config = {
        "json_schema_extra": {
            "anyOf": [
                {"required": [name], "properties": {name: {"not": {"type": "null"}}}}
                for name in ("title", "content", "basis", "deadline")
            ]
        }
    }

    reason: Annotated[ItemText, longest(TEXT_LIMIT)] = Field(description="变更理由")
    authorised_by: PersonId | None = Field(
        None,
        description="同意变更的校领导：来源类别为 other 的事项必填",
        json_schema_extra=server_rule("须为校领导；other 事项必填"),
    )
    title: Annotated[Text, longest(200)] | None = Field(
        None,
        description="新的事项名称",
        json_schema_extra=server_rule(CHANGED_TEXT),
    )
    content: Annotated[Text, longest(TEXT_LIMIT)] | None = Field(
        None, description="新的工作内容", json_schema_extra=server_rule(CHANGED_TEXT)
    )
    basis: Annotated[Text, longest(TEXT_LIMIT)] | None = Field(
        None, description="新的督办依据", json_schema_extra=server_rule(CHANGED_TEXT)
    )
    deadline: LaterDate | None = Field(
        None,
        description="新的办结时限",
        json_schema_extra=server_rule(LATER + "；须与原时限不同"),
    )


class MilestoneIn(Schema):
    title: Annotated[ItemText, longest(200)] = Field(description="节点内容")
    due_on: dt.date = Field(
        description="节点日期", json_schema_extra=server_rule("不得晚于事项的办结时限")
    )


class PlanIn(Schema):
    goals: Annotated[ItemText, longest(TEXT_LIMIT)] = Field(description="工作目标")
    milestones: Annotated[
        list[MilestoneIn],
        Field(
            max_length=MAX_MILESTONES,
            description=f"时间节点，1至{MAX_MILESTONES}个",
            # (said to clients; the action refuses an empty plan in words)
            json_schema_extra={"minItems": 1, **server_rule("节点日期不得晚于事项的办结时限")},
        ),
    ]


class ReviewIn(Schema):
    """The office's review (R-F5): accept, or return with a reason in `comment`."""

    model_config = {"json_schema_extra": comment_needed_unless("accept")}

    accept: StrictBoolean = Field(description="true：审核通过（事项办结）；false：退回")
    comment: Annotated[Text, longest(TEXT_LIMIT)] = Field(
        "",
        description="审核意见；退回（accept 为 false）时必填，写明理由",
        json_schema_extra=server_rule("退回时须包含可见文字；涉密事项只能填写“线下报送”"),
    )


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
