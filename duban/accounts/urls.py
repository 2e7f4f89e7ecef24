"""Account pages, under /accounts/."""

from __future__ import annotations

from django.urls import URLPattern, path

from . import views

urlpatterns: list[URLPattern] = [
    path("cas/login/", views.cas_login, name="cas-login"),
    path("password/", views.PasswordChangeView.as_view(), name="password-change"),
    path("two-factor/setup/", views.otp_setup, name="otp-setup"),
    path("two-factor/verify/", views.otp_verify, name="otp-verify"),
    path("locks/", views.account_locks, name="account-locks"),
    path("two-factor/", views.two_factor_devices, name="two-factor-devices"),
    path("two-factor/<int:user_id>/reset/", views.reset_two_factor, name="two-factor-reset"),
    path("tokens/", views.api_tokens, name="api-tokens"),
    path("tokens/<int:token_id>/revoke/", views.revoke_api_token, name="api-token-revoke"),
]
