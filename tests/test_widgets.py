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


class PlainForm(forms.Form):
    """A form that names no widget: its selects are Django's plain Select."""

    kind = forms.ChoiceField(label="类别", choices=CHOICES, required=False)
    level = forms.ChoiceField(label="级别", choices=[("1", "一"), ("2", "二")])
    many = forms.MultipleChoiceField(label="多选", choices=[("1", "一"), ("2", "二")])
    flag = forms.NullBooleanField(label="是否")


@pytest.mark.parametrize("data", [None, {"kind": "y", "level": "2", "many": ["1"]}, {"kind": "?"}])
def test_field_block_writes_a_plain_select_as_fast_select(data: Any) -> None:
    """Every field of the pages goes through field_block: a plain Select is written by
    FastSelect (the same HTML, attributes and required flag included), other widgets
    by their own templates."""
    from duban.web.templatetags.duban_tags import field_block

    form = PlainForm(data)
    for name in ("kind", "level", "many", "flag"):
        block = str(field_block(form[name]))
        assert parse_html(str(form[name])) in parse_html(block), name


def test_fast_takes_only_the_plain_select() -> None:
    from duban.web.widgets import fast

    plain = forms.Select(attrs={"class": "x"}, choices=CHOICES)
    plain.is_required = True
    faster = fast(plain)
    assert type(faster) is FastSelect
    assert (faster.attrs, list(faster.choices), faster.is_required) == (
        {"class": "x"},
        CHOICES,
        True,
    )
    assert type(plain) is forms.Select  # the form's own widget is left as it was
    for other in (forms.SelectMultiple(), forms.RadioSelect(), forms.NullBooleanSelect()):
        assert fast(other) is other


def test_unit_and_leader_selects_prompt_in_words(client: Any, org: Any) -> None:
    """The item page's recusal form and the establish form offer 请选择单位 /
    请选择校领导 as their empty choice, not Django's dashes."""
    from duban.web.forms import LeaderChoiceField, UnitChoiceField
    from duban.web.recusal_section import RecusalForm

    html = str(RecusalForm()["unit"])
    assert "请选择单位</option>" in html
    assert "---------" not in html
    assert UnitChoiceField(queryset=None, empty_label="全部").empty_label == "全部"
    assert str(LeaderChoiceField(queryset=None).empty_label) == "请选择校领导"


def test_leader_select_reads_names_not_people(org: Any) -> None:
    """A leader select lists the leaders as Django's ModelChoiceField would (name with
    title, in the queryset's order) from one query of three columns, and still takes
    a leader's id as its value."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from duban.organisation.models import Role
    from duban.web.forms import LeaderChoiceField, school_leaders
    from tests.conftest import make_person

    untitled = make_person("leader_x", Role.SCHOOL_LEADER, None, "赵校长")
    titled = org.leader_in_charge
    titled.title = "副校长"
    titled.save()
    field = LeaderChoiceField(queryset=school_leaders())
    plain = forms.ModelChoiceField(queryset=school_leaders(), empty_label=field.empty_label)
    plain.label_from_instance = field.label_from_instance  # type: ignore[method-assign]
    with CaptureQueriesContext(connection) as queries:
        choices = [(str(value), str(label)) for value, label in field.choices]
    assert len(queries) == 1
    assert '"password"' not in queries[0]["sql"]
    assert choices == [(str(value), str(label)) for value, label in plain.choices]
    assert ("", "请选择校领导") == choices[0]
    assert (str(untitled.pk), "赵校长") in choices
    assert (str(titled.pk), "王校长（副校长）") in choices
    assert field.clean(str(titled.pk)) == titled
