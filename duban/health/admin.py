"""The task engine's records in the admin, in Chinese.

django-tasks-db registers its task results in English ("Tasks Database Backend",
"Task Results", Ready/Running/...). The system administrator reads them here as
后台任务, with every column, filter and state named in Chinese; the records stay
read-only, as the engine's own admin has them.
"""

from __future__ import annotations

from typing import Any, cast

from django.apps import apps
from django.contrib import admin
from django.db.models import Field, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django_tasks_db.admin import DBTaskResultAdmin
from django_tasks_db.models import DBTaskResult

STATES = {
    "READY": _("待执行"),
    "RUNNING": _("执行中"),
    "SUCCESSFUL": _("已完成"),
    "FAILED": _("失败"),
}
COLUMNS = {
    "id": _("编号"),
    "status": _("状态"),
    "enqueued_at": _("排队时间"),
    "started_at": _("开始时间"),
    "finished_at": _("完成时间"),
    "args_kwargs": _("参数"),
    "priority": _("优先级"),
    "task_path": _("任务"),
    "worker_ids": _("执行进程"),
    "queue_name": _("队列"),
    "backend_name": _("后端"),
    "run_after": _("最早执行时间"),
    "return_value": _("返回值"),
    "exception_class_path": _("异常类型"),
    "traceback": _("错误详情"),
}

apps.get_app_config("django_tasks_database").verbose_name = _("后台任务")
DBTaskResult._meta.verbose_name = _("后台任务记录")
DBTaskResult._meta.verbose_name_plural = _("后台任务记录")
for name, label in COLUMNS.items():
    cast(Field, DBTaskResult._meta.get_field(name)).verbose_name = label


class StateFilter(admin.SimpleListFilter):
    title = _("状态")
    parameter_name = "status"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return list(STATES.items())

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        return queryset.filter(status=value) if value in STATES else queryset


admin.site.unregister(DBTaskResult)


@admin.register(DBTaskResult)
class TaskResultAdmin(DBTaskResultAdmin):
    list_display = (
        "id",
        "task_shown",
        "state_shown",
        "enqueued_at",
        "started_at",
        "finished_at",
        "priority",
        "queue_name",
    )
    list_filter = (StateFilter, "queue_name")  # type: ignore[assignment]

    def get_readonly_fields(self, request: HttpRequest, obj: DBTaskResult | None = None) -> Any:
        fields = list(super().get_readonly_fields(request, obj))
        return ["state_shown" if name == "status" else name for name in fields]

    @admin.display(description=_("状态"), ordering="status")
    def state_shown(self, obj: DBTaskResult) -> str:
        return str(STATES.get(obj.status, obj.status))

    @admin.display(description=_("任务"), ordering="task_path")
    def task_shown(self, obj: DBTaskResult) -> str:
        return str(obj.task_path)

    @admin.display(description=_("错误详情"))
    def formatted_traceback(self, obj: DBTaskResult) -> str:
        return str(super().formatted_traceback(obj))

    @admin.display(description=_("最早执行时间"))
    def display_run_after(self, obj: DBTaskResult) -> Any:
        return super().display_run_after(obj)
