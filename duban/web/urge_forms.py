"""The item page's urge form (R-U2). As with the other action forms, completeness is
the action's business (`actions.urge_item`); the form only reads the input."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from duban.items.models import UrgeChannel

from .forms import ActionForm, text_field

# The recipient by role on the lead unit, so the form needs no item to build its
# choices; the view turns the role into the person (`actions.urge_recipients`).
RECIPIENT_ROLES = [
    ("liaison", _("承办单位联络员")),
    ("head", _("承办单位第一责任人")),
    ("leader", _("承办单位的分管校领导")),
]


def channels_help() -> str:
    """Which of the channels actually send something, in this deployment."""
    if settings.SMS_BACKEND == "logging":
        sms = gettext("本系统尚未接入短信网关，选择“短信”只记录催办，短信不会发出")
    else:
        sms = gettext("“短信”发送到催办对象的手机")
    return gettext(
        "“系统通知”发送到催办对象的站内通知，并按其通知设置同时发送邮件等；%(sms)s；"
        "电话、口头、书面、上门和会议督办只作记录，不发送。"
    ) % {"sms": sms}


class UrgeForm(ActionForm):
    channel = forms.ChoiceField(
        label=_("催办方式"),
        choices=UrgeChannel.choices,
        initial=UrgeChannel.SYSTEM,
        error_messages={
            "required": _("请选择催办方式。"),
            "invalid_choice": _("请选择催办方式。"),
        },
    )
    recipient = forms.ChoiceField(
        label=_("催办对象"),
        choices=RECIPIENT_ROLES,
        initial="liaison",
        error_messages={
            "required": _("请选择催办对象。"),
            "invalid_choice": _("请选择催办对象。"),
        },
    )
    note = text_field(_("催办内容"), rows=3)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["channel"].help_text = channels_help()
        self.fields["note"].help_text = _(
            "电话、口头、书面、上门或会议督办，请记下谈话或通知的要点；"
            "系统通知和短信会发送此内容（不填则发送标准催办语）。"
        )
