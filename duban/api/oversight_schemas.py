"""Request and response shapes of the spot-check and documents endpoints
(`duban.api.spotchecks`, `duban.api.documents`).

What the OpenAPI document can say, it says: required texts are non-empty
(`minLength`, `pattern`), ids are ≥ 1, lengths match the models, choices are enums,
and fields that go together are written as `oneOf` alternatives. What only the server
can judge — a rule against stored rows or against today's date — is stated in the
field's description and marked `x-server-rule` (see `schemas.server_rule`). The
actions still check everything themselves, with their own Chinese messages.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from ninja import Field, Schema
from pydantic.json_schema import JsonDict

from duban.documents.actions import FIRST_YEAR
from duban.items.plausible import MAX_YEARS_AHEAD, TEXT_LIMIT
from duban.spotchecks.models import CheckMethod, CheckResult, RectificationStatus, SizeMethod
from duban.spotchecks.sampling import SEED_LIMIT

from .schemas import Id, RequiredText, StrictBoolean, Text, UnitRef, longest, server_rule

# ----------------------------------------------------------------------------- spot checks


def _exactly_one_of(*names: str) -> JsonDict:
    """JSON Schema: exactly one of `names` is given (present and not null)."""
    return {
        "oneOf": [
            {"required": [name], "properties": {name: {"not": {"type": "null"}}}} for name in names
        ]
    }


class DrawIn(Schema):
    """随机抽查 (R-K1): the completed items of the period, by count or by percentage
    (exactly one of the two)."""

    model_config = {"json_schema_extra": _exactly_one_of("count", "percentage")}

    period_start: dt.date = Field(
        description="办结日期自（YYYY-MM-DD）",
        json_schema_extra=server_rule("须有本期间办结、本人可见且未回避的事项"),
    )
    period_end: dt.date = Field(
        description="办结日期至（YYYY-MM-DD）",
        json_schema_extra=server_rule("不得早于 period_start"),
    )
    count: Annotated[int, Field(ge=1, le=2**31 - 1)] | None = Field(
        None,
        description="抽取数量（与 percentage 二选一）",
        json_schema_extra=server_rule("不得超过该期间可抽查的事项数"),
    )
    percentage: Annotated[int, Field(ge=1, le=100)] | None = Field(
        None, description="抽取比例，百分数，向上取整（与 count 二选一）"
    )
    seed: Annotated[int, Field(ge=0, lt=SEED_LIMIT)] | None = Field(
        None, description="随机种子；留空由系统生成，填写同一种子可重现抽取结果"
    )


class DrawSummaryOut(Schema):
    id: int
    period_start: dt.date
    period_end: dt.date
    method_of_size: SizeMethod
    method_of_size_label: str
    requested: int
    seed: int
    population_size: int
    sample_size: int
    checked: int
    problems: int
    drawn_by: str | None
    drawn_at: dt.datetime


class CheckItemOut(Schema):
    """A drawn item; null where the reader may not see it (R-C4, R-C5)."""

    id: int
    ledger_number: str
    title: str
    lead_unit: UnitRef


class SpotCheckOut(Schema):
    id: int
    draw_id: int
    position: int
    item_id: int | None = Field(description="抽中的事项；读者无权查看时为 null")
    item: CheckItemOut | None
    method: CheckMethod | Literal[""]
    method_label: str
    result: CheckResult | Literal[""]
    result_label: str
    finding: str
    checked_by: str | None
    checked_at: dt.datetime | None
    rectification_id: int | None
    allowed_actions: list[Literal["record"]]


class ReproductionOut(Schema):
    """重新演算: the sample worked out again from the stored seed and population."""

    size: int
    recomputed: list[int]
    matches: bool


class DrawOut(DrawSummaryOut):
    population: list[int]
    checks: list[SpotCheckOut]
    reproduction: ReproductionOut


# Recording a check: its result decides what else goes with it.
_RESULTS: JsonDict = {
    "oneOf": [
        {
            "properties": {
                "result": {"const": CheckResult.OK.value},
                "rectification_requirement": {"maxLength": 0},
                "rectification_deadline": {"type": "null"},
            }
        },
        {
            "required": ["rectification_requirement", "rectification_deadline"],
            "properties": {
                "result": {"const": CheckResult.PROBLEM.value},
                "rectification_requirement": {"minLength": 1, "pattern": r"\S"},
                "rectification_deadline": {"type": "string", "format": "date"},
            },
        },
    ]
}


class CheckIn(Schema):
    """回访/复查 of one drawn item. `result` problem needs `rectification_requirement`
    and `rectification_deadline`; `ok` takes neither."""

    model_config = {"json_schema_extra": _RESULTS}

    method: CheckMethod = Field(description="抽查方式：revisit（回访）、review（复查）")
    result: CheckResult = Field(description="抽查结论：ok（未发现问题）、problem（发现问题）")
    finding: Annotated[RequiredText, longest(TEXT_LIMIT)] = Field(description="抽查情况")
    rectification_requirement: Annotated[Text, longest(TEXT_LIMIT)] = Field(
        "", description="整改要求：结论为 problem 时必填，为 ok 时不填"
    )
    rectification_deadline: dt.date | None = Field(
        None,
        description="整改期限：结论为 problem 时必填，为 ok 时不填",
        json_schema_extra=server_rule(f"不得早于今天，也不得晚于今天起{MAX_YEARS_AHEAD}年"),
    )


class RectificationReportOut(Schema):
    id: int
    text: str
    submitted_by: str | None
    submitted_at: dt.datetime
    outcome: str
    outcome_label: str
    comment: str
    decided_by: str | None
    decided_at: dt.datetime | None


class RectificationSummaryOut(Schema):
    id: int
    item_id: int
    item_ledger_number: str
    item_title: str
    unit: UnitRef
    requirement: str
    deadline: dt.date
    status: RectificationStatus
    status_label: str
    light: Literal["green", "yellow", "red", "grey"]


class RectificationOut(RectificationSummaryOut):
    spot_check_id: int
    draw_id: int
    created_by: str | None
    created_at: dt.datetime
    updated_at: dt.datetime
    checked_by: str | None
    reports: list[RectificationReportOut]
    allowed_actions: list[Literal["submit", "decide"]]


class RectificationReportIn(Schema):
    text: Annotated[RequiredText, longest(TEXT_LIMIT)] = Field(description="整改情况")


_DECISIONS: JsonDict = {
    "oneOf": [
        {"properties": {"accept": {"const": True}}},
        {
            "required": ["comment"],
            "properties": {
                "accept": {"const": False},
                "comment": {"minLength": 1, "pattern": r"\S"},
            },
        },
    ]
}


class RectificationDecisionIn(Schema):
    """The office accepts the reported rectification, or returns it with a reason."""

    model_config = {"json_schema_extra": _DECISIONS}

    accept: StrictBoolean = Field(description="true：整改通过；false：退回重新整改")
    comment: Annotated[Text, longest(TEXT_LIMIT)] = Field(
        "", description="审核意见；退回（accept 为 false）时必填，写明理由"
    )


# ----------------------------------------------------------------------------- documents


class CircularIn(Schema):
    start: dt.date = Field(
        description="通报期间起（YYYY-MM-DD）", json_schema_extra=server_rule("不得晚于今天")
    )
    end: dt.date = Field(
        description="通报期间止（YYYY-MM-DD）",
        json_schema_extra=server_rule("不得早于 start，且与 start 相距不超过366天"),
    )
    file_format: Literal["docx", "pdf"] = Field(description="文件格式：docx（Word）或 pdf")


class CircularOut(Schema):
    id: int
    document_number: str
    year: int
    number: int
    period_start: dt.date
    period_end: dt.date
    created_by: str | None
    created_at: dt.datetime


class PendingYearOut(Schema):
    year: int
    count: int


class VolumeSummaryOut(Schema):
    id: int
    title: str
    year: int
    number: int
    entry_count: int
    filed_by: str | None
    filed_at: dt.datetime


class VolumesOut(Schema):
    pending: list[PendingYearOut]
    volumes: list[VolumeSummaryOut]


class ItemToFileOut(Schema):
    id: int
    ledger_number: str
    title: str
    lead_unit: UnitRef
    status: str
    status_label: str
    closed_on: dt.date | None


class VolumeFilters(Schema):
    year: Annotated[int, Field(ge=FIRST_YEAR, le=9999)] = Field(
        description="办结或终止的年度", json_schema_extra=server_rule("不得晚于今年")
    )


class VolumeIn(Schema):
    """立卷归档 cannot be undone: the client first reads what would be filed
    (GET /documents/volumes/to-file?year=…) and sends back exactly those ids."""

    year: Annotated[int, Field(ge=FIRST_YEAR, le=9999)] = Field(
        description="办结或终止的年度",
        json_schema_extra=server_rule("不得晚于今年，且该年度须有待归档的事项"),
    )
    items: Annotated[list[Id], Field(min_length=1, max_length=100_000)] = Field(
        description="确认归档的事项编号",
        json_schema_extra=server_rule(
            "须恰为该年度当前待归档的全部事项；若已有变化，答复 409，什么也不改"
        ),
    )


class VolumeEntryOut(Schema):
    position: int
    item: ItemToFileOut


class VolumeOut(VolumeSummaryOut):
    office: UnitRef
    entries: list[VolumeEntryOut]
