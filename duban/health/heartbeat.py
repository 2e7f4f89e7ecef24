"""Workers' heartbeats: written each scheduler tick, read by /readyz and /metrics."""

from __future__ import annotations

import os
import socket

from duban import clock

from .models import WorkerHeartbeat


def beat(worker_id: str, started_at: object = None) -> None:
    """Record that worker `worker_id` is alive now (one UPSERT)."""
    now = clock.now()
    WorkerHeartbeat.objects.update_or_create(
        worker_id=worker_id,
        defaults={"last_seen": now, "hostname": socket.gethostname()[:255], "pid": os.getpid()},
        create_defaults={
            "last_seen": now,
            "started_at": started_at or now,
            "hostname": socket.gethostname()[:255],
            "pid": os.getpid(),
        },
    )
