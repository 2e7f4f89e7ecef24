"""Logs as JSON lines: every request logged once with its id, the user's id and the
time taken; every record carries the request id of the request that wrote it.

The request id comes from a well-formed `X-Request-ID` header (a proxy's) or is made
here, and is sent back in the response's `X-Request-ID`. `RedactFilter` masks, in
every record: mobile numbers (138****5678), and the values of passwords, tokens,
secrets and keys, whether in the message or in the record's extra fields.
"""

from __future__ import annotations

import contextvars
import logging
import re
import time
import uuid
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from pythonjsonlogger.json import JsonFormatter as BaseJsonFormatter

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")
user_id: contextvars.ContextVar[int | None] = contextvars.ContextVar("user_id", default=None)

request_logger = logging.getLogger("duban.requests")

REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
MOBILE = re.compile(r"(?<!\d)(1[3-9]\d)(\d{4})(\d{4})(?!\d)")
SECRET_WORDS = ("password", "passwd", "token", "secret", "key", "authorization", "cookie")
SECRET_IN_TEXT = re.compile(
    r"(?i)\b(password|passwd|token|secret|api[_-]?key|authorization)\b(\s*[=:]\s*)(\S+)"
)
# A calendar feed's URL is its own password (duban.notify.calendar).
CALENDAR_TOKEN = re.compile(r"(/calendar/)[A-Za-z0-9_-]+(\.ics)")
STANDARD_ATTRIBUTES = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


def mask(text: str) -> str:
    text = MOBILE.sub(r"\1****\3", text)
    text = CALENDAR_TOKEN.sub(r"\1[已隐去]\2", text)
    return SECRET_IN_TEXT.sub(r"\1\2[已隐去]", text)


def _secret_name(name: str) -> bool:
    lowered = name.lower()
    return any(word in lowered for word in SECRET_WORDS)


class RedactFilter(logging.Filter):
    """Masks mobile numbers and secrets; adds the request id and user id."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:
            message = str(record.msg)
        record.msg, record.args = mask(message), None
        for name, value in list(vars(record).items()):
            if name in STANDARD_ATTRIBUTES:
                continue
            if _secret_name(name):
                setattr(record, name, "[已隐去]")
            elif isinstance(value, str):
                setattr(record, name, mask(value))
        if not getattr(record, "request_id", ""):
            record.request_id = request_id.get()
        if getattr(record, "user_id", None) is None:
            record.user_id = user_id.get()
        return True


class JsonFormatter(BaseJsonFormatter):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("fmt", "%(asctime)s %(levelname)s %(name)s %(message)s")
        kwargs.setdefault(
            "rename_fields", {"asctime": "time", "levelname": "level", "name": "logger"}
        )
        kwargs.setdefault("json_ensure_ascii", False)
        super().__init__(*args, **kwargs)


class RequestLogMiddleware:
    """One line per request: method, path, status, duration, request id, user id."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        given = request.headers.get("X-Request-ID", "")
        rid = given if REQUEST_ID.match(given) else uuid.uuid4().hex
        token = request_id.set(rid)
        user_token = user_id.set(None)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            user = getattr(request, "user", None)
            user_id.set(user.pk if user is not None and user.is_authenticated else None)
            response["X-Request-ID"] = rid
            request_logger.info(
                "%s %s %s",
                request.method,
                request.path,
                response.status_code,
                extra={
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                },
            )
            return response
        finally:
            request_id.reset(token)
            user_id.reset(user_token)
