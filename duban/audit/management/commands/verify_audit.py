"""`python manage.py verify_audit`: check the audit log's hash chain.

Prints `ok N` and exits 0 when the chain is intact; otherwise names the first broken
event and exits 1.
"""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand

from duban.audit.chain import FIELDS, GENESIS, verify
from duban.audit.models import AuditEvent, AuditHead


class Command(BaseCommand):
    help = "核验审计日志的哈希链是否完整"

    def handle(self, *args: Any, **options: Any) -> None:
        head = AuditHead.objects.filter(pk=1).values("sequence", "last_hash").first()
        rows = AuditEvent.objects.order_by("sequence").values(*FIELDS).iterator(chunk_size=2000)
        try:
            verdict = verify(
                rows,
                head["sequence"] if head else 0,
                head["last_hash"] if head else GENESIS,
            )
        finally:
            rows.close()
        if verdict.intact:
            self.stdout.write(verdict.message)
            return
        self.stdout.write(verdict.message)
        sys.exit(1)
