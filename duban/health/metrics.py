"""/metrics: django-prometheus's request, response and database metrics, and the
system's own gauges, each computed at scrape time by one set-based query:

- duban_items{light=...}: the items being worked on, by warning light (R-U4);
- duban_outbox_backlog: deliveries waiting to be sent; duban_deliveries_failed;
- duban_worker_heartbeat_age_seconds: since the newest worker heartbeat;
- duban_last_sweep_timestamp_seconds: when the reminder sweep was last queued;
- duban_audit_last_verified_timestamp_seconds: the newest audit checkpoint.

Reachable only from METRICS_ALLOWED_IPS or with `Authorization: Bearer METRICS_TOKEN`.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.db import DatabaseError
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe
from prometheus_client import REGISTRY
from prometheus_client.core import GaugeMetricFamily, Metric

from duban import clock

_registered = False


class DubanCollector:
    def describe(self) -> list[Metric]:
        return []  # registering must not query the database (the app is not ready)

    def collect(self) -> Iterator[Metric]:
        try:
            yield from self._collect()
        except DatabaseError:
            return  # no database (yet): django-prometheus's own metrics still answer

    def _collect(self) -> Iterator[Metric]:
        from duban.audit.verification import last_verified_at
        from duban.items.lights import LIGHTS, URGEABLE_STATUSES, annotate_lights
        from duban.items.models import Item
        from duban.notify.models import Delivery, DeliveryStatus, PeriodicRun

        from .heartbeat import newest_beat

        items = GaugeMetricFamily(
            "duban_items", "Items being worked on, by warning light", labels=["light"]
        )
        working: QuerySet[Any] = annotate_lights(Item.objects.filter(status__in=URGEABLE_STATUSES))
        counts = dict(
            working.order_by()
            .values_list("light")
            .annotate(n=Count("pk"))
            .values_list("light", "n")
        )
        for light in LIGHTS:
            items.add_metric([light], counts.get(light, 0))
        yield items

        deliveries = dict(
            Delivery.objects.filter(status__in=(DeliveryStatus.PENDING, DeliveryStatus.FAILED))
            .order_by()
            .values_list("status")
            .annotate(n=Count("pk"))
            .values_list("status", "n")
        )
        yield GaugeMetricFamily(
            "duban_outbox_backlog",
            "Deliveries waiting to be sent",
            value=deliveries.get(DeliveryStatus.PENDING, 0),
        )
        yield GaugeMetricFamily(
            "duban_deliveries_failed",
            "Deliveries that failed for good",
            value=deliveries.get(DeliveryStatus.FAILED, 0),
        )
        newest = newest_beat()
        if newest is not None:
            yield GaugeMetricFamily(
                "duban_worker_heartbeat_age_seconds",
                "Seconds since the newest worker heartbeat",
                value=max(0.0, (clock.now() - newest).total_seconds()),
            )
        swept = (
            PeriodicRun.objects.filter(name="duban.items.tasks.sweep")
            .values_list("last_enqueued_at", flat=True)
            .first()
        )
        for name, text, moment in (
            ("duban_last_sweep_timestamp_seconds", "When the sweep was last queued", swept),
            (
                "duban_audit_last_verified_timestamp_seconds",
                "When the audit chain was last verified intact",
                last_verified_at(),
            ),
        ):
            if moment is not None:
                yield GaugeMetricFamily(name, f"{text} (Unix time)", value=moment.timestamp())


def register() -> None:
    global _registered
    if not _registered:
        REGISTRY.register(DubanCollector())
        _registered = True


def allowed(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    header = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(header.encode(), f"Bearer {token}".encode()):
        return True
    return request.META.get("REMOTE_ADDR", "") in settings.METRICS_ALLOWED_IPS


@require_safe
def metrics(request: HttpRequest) -> HttpResponse:
    if not allowed(request):
        return HttpResponseForbidden(
            _("监控指标仅对允许的地址开放，或须提供访问令牌。"),
            content_type="text/plain; charset=utf-8",
        )
    from django_prometheus.exports import ExportToDjangoView

    response: Any = ExportToDjangoView(request)
    return response
