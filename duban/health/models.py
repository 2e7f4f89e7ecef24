"""What the running system reports about itself: each worker's heartbeat."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class WorkerHeartbeat(models.Model):
    """A background worker's last sign of life, written by its scheduler thread on
    every tick (`duban.notify.periodic.Scheduler`)."""

    worker_id = models.CharField(_("后台进程"), max_length=64, unique=True)
    hostname = models.CharField(_("主机"), max_length=255, blank=True)
    pid = models.PositiveIntegerField(_("进程号"), default=0)
    started_at = models.DateTimeField(_("启动时间"))
    last_seen = models.DateTimeField(_("最近心跳"), db_index=True)

    class Meta:
        verbose_name = _("后台进程心跳")
        verbose_name_plural = _("后台进程心跳")

    def __str__(self) -> str:
        return f"{self.worker_id} {self.last_seen:%Y-%m-%d %H:%M:%S}"
