"""Circulars (通报, R-K4): the figures of a period as an official .docx and as a PDF,
through the visibility rule (R-C5), numbered, audited, for the office only.

A known set of items is built through the real actions with the clock moved day by
day in September 2026 (official calendar: the 20th, a Sunday, is a make-up working
day, the 25th is the Mid-Autumn holiday); the circular of September is generated on
Monday 12 October.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from docx import Document
from docx.oxml.ns import qn
from pypdf import PdfReader

from duban.audit.models import AuditEvent
from duban.documents import actions as documents
from duban.documents.circulars import period_label
from duban.documents.figures import Period, unit_figures
from duban.documents.models import Circular
from duban.items import actions
from duban.items.errors import InvalidInput, PermissionRefused
from duban.items.models import Item
from tests.conftest import Org, establish

SHANGHAI = ZoneInfo("Asia/Shanghai")
SEPTEMBER = (dt.date(2026, 9, 1), dt.date(2026, 9, 30))
GENERATED_ON = dt.date(2026, 10, 12)
TITLE = "关于2026年9月督办工作完成情况的通报"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def at(day: dt.date, hour: int = 10) -> Any:
    return time_machine.travel(
        dt.datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI), tick=False
    )


def on(month: int, day: int) -> dt.date:
    return dt.date(2026, month, day)


def complete(org: Org, item: Item, reported: dt.date, accepted: dt.date) -> None:
    with at(reported):
        actions.draft_completion_report(org.lead_liaison, item, "已完成全部工作。")
        actions.confirm_report(org.lead_head, item)
    with at(accepted):
        actions.review_report(org.office_supervisor, item, accept=True)


def start(org: Org, item: Item, day: dt.date, liaison: Any = None) -> None:
    with at(day):
        actions.assign_item(org.office_supervisor, item)
        actions.sign_for_item(liaison or org.lead_liaison, item)


@dataclass
class September:
    on_time: Item  # reported before its deadline, accepted after it
    late: Item  # reported after its deadline
    overdue: Item  # open, 6 working days past its deadline on the 30th, urged twice
    other_unit: Item  # 财务处's, in progress, due in October
    closed_before: Item  # completed in August: not in September's circular
    terminated: Item  # terminated in September: supervised, neither completed nor late
    after: Item  # established in October: not in September's circular
    recused: Item  # overdue, but the office supervisor is recused: not seen, not counted


def build_september(org: Org) -> September:
    with at(on(8, 3)):
        closed_before = establish(
            org, title="八月已办结事项", lead_unit=org.other_unit, cooperating_units=[],
            minutes_deadline=on(8, 20),
        )  # fmt: skip
    with at(on(8, 4)):
        actions.assign_item(org.office_supervisor, closed_before)
        actions.sign_for_item(org.other_unit_liaison, closed_before)
        actions.draft_completion_report(org.other_unit_liaison, closed_before, "已完成。")
    with at(on(8, 19)):
        unit = org.other_unit
        actions.confirm_report(unit.head, closed_before)
        actions.review_report(org.office_supervisor, closed_before, accept=True)

    with at(on(8, 20)):
        on_time = establish(org, title="按期办结事项", minutes_deadline=on(9, 10))
    start(org, on_time, on(8, 21))
    complete(org, on_time, reported=on(9, 9), accepted=on(9, 11))

    with at(on(9, 1)):
        late = establish(org, title="逾期办结事项", minutes_deadline=on(9, 10))
    start(org, late, on(9, 1))
    complete(org, late, reported=on(9, 14), accepted=on(9, 15))

    with at(on(9, 2)):
        overdue = establish(org, title="修订研究生招生工作方案", minutes_deadline=on(9, 21))
    start(org, overdue, on(9, 2))
    for day in (on(9, 22), on(9, 23)):
        with at(day):
            actions.urge_item(
                org.office_supervisor,
                overdue,
                channel="phone",
                recipient=org.lead_liaison,
                note="电话催促尽快办理",
            )

    with at(on(9, 3)):
        other_unit = establish(
            org, title="财务处在办事项", lead_unit=org.other_unit, cooperating_units=[],
            minutes_deadline=on(10, 30),
        )  # fmt: skip
    start(org, other_unit, on(9, 3), liaison=org.other_unit_liaison)

    with at(on(9, 4)):
        terminated = establish(org, title="终止事项", minutes_deadline=on(9, 25))
    with at(on(9, 8)):
        actions.terminate_item(
            org.office_supervisor,
            terminated,
            decision_kind="leader",
            leader=org.leader_in_charge,
            basis="王校长批示",
            reason="上级政策调整",
        )

    with at(on(9, 5)):
        recused = establish(org, title="回避事项", minutes_deadline=on(9, 10))
        actions.assign_item(org.office_supervisor, recused)
        actions.declare_recusal(
            org.office_supervisor,
            recused,
            reason="本人亲属在承办单位",
            person=org.office_supervisor,
        )

    with at(on(10, 9)):
        after = establish(org, title="十月立项事项", minutes_deadline=on(10, 30))
    return September(on_time, late, overdue, other_unit, closed_before, terminated, after, recused)


@pytest.fixture
def september(org: Org) -> September:
    return build_september(org)


@pytest.fixture
def generation_day() -> Iterator[None]:
    with at(GENERATED_ON):
        yield


def signed_in(client: Client, user: Any) -> Client:
    client.force_login(user)
    return client


def post_circular(client: Client, file_format: str, period: tuple[dt.date, dt.date] = SEPTEMBER):
    return client.post(
        reverse("documents-circulars"),
        {"start": period[0].isoformat(), "end": period[1].isoformat(), "file_format": file_format},
    )


def paragraphs(document: Any) -> list[str]:
    return [paragraph.text for paragraph in document.paragraphs]


def table_rows(table: Any) -> list[list[str]]:
    return [[cell.text for cell in row.cells] for row in table.rows]


# ----------------------------------------------------------------------------- figures

EXPECTED_FIGURES = [
    [
        "承办单位",
        "承办事项数",
        "已办结",
        "按期办结",
        "超期未办结",
        "催办次数",
        "人工催办",
        "自动催办",
    ],
    ["教务处", "4", "2", "1", "1", "2", "2", "0"],
    ["财务处", "1", "0", "0", "0", "0", "0", "0"],
    ["合计", "5", "2", "1", "1", "2", "2", "0"],
]


def test_r_k4_figures_of_a_period(org: Org, september: September, generation_day: None) -> None:
    rows = unit_figures(org.office_supervisor, org.office, Period(*SEPTEMBER))
    assert [
        (row.unit_name, row.led, row.completed, row.completed_on_time, row.overdue, row.urges)
        for row in rows
    ] == [("教务处", 4, 2, 1, 1, 2), ("财务处", 1, 0, 0, 0, 0)]


def test_r_k4_automatic_and_manual_urges_are_counted_apart(org: Org) -> None:
    """R-U2: the sweep's reminders are urges; the circular counts them beside the
    office's own, each in its column (the reminders before the deadline not at all)."""
    from duban.items.sweep import run_sweep

    with time_machine.travel(dt.datetime(2026, 9, 1, 9, 0, tzinfo=SHANGHAI), tick=False):
        item = establish(org, minutes_deadline=dt.date(2026, 9, 10))
        actions.assign_item(org.office_supervisor, item)
    for day in (8, 10, 11, 16):  # deadline-3, deadline-0, overdue-1, overdue-4
        moment = dt.datetime(2026, 9, day, 9, 0, tzinfo=SHANGHAI)
        with time_machine.travel(moment, tick=False):
            run_sweep(moment)
    with time_machine.travel(dt.datetime(2026, 9, 17, 9, 0, tzinfo=SHANGHAI), tick=False):
        actions.urge_item(
            org.office_supervisor,
            item,
            channel="phone",
            recipient=org.lead_liaison,
            note="电话催办",
        )
    assert sorted(item.urges.values_list("step", flat=True)) == [
        "",
        "deadline-0",
        "deadline-3",
        "overdue-1",
        "overdue-4",
    ]
    with time_machine.travel(dt.datetime(2026, 10, 8, 9, 0, tzinfo=SHANGHAI), tick=False):
        (row,) = unit_figures(org.office_supervisor, org.office, Period(on(9, 1), on(9, 30)))
    assert (row.unit_name, row.urges, row.urges_manual, row.urges_automatic) == ("教务处", 3, 1, 2)


