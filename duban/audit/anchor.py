"""The external anchor: a small signed file recording the chain's head (its last
sequence and hash) at a moment. The nightly task writes it (settings.AUDIT_ANCHOR_FILE)
after the chain has verified, and the operator keeps copies off the machine.

`verify_audit` compares the chain with it: a chain shorter than the anchor, or one whose
event at the anchored sequence has another hash, was cut short or rewritten, even if
whoever did it also rewound the head inside the database.
"""

from __future__ import annotations

import datetime as dt
import hmac
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.utils import timezone

from duban import clock

from .chain import GENESIS, key_id, sign
from .models import AuditEvent, AuditHead


@dataclass(frozen=True)
class Anchor:
    sequence: int
    hash: str
    written_at: str

    def describe(self) -> str:
        return f"the anchor of {self.written_at} (#{self.sequence}, {self.hash[:12]}…)"


def current_head() -> tuple[int, str]:
    head = AuditHead.objects.filter(pk=1).values_list("sequence", "last_hash").first()
    return head if head is not None else (0, GENESIS)


def write_anchor(path: Path) -> Anchor:
    """Write the head as it is now, signed, atomically (a reader never sees half a file)."""
    sequence, last_hash = current_head()
    written_at = timezone.localtime(clock.now()).isoformat(timespec="seconds")
    payload: dict[str, Any] = {
        "sequence": sequence,
        "hash": last_hash,
        "written_at": written_at,
        "key_id": key_id(),
    }
    payload["signature"] = sign(payload)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(payload, ensure_ascii=False, indent=2) + "\n", "utf-8")
    os.replace(temporary, path)
    return Anchor(sequence, last_hash, written_at)


class AnchorError(Exception):
    pass


def read_anchor(path: Path) -> Anchor:
    try:
        payload = json.loads(path.read_text("utf-8"))
        signature = payload.pop("signature")
        anchor = Anchor(int(payload["sequence"]), str(payload["hash"]), str(payload["written_at"]))
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise AnchorError(f"the anchor file {path} cannot be read: {error}") from error
    if not hmac.compare_digest(str(signature), sign(payload)):
        raise AnchorError(
            f"the anchor file {path} is not signed with this AUDIT_KEY: it was edited, or "
            "the key differs from the one that wrote it"
        )
    return anchor


def compare(anchor: Anchor) -> str | None:
    """What the chain lacks compared with `anchor`, or None when it holds it."""
    if anchor.sequence == 0:
        return None
    newest = AuditEvent.objects.order_by("-sequence").values_list("sequence", flat=True).first()
    newest = newest or 0
    if newest < anchor.sequence:
        return (
            f"the chain ends at event #{newest} but {anchor.describe()} records "
            f"#{anchor.sequence}: {anchor.sequence - newest} events are missing"
        )
    stored = (
        AuditEvent.objects.filter(sequence=anchor.sequence).values_list("hash", flat=True).first()
    )
    if stored is None:
        return f"event #{anchor.sequence} of {anchor.describe()} is missing from the chain"
    if not hmac.compare_digest(stored, anchor.hash):
        return (
            f"event #{anchor.sequence} differs from {anchor.describe()}: the chain was "
            "rewritten from there"
        )
    return None


def anchor_age(anchor: Anchor) -> dt.timedelta | None:
    try:
        written = dt.datetime.fromisoformat(anchor.written_at)
    except ValueError:
        return None
    return clock.now() - written
