"""Verifying the audit log: the chain, its signed head and the external anchor.
One function, used by `verify_audit` and the nightly anchor task.

A full verification reads every event. An incremental one starts from the newest
checkpoint whose signature holds (`AuditCheckpoint`, written after each intact
verification): it checks that the checkpointed event still has its hash and that no
event before it is missing, then reads only the events after it. An event altered
before the checkpoint is found by the full verification (`verify_audit --full`), which
the deployment runs weekly (docs/deployment.md)."""

from __future__ import annotations

import datetime as dt
import hmac
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

from duban import clock

from .anchor import AnchorError, compare, read_anchor
from .chain import FIELDS, GENESIS, Verdict, checkpoint_signature, verify
from .models import AuditCheckpoint, AuditEvent, AuditHead


@dataclass(frozen=True)
class Checked(Verdict):
    """A verdict with where the reading started: `read` events after `since`."""

    since: int = 0
    read: int = 0


def last_verified_at() -> dt.datetime | None:
    """When the chain was last found intact (its newest checkpoint; None: never)."""
    newest = AuditCheckpoint.objects.order_by("-created_at")
    return newest.values_list("created_at", flat=True).first()


def latest_checkpoint() -> AuditCheckpoint | None:
    """The newest checkpoint whose signature holds."""
    for checkpoint in AuditCheckpoint.objects.order_by("-sequence", "-id")[:20]:
        expected = checkpoint_signature(checkpoint.sequence, checkpoint.hash)
        if hmac.compare_digest(checkpoint.signature, expected):
            return checkpoint
    return None


def verify_chain(
    anchor_path: Path | None = None, *, full: bool = True, anchor_required: bool = True
) -> Checked:
    """Verify the chain (from the newest checkpoint unless `full`), then this database's
    anchor in `anchor_path` (a file without one fails when `anchor_required`)."""
    head = AuditHead.objects.filter(pk=1).values("sequence", "last_hash", "signature").first()
    after = (0, GENESIS)
    checkpoint = None if full else latest_checkpoint()
    if checkpoint is not None:
        broken = _checkpoint_broken(checkpoint)
        if broken:
            return Checked(False, checkpoint.sequence, broken, checkpoint.sequence, 0)
        after = (checkpoint.sequence, checkpoint.hash)
    rows = (
        AuditEvent.objects.filter(sequence__gt=after[0])
        .order_by("sequence")
        .values(*FIELDS)
        .iterator(chunk_size=2000)
    )
    try:
        verdict = verify(
            rows,
            head["sequence"] if head else 0,
            head["last_hash"] if head else GENESIS,
            head["signature"] if head else None,
            after=after,
        )
    finally:
        rows.close()
    checked = Checked(
        verdict.intact, verdict.count, verdict.message, after[0], verdict.count - after[0]
    )
    if not checked.intact or anchor_path is None:
        return checked
    try:
        anchor = read_anchor(anchor_path, required=anchor_required)
    except AnchorError as error:
        return Checked(False, checked.count, str(error), checked.since, checked.read)
    missing = compare(anchor) if anchor is not None else None
    if missing:
        return Checked(False, checked.count, f"broken: {missing}", checked.since, checked.read)
    return checked


def _checkpoint_broken(checkpoint: AuditCheckpoint) -> str:
    """Why the chain no longer holds the checkpoint, or ""."""
    label = f"checkpoint #{checkpoint.sequence} of {checkpoint.created_at:%Y-%m-%d %H:%M}"
    held = AuditEvent.objects.filter(sequence=checkpoint.sequence).values_list("hash", flat=True)
    stored = held.first()
    if stored is None:
        return f"broken: event #{checkpoint.sequence} of the {label} is missing from the chain"
    if stored != checkpoint.hash:
        return f"broken at event #{checkpoint.sequence}: it differs from the {label}"
    before = AuditEvent.objects.filter(sequence__lte=checkpoint.sequence).count()
    if before != checkpoint.sequence:
        return (
            f"broken before the {label}: {checkpoint.sequence - before} events are missing "
            "(run verify_audit --full to find them)"
        )
    return ""


def write_checkpoint(verdict: Checked, *, full: bool) -> AuditCheckpoint | None:
    """After an intact verification, remember how far it reached (a signed checkpoint)."""
    if not verdict.intact or verdict.count == 0:
        return None
    event_hash = (
        AuditEvent.objects.filter(sequence=verdict.count).values_list("hash", flat=True).first()
    )
    if event_hash is None:
        return None
    with transaction.atomic():
        return AuditCheckpoint.objects.create(
            sequence=verdict.count,
            hash=event_hash,
            signature=checkpoint_signature(verdict.count, event_hash),
            created_at=clock.now(),
            full=full,
        )
