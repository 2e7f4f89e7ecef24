"""The circular's PDF keeps its signature together: the issuer and the date are never
split across pages, nor left alone on the last page, however long the list of
overdue items that comes before them."""

from __future__ import annotations

import datetime as dt
import io
from types import SimpleNamespace

import pytest
from pypdf import PdfReader

from duban.documents.circulars import chinese_date
from duban.documents.pdf import pdf_available, render_pdf

pytestmark = pytest.mark.skipif(not pdf_available(), reason="WeasyPrint needs Debian's Pango")

ISSUED = dt.date(2026, 10, 9)


def circular(overdue: int) -> SimpleNamespace:
    row = SimpleNamespace(
        unit_name="教务处", led=3, completed=2, completed_on_time=2, overdue=1, urges=4,
        urges_manual=3, urges_automatic=1,
    )  # fmt: skip
    return SimpleNamespace(
        masthead="党政办公室文件",
        document_number="党办督〔2026〕9号",
        title="关于2026年9月督办工作情况的通报",
        addressees="各学院、各部门：",
        summary="9月份，全校共有督办事项若干项。" * 6,
        period_label="2026年9月",
        rows=[row] * 6,
        total=row,
        overdue=[
            SimpleNamespace(
                ledger_number=f"督会〔2026〕第{n:04d}号",
                title=f"超期事项{n}：推进本科教学质量提升工作并按期报送阶段性进展",
                lead_unit="教务处",
                deadline=dt.date(2026, 9, 1),
                workdays_overdue=n,
            )
            for n in range(1, overdue + 1)
        ],
        definitions=["说明：办结率为已办结事项数占应办结事项数的比例。"] * 3,
        issuer="党政办公室",
        issued_on=ISSUED,
        as_of=dt.date(2026, 9, 30),
    )


@pytest.mark.parametrize("overdue", range(8, 44, 3))
def test_the_signature_stays_together_with_the_text_above_it(overdue: int) -> None:
    content = circular(overdue)
    pdf = render_pdf(
        "documents/pdf/circular.html",
        {
            "content": content,
            "as_of_text": chinese_date(content.as_of),
            "issued_on_text": chinese_date(ISSUED),
        },
    )
    pages = [page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages]
    date = chinese_date(ISSUED)
    last = pages[-1]
    assert date in last
    lines = [line.strip() for line in last.splitlines() if line.strip()]
    at = lines.index(date)
    assert lines[at - 1] == "党政办公室", lines[-4:]  # the issuer right above the date
    assert at >= 2, f"the signature is alone on page {len(pages)}: {lines}"