def test_r_k4_figures_are_set_based(
    org: Org, september: September, generation_day: None, django_assert_max_num_queries
) -> None:
    """Three queries whatever the number of items: the items' figures, the urges, the
    units (the visibility rule is subqueries inside them)."""
    with django_assert_max_num_queries(3):
        unit_figures(org.office_supervisor, org.office, Period(*SEPTEMBER))


@pytest.mark.parametrize(
    ("start", "end", "label"),
    [
        (on(9, 1), on(9, 30), "2026年9月"),
        (on(7, 1), on(9, 30), "2026年第三季度"),
        (on(1, 1), on(12, 31), "2026年"),
        (on(1, 1), on(6, 30), "2026年上半年"),
        (on(9, 7), on(9, 18), "2026年9月7日至2026年9月18日"),
    ],
)
def test_the_title_names_the_period(start: dt.date, end: dt.date, label: str) -> None:
    assert period_label(Period(start, end)) == label


# ----------------------------------------------------------------------------- the .docx


def test_r_k4_circular_docx(
    client: Client, org: Org, september: September, generation_day: None
) -> None:
    response = post_circular(signed_in(client, org.office_supervisor), "docx")
    assert response.status_code == 200
    assert response["Content-Type"] == DOCX_TYPE
    assert "attachment" in response["Content-Disposition"]
    document = Document(io.BytesIO(response.content))
    text = paragraphs(document)

    assert text[0] == "党政办公室文件"  # the masthead
    assert "校办督〔2026〕1号" in text
    assert TITLE in text
    assert "各单位、各部门：" in text
    summary = next(line for line in text if line.startswith("2026年9月1日至2026年9月30日"))
    assert summary.startswith(
        "2026年9月1日至2026年9月30日，党政办公室共督办事项5项，其中已办结2项（按期办结1项），"
        "截至2026年9月30日超期未办结1项；期内共催办2次（人工催办2次，系统自动催办0次）。"
        "本期办结率为40.0%。"
    )
    assert text[-2:] == ["党政办公室", "2026年10月12日"]  # issuer and date
    assert document.core_properties.title == TITLE

    figures, overdue = document.tables
    assert table_rows(figures) == EXPECTED_FIGURES
    assert table_rows(overdue) == [
        ["序号", "台账编号", "事项名称", "承办单位", "办结时限", "超期工作日"],
        # 22, 23, 24, 28, 29, 30 September: the 25th is a holiday (R-D6).
        [
            "1",
            september.overdue.ledger_number,
            "修订研究生招生工作方案",
            "教务处",
            "2026-09-21",
            "6",
        ],
    ]


