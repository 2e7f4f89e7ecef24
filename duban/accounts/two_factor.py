"""TOTP two-factor sign-in (django-otp) for administrators and office supervisors.

Who must use it: `settings.OTP_REQUIRED_ROLES`, while `settings.OTP_REQUIRED` is on
(the default; the test run turns it off except in the tests of this app). After the
password, such a person is sent to set up an authenticator app (first time) or to
enter its code (`middleware.TwoFactorMiddleware`); the API asks for the code in the
token request's `otp` field.
"""

from __future__ import annotations

import base64
from typing import Any

import segno
from django.conf import settings
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice


def is_required_for(user: Any) -> bool:
    return bool(getattr(settings, "OTP_REQUIRED", True)) and getattr(user, "role", None) in set(
        getattr(settings, "OTP_REQUIRED_ROLES", ())
    )


def confirmed_device(user: Any) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("-id").first()


def unconfirmed_device(user: Any) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()


def secret(device: TOTPDevice) -> str:
    """The key as the base32 text an authenticator app accepts, in groups of four."""
    text = base64.b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(text[index : index + 4] for index in range(0, len(text), 4))


def qr_svg(uri: str) -> str:
    """The otpauth URI as an inline SVG QR code (drawn here: no network, no image)."""
    return str(segno.make(uri, error="m").svg_inline(scale=4, border=4, light="#fff"))


def current_code(device: TOTPDevice) -> str:
    """The code the device's authenticator app shows now (for the demo command)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return str(totp.token()).zfill(device.digits)


def clean_code(code: Any) -> str:
    return "".join(str(code or "").split())
