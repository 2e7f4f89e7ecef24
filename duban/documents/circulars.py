"""A circular's content (通报, R-K4), built once and rendered as Word (`word`) and as
PDF (`pdf`), so both say exactly the same.

The usual form of an official circular (GB/T 9704): the issuer's red masthead, the
document number, a red rule, the title, the addressees, the body (summary, the
figures table, the overdue list), the issuer and the date.
"""

from __future__ import annotations

import calendar as month_calendar
import datetime as dt
from dataclasses import dataclass

from django.utils.translation import gettext as _

from .figures import (
    DEFINITIONS,
    OverdueRow,
    Period,
    UnitFigures,
    overdue_rows,
    total_of,
    unit_figures,
)
from .models import Circular


def chinese_date(day: dt.date) -> str:
    """2026年9月28日, as an official document dates itself."""
    return _("%(year)d年%(month)d月%(day)d日") % {
        "year": day.year,
        "month": day.month,
        "day": day.day,
    }


QUARTERS = {1: "一", 2: "二", 3: "三", 4: "四"}


def period_label(period: Period) -> str:
    """The period as the title names it: 2026年9月, 2026年第三季度, 2026年, or the dates."""
    start, end = period.start, period.end
    last_day = month_calendar.monthrange(end.year, end.month)[1]
    whole_months = start.day == 1 and end.day == last_day and start.year == end.year
    if whole_months and start.month == end.month:
        return _("%(year)d年%(month)d月") % {"year": start.year, "month": start.month}
    if whole_months and start.month == 1 and end.month == 12:
        return _("%(year)d年") % {"year": start.year}
    if whole_months and start.month % 3 == 1 and end.month == start.month + 2:
        return _("%(year)d年第%(quarter)s季度") % {
            "year": start.year,
            "quarter": QUARTERS[(start.month + 2) // 3],
        }
    if whole_months and start.month == 1 and end.month == 6:
        return _("%(year)d年上半年") % {"year": start.year}
    return _("%(start)s至%(end)s") % {"start": chinese_date(start), "end": chinese_date(end)}


@dataclass(frozen=True)
class CircularContent:
    circular: Circular
    period: Period
    issuer: str
    period_label: str
    document_number: str
    title: str
    addressees: str
    issued_on: dt.date
    summary: str
    rows: list[UnitFigures]
    total: UnitFigures
    overdue: list[OverdueRow]
    definitions: list[str]

    @property
    def as_of(self) -> dt.date:
        return self.period.as_of

    @property
    def masthead(self) -> str:
        return _("%(issuer)s文件") % {"issuer": self.issuer}

    @property
    def file_stem(self) -> str:
        return self.title


def summary_text(period: Period, issuer: str, total: UnitFigures, overdue: int) -> str:
    """The summary paragraph: the period's counts in a sentence."""
    text = _(
        "%(start)s至%(end)s，%(issuer)s共督办事项%(led)d项，其中已办结%(completed)d项"
        "（按期办结%(on_time)d项），截至%(as_of)s超期未办结%(overdue)d项；"
        "期内共催办%(urges)d次（人工催办%(manual)d次，系统自动催办%(automatic)d次）。"
    ) % {
        "start": chinese_date(period.start),
        "end": chinese_date(period.end),
        "issuer": issuer,
        "led": total.led,
        "completed": total.completed,
        "on_time": total.completed_on_time,
        "as_of": chinese_date(period.as_of),
        "overdue": overdue,
        "urges": total.urges,
        "manual": total.urges_manual,
        "automatic": total.urges_automatic,
    }
    if total.led:
        rate = total.completed * 100 / total.led
        text += _("本期办结率为%(rate).1f%%。") % {"rate": rate}
    if overdue:
        text += _("请超期未办结事项的承办单位抓紧办理，并及时向%(issuer)s报送办理情况。") % {
            "issuer": issuer
        }
    else:
        text += _("本期无超期未办结事项。")
    return text


def build_circular(user: object, circular: Circular, issued_on: dt.date) -> CircularContent:
    """The content of `circular`, with the figures as `user` may see them (R-C5)."""
    office = circular.office
    period = Period(circular.period_start, circular.period_end)
    rows = unit_figures(user, office, period)
    total = total_of(rows)
    overdue = overdue_rows(user, office, period)
    label = period_label(period)
    return CircularContent(
        circular=circular,
        period=period,
        issuer=office.name,
        period_label=label,
        document_number=circular.document_number,
        title=_("关于%(period)s督办工作完成情况的通报") % {"period": label},
        addressees=_("各单位、各部门："),
        issued_on=issued_on,
        summary=summary_text(period, office.name, total, len(overdue)),
        rows=rows,
        total=total,
        overdue=overdue,
        definitions=[str(text) for text in DEFINITIONS],
    )


DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PDF_TYPE = "application/pdf"


def circular_file(content: CircularContent, file_format: str) -> tuple[bytes, str, str]:
    """The circular as a file: (bytes, content type, file name), Word for "docx", else
    PDF (which raises `pdf.PdfUnavailable` where no PDF can be drawn). The page and the
    API both send it."""
    from .pdf import render_pdf
    from .word import circular_docx

    stem = f"{content.document_number}{content.title}"
    if file_format == "docx":
        return circular_docx(content), DOCX_TYPE, f"{stem}.docx"
    context = {
        "content": content,
        "as_of_text": chinese_date(content.as_of),
        "issued_on_text": chinese_date(content.issued_on),
    }
    return render_pdf("documents/pdf/circular.html", context), PDF_TYPE, f"{stem}.pdf"
