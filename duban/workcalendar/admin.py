"""Admin pages for the calendar (R-D6): an import of a year's calendar file, and the
State Council's holiday notice pasted or uploaded, previewed, then confirmed."""

from __future__ import annotations

import calendar as month_calendar
from dataclasses import dataclass
from datetime import date
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.db.models import Model
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from duban.accounts.admin_audit import AuditedAdmin
from duban.items.errors import ActionError
from duban.workcalendar.actions import edit_day, load_calendar_year
from duban.workcalendar.models import CalendarDay, CalendarYear, DayKind
from duban.workcalendar.notice import (
    DayChange,
    HolidayNotice,
    NoticeError,
    check_replace,
    difference,
    is_official,
    load_notice,
    new_kinds,
    parse_notice,
    read_notice_file,
)

MAX_CALENDAR_FILE_BYTES = 1024 * 1024


class CalendarImportForm(forms.Form):
    year = forms.IntegerField(label=gettext_lazy("年度"), min_value=1900, max_value=2100)
    file = forms.FileField(
        label=gettext_lazy("日历文件"),
        help_text=gettext_lazy(
            "UTF-8 文本，每行一天：年-月-日 类型 [备注]，如“2027-10-01 休息日 国庆节”，"
            "类型写 工作日 或 休息日；"
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


class HolidayNoticeForm(forms.Form):
    text = forms.CharField(
        label=gettext_lazy("通知全文"),
        required=False,
        strip=False,  # line numbers in messages count from the text's first line
        widget=forms.Textarea(attrs={"rows": 16, "cols": 100}),
        help_text=gettext_lazy(
            "粘贴《国务院办公厅关于××××年部分节假日安排的通知》全文，或在下方上传通知文件。"
        ),
    )
    file = forms.FileField(
        label=gettext_lazy("通知文件"),
        required=False,
        help_text=gettext_lazy("UTF-8 文本（.txt）或 Word 文档（.docx），不超过 1 MB。"),
    )
    replace = forms.BooleanField(
        label=gettext_lazy("替换已有的正式日历"),
        required=False,
        help_text=gettext_lazy("该年度已有正式日历时，须勾选此项才能载入。"),
    )

    def clean(self) -> dict[str, Any]:
        """Give `lines`: the notice's text lines, from the file if one was sent."""
        cleaned = super().clean() or {}
        upload: UploadedFile | None = cleaned.get("file")
        if upload is not None:
            content = upload.read(MAX_CALENDAR_FILE_BYTES + 1)
            if len(content) > MAX_CALENDAR_FILE_BYTES:
                raise forms.ValidationError(_("文件不能超过 1 MB。"))
            try:
                cleaned["lines"] = read_notice_file(upload.name or "", content)
            except NoticeError as error:
                raise forms.ValidationError(str(error)) from None
        elif cleaned.get("text", "").strip():
            cleaned["lines"] = cleaned["text"].splitlines()
        else:
            raise forms.ValidationError(_("请粘贴通知全文或上传通知文件。"))
        return cleaned


@dataclass(frozen=True)
class GridDay:
    day: date
    css: str  # holiday, makeup, weekend or workday
    title: str
    changed: bool


def month_grids(
    notice: HolidayNotice, changes: list[DayChange]
) -> list[tuple[int, list[list[GridDay | None]]]]:
    """The notice's year as 12 months of weeks (Monday first), each day marked."""
    named = {day.day: day for day in notice.days}
    changed = {change.day for change in changes}
    months = []
    for month in range(1, 13):
        weeks = []
        for week in month_calendar.Calendar(firstweekday=0).monthdatescalendar(notice.year, month):
            row: list[GridDay | None] = []
            for day in week:
                if day.month != month:
                    row.append(None)
                    continue
                notice_day = named.get(day)
                if notice_day is None:
                    css = "weekend" if day.weekday() >= 5 else "workday"
                    title = ""
                elif notice_day.kind == DayKind.HOLIDAY:
                    css, title = "holiday", _("%(name)s 放假") % {"name": notice_day.name}
                else:
                    css, title = "makeup", _("%(name)s 调休上班") % {"name": notice_day.name}
                row.append(GridDay(day=day, css=css, title=title, changed=day in changed))
            weeks.append(row)
        months.append((month, weeks))
    return months


@admin.register(CalendarYear)
class CalendarYearAdmin(AuditedAdmin, admin.ModelAdmin):
    list_display = ["year", "status", "source_shown", "updated_at"]
    list_filter = ["status"]
    ordering = ["-year"]

    @admin.display(description=gettext_lazy("来源"), ordering="source")
    def source_shown(self, obj: CalendarYear) -> str:
        # The years seeded at installation name the package they came from.
        if obj.source.startswith("chinese-calendar"):
            return str(_("系统内置的国务院历年节假日安排"))
        return obj.source

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # A year's number is its identity; change another year by importing it.
        return ["year"] if obj is not None else []

    def get_urls(self) -> list[URLPattern]:
        custom = [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="workcalendar_calendaryear_import",
            ),
            path(
                "notice/",
                self.admin_site.admin_view(self.notice_view),
                name="workcalendar_calendaryear_notice",
            ),
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
                    recounted = load_calendar_year(
                        request.user, year, form.cleaned_data["file"], source=_("文件导入")
                    )
                except ActionError as error:
                    form.add_error("file", error.message)
                else:
                    stored = recounted.days
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

    def notice_view(self, request: HttpRequest) -> HttpResponse:
        """Paste or upload the State Council's notice, preview it, then confirm (R-D6).

        The preview changes nothing; the confirmation sends the text again and it is
        parsed and checked again before loading, so what is loaded is what was shown.
        """
        # The same permission as the calendar file import.
        if not (self.has_add_permission(request) and self.has_change_permission(request)):
            raise PermissionDenied
        form = HolidayNoticeForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            replace = form.cleaned_data["replace"]
            try:
                notice = parse_notice(form.cleaned_data["lines"])
                check_replace(notice, replace=replace)
                if "confirm" in request.POST:
                    loaded = load_notice(notice, actor=request.user, replace=replace)
                else:
                    return self._notice_preview(
                        request, notice, form.cleaned_data["lines"], replace
                    )
            except NoticeError as error:
                form.add_error(None, str(error))
            else:
                self.message_user(
                    request,
                    _(
                        "已按国务院通知载入 %(year)d 年日历：放假 %(holidays)d 天，调休上班 "
                        "%(workdays)d 天，该年度已设为正式。按工作日计算的办结时限已重算："
                        "%(moved)d 项调整，%(confirmed)d 项确认。"
                    )
                    % {
                        "year": notice.year,
                        "holidays": len(notice.holidays),
                        "workdays": len(notice.make_up_workdays),
                        "moved": loaded.moved,
                        "confirmed": loaded.confirmed,
                    },
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(reverse("admin:workcalendar_calendaryear_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "title": _("按国务院节假日安排通知载入"),
            "opts": self.opts,
            "form": form,
        }
        return TemplateResponse(request, "admin/workcalendar/calendaryear/notice.html", context)

    def _notice_preview(
        self, request: HttpRequest, notice: HolidayNotice, lines: list[str], replace: bool
    ) -> HttpResponse:
        changes = difference(notice)
        kinds = dict(DayKind.choices)
        after = new_kinds(notice)
        context = {
            **self.admin_site.each_context(request),
            "title": _("%(year)d 年节假日安排预览") % {"year": notice.year},
            "opts": self.opts,
            "notice": notice,
            # The confirmation sends the text again (a .docx as its paragraphs).
            "text": "\n".join(lines),
            "replace": replace,
            "is_official": is_official(notice.year),
            "months": month_grids(notice, changes),
            "weekday_names": list("一二三四五六日"),
            "changes": [
                {
                    "day": change.day,
                    "weekday": change.weekday_name,
                    "before": kinds[change.stored_kind],
                    "after": kinds[change.new_kind],
                    "note": after[change.day][1],
                }
                for change in changes
            ],
        }
        return TemplateResponse(
            request, "admin/workcalendar/calendaryear/notice_preview.html", context
        )


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
        # Audited, and the year's working-day deadlines counted again (R-D6).
        assert isinstance(obj, CalendarDay)
        edited = edit_day(request.user, obj.day, obj.kind, obj.note)
        obj.pk = edited.day.pk
