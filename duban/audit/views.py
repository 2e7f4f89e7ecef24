"""The audit log's pages, for the audit administrator only (三员分立): search by time,
person, operation, item and keyword; export what was found as CSV (itself audited).

Nobody edits or deletes events here or anywhere else in the app (see models.py).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Iterator
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Max, Q, QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe

from duban import clock
from duban.accounts.lockout import client_ip
from duban.accounts.roles import role_required
from duban.items.models import RESTRICTED_KINDS
from duban.organisation.models import Role, User

from .actions import request_verification
from .models import AuditEvent, AuditVerification, record

PAGE_SIZE = 50
EXPORT_CHUNK = 2000
DATE_FORMAT = "%Y-%m-%d"

# Operations in words; an operation not listed shows as its code.
VERB_LABELS: dict[str, Any] = {
    "login": gettext_lazy("登录"),
    "login_failed": gettext_lazy("登录失败"),
    "logout": gettext_lazy("退出登录"),
    "account_locked": gettext_lazy("账号锁定"),
    "account_unlocked": gettext_lazy("账号解锁"),
    "password_changed": gettext_lazy("修改密码"),
    "otp_device_confirmed": gettext_lazy("绑定身份验证器"),
    "otp_verified": gettext_lazy("动态验证码验证通过"),
    "otp_failed": gettext_lazy("动态验证码验证失败"),
    "otp_reset": gettext_lazy("重置身份验证器"),
    "issue_api_token": gettext_lazy("签发接口令牌"),
    "export_audit_log": gettext_lazy("导出审计日志"),
    "establish": gettext_lazy("立项"),
    "assign": gettext_lazy("交办"),
    "sign_for": gettext_lazy("签收"),
    "return": gettext_lazy("退回"),
    "reassign": gettext_lazy("重新交办"),
    "change": gettext_lazy("变更"),
    "record_plan": gettext_lazy("填报工作计划"),
    "submit_feedback": gettext_lazy("反馈进展"),
    "report_contribution": gettext_lazy("报送配合情况"),
    "draft_completion_report": gettext_lazy("起草办结报告"),
    "decline_report": gettext_lazy("退回办结报告草稿"),
    "confirm_report": gettext_lazy("确认办结报告"),
    "accept_report": gettext_lazy("审核通过"),
    "return_report": gettext_lazy("退回办结报告"),
    "urge": gettext_lazy("催办"),
    "request_extension": gettext_lazy("申请延期"),
    "decide_extension": gettext_lazy("审批延期"),
    "expire_extension": gettext_lazy("延期申请失效"),
    "adjust": gettext_lazy("调整事项"),
    "terminate": gettext_lazy("终止事项"),
    "declare_recusal": gettext_lazy("登记回避"),
    "admin_create": gettext_lazy("系统管理：新增"),
    "admin_change": gettext_lazy("系统管理：修改"),
    "admin_set_password": gettext_lazy("系统管理：重设密码"),
    "admin_load_calendar": gettext_lazy("系统管理：导入年度日历"),
    "sync_org": gettext_lazy("同步单位和人员"),
    "revoke_api_tokens": gettext_lazy("接口令牌作废"),
    "revoke_api_token": gettext_lazy("作废本人接口令牌"),
    "verify_audit": gettext_lazy("校验审计日志"),
    "archive": gettext_lazy("归档"),
    "attach": gettext_lazy("上传附件"),
    "download": gettext_lazy("下载附件"),
    "divide": gettext_lazy("分办给配合单位"),
    "sign_part": gettext_lazy("签收分办事项"),
    "report_part": gettext_lazy("报送分办情况"),
    "redate_part": gettext_lazy("调整分办时限"),
    "urge_part": gettext_lazy("催办分办事项"),
    "draw_spot_check": gettext_lazy("抽取回访事项"),
    "record_spot_check": gettext_lazy("记录回访结果"),
    "require_rectification": gettext_lazy("要求整改"),
    "submit_rectification": gettext_lazy("报送整改情况"),
    "rectification_reminder": gettext_lazy("整改提醒"),
    "export_assessment": gettext_lazy("导出考核数据"),
    "export_ledger": gettext_lazy("导出台账"),
    "import_ledger": gettext_lazy("导入台账"),
    "import_ledger_row": gettext_lazy("导入台账事项"),
    "file_volume": gettext_lazy("立卷"),
    "generate_circular": gettext_lazy("生成通报"),
    "intake_read": gettext_lazy("读取纪要或工作要点"),
    "read_restricted": gettext_lazy("查阅受限事项"),
    "recompute_deadline": gettext_lazy("重算办结时限"),
    "reminder": gettext_lazy("自动提醒"),
    "retry_delivery": gettext_lazy("重新发送通知"),
    "set_channel_preferences": gettext_lazy("修改通知设置"),
    "create_webhook": gettext_lazy("新建事件推送"),
    "update_webhook": gettext_lazy("修改事件推送"),
    "deactivate_webhook": gettext_lazy("停用事件推送"),
    "activate_webhook": gettext_lazy("恢复事件推送"),
    "regenerate_webhook_secret": gettext_lazy("重新生成推送密钥"),
    "ping_webhook": gettext_lazy("发送推送测试消息"),
    "webhook_failing": gettext_lazy("事件推送暂停"),
}


def verb_label(verb: str) -> str:
    return str(VERB_LABELS.get(verb, verb))


def _date_field(label: Any) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=False,
        input_formats=[DATE_FORMAT],
        widget=forms.DateInput(attrs={"type": "date"}, format=DATE_FORMAT),
        error_messages={"invalid": _("请按“年-月-日”填写日期，例如 2026-10-16。")},
    )


class AuditSearchForm(forms.Form):
    start = _date_field(gettext_lazy("起始日期"))
    end = _date_field(gettext_lazy("截止日期"))
    actor = forms.CharField(
        label=gettext_lazy("操作人"),
        required=False,
        max_length=150,
        help_text=gettext_lazy("用户名或姓名"),
    )
    verb = forms.ChoiceField(label=gettext_lazy("操作"), required=False)
    ledger_number = forms.CharField(label=gettext_lazy("台账编号"), required=False, max_length=40)
    q = forms.CharField(label=gettext_lazy("关键词"), required=False, max_length=100)

    def __init__(self, *args: Any, verbs: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", _("全部"))] + [(verb, verb_label(verb)) for verb in verbs]
        cast(forms.ChoiceField, self.fields["verb"]).choices = choices

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", _("截止日期不能早于起始日期。"))
        return data


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def search(events: QuerySet[AuditEvent], filters: dict[str, Any]) -> QuerySet[AuditEvent]:
    """Apply the valid filters of `AuditSearchForm`."""
    if filters.get("start"):
        events = events.filter(created_at__gte=_day_start(filters["start"]))
    if filters.get("end"):
        events = events.filter(created_at__lt=_day_start(filters["end"] + dt.timedelta(days=1)))
    actor = (filters.get("actor") or "").strip()
    if actor:
        events = events.filter(
            Q(actor__username=actor)
            | Q(actor__full_name__icontains=actor)
            | Q(data__username=actor)
        )
    if filters.get("verb"):
        events = events.filter(verb=filters["verb"])
    ledger_number = (filters.get("ledger_number") or "").strip()
    if ledger_number:
        events = events.filter(item__ledger_number__icontains=ledger_number)
    keyword = (filters.get("q") or "").strip()
    if keyword:
        # The keyword searches only what the page shows: never a masked summary, or the
        # search would reveal what the mask hides.
        events = events.filter(summary__icontains=keyword).exclude(MASKED)
    return events


# Events about sensitive, discipline and classified items (R-C1–C3): the audit
# administrator sees that they happened — who, when, what operation, which item — but
# not what they said. The full record stays in the chain, and verify_audit checks it.
MASK = gettext_lazy("敏感事项，内容已隐去")
MASKED = Q(item__confidentiality__in=RESTRICTED_KINDS)


def is_masked(event: AuditEvent) -> bool:
    item = event.item  # joined by _events(): no query per row
    return item is not None and item.confidentiality in RESTRICTED_KINDS


def shown_summary(event: AuditEvent) -> str:
    return str(MASK) if is_masked(event) else event.summary


def shown_data(event: AuditEvent) -> str:
    if not event.data:
        return ""
    if is_masked(event):
        return str(MASK)
    return json.dumps(event.data, ensure_ascii=False, sort_keys=True)


def _form(request: HttpRequest) -> AuditSearchForm:
    verbs = sorted(AuditEvent.objects.order_by().values_list("verb", flat=True).distinct())
    return AuditSearchForm(request.GET or None, verbs=verbs)


def _filters(form: AuditSearchForm) -> dict[str, Any]:
    if not form.is_bound:
        return {}
    form.is_valid()  # an invalid filter is shown as an error and ignored
    return form.cleaned_data


def _events() -> QuerySet[AuditEvent]:
    return AuditEvent.objects.select_related("actor", "item", "unit").order_by("-sequence")


@require_safe
@role_required(Role.AUDIT_ADMIN)
def audit_log(request: HttpRequest) -> HttpResponse:
    form = _form(request)
    events = search(_events(), _filters(form))
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    for event in rows:
        event.verb_label = verb_label(event.verb)
        event.shown_summary = shown_summary(event)
    return render(
        request,
        "audit/log.html",
        {
            "form": form,
            "page_obj": page,
            "events": rows,
            "export_query": request.GET.urlencode(),
            "verification": latest_verification(),
        },
    )


# ----------------------------------------------------------------------------- 校验


def latest_verification() -> AuditVerification | None:
    return AuditVerification.objects.select_related("requested_by").first()


@require_POST
@role_required(Role.AUDIT_ADMIN)
def audit_verify(request: HttpRequest) -> HttpResponse:
    """校验: queue a verification of the chain for a worker; the page shows its verdict."""
    user = cast(User, request.user)
    full = request.POST.get("full") == "1"
    verification = request_verification(user, full=full)
    messages.success(
        request,
        _("已提交%(kind)s校验，稍后在本页查看结果。")
        % {"kind": _("全量") if verification.full else _("增量")},
    )
    return redirect("audit-log")


@require_safe
@role_required(Role.AUDIT_ADMIN)
def audit_verification(request: HttpRequest) -> HttpResponse:
    """The latest verification's state (the page polls it while one is queued)."""
    return render(request, "audit/_verification.html", {"verification": latest_verification()})


