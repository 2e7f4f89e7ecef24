"""Request throttling (ASVS V2.2, V11.1): signing in, issuing API tokens and uploading
are limited per address and per account; every other API call per token.

Each limit is a fixed window counted in Django's cache (THROTTLE_RATES, e.g. "10/m"):
the cache is process-local by default; set CACHE_URL=redis://… so that every web
process counts together. Over a limit the request gets 429 with `Retry-After` and a
message in Chinese (JSON with `code` and `message` in the API), and changes nothing:
the view never runs.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _

from .lockout import client_ip

UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class Rate:
    count: int
    seconds: int

    @classmethod
    def parse(cls, text: str) -> Rate:
        count, _slash, unit = text.partition("/")
        if not count.isdigit() or int(count) < 1 or unit not in UNITS:
            raise ValueError(f"a rate is like 10/m (per s, m, h or d), not {text!r}")
        return cls(int(count), UNITS[unit])


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8", "backslashreplace")).hexdigest()[:32]


def hit(scope: str, key: str, rate: Rate, now: float | None = None) -> int:
    """Count one request against `scope`:`key`; the seconds to wait when over the
    limit, else 0."""
    now = time.time() if now is None else now
    window = int(now // rate.seconds)
    name = f"throttle:{scope}:{_digest(key)}:{window}"
    cache.add(name, 0, timeout=rate.seconds + 1)
    try:
        count = cache.incr(name)
    except ValueError:  # expired between add and incr
        cache.set(name, 1, timeout=rate.seconds + 1)
        count = 1
    if count <= rate.count:
        return 0
    return max(1, math.ceil((window + 1) * rate.seconds - now))


def _bearer(request: HttpRequest) -> str:
    header = request.headers.get("Authorization", "")
    return header[7:].strip() if header.lower().startswith("bearer ") else ""


def _username(request: HttpRequest) -> str:
    if request.content_type == "application/json":
        import json

        try:
            body = json.loads(request.body or b"{}")
        except (ValueError, UnicodeDecodeError):
            return ""
        return str(body.get("username", "")) if isinstance(body, dict) else ""
    return str(request.POST.get("username", ""))


SIGN_IN_ROUTES = frozenset({"login", "admin:login", "api-v1:issue_api_token"})
UPLOAD_ROUTES = frozenset({"item-attachments", "ledger-import"})


def buckets(request: HttpRequest, route: str) -> list[tuple[str, str, str]]:
    """(scope, key, rate setting) of each limit this request counts against."""
    address = client_ip(request) or ""
    if request.method == "POST" and route in SIGN_IN_ROUTES:
        found = [("sign-in-address", address, "sign_in_address")]
        username = _username(request).strip().lower()
        if username:
            found.append(("sign-in-account", username, "sign_in_account"))
        return found
    if route == "cas-login" and request.GET.get("ticket"):
        # Each ticket is validated with the CAS server: counted like a sign-in.
        return [("sign-in-address", address, "sign_in_address")]
    if request.method == "POST" and route in UPLOAD_ROUTES:
        user = getattr(request, "user", None)
        found = [("upload-address", address, "upload_address")]
        if user is not None and user.is_authenticated:
            found.append(("upload-account", str(user.pk), "upload_account"))
        return found
    if route.startswith("api-v1:") and route != "api-v1:openapi-json":
        token = _bearer(request)
        if token:
            return [("api-token", token, "api_token")]
        return [("api-address", address, "api_address")]
    return []


class ThrottleMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: Any, args: Any, kwargs: Any
    ) -> HttpResponse | None:
        match = request.resolver_match
        route = match.view_name if match is not None else ""
        rates = settings.THROTTLE_RATES
        wait = 0
        for scope, key, setting in buckets(request, route):
            rate = rates.get(setting)
            if rate:
                wait = max(wait, hit(scope, key, Rate.parse(rate)))
        if not wait:
            return None
        return refusal(request, wait)


def refusal(request: HttpRequest, wait: int) -> HttpResponse:
    message = _("请求过于频繁，请在%(seconds)d秒后重试。") % {"seconds": wait}
    response: HttpResponse
    if request.path.startswith("/api/"):
        response = JsonResponse({"code": "too_many_requests", "message": message}, status=429)
    else:
        response = HttpResponse(message, status=429, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = str(wait)
    return response
