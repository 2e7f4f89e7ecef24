"""Background tasks of the items domain (the Django Tasks API, run by the workers).

`sweep` is scheduled every 300 s (settings.PERIODIC_TASKS). It is idempotent: a step
already sent is never sent again, however many workers run it at once.
"""

from __future__ import annotations

from django_tasks import task

from duban import clock

from .sweep import run_sweep


@task()
def sweep() -> dict[str, int]:
    """Send the reminders due now (R-U3, R-F2, R-F3); returns how many were sent."""
    result = run_sweep(clock.now())
    return {"sent": result.sent}
