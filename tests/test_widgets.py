"""FastSelect writes the HTML Django's Select writes from its templates."""

from __future__ import annotations

from typing import Any

import pytest
from django import forms
from django.test.html import parse_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from duban.web.widgets import FastSelect

CHOICES: list[Any] = [
    ("", "全部"),
    ("a&b", "<甲> & “乙”"),
    (3, "三"),
    ("组", [("x", "X'\""), ("y", "Y")]),
    ("z", mark_safe("<b>Z</b>")),  # after a group; a safe label is written as it is
    ("w", gettext_lazy("全部")),
]


@pytest.mark.parametrize("value", [None, "", "a&b", 3, "y", ["x"], "z", ["w"]])
@pytest.mark.parametrize("attrs", [None, {"id": "id_unit", "disabled": True, "data-x": "<1>"}])
def test_fast_select_renders_what_select_renders(value: Any, attrs: Any) -> None:
    django_html = forms.Select(choices=CHOICES).render("unit", value, attrs)
    fast_html = FastSelect(choices=CHOICES).render("unit", value, attrs)
    assert parse_html(fast_html) == parse_html(django_html)
    assert "<甲>" not in fast_html and "&lt;甲&gt;" in fast_html


def test_the_ledger_filter_form_uses_it(client: Any, org: Any) -> None:
    client.force_login(org.office_supervisor)
    page = client.get("/items/", {"light": "red"}).content.decode()
    assert '<select name="light" id="id_light"><option value="">' in page
    assert '<option value="red" selected>' in page
