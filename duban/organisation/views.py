"""The system administrator's page of the people directory: upload a spreadsheet →
preview of every change → 确认同步 (duban.organisation.sync)."""

from __future__ import annotations

from typing import cast

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from duban.accounts.roles import role_required
from duban.items.errors import ActionError

from . import sync
from .directory import PEOPLE_COLUMNS, UNIT_COLUMNS
from .models import DirectorySync, Role, User

MAX_UPLOAD_BYTES = 10 * 1024 * 1024


class UploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("人员名单（.xlsx）"))
    deactivate_missing = forms.BooleanField(
        label=gettext_lazy("停用名单中没有的人员和单位"),
        required=False,
        help_text=gettext_lazy("不勾选时，只停用“在职”为“否”的人员。任何人员都不会被删除。"),
    )

    def clean_file(self) -> object:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("文件超过10 MB。"))
        return upload


@require_http_methods(["GET", "HEAD", "POST"])
@role_required(Role.SYSTEM_ADMIN)
def sync_upload(request: HttpRequest) -> HttpResponse:
    user = cast(User, request.user)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            kept = sync.upload_directory(
                user,
                filename=str(upload.name)[-200:],
                content=upload.read(),
                deactivate_missing=form.cleaned_data["deactivate_missing"],
            )
        except ActionError as error:
            form.add_error("file", error.message)
        else:
            return redirect("directory-sync-detail", pk=kept.pk)
    recent = DirectorySync.objects.filter(uploaded_by=user).defer("content")[:10]
    return render(
        request,
        "organisation/sync_upload.html",
        {
            "form": form,
            "recent": recent,
            "unit_columns": UNIT_COLUMNS,
            "people_columns": PEOPLE_COLUMNS,
        },
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "HEAD", "POST"])
@role_required(Role.SYSTEM_ADMIN)
def sync_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = cast(User, request.user)
    kept = DirectorySync.objects.filter(pk=pk, uploaded_by=user).defer("content").first()
    if kept is None:
        raise Http404(_("人员同步记录不存在。"))
    status = 200
    if request.method == "POST":
        try:
            report = sync.confirm_directory_sync(user, kept)
        except ActionError as error:
            messages.error(request, error.message)
            return redirect("directory-sync-detail", pk=pk)
        if report.synced:
            messages.success(request, _("已同步：%(summary)s") % {"summary": report.summary()})
            return redirect("directory-sync-detail", pk=pk)
        status = 409  # the data changed since the preview: nothing was synced
        kept.refresh_from_db(fields=["report", "status"])
    report = sync.SyncReport.from_json(kept.report)
    return render(
        request,
        "organisation/sync_detail.html",
        {"sync": kept, "report": report, "summary": report.summary()},
        status=status if report.ok else (status if status != 200 else 400),
    )
