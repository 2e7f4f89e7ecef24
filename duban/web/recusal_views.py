"""Recusal (回避, R-C4) on the item page: the supervising office records a person or a
unit with the reason; anyone who sees the item may declare their own recusal. The
office is warned on the page when a unit named on the item is recused. The section's
form and what it shows are `recusal_section`."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from duban.items import actions
from duban.items.errors import ActionError
from duban.organisation.models import Unit, User

from .item_views import item_page, visible_item
from .recusal_section import RecusalForm
from .views import current_user


@require_POST
@login_required
def declare(request: HttpRequest, pk: int) -> HttpResponse:
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
