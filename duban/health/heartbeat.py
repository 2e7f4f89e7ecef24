"""Workers' heartbeats: written each scheduler tick, read by /readyz and /metrics."""

from __future__ import annotations

import datetime as dt
import os
import socket

from duban import clock

from .models import WorkerHeartbeat


def beat(worker_id: str, started_at: object = None) -> None:
    """Record that worker `worker_id` is alive now (one UPSERT)."""
    now = clock.now()
    alive = {"last_seen": now, "hostname": socket.gethostname()[:255], "pid": os.getpid()}
    WorkerHeartbeat.objects.update_or_create(
        worker_id=worker_id,
        defaults=alive,
        create_defaults={**alive, "started_at": started_at or now},
    )


def newest_beat() -> dt.datetime | None:
    """When any worker last showed it was alive (None: never)."""
    return (
        WorkerHeartbeat.objects.order_by("-last_seen").values_list("last_seen", flat=True).first()
    )
