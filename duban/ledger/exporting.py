"""The ledger page's export (/ledger/export/): its filters in words, its file name, and
where the file is written.

A selection of up to settings.LEDGER_EXPORT_DIRECT_ROWS rows is written within the
request, as the page asked. A larger one — up to PAGE_EXPORT_LIMIT rows, a university's
whole year — is a `LedgerExport` that a worker writes (`write_export`), while the page
shows how far it got; the file is then kept for its requester to download until it
expires (settings.LEDGER_EXPORT_KEEP_HOURS, `expire_exports`). Either way the rows are
the ledger page's own (`duban.web.views.ledger_items`: the visibility rule and the same
filters), taken as the requester when the file is written, and the export is audited
(`actions.record_export`). A larger export still (a province's deployment) is for
`manage.py export_ledger`.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
from typing import Any

from django import forms
from django.conf import settings
from django.db import transaction
from django.http import QueryDict
from django.utils.translation import gettext as _
from django_tasks import task

from duban import clock
from duban.items.errors import ActionError
from duban.organisation.models import Unit, User
from duban.web.forms import LedgerFilterForm

from . import actions
from .export import ExportResult, ledger_title, write_ledger
from .models import ExportStatus, LedgerExport

logger = logging.getLogger("duban.ledger")

PAGE_EXPORT_LIMIT = 10_000
# A queued or running export older than this is taken as lost (its worker died).
STALE_AFTER = dt.timedelta(hours=1)
WAITING = (ExportStatus.QUEUED, ExportStatus.RUNNING)


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


def too_many(count: int) -> str:
    return _(
        "符合条件的事项共%(count)d项，超过页面导出的上限%(limit)d项。请缩小筛选范围"
        "（例如按年度或来源类别），或请系统管理员用命令 export_ledger 导出。"
    ) % {"count": count, "limit": PAGE_EXPORT_LIMIT}


def write_page_export(
    user: User, query: QueryDict, destination: Any, progress: Any = None
) -> tuple[ExportResult, LedgerFilterForm]:
    """Write the ledger page's rows for `query`, as `user` sees them (`audit` records it)."""
    from duban.web.views import ledger_items

    form, items = ledger_items(user, query)
    total = items.count()
    year = applied_filters(form).get("year")
    description = describe_filters(form)
    result = write_ledger(
        items,
        destination,
        title=ledger_title(year),
        filters=description,
        total=total,
        progress=progress,
    )
    return result, form


def audit(user: User, form: LedgerFilterForm, result: ExportResult) -> None:
    filters = {name: str(value) for name, value in applied_filters(form).items()}
    actions.record_export(
        user, filters=filters, description=describe_filters(form), result=result, via="page"
    )


# ----------------------------------------------------------------------------- the actions


@transaction.atomic
def request_export(actor: User, query: QueryDict) -> LedgerExport:
    """Queue the export of the ledger page's rows for `query` for a worker. One export
    of a person's waits at a time; the limit is the page's."""
    from duban.web.views import ledger_items

    if not actor.is_active:
        raise ActionError(_("账号已停用，不能导出台账。"))
    User.objects.select_for_update().filter(pk=actor.pk).first()  # one request at a time
    if LedgerExport.objects.filter(requested_by=actor, status__in=WAITING).exists():
        raise ActionError(_("您已有一个台账导出正在生成。请等它完成后再导出，或在其页面查看进度。"))
    form, items = ledger_items(actor, query)
    total = items.count()
    if total > PAGE_EXPORT_LIMIT:
        raise ActionError(too_many(total))
    year = applied_filters(form).get("year")
    job = LedgerExport.objects.create(
        requested_by=actor,
        query=query.urlencode(),
        description=describe_filters(form),
        year=year,
        total=total,
        filename=export_filename(year),
        created_at=clock.now(),
    )
    transaction.on_commit(lambda: write_export.enqueue(job.pk))
    return job


@task()
def write_export(export_id: int) -> dict[str, object]:
    """The worker's half: write the file, reporting progress, and keep it for download."""
    job = LedgerExport.objects.select_related("requested_by").get(pk=export_id)
    if job.status != ExportStatus.QUEUED:
        return {"skipped": job.status}  # a second delivery of the same task
    LedgerExport.objects.filter(pk=job.pk).update(status=ExportStatus.RUNNING)
    user = job.requested_by

    def progress(written: int) -> None:
        LedgerExport.objects.filter(pk=job.pk).update(written=written)

    buffer = io.BytesIO()
    try:
        if not user.is_active:
            raise ActionError(_("账号已停用，不能导出台账。"))
        result, form = write_page_export(user, QueryDict(job.query), buffer, progress)
    except ActionError as refusal:
        job.status, job.message = ExportStatus.FAILED, str(refusal)
    except Exception:  # the page shows a failure, never a job that waits for ever
        logger.exception("ledger export %s failed", job.pk)
        job.status = ExportStatus.FAILED
        job.message = _("生成文件时出错，请稍后重试；如仍失败，请联系系统管理员。")
    else:
        content = buffer.getvalue()
        job.status, job.content, job.size = ExportStatus.DONE, content, len(content)
        job.total = job.written = result.count
    job.finished_at = clock.now()
    with transaction.atomic():  # the file is kept if and only if its export is audited
        if job.status == ExportStatus.DONE:
            audit(user, form, result)
        job.save(
            update_fields=[
                "status",
                "content",
                "size",
                "total",
                "written",
                "message",
                "finished_at",
            ]
        )
    return {"status": job.status, "rows": job.written}


@task()
def expire_exports() -> dict[str, int]:
    """Periodic: drop the files kept past LEDGER_EXPORT_KEEP_HOURS, and fail the exports
    whose worker never finished them, so that their requester may export again."""
    now = clock.now()
    kept_since = now - dt.timedelta(hours=settings.LEDGER_EXPORT_KEEP_HOURS)
    expired = LedgerExport.objects.filter(
        status=ExportStatus.DONE, finished_at__lt=kept_since
    ).update(status=ExportStatus.EXPIRED, content=None)
    lost = LedgerExport.objects.filter(status__in=WAITING, created_at__lt=now - STALE_AFTER).update(
        status=ExportStatus.FAILED,
        message=_("导出未能在规定时间内完成，请重新导出。"),
        finished_at=now,
    )
    return {"expired": expired, "lost": lost}
