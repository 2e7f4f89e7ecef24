"""Circulars (通报, R-K4), archive volumes (立卷归档, R-K2) and dossiers over the API:
the same reads and actions as the pages under /documents/ (`duban.documents.views`),
with the same rules.

- Circulars and volumes are the supervising office's: its supervisors only (403 for
  anyone else, as on the pages); a volume of another office answers 404 like a
  missing one.
- A dossier is shown to whoever may see the archived item (R-C5); to anyone else it
  answers 404 exactly as a missing one.
- Generating a circular answers with the file itself (Word or PDF), like the page;
  filing a volume needs the list of items it files, as the page's confirmation step
  shows them: if that list changed meanwhile, 409 and nothing is filed.

Every change is an action of `duban.documents.actions`; a refusal is its JSON error and
changes nothing. PDFs need WeasyPrint's system libraries: without them, 503.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count
from django.db.models.functions import Coalesce, ExtractYear
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from duban import clock
from duban.documents import actions
from duban.documents.circulars import DOCX_TYPE, PDF_TYPE, CircularContent, circular_file
from duban.documents.dossiers import (
    archived_item,
    build_dossier,
    closed_on,
    visible_volume,
    volume_entries,
    volume_index_pdf,
)
from duban.documents.models import Circular, Volume
from duban.documents.pdf import PdfUnavailable, pdf_available, render_pdf, unavailable_message
from duban.items.errors import PermissionRefused, StateRefused
from duban.items.models import Item
from duban.items.visibility import note_read
from duban.organisation.models import Unit

from . import present
from .errors import NotFound, error_response
from .oversight_schemas import (
    CircularIn,
    CircularOut,
    ItemToFileOut,
    VolumeFilters,
    VolumeIn,
    VolumeOut,
    VolumesOut,
)
from .schemas import ErrorOut

router = Router(tags=["通报与归档"])

READ: dict[int, Any] = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut}
ACT: dict[int, Any] = {**READ, 409: ErrorOut}
OFFICE_REFUSAL = "只有督办部门的督办员可以使用通报与归档。"
RECENT_CIRCULARS = 20


def _user(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


def _office(user: Any) -> Unit:
    office = actions.supervising_office_of(user)
    if office is None:
        raise PermissionRefused(_(OFFICE_REFUSAL))
    return office


def _file(content: bytes, content_type: str, filename: str, *, download: bool) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(download, filename) or ""
    response["X-Content-Type-Options"] = "nosniff"
    patch_cache_control(response, private=True, no_store=True)
    return response


def _pdf_unavailable(error: PdfUnavailable) -> HttpResponse:
    return error_response(503, "pdf_unavailable", error.message)


def _file_responses(content_type: str, description: str) -> dict[str, Any]:
    """The OpenAPI answer of an endpoint that answers with a file."""
    return {
        "responses": {
            "200": {
                "description": description,
                "content": {content_type: {"schema": {"type": "string", "format": "binary"}}},
            },
            "503": {
                "description": "PDF 组件不可用",
                "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}
                },
            },
        }
    }


# ----------------------------------------------------------------------------- circulars


def _circular(row: Circular) -> dict[str, Any]:
    return {
        "id": row.pk,
        "document_number": row.document_number,
        "year": row.year,
        "number": row.number,
        "period_start": row.period_start,
        "period_end": row.period_end,
        "created_by": present.name(row.created_by),
        "created_at": present.local(row.created_at),
    }


@router.get("/documents/circulars", response={200: list[CircularOut], **READ}, summary="通报列表")
def list_circulars(request: HttpRequest) -> list[dict[str, Any]]:
    """The office's most recent circulars (at most 20), newest number first."""
    office = _office(_user(request))
    rows = Circular.objects.filter(office=office).select_related("office", "created_by")
    return [_circular(row) for row in rows[:RECENT_CIRCULARS]]


def _circular_file(content: CircularContent, file_format: str) -> HttpResponse:
    data, content_type, filename = circular_file(content, file_format)
    return _file(data, content_type, filename, download=True)


@router.post(
    "/documents/circulars",
    response={200: None, **ACT, 503: ErrorOut},
    summary="生成通报",
    openapi_extra={
        "responses": {
            "200": {
                "description": "通报文件（Word 或 PDF，Content-Disposition: attachment）",
                "content": {
                    media: {"schema": {"type": "string", "format": "binary"}}
                    for media in (DOCX_TYPE, PDF_TYPE)
                },
            }
        }
    },
)
def generate_circular(request: HttpRequest, payload: CircularIn) -> HttpResponse:
    """生成通报 (R-K4): the circular of your office for the period, as Word or PDF. The
    document number is given at the period's first generation and kept; each
    generation is audited with its format."""
    user = _user(request)
    _office(user)
    if payload.file_format == "pdf" and not pdf_available():
        # Said before the action runs, so no circular is numbered for nothing.
        return _pdf_unavailable(PdfUnavailable(unavailable_message()))
    try:
        content = actions.generate_circular(
            user, start=payload.start, end=payload.end, file_format=payload.file_format
        )
        return _circular_file(content, payload.file_format)
    except PdfUnavailable as error:
        return _pdf_unavailable(error)


# ----------------------------------------------------------------------------- volumes


def _volume_summary(row: Volume, entry_count: int) -> dict[str, Any]:
    return {
        "id": row.pk,
        "title": row.title,
        "year": row.year,
        "number": row.number,
        "entry_count": entry_count,
        "filed_by": present.name(row.filed_by),
        "filed_at": present.local(row.filed_at),
    }


