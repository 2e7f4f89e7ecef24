"""A document's text, as lines: .docx paragraphs (and table cells), a PDF's text
layer, or a UTF-8 text file. The file is first judged by its bytes
(`duban.attachments.validation.check_upload`), so a .docx that is really something
else is refused before any reader opens it.
"""

from __future__ import annotations

import io
import unicodedata

from django.core.files.base import ContentFile
from django.utils.translation import gettext as _

from duban.attachments import validation
from duban.items.errors import InvalidInput

MAX_BYTES = 10 * 1024 * 1024
MAX_LINES = 5000
READABLE = (validation.DOCX, validation.PDF, validation.TEXT)

# Full-width digits, letters and the ideographic space read as their ASCII forms; the
# Chinese punctuation that the rules look for is left as it is.
_WIDTH = {code: code - 0xFEE0 for code in range(0xFF10, 0xFF1A)}
_WIDTH.update({code: code - 0xFEE0 for code in range(0xFF21, 0xFF3B)})
_WIDTH.update({code: code - 0xFEE0 for code in range(0xFF41, 0xFF5B)})
_WIDTH[0x3000] = 0x20


def refuse(message: str) -> InvalidInput:
    return InvalidInput(message, errors={"file": message})


def normalise(text: str) -> str:
    text = "".join(char for char in text if char in "\t\n" or unicodedata.category(char)[0] != "C")
    return " ".join(text.translate(_WIDTH).split())


def read_lines(content: bytes, filename: str) -> list[str]:
    """The document's non-empty lines, or InvalidInput naming what is wrong."""
    name = validation.clean_name(filename)
    if len(content) > MAX_BYTES:
        raise refuse(_("文件“%(name)s”超过10 MB，无法读取。") % {"name": name})
    checked = validation.check_upload(ContentFile(content, name=name))
    if checked.kind not in READABLE:
        raise refuse(
            _(
                "文件“%(name)s”是%(kind)s，只能读取Word文档（.docx）、带文字层的PDF或文本文件（.txt）。"
            )
            % {"name": name, "kind": checked.kind.label}
        )
    if checked.kind is validation.DOCX:
        raw = _docx_paragraphs(content, name)
    elif checked.kind is validation.PDF:
        raw = _pdf_lines(content, name)
    else:
        raw = content.decode("utf-8-sig").splitlines()
    lines = [line for line in (normalise(text) for text in raw) if line]
    if not lines:
        raise refuse(_("文件“%(name)s”中没有可读取的文字。") % {"name": name})
    if len(lines) > MAX_LINES:
        raise refuse(
            _("文件“%(name)s”超过%(limit)d行，请拆分后再读取。")
            % {"name": name, "limit": MAX_LINES}
        )
    return lines


def _docx_paragraphs(content: bytes, name: str) -> list[str]:
    from docx import Document
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        document = Document(io.BytesIO(content))
    except Exception:  # python-docx raises many kinds on a damaged package
        raise refuse(
            _("文件“%(name)s”不是有效的Word文档（.docx），无法读取。") % {"name": name}
        ) from None
    lines: list[str] = []
    # The body in its own order: paragraphs, and each table's cells row by row.
    for child in document.element.body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            lines.extend(Paragraph(child, document).text.split("\n"))
        elif tag == "tbl":
            for row in Table(child, document).rows:
                seen: list[str] = []
                for cell in row.cells:
                    if cell.text not in seen:
                        seen.append(cell.text)
                lines.append(" ".join(seen))
    return lines


def _pdf_lines(content: bytes, name: str) -> list[str]:
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(content))
        text = "\n".join(page.extract_text() or "" for page in reader.pages)
    except Exception:  # pypdf raises many kinds on a damaged file
        raise refuse(_("文件“%(name)s”不是有效的PDF文件，无法读取。") % {"name": name}) from None
    if not text.strip():
        raise refuse(
            _("PDF文件“%(name)s”没有文字层（可能是扫描件），请上传Word文档或文本文件。")
            % {"name": name}
        )
    return text.splitlines()
