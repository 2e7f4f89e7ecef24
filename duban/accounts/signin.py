"""Signing in to the API (POST /api/v1/auth/token): the same lockout and second
factor as the web login, answered as the API's JSON errors.

- a locked username: 423 `account_locked`, with the lock's end in the message;
- a person who must use two-factor sign-in: the token request carries `otp`, the
  code of their authenticator; missing, 401 `otp_required`; wrong, 401
  `invalid_otp`; no authenticator set up yet (that is done once on the web),
  401 `otp_setup_required`.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _

from duban.items.errors import ActionError

from . import actions, two_factor
from .lockout import locked_message, locked_until
from .logins import record_api_login


class AccountLockedError(ActionError):
    code = "account_locked"
    status = 423


class SecondFactorError(ActionError):
    code = "otp_required"
    status = 401


class SecondFactorSetupError(SecondFactorError):
    code = "otp_setup_required"


class SecondFactorInvalid(SecondFactorError):
    code = "invalid_otp"


def refuse_if_locked(username: str) -> None:
    """After a failed `authenticate`: say so if the reason is a lock."""
    until = locked_until(username)
    if until is not None:
        raise AccountLockedError(locked_message(until))


def check_second_factor(request: HttpRequest, user: Any, otp: str | None) -> None:
    if not two_factor.is_required_for(user):
        return
    if two_factor.confirmed_device(user) is None:
        raise SecondFactorSetupError(
            _("您的账号须使用动态验证码登录，请先在网页端登录并绑定身份验证器。")
        )
    if not two_factor.clean_code(otp):
        raise SecondFactorError(
            _("您的账号须使用动态验证码登录，请在 otp 字段填写身份验证器显示的验证码。"),
            errors={"otp": _("此项为必填项。")},
        )
    try:
        actions.verify_totp(user, str(otp), request)
    except ActionError as refusal:
        raise SecondFactorInvalid(refusal.message, errors={"otp": refusal.message}) from None


def signed_in(request: HttpRequest, user: Any) -> None:
    """Audit an API sign-in (a token issued after both steps)."""
    record_api_login(request, user)
