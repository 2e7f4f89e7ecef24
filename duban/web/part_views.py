"""分办 (R-A4) on the item page: the division among the cooperating units, each part's
state, date and light; the lead unit divides, re-dates and urges; the cooperating unit
signs for and reports on its own part; the office reads. Views call the actions; a
refusal shows the item page again with the message and what was typed. The section's
forms and what it shows are `part_section`."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from duban.items import actions
from duban.items.errors import ActionError
from duban.items.models import WorkPart
from duban.items.parts import part_to_act_on

from .item_views import add_action_errors, item_page, visible_item
from .part_section import PART_FORMS, PART_LABELS, DivideForm, item_page_context
from .views import current_user


@require_POST
@login_required
def divide(request: HttpRequest, pk: int) -> HttpResponse:
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
