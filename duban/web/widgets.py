"""Widgets rendered in Python where the template-per-option renderer is the cost.

Django's Select renders one template per option: the ledger's filter form, with a
select of every unit, spent a quarter of the page's time there at 100 units. FastSelect
writes the same HTML (`django/forms/widgets/select.html` and its option template) as
one string, escaping every name, value and label. It walks the choices itself, as
`Select.optgroups` does (the first option whose value matches is selected), without
building a dictionary of attributes per option.

Every form field on the pages is written by one tag (`duban_tags.field_block`), which
writes a plain Select as FastSelect (`fast`): a form need not name the widget. The item
page's recusal form, with its select of 100 units, spent 25 ms in Django's Select.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from typing import Any

from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe


class FastSelect(forms.Select):
    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        attributes = _attributes(self.build_attrs(self.attrs, attrs))
        parts: list[str] = [format_html('<select name="{}"{}>', name, attributes)]
        chosen = set(self.format_value(value))
        ungrouped: list[tuple[Any, Any]] = []
        for option_value, option_label in self.choices:
            if isinstance(option_label, list | tuple):
                chosen = _options(parts, ungrouped, chosen)
                ungrouped = []
                rows: list[str] = []
                chosen = _options(rows, option_label, chosen)
                parts.append(
                    f'<optgroup label="{_escape(option_value)}">{"".join(rows)}</optgroup>'
                )
            else:
                ungrouped.append((option_value, option_label))
        _options(parts, ungrouped, chosen)
        parts.append("</select>")
        return mark_safe("".join(parts))  # noqa: S308 - every part above is escaped


def fast(widget: forms.Widget) -> forms.Widget:
    """Django's plain Select as FastSelect (the same attributes, choices and required
    flag); any other widget as it is (a subclass may render otherwise)."""
    if type(widget) is not forms.Select:
        return widget
    faster = FastSelect.__new__(FastSelect)
    faster.__dict__.update(widget.__dict__)
    return faster


def _escape(value: Any) -> str:
    """As `conditional_escape` (a safe string as it is, anything else escaped), without
    its lazy-string wrapper: a select of 100 units escapes 200 texts a page."""
    if hasattr(value, "__html__"):
        return str(value.__html__())
    return html.escape(str(value))


def _options(rows: list[str], choices: Iterable[tuple[Any, Any]], chosen: set[str]) -> set[str]:
    """Append the options' HTML to `rows`; answer what is still to be selected: nothing
    once one is."""
    for value, label in choices:
        text = "" if value is None else str(value)
        selected = text in chosen
        if selected:
            chosen = set()
        rows.append(
            f'<option value="{_escape(text)}"{" selected" if selected else ""}>'
            f"{_escape(label)}</option>"
        )
    return chosen


def _attributes(attrs: dict[str, Any]) -> SafeString:
    # As django/forms/widgets/attrs.html: False omitted, True bare, the rest as text.
    return flatatt({name: value for name, value in attrs.items() if value is not False})
