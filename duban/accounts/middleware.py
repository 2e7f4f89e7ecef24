"""Two middlewares: the second sign-in step for the people who need it, and the
security headers every response carries."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone

from . import cas, two_factor

# Pages a person may open before the second step: the step itself and signing out.
TWO_FACTOR_OPEN_URL_NAMES = ("otp-setup", "otp-verify", "logout")
# Paths that never use the session's sign-in (the API takes bearer tokens) or are files.
TWO_FACTOR_EXEMPT_PREFIXES = ("/api/", "/static/")

# The Content Security Policy: only this site's own scripts, styles and images (and
# the inline SVG of the QR code, which is markup, not an image URL). No inline
# scripts or style attributes anywhere in the templates (tests/test_security_headers).
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
        "base-uri 'self'",
    ]
)
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "camera",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "payment",
        "usb",
    )
)


class TwoFactorMiddleware:
    """Until a person who needs two-factor sign-in has entered a code (or, the first
    time, set up an authenticator), every page sends them to that step.

    Goes after django_otp's OTPMiddleware, which tells whether the session is verified.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self._open_paths: set[str] | None = None

    def open_paths(self) -> set[str]:
        if self._open_paths is None:
            self._open_paths = {reverse(name) for name in TWO_FACTOR_OPEN_URL_NAMES}
            self._open_paths.add(reverse("admin:logout"))
        return self._open_paths

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self.needs_second_step(request):
            user = request.user
            step = "otp-verify" if two_factor.confirmed_device(user) else "otp-setup"
            target = reverse(step)
            if request.method in ("GET", "HEAD"):
                target += "?" + urlencode({"next": request.get_full_path()})
            return redirect(target)
        return self.get_response(request)

    def needs_second_step(self, request: HttpRequest) -> bool:
        if not getattr(settings, "OTP_REQUIRED", True):
            return False
        if request.path_info.startswith(TWO_FACTOR_EXEMPT_PREFIXES):
            return False
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return False
        if not two_factor.is_required_for(user) or user.is_verified():
            return False
        if getattr(settings, "CAS_SATISFIES_OTP", False) and cas.signed_in_through_cas(request):
            # The CAS server enforces its own second factor (CAS_SATISFIES_OTP=1).
            return False
        return request.path not in self.open_paths()


# The session key holding when the session's idle time was last pushed back.
IDLE_TOUCH_KEY = "_idle_touched_at"


def touch_session(session: Any) -> None:
    session[IDLE_TOUCH_KEY] = int(timezone.now().timestamp())


class IdleSessionMiddleware:
    """Idle timeout (MLPS level 3: 登录连接超时自动退出).

    A session expires SESSION_COOKIE_AGE after it was last saved. Saving it on every
    request would turn each read into a write (SESSION_SAVE_EVERY_REQUEST); instead a
    signed-in session is saved again when SESSION_TOUCH_SECONDS have passed since the
    last time, so it ends between SESSION_COOKIE_AGE minus that and SESSION_COOKIE_AGE
    after the person's last request.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = getattr(request, "session", None)
        if session is not None and session.get(SESSION_KEY):
            touched = session.get(IDLE_TOUCH_KEY)
            now = int(timezone.now().timestamp())
            interval = int(getattr(settings, "SESSION_TOUCH_SECONDS", 60))
            if not isinstance(touched, int) or now - touched >= interval:
                touch_session(session)
        return self.get_response(request)


def content_security_policy() -> str:
    """The policy; with CAS on, forms may also lead to the CAS server (signing out
    redirects there after the POST, and Chromium applies form-action to redirects)."""
    origin = cas.server_origin()
    if not origin:
        return CONTENT_SECURITY_POLICY
    return CONTENT_SECURITY_POLICY.replace("form-action 'self'", f"form-action 'self' {origin}")


class SecurityHeadersMiddleware:
    """Content-Security-Policy, Permissions-Policy and Cross-Origin-Resource-Policy
    (SecurityMiddleware already sends nosniff, Referrer-Policy, COOP and HSTS)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", content_security_policy())
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        response.headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        return response
