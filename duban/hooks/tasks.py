"""Background task of the webhooks (the Django Tasks API, run by `manage.py run_worker`)."""

from __future__ import annotations

from django_tasks import task

from . import sending


@task()
def deliver_due() -> dict[str, int]:
    """Send every webhook delivery that is due; idempotent."""
    return sending.deliver_due().as_dict()
