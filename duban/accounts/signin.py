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

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _

from duban.audit.models import record
from duban.items.errors import ActionError

from . import actions, cas, two_factor
from .lockout import client_ip, locked_message, locked_until
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


class LocalLoginNotAllowed(ActionError):
    code = "local_login_not_allowed"
    status = 403


def local_login_allowed(user: Any) -> bool:
    """With CAS on and LOCAL_LOGIN_ROLES set, only those roles may sign in with a
    password here (the administrators, and whoever else the deployment lists)."""
    roles = set(getattr(settings, "LOCAL_LOGIN_ROLES", ()) or ())
    return not (cas.enabled() and roles) or getattr(user, "role", None) in roles


def local_login_refusal() -> str:
    return _("您的账号须通过统一身份认证登录，不能使用账号密码登录。")


def refuse_local_login(request: HttpRequest | None, user: Any) -> None:
    """Audit a password that was right for someone who must use CAS."""
    record(
        None,
        "login_failed",
        _("登录失败（须通过统一身份认证登录）：%(username)s") % {"username": user.get_username()},
        data={
            "username": user.get_username(),
            "ip": client_ip(request),
            "reason": "local_login_not_allowed",
            "channel": "api" if getattr(request, "path", "").startswith("/api/") else "web",
        },
    )


def check_local_login(request: HttpRequest, user: Any) -> None:
    """For the API's token endpoint: refuse as LocalLoginNotAllowed."""
    if not local_login_allowed(user):
        refuse_local_login(request, user)
        raise LocalLoginNotAllowed(local_login_refusal())


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
