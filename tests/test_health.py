"""Health and metrics (issue 13): /healthz, /readyz naming what is not ready, /metrics
for the allowed addresses or a token, and logs as JSON lines without secrets."""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
from typing import Any

import pytest
import time_machine
from django.test import Client

from duban import clock
from duban.health.heartbeat import beat
from duban.health.logs import JsonFormatter, RedactFilter
from duban.notify.models import Channel, Delivery, DeliveryStatus
from duban.notify.periodic import Scheduler

from .conftest import Org, establish

pytestmark = pytest.mark.django_db

NOON = dt.datetime(2026, 12, 3, 12, 0, tzinfo=dt.UTC)


def ready(client: Client) -> tuple[int, dict[str, Any]]:
    response = client.get("/readyz")
    return response.status_code, response.json()


def test_healthz_answers_without_the_database(client: Client, django_assert_num_queries: Any):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_follows_the_workers_heartbeat(client: Client, settings: Any) -> None:
    settings.WORKER_HEARTBEAT_TIMEOUT_SECONDS = 60
    with time_machine.travel(NOON, tick=False):
        status, body = ready(client)
        assert status == 503
        assert body["failed"] == ["workers"]
        assert body["checks"]["workers"]["message"] == "没有运行中的后台进程（从未收到心跳）"
        # A worker's scheduler ticks: one heartbeat.
        Scheduler(worker_id="worker-a").tick_once()
        status, body = ready(client)
        assert (status, body["status"], body["failed"]) == (200, "ok", [])
        assert body["checks"]["database"] == {"ok": True, "message": ""}
    # The worker stops: within its heartbeat period all is well, past it /readyz says so.
    with time_machine.travel(NOON + dt.timedelta(seconds=60), tick=False):
        assert ready(client)[0] == 200
    with time_machine.travel(NOON + dt.timedelta(seconds=75), tick=False):
        status, body = ready(client)
        assert status == 503
        assert body["failed"] == ["workers"]
        assert body["checks"]["workers"]["message"] == "后台进程已75秒没有心跳（上限60秒）"
        # It starts again.
        Scheduler(worker_id="worker-b").tick_once()
        assert ready(client)[0] == 200


def test_readyz_names_an_outbox_backlog_and_warns_of_failures(client: Client, org: Org) -> None:
    from duban.notify.outbox import notify

    with time_machine.travel(NOON, tick=False):
        beat("worker-a")
        item = establish(org)
        [notice] = notify([org.lead_liaison], item, "提醒")
        Delivery.objects.filter(notice=notice).delete()
        Delivery.objects.create(
            notice=notice,
            channel=Channel.EMAIL,
            address="a@example.edu.cn",
            next_attempt_at=clock.now() - dt.timedelta(minutes=20),
            created_at=clock.now() - dt.timedelta(minutes=20),
        )
        status, body = ready(client)
        assert status == 503
        assert body["failed"] == ["outbox"]
        assert body["checks"]["outbox"]["message"] == "有1条通知超过15分钟仍未发出"
        Delivery.objects.update(status=DeliveryStatus.FAILED)
        status, body = ready(client)
        assert status == 200  # a failure is for the office's failures page: a warning
        assert body["checks"]["outbox"] == {
            "ok": True,
            "message": "有1条通知发送失败，请在发送失败页面处理",
        }


def test_readyz_names_a_stuck_task_queue_and_a_full_disk(client: Client, settings: Any) -> None:
    from duban.items.tasks import sweep

    with time_machine.travel(NOON, tick=False):
        beat("worker-a")
        sweep.enqueue()
    with time_machine.travel(NOON + dt.timedelta(minutes=6), tick=False):
        beat("worker-a")
        status, body = ready(client)
        assert status == 503
        assert body["failed"] == ["task_queue"]
        assert body["checks"]["task_queue"]["message"].startswith("最早的后台任务已等待360秒")
        settings.ATTACHMENT_MIN_FREE_MB = 10**12
        status, body = ready(client)
        assert body["failed"] == ["task_queue", "attachment_disk"]
        assert "附件所在磁盘仅剩" in body["checks"]["attachment_disk"]["message"]


