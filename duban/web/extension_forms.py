"""The item page's forms for extensions (R-E1–E4) and for termination or adjustment
(R-T1). As with the other action forms, completeness is the actions' business; the
forms only read and type the input."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from duban.items.models import DecisionKind
from duban.organisation.models import User

from .forms import ActionForm, LeaderChoiceField, date_field, school_leaders, text_field


class ExtensionRequestForm(ActionForm):
    requested_deadline = date_field(_("申请延至"))
    reason = text_field(_("延期理由"), rows=3)


APPROVE = "approve"
REJECT = "reject"


class ExtensionDecisionForm(ActionForm):
    decision = forms.ChoiceField(
        label=_("审批结果"),
        choices=[(APPROVE, _("批准延期")), (REJECT, _("不予批准"))],
        widget=forms.RadioSelect,
        error_messages={"required": _("请选择是否批准。")},
    )
    comment = text_field(_("审批意见"), rows=3)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["comment"].help_text = gettext("不予批准时须写明理由。")

    @property
    def approve(self) -> bool:
        return bool(self.cleaned_data["decision"] == APPROVE)


class DecisionForm(ActionForm):
    """Who decided (R-T1): a meeting, named and dated, or a school leader's consent."""

    decision_kind = forms.ChoiceField(
        label=_("决定方式"), choices=DecisionKind.choices, widget=forms.RadioSelect, required=False
    )
    meeting_name = forms.CharField(
        label=_("会议名称及期次"),
        required=False,
        max_length=200,
        help_text=_("会议研究决定时填写，例如“2026年第20次校长办公会”。"),
    )
    meeting_date = date_field(_("会议日期"))
    leader = LeaderChoiceField(
        label=_("同意的校领导"),
        queryset=User.objects.none(),
        required=False,
        help_text=_("校领导同意时选择。"),
    )
    basis = text_field(_("决定依据"), rows=2)
    reason = text_field(_("客观原因"), rows=3)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["leader"].queryset = school_leaders()  # type: ignore[attr-defined]
        self.fields["leader"].empty_label = gettext("请选择校领导")  # type: ignore[attr-defined]
        self.fields["basis"].help_text = gettext("会议纪要、领导批示等文件的名称和文号。")


class TerminateForm(DecisionForm):
    pass


class AdjustForm(DecisionForm):
    new_deadline = date_field(_("调整后的办结时限"))
    new_content = text_field(_("调整后的工作内容"), rows=4)

    field_order = ["new_deadline", "new_content"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["new_deadline"].help_text = gettext("不调整时限则留空。")
        self.fields["new_content"].help_text = gettext("不调整工作内容则留空。")
