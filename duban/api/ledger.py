"""The ledger's Excel file over the API: the export, and the import in two steps.

Export: `GET /ledger/export` takes the ledger page's filters and sort and answers the
same .xlsx as the page's export link (`duban.ledger.views.export`): the rows come from
`duban.web.views.ledger_items` (the visibility rule, the same filters, the same
order), the workbook from `duban.ledger.export.write_ledger`, and the export is
audited by `actions.record_export`.

Import (office supervisors only, as the page): `POST /ledger/imports` uploads an .xlsx
(multipart/form-data) and answers with the report of its dry run
(`actions.upload_ledger`); `POST /ledger/imports/{id}/confirm` imports it, all or
nothing (`actions.confirm_ledger_import`). Only the person who uploaded a file sees
or imports it; anyone else's answers 404 like a missing id.
"""

from __future__ import annotations

import tempfile
from typing import Any

from django.http import FileResponse, HttpRequest, QueryDict
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from ninja import File, Form, Query, Router, Status, UploadedFile

from duban.attachments.uploads import oversized_uploads
from duban.attachments.validation import clean_name
from duban.items.errors import ActionError, InvalidInput
from duban.ledger import actions
from duban.ledger.actions import _require_supervisor
from duban.ledger.export import CONTENT_TYPE, ledger_title, write_ledger
from duban.ledger.importing import MAX_BYTES
from duban.ledger.models import LedgerImport
from duban.ledger.views import (
    PAGE_EXPORT_LIMIT,
    SPOOL_BYTES,
    applied_filters,
    describe_filters,
    export_filename,
)
from duban.web.views import ledger_items

from . import present
from .errors import NotFound
from .items import READ_ERRORS, _user
from .schemas import ErrorOut, Id
from .schemas_reports import LedgerExportQuery, LedgerImportOut, ReportYear

router = Router(tags=["台账导出与导入"])

RECENT_IMPORTS = 10


class TooManyRows(ActionError):
    code = "too_many_rows"
    status = 400


class ImportFailed(ActionError):
    code = "import_failed"
    status = 409


# ----------------------------------------------------------------------------- export


@router.get(
    "/export",
    response={200: None, **READ_ERRORS},
    summary=gettext_noop("导出台账（Excel）"),
    openapi_extra={
        "responses": {
            "200": {
                "description": "督办工作台账 .xlsx（Content-Disposition: attachment）",
                "content": {CONTENT_TYPE: {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def export_ledger(request: HttpRequest, filters: Query[LedgerExportQuery]) -> FileResponse:
    """The ledger as the page exports it: the items you may see, with the ledger
    page's filters and sort, one row each, as an .xlsx workbook (at most 10,000 rows;
    a larger ledger is exported with `manage.py export_ledger`)."""
    user = _user(request)
    query = QueryDict(mutable=True)
    for name, value in filters.dict(exclude_none=True).items():
        query[name] = str(value)
    form, items = ledger_items(user, query)
    if form.errors:
        errors = {
            name: "；".join(str(m) for m in messages) for name, messages in form.errors.items()
        }
        raise InvalidInput(
            _("筛选条件有误：%(fields)s。") % {"fields": "、".join(errors)}, errors=errors
        )
    count = items.count()
    if count > PAGE_EXPORT_LIMIT:
        raise TooManyRows(
            _(
                "符合条件的事项共%(count)d项，超过导出的上限%(limit)d项。请缩小筛选范围"
                "（例如按年度或来源类别），或请系统管理员用命令 export_ledger 导出。"
            )
            % {"count": count, "limit": PAGE_EXPORT_LIMIT}
        )
    year = applied_filters(form).get("year")
    description = describe_filters(form)
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # FileResponse closes it
    result = write_ledger(items, spool, title=ledger_title(year), filters=description, total=count)
    applied = {name: str(value) for name, value in applied_filters(form).items()}
    actions.record_export(user, filters=applied, description=description, result=result, via="api")
    spool.seek(0)
    return FileResponse(
        spool, as_attachment=True, filename=export_filename(year), content_type=CONTENT_TYPE
    )


# ----------------------------------------------------------------------------- import


def ledger_import(row: LedgerImport) -> dict[str, Any]:
    report = actions.ImportReport.from_json(row.report)
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
        "dry_run": report.dry_run,
        "imported": report.imported,
        "ok": report.ok,
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
    response={201: LedgerImportOut, **IMPORT_RESPONSES, 413: ErrorOut},
    summary=gettext_noop("上传台账并试导入"),
)
def upload_ledger(
    request: HttpRequest,
    file: File[UploadedFile | None] = None,
    year: Form[ReportYear | None] = None,
) -> Status[dict[str, Any]]:
    """Upload an office's Excel ledger (multipart/form-data: `file`, an .xlsx of at
    most 10 MB; `year`, optional: every row is imported into that ledger year). It is
    checked by a dry run that writes nothing; the answer is its report — the detected
    columns, every problem by row number, and the items (with their ledger numbers)
    the import would create. Then confirm it: `POST /ledger/imports/{id}/confirm`."""
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
    return Status(201, ledger_import(_own_import(user, row.pk)))


@router.get(
    "/imports/{import_id}",
    response={200: LedgerImportOut, **IMPORT_RESPONSES},
    summary=gettext_noop("台账导入的检查结果"),
)
def read_ledger_import(request: HttpRequest, import_id: Id) -> dict[str, Any]:
    """One of your uploads, with the report of its last check or of its import."""
    user = _user(request)
    _require_supervisor(user)
    return ledger_import(_own_import(user, import_id))


@router.post(
    "/imports/{import_id}/confirm",
    response={200: LedgerImportOut, **IMPORT_RESPONSES, 409: ErrorOut},
    summary=gettext_noop("确认导入台账"),
)
def confirm_ledger_import(request: HttpRequest, import_id: Id) -> dict[str, Any]:
    """Import an uploaded ledger, all or nothing. If anything changed since the dry run
    and a row is now refused, nothing is imported: 409 with every problem (the
    upload's report, `GET /ledger/imports/{id}`, shows them too)."""
    user = _user(request)
    _require_supervisor(user)
    row = _own_import(user, import_id)
    report = actions.confirm_ledger_import(user, row)
    if not report.imported:
        errors = {
            (_("第%(row)d行") % {"row": problem["row"]} if problem["row"] else "file"): str(
                problem["text"]
            )
            for problem in report.problems
        }
        raise ImportFailed(
            _("台账有%(count)d处问题，未导入任何事项。") % {"count": len(report.problems)},
            errors=errors,
        )
    return ledger_import(_own_import(user, import_id))
