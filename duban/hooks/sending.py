"""Sending webhook deliveries, safely with many workers — the outbox's way
(`duban.notify.delivery`): a worker claims one delivery at a time with a conditional
UPDATE that sets a lease, so no two workers send the same one; a worker that dies
mid-send leaves its lease to expire, and the delivery is sent again (a receiver drops
the repeat by its event id).

A delivery is answered by any 2xx. Anything else — a timeout, a refused connection, a
3xx (redirects are not followed: they could lead anywhere), a 4xx or 5xx — is a
failed attempt, recorded with its HTTP status and error in the endpoint's delivery
log and retried after 1, 2, 4, 8, ... minutes (`duban.notify.delivery.backoff`).
After WEBHOOK_MAX_ATTEMPTS tries the delivery is failed and its endpoint marked
failing: the worker sends it nothing more until an office supervisor re-enables it
(`actions.activate_endpoint`), which puts its failed deliveries back on the queue.
"""

from __future__ import annotations

import datetime as dt
import logging
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils.translation import gettext as _

from duban import clock
from duban.notify.delivery import LEASE, backoff

from . import signing, targets
from .models import DeliveryStatus, Endpoint, HookDelivery

logger = logging.getLogger("duban.hooks")

BATCH = 100
ERROR_LIMIT = 2000
USER_AGENT = "duban-webhooks/1"


@dataclass
class Report:
    sent: int = 0
    retrying: int = 0
    failed: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


class DeliveryFailed(Exception):
    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a 3xx is then raised as an HTTPError: a failed attempt


_opener = urllib.request.build_opener(_NoRedirects)


def due(now: dt.datetime) -> QuerySet[HookDelivery]:
    return HookDelivery.objects.filter(
        status=DeliveryStatus.PENDING,
        next_attempt_at__lte=now,
        endpoint__is_active=True,
        endpoint__failing_since__isnull=True,
    ).filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))


def claim(pk: int) -> dt.datetime | None:
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
        if len(candidates) < BATCH or not claimed_any:
            return report


def post(delivery: HookDelivery) -> int:
    """POST the signed delivery; its HTTP status, or `DeliveryFailed`."""
    endpoint = delivery.endpoint
    try:
        targets.check_resolved(endpoint.url)
    except targets.TargetRefused as error:
        raise DeliveryFailed(str(error)) from None
    raw_body = signing.body(delivery.payload)
    timestamp = int(clock.now().timestamp())
    request = urllib.request.Request(  # noqa: S310 (http/https only: targets.check_url)
        endpoint.url,
        data=raw_body,
        method="POST",
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": USER_AGENT,
            "X-Duban-Event": delivery.event,
            "X-Duban-Event-Id": str(delivery.event_id),
            "X-Duban-Timestamp": str(timestamp),
            "X-Duban-Signature": signing.signature(endpoint.secret, timestamp, raw_body),
        },
    )
    try:
        with _opener.open(request, timeout=settings.WEBHOOK_TIMEOUT) as response:
            response.read(1024)
            status = int(response.status)
    except urllib.error.HTTPError as error:
        raise DeliveryFailed(
            _("接收方返回 HTTP %(status)s") % {"status": error.code}, error.code
        ) from None
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        detail = f"{type(reason).__name__}: {reason}"
        if isinstance(reason, TimeoutError):
            message = _("等待接收方应答超时（%(seconds)s秒）") % {
                "seconds": settings.WEBHOOK_TIMEOUT
            }
        else:
            message = _("无法连接接收方")
        raise DeliveryFailed(f"{message}（{detail}）") from None
    if not 200 <= status < 300:
        raise DeliveryFailed(_("接收方返回 HTTP %(status)s") % {"status": status}, status)
    return status


def deliver(pk: int, lease: dt.datetime, report: Report) -> None:
    """Send one claimed delivery and record the outcome under our lease."""
    delivery = HookDelivery.objects.select_related("endpoint").get(pk=pk)
    ours = HookDelivery.objects.filter(pk=pk, claimed_until=lease)
    try:
        status = post(delivery)
    except DeliveryFailed as error:
        attempts = delivery.attempts + 1
        changes: dict[str, object] = {
            "attempts": attempts,
            "response_status": error.status,
            "last_error": str(error)[:ERROR_LIMIT],
            "claimed_until": None,
        }
        failed = attempts >= settings.WEBHOOK_MAX_ATTEMPTS
        if failed:
            changes["status"] = DeliveryStatus.FAILED
            report.failed += 1
        else:
            changes["next_attempt_at"] = clock.now() + backoff(attempts)
            report.retrying += 1
        logger.warning("webhook delivery %s attempt %s failed: %s", pk, attempts, error)
        updated = ours.update(**changes)
        if failed and updated == 1:
            mark_failing(delivery.endpoint, str(error))
    else:
        updated = ours.update(
            status=DeliveryStatus.SENT,
            sent_at=clock.now(),
            attempts=F("attempts") + 1,
            response_status=status,
            last_error="",
            claimed_until=None,
        )
        report.sent += 1
    if updated != 1:
        logger.warning("webhook delivery %s: lease expired before the outcome was recorded", pk)


def mark_failing(endpoint: Endpoint, error: str) -> None:
    """Pause the endpoint (once) and tell its creator and the audit trail."""
    with transaction.atomic():
        marked = Endpoint.objects.filter(pk=endpoint.pk, failing_since__isnull=True).update(
            failing_since=clock.now()
        )
        if marked == 1:  # not already failing
            _tell_failing(endpoint, error)


def _tell_failing(endpoint: Endpoint, error: str) -> None:
    from duban.audit.models import record
    from duban.notify.outbox import notify

    summary = _("事件推送“%(name)s”多次发送失败，已暂停发送：%(error)s") % {
        "name": endpoint.name,
        "error": error[:200],
    }
    record(None, "webhook_failing", summary, data={"endpoint": endpoint.pk})
    notify(
        [endpoint.created_by],
        None,
        _("事件推送已暂停发送：%(name)s") % {"name": endpoint.name},
        _("接收地址多次未能成功接收，系统已暂停向其发送。请检查接收方后，在事件推送页面恢复发送。"),
    )
