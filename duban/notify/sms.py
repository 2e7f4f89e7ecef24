"""SMS through one interface, `SmsGateway.send(phone, text)`, which raises on failure.

Adapters: `LoggingSmsGateway` (the default: writes each message to the logger
"duban.sms" and appends it to var/log/sms.log, so a person can watch what would
have gone out), `AliyunSmsGateway` (Alibaba Cloud SMS, SendSms) and
`TencentSmsGateway` (Tencent Cloud SMS, SendSms). The cloud SDKs are imported only
inside their adapters, so a deployment that never uses one never loads it.

Both clouds send only pre-approved templates: the deployment registers a template
with a single variable (for Alibaba Cloud named by ALIYUN_SMS_TEMPLATE_PARAM,
default "content"; for Tencent Cloud the template's {1}), which receives the text.
"""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path
from typing import Any, Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from duban import clock
from duban.health.logs import mask

logger = logging.getLogger("duban.sms")


class SmsError(Exception):
    """The gateway refused a message."""


class SmsGateway(Protocol):
    def send(self, phone: str, text: str) -> None:
        """Send `text` to `phone`; raise on failure."""


class LoggingSmsGateway:
    """Sends nothing: one line per message to a file, the development's outbox, and
    to the log with the number masked."""

    _lock = threading.Lock()

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def send(self, phone: str, text: str) -> None:
        moment = timezone.localtime(clock.now()).isoformat(timespec="seconds")
        line = f"{moment} to={phone} {' '.join(text.split())}"
        logger.info("SMS %s", mask(line))  # the log never holds a mobile number
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock, self.path.open("a", encoding="utf-8") as log_file:
            log_file.write(line + "\n")


class AliyunSmsGateway:
    """Alibaba Cloud SMS (alibabacloud-dysmsapi20170525), API SendSms."""

    def __init__(
        self,
        *,
        access_key_id: str,
        access_key_secret: str,
        sign_name: str,
        template_code: str,
        template_param: str = "content",
        endpoint: str = "dysmsapi.aliyuncs.com",
    ) -> None:
        self.access_key_id = access_key_id
        self.access_key_secret = access_key_secret
        self.sign_name = sign_name
        self.template_code = template_code
        self.template_param = template_param
        self.endpoint = endpoint
        self._client: Any = None

    def client(self) -> Any:
        """The SDK's client, made on first use."""
        if self._client is None:
            from alibabacloud_dysmsapi20170525.client import Client
            from alibabacloud_tea_openapi.models import Config

            config = Config(
                access_key_id=self.access_key_id,
                access_key_secret=self.access_key_secret,
                endpoint=self.endpoint,
            )
            self._client = Client(config)
        return self._client

    def request(self, phone: str, text: str) -> Any:
        from alibabacloud_dysmsapi20170525.models import SendSmsRequest

        return SendSmsRequest(
            phone_numbers=phone,
            sign_name=self.sign_name,
            template_code=self.template_code,
            template_param=json.dumps({self.template_param: text}, ensure_ascii=False),
        )

    def send(self, phone: str, text: str) -> None:
        response = self.client().send_sms(self.request(phone, text))
        body = response.body
        if body is None or body.code != "OK":
            code = getattr(body, "code", None)
            message = getattr(body, "message", None)
            raise SmsError(f"Aliyun SendSms {code}: {message}")


