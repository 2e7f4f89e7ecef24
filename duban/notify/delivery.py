"""Sending what is due, safely with many workers.

A worker claims one delivery at a time with a conditional UPDATE: the row must
still be pending, due, and free (no lease, or an expired one); the UPDATE sets a
lease (`claimed_until`). Only one worker's UPDATE can match, so no two workers send
the same delivery. A worker that dies mid-send leaves its lease behind; once the
lease expires the delivery is due again and another worker sends it: nothing is
lost (at the price of a possible second copy if the worker died after the channel
accepted but before the row was marked sent).

A failed attempt is recorded with its error and retried after 1, 2, 4, 8 and 16
minutes; the sixth failure marks the delivery failed, for the office to see and
resend (`duban.notify.actions.retry_delivery`). A platform's rate limit
(`platforms.RateLimited`) is not a failure: the delivery waits `RATE_LIMIT_WAIT` and
is sent again, its attempts not counted, so it is delayed but never dropped.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import asdict, dataclass

from django.db.models import F, Q, QuerySet

from duban import clock

from . import channels
from .models import Delivery, DeliveryStatus
from .platforms import RateLimited

logger = logging.getLogger("duban.notify")

MAX_ATTEMPTS = 6
FIRST_BACKOFF = dt.timedelta(minutes=1)
# Longer than any one send may take (EMAIL_TIMEOUT, WEBHOOK_TIMEOUT), so a live
# worker never loses its lease mid-send.
LEASE = dt.timedelta(minutes=5)
BATCH = 100
RATE_LIMIT_WAIT = dt.timedelta(minutes=1)
ERROR_LIMIT = 2000


@dataclass
class Report:
    sent: int = 0
    retrying: int = 0
    failed: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def backoff(attempts: int) -> dt.timedelta:
    """The wait after the `attempts`-th failure: 1, 2, 4, 8, 16 minutes."""
    return FIRST_BACKOFF * (2 ** (attempts - 1))


def due(now: dt.datetime) -> QuerySet[Delivery]:
    return Delivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now).filter(
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    )


def claim(pk: int) -> dt.datetime | None:
    """Take the lease on one delivery; None if another worker has it or it is done."""
    now = clock.now()
    lease = now + LEASE
    if due(now).filter(pk=pk).update(claimed_until=lease) != 1:
        return None
    return lease


def deliver_due() -> Report:
    """Send every delivery that is due now; returns what happened."""
    report = Report()
    while True:
        candidates = list(
            due(clock.now()).order_by("next_attempt_at", "id").values_list("pk", flat=True)[:BATCH]
        )
        claimed_any = False
        for pk in candidates:
            lease = claim(pk)
            if lease is None:
                continue  # another worker took it
            claimed_any = True
            deliver(pk, lease, report)
        # A short batch was the last; a batch wholly taken by others leaves them to it.
        if len(candidates) < BATCH or not claimed_any:
            return report


def deliver(pk: int, lease: dt.datetime, report: Report) -> None:
    """Send one claimed delivery and record the outcome under our lease."""
    delivery = Delivery.objects.select_related("notice__item", "notice__recipient").get(pk=pk)
    ours = Delivery.objects.filter(pk=pk, claimed_until=lease)
    try:
        channels.send(delivery)
    except RateLimited as error:
        report.retrying += 1
        logger.info("delivery %s (%s) rate-limited: %s", pk, delivery.channel, error)
        updated = ours.update(
            last_error=f"{type(error).__name__}: {error}"[:ERROR_LIMIT],
            next_attempt_at=clock.now() + RATE_LIMIT_WAIT,
            claimed_until=None,
        )
    except Exception as error:
        attempts = delivery.attempts + 1
        message = f"{type(error).__name__}: {error}"[:ERROR_LIMIT]
        changes: dict[str, object] = {
            "attempts": attempts,
            "last_error": message,
            "claimed_until": None,
        }
        if attempts >= MAX_ATTEMPTS:
            changes["status"] = DeliveryStatus.FAILED
            report.failed += 1
        else:
            changes["next_attempt_at"] = clock.now() + backoff(attempts)
            report.retrying += 1
        logger.warning(
            "delivery %s (%s) attempt %s failed: %s", pk, delivery.channel, attempts, message
        )
        updated = ours.update(**changes)
    else:
        updated = ours.update(
            status=DeliveryStatus.SENT,
            sent_at=clock.now(),
            attempts=F("attempts") + 1,
            claimed_until=None,
        )
        report.sent += 1
    if updated != 1:
        logger.warning("delivery %s: lease expired before the outcome was recorded", pk)
