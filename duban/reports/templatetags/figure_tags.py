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


@register.simple_tag
def chart_rows(chart: Any) -> SafeString:
    """A bar chart's rows inside its SVG (duban.reports.charts): each bar a link to the
    ledger's rows it counts. Written in Python for the same reason as the cells: a chart
    has a bar per unit, a hundred of them."""
    rows = []
    for row in chart.drawn():
        bar = row.bar
        label, value = escape(str(bar.label)), int(bar.value)
        highlight = " chart__row--highlight" if bar.highlight else ""
        rows.append(
            f'<a href="{escape(str(bar.href))}"><g class="chart__row{highlight}" '
            f'data-bar="{label}" data-value="{value}">'
            f"<title>{label}：{value}</title>"
            f'<text class="chart__label" x="{int(chart.label_x)}" y="{int(row.text_y)}" '
            f'text-anchor="end">{escape(str(row.short_label))}</text>'
            f'<rect class="chart__bar {escape(str(bar.css_class))}" x="{int(chart.bar_x)}" '
            f'y="{int(row.bar_y)}" width="{int(row.width)}" height="16" rx="2"></rect>'
            f'<text class="chart__value" x="{int(row.value_x)}" y="{int(row.text_y)}">'
            f"{value}</text></g></a>"
        )
    return mark_safe("\n".join(rows))  # noqa: S308 - every text above is escaped


@register.simple_tag
def chart_table_rows(chart: Any) -> SafeString:
    """A bar chart's numbers as table rows, for screen readers and print."""
    return mark_safe(  # noqa: S308 - every text is escaped
        "".join(
            f'<tr><th scope="row">{escape(str(bar.label))}</th>'
            f'<td><a href="{escape(str(bar.href))}">{int(bar.value)}</a></td></tr>'
            for bar in chart.bars
        )
    )
