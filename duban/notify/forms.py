from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class ChannelPreferenceForm(forms.Form):
    email = forms.BooleanField(label=_("电子邮件"), required=False)
    sms = forms.BooleanField(label=_("短信"), required=False)
    wecom = forms.BooleanField(label=_("企业微信群"), required=False)
    dingtalk = forms.BooleanField(label=_("钉钉群"), required=False)
    wecom_app = forms.BooleanField(label=_("企业微信工作通知"), required=False)
    dingtalk_app = forms.BooleanField(label=_("钉钉工作通知"), required=False)
