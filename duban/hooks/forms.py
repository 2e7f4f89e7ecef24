from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import EventKind


class EndpointForm(forms.Form):
    """The page's fields; the action (`actions._clean`) validates them."""

    name = forms.CharField(label=_("名称"), max_length=100, help_text=_("例如：学校数据中心"))
    url = forms.CharField(
        label=_("接收地址"),
        max_length=500,
        help_text=_("以 http:// 或 https:// 开头；系统以 POST 发送 JSON"),
        widget=forms.TextInput(attrs={"size": 60, "inputmode": "url"}),
    )
    events = forms.MultipleChoiceField(
        label=_("订阅事件"),
        choices=EventKind.choices,
        widget=forms.CheckboxSelectMultiple,
    )
