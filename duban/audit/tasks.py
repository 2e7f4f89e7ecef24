"""Background tasks of the audit log (the Django Tasks API, run by the workers).

`write_anchor` runs nightly (settings.PERIODIC_TASKS): it verifies the chain — the
events since the newest checkpoint, or every event when the last full verification is
FULL_EVERY old — against the previous anchor and, only if both hold, writes a new
checkpoint and the new anchor. A broken chain keeps the old anchor, so the evidence is
not overwritten, and the security and audit administrators are told through the
outbox.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.utils.translation import gettext as _
from django_tasks import task

from duban import clock

from .models import AuditCheckpoint
from .verification import verify_chain, write_checkpoint

logger = logging.getLogger("duban.audit")

FULL_EVERY = dt.timedelta(days=7)


def full_verification_due() -> bool:
    """True when no full verification has held within FULL_EVERY."""
    last = AuditCheckpoint.objects.filter(full=True).order_by("-created_at").first()
    return last is None or clock.now() - last.created_at >= FULL_EVERY


@task()
def write_anchor() -> dict[str, object]:
    from .anchor import write_anchor as write

    path = settings.AUDIT_ANCHOR_FILE
    full = full_verification_due()
    verdict = verify_chain(path if path.exists() else None, full=full, anchor_required=False)
    if not verdict.intact:
        logger.error("audit chain broken, anchor %s kept as it was: %s", path, verdict.message)
        alert_administrators(verdict.message)
        return {"intact": False, "message": verdict.message}
    write_checkpoint(verdict, full=full or not verdict.since)
    anchor = write(path)
    return {"intact": True, "sequence": anchor.sequence, "read": verdict.read, "full": full}


def alert_administrators(message: str) -> None:
    """Tell the security and audit administrators that the chain no longer holds."""
    from duban.notify.outbox import notify_roles
    from duban.organisation.models import Role

    notify_roles(
        (Role.SECURITY_ADMIN, Role.AUDIT_ADMIN),
        _("审计日志核验未通过"),
        _(
            "夜间核验发现审计日志的哈希链不完整：%(message)s。"
            "请立即保全数据库与锚点文件，并运行 verify_audit --full 查明范围。"
        )
        % {"message": message},
    )


@task()
def verify_on_request(verification_id: int) -> dict[str, object]:
    """The audit page's 校验: verify the chain (from the newest checkpoint, or in full)
    and the anchor, and store the verdict for the page."""
    from .models import AuditVerification, VerificationStatus

    verification = AuditVerification.objects.get(pk=verification_id)
    path = settings.AUDIT_ANCHOR_FILE
    verdict = verify_chain(
        path if path.exists() else None, full=verification.full, anchor_required=False
    )
    verification.status = VerificationStatus.INTACT if verdict.intact else VerificationStatus.BROKEN
    verification.events_read = verdict.read
    verification.message = verdict.message
    verification.finished_at = clock.now()
    verification.save(update_fields=["status", "events_read", "message", "finished_at"])
    if not verdict.intact:
        alert_administrators(verdict.message)
    return {"intact": verdict.intact, "read": verdict.read}
