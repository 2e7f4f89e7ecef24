"""The ledger's Excel file over the API: the export, and the import in two steps.

Export, as the page's export link (`duban.ledger.views.export`): the rows are the
ledger page's for the same filters and sort (`duban.ledger.exporting`, over
`duban.web.views.ledger_items`: the visibility rule), the workbook is
`duban.ledger.export.write_ledger`'s, and every export is audited. A selection of up
to settings.LEDGER_EXPORT_DIRECT_ROWS rows is answered at once by `GET
/ledger/export`; a larger one (up to `exporting.PAGE_EXPORT_LIMIT`) is written by a
worker: `POST /ledger/exports` queues it (`exporting.request_export`), `GET
/ledger/exports/{id}` shows its progress, `GET /ledger/exports/{id}/file` downloads it.
Only its requester sees an export; anyone else's answers 404 like a missing id.

Import (office supervisors only, as the page): `POST /ledger/imports` uploads an .xlsx
(multipart/form-data) and keeps it (`actions.upload_ledger`): a small file is checked
by a dry run at once and the answer (201) is its report; a larger one is checked by a
worker, and the answer (202) is the upload `checking`, whose progress and then report
`GET /ledger/imports/{id}` shows. `POST /ledger/imports/{id}/confirm` imports it, all
or nothing (`actions.confirm_ledger_import`); refused (409) while it is still being
checked. Only the person who uploaded a file sees or imports it; anyone else's
answers 404 like a missing id.
"""

from __future__ import annotations

import io
import tempfile
from typing import Any

from django.conf import settings
from django.http import FileResponse, HttpRequest, QueryDict
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from ninja import File, Form, Query, Router, Status, UploadedFile

from duban.attachments.uploads import oversized_uploads
from duban.attachments.validation import clean_name
from duban.items.errors import ActionError, InvalidInput
from duban.ledger import actions, exporting
from duban.ledger.actions import _require_supervisor
from duban.ledger.export import CONTENT_TYPE
from duban.ledger.importing import MAX_BYTES
from duban.ledger.models import ExportStatus, ImportStatus, LedgerExport, LedgerImport
from duban.ledger.views import SPOOL_BYTES
from duban.reports.views import MAX_YEAR, MIN_YEAR
from duban.web.views import ledger_items

from . import present
from .errors import NotFound
from .items import READ_ERRORS, _user
from .schemas import ErrorOut, Id, server_rule
from .schemas_reports import LedgerExportOut, LedgerExportQuery, LedgerImportOut, ReportYear

router = Router(tags=["台账导出与导入"])

RECENT_IMPORTS = 10


class TooManyRows(ActionError):
    code = "too_many_rows"
    status = 400


class BackgroundExport(ActionError):
    code = "background_export"
    status = 409


class ExportNotReady(ActionError):
    code = "export_not_ready"
    status = 409


# ----------------------------------------------------------------------------- export


def _page_query(filters: LedgerExportQuery) -> QueryDict:
    """The filters as the ledger page's query string."""
    query = QueryDict(mutable=True)
    for name, value in filters.dict(exclude_none=True).items():
        query[name] = str(value)
    return query


def _checked(user: Any, filters: LedgerExportQuery) -> tuple[QueryDict, int]:
    """The page's query for `filters`, and its number of rows. A filter the page would
    ignore as invalid is refused here (the file would otherwise hold more rows than
    asked for); so is a selection above the page's limit."""
    query = _page_query(filters)
    form, items = ledger_items(user, query)
    if form.errors:
        errors = {
            name: "；".join(str(message) for message in messages)
            for name, messages in form.errors.items()
        }
        raise InvalidInput(
            _("筛选条件有误：%(fields)s。") % {"fields": "、".join(errors)}, errors=errors
        )
    count = items.count()
    if count > exporting.PAGE_EXPORT_LIMIT:
        raise TooManyRows(exporting.too_many(count))
    return query, count


XLSX_ANSWER = {
    "description": "督办工作台账 .xlsx（Content-Disposition: attachment）",
    "content": {CONTENT_TYPE: {"schema": {"type": "string", "format": "binary"}}},
}


