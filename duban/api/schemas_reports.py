"""Request and response shapes of the figures, reports, ledger file and calendar
endpoints (duban.api.reports, duban.api.ledger, duban.api.calendar).

The constraints here are the ones the server enforces, so the OpenAPI document states
them: years within the pages' range (reports.views.MIN_YEAR–MAX_YEAR), ids ≥ 1,
bounded texts, and the ledger page's own filter values.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from ninja import Field, Schema

from duban.items.models import SourceKind
from duban.items.states import Status
from duban.reports.views import MAX_YEAR, MIN_YEAR
from duban.workcalendar.calendar import NOTE_MAX_LENGTH
from duban.workcalendar.models import DayKind

from .schemas import Text, UnitId, UnitRef, server_rule

ReportYear = Annotated[
    int, Field(ge=MIN_YEAR, le=MAX_YEAR, description=f"年度（{MIN_YEAR}–{MAX_YEAR}），不填为当年")
]
# The ledger page's year filter offers the years its ledger has.
LedgerYear = Annotated[
    int,
    Field(
        ge=MIN_YEAR,
        le=MAX_YEAR,
        description="台账年度",
        json_schema_extra=server_rule("须为台账中已有事项的年度"),
    ),
]
# A year in a path, within the range the report pages accept.
PathYear = Annotated[
    int, Field(ge=MIN_YEAR, le=MAX_YEAR, description=f"年度（{MIN_YEAR}–{MAX_YEAR}）")
]
CalendarYearNumber = Annotated[int, Field(ge=1900, le=2100, description="年度（1900–2100）")]


class YearQuery(Schema):
    year: ReportYear | None = None


# ----------------------------------------------------------------------------- item rows


class Lateness(Schema):
    against_current: int = Field(description="按现办结时限超期的工作日数（R-E4）")
    against_original: int = Field(description="按原定办结时限超期的工作日数（R-E4）")


class ReportItem(Schema):
    """One row of a report or a drill-down list, as the report pages show it."""

    id: int
    ledger_number: str
    title: str
    urgent: bool
    lead_unit: UnitRef
    status: str
    status_label: str
    light: str
    light_label: str
    original_deadline: dt.date
    deadline: dt.date
    deadline_extended: bool
    lateness: Lateness | None = Field(description="已终止事项不计超期，为 null")


class ItemRef(Schema):
    id: int
    ledger_number: str
    title: str
    lead_unit: UnitRef


# ----------------------------------------------------------------------------- dashboard


class DashboardBar(Schema):
    label: str
    value: int
    highlight: bool = Field(description="校领导分管的单位")
    filters: dict[str, str] = Field(description="台账筛选条件：列出的正是这些事项")
    items_url: str = Field(description="以同样条件列出事项的接口地址")


class DashboardChart(Schema):
    key: str
    title: str
    definition: str
    total: int
    bars: list[DashboardBar]


class DashboardTrend(Schema):
    title: str
    definition: str
    months: list[str]
    established: list[int]
    completed: list[int]


class DashboardUnit(Schema):
    unit: UnitRef
    code: str
    total: int
    active: int
    overdue: int
    completed: int


class DashboardOut(Schema):
    year: int
    today: dt.date
    total: int
    overdue: int
    leader_view: bool
    charts: list[DashboardChart]
    trend: DashboardTrend
    in_charge: list[DashboardUnit] = Field(description="校领导分管的单位及其事项数")


# ----------------------------------------------------------------------------- assessment


class FigureOut(Schema):
    key: str
    label: str
    definition: str
    family: str
    available: bool = Field(description="false：该功能尚未启用，暂计为0")


class AssessmentRow(Schema):
    unit: UnitRef
    code: str
    in_charge: bool
    counts: dict[str, int] = Field(description="各项指标（键见 figures）的数值")
    completion_rate: float | None = Field(
        description="办结率 = 已办结 ÷ 牵头事项；无牵头事项为 null"
    )


class AssessmentOut(Schema):
    year: int
    today: dt.date
    own_unit_only: bool
    rate_definition: str
    figures: list[FigureOut]
    rows: list[AssessmentRow]


class FigureEvent(Schema):
    id: int
    moment: dt.datetime
    detail: str
    item: ItemRef


class FigureRowsOut(Schema):
    year: int
    unit: UnitRef
    figure: FigureOut
    count: int = Field(description="与考核表中该格的数字相同")
    lists_items: bool = Field(description="true：列出事项（items）；false：列出事件（events）")
    items: list[ReportItem]
    events: list[FigureEvent]


# ----------------------------------------------------------------------------- R-F6


class SummaryCounts(Schema):
    total: int
    completed: int
    active: int
    overdue: int


class MeetingOut(SummaryCounts):
    source_body: str
    body_label: str
    minutes_issued_on: dt.date | None
    minutes: str = Field(description="会议报告路径中的纪要日期（YYYY-MM-DD，无日期为 undated）")


class MeetingReportOut(Schema):
    source_body: str
    body_label: str
    minutes_issued_on: dt.date | None
    bases: list[str]
    items: list[ReportItem]


class LeaderRef(Schema):
    id: int
    full_name: str
    title: str


class LeaderLineOut(Schema):
    leader: LeaderRef
    in_charge: SummaryCounts = Field(description="分管单位牵头的本年度事项")
    decided: SummaryCounts = Field(description="该校领导决定立项的本年度事项")


class LeaderReportOut(Schema):
    year: int
    leader: LeaderRef
    units: list[UnitRef]
    in_charge: list[ReportItem]
    decided: list[ReportItem]


class PeriodQuery(Schema):
    start: dt.date | None = Field(
        None,
        description="起始日期（含），不填为本月1日",
        json_schema_extra=server_rule("不晚于截止日期，时段不超过五年"),
    )
    end: dt.date | None = Field(
        None,
        description="截止日期（含），不填为今天",
        json_schema_extra=server_rule("不早于起始日期，时段不超过五年"),
    )


class PeriodReportOut(Schema):
    start: dt.date
    end: dt.date
    title: str
    established: list[ReportItem]
    completed: list[ReportItem]
    overdue: list[ReportItem]


# ----------------------------------------------------------------------------- ledger


class LedgerExportQuery(Schema):
    """The ledger page's filters (and sort), as its export link sends them."""

    year: LedgerYear | None = None
    source_kind: SourceKind | None = None
    status: Status | None = None
    lead_unit: UnitId | None = None
    overdue: Literal["yes", "no"] | None = Field(None, description="yes：已超期；no：未超期")
    extension: Literal["pending"] | None = Field(None, description="pending：延期待审批")
    light: Literal["green", "yellow", "red", "grey"] | None = Field(None, description="预警灯")
    q: Annotated[Text | None, Field(max_length=100)] = Field(
        None, description="关键词：编号、名称或内容"
    )
    sort: (
        Literal["number", "-number", "deadline", "-deadline", "unit", "-unit", "status", "-status"]
        | None
    ) = Field(None, description="排序，默认 -number（台账编号倒序）")