def _item_to_file(item: Item) -> dict[str, Any]:
    return {
        "id": item.pk,
        "ledger_number": item.ledger_number,
        "title": item.title,
        "lead_unit": present.unit_ref(item.lead_unit),
        "status": item.status,
        "status_label": str(item.get_status_display()),
        "closed_on": closed_on(item),
    }


def _items_to_file(user: Any, office: Unit, year: int) -> list[Item]:
    """What 立卷归档 of `year` would file now, in the volume's order (the page's list)."""
    return list(
        actions.archivable_items(user, office)
        .filter(actions.closed_in(year))
        .select_related("lead_unit")
        .order_by("source_kind", "year", "serial", "pk")
    )


@router.get("/documents/volumes", response={200: VolumesOut, **READ}, summary="案卷列表")
def list_volumes(request: HttpRequest) -> dict[str, Any]:
    """The office's volumes, and how many closed items wait for filing per year."""
    user = _user(request)
    office = _office(user)
    pending = (
        actions.archivable_items(user, office)
        .annotate(closed_year=ExtractYear(Coalesce("completed_at", "terminated_at")))
        .order_by()
        .values("closed_year")
        .annotate(count=Count("pk"))
        .order_by("-closed_year")
    )
    volumes = (
        Volume.objects.filter(office=office)
        .select_related("office", "filed_by")
        .annotate(entry_count=Count("entries"))
    )
    return {
        "pending": [{"year": row["closed_year"], "count": row["count"]} for row in pending],
        "volumes": [_volume_summary(row, row.entry_count) for row in volumes],
    }


@router.get(
    "/documents/volumes/to-file",
    response={200: list[ItemToFileOut], **READ},
    summary="待归档事项",
)
def list_items_to_file(request: HttpRequest, filters: Query[VolumeFilters]) -> list[dict[str, Any]]:
    """What filing `year` would file now, in the volume's order: the list to confirm
    (send its ids back to POST /documents/volumes)."""
    user = _user(request)
    office = _office(user)
    return [_item_to_file(item) for item in _items_to_file(user, office, filters.year)]


class FilingChanged(StateRefused):
    code = "changed"


def _volume_detail(user: Any, volume: Volume) -> dict[str, Any]:
    entries = list(volume_entries(user, volume))
    return {
        **_volume_summary(volume, volume.entries.count()),
        "office": present.unit_ref(volume.office),
        "entries": [
            {"position": entry.position, "item": _item_to_file(entry.item)} for entry in entries
        ],
    }


@router.post("/documents/volumes", response={201: VolumeOut, **ACT}, summary="立卷归档")
def file_volume(request: HttpRequest, payload: VolumeIn) -> Status[dict[str, Any]]:
    """立卷归档 (R-K2): file the office's items closed in `year` into a new volume; each
    becomes archived and read-only. It cannot be undone, so `items` must name exactly
    the items GET /documents/volumes/to-file lists now: if any was closed or filed
    meanwhile, 409 `changed` and nothing is filed."""
    user = _user(request)
    office = _office(user)
    to_file = _items_to_file(user, office, payload.year)
    if to_file and sorted(set(payload.items)) != sorted(item.pk for item in to_file):
        raise FilingChanged(
            _("待归档的事项已有变化，请重新获取待归档事项并确认。"),
            errors={"items": _("须恰为该年度当前待归档的全部事项。")},
        )
    volume = actions.file_volume(user, payload.year)
    found = visible_volume(user, volume.pk)
    assert found is not None
    return Status(201, _volume_detail(user, found))


@router.get("/documents/volumes/{volume_id}", response={200: VolumeOut, **READ}, summary="案卷详情")
def read_volume(request: HttpRequest, volume_id: int) -> dict[str, Any]:
    """One volume of your office with its entries in filing order (those you may see)."""
    user = _user(request)
    found = visible_volume(user, volume_id)
    if found is None:
        raise NotFound(_("案卷不存在。"))
    return _volume_detail(user, found)


@router.get(
    "/documents/volumes/{volume_id}/index",
    response={200: None, **READ, 503: ErrorOut},
    summary="卷内目录（PDF）",
    openapi_extra=_file_responses(PDF_TYPE, "卷内目录 PDF（Content-Disposition: inline）"),
)
def read_volume_index(request: HttpRequest, volume_id: int) -> HttpResponse:
    """The volume's index (卷内目录) as a printable PDF."""
    user = _user(request)
    found = visible_volume(user, volume_id)
    if found is None:
        raise NotFound(_("案卷不存在。"))
    try:
        pdf = volume_index_pdf(user, found)
    except PdfUnavailable as error:
        return _pdf_unavailable(error)
    filename = _("%(title)s卷内目录.pdf") % {"title": found.title}
    return _file(pdf, PDF_TYPE, filename, download=False)


# ----------------------------------------------------------------------------- dossiers


@router.get(
    "/documents/dossiers/{item_id}",
    response={200: None, **READ, 503: ErrorOut},
    summary="归档事项案卷（PDF）",
    openapi_extra=_file_responses(PDF_TYPE, "事项案卷 PDF（Content-Disposition: inline）"),
)
def read_dossier(request: HttpRequest, item_id: int) -> HttpResponse:
    """An archived item's full record as a printable PDF, for whoever may see the item
    (R-C5); anything else answers 404 like a missing item."""
    user = _user(request)
    item = archived_item(user, item_id)
    if item is None:
        raise NotFound(_("归档事项不存在。"))
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
        return _pdf_unavailable(error)
    return _file(pdf, PDF_TYPE, f"{item.ledger_number}{item.title}.pdf", download=False)
