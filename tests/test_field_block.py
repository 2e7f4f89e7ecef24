"""`{% field_block %}`: every form field of the pages, with its label, required mark,
help text and errors, escaped."""

from __future__ import annotations

from django import forms
from django.template import Context, Template


class Sample(forms.Form):
    title = forms.CharField(label="名称<b>", help_text="不超过<20>字")
    note = forms.CharField(label="备注", required=False, widget=forms.Textarea)
    urgent = forms.BooleanField(label="紧急", required=False)
    units = forms.MultipleChoiceField(
        label="单位",
        choices=[("1", "教务处"), ("2", "人事处")],
        widget=forms.CheckboxSelectMultiple,
    )
    kind = forms.ChoiceField(label="类别", choices=[("a", "甲")], widget=forms.RadioSelect)


def render(form: forms.Form, name: str) -> str:
    return Template("{% field_block field %}").render(Context({"field": form[name]}))


def test_a_text_field_with_label_mark_help_and_errors() -> None:
    form = Sample(data={"title": ""})
    html = render(form, "title")
    assert html.startswith('<div class="field field--error">')
    assert '<label class="field__label" for="id_title">名称&lt;b&gt;' in html
    assert '<span class="field__required" title="必填"> *</span></label>' in html
    assert '<input type="text" name="title"' in html
    assert '<p class="field__help">不超过&lt;20&gt;字</p>' in html
    assert '<p class="field__error">这个字段是必填项。</p>' in html
    assert "<b>" not in html


def test_an_optional_field_has_no_mark_and_no_error() -> None:
    html = render(Sample(), "note")
    assert html.startswith('<div class="field">')
    assert "field__required" not in html and "field__error" not in html
    assert '<textarea name="note"' in html


def test_a_checkbox_is_followed_by_its_label() -> None:
    html = render(Sample(), "urgent")
    assert html.startswith('<div class="field field--checkbox">')
    assert (
        '<input type="checkbox" name="urgent" id="id_urgent"> <label for="id_urgent">紧急</label>'
        in html
    )


def test_several_choices_and_radios_are_grouped_under_a_label() -> None:
    for name, label in (("units", "单位"), ("kind", "类别")):
        html = render(Sample(), name)
        assert html.startswith('<div class="field">'), name
        assert f'<span class="field__label">{label}<span class="field__required"' in html
        assert '<div class="choices"><div' in html
        assert '<label class="field__label"' not in html
