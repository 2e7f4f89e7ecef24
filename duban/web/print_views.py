"""/items/<pk>/print/: any item the person may see as a clean A4 page, printed from
the browser. The content is the dossier's (duban.documents.dossiers.build_dossier and
its template), so the print view and the archived item's PDF never drift apart."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from duban import clock
from duban.documents.dossiers import build_dossier, dossier_item
from duban.items.states import Status
from duban.items.visibility import note_read

from .views import current_user


@require_safe
@login_required
def item_print(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    item = dossier_item(user, pk)  # the visibility rule: a hidden item is not found
    if item is None:
        raise Http404
    note_read(user, item, "打印页")
    dossier = build_dossier(item, clock.now())
    archived = item.status == Status.ARCHIVED
    return render(
        request,
        "web/item_print.html",
        {
            "dossier": dossier,
            "heading": _("督办事项案卷") if archived else _("督办事项办理情况"),
            "filed_at": dossier.entry.volume.filed_at if dossier.entry else None,
        },
    )
