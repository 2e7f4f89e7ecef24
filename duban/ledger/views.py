"""The ledger's Excel pages: the export link of the ledger page, and the import pages.

Export: /ledger/export/ takes the ledger page's own query string and its own rows
(`duban.web.views.ledger_items`: the visibility rule, the same filters), so the file
holds exactly the rows the page lists. The workbook is written to a spooled temporary
file (memory up to SPOOL_BYTES, then disk) and streamed from there. The page exports
up to PAGE_EXPORT_LIMIT rows — a university's year is a few thousand items, written
in a few seconds; a larger export (a province's deployment) is for
`manage.py export_ledger`, which has no request timeout.

Import: /ledger/import/ (office supervisors only) takes an .xlsx of at most 10 MB,
checks it by its bytes, and shows /ledger/import/<id>/: the detected column mapping
and the report of a dry run; its button queues the import for a background worker
(`duban.ledger.tasks.run_import`), all or nothing, and the page then shows its
progress — rows done of the rows to import, refreshing itself every few seconds
without script — and at the end its result, or every problem by its row.
"""

from __future__ import annotations

import tempfile
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_safe

from duban import clock
from duban.attachments.uploads import oversized_uploads
from duban.attachments.validation import clean_name
from duban.items.errors import ActionError
from duban.organisation.models import Role, Unit, User
from duban.web.forms import LedgerFilterForm
from duban.web.views import current_user, ledger_items

from . import actions
from .export import CONTENT_TYPE, ledger_title, write_ledger
from .importing import FIELDS, MAX_BYTES
from .models import ImportStatus, LedgerImport

PAGE_EXPORT_LIMIT = 10_000
SPOOL_BYTES = 8 * 1024 * 1024


# ----------------------------------------------------------------------------- export


def applied_filters(form: LedgerFilterForm) -> dict[str, Any]:
    """The valid, non-empty filters: {field name: value as the query string gives it}."""
    cleaned = getattr(form, "cleaned_data", {})
    applied: dict[str, Any] = {}
    for name, value in cleaned.items():
        if value in (None, ""):
            continue
        applied[name] = value.pk if isinstance(value, Unit) else value
    return applied


def describe_filters(form: LedgerFilterForm) -> str:
    """The filters in words, for the file's second row and the audit event."""
    parts = []
    for name, value in applied_filters(form).items():
        field = form.fields[name]
        if name == "lead_unit":
            shown = str(form.cleaned_data["lead_unit"].name)
        elif isinstance(field, forms.ChoiceField) and name != "year":
            shown = str(dict(field.choices).get(value, value))  # type: ignore[arg-type]
        else:
            shown = str(value)
        parts.append(f"{field.label}：{shown}")
    if not parts:
        return _("筛选条件：无（全部可见事项）")
    return _("筛选条件：%(filters)s") % {"filters": "，".join(parts)}


def export_filename(year: int | None) -> str:
    label = str(year) if year else _("全部年度")
    return _("督办工作台账_%(year)s_%(day)s.xlsx") % {
        "year": label,
        "day": clock.today().strftime("%Y%m%d"),
    }


@require_safe
@login_required
def export(request: HttpRequest) -> HttpResponseBase:
    """GET /ledger/export/?<the ledger page's filters>: the rows of the page as .xlsx."""
    user = current_user(request)
    form, items = ledger_items(user, request.GET)
    count = items.count()
    if count > PAGE_EXPORT_LIMIT:
        messages.error(
            request,
            _(
                "符合条件的事项共%(count)d项，超过页面导出的上限%(limit)d项。请缩小筛选范围"
                "（例如按年度或来源类别），或请系统管理员用命令 export_ledger 导出。"
            )
            % {"count": count, "limit": PAGE_EXPORT_LIMIT},
        )
        return redirect(f"{reverse('ledger')}?{request.GET.urlencode()}")
    year = applied_filters(form).get("year")
    description = describe_filters(form)
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # FileResponse closes it
    result = write_ledger(items, spool, title=ledger_title(year), filters=description, total=count)
    filters = {name: str(value) for name, value in applied_filters(form).items()}
    actions.record_export(user, filters=filters, description=description, result=result, via="page")
    spool.seek(0)
    return FileResponse(
        spool, as_attachment=True, filename=export_filename(year), content_type=CONTENT_TYPE
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
    """GET: the upload form and the column mapping; POST (multipart): keep the file,
    check it (a dry run) and show the result."""
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


# How often the page of a running import reloads itself (a meta refresh: no script).
REFRESH_SECONDS = 3


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the mapping and the check's report, or the import's progress and result;
    POST: queue the import for a background worker (all or nothing)."""
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
            "failed": ledger_import.status == ImportStatus.FAILED,
            "rows_done": done,
            "rows_total": total,
            "percent": round(done * 100 / total) if total else 0,
            "refresh_seconds": REFRESH_SECONDS,
        },
        status=status,
    )