@router.get(
    "/export",
    response={200: None, **READ_ERRORS, 409: ErrorOut},
    summary=gettext_noop("导出台账（Excel）"),
    openapi_extra={"responses": {"200": XLSX_ANSWER}},
)
def export_ledger(request: HttpRequest, filters: Query[LedgerExportQuery]) -> FileResponse:
    """The ledger as the page exports it: the items you may see, with the ledger
    page's filters and sort, one row each, as an .xlsx workbook. Above
    LEDGER_EXPORT_DIRECT_ROWS rows (500 by default) the answer is 409
    `background_export`: queue it with `POST /ledger/exports` instead."""
    user = _user(request)
    query, count = _checked(user, filters)
    if count > settings.LEDGER_EXPORT_DIRECT_ROWS:
        raise BackgroundExport(
            _(
                "符合条件的事项共%(count)d项，超过直接导出的上限%(limit)d项。"
                "请用 POST /api/v1/ledger/exports 在后台生成，完成后下载。"
            )
            % {"count": count, "limit": settings.LEDGER_EXPORT_DIRECT_ROWS}
        )
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # FileResponse closes it
    result, form = exporting.write_page_export(user, query, spool)
    applied = exporting.applied_filters(form)
    actions.record_export(
        user,
        filters={name: str(value) for name, value in applied.items()},
        description=exporting.describe_filters(form),
        result=result,
        via="api",
    )
    spool.seek(0)
    return FileResponse(
        spool,
        as_attachment=True,
        filename=exporting.export_filename(applied.get("year")),
        content_type=CONTENT_TYPE,
    )


def ledger_export(row: LedgerExport) -> dict[str, Any]:
    done = row.status == ExportStatus.DONE
    return {
        "id": row.pk,
        "status": row.status,
        "status_label": str(row.get_status_display()),
        "description": row.description,
        "total": row.total,
        "written": row.written,
        "percent": row.percent,
        "filename": row.filename,
        "size": row.size,
        "message": row.message,
        "created_at": present.local(row.created_at),
        "finished_at": present.local(row.finished_at),
        "download_url": f"/api/v1/ledger/exports/{row.pk}/file" if done else None,
    }


def _own_export(user: Any, export_id: int) -> LedgerExport:
    row = LedgerExport.objects.defer("content").filter(pk=export_id, requested_by=user).first()
    if row is None:
        raise NotFound(_("台账导出记录不存在。"))
    return row


@router.post(
    "/exports",
    response={202: LedgerExportOut, **READ_ERRORS},
    summary=gettext_noop("在后台导出台账（Excel）"),
)
def request_ledger_export(
    request: HttpRequest, filters: Query[LedgerExportQuery]
) -> Status[dict[str, Any]]:
    """Queue the export of the ledger page's rows for these filters (as query
    parameters, like `GET /ledger/export`) for a worker, as the page's 后台生成 does;
    one export of yours waits at a time. Poll `GET /ledger/exports/{id}` until its
    status is `done`, then download its `download_url`."""
    user = _user(request)
    query, _count = _checked(user, filters)
    row = exporting.request_export(user, query)
    return Status(202, ledger_export(_own_export(user, row.pk)))


@router.get(
    "/exports/{export_id}",
    response={200: LedgerExportOut, **READ_ERRORS},
    summary=gettext_noop("后台台账导出的进度"),
)
def read_ledger_export(request: HttpRequest, export_id: Id) -> dict[str, Any]:
    """One of your exports: queued, running (with the rows written so far), done,
    failed (with why) or expired (files are kept LEDGER_EXPORT_KEEP_HOURS hours)."""
    return ledger_export(_own_export(_user(request), export_id))


@router.get(
    "/exports/{export_id}/file",
    response={200: None, **READ_ERRORS, 409: ErrorOut},
    summary=gettext_noop("下载后台导出的台账"),
    openapi_extra={"responses": {"200": XLSX_ANSWER}},
)
def download_ledger_export(request: HttpRequest, export_id: Id) -> FileResponse:
    """The finished file of one of your exports (409 while it is not done, or once
    it has expired)."""
    row = _own_export(_user(request), export_id)
    if row.status != ExportStatus.DONE:
        raise ExportNotReady(_("该导出文件尚未生成或已过期，不能下载。"))
    content = LedgerExport.objects.values_list("content", flat=True).get(pk=row.pk)
    return FileResponse(
        io.BytesIO(bytes(content or b"")),
        as_attachment=True,
        filename=row.filename,
        content_type=CONTENT_TYPE,
    )


# ----------------------------------------------------------------------------- import


def ledger_import(row: LedgerImport) -> dict[str, Any]:
    report = actions.ImportReport.from_json(row.report)
    done, total = actions.progress_of(row)
    return {
        "id": row.pk,
        "filename": row.filename,
        "size": row.size,
        "sha256": row.sha256,
        "year": row.year,
        "status": row.status,
        "status_label": str(row.get_status_display()),
        "created_at": present.local(row.created_at),
        "imported_at": present.local(row.imported_at),
        "item_count": row.item_count,
        "rows_done": done,
        "rows_total": total,
        "dry_run": report.dry_run,
        "imported": report.imported,
        # While it is checked there is no report yet: nothing to confirm.
        "ok": report.ok and row.status != ImportStatus.CHECKING,
        "row_count": report.row_count,
        "header_row": report.header_row,
        "mapping": report.mapping,
        "unrecognised": report.unrecognised,
        "problems": report.problems,
        "created": report.created,
    }


def _own_imports(user: Any) -> Any:
    return LedgerImport.objects.filter(uploaded_by=user).defer("content")


