"""Background tasks of the outbox (the Django Tasks API, run by `manage.py run_worker`)."""

from __future__ import annotations

from django_tasks import task

from . import delivery


@task()
def deliver_due() -> dict[str, int]:
    """Send every delivery that is due; idempotent, so running it twice is harmless."""
    return delivery.deliver_due().as_dict()
