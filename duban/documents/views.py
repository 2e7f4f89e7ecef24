"""The documents pages: circulars (/documents/circulars/), volumes
(/documents/volumes/, /documents/volumes/<id>/ and its index PDF) and dossiers
(/documents/dossiers/<item_id>.pdf).

Circulars and volumes are the supervising office's (its supervisors only; others get
403). A dossier is shown to whoever may see the archived item (R-C5); to everyone
else, like a volume of another office, it answers 404 exactly as a missing one.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.db.models.functions import Coalesce, ExtractYear
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import patch_cache_control
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from duban import clock
from duban.items.errors import ActionError
from duban.items.visibility import note_read
from duban.organisation.models import Unit
from duban.web.item_views import add_action_errors
from duban.web.views import current_user

from . import actions
from .circulars import PDF_TYPE, CircularContent, circular_file
from .dossiers import (
    archived_item,
    build_dossier,
    visible_volume,
    volume_entries,
    volume_index_pdf,
)
from .forms import CircularForm, VolumeForm, month_period
from .models import Circular, Volume
from .pdf import PdfUnavailable, pdf_available, render_pdf, unavailable_message

RECENT_CIRCULARS = 20


def _office(request: HttpRequest) -> Unit:
    office = actions.supervising_office_of(current_user(request))
    if office is None:
        raise PermissionDenied(_("只有督办部门的督办员可以使用通报与归档。"))
    return office


def _file_response(content: bytes, content_type: str, filename: str, *, download: bool) -> Any:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(download, filename) or ""
    response["X-Content-Type-Options"] = "nosniff"
    patch_cache_control(response, private=True, no_store=True)
    return response


def _pdf_unavailable(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "documents/unavailable.html", {"message": message}, status=503)


@require_safe
@login_required
def home(request: HttpRequest) -> HttpResponse:
    _office(request)
    return redirect("documents-circulars")


# ----------------------------------------------------------------------------- circulars


def _circular_file(content: CircularContent, file_format: str) -> HttpResponse:
    data, content_type, filename = circular_file(content, file_format)
    return _file_response(data, content_type, filename, download=True)


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def circulars(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    office = _office(request)
    status = 200
    error_message = ""
    if request.method == "POST":
        form = CircularForm(request.POST)
        file_format = request.POST.get("file_format", "")
        if not form.is_valid():
            status = 400
        elif file_format == "pdf" and not pdf_available():
            return _pdf_unavailable(request, unavailable_message())
        else:
            try:
                content = actions.generate_circular(
                    user,
                    start=form.cleaned_data["start"],
                    end=form.cleaned_data["end"],
                    file_format=file_format,
                )
            except ActionError as error:
                add_action_errors(form, error)
                error_message, status = error.message, error.status
            else:
                return _circular_file(content, file_format)
    else:
        this_month = month_period(clock.today())
        initial = {"start": this_month[0], "end": this_month[1]}
        preset = CircularForm(request.GET)  # the quick picks' links
        if request.GET and preset.is_valid():
            initial = preset.cleaned_data
        form = CircularForm(initial=initial)
    today = clock.today()
    last_month_end = today.replace(day=1) - dt.timedelta(days=1)
    return render(
        request,
        "documents/circulars.html",
        {
            "office": office,
            "form": form,
            "error_message": error_message,
            "circulars": list(
                Circular.objects.filter(office=office).select_related("office", "created_by")[
                    :RECENT_CIRCULARS
                ]
            ),
            "presets": [
                (_("本月"), month_period(today)),
                (_("上月"), month_period(last_month_end)),
                (_("本年"), (today.replace(month=1, day=1), today.replace(month=12, day=31))),
            ],
            "pdf_available": pdf_available(),
        },
        status=status,
    )


# ----------------------------------------------------------------------------- volumes


def _pending_by_year(user: Any, office: Unit) -> list[dict[str, int]]:
    """How many closed items wait for filing, per year closed (one query)."""
    return list(
        actions.archivable_items(user, office)
        .annotate(closed_year=ExtractYear(Coalesce("completed_at", "terminated_at")))
        .order_by()
        .values("closed_year")
        .annotate(count=Count("pk"))
        .order_by("-closed_year")
    )


def _items_to_file(user: Any, office: Unit, year: int) -> list[Any]:
    """What 立卷归档 of `year` would file now, in the volume's order."""
    return list(
        actions.archivable_items(user, office)
        .filter(actions.closed_in(year))
        .select_related("lead_unit")
        .order_by("source_kind", "year", "serial", "pk")
    )


