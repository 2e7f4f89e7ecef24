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
        help_text=_("须为 HTTP 或 HTTPS 地址；系统向其发送 JSON 格式的事件消息"),
        widget=forms.TextInput(attrs={"size": 60, "inputmode": "url"}),
    )
    events = forms.MultipleChoiceField(
        label=_("订阅事件"),
        choices=EventKind.choices,
        widget=forms.CheckboxSelectMultiple,
    )
