"""Verifying the whole audit log: the chain, its signed head and the external anchor.
One function, used by `verify_audit` and the nightly anchor task."""

from __future__ import annotations

from pathlib import Path

from .anchor import AnchorError, compare, read_anchor
from .chain import FIELDS, GENESIS, Verdict, verify
from .models import AuditEvent, AuditHead


def verify_chain(anchor_path: Path | None = None) -> Verdict:
    head = AuditHead.objects.filter(pk=1).values("sequence", "last_hash", "signature").first()
    rows = AuditEvent.objects.order_by("sequence").values(*FIELDS).iterator(chunk_size=2000)
    try:
        verdict = verify(
            rows,
            head["sequence"] if head else 0,
            head["last_hash"] if head else GENESIS,
            head["signature"] if head else None,
        )
    finally:
        rows.close()
    if not verdict.intact or anchor_path is None:
        return verdict
    try:
        missing = compare(read_anchor(anchor_path))
    except AnchorError as error:
        return Verdict(False, verdict.count, str(error))
    if missing:
        return Verdict(False, verdict.count, f"broken: {missing}")
    return verdict
