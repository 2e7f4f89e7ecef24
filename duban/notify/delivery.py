"""Sending the outbox's deliveries, safely with many workers: a leased queue
(`duban.leasing`). A worker claims one delivery at a time with a conditional UPDATE
that sets a lease, so no two workers send the same one; a worker that dies mid-send
leaves its lease to expire, and the delivery is sent again (at the price of a possible
second copy if the worker died after the channel accepted but before the row was
marked sent).

A failed attempt is recorded with its error and retried after 1, 2, 4, 8 and 16
minutes (`duban.leasing.backoff`); the sixth failure marks the delivery failed, for the
office to see and resend (`duban.notify.actions.retry_delivery`). A platform's rate
limit (`platforms.RateLimited`) is not a failure: the delivery waits `RATE_LIMIT_WAIT`
and is sent again, its attempts not counted, so it is delayed but never dropped.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db.models import QuerySet

from duban import leasing

from . import channels
from .models import Delivery, DeliveryStatus
from .platforms import RateLimited

logger = logging.getLogger("duban.notify")

MAX_ATTEMPTS = 6
RATE_LIMIT_WAIT = dt.timedelta(minutes=1)


def pending() -> QuerySet[Delivery]:
    """Deliveries waiting to be sent."""
    return Delivery.objects.filter(status=DeliveryStatus.PENDING)


def deliver_due() -> leasing.Report:
    """Send every delivery that is due now; returns what happened."""
    return leasing.send_due(pending(), deliver)


def deliver(claim: leasing.Claim, report: leasing.Report) -> None:
    """Send one claimed delivery and record the outcome under our lease."""
    pk = claim.pk
    delivery = Delivery.objects.select_related("notice__item", "notice__recipient").get(pk=pk)
    try:
        channels.send(delivery)
    except RateLimited as error:
        logger.info("delivery %s (%s) rate-limited: %s", pk, delivery.channel, error)
        outcome = claim.postpone(
            report,
            RATE_LIMIT_WAIT,
            last_error=f"{type(error).__name__}: {error}"[: leasing.ERROR_LIMIT],
        )
    except Exception as error:
        attempts = delivery.attempts + 1
        message = f"{type(error).__name__}: {error}"[: leasing.ERROR_LIMIT]
        logger.warning(
            "delivery %s (%s) attempt %s failed: %s", pk, delivery.channel, attempts, message
        )
        outcome = claim.attempt_failed(report, attempts, MAX_ATTEMPTS, last_error=message)
    else:
        outcome = claim.sent(report)
    if outcome is leasing.Outcome.LEASE_EXPIRED:
        logger.warning("delivery %s: lease expired before the outcome was recorded", pk)
