"""The outside channels one by one: the SMS gateways and the group robots.

The group robots are tested against a real HTTP server on 127.0.0.1 started by the
test (http.server in a thread), which records what it receives.

The cloud SMS adapters cannot reach Alibaba Cloud or Tencent Cloud here (there is
no network), so their tests build the real SDK client and replace only its send
method with a recorder: that is the one fake in these tests. What is checked is the
SDK request object the adapter builds, and how it reads the SDK's answer.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import logging
import threading
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from duban.notify import sms, webhooks
from duban.notify.models import ChannelPreference, Delivery, DeliveryStatus
from duban.notify.outbox import notify
from duban.notify.tasks import deliver_due
from duban.organisation.models import User
from tests.conftest import Org, establish

# ----------------------------------------------------------------------------- SMS


def test_logging_gateway_writes_a_line_to_the_log_and_the_file(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
):
    path = tmp_path / "log" / "sms.log"
    gateway = sms.LoggingSmsGateway(path)
    with caplog.at_level(logging.INFO, logger="duban.sms"):
        gateway.send("13800001234", "催办：修订本科生培养方案\n请尽快反馈。")
        gateway.send("13900005678", "第二条")
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2
    assert lines[0].endswith("to=13800001234 催办：修订本科生培养方案 请尽快反馈。")
    assert lines[1].endswith("to=13900005678 第二条")
    assert [record.name for record in caplog.records] == ["duban.sms", "duban.sms"]
    assert "to=138****1234 催办" in caplog.records[0].getMessage()  # never a number in a log


def test_r_u2_urge_by_sms_lands_in_the_sms_log(org: Org, settings: Any, tmp_path: Path):
    settings.SMS_LOG_FILE = tmp_path / "sms.log"
    settings.SITE_URL = "https://duban.example.edu.cn"
    User.objects.filter(pk=org.lead_liaison.pk).update(phone="13800001234")
    org.lead_liaison.refresh_from_db()
    item = establish(org)
    notify(
        [org.lead_liaison],
        item,
        "催办：修订本科生培养方案",
        "请于本周内反馈进展。",
        force_channels=("sms",),
    )

    assert deliver_due.call() == {"sent": 1, "retrying": 0, "failed": 0}

    (line,) = settings.SMS_LOG_FILE.read_text(encoding="utf-8").splitlines()
    assert "to=13800001234" in line
    assert "催办：修订本科生培养方案；请于本周内反馈进展；" in line
    assert f"台账编号：{item.ledger_number}" in line
    assert f"详见https://duban.example.edu.cn/items/{item.pk}/。" in line


class Recorder:
    """Stands in for the SDK client's send method: keeps the request, returns `answer`."""

    def __init__(self, answer: Any) -> None:
        self.answer = answer
        self.requests: list[Any] = []

    def __call__(self, request: Any) -> Any:
        self.requests.append(request)
        return self.answer


def aliyun_gateway() -> sms.AliyunSmsGateway:
    return sms.AliyunSmsGateway(
        access_key_id="LTAI-test",
        access_key_secret="secret-test",
        sign_name="某某大学",
        template_code="SMS_123456789",
    )


def aliyun_answer(code: str, message: str) -> Any:
    from alibabacloud_dysmsapi20170525.models import SendSmsResponse, SendSmsResponseBody

    return SendSmsResponse(
        status_code=200, body=SendSmsResponseBody(code=code, message=message, request_id="r1")
    )


def test_aliyun_gateway_builds_the_send_sms_request(monkeypatch: pytest.MonkeyPatch):
    from alibabacloud_dysmsapi20170525.client import Client
    from alibabacloud_dysmsapi20170525.models import SendSmsRequest

    gateway = aliyun_gateway()
    client = gateway.client()
    assert isinstance(client, Client)
    recorder = Recorder(aliyun_answer("OK", "OK"))
    monkeypatch.setattr(client, "send_sms", recorder)

    gateway.send("13800001234", "催办：修订本科生培养方案")

    (request,) = recorder.requests
    assert isinstance(request, SendSmsRequest)
    assert request.phone_numbers == "13800001234"
    assert request.sign_name == "某某大学"
    assert request.template_code == "SMS_123456789"
    assert json.loads(request.template_param) == {"content": "催办：修订本科生培养方案"}
    request.validate()  # the SDK's own check of required fields


