"""Widgets rendered in Python where the template-per-option renderer is the cost.

Django's Select renders one template per option: the ledger's filter form, with a
select of every unit, spent a quarter of the page's time there at 100 units. FastSelect
writes the same HTML (`django/forms/widgets/select.html` and its option template) as
one string, escaping every name, value and label. It walks the choices itself, as
`Select.optgroups` does (the first option whose value matches is selected), without
building a dictionary of attributes per option.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.forms.utils import flatatt
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe


class FastSelect(forms.Select):
    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        attributes = _attributes(self.build_attrs(self.attrs, attrs))
        parts = [format_html('<select name="{}"{}>', name, attributes)]
        chosen = set(self.format_value(value))
        for option_value, option_label in self.choices:
            if isinstance(option_label, list | tuple):
                rows, chosen = _options(option_label, chosen)
                parts.append(format_html('<optgroup label="{}">{}</optgroup>', option_value, rows))
            else:
                rows, chosen = _options([(option_value, option_label)], chosen)
                parts.append(rows)
        parts.append(mark_safe("</select>"))
        return mark_safe("".join(parts))  # noqa: S308 - every part above is escaped


def _options(choices: Iterable[tuple[Any, Any]], chosen: set[str]) -> tuple[SafeString, set[str]]:
    """The options' HTML, and what is still to be selected: nothing once one is."""
    rows = []
    for value, label in choices:
        text = "" if value is None else str(value)
        selected = text in chosen
        if selected:
            chosen = set()
        rows.append(
            f'<option value="{conditional_escape(text)}"{" selected" if selected else ""}>'
            f"{conditional_escape(label)}</option>"
        )
    return mark_safe("".join(rows)), chosen  # noqa: S308 - values and labels escaped


def _attributes(attrs: dict[str, Any]) -> SafeString:
    # As django/forms/widgets/attrs.html: False omitted, True bare, the rest as text.
    return flatatt({name: value for name, value in attrs.items() if value is not False})