def test_r_k4_docx_sets_the_chinese_fonts(
    client: Client, org: Org, september: September, generation_day: None
) -> None:
    response = post_circular(signed_in(client, org.office_supervisor), "docx")
    document = Document(io.BytesIO(response.content))
    by_text = {paragraph.text: paragraph for paragraph in document.paragraphs}

    def east_asian_font(text: str) -> str:
        fonts = by_text[text].runs[0]._element.rPr.rFonts
        return fonts.get(qn("w:eastAsia"))

    assert east_asian_font(TITLE) == "方正小标宋简体"
    assert east_asian_font("一、总体情况") == "黑体"
    assert east_asian_font("各单位、各部门：") == "仿宋_GB2312"
    normal = document.styles["Normal"].element.rPr.rFonts
    assert normal.get(qn("w:eastAsia")) == "仿宋_GB2312"
    # The fallbacks are declared in the font table (w:altName).
    font_table = next(
        rel.target_part for rel in document.part.rels.values() if rel.reltype.endswith("/fontTable")
    )
    assert '<w:font w:name="仿宋_GB2312"><w:altName w:val="仿宋"/>' in font_table.blob.decode()
    assert '<w:font w:name="方正小标宋简体"><w:altName w:val="黑体"/>' in font_table.blob.decode()


