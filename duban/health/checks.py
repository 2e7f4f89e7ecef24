"""The readiness checks behind /readyz, as django-health-check checks.

Each check raises `ServiceUnavailable` (the system is not ready: /readyz answers 503)
or `ServiceWarning` (reported, still ready). The thresholds are settings:
- the database answers (django-health-check's own `Database` check);
- the task queue: the oldest task waiting to run waited at most TASK_QUEUE_MAX_WAIT_SECONDS;
- the workers: the newest heartbeat is at most WORKER_HEARTBEAT_TIMEOUT_SECONDS old;
- the outbox: no delivery due for longer than OUTBOX_MAX_DELAY_SECONDS; failed
  deliveries (the failures page) are a warning;
- the attachments' disk has at least ATTACHMENT_MIN_FREE_MB free;
- the audit chain was verified within AUDIT_VERIFY_MAX_AGE_HOURS (the nightly task).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil

from django.conf import settings
from django.db.models import Case, F, Min, When
from django.db.models.functions import Greatest
from django.utils.translation import gettext as _
from health_check.base import HealthCheck
from health_check.checks import Database
from health_check.exceptions import HealthCheckException, ServiceUnavailable, ServiceWarning

from duban import clock

__all__ = ["CHECKS", "Database", "HealthCheckException", "run_checks"]


def _age(moment: dt.datetime) -> int:
    return max(0, int((clock.now() - moment).total_seconds()))


@dataclasses.dataclass
class TaskQueue(HealthCheck):
    def run(self) -> None:
        from django_tasks.base import TaskResultStatus
        from django_tasks_db.models import DBTaskResult, get_date_max

        waiting_since = (
            DBTaskResult.objects.filter(status=TaskResultStatus.READY)
            .annotate(
                since=Greatest(
                    F("enqueued_at"),
                    Case(
                        When(run_after=get_date_max(), then=F("enqueued_at")),
                        default=F("run_after"),
                    ),
                )
            )
            .filter(since__lte=clock.now())
            .aggregate(oldest=Min("since"))["oldest"]
        )
        if waiting_since is None:
            return
        waited = _age(waiting_since)
        if waited > settings.TASK_QUEUE_MAX_WAIT_SECONDS:
            raise ServiceUnavailable(
                _("最早的后台任务已等待%(seconds)d秒，后台进程可能已停止或过载")
                % {"seconds": waited}
            )


@dataclasses.dataclass
class Workers(HealthCheck):
    def run(self) -> None:
        from .heartbeat import newest_beat

        last_seen = newest_beat()
        if last_seen is None:
            raise ServiceUnavailable(_("没有运行中的后台进程（从未收到心跳）"))
        silent = _age(last_seen)
        if silent > settings.WORKER_HEARTBEAT_TIMEOUT_SECONDS:
            raise ServiceUnavailable(
                _("后台进程已%(seconds)d秒没有心跳（上限%(limit)d秒）")
                % {"seconds": silent, "limit": settings.WORKER_HEARTBEAT_TIMEOUT_SECONDS}
            )


@dataclasses.dataclass
class Outbox(HealthCheck):
    def run(self) -> None:
        from duban.notify.models import Delivery, DeliveryStatus

        overdue_before = clock.now() - dt.timedelta(seconds=settings.OUTBOX_MAX_DELAY_SECONDS)
        backlog = Delivery.objects.filter(
            status=DeliveryStatus.PENDING, next_attempt_at__lt=overdue_before
        ).count()
        if backlog:
            raise ServiceUnavailable(
                _("有%(count)d条通知超过%(minutes)d分钟仍未发出")
                % {"count": backlog, "minutes": settings.OUTBOX_MAX_DELAY_SECONDS // 60}
            )
        failed = Delivery.objects.filter(status=DeliveryStatus.FAILED).count()
        if failed:
            raise ServiceWarning(
                _("有%(count)d条通知发送失败，请在发送失败页面处理") % {"count": failed}
            )


@dataclasses.dataclass
class AttachmentDisk(HealthCheck):
    def run(self) -> None:
        root = settings.ATTACHMENT_ROOT
        while not root.exists() and root != root.parent:
            root = root.parent
        free_mb = shutil.disk_usage(root).free // (1024 * 1024)
        if free_mb < settings.ATTACHMENT_MIN_FREE_MB:
            raise ServiceUnavailable(
                _("附件所在磁盘仅剩%(free)d MB（下限%(limit)d MB）")
                % {"free": free_mb, "limit": settings.ATTACHMENT_MIN_FREE_MB}
            )


@dataclasses.dataclass
class AuditVerification(HealthCheck):
    def run(self) -> None:
        from duban.audit.verification import last_verified_at

        verified_at = last_verified_at()
        if verified_at is None:
            raise ServiceWarning(_("审计日志尚未核验过（夜间任务将自动核验）"))
        hours = _age(verified_at) // 3600
        if hours > settings.AUDIT_VERIFY_MAX_AGE_HOURS:
            raise ServiceWarning(
                _("审计日志已%(hours)d小时未核验（夜间任务应每天核验）") % {"hours": hours}
            )


CHECKS: dict[str, type[HealthCheck]] = {
    "database": Database,
    "task_queue": TaskQueue,
    "workers": Workers,
    "outbox": Outbox,
    "attachment_disk": AttachmentDisk,
    "audit_verification": AuditVerification,
}


@dataclasses.dataclass(frozen=True)
class Result:
    name: str
    ok: bool  # False: the system is not ready
    message: str  # "" when all is well, else the check's words (a warning keeps ok)


def run_checks() -> list[Result]:
    """Every check, in this request's thread and database connection."""
    results = []
    for name, check in CHECKS.items():
        try:
            check().run()
        except ServiceWarning as warning:
            results.append(Result(name, True, str(warning.message)))
        except HealthCheckException as error:
            results.append(Result(name, False, str(error.message)))
        except Exception as error:
            results.append(Result(name, False, f"{type(error).__name__}"))
        else:
            results.append(Result(name, True, ""))
    return results
