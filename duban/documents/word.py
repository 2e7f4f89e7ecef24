"""The circular as a Word document (.docx, python-docx), laid out as an official
document (GB/T 9704): A4, the red masthead, the document number, a red rule, the
title in 小标宋, the body in 仿宋 三号, the issuer and the date.

Chinese fonts: Word picks a run's Chinese font from `w:rFonts/@w:eastAsia`, which
python-docx's `font.name` does not set, so every run gets it explicitly (and the
Normal style too). One name fits in that attribute; the fallbacks are declared in the
document's font table (`w:altName`, the GB2312 charset and the family), which Word
and WPS use when the named font is missing: 仿宋_GB2312 → 仿宋 (FangSong),
方正小标宋简体 → 黑体 (SimHei), 黑体 → SimHei.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from django.utils.translation import gettext as _
from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from docx.text.paragraph import Paragraph
from docx.text.run import Run

from .circulars import CircularContent, chinese_date
from .figures import UnitFigures

BODY_FONT = "仿宋_GB2312"
TITLE_FONT = "方正小标宋简体"
HEADING_FONT = "黑体"
LATIN_FONT = "Times New Roman"
# The font table's fallbacks: name -> (alternative name, family, pitch).
FONT_FALLBACKS = {
    BODY_FONT: ("仿宋", "modern", "fixed"),
    TITLE_FONT: ("黑体", "script", "variable"),
    HEADING_FONT: ("SimHei", "modern", "fixed"),
    "仿宋": ("FangSong", "modern", "fixed"),
}
RED = RGBColor(0xE6, 0x00, 0x12)
BODY_SIZE = Pt(16)  # 三号
TITLE_SIZE = Pt(22)  # 二号
MASTHEAD_SIZE = Pt(36)
TABLE_SIZE = Pt(12)  # 小四
NOTE_SIZE = Pt(10.5)  # 五号

FIGURE_HEADERS = (
    "承办单位",
    "承办事项数",
    "已办结",
    "按期办结",
    "超期未办结",
    "催办次数",
    "人工催办",
    "自动催办",
)
OVERDUE_HEADERS = ("序号", "台账编号", "事项名称", "承办单位", "办结时限", "超期工作日")


def set_fonts(run: Run, east_asia: str, size: Pt | None = None, *, bold: bool = False) -> Run:
    """Give `run` its Chinese font (w:eastAsia) and a Latin one, and the size."""
    run.font.name = LATIN_FONT
    fonts = run._element.get_or_add_rPr().get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), east_asia)
    fonts.set(qn("w:hint"), "eastAsia")
    if size is not None:
        run.font.size = size
    run.font.bold = bold
    return run


def _add_font_fallbacks(document: DocumentObject) -> None:
    """Declare the Chinese fonts with their fallbacks in word/fontTable.xml."""
    part = next(
        (
            rel.target_part
            for rel in document.part.rels.values()
            if rel.reltype.endswith("/fontTable")
        ),
        None,
    )
    if part is None:
        return
    table = parse_xml(part.blob)
    for name, (alternative, family, pitch) in FONT_FALLBACKS.items():
        font = OxmlElement("w:font")
        font.set(qn("w:name"), name)
        for tag, value in (
            ("w:altName", alternative),
            ("w:charset", "86"),  # GB2312
            ("w:family", family),
            ("w:pitch", pitch),
        ):
            child = OxmlElement(tag)
            child.set(qn("w:val"), value)
            font.append(child)
        table.append(font)
    from lxml import etree

    part._blob = etree.tostring(table, xml_declaration=True, encoding="UTF-8", standalone=True)


def _setup(document: DocumentObject, content: CircularContent) -> None:
    section = document.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.top_margin, section.bottom_margin = Cm(3.7), Cm(3.5)
    section.left_margin, section.right_margin = Cm(2.8), Cm(2.6)
    normal = document.styles["Normal"]
    normal.font.name = LATIN_FONT
    normal.font.size = BODY_SIZE
    normal_fonts = normal.element.get_or_add_rPr().get_or_add_rFonts()
    normal_fonts.set(qn("w:eastAsia"), BODY_FONT)
    _add_font_fallbacks(document)
    properties = document.core_properties
    properties.title = content.title
    properties.author = content.issuer
    properties.subject = content.document_number
    properties.keywords = _("督办 通报")


def _paragraph(
    document: DocumentObject,
    text: str,
    *,
    font: str = BODY_FONT,
    size: Pt = BODY_SIZE,
    bold: bool = False,
    align: WD_ALIGN_PARAGRAPH | None = None,
    indent: bool = False,
    color: RGBColor | None = None,
    space_after: Pt | None = None,
) -> Paragraph:
    paragraph = document.add_paragraph()
    if align is not None:
        paragraph.alignment = align
    fmt = paragraph.paragraph_format
    fmt.space_after = space_after if space_after is not None else Pt(0)
    fmt.space_before = Pt(0)
    fmt.line_spacing = Pt(28) if size >= BODY_SIZE else None
    if indent:
        fmt.first_line_indent = Pt(size.pt * 2)  # two characters
    run = set_fonts(paragraph.add_run(text), font, size, bold=bold)
    if color is not None:
        run.font.color.rgb = color
    return paragraph


def _red_rule(paragraph: Paragraph) -> None:
    """A red line under the paragraph (the rule between masthead and body)."""
    properties = paragraph._p.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for name, value in (
        ("w:val", "single"),
        ("w:sz", "18"),
        ("w:space", "6"),
        ("w:color", "E60012"),
    ):
        bottom.set(qn(name), value)
    borders.append(bottom)
    properties.append(borders)


def _table(document: DocumentObject, headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    table = document.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, header in zip(table.rows[0].cells, headers, strict=True):
        cell.text = ""
        paragraph = cell.paragraphs[0]
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        set_fonts(paragraph.add_run(_(header)), HEADING_FONT, TABLE_SIZE)
    for values in rows:
        cells = table.add_row().cells
        for index, (cell, value) in enumerate(zip(cells, values, strict=True)):
            paragraph = cell.paragraphs[0]
            if index > 0 and value.isdigit():
                paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
            set_fonts(paragraph.add_run(value), BODY_FONT, TABLE_SIZE)


def _figure_row(figures: UnitFigures) -> list[str]:
    return [
        figures.unit_name,
        str(figures.led),
        str(figures.completed),
        str(figures.completed_on_time),
        str(figures.overdue),
        str(figures.urges),
        str(figures.urges_manual),
        str(figures.urges_automatic),
    ]


def circular_docx(content: CircularContent) -> bytes:
    document = Document()
    _setup(document, content)
    center = WD_ALIGN_PARAGRAPH.CENTER

    _paragraph(
        document, content.masthead, font=TITLE_FONT, size=MASTHEAD_SIZE, align=center, color=RED
    )
    _paragraph(document, "", size=BODY_SIZE)
    number = _paragraph(document, content.document_number, align=center)
    _red_rule(number)
    _paragraph(document, "", size=BODY_SIZE)
    _paragraph(document, content.title, font=TITLE_FONT, size=TITLE_SIZE, align=center)
    _paragraph(document, "", size=BODY_SIZE)
    _paragraph(document, content.addressees)
    _paragraph(
        document,
        _("现将%(period)s督办工作完成情况通报如下。") % {"period": content.period_label},
        indent=True,
    )

    _paragraph(document, _("一、总体情况"), font=HEADING_FONT, indent=True)
    _paragraph(document, content.summary, indent=True)

    _paragraph(document, _("二、各单位办理情况"), font=HEADING_FONT, indent=True)
    rows = [_figure_row(row) for row in [*content.rows, content.total]]
    _table(document, FIGURE_HEADERS, rows)
    _paragraph(document, _("统计口径："), size=NOTE_SIZE)
    for definition in content.definitions:
        _paragraph(document, definition, size=NOTE_SIZE)

    _paragraph(document, _("三、超期未办结事项"), font=HEADING_FONT, indent=True)
    if content.overdue:
        _paragraph(
            document,
            _("截至%(day)s，以下事项已超过办结时限仍未办结：")
            % {"day": chinese_date(content.as_of)},
            indent=True,
        )
        _table(
            document,
            OVERDUE_HEADERS,
            [
                [
                    str(index),
                    row.ledger_number,
                    row.title,
                    row.lead_unit,
                    row.deadline.isoformat(),
                    str(row.workdays_overdue),
                ]
                for index, row in enumerate(content.overdue, start=1)
            ],
        )
    else:
        _paragraph(document, _("本期无超期未办结事项。"), indent=True)

    _paragraph(document, "")
    _paragraph(document, "")
    right = WD_ALIGN_PARAGRAPH.RIGHT
    _paragraph(document, content.issuer, align=right)
    _paragraph(document, chinese_date(content.issued_on), align=right)

    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
