"""The scheduled backup (settings.PERIODIC_TASKS, daily): with BACKUP_DIR set, write a
backup there, keep the BACKUP_KEEP newest, record the run for the security
administrator, and tell the security administrators when it fails."""

from __future__ import annotations

import logging
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _
from django_tasks import task

from duban import clock

from .backup import BackupError, backup_size, prune, write_backup
from .models import BackupRun

logger = logging.getLogger("duban.backups")


def run_backup() -> BackupRun:
    run = BackupRun.objects.create(started_at=clock.now())
    try:
        folder = write_backup(Path(settings.BACKUP_DIR))
        removed = prune(Path(settings.BACKUP_DIR), settings.BACKUP_KEEP)
    except (BackupError, OSError) as error:
        run.ok, run.message = False, str(error)
        logger.error("scheduled backup failed: %s", error)
        _alert(run.message)
    else:
        run.ok, run.path, run.size = True, str(folder), backup_size(folder)
        run.message = _("备份成功，保留最近%(keep)d份，删除%(removed)d份旧备份") % {
            "keep": settings.BACKUP_KEEP,
            "removed": len(removed),
        }
    run.finished_at = clock.now()
    run.save()
    return run


def _alert(message: str) -> None:
    from duban.notify.outbox import notify_roles
    from duban.organisation.models import Role

    notify_roles(
        (Role.SECURITY_ADMIN,),
        _("定时备份失败"),
        _("今天的定时备份没有完成：%(message)s。请检查备份目录与数据库连接。")
        % {"message": message},
    )


@task()
def scheduled_backup() -> dict[str, object]:
    if not settings.BACKUP_DIR:
        return {"skipped": "BACKUP_DIR is not set"}
    run = run_backup()
    return {"ok": run.ok, "path": run.path, "message": run.message}
