"""Background tasks of the audit log (the Django Tasks API, run by the workers).

`write_anchor` runs nightly (settings.PERIODIC_TASKS): it verifies the chain against
the previous anchor and, only if both hold, writes the new anchor. A broken chain
keeps the old anchor, so the evidence is not overwritten.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django_tasks import task

from .verification import verify_chain

logger = logging.getLogger("duban.audit")


@task()
def write_anchor() -> dict[str, object]:
    from .anchor import write_anchor as write

    path = settings.AUDIT_ANCHOR_FILE
    verdict = verify_chain(path if path.exists() else None)
    if not verdict.intact:
        logger.error("audit chain broken, anchor %s kept as it was: %s", path, verdict.message)
        return {"intact": False, "message": verdict.message}
    anchor = write(path)
    return {"intact": True, "sequence": anchor.sequence}