def test_aliyun_gateway_raises_when_the_cloud_refuses(monkeypatch: pytest.MonkeyPatch):
    gateway = aliyun_gateway()
    refusal = aliyun_answer("isv.BUSINESS_LIMIT_CONTROL", "触发小时级流控Permits:5")
    monkeypatch.setattr(gateway.client(), "send_sms", Recorder(refusal))
    with pytest.raises(sms.SmsError, match=r"isv\.BUSINESS_LIMIT_CONTROL"):
        gateway.send("13800001234", "催办")


def tencent_gateway() -> sms.TencentSmsGateway:
    return sms.TencentSmsGateway(
        secret_id="AKID-test",
        secret_key="key-test",
        sdk_app_id="1400000000",
        sign_name="某某大学",
        template_id="1234567",
    )


def tencent_answer(code: str, message: str) -> Any:
    from tencentcloud.sms.v20210111 import models

    answer = models.SendSmsResponse()
    answer._deserialize(
        {
            "SendStatusSet": [{"Code": code, "Message": message, "PhoneNumber": "+8613800001234"}],
            "RequestId": "r1",
        }
    )
    return answer


def test_tencent_gateway_builds_the_send_sms_request(monkeypatch: pytest.MonkeyPatch):
    from tencentcloud.sms.v20210111 import models, sms_client

    gateway = tencent_gateway()
    client = gateway.client()
    assert isinstance(client, sms_client.SmsClient)
    recorder = Recorder(tencent_answer("Ok", "send success"))
    monkeypatch.setattr(client, "SendSms", recorder)

    gateway.send("13800001234", "催办：修订本科生培养方案")

    (request,) = recorder.requests
    assert isinstance(request, models.SendSmsRequest)
    assert request.PhoneNumberSet == ["+8613800001234"]
    assert request.SmsSdkAppId == "1400000000"
    assert request.SignName == "某某大学"
    assert request.TemplateId == "1234567"
    assert request.TemplateParamSet == ["催办：修订本科生培养方案"]
    assert json.loads(request.to_json_string())["PhoneNumberSet"] == ["+8613800001234"]


def test_tencent_gateway_raises_when_the_cloud_refuses(monkeypatch: pytest.MonkeyPatch):
    gateway = tencent_gateway()
    refusal = tencent_answer("LimitExceeded.PhoneNumberDailyLimit", "单个手机号日下发条数超过上限")
    monkeypatch.setattr(gateway.client(), "SendSms", Recorder(refusal))
    with pytest.raises(sms.SmsError, match="PhoneNumberDailyLimit"):
        gateway.send("13800001234", "催办")


@pytest.mark.parametrize(
    ("phone", "e164"),
    [
        ("13800001234", "+8613800001234"),
        ("+8613800001234", "+8613800001234"),
        ("8613800001234", "+8613800001234"),
        ("008613800001234", "+8613800001234"),
    ],
)
def test_tencent_numbers_are_e164(phone: str, e164: str):
    assert sms.TencentSmsGateway.e164(phone) == e164


def test_sms_backend_is_chosen_from_settings(settings: Any, tmp_path: Path):
    settings.SMS_LOG_FILE = tmp_path / "sms.log"
    assert isinstance(sms.gateway(), sms.LoggingSmsGateway)

    settings.SMS_BACKEND = "aliyun"
    settings.ALIYUN_SMS_ACCESS_KEY_ID = "LTAI-test"
    settings.ALIYUN_SMS_ACCESS_KEY_SECRET = "secret-test"
    settings.ALIYUN_SMS_SIGN_NAME = "某某大学"
    settings.ALIYUN_SMS_TEMPLATE_CODE = "SMS_1"
    aliyun = sms.gateway()
    assert isinstance(aliyun, sms.AliyunSmsGateway)
    assert aliyun.template_code == "SMS_1"

    settings.SMS_BACKEND = "tencent"
    with pytest.raises(ImproperlyConfigured, match="TENCENT_SMS_SECRET_ID"):
        sms.gateway()


def test_a_cloud_backend_without_its_keys_fails_the_system_check(settings: Any):
    settings.SMS_BACKEND = "tencent"
    settings.TENCENT_SMS_SECRET_ID = "AKID-test"
    with pytest.raises(SystemCheckError, match="TENCENT_SMS_SECRET_KEY"):
        call_command("check")


# ----------------------------------------------------------------------------- group robots


