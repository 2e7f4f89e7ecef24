"""How a delivery is signed, and how a receiver checks it (docs/api.md, "Webhooks").

The body is the JSON payload, serialised once (`body`); the signature is
HMAC-SHA256 with the endpoint's secret over f"{timestamp}.{body}", where the
timestamp is the sending time in Unix seconds. Both go in headers:

    X-Duban-Timestamp: 1790000000
    X-Duban-Signature: sha256=<hex digest>

Signing the timestamp with the body lets a receiver refuse an old message replayed.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from typing import Any

SECRET_PREFIX = "whsec_"  # noqa: S105 (a prefix, not a secret)
SIGNATURE_PREFIX = "sha256="


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def body(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def signature(secret: str, timestamp: int, raw_body: bytes) -> str:
    message = f"{timestamp}.".encode() + raw_body
    digest = hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
    return SIGNATURE_PREFIX + digest


def verify(
    secret: str, timestamp: str, raw_body: bytes, signed: str, now: int, tolerance: int = 300
) -> bool:
    """What a receiver does (the example in docs/api.md, in Python)."""
    if not timestamp.isdigit() or abs(now - int(timestamp)) > tolerance:
        return False
    return hmac.compare_digest(signature(secret, int(timestamp), raw_body), signed)