def _confirmed(request: HttpRequest, to_file: list[Any]) -> bool:
    """Whether the person confirmed filing exactly these items: if any was closed or
    filed meanwhile, they are shown the new list to confirm again."""
    if request.POST.get("confirmed") != "1":
        return False
    return sorted(request.POST.getlist("item")) == sorted(str(item.pk) for item in to_file)


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def volumes(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    office = _office(request)
    pending = _pending_by_year(user, office)
    this_year = clock.today().year
    years = sorted({this_year, this_year - 1, *(row["closed_year"] for row in pending)})[::-1]
    status = 200
    error_message = ""
    if request.method == "POST":
        form = VolumeForm(request.POST, years=years)
        if not form.is_valid():
            status = 400
        elif (to_file := _items_to_file(user, office, form.cleaned_data["year"])) and not (
            _confirmed(request, to_file)
        ):
            # 立卷归档 cannot be undone: first show what it will file (nothing changes).
            # (With nothing to file, the action below says so.)
            year = form.cleaned_data["year"]
            return render(
                request,
                "documents/volume_confirm.html",
                {
                    "year": year,
                    "items": to_file,
                    "changed": request.POST.get("confirmed") == "1",
                },
            )
        else:
            try:
                volume = actions.file_volume(user, form.cleaned_data["year"])
            except ActionError as error:
                add_action_errors(form, error)
                error_message, status = error.message, error.status
            else:
                messages.success(
                    request,
                    _("已立卷：%(title)s，共%(count)d件。")
                    % {"title": volume.title, "count": volume.entries.count()},
                )
                return redirect("documents-volume", volume.pk)
    else:
        default = next((row["closed_year"] for row in pending), this_year)
        form = VolumeForm(initial={"year": default}, years=years)
    return render(
        request,
        "documents/volumes.html",
        {
            "office": office,
            "form": form,
            "error_message": error_message,
            "pending": pending,
            "volumes": list(
                Volume.objects.filter(office=office)
                .select_related("office", "filed_by")
                .annotate(entry_count=Count("entries"))
            ),
        },
        status=status,
    )


@require_safe
@login_required
def volume(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    found = visible_volume(user, pk)
    if found is None:
        raise Http404
    return render(
        request,
        "documents/volume.html",
        {
            "volume": found,
            "entries": list(volume_entries(user, found)),
            "pdf_available": pdf_available(),
        },
    )


@require_safe
@login_required
def volume_index(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    found = visible_volume(user, pk)
    if found is None:
        raise Http404
    try:
        pdf = volume_index_pdf(user, found)
    except PdfUnavailable as error:
        return _pdf_unavailable(request, error.message)
    filename = _("%(title)s卷内目录.pdf") % {"title": found.title}
    return _file_response(pdf, PDF_TYPE, filename, download=False)


# ----------------------------------------------------------------------------- dossiers


@require_safe
@login_required
def dossier(request: HttpRequest, item_id: int) -> HttpResponse:
    user = current_user(request)
    item = archived_item(user, item_id)
    if item is None:
        raise Http404
    note_read(user, item, "案卷")
    record = build_dossier(item, clock.now())
    filed_at = record.entry.volume.filed_at if record.entry else None
    try:
        pdf = render_pdf(
            "documents/pdf/dossier.html",
            {"dossier": record, "filed_at": filed_at},
            ("documents/pdf/dossier.css",),
        )
    except PdfUnavailable as error:
        return _pdf_unavailable(request, error.message)
    filename = f"{item.ledger_number}{item.title}.pdf"
    return _file_response(pdf, PDF_TYPE, filename, download=False)