def test_a_period_without_overdue_items_says_so(
    client: Client, org: Org, september: September
) -> None:
    with at(on(8, 31)):
        response = post_circular(
            signed_in(client, org.office_supervisor), "docx", (on(8, 1), on(8, 31))
        )
    document = Document(io.BytesIO(response.content))
    assert "关于2026年8月督办工作完成情况的通报" in paragraphs(document)
    assert "本期无超期未办结事项。" in paragraphs(document)
    assert len(document.tables) == 1
    assert table_rows(document.tables[0])[1:] == [
        ["教务处", "1", "0", "0", "0", "0", "0", "0"],
        ["财务处", "1", "1", "1", "0", "0", "0", "0"],
        ["合计", "2", "1", "1", "0", "0", "0", "0"],
    ]


# ----------------------------------------------------------------------------- the PDF


def test_r_k4_circular_pdf_text_extracts_in_chinese(
    client: Client, org: Org, september: September, generation_day: None
) -> None:
    response = post_circular(signed_in(client, org.office_supervisor), "pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    flat = "".join(text.split())
    assert TITLE in flat
    assert "校办督〔2026〕1号" in flat
    assert "修订研究生招生工作方案" in flat
    assert september.overdue.ledger_number in flat
    assert "回避事项" not in flat  # R-C5


def test_the_page_offers_the_form_to_the_office(
    client: Client, org: Org, generation_day: None, django_assert_max_num_queries
) -> None:
    signed_in(client, org.office_supervisor)
    for month in (7, 8, 9):
        documents.generate_circular(
            org.office_supervisor,
            start=on(month, 1),
            end=on(month, 28),
            file_format="docx",
        )
    with django_assert_max_num_queries(12):
        response = client.get(reverse("documents-circulars"))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'value="2026-10-01"' in page and 'value="2026-10-31"' in page  # this month
    assert page.count("校办督〔2026〕") == 3
    preset = client.get(
        reverse("documents-circulars"), {"start": "2026-09-01", "end": "2026-09-30"}
    )
    assert 'value="2026-09-01"' in preset.content.decode()


# ----------------------------------------------------------------------------- numbers, audit


def test_r_k4_every_generation_is_audited_and_a_period_keeps_its_number(
    org: Org, september: September, generation_day: None
) -> None:
    first = documents.generate_circular(
        org.office_supervisor, start=SEPTEMBER[0], end=SEPTEMBER[1], file_format="docx"
    )
    again = documents.generate_circular(
        org.office_supervisor, start=SEPTEMBER[0], end=SEPTEMBER[1], file_format="pdf"
    )
    august = documents.generate_circular(
        org.office_supervisor, start=on(8, 1), end=on(8, 31), file_format="docx"
    )
    assert first.document_number == again.document_number == "校办督〔2026〕1号"
    assert august.document_number == "校办督〔2026〕2号"
    assert Circular.objects.count() == 2
    events = list(AuditEvent.objects.filter(verb="generate_circular").order_by("sequence"))
    assert [event.data["format"] for event in events] == ["docx", "pdf", "docx"]
    assert [event.data["circular"] for event in events] == [
        first.circular.pk,
        first.circular.pk,
        august.circular.pk,
    ]
    assert events[0].summary == f"生成通报校办督〔2026〕1号《{TITLE}》（Word）"
    assert events[0].actor == org.office_supervisor
    assert events[0].unit == org.office
    assert (events[0].data["led"], events[0].data["overdue"]) == (5, 1)


# ----------------------------------------------------------------------------- who may


def nothing_changed_snapshot() -> tuple[int, int]:
    return Circular.objects.count(), AuditEvent.objects.count()


@pytest.mark.parametrize(
    "persona",
    ["lead_liaison", "lead_head", "leader_in_charge", "other_unit_liaison", "system_admin"],
)
def test_only_the_office_generates_circulars(
    client: Client, org: Org, september: September, generation_day: None, persona: str
) -> None:
    person = getattr(org, persona)
    signed_in(client, person)  # (signing in is audited)
    before = nothing_changed_snapshot()
    with pytest.raises(PermissionRefused) as refused:
        documents.generate_circular(
            person, start=SEPTEMBER[0], end=SEPTEMBER[1], file_format="docx"
        )
    assert refused.value.message == "只有督办部门的督办员可以生成通报。"
    assert nothing_changed_snapshot() == before
    assert client.get(reverse("documents-circulars")).status_code == 403
    assert post_circular(client, "docx").status_code == 403
    assert nothing_changed_snapshot() == before


def test_anonymous_is_sent_to_sign_in(client: Client, org: Org) -> None:
    response = client.get(reverse("documents-circulars"))
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        (on(9, 30), on(9, 1), "通报期间的结束日期不能早于开始日期。"),
        (on(10, 13), on(10, 31), "通报期间的开始日期不能晚于今天。"),
        (dt.date(2025, 1, 1), on(9, 30), "一期通报最长涵盖一年。"),
        (None, on(9, 30), "请填写通报期间的起止日期。"),
    ],
)
def test_an_invalid_period_is_refused_with_nothing_changed(
    org: Org, generation_day: None, start: Any, end: Any, message: str
) -> None:
    before = nothing_changed_snapshot()
    with pytest.raises(InvalidInput) as refused:
        documents.generate_circular(org.office_supervisor, start=start, end=end, file_format="docx")
    assert refused.value.message == message
    assert nothing_changed_snapshot() == before


