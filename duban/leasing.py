"""Leased queues: sending what is due, safely with many workers.

The notice outbox (`duban.notify.delivery`) and the webhook deliveries
(`duban.hooks.sending`) are such queues. Their rows have a `status` (pending, sent,
failed), `attempts`, `next_attempt_at`, `claimed_until` and `sent_at`; each queue says
which of its pending rows may be sent (`pending`) and what sending one means.

A worker claims one row at a time with a conditional UPDATE: the row must still be
pending, due, and free (no lease, or an expired one); the UPDATE sets a lease
(`claimed_until`). Only one worker's UPDATE can match, so no two workers send the same
row. A worker that dies mid-send leaves its lease behind; once the lease expires the
row is due again and another worker sends it: nothing is lost (at the price of a
possible second copy if the worker died after the far side accepted but before the
row was marked sent). The outcome of a send is written only while the lease is still
ours, so a worker that outlived its lease cannot overwrite another's outcome.

A failed attempt is retried after 1, 2, 4, 8, ... minutes; the queue's last allowed
attempt marks the row failed.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any, TypeVar

from django.db.models import F, Model, Q, QuerySet

from duban import clock

Row = TypeVar("Row", bound=Model)

# Longer than any one send may take (EMAIL_TIMEOUT, WEBHOOK_TIMEOUT), so a live
# worker never loses its lease mid-send.
LEASE = dt.timedelta(minutes=5)
FIRST_BACKOFF = dt.timedelta(minutes=1)
BATCH = 100
# How much of an error a queue keeps in its row's `last_error`.
ERROR_LIMIT = 2000

# The statuses a leased queue writes; both queues' `DeliveryStatus` choices have these
# values (tests/test_leasing.py holds them to it).
SENT = "sent"
FAILED = "failed"


@dataclass
class Report:
    sent: int = 0
    retrying: int = 0
    failed: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


class Outcome(enum.Enum):
    """What was recorded for a claimed row; LEASE_EXPIRED when nothing was, because
    the lease ran out before the send ended (another worker may hold the row now)."""

    SENT = "sent"
    RETRYING = "retrying"
    FAILED = "failed"
    LEASE_EXPIRED = "lease_expired"


def backoff(attempts: int) -> dt.timedelta:
    """The wait after the `attempts`-th failure: 1, 2, 4, 8, 16 minutes."""
    return FIRST_BACKOFF * (2 ** (attempts - 1))


def due(pending: QuerySet[Row], now: dt.datetime) -> QuerySet[Row]:
    """The pending rows whose time has come and that no live lease holds."""
    return pending.filter(next_attempt_at__lte=now).filter(
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    )


@dataclass(frozen=True)
class Claim:
    """One row under our lease, and the ways to record how its send went."""

    model: type[Model]
    pk: int
    lease: dt.datetime

    def sent(self, report: Report, **changes: Any) -> Outcome:
        report.sent += 1
        return self._record(
            Outcome.SENT,
            status=SENT,
            sent_at=clock.now(),
            attempts=F("attempts") + 1,
            **changes,
        )

    def attempt_failed(
        self, report: Report, attempts: int, max_attempts: int, **changes: Any
    ) -> Outcome:
        """Record the `attempts`-th failed attempt: retried after `backoff`, or, at
        `max_attempts`, the row is failed."""
        if attempts >= max_attempts:
            report.failed += 1
            return self._record(Outcome.FAILED, attempts=attempts, status=FAILED, **changes)
        report.retrying += 1
        return self._record(
            Outcome.RETRYING,
            attempts=attempts,
            next_attempt_at=clock.now() + backoff(attempts),
            **changes,
        )

    def postpone(self, report: Report, wait: dt.timedelta, **changes: Any) -> Outcome:
        """Send again after `wait`, without counting an attempt."""
        report.retrying += 1
        return self._record(Outcome.RETRYING, next_attempt_at=clock.now() + wait, **changes)

    def _record(self, outcome: Outcome, **changes: Any) -> Outcome:
        ours = self.model._default_manager.filter(pk=self.pk, claimed_until=self.lease)
        if ours.update(claimed_until=None, **changes) != 1:
            return Outcome.LEASE_EXPIRED
        return outcome


def claim(pending: QuerySet[Any], pk: int) -> Claim | None:
    """Take the lease on one row; None if another worker has it or it is done."""
    now = clock.now()
    lease = now + LEASE
    if due(pending, now).filter(pk=pk).update(claimed_until=lease) != 1:
        return None
    return Claim(pending.model, pk, lease)


def send_due(pending: QuerySet[Any], send: Callable[[Claim, Report], None]) -> Report:
    """Claim and `send` every row that is due now, oldest first; returns what happened."""
    report = Report()
    while True:
        candidates = list(
            due(pending, clock.now())
            .order_by("next_attempt_at", "id")
            .values_list("pk", flat=True)[:BATCH]
        )
        claimed_any = False
        for pk in candidates:
            claimed = claim(pending, pk)
            if claimed is None:
                continue  # another worker took it
            claimed_any = True
            send(claimed, report)
        # A short batch was the last; a batch wholly taken by others leaves them to it.
        if len(candidates) < BATCH or not claimed_any:
            return report
