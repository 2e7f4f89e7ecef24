"""The assessment table's cells, written in Python: at 100 units and 20 figures the
table has 2,000 cells, and the template language spent most of the page's time
resolving their variables one by one. Every value is escaped by format_html."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

register = template.Library()
ZERO_CLASS = mark_safe(' class="figure-zero"')


@register.simple_tag
def figure_cells(row: Any, assessment: Any, unavailable_note: Any) -> SafeString:
    """The <td> of each of `row`'s cells, as assessment.html showed them."""
    unit = str(row.unit.name)
    note = str(unavailable_note)
    cells = []
    for cell in row.cells:
        column = cell.column
        label, key = str(column.label), column.key
        if column.figure is None:
            rate = "—" if cell.rate is None else f"{round(cell.rate * 100)}%"
            inner = format_html(
                '<span data-rate title="{}">{}</span>', str(column.definition), rate
            )
        elif key in assessment.unavailable:
            inner = format_html(
                '<span class="figure-zero" data-figure="{}" data-unavailable title="{}">0*</span>',
                key,
                note,
            )
        else:
            inner = format_html(
                '<a href="{}" data-figure="{}"{} title="{}：{}">{}</a>',
                cell.href,
                key,
                ZERO_CLASS if not cell.count else "",
                label,
                unit,
                cell.count,
            )
        cells.append((label, inner))
    return format_html_join("", '<td class="figure-cell" data-label="{}">{}</td>', cells)
