"""The external anchor: a small signed file recording the chain's head (its last
sequence and hash) at a moment. The nightly task writes it (settings.AUDIT_ANCHOR_FILE)
after the chain has verified, and the operator keeps copies off the machine.

`verify_audit` compares the chain with it: a chain shorter than the anchor, or one whose
event at the anchored sequence has another hash, was cut short or rewritten, even if
whoever did it also rewound the head inside the database.

One file holds the head of each database it was written from, named by the configured
engine and database name (`database_label`: from the settings, which whoever edits the
database cannot change): a checkout that serves several databases (a test and a
production database, or the benchmark's) keeps one anchor per database in the same file
instead of reporting each database's chain against another's head. The whole document
is signed. A file of the earlier format (one head, no database) still anchors whichever
database reads it; the next write replaces it with the new format.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hmac
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import connection
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


def database_label() -> str:
    """Which database an anchor belongs to: its engine and configured name."""
    return f"{connection.vendor}:{connection.settings_dict['NAME']}"


def write_anchor(path: Path) -> Anchor:
    """Write the head as it is now into this database's entry of the file, signed,
    atomically (a reader never sees half a file), keeping the other databases' entries."""
    sequence, last_hash = current_head()
    written_at = timezone.localtime(clock.now()).isoformat(timespec="seconds")
    anchor = Anchor(sequence, last_hash, written_at)
    path.parent.mkdir(parents=True, exist_ok=True)
    with _locked(path):
        try:
            anchors = _read_document(path) if path.exists() else {}
        except AnchorError:
            anchors = {}  # unreadable or unsigned: nothing in it can be trusted to keep
        anchors.pop(_ANY_DATABASE, None)
        anchors[database_label()] = anchor
        payload: dict[str, Any] = {
            "anchors": {
                label: {"sequence": a.sequence, "hash": a.hash, "written_at": a.written_at}
                for label, a in sorted(anchors.items())
            },
            "key_id": key_id(),
        }
        payload["signature"] = sign(payload)
        temporary = path.with_name(path.name + ".tmp")
        temporary.write_text(json.dumps(payload, ensure_ascii=False, indent=2) + "\n", "utf-8")
        os.replace(temporary, path)
    return anchor


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """One writer at a time (two databases' nightly tasks may write the same file)."""
    with path.with_name(path.name + ".lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


class AnchorError(Exception):
    pass


_ANY_DATABASE = ""  # the one head of a file of the earlier format


def read_anchor(path: Path, *, required: bool = True) -> Anchor | None:
    """This database's anchor in the file. A file that anchors only other databases is
    refused when `required` (a file named by hand) and is no anchor otherwise (the
    configured file, before this database's first nightly write)."""
    anchors = _read_document(path)
    anchor = anchors.get(database_label()) or anchors.get(_ANY_DATABASE)
    if anchor is None and required:
        raise AnchorError(
            f"the anchor file {path} holds no anchor of this database ({database_label()}); "
            f"it anchors {', '.join(sorted(anchors)) or 'none'}"
        )
    return anchor


def _read_document(path: Path) -> dict[str, Anchor]:
    """Every database's anchor in the file, its signature checked."""
    try:
        payload = json.loads(path.read_text("utf-8"))
        signature = payload.pop("signature")
        if "anchors" in payload:
            entries = dict(payload["anchors"])
        else:  # the earlier format: one head
            entries = {_ANY_DATABASE: payload}
        anchors = {
            str(label): Anchor(int(entry["sequence"]), str(entry["hash"]), str(entry["written_at"]))
            for label, entry in entries.items()
        }
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        raise AnchorError(f"the anchor file {path} cannot be read: {error}") from error
    if not hmac.compare_digest(str(signature), sign(payload)):
        raise AnchorError(
            f"the anchor file {path} is not signed with this AUDIT_KEY: it was edited, or "
            "the key differs from the one that wrote it"
        )
    return anchors


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