def test_the_page_shows_a_refused_period(client: Client, org: Org, generation_day: None) -> None:
    signed_in(client, org.office_supervisor)
    before = nothing_changed_snapshot()
    response = post_circular(client, "docx", (on(9, 30), on(9, 1)))
    assert response.status_code == 400
    assert "通报期间的结束日期不能早于开始日期。" in response.content.decode()
    assert nothing_changed_snapshot() == before


def test_an_unknown_format_is_refused(org: Org, generation_day: None) -> None:
    before = nothing_changed_snapshot()
    with pytest.raises(InvalidInput):
        documents.generate_circular(
            org.office_supervisor, start=SEPTEMBER[0], end=SEPTEMBER[1], file_format="xls"
        )
    assert nothing_changed_snapshot() == before


def test_without_the_pdf_libraries_word_still_works(
    client: Client, org: Org, generation_day: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from duban.documents import pdf

    def missing() -> Any:
        raise pdf.PdfUnavailable(pdf.unavailable_message())

    monkeypatch.setattr(pdf, "_weasyprint", missing)
    signed_in(client, org.office_supervisor)
    page = client.get(reverse("documents-circulars")).content.decode()
    assert "暂只能下载 Word 文档" in page
    before = nothing_changed_snapshot()
    response = post_circular(client, "pdf")
    assert response.status_code == 503
    assert "make system-deps" in response.content.decode()
    assert nothing_changed_snapshot() == before  # nothing generated, nothing audited
    assert post_circular(client, "docx").status_code == 200