# ----------------------------------------------------------------------------- export

EXPORT_HEADER = [
    gettext_lazy("序号"),
    gettext_lazy("时间"),
    gettext_lazy("操作人用户名"),
    gettext_lazy("操作人姓名"),
    gettext_lazy("操作"),
    gettext_lazy("操作代码"),
    gettext_lazy("摘要"),
    gettext_lazy("台账编号"),
    gettext_lazy("相关单位"),
    gettext_lazy("数据"),
    gettext_lazy("摘要值"),
]
# A cell starting with one of these would be a formula in Excel (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def export_row(event: AuditEvent) -> list[str]:
    actor: User | None = event.actor
    return [
        _cell(event.sequence),
        _cell(timezone.localtime(event.created_at).strftime("%Y-%m-%d %H:%M:%S")),
        _cell(actor.username if actor else ""),
        _cell(actor.full_name if actor else ""),
        _cell(verb_label(event.verb)),
        _cell(event.verb),
        _cell(shown_summary(event)),
        _cell(event.item.ledger_number if event.item else ""),
        _cell(event.unit.name if event.unit else ""),
        _cell(shown_data(event)),
        _cell(event.hash),
    ]


class _Line:
    """A file-like object csv.writer writes one line into, for streaming."""

    def write(self, value: str) -> str:
        return value


