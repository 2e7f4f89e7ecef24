"""The assessment table's cells, written in Python: at 100 units and 20 figures the
table has 2,000 cells, and the template language spent most of the page's time
resolving their variables one by one. Every value is escaped (`html.escape`, as
Django's own `escape`); what is the same in every row — a column's label, key and
definition — is translated and escaped once per table, not once per cell."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from typing import Any

from django import template
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@dataclass(frozen=True)
class ColumnText:
    """A column's texts, escaped for HTML."""

    label: str
    key: str
    definition: str
    is_rate: bool


def _column_texts(assessment: Any, row: Any) -> list[ColumnText]:
    texts: list[ColumnText] | None = getattr(assessment, "_column_texts", None)
    if texts is None:
        texts = [
            ColumnText(
                escape(str(cell.column.label)),
                escape(cell.column.key),
                escape(str(cell.column.definition)),
                cell.column.figure is None,
            )
            for cell in row.cells
        ]
        assessment._column_texts = texts  # this table's, for its next rows
    return texts


@register.simple_tag
def figure_cells(row: Any, assessment: Any, unavailable_note: Any) -> SafeString:
    """The <td> of each of `row`'s cells, as assessment.html showed them."""
    unit = escape(str(row.unit.name))
    note = escape(str(unavailable_note))
    unavailable = assessment.unavailable
    html = []
    for text, cell in zip(_column_texts(assessment, row), row.cells, strict=True):
        if text.is_rate:
            rate = "—" if cell.rate is None else f"{round(cell.rate * 100)}%"
            inner = f'<span data-rate title="{text.definition}">{rate}</span>'
        elif cell.column.key in unavailable:
            inner = (
                f'<span class="figure-zero" data-figure="{text.key}" data-unavailable'
                f' title="{note}">0*</span>'
            )
        else:
            zero = ' class="figure-zero"' if not cell.count else ""
            inner = (
                f'<a href="{escape(cell.href)}" data-figure="{text.key}"{zero}'
                f' title="{text.label}：{unit}">{int(cell.count)}</a>'
            )
        html.append(f'<td class="figure-cell" data-label="{text.label}">{inner}</td>')
    return mark_safe("".join(html))  # noqa: S308 - every text above is escaped
