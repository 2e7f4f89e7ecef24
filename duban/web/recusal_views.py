"""Recusal (回避, R-C4) on the item page: the supervising office records a person or a
unit with the reason; anyone who sees the item may declare their own recusal. The
office is warned on the page when a unit named on the item is recused."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from duban.items import actions, policy
from duban.items.errors import ActionError
from duban.items.models import Item
from duban.organisation.models import Unit, User

from .views import current_user


class RecusalForm(forms.Form):
    who = forms.ChoiceField(
        label=gettext_lazy("回避对象"),
        choices=[
            ("self", gettext_lazy("本人")),
            ("person", gettext_lazy("其他人员")),
            ("unit", gettext_lazy("单位")),
        ],
        initial="self",
    )
    username = forms.CharField(label=gettext_lazy("人员用户名"), required=False, max_length=150)
    unit = forms.ModelChoiceField(
        label=gettext_lazy("单位"), queryset=Unit.objects.filter(is_active=True), required=False
    )
    reason = forms.CharField(
        label=gettext_lazy("回避理由"), widget=forms.Textarea(attrs={"rows": 2})
    )


def item_page_context(item: Item, user: Any) -> dict[str, Any]:
    """What the item page shows of recusals: the office sees the list and a warning for
    recused units named on the item; everyone else only the self-declaration form."""
    office = policy.is_office_supervisor_of(user, item)
    if not office:
        return {"recusal_office_view": False, "recusal_form": RecusalForm()}
    recusals = list(item.recusals.select_related("person", "unit", "declared_by"))
    named = {item.lead_unit_id, *(unit.pk for unit in item.cooperating_units.all())}
    return {
        "recusal_office_view": True,
        "recusals": recusals,
        "recused_named_units": [r.unit for r in recusals if r.unit_id in named],
        "recusal_form": RecusalForm(),
    }


@require_POST
@login_required
def declare(request: HttpRequest, pk: int) -> HttpResponse:
    from .item_views import item_page, visible_item

    user = current_user(request)
    item = visible_item(request, pk)
    form = RecusalForm(request.POST)
    if not form.is_valid():
        return item_page(request, item, error_message=_("请填写回避理由。"), status=400)
    data = form.cleaned_data
    person: User | None = None
    unit: Unit | None = None
    if data["who"] == "self":
        person = user
    elif data["who"] == "person":
        person = User.objects.filter(username=data["username"].strip(), is_active=True).first()
        if person is None:
            return item_page(request, item, error_message=_("没有这个用户名的人员。"), status=400)
    else:
        unit = data["unit"]
    try:
        actions.declare_recusal(user, item, reason=data["reason"], person=person, unit=unit)
    except ActionError as error:
        return item_page(request, item, error_message=error.message, status=error.status)
    messages.success(request, _("已登记回避。"))
    if person is not None and person.pk == user.pk:
        # The item is now hidden from the person who declared it.
        return redirect("my-work")
    return redirect("item-detail", pk=item.pk)
