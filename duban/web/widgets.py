"""Widgets rendered in Python where the template-per-option renderer is the cost.

Django's Select renders one template per option: the ledger's filter form, with a
select of every unit, spent a quarter of the page's time there at 100 units. FastSelect
writes the same HTML (`django/forms/widgets/select.html` and its option template) as
one string, escaping every name, value and label.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe


class FastSelect(forms.Select):
    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]
        parts = [format_html('<select name="{}"{}>', widget["name"], _attributes(widget["attrs"]))]
        for group_name, options, _index in widget["optgroups"]:
            rows = format_html_join(
                "",
                '<option value="{}"{}>{}</option>',
                (
                    (str(option["value"]), _attributes(option["attrs"]), option["label"])
                    for option in options
                ),
            )
            if group_name:
                parts.append(format_html('<optgroup label="{}">{}</optgroup>', group_name, rows))
            else:
                parts.append(rows)
        parts.append(mark_safe("</select>"))
        return mark_safe("".join(parts))  # noqa: S308 - every part above is escaped


def _attributes(attrs: dict[str, Any]) -> SafeString:
    # As django/forms/widgets/attrs.html: False omitted, True bare, the rest as text.
    return flatatt({name: value for name, value in attrs.items() if value is not False})
