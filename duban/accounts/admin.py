"""The authenticator secrets stay out of Django's admin (django_otp registers them);
the security administrator resets authenticators on a page of their own."""

from __future__ import annotations

from django.contrib import admin
from django_otp.plugins.otp_totp.models import TOTPDevice

if admin.site.is_registered(TOTPDevice):
    admin.site.unregister(TOTPDevice)
