"""The ledger's bulk actions and 我的视图 (saved filters).

Bulk actions (office supervisors only): POST /items/bulk/ with the ticked rows
(`items`, at most BULK_LIMIT) and an `operation`:
- urge: a 系统通知 urge to each item's lead unit liaison, through `urge_item`;
- export: the ticked rows as .xlsx, through `write_ledger` and the audited
  `record_export`, like the ledger's own export;
- assign: 交办 of each established item through `assign_item`, after a confirmation
  page (the same post again with confirmed=1; nothing changes until then).
Each item goes through the same action as on its own page, one by one, each in its
own transaction: a refusal changes nothing for that item and does not stop the
others. The report names each item with what was done or why it was refused. The
rows are looked up through the visibility rule only: a ticked id the person may not
see is reported exactly like one that does not exist.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    QueryDict,
)
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from duban.items import actions, policy
from duban.items.errors import ActionError
from duban.items.models import Item, UrgeChannel
from duban.ledger import actions as ledger_actions
from duban.ledger.export import CONTENT_TYPE, ledger_title, write_ledger
from duban.ledger.exporting import export_filename
from duban.ledger.views import SPOOL_BYTES
from duban.organisation.models import User

from .saved_views import ViewRefused, clean_query, delete_view, save_view
from .views import current_user, ledger_items

BULK_LIMIT = 100  # the largest page of the ledger
OPERATIONS = ("urge", "export", "assign")
CONFIRMED = "confirmed"


class BulkInputError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class Outcome:
    """What became of one ticked row."""

    item_id: int
    item: Item | None  # None: not found (missing, or hidden from this person)
    done: bool
    message: str


def not_found(item_id: int) -> Outcome:
    return Outcome(item_id, None, False, _("未找到该事项（不存在或您无权查看）。"))


def _supervisor(request: HttpRequest) -> User:
    user = current_user(request)
    if not user.is_office_supervisor:
        raise PermissionDenied(_("只有督办部门的督办员可以批量操作督办事项。"))
    return user


def selected_ids(request: HttpRequest) -> list[int]:
    """The ticked item ids, in the order ticked, each once."""
    raw = [value.strip() for value in request.POST.getlist("items")]
    if not raw:
        raise BulkInputError(_("请先勾选要操作的督办事项。"))
    if not all(value.isascii() and value.isdigit() and len(value) < 10 for value in raw):
        raise BulkInputError(_("所选事项无效，请回到台账重新勾选。"))
    ids = list(dict.fromkeys(int(value) for value in raw))
    if len(ids) > BULK_LIMIT:
        raise BulkInputError(_("一次最多操作%(limit)d项，请减少勾选。") % {"limit": BULK_LIMIT})
    return ids


def selected_items(user: User, ids: list[int]) -> dict[int, Item]:
    """The ticked items the person may see (R-C5), by id."""
    rows = (
        Item.objects.visible_to(user)
        .filter(pk__in=ids)
        .select_related("lead_unit__liaison", "lead_unit__head", "lead_unit__leader_in_charge")
    )
    return {item.pk: item for item in rows}


def back_query(request: HttpRequest) -> str:
    """The ledger's filters the bulk form was posted from, to link back to them."""
    return clean_query(str(request.POST.get("back") or ""))


def bulk_error(request: HttpRequest, message: str) -> HttpResponse:
    return render(
        request,
        "web/bulk_result.html",
        {"error": message, "back": back_query(request), "outcomes": []},
        status=400,
    )


@require_POST
@login_required
def bulk_action(request: HttpRequest) -> HttpResponseBase:
    user = _supervisor(request)
    operation = request.POST.get("operation", "")
    if operation not in OPERATIONS:
        return bulk_error(request, _("请选择批量操作：批量催办、导出所选或批量交办。"))
    try:
        ids = selected_ids(request)
    except BulkInputError as error:
        return bulk_error(request, error.message)
    found = selected_items(user, ids)
    if operation == "export":
        return bulk_export(request, user, ids, found)
    if operation == "assign" and request.POST.get(CONFIRMED) != "1":
        return bulk_assign_confirmation(request, user, ids, found)
    run = bulk_urge if operation == "urge" else bulk_assign
    outcomes = [run(request, user, found[pk]) if pk in found else not_found(pk) for pk in ids]
    return render(
        request,
        "web/bulk_result.html",
        {
            "operation": operation,
            "heading": _("批量催办结果") if operation == "urge" else _("批量交办结果"),
            "outcomes": outcomes,
            "done_count": sum(outcome.done for outcome in outcomes),
            "refused_count": sum(not outcome.done for outcome in outcomes),
            "back": back_query(request),
        },
    )


