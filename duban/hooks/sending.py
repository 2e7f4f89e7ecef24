"""Sending webhook deliveries, safely with many workers: a leased queue
(`duban.leasing`), as the notice outbox is. A worker claims one delivery at a time with
a conditional UPDATE that sets a lease, so no two workers send the same one; a worker
that dies mid-send leaves its lease to expire, and the delivery is sent again (a
receiver drops the repeat by its event id).

A delivery is answered by any 2xx. Anything else — a timeout, a refused connection, a
3xx (redirects are not followed: they could lead anywhere), a 4xx or 5xx — is a
failed attempt, recorded with its HTTP status and error in the endpoint's delivery
log and retried after 1, 2, 4, 8, ... minutes (`duban.leasing.backoff`).
After WEBHOOK_MAX_ATTEMPTS tries the delivery is failed and its endpoint marked
failing: the worker sends it nothing more until an office supervisor re-enables it
(`actions.activate_endpoint`), which puts its failed deliveries back on the queue.
"""

from __future__ import annotations

import logging
import urllib.error
import urllib.request
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from duban import clock, leasing

from . import signing, targets
from .models import DeliveryStatus, Endpoint, HookDelivery

logger = logging.getLogger("duban.hooks")

USER_AGENT = "duban-webhooks/1"


class DeliveryFailed(Exception):
    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a 3xx is then raised as an HTTPError: a failed attempt


_opener = urllib.request.build_opener(_NoRedirects)


def pending() -> QuerySet[HookDelivery]:
    """Deliveries waiting to be sent, to endpoints that still take them."""
    return HookDelivery.objects.filter(
        status=DeliveryStatus.PENDING,
        endpoint__is_active=True,
        endpoint__failing_since__isnull=True,
    )


def deliver_due() -> leasing.Report:
    """Send every delivery that is due now; returns what happened."""
    return leasing.send_due(pending(), deliver)


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


def deliver(claim: leasing.Claim, report: leasing.Report) -> None:
    """Send one claimed delivery and record the outcome under our lease."""
    pk = claim.pk
    delivery = HookDelivery.objects.select_related("endpoint").get(pk=pk)
    try:
        status = post(delivery)
    except DeliveryFailed as error:
        attempts = delivery.attempts + 1
        logger.warning("webhook delivery %s attempt %s failed: %s", pk, attempts, error)
        outcome = claim.attempt_failed(
            report,
            attempts,
            settings.WEBHOOK_MAX_ATTEMPTS,
            response_status=error.status,
            last_error=str(error)[: leasing.ERROR_LIMIT],
        )
        if outcome is leasing.Outcome.FAILED:
            mark_failing(delivery.endpoint, str(error))
    else:
        outcome = claim.sent(report, response_status=status, last_error="")
    if outcome is leasing.Outcome.LEASE_EXPIRED:
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