class RobotServer:
    """A local HTTP server playing the robot: records each POST, answers `reply`."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.reply: dict[str, Any] = {"errcode": 0, "errmsg": "ok"}
        robot = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers["Content-Length"])
                url = urllib.parse.urlsplit(self.path)
                robot.requests.append(
                    {
                        "path": url.path,
                        "query": dict(urllib.parse.parse_qsl(url.query)),
                        "content_type": self.headers["Content-Type"],
                        "json": json.loads(self.rfile.read(length).decode()),
                    }
                )
                body = json.dumps(robot.reply).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def by_path(self, path: str) -> list[dict[str, Any]]:
        return [request for request in self.requests if request["path"] == path]


@pytest.fixture
def robot(settings: Any) -> Iterator[RobotServer]:
    server = RobotServer()
    server.thread.start()
    settings.WECOM_WEBHOOK_URL = f"{server.url}/cgi-bin/webhook/send?key=wecom-key"
    settings.DINGTALK_WEBHOOK_URL = f"{server.url}/robot/send?access_token=ding-token"
    settings.DINGTALK_SECRET = "SEC-test-secret"
    settings.SITE_URL = "https://duban.example.edu.cn"
    try:
        yield server
    finally:
        server.server.shutdown()
        server.server.server_close()
        server.thread.join(timeout=10)


def group_minded(org: Org) -> None:
    for person in (org.lead_liaison, org.lead_head):
        ChannelPreference.objects.create(user=person, email=False, wecom=True, dingtalk=True)


def test_wecom_and_dingtalk_robots_receive_one_message_per_batch(org: Org, robot: RobotServer):
    group_minded(org)
    item = establish(org)
    moment = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(moment, tick=False):
        notify([org.lead_liaison, org.lead_head], item, "催办：修订本科生培养方案", "请尽快反馈。")
        assert deliver_due.call() == {"sent": 2, "retrying": 0, "failed": 0}

    (wecom,) = robot.by_path("/cgi-bin/webhook/send")
    assert wecom["query"] == {"key": "wecom-key"}
    assert wecom["content_type"] == "application/json; charset=utf-8"
    assert wecom["json"]["msgtype"] == "text"
    text = wecom["json"]["text"]["content"]
    assert text.splitlines() == [
        "[督办系统] 催办：修订本科生培养方案",
        "请尽快反馈。",
        f"台账编号：{item.ledger_number}",
        "接收人：周联络、李处长",
        f"查看详情：https://duban.example.edu.cn/items/{item.pk}/",
    ]

    (dingtalk,) = robot.by_path("/robot/send")
    assert dingtalk["json"] == {"msgtype": "text", "text": {"content": text}}
    # The documented signing: HMAC-SHA256 over "timestamp\nsecret", base64.
    query = dingtalk["query"]
    assert query["access_token"] == "ding-token"
    assert query["timestamp"] == str(int(moment.timestamp() * 1000))
    expected = base64.b64encode(
        hmac.new(
            b"SEC-test-secret",
            f"{query['timestamp']}\nSEC-test-secret".encode(),
            hashlib.sha256,
        ).digest()
    ).decode()
    assert query["sign"] == expected
    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.SENT}


def test_a_robot_refusal_is_retried_with_its_error(org: Org, robot: RobotServer, settings: Any):
    settings.DINGTALK_WEBHOOK_URL = ""
    group_minded(org)
    robot.reply = {"errcode": 93000, "errmsg": "invalid webhook url"}
    notify([org.lead_liaison], establish(org), "标题")
    assert deliver_due.call() == {"sent": 0, "retrying": 1, "failed": 0}
    delivery = Delivery.objects.get()
    assert delivery.channel == "wecom"
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.attempts == 1
    assert delivery.last_error == "WebhookError: errcode 93000: invalid webhook url"


def test_dingtalk_url_keeps_its_token_and_adds_the_signature():
    url = webhooks.dingtalk_url("https://oapi.dingtalk.com/robot/send?access_token=t", "s", 1000)
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))
    assert query == {
        "access_token": "t",
        "timestamp": "1000",
        "sign": webhooks.dingtalk_sign(1000, "s"),
    }
    assert webhooks.dingtalk_url("https://x/robot/send?access_token=t", "", 1000) == (
        "https://x/robot/send?access_token=t"
    )


def test_webhook_url_must_be_http():
    with pytest.raises(webhooks.WebhookError, match="http"):
        webhooks.post_json("file:///etc/passwd", {}, timeout=1)
