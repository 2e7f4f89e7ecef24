"""The spot-check forms. They only read the input; the actions decide what is valid,
and their field errors are put back on the form (`show_errors`)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from duban.items.errors import ActionError

from .models import CheckMethod, CheckResult

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def show_errors(form: forms.Form, error: ActionError) -> None:
    """Put an action's refusal on the form: its message on top, and a note at each
    field it names."""
    form.add_error(None, error.message)
    for name, message in error.errors.items():
        if name in form.fields:
            form.add_error(name, message)


class DrawForm(forms.Form):
    period_start = forms.DateField(label=_("办结日期自"), required=False, widget=DATE)
    period_end = forms.DateField(label=_("办结日期至"), required=False, widget=DATE)
    count = forms.IntegerField(
        label=_("抽取数量"), required=False, min_value=1, help_text=_("与抽取比例二选一")
    )
    percentage = forms.IntegerField(
        label=_("抽取比例（%）"),
        required=False,
        min_value=1,
        max_value=100,
        help_text=_("按比例抽取时向上取整，例如10%"),
    )
    seed = forms.IntegerField(
        label=_("随机种子"),
        required=False,
        min_value=0,
        help_text=_("可留空，由系统随机生成；填写同一种子可重现抽取结果"),
    )


class CheckForm(forms.Form):
    method = forms.ChoiceField(
        label=_("抽查方式"), choices=CheckMethod.choices, required=False, widget=forms.RadioSelect
    )
    result = forms.ChoiceField(
        label=_("抽查结论"), choices=CheckResult.choices, required=False, widget=forms.RadioSelect
    )
    finding = forms.CharField(
        label=_("抽查情况"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    rectification_requirement = forms.CharField(
        label=_("整改要求"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("发现问题时填写"),
    )
    rectification_deadline = forms.DateField(
        label=_("整改期限"), required=False, widget=DATE, help_text=_("发现问题时填写")
    )


class RectificationReportForm(forms.Form):
    text = forms.CharField(
        label=_("整改情况"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )


class RectificationDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("审核结果"),
        choices=[("accept", _("通过")), ("return", _("退回重新整改"))],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("审核意见"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("退回时必须填写理由"),
    )
