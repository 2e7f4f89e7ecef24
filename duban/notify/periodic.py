"""Periodic tasks: PERIODIC_TASKS (dotted path, seconds) put on the queue on schedule.

Every worker (`manage.py run_worker`) runs this scheduler. Each period is claimed
with a conditional UPDATE on `PeriodicRun`, so however many workers run, one copy
per period is enqueued (the tasks are idempotent, so a second copy would be harmless
anyway). A task whose module does not exist yet is skipped with one log line.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.db.models import Q
from django.utils.module_loading import import_string

from duban import clock

from .models import PeriodicRun

logger = logging.getLogger("duban.notify")

_reported_missing: set[str] = set()


def schedule() -> list[tuple[str, int]]:
    return [(str(path), int(seconds)) for path, seconds in settings.PERIODIC_TASKS]


def resolve(path: str) -> Any:
    """The task at `path`, or None (logged once per process) if it is not there."""
    try:
        task = import_string(path)
    except ImportError as error:
        if path not in _reported_missing:
            _reported_missing.add(path)
            logger.warning("periodic task %s is not available yet, skipped: %s", path, error)
        return None
    if not hasattr(task, "enqueue"):
        if path not in _reported_missing:
            _reported_missing.add(path)
            logger.error("periodic task %s is not a task (no .enqueue), skipped", path)
        return None
    return task


def enqueue_due(now: dt.datetime | None = None) -> list[str]:
    """Enqueue each periodic task whose period has passed; returns the paths enqueued."""
    now = now or clock.now()
    plan = [(path, seconds, resolve(path)) for path, seconds in schedule()]
    plan = [(path, seconds, task) for path, seconds, task in plan if task is not None]
    if not plan:
        return []
    PeriodicRun.objects.bulk_create(
        [PeriodicRun(name=path) for path, _seconds, _task in plan], ignore_conflicts=True
    )
    enqueued = []
    for path, seconds, task in plan:
        period_start = now - dt.timedelta(seconds=seconds)
        with transaction.atomic():
            claimed = (
                PeriodicRun.objects.filter(name=path)
                .filter(Q(last_enqueued_at__isnull=True) | Q(last_enqueued_at__lte=period_start))
                .update(last_enqueued_at=now)
            )
            if claimed != 1:
                continue  # not due, or another worker enqueued it this period
            task.enqueue()
        enqueued.append(path)
    return enqueued


class Scheduler(threading.Thread):
    """Runs `enqueue_due` every `tick` seconds until `stop()`, and writes the worker's
    heartbeat (`duban.health.heartbeat`) each time."""

    def __init__(self, tick: float = 5.0, worker_id: str = "") -> None:
        super().__init__(name="duban-periodic", daemon=True)
        self.tick = tick
        self.worker_id = worker_id
        self.started_at = clock.now()
        self._stopped = threading.Event()

    def stop(self) -> None:
        self._stopped.set()

    def run(self) -> None:
        try:
            while not self._stopped.is_set():
                close_old_connections()
                self.tick_once()
                self._stopped.wait(self.tick)
        finally:
            connection.close()

    def tick_once(self) -> None:
        """One look at the schedule, after the worker's heartbeat (read by /readyz)."""
        try:
            if self.worker_id:
                from duban.health.heartbeat import beat

                beat(self.worker_id, self.started_at)
            for path in enqueue_due():
                logger.info("enqueued periodic task %s", path)
        except Exception:
            logger.exception("periodic scheduler: enqueue failed, will retry")
