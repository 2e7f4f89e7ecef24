"""The ledger's Excel pages: the export link of the ledger page, and the import pages.

Export: /ledger/export/ takes the ledger page's own query string and its own rows
(`duban.ledger.exporting`), so the file holds exactly the rows the page lists. A small
selection is written to a spooled temporary file (memory up to SPOOL_BYTES, then disk)
and streamed from there; a large one is offered as a background export, whose page
(/ledger/export/<id>/) shows its progress and then its download.

Import: /ledger/import/ (office supervisors only) takes an .xlsx of at most 10 MB,
checks it by its bytes, keeps it and answers at once with /ledger/import/<id>/. The
dry run that checks every row is done within the upload for a small file and by a
background worker for a larger one (`actions.upload_ledger`,
`duban.ledger.tasks.check_import`); meanwhile the page shows the rows checked so
far. Then it shows the detected column mapping and the check's report; its button
queues the import for a background worker (`duban.ledger.tasks.run_import`), all or
nothing, and the page then shows its progress — rows done of the rows to import —
and at the end its result, or every problem by its row. While a check or an import
runs the page refreshes itself every few seconds, without script.
"""

from __future__ import annotations

import io
import tempfile
from typing import Any

from django import forms
from django.conf import settings
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
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from duban.attachments.uploads import oversized_uploads
from duban.attachments.validation import clean_name
from duban.items.errors import ActionError
from duban.organisation.models import Role, User
from duban.web.views import current_user, ledger_items

from . import actions, exporting
from .export import CONTENT_TYPE
from .importing import FIELDS, MAX_BYTES
from .models import ExportStatus, ImportStatus, LedgerExport, LedgerImport

SPOOL_BYTES = 8 * 1024 * 1024


# ----------------------------------------------------------------------------- export


@require_safe
@login_required
def export(request: HttpRequest) -> HttpResponseBase:
    """GET /ledger/export/?<the ledger page's filters>: the rows of the page as .xlsx,
    written now for a small selection; for a large one, a page that offers to write it
    in the background."""
    user = current_user(request)
    form, items = ledger_items(user, request.GET)
    count = items.count()
    if count > exporting.PAGE_EXPORT_LIMIT:
        messages.error(request, exporting.too_many(count))
        return redirect(f"{reverse('ledger')}?{request.GET.urlencode()}")
    if count > settings.LEDGER_EXPORT_DIRECT_ROWS:
        context = {
            "count": count,
            "description": exporting.describe_filters(form),
            "query": request.GET.urlencode(),
            "keep_hours": settings.LEDGER_EXPORT_KEEP_HOURS,
            "waiting": LedgerExport.objects.filter(
                requested_by=user, status__in=exporting.WAITING
            ).first(),
        }
        return render(request, "ledger/export_start.html", context)
    year = exporting.applied_filters(form).get("year")
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # FileResponse closes it
    result, form = exporting.write_page_export(user, request.GET, spool)
    exporting.audit(user, form, result)
    spool.seek(0)
    return FileResponse(
        spool,
        as_attachment=True,
        filename=exporting.export_filename(year),
        content_type=CONTENT_TYPE,
    )


@require_POST
@login_required
def export_start(request: HttpRequest) -> HttpResponseBase:
    """POST /ledger/export/start/ (query: the ledger page's query string): queue the
    export for a worker and show its progress."""
    user = current_user(request)
    query = QueryDict(request.POST.get("query", ""))
    try:
        job = exporting.request_export(user, query)
    except ActionError as refusal:
        messages.error(request, str(refusal))
        return redirect(f"{reverse('ledger')}?{query.urlencode()}")
    return redirect("ledger-export-job", pk=job.pk)


def _own_export(request: HttpRequest, pk: int) -> LedgerExport:
    """The requester's own export; anyone else's is as if it did not exist."""
    job = LedgerExport.objects.defer("content").filter(pk=pk).first()
    if job is None or job.requested_by_id != current_user(request).pk:
        raise Http404
    return job


@require_safe
@login_required
def export_job(request: HttpRequest, pk: int) -> HttpResponse:
    """GET /ledger/export/<pk>/: the export's progress, then its download link. The
    page polls its own progress block (htmx) while the worker writes."""
    job = _own_export(request, pk)
    polled = request.headers.get("HX-Request") == "true"
    template = "ledger/_export_progress.html" if polled else "ledger/export_job.html"
    return render(request, template, {"job": job})


