"""The hash chain over audit events (tamper evidence, MLPS level 3).

Each event stores `previous_hash`, the hash of the event before it, and `hash`, an
HMAC-SHA256 over its own content and `previous_hash`, keyed with settings.AUDIT_KEY.
Altering a row breaks its hash; removing or inserting a row breaks the sequence or the
link; removing the newest rows is caught by the chain head, which records the last
sequence and hash. Without the key nobody can rebuild a consistent chain.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings

GENESIS = "0" * 64


def _timestamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def event_hash(fields: Mapping[str, Any]) -> str:
    """The HMAC of one event's content; `fields` as stored (see FIELDS)."""
    payload = json.dumps(
        {
            "sequence": fields["sequence"],
            "created_at": _timestamp(fields["created_at"]),
            "actor": fields["actor_id"],
            "verb": fields["verb"],
            "summary": fields["summary"],
            "item": fields["item_id"],
            "unit": fields["unit_id"],
            "data": fields["data"],
            "previous_hash": fields["previous_hash"],
        },
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hmac.new(_key(), payload.encode(), hashlib.sha256).hexdigest()


def _key() -> bytes:
    return settings.AUDIT_KEY.encode()


def key_id() -> str:
    """A fingerprint of the audit key, stored with each event: it tells a changed key
    apart from altered content, and reveals nothing of the key."""
    return hmac.new(_key(), b"duban-audit-key-id", hashlib.sha256).hexdigest()[:16]


def head_signature(sequence: int, last_hash: str) -> str:
    """The chain head's own HMAC: moving the head back by hand (to hide removed events)
    needs the key."""
    message = f"duban-audit-head:{sequence}:{last_hash}".encode()
    return hmac.new(_key(), message, hashlib.sha256).hexdigest()


def checkpoint_signature(sequence: int, event_hash: str) -> str:
    """A checkpoint's HMAC: only the key's holder can say "verified up to here"."""
    message = f"duban-audit-checkpoint:{sequence}:{event_hash}".encode()
    return hmac.new(_key(), message, hashlib.sha256).hexdigest()


def sign(payload: Mapping[str, Any]) -> str:
    """The HMAC of a JSON document (the anchor file)."""
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hmac.new(_key(), text.encode(), hashlib.sha256).hexdigest()


FIELDS = (
    "id",
    "key_id",
    "sequence",
    "created_at",
    "actor_id",
    "verb",
    "summary",
    "item_id",
    "unit_id",
    "data",
    "previous_hash",
    "hash",
)


@dataclass(frozen=True)
class Verdict:
    intact: bool
    count: int
    message: str


def verify(
    rows: Iterator[Mapping[str, Any]],
    head_sequence: int,
    head_hash: str,
    head_signed: str | None = None,
    *,
    after: tuple[int, str] = (0, GENESIS),
) -> Verdict:
    """Walk the events in sequence order and name the first one that breaks the chain;
    then check that the chain ends where its (signed) head says it does. `after`: the
    sequence and hash of a verified checkpoint the rows continue from (the rows are
    then those after it)."""
    count, expected_previous = after
    current_key = key_id()
    for row in rows:
        count += 1
        label = f"event #{row['sequence']} (id {row['id']}, {row['verb']})"
        if row["sequence"] != count:
            return Verdict(
                False,
                count,
                f"broken at {label}: expected sequence {count}, "
                "an event was removed or inserted before it",
            )
        if row["previous_hash"] != expected_previous:
            return Verdict(
                False, count, f"broken at {label}: it does not link to the event before it"
            )
        if not hmac.compare_digest(row["hash"], event_hash(row)):
            signed_with = row.get("key_id") or ""
            if signed_with and signed_with != current_key:
                return Verdict(
                    False,
                    count,
                    f"broken at {label}: the key differs from the one that signed event "
                    f"#{row['sequence']} (AUDIT_KEY {current_key} now, {signed_with} then); "
                    "set AUDIT_KEY back to the key the log was written with",
                )
            return Verdict(False, count, f"broken at {label}: its content was altered")
        expected_previous = row["hash"]
    if count != head_sequence or expected_previous != (head_hash or GENESIS):
        return Verdict(
            False,
            count,
            f"broken after event #{count}: the chain head records {head_sequence} events, "
            "the newest were removed",
        )
    if head_signed is not None and not hmac.compare_digest(
        head_signed, head_signature(head_sequence, head_hash or GENESIS)
    ):
        return Verdict(
            False,
            count,
            f"broken after event #{count}: the chain head (#{head_sequence}) was set by hand, "
            "its signature does not match; events after it were probably removed",
        )
    return Verdict(True, count, f"ok {count}")
