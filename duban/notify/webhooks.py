"""Group robots: WeCom (企业微信) and DingTalk (钉钉) webhooks, posted with urllib.

Both take a JSON text message and answer JSON with `errcode` 0 on success. A DingTalk
robot with 加签 (signing) on needs `timestamp` and `sign` in the URL: the sign is
base64(HMAC-SHA256(secret, f"{timestamp}\\n{secret}")), URL-encoded, with the
timestamp in milliseconds (DingTalk's custom-robot documentation).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import urllib.parse
import urllib.request
from typing import Any

from django.conf import settings

from duban import clock


class WebhookError(Exception):
    """The robot refused the message."""


def dingtalk_sign(timestamp_ms: int, secret: str) -> str:
    string_to_sign = f"{timestamp_ms}\n{secret}".encode()
    digest = hmac.new(secret.encode(), string_to_sign, digestmod=hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def dingtalk_url(url: str, secret: str, timestamp_ms: int) -> str:
    if not secret:
        return url
    query = urllib.parse.urlencode(
        {"timestamp": str(timestamp_ms), "sign": dingtalk_sign(timestamp_ms, secret)}
    )
    return f"{url}{'&' if '?' in url else '?'}{query}"


def post_json(url: str, payload: dict[str, Any], timeout: float) -> dict[str, Any]:
    if not url.startswith(("https://", "http://")):
        raise WebhookError(f"webhook URL must be http(s): {url!r}")
    request = urllib.request.Request(  # noqa: S310 (scheme checked above)
        url,
        data=json.dumps(payload, ensure_ascii=False).encode(),
        headers={"Content-Type": "application/json; charset=utf-8"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
        answer: dict[str, Any] = json.loads(response.read().decode() or "{}")
    if answer.get("errcode", 0) != 0:
        raise WebhookError(f"errcode {answer.get('errcode')}: {answer.get('errmsg')}")
    return answer


def text_message(text: str) -> dict[str, Any]:
    # WeCom and DingTalk share this shape for a plain text message.
    return {"msgtype": "text", "text": {"content": text}}


def send_wecom(text: str) -> None:
    post_json(settings.WECOM_WEBHOOK_URL, text_message(text), settings.WEBHOOK_TIMEOUT)


def send_dingtalk(text: str) -> None:
    timestamp_ms = int(clock.now().timestamp() * 1000)
    url = dingtalk_url(settings.DINGTALK_WEBHOOK_URL, settings.DINGTALK_SECRET, timestamp_ms)
    post_json(url, text_message(text), settings.WEBHOOK_TIMEOUT)