def bulk_urge(request: HttpRequest, user: User, item: Item) -> Outcome:
    """A 系统通知 urge to the lead unit's liaison (R-U2), as the item page sends one."""
    liaison = item.lead_unit.liaison
    if liaison is None:
        return Outcome(item.pk, item, False, _("承办单位未设置联络员，无法发送系统通知催办。"))
    try:
        actions.urge_item(
            user,
            item,
            channel=UrgeChannel.SYSTEM,
            recipient=liaison,
            note=request.POST.get("note", ""),
        )
    except ActionError as error:
        return Outcome(item.pk, item, False, error.message)
    return Outcome(
        item.pk,
        item,
        True,
        _("已通过系统通知催办%(unit)s联络员%(person)s。")
        % {"unit": item.lead_unit.name, "person": liaison.full_name},
    )


def bulk_assign(request: HttpRequest, user: User, item: Item) -> Outcome:
    try:
        actions.assign_item(user, item, request.POST.get("instruction", ""))
    except ActionError as error:
        return Outcome(item.pk, item, False, error.message)
    return Outcome(item.pk, item, True, _("已交办给%(unit)s。") % {"unit": item.lead_unit.name})


def bulk_assign_confirmation(
    request: HttpRequest, user: User, ids: list[int], found: dict[int, Item]
) -> HttpResponse:
    """What the bulk 交办 will do, item by item, before anything is done."""
    outcomes = []
    for pk in ids:
        item = found.get(pk)
        if item is None:
            outcomes.append(not_found(pk))
            continue
        try:
            policy.check(user, item, "assign")
        except ActionError as error:
            outcomes.append(Outcome(pk, item, False, error.message))
        else:
            outcomes.append(
                Outcome(pk, item, True, _("将交办给%(unit)s。") % {"unit": item.lead_unit.name})
            )
    assignable = [outcome for outcome in outcomes if outcome.done]
    return render(
        request,
        "web/bulk_confirm.html",
        {
            "outcomes": outcomes,
            "assignable_count": len(assignable),
            "refused_count": len(outcomes) - len(assignable),
            "ids": ids,
            "back": back_query(request),
            "confirmed": CONFIRMED,
        },
    )


def bulk_export(
    request: HttpRequest, user: User, ids: list[int], found: dict[int, Item]
) -> HttpResponseBase:
    """The ticked rows as the ledger's .xlsx, audited like every export."""
    if not found:
        return bulk_error(request, _("所选事项均未找到（不存在或您无权查看），没有可导出的事项。"))
    _form, rows = ledger_items(user, QueryDict())
    rows = rows.filter(pk__in=list(found))
    missing = len(ids) - len(found)
    description = _("勾选的%(count)d项") % {"count": len(found)}
    if missing:
        description += _("（另有%(missing)d项未找到，未导出）") % {"missing": missing}
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # FileResponse closes it
    result = write_ledger(rows, spool, title=ledger_title(None), filters=description)
    filters = {"selected": ",".join(str(pk) for pk in ids if pk in found)}  # as ticked
    ledger_actions.record_export(
        user, filters=filters, description=description, result=result, via="page"
    )
    spool.seek(0)
    return FileResponse(
        spool, as_attachment=True, filename=export_filename(None), content_type=CONTENT_TYPE
    )


# ----------------------------------------------------------------------------- 我的视图


def _ledger_url(query: str) -> str:
    return f"{reverse('ledger')}?{query}" if query else reverse("ledger")


@require_POST
@login_required
def view_save(request: HttpRequest) -> HttpResponse:
    """Save the ledger's current filters (`query`) under `name`."""
    user = current_user(request)
    query = str(request.POST.get("query") or "")
    try:
        saved = save_view(user, str(request.POST.get("name") or ""), query)
    except ViewRefused as error:
        messages.error(request, error.message)
        return redirect(_ledger_url(clean_query(query)))
    if saved.replaced:
        messages.success(request, _("已更新视图“%(name)s”。") % {"name": saved.view.name})
    else:
        messages.success(request, _("已保存视图“%(name)s”。") % {"name": saved.view.name})
    return redirect(_ledger_url(saved.view.query))


@require_POST
@login_required
def view_delete(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    view = delete_view(user, pk)
    if view is None:
        raise Http404(_("视图不存在。"))
    messages.success(request, _("已删除视图“%(name)s”。") % {"name": view.name})
    return redirect("ledger")
