"""The item page's 回避 section (R-C4): its form and what it shows to each person.
`recusal_views` takes the declaration; `workbench.sections` puts it on the page."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy

from duban.items import policy
from duban.items.models import Item

from .forms import UnitChoiceField, active_units


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
    # The units' ids and names only (UnitChoiceField): no unit is built for the select.
    unit = UnitChoiceField(label=gettext_lazy("单位"), queryset=active_units(), required=False)
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