def _own_import(user: Any, import_id: int) -> LedgerImport:
    row = _own_imports(user).filter(pk=import_id).first()
    if row is None:
        raise NotFound(_("台账导入记录不存在。"))
    return row


IMPORT_RESPONSES: dict[int, Any] = {**READ_ERRORS, 403: ErrorOut}


@router.get(
    "/imports",
    response={200: list[LedgerImportOut], **IMPORT_RESPONSES},
    summary=gettext_noop("我上传的台账导入"),
)
def list_ledger_imports(request: HttpRequest) -> list[dict[str, Any]]:
    """Your last ten uploads, newest first, each with its last report."""
    user = _user(request)
    _require_supervisor(user)
    return [ledger_import(row) for row in _own_imports(user)[:RECENT_IMPORTS]]


@router.post(
    "/imports",
    response={201: LedgerImportOut, 202: LedgerImportOut, **IMPORT_RESPONSES, 413: ErrorOut},
    summary=gettext_noop("上传台账并试导入"),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["file"],
                        "properties": {
                            "file": {
                                "type": "string",
                                "format": "binary",
                                "description": "台账文件（.xlsx，不超过10 MB）",
                                **server_rule("须为不超过10 MB的 .xlsx 台账文件"),
                            },
                            "year": {
                                "type": "integer",
                                "minimum": MIN_YEAR,
                                "maximum": MAX_YEAR,
                                "description": "台账年度：各行均导入该年度；不填按各行自己的年度",
                            },
                        },
                    }
                }
            },
        }
    },
)
def upload_ledger(
    request: HttpRequest,
    # The document's form is openapi_extra's (no null: a form field cannot be null);
    # a missing file is None here, and refused in words.
    file: File[UploadedFile] = None,  # type: ignore[assignment]
    year: Form[ReportYear | None] = None,
) -> Status[dict[str, Any]]:
    """Upload an office's Excel ledger (multipart/form-data: `file`, an .xlsx of at
    most 10 MB; `year`, optional: every row is imported into that ledger year). It is
    checked by a dry run that writes nothing, whose report gives the detected columns,
    every problem by row number, and the items (with their ledger numbers) the import
    would create. A file of up to LEDGER_IMPORT_DIRECT_ROWS rows (200 by default) is
    checked at once: 201 with the report. A larger one is checked by a background
    worker: 202 with the upload, status `checking` (`rows_done` of `rows_total` rows
    checked so far); follow it with `GET /ledger/imports/{id}` until its status is
    `previewed` (the report) or `failed` (why, in `problems`). Then confirm it:
    `POST /ledger/imports/{id}/confirm`."""
    user = _user(request)
    _require_supervisor(user)
    too_large = _("文件超过10 MB，请拆分后再导入。")
    if file is None:
        if oversized_uploads(request):
            raise InvalidInput(too_large, errors={"file": too_large})
        message = _("请选择要导入的台账文件。")
        raise InvalidInput(message, errors={"file": message})
    if file.size is None or file.size > MAX_BYTES:
        raise InvalidInput(too_large, errors={"file": too_large})
    row = actions.upload_ledger(
        user, filename=clean_name(file.name), content=file.read(), year=year
    )
    answer = ledger_import(_own_import(user, row.pk))
    return Status(202 if row.status == ImportStatus.CHECKING else 201, answer)


@router.get(
    "/imports/{import_id}",
    response={200: LedgerImportOut, **IMPORT_RESPONSES},
    summary=gettext_noop("台账导入的检查结果"),
)
def read_ledger_import(request: HttpRequest, import_id: Id) -> dict[str, Any]:
    """One of your uploads: while it is checked or imported, its status (`checking`,
    `queued`, `running`) and `rows_done` of `rows_total`; then the report of its check
    or of its import."""
    user = _user(request)
    _require_supervisor(user)
    return ledger_import(_own_import(user, import_id))


@router.post(
    "/imports/{import_id}/confirm",
    response={202: LedgerImportOut, **IMPORT_RESPONSES, 409: ErrorOut},
    summary=gettext_noop("确认导入台账（后台导入）"),
)
def confirm_ledger_import(request: HttpRequest, import_id: Id) -> Any:
    """Queue a checked upload for its import by a background worker, all or nothing, as
    the page's 确认导入 does: 202 with the upload, whose `status` goes queued → running
    → imported (or failed, with every problem); follow it with
    `GET /ledger/imports/{id}` (`rows_done` of `rows_total`). Refused (409
    `invalid_state`) while the upload is still being checked; refused (400, with the
    reason) while it is imported or being imported, when its check found problems or
    did not finish, or while another of your imports runs. Nothing is queued then."""
    user = _user(request)
    _require_supervisor(user)
    row = _own_import(user, import_id)
    actions.confirm_ledger_import(user, row)
    return Status(202, ledger_import(_own_import(user, import_id)))