@require_safe
@login_required
def export_download(request: HttpRequest, pk: int) -> HttpResponseBase:
    """GET /ledger/export/<pk>/file/: the finished file, for its requester only."""
    job = _own_export(request, pk)
    if job.status != ExportStatus.DONE:
        messages.error(request, _("该导出文件尚未生成或已过期，不能下载。"))
        return redirect("ledger-export-job", pk=job.pk)
    content = LedgerExport.objects.values_list("content", flat=True).get(pk=job.pk)
    return FileResponse(
        io.BytesIO(bytes(content or b"")),
        as_attachment=True,
        filename=job.filename,
        content_type=CONTENT_TYPE,
    )


# ----------------------------------------------------------------------------- import


class UploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("台账文件（.xlsx，不超过10 MB）"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"}),
    )
    year = forms.IntegerField(
        label=gettext_lazy("台账年度"),
        required=False,
        min_value=2000,
        max_value=2100,
        help_text=gettext_lazy("选填。填写后，各行一律按该年度导入，立项日期须在该年度内。"),
    )

    def __init__(self, *args: Any, request: HttpRequest, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.request = request

    def clean_file(self) -> Any:
        upload = self.cleaned_data.get("file")
        too_large = _("文件超过10 MB，请拆分后再导入。")
        if upload is None:
            if oversized_uploads(self.request):
                raise forms.ValidationError(too_large)
            raise forms.ValidationError(_("请选择要导入的台账文件。"))
        if upload.size is None or upload.size > MAX_BYTES:
            raise forms.ValidationError(too_large)
        return upload


def _supervisor(request: HttpRequest) -> User:
    user = current_user(request)
    if user.role != Role.OFFICE_SUPERVISOR:
        raise PermissionDenied(_("只有督办部门的督办员可以导入台账。"))
    return user


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def import_upload(request: HttpRequest) -> HttpResponse:
    """GET: the upload form and the column mapping; POST (multipart): keep the file
    and show its page, where its check (a dry run: within this request for a small
    file, else by a worker while the page shows its progress) ends in the report."""
    user = _supervisor(request)
    posted = request.method == "POST"
    form = (
        UploadForm(request.POST, request.FILES, request=request)
        if posted
        else UploadForm(request=request)
    )
    if posted and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            ledger_import = actions.upload_ledger(
                user,
                filename=clean_name(upload.name),
                content=upload.read(),
                year=form.cleaned_data["year"],
            )
        except ActionError as error:
            form.add_error("file", error.message)
        else:
            return redirect("ledger-import-detail", pk=ledger_import.pk)
    recent = LedgerImport.objects.filter(uploaded_by=user).defer("content")[:10]
    return render(
        request,
        "ledger/import.html",
        {"form": form, "fields": FIELDS, "recent": recent},
        status=400 if form.errors else 200,
    )


# How often the page of a running check or import reloads itself (a meta refresh: no
# script).
REFRESH_SECONDS = 3


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the check's progress, then the mapping and its report; or the import's
    progress and result. POST: queue the import for a background worker (all or
    nothing); refused, changing nothing, while the check runs."""
    user = _supervisor(request)
    ledger_import = LedgerImport.objects.filter(pk=pk, uploaded_by=user).defer("content").first()
    if ledger_import is None:
        raise Http404(_("台账导入记录不存在。"))
    status = 200
    if request.method == "POST":
        try:
            actions.confirm_ledger_import(user, ledger_import)
        except ActionError as error:
            messages.error(request, error.message)
            status = 409  # nothing was queued; the page says why
            ledger_import.refresh_from_db()
        else:
            messages.success(
                request,
                _("已确认导入“%(file)s”，正在后台导入，本页会自动刷新显示进度。")
                % {"file": ledger_import.filename},
            )
            return redirect("ledger-import-detail", pk=pk)
    report = actions.ImportReport.from_json(ledger_import.report)
    done, total = actions.progress_of(ledger_import)
    return render(
        request,
        "ledger/import_detail.html",
        {
            "ledger_import": ledger_import,
            "report": report,
            "imported": ledger_import.status == ImportStatus.IMPORTED,
            "importing": ledger_import.importing,
            "checking": ledger_import.checking,
            "failed": ledger_import.status == ImportStatus.FAILED,
            # A check that did not finish failed before any confirmation.
            "check_failed": ledger_import.status == ImportStatus.FAILED
            and ledger_import.queued_at is None,
            "rows_done": done,
            "rows_total": total,
            "percent": round(done * 100 / total) if total else 0,
            "refresh_seconds": REFRESH_SECONDS,
        },
        status=status,
    )