class LedgerExportOut(Schema):
    id: int
    status: str = Field(description="queued、running、done、failed 或 expired")
    status_label: str
    description: str = Field(description="筛选条件")
    total: int
    written: int
    percent: int
    filename: str
    size: int
    message: str = Field(description="生成失败时的原因")
    created_at: dt.datetime
    finished_at: dt.datetime | None
    download_url: str | None = Field(description="完成后下载文件的接口地址")


class ImportProblem(Schema):
    row: int | None
    text: str


class ImportMappingOut(Schema):
    field: str
    header: str


class LedgerImportOut(Schema):
    id: int
    filename: str
    size: int
    sha256: str
    year: int | None
    status: str = Field(
        description="checking：正在后台检查；previewed：已检查，待确认导入；queued、running："
        "正在后台导入；imported：已导入；failed：检查或导入未成功（原因见 problems）"
    )
    status_label: str
    created_at: dt.datetime
    imported_at: dt.datetime | None
    item_count: int
    rows_done: int = Field(description="后台检查或导入中已处理的行数")
    rows_total: int = Field(description="后台检查或导入要处理的行数（读完文件后才知道）")
    dry_run: bool = Field(description="true：报告是上传时试导入（未写入）的结果")
    imported: bool
    ok: bool = Field(description="已检查完毕且没有任何问题，可以确认导入")
    row_count: int
    header_row: int | None
    mapping: list[dict[str, str]]
    unrecognised: list[str]
    problems: list[ImportProblem]
    created: list[dict[str, object]] = Field(description="导入（或将导入）的事项及其台账编号")


# ----------------------------------------------------------------------------- calendar


class CalendarDayOut(Schema):
    day: dt.date
    kind: str
    kind_label: str
    note: str
    weekday: int = Field(description="星期（1=周一 … 7=周日）")


class CalendarYearOut(Schema):
    year: int
    status: str = Field(description="official：已载入国务院安排；provisional：暂定（按周一至周五）")
    status_label: str
    provisional: bool
    source: str
    workdays: int = Field(description="全年工作日数")
    holidays: list[CalendarDayOut] = Field(description="周一至周五中的休息日（法定节假日）")
    make_up_workdays: list[CalendarDayOut] = Field(description="周六、周日中的调休上班日")


class CalendarDayIn(Schema):
    kind: DayKind = Field(description="workday：工作日；holiday：休息日")
    note: Annotated[Text, Field(max_length=NOTE_MAX_LENGTH)] = Field(
        "", description=f"备注（如“国庆节”），最多{NOTE_MAX_LENGTH}字"
    )


class CalendarDayChangedOut(Schema):
    day: CalendarDayOut
    moved: int = Field(description="因此调整的办结时限数（R-D6 重算）")
    confirmed: int = Field(description="重算后日期不变、不再暂定的办结时限数")


class CalendarFileIn(Schema):
    text: Annotated[Text, Field(min_length=1, max_length=1_000_000)] = Field(
        description="日历文件全文：每行一天，“YYYY-MM-DD workday|holiday [备注]”"
        "（或 工作日/休息日），以 # 开头的行和空行忽略；未列出的日期按周一至周五上班处理"
    )


class CalendarFileOut(Schema):
    year: int
    days: int = Field(description="存入的天数（365或366）")
    moved: int = Field(description="因此调整的办结时限数（R-D6 重算）")
    confirmed: int = Field(description="重算后日期不变、不再暂定的办结时限数")
    message: str


class HolidayNoticeIn(Schema):
    text: Annotated[Text, Field(min_length=1, max_length=100_000)] = Field(
        description="《国务院办公厅关于××××年部分节假日安排的通知》全文"
    )
    replace: bool = Field(False, description="该年度已有正式日历时，须为 true 才能载入")
    confirm: bool = Field(False, description="false：只预览，不作任何改动；true：载入")


class NoticeChangeOut(Schema):
    day: dt.date
    before: str
    after: str
    note: str


class HolidayNoticeOut(Schema):
    year: int
    message: str
    loaded: bool = Field(description="false：仅为预览，日历未改动")
    holidays: list[dt.date]
    make_up_workdays: list[dt.date]
    changes: list[NoticeChangeOut] = Field(description="与现有日历相比有变化的日期")
    moved: int = 0
    confirmed: int = 0