def csv_lines(events: QuerySet[AuditEvent]) -> Iterator[str]:
    writer = csv.writer(_Line())
    # The byte order mark makes Excel read the file as UTF-8.
    yield "\ufeff" + writer.writerow([str(title) for title in EXPORT_HEADER])
    for event in events.iterator(chunk_size=EXPORT_CHUNK):
        yield writer.writerow(export_row(event))


def _described(filters: dict[str, Any]) -> dict[str, str]:
    return {name: str(value) for name, value in filters.items() if value not in (None, "")}


@require_safe
@role_required(Role.AUDIT_ADMIN)
def audit_export(request: HttpRequest) -> HttpResponseBase:
    """The events the search finds, oldest first, as a CSV file for Excel."""
    form = _form(request)
    if form.is_bound and not form.is_valid():
        messages.error(request, _("筛选条件有误，未导出。请修改后再试。"))
        return redirect(f"{reverse('audit-log')}?{request.GET.urlencode()}")
    filters = _filters(form)
    # The file holds what existed when it was asked for; its own event comes after.
    newest = AuditEvent.objects.aggregate(newest=Max("sequence"))["newest"] or 0
    events = search(_events(), filters).filter(sequence__lte=newest).order_by("sequence")
    count = events.count()
    record(
        request.user,
        "export_audit_log",
        _("导出审计日志（%(count)d条）") % {"count": count},
        data={"filters": _described(filters), "count": count, "ip": client_ip(request)},
    )
    response = StreamingHttpResponse(csv_lines(events), content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime(clock.now()).strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="audit-log-{stamp}.csv"'
    return response