class TencentSmsGateway:
    """Tencent Cloud SMS (tencentcloud-sdk-python-sms, API 2021-01-11), SendSms."""

    def __init__(
        self,
        *,
        secret_id: str,
        secret_key: str,
        sdk_app_id: str,
        sign_name: str,
        template_id: str,
        region: str = "ap-guangzhou",
    ) -> None:
        self.secret_id = secret_id
        self.secret_key = secret_key
        self.sdk_app_id = sdk_app_id
        self.sign_name = sign_name
        self.template_id = template_id
        self.region = region
        self._client: Any = None

    def client(self) -> Any:
        if self._client is None:
            from tencentcloud.common import credential
            from tencentcloud.sms.v20210111 import sms_client

            self._client = sms_client.SmsClient(
                credential.Credential(self.secret_id, self.secret_key), self.region
            )
        return self._client

    @staticmethod
    def e164(phone: str) -> str:
        """Tencent Cloud wants +86… for mainland numbers."""
        digits = phone.strip()
        if digits.startswith("+"):
            return digits
        if digits.startswith("0086"):
            return "+" + digits[2:]
        if len(digits) == 13 and digits.startswith("86"):
            return "+" + digits
        return "+86" + digits

    def request(self, phone: str, text: str) -> Any:
        from tencentcloud.sms.v20210111 import models

        request = models.SendSmsRequest()
        request.SmsSdkAppId = self.sdk_app_id
        request.SignName = self.sign_name
        request.TemplateId = self.template_id
        request.PhoneNumberSet = [self.e164(phone)]
        request.TemplateParamSet = [text]
        return request

    def send(self, phone: str, text: str) -> None:
        response = self.client().SendSms(self.request(phone, text))
        statuses = response.SendStatusSet or []
        if not statuses:
            raise SmsError("Tencent SendSms: no status returned")
        for status in statuses:
            if status.Code != "Ok":
                raise SmsError(f"Tencent SendSms {status.Code}: {status.Message}")


def missing_settings() -> list[str]:
    """The settings the chosen SMS_BACKEND needs but lacks (a system check reports them)."""
    required = {
        "aliyun": [
            "ALIYUN_SMS_ACCESS_KEY_ID",
            "ALIYUN_SMS_ACCESS_KEY_SECRET",
            "ALIYUN_SMS_SIGN_NAME",
            "ALIYUN_SMS_TEMPLATE_CODE",
        ],
        "tencent": [
            "TENCENT_SMS_SECRET_ID",
            "TENCENT_SMS_SECRET_KEY",
            "TENCENT_SMS_SDK_APP_ID",
            "TENCENT_SMS_SIGN_NAME",
            "TENCENT_SMS_TEMPLATE_ID",
        ],
    }.get(settings.SMS_BACKEND, [])
    return [name for name in required if not getattr(settings, name, "")]


def gateway() -> SmsGateway:
    """The gateway the deployment chose with SMS_BACKEND."""
    backend = settings.SMS_BACKEND
    if backend == "logging":
        return LoggingSmsGateway(settings.SMS_LOG_FILE)
    missing = missing_settings()
    if missing:
        raise ImproperlyConfigured(f"SMS_BACKEND={backend} needs {', '.join(missing)}")
    if backend == "aliyun":
        return AliyunSmsGateway(
            access_key_id=settings.ALIYUN_SMS_ACCESS_KEY_ID,
            access_key_secret=settings.ALIYUN_SMS_ACCESS_KEY_SECRET,
            sign_name=settings.ALIYUN_SMS_SIGN_NAME,
            template_code=settings.ALIYUN_SMS_TEMPLATE_CODE,
            template_param=settings.ALIYUN_SMS_TEMPLATE_PARAM,
            endpoint=settings.ALIYUN_SMS_ENDPOINT,
        )
    if backend == "tencent":
        return TencentSmsGateway(
            secret_id=settings.TENCENT_SMS_SECRET_ID,
            secret_key=settings.TENCENT_SMS_SECRET_KEY,
            sdk_app_id=settings.TENCENT_SMS_SDK_APP_ID,
            sign_name=settings.TENCENT_SMS_SIGN_NAME,
            template_id=settings.TENCENT_SMS_TEMPLATE_ID,
            region=settings.TENCENT_SMS_REGION,
        )
    raise ImproperlyConfigured(f"SMS_BACKEND must be logging, aliyun or tencent, got {backend!r}")
