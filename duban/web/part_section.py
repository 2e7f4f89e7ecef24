"""The item page's 分办 section (R-A4): its forms and what it shows to each person.
`part_views` takes the section's posts; `workbench.sections` puts it on the page."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy

from duban.items.models import Item, UrgeChannel
from duban.items.parts import item_parts
from duban.items.policy import allowed_part_actions
from duban.organisation.models import Unit

from .forms import DATE_FORMAT, UnitChoiceField

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format=DATE_FORMAT)


class DivideForm(forms.Form):
    unit: forms.ModelChoiceField[Unit] = UnitChoiceField(
        label=gettext_lazy("配合单位"), queryset=Unit.objects.none()
    )
    task = forms.CharField(
        label=gettext_lazy("分工内容"), widget=forms.Textarea(attrs={"rows": 3}), max_length=20_000
    )
    deadline = forms.DateField(
        label=gettext_lazy("完成时限"), widget=DATE_INPUT, input_formats=[DATE_FORMAT]
    )

    def __init__(self, *args: Any, item: Item, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["unit"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = item.cooperating_units.order_by("code")


class PartReportForm(forms.Form):
    text = forms.CharField(
        label=gettext_lazy("办理情况"), widget=forms.Textarea(attrs={"rows": 3}), max_length=20_000
    )


class PartUrgeForm(forms.Form):
    channel = forms.ChoiceField(
        label=gettext_lazy("催办方式"), choices=UrgeChannel.choices, initial=UrgeChannel.SYSTEM
    )
    note = forms.CharField(
        label=gettext_lazy("催办内容"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=20_000,
        help_text=gettext_lazy("系统通知和短信发送此内容；不填则发送标准催办语。"),
    )


class RedateForm(forms.Form):
    deadline = forms.DateField(
        label=gettext_lazy("新的完成时限"), widget=DATE_INPUT, input_formats=[DATE_FORMAT]
    )


PART_FORMS: dict[str, type[forms.Form]] = {
    "sign_part": forms.Form,
    "report_part": PartReportForm,
    "urge_part": PartUrgeForm,
    "redate_part": RedateForm,
}
PART_LABELS = {
    "sign_part": gettext_lazy("签收分工"),
    "report_part": gettext_lazy("报送办理情况"),
    "urge_part": gettext_lazy("催办配合单位"),
    "redate_part": gettext_lazy("调整完成时限"),
}


def item_page_context(
    item: Item,
    user: Any,
    *,
    divide_form: DivideForm | None = None,
    posted_part: tuple[int, str, forms.Form] | None = None,
) -> dict[str, Any]:
    """The parts section: every part (one query for the parts, one per part's offer
    check is avoided: the checks read only the loaded rows)."""
    parts = list(item_parts(item))
    for part in parts:
        offered = []
        for action in allowed_part_actions(user, item, part):
            form: forms.Form = PART_FORMS[action]()
            if posted_part is not None and posted_part[:2] == (part.pk, action):
                form = posted_part[2]
            offered.append({"action": action, "label": PART_LABELS[action], "form": form})
        part.offered = offered  # type: ignore[attr-defined]
    may_divide = "divide" in allowed_part_actions(user, item)
    return {
        "parts": parts,
        "divide_form": divide_form or (DivideForm(item=item) if may_divide else None),
    }