# ----------------------------------------------------------------------------- metrics


def test_metrics_for_allowed_addresses_or_a_token(client: Client, org: Org, settings: Any):
    settings.METRICS_ALLOWED_IPS = ["127.0.0.1"]
    settings.METRICS_TOKEN = "scrape-token-0123456789"
    with time_machine.travel(NOON, tick=False):
        beat("worker-a")
        establish(org)
        response = client.get("/metrics")
    assert response.status_code == 200
    text = response.content.decode()
    assert 'duban_items{light="green"}' in text or 'duban_items{light="blue"}' in text
    assert "duban_outbox_backlog" in text
    assert "duban_worker_heartbeat_age_seconds" in text
    assert "django_http_requests_total_by_method_total" in text  # django-prometheus's own

    elsewhere = {"REMOTE_ADDR": "10.1.2.3"}
    refused = client.get("/metrics", **elsewhere)
    assert refused.status_code == 403
    assert "访问令牌" in refused.content.decode()
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong", **elsewhere).status_code == 403
    token = "Bearer scrape-token-0123456789"
    assert client.get("/metrics", HTTP_AUTHORIZATION=token, **elsewhere).status_code == 200


def test_metrics_count_items_by_light(client: Client, org: Org) -> None:
    from duban.items.lights import URGEABLE_STATUSES, annotate_lights
    from duban.items.models import Item

    with time_machine.travel(NOON, tick=False):
        for _ in range(3):
            establish(org)
        text = client.get("/metrics").content.decode()
        lights = annotate_lights(Item.objects.filter(status__in=URGEABLE_STATUSES))
        expected: dict[str, int] = {}
        for light in lights.values_list("light", flat=True):
            expected[light] = expected.get(light, 0) + 1
    for light, count in expected.items():
        assert f'duban_items{{light="{light}"}} {float(count)}' in text


# ----------------------------------------------------------------------------- logs


def formatted(record: logging.LogRecord) -> dict[str, Any]:
    assert RedactFilter().filter(record)
    return json.loads(JsonFormatter().format(record))


def test_log_lines_are_json_without_phone_numbers_or_secrets() -> None:
    record = logging.makeLogRecord(
        {
            "name": "duban.sms",
            "levelno": logging.WARNING,
            "levelname": "WARNING",
            "msg": "短信发送到 %s 失败 password=hunter2",
            "args": ("13812345678",),
            "api_token": "abc",
            "phone": "13912345678",
        }
    )
    line = formatted(record)
    assert line["message"] == "短信发送到 138****5678 失败 password=[已隐去]"
    assert line["api_token"] == "[已隐去]"
    assert line["phone"] == "139****5678"
    assert (line["level"], line["logger"]) == ("WARNING", "duban.sms")


def test_each_request_is_logged_once_with_its_id_user_and_time(
    client: Client, org: Org, settings: Any
) -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RedactFilter())
    logger = logging.getLogger("duban.requests")
    logger.addHandler(handler)
    level = logger.level
    logger.setLevel(logging.INFO)
    try:
        client.force_login(org.office_supervisor)
        response = client.get("/items/", HTTP_X_REQUEST_ID="probe-request-0001")
        client.get("/healthz")
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    assert response["X-Request-ID"] == "probe-request-0001"
    first, second = (json.loads(line) for line in stream.getvalue().splitlines())
    assert first["request_id"] == "probe-request-0001"
    assert first["user_id"] == org.office_supervisor.pk
    assert (first["method"], first["path"], first["status"]) == ("GET", "/items/", 200)
    assert first["duration_ms"] > 0
    assert len(second["request_id"]) == 32  # made here when none was given
    assert second["path"] == "/healthz"
