"""分办 (R-A4) on the item page: the division among the cooperating units, each part's
state, date and light; the lead unit divides, re-dates and urges; the cooperating unit
signs for and reports on its own part; the office reads. Views call the actions; a
refusal shows the item page again with the message and what was typed."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from duban.items import actions
from duban.items.errors import ActionError
from duban.items.models import Item, UrgeChannel, WorkPart
from duban.items.parts import item_parts, part_to_act_on
from duban.items.policy import allowed_part_actions
from duban.organisation.models import Unit

from .forms import DATE_FORMAT
from .views import current_user

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format=DATE_FORMAT)


class DivideForm(forms.Form):
    unit: forms.ModelChoiceField[Unit] = forms.ModelChoiceField(
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


@require_POST
@login_required
def divide(request: HttpRequest, pk: int) -> HttpResponse:
    from .item_views import add_action_errors, item_page, visible_item

    user = current_user(request)
    item = visible_item(request, pk)
    form = DivideForm(request.POST, item=item)
    if form.is_valid():
        data = form.cleaned_data
        try:
            actions.divide_item(
                user, item, unit=data["unit"], task=data["task"], deadline=data["deadline"]
            )
        except ActionError as error:
            add_action_errors(form, error)
            return item_page(
                request,
                item,
                error_message=error.message,
                status=error.status,
                extra=item_page_context(item, user, divide_form=form),
            )
        messages.success(request, _("已分办给%(unit)s。") % {"unit": data["unit"].name})
        return redirect("item-detail", pk=item.pk)
    return item_page(
        request,
        item,
        error_message=_("请检查分办的内容。"),
        status=400,
        extra=item_page_context(item, user, divide_form=form),
    )


@require_POST
@login_required
def part_action(request: HttpRequest, pk: int, part_pk: int, action: str) -> HttpResponse:
    from .item_views import add_action_errors, item_page, visible_item

    user = current_user(request)
    item = visible_item(request, pk)
    if action not in PART_FORMS:
        raise Http404
    own_only = action in ("sign_part", "report_part")
    part: WorkPart | None = part_to_act_on(user, item, part_pk, own_only=own_only)
    if part is None:
        raise Http404(_("分工不存在。"))
    form = PART_FORMS[action](request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            if action == "sign_part":
                actions.sign_part(user, part)
            elif action == "report_part":
                actions.report_part(user, part, data["text"])
            elif action == "urge_part":
                actions.urge_part(user, part, channel=data["channel"], note=data["note"])
            else:
                actions.redate_part(user, part, data["deadline"])
        except ActionError as error:
            add_action_errors(form, error)
            return item_page(
                request,
                item,
                error_message=error.message,
                status=error.status,
                extra=item_page_context(item, user, posted_part=(part.pk, action, form)),
            )
        messages.success(request, _("%(action)s：已完成。") % {"action": PART_LABELS[action]})
        return redirect("item-detail", pk=item.pk)
    return item_page(
        request,
        item,
        error_message=_("请检查填写的内容。"),
        status=400,
        extra=item_page_context(item, user, posted_part=(part.pk, action, form)),
    )
