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
    key = settings.AUDIT_KEY.encode()
    return hmac.new(key, payload.encode(), hashlib.sha256).hexdigest()


FIELDS = (
    "id",
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


def verify(rows: Iterator[Mapping[str, Any]], head_sequence: int, head_hash: str) -> Verdict:
    """Walk the events in sequence order and name the first one that breaks the chain."""
    expected_previous = GENESIS
    count = 0
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
            return Verdict(False, count, f"broken at {label}: its content was altered")
        expected_previous = row["hash"]
    if count != head_sequence or expected_previous != (head_hash or GENESIS):
        return Verdict(
            False,
            count,
            f"broken after event #{count}: the chain head records {head_sequence} events, "
            "the newest were removed",
        )
    return Verdict(True, count, f"ok {count}")
