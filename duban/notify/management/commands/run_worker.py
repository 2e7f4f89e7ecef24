"""`python manage.py run_worker`: a background worker of the task engine.

It runs the database backend's worker loop (django-tasks-db's `db_worker`) and,
beside it, the scheduler thread that enqueues PERIODIC_TASKS. Run as many as you
like, on as many machines as you like: tasks are claimed by one worker each, and
the schedule is shared through the database.

`--once` enqueues whatever periodic task is due, runs every task that is ready, and
exits (for tests and cron-style use).
"""

from __future__ import annotations

import logging
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import InterfaceError, OperationalError, close_old_connections, connection
from django.utils.crypto import get_random_string
from django.utils.translation import gettext as _
from django_tasks_db.management.commands.db_worker import Worker

from duban.notify import periodic

LOGGERS = ("django_tasks", "django_tasks_db", "duban.notify", "duban.sms")


OUTAGE_BACKOFF_SECONDS = (1, 2, 5, 10)


def run_through_outages(worker: Worker) -> None:
    """Run the worker's loop; when the database goes away (a restart, a failover), wait
    and start the loop again rather than exit: whatever task was running is taken up
    again by its own lease (the outbox's deliveries) or the next periodic run."""
    outages = 0
    while True:
        try:
            worker.run()
            return
        except (OperationalError, InterfaceError) as error:
            wait = OUTAGE_BACKOFF_SECONDS[min(outages, len(OUTAGE_BACKOFF_SECONDS) - 1)]
            outages += 1
            logging.getLogger("duban.notify").error(
                "worker: the database is unavailable (%s); retrying in %d s",
                type(error).__name__,
                wait,
            )
            close_old_connections()
            connection.close()
            time.sleep(wait)


class Command(BaseCommand):
    help = "Run a background worker: the task queue plus the periodic schedule."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--once", action="store_true", help="run what is due and ready, then exit"
        )
        parser.add_argument(
            "--interval",
            type=float,
            default=1.0,
            help="seconds to wait when the queue is empty (default 1)",
        )
        parser.add_argument(
            "--tick",
            type=float,
            default=5.0,
            help="seconds between looks at the periodic schedule (default 5)",
        )
        parser.add_argument("--worker-id", default="", help="unique id (default: random)")

    def handle(
        self,
        *args: Any,
        once: bool = False,
        interval: float = 1.0,
        tick: float = 5.0,
        worker_id: str = "",
        verbosity: int = 1,
        **options: Any,
    ) -> None:
        if verbosity >= 1:
            for name in LOGGERS:
                logging.getLogger(name).setLevel(logging.INFO if verbosity == 1 else logging.DEBUG)
        worker = Worker(
            queue_names=["default"],
            interval=interval,
            batch=once,
            backend_name="default",
            startup_delay=not once,
            max_tasks=None,
            worker_id=worker_id or get_random_string(32),
            excluded_queue_names=[],
        )
        if once:
            from duban.health.heartbeat import beat

            beat(worker.worker_id)
            for path in periodic.enqueue_due():
                self.stdout.write(_("已加入队列：%(task)s") % {"task": path})
            worker.run()
            self.stdout.write(_("后台任务已处理完毕。"))
            return
        scheduler = periodic.Scheduler(tick=tick, worker_id=worker.worker_id)
        scheduler.start()
        self.stdout.write(_("后台任务进程已运行（worker %(id)s）。") % {"id": worker.worker_id})
        worker.configure_signals()
        try:
            run_through_outages(worker)
        finally:
            scheduler.stop()
