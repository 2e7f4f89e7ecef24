"""The audit log's one action: the audit administrator asks for a verification (校验)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from duban import clock
from duban.items.errors import PermissionRefused
from duban.organisation.models import Role

from .models import AuditVerification, record


@transaction.atomic
def request_verification(actor: Any, *, full: bool = False) -> AuditVerification:
    """Queue a verification of the chain (from the newest checkpoint, or `full`) for a
    worker (`tasks.verify_on_request`); audited like every administrator's step."""
    if not (actor.is_active and actor.role == Role.AUDIT_ADMIN):
        raise PermissionRefused(_("只有安全审计员可以校验审计日志。"))
    verification = AuditVerification.objects.create(
        requested_by=actor, requested_at=clock.now(), full=full
    )
    record(
        actor,
        "verify_audit",
        _("发起审计日志%(kind)s校验") % {"kind": _("全量") if full else _("增量")},
        data={"verification": verification.pk, "full": full},
    )

    def enqueue() -> None:
        from .tasks import verify_on_request

        verify_on_request.enqueue(verification.pk)

    transaction.on_commit(enqueue)
    return verification
