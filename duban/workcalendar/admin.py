"""Admin pages for the calendar, with an import of a year's calendar file (R-D6)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Model
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from duban.accounts.admin_audit import AuditedAdmin, record_admin_change, snapshot
from duban.audit.models import record
from duban.items.actions.recompute import recompute_working_day_deadlines
from duban.workcalendar.calendar import CalendarFileError, load_year, set_day
from duban.workcalendar.models import CalendarDay, CalendarYear

MAX_CALENDAR_FILE_BYTES = 1024 * 1024


class CalendarImportForm(forms.Form):
    year = forms.IntegerField(label=gettext_lazy("年度"), min_value=1900, max_value=2100)
    file = forms.FileField(
        label=gettext_lazy("日历文件"),
        help_text=gettext_lazy(
            "UTF-8 文本，每行一天：YYYY-MM-DD workday|holiday [备注]（类型也可写 工作日/休息日）；"
            "以 # 开头的行和空行忽略；未列出的日期按周一至周五上班处理。文件不超过 1 MB。"
        ),
    )

    def clean_file(self) -> list[str]:
        """Return the file's lines, decoded as UTF-8."""
        upload: UploadedFile = self.cleaned_data["file"]
        if upload.size is not None and upload.size > MAX_CALENDAR_FILE_BYTES:
            raise forms.ValidationError(_("文件不能超过 1 MB。"))
        content = upload.read(MAX_CALENDAR_FILE_BYTES + 1)
        if len(content) > MAX_CALENDAR_FILE_BYTES:
            raise forms.ValidationError(_("文件不能超过 1 MB。"))
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise forms.ValidationError(_("文件必须是 UTF-8 编码的文本。")) from None
        return text.splitlines()


@admin.register(CalendarYear)
class CalendarYearAdmin(AuditedAdmin, admin.ModelAdmin):
    list_display = ["year", "status", "source", "updated_at"]
    list_filter = ["status"]
    ordering = ["-year"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # A year's number is its identity; change another year by importing it.
        return ["year"] if obj is not None else []

    def get_urls(self) -> list[URLPattern]:
        custom = [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="workcalendar_calendaryear_import",
            )
        ]
        return custom + super().get_urls()

    def import_view(self, request: HttpRequest) -> HttpResponse:
        if not (self.has_add_permission(request) and self.has_change_permission(request)):
            raise PermissionDenied
        if request.method == "POST":
            form = CalendarImportForm(request.POST, request.FILES)
            if form.is_valid():
                year = form.cleaned_data["year"]
                try:
                    with transaction.atomic():
                        stored = load_year(year, form.cleaned_data["file"], source=_("文件导入"))
                        recounted = recompute_working_day_deadlines(year, request.user)
                        record(
                            request.user,
                            "admin_load_calendar",
                            _("导入%(year)d年日历（%(days)d天），该年度设为正式")
                            % {"year": year, "days": stored},
                            data={"year": year, "days": stored},
                        )
                except CalendarFileError as error:
                    form.add_error("file", str(error))
                else:
                    self.message_user(
                        request,
                        _(
                            "已导入 %(year)d 年日历，共 %(days)d 天，该年度已设为正式。"
                            "按工作日计算的办结时限已重算：%(moved)d 项调整，%(confirmed)d 项确认。"
                        )
                        % {
                            "year": year,
                            "days": stored,
                            "moved": recounted.moved,
                            "confirmed": recounted.confirmed,
                        },
                        messages.SUCCESS,
                    )
                    return HttpResponseRedirect(
                        reverse("admin:workcalendar_calendaryear_changelist")
                    )
        else:
            form = CalendarImportForm()
        context = {
            **self.admin_site.each_context(request),
            "title": _("导入年度日历"),
            "opts": self.opts,
            "form": form,
        }
        return TemplateResponse(request, "admin/workcalendar/calendaryear/import.html", context)


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ["day", "kind", "note"]
    list_editable = ["kind", "note"]
    list_filter = ["kind"]
    date_hierarchy = "day"
    search_fields = ["note"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["day"] if obj is not None else []

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Every day of a stored year keeps its row; change the kind instead.
        return False

    def save_model(self, request: HttpRequest, obj: Model, form: ModelForm, change: bool) -> None:
        # Through the calendar module, so a year edited for the first time gets all
        # its days stored (see set_day).
        assert isinstance(obj, CalendarDay)
        names = ["kind", "note"]
        with transaction.atomic():
            previous = CalendarDay.objects.filter(day=obj.day).first()
            before = snapshot(previous, names) if previous is not None else None
            stored = set_day(obj.day, obj.kind, obj.note)
            obj.pk = stored.pk
            record_admin_change(request.user, stored, before, snapshot(stored, names))
            recompute_working_day_deadlines(obj.day.year, request.user)  # R-D6
