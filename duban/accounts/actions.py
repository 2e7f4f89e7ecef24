"""The account actions: each checks who may act, changes the rows and writes its
audit event in one transaction (DESIGN.md "Actions"). Refusals are the items'
ActionError kinds, with a Chinese message, and change nothing."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from duban import clock
from duban.api.tokens import revoke_tokens
from duban.audit.models import record
from duban.items.errors import InvalidInput, PermissionRefused, StateRefused
from duban.organisation.models import Role

from . import two_factor
from .lockout import client_ip
from .models import LoginThrottle


def _require_security_admin(actor: Any) -> None:
    if not actor.is_active or actor.role != Role.SECURITY_ADMIN:
        raise PermissionRefused(_("只有安全管理员可以执行此操作。"))


# ----------------------------------------------------------------------------- passwords


@transaction.atomic
def change_password(user: Any, new_password: str, request: HttpRequest | None = None) -> None:
    """Set a new password (already validated by the form). Saving it calls the
    validators' `password_changed`, which records it in the password history."""
    user.set_password(new_password)
    user.save(update_fields=["password"])
    record(
        user,
        "password_changed",
        _("修改登录密码"),
        data={"username": user.get_username(), "ip": client_ip(request)},
    )
    revoke_tokens(user, _("修改登录密码"), user)


# ----------------------------------------------------------------------------- lockout


@transaction.atomic
def unlock_account(actor: Any, username: str, request: HttpRequest | None = None) -> None:
    """The security administrator lifts a lock before it runs out."""
    _require_security_admin(actor)
    throttle = (
        LoginThrottle.objects.select_for_update()
        .filter(username=username, locked_until__gt=clock.now())
        .first()
    )
    if throttle is None:
        raise StateRefused(_("账号%(username)s当前未被锁定。") % {"username": username})
    until = throttle.locked_until
    throttle.failed_count = 0
    throttle.locked_until = None
    throttle.save(update_fields=["failed_count", "locked_until"])
    record(
        actor,
        "account_unlocked",
        _("解锁账号%(username)s（原锁定至%(until)s）")
        % {
            "username": username,
            "until": timezone.localtime(until).strftime("%Y-%m-%d %H:%M") if until else "",
        },
        data={"username": username, "ip": client_ip(request)},
    )


# ----------------------------------------------------------------------------- two-factor


@transaction.atomic
def start_totp_setup(user: Any) -> TOTPDevice:
    """The person's device being set up: an unconfirmed one, made on first need."""
    if two_factor.confirmed_device(user) is not None:
        raise StateRefused(_("您已绑定身份验证器。"))
    device = two_factor.unconfirmed_device(user)
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=_("身份验证器"), confirmed=False)
    return device


def _throttled_message(device: TOTPDevice) -> str | None:
    allowed, detail = device.verify_is_allowed()
    if allowed:
        return None
    until: dt.datetime | None = (detail or {}).get("locked_until")
    seconds = max(1, math.ceil((until - timezone.now()).total_seconds())) if until else 1
    return _("验证码错误次数过多，请%(seconds)d秒后再试。") % {"seconds": seconds}


def _verify(user: Any, device: TOTPDevice, code: str, request: HttpRequest | None) -> None:
    """Check a code against `device`; a wrong one is audited and refused."""
    code = two_factor.clean_code(code)
    refusal = _throttled_message(device)
    if refusal is None and not (code.isascii() and code.isdigit() and len(code) == device.digits):
        refusal = _("请输入身份验证器显示的%(digits)d位数字验证码。") % {"digits": device.digits}
    if refusal is None:
        # Locked, so two requests cannot both use one code; the device records a
        # failed try itself (it throttles the next ones) and the lock commits it.
        with transaction.atomic():
            locked = TOTPDevice.objects.select_for_update().get(pk=device.pk)
            verified = locked.verify_token(code)
        device.refresh_from_db()
        if not verified:
            refusal = _("验证码错误或已过期，请重新输入。")
    if refusal is not None:
        with transaction.atomic():
            record(
                user,
                "otp_failed",
                _("动态验证码验证失败"),
                data={"username": user.get_username(), "ip": client_ip(request)},
            )
        raise InvalidInput(refusal, errors={"otp": refusal})


def confirm_totp_device(
    user: Any, device: TOTPDevice, code: str, request: HttpRequest | None = None
) -> TOTPDevice:
    """Finish the setup: the first right code confirms the device."""
    if device.user_id != user.pk or device.confirmed:
        raise StateRefused(_("该身份验证器不属于您，或已绑定。"))
    _verify(user, device, code, request)
    with transaction.atomic():
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        # Only one confirmed device per person: drop leftovers of earlier setups.
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        record(
            user,
            "otp_device_confirmed",
            _("绑定身份验证器"),
            data={"username": user.get_username(), "ip": client_ip(request)},
        )
    return device


def verify_totp(user: Any, code: str, request: HttpRequest | None = None) -> TOTPDevice:
    """The second step of a sign-in: the code of the person's confirmed device."""
    device = two_factor.confirmed_device(user)
    if device is None:
        raise StateRefused(_("您尚未绑定身份验证器，请先完成绑定。"))
    _verify(user, device, code, request)
    record(
        user,
        "otp_verified",
        _("动态验证码验证通过"),
        data={"username": user.get_username(), "ip": client_ip(request)},
    )
    return device


@transaction.atomic
def reset_two_factor(actor: Any, user: Any, request: HttpRequest | None = None) -> None:
    """The security administrator removes a person's authenticator (a lost phone);
    the person sets up a new one at their next sign-in."""
    _require_security_admin(actor)
    deleted, _by_model = TOTPDevice.objects.filter(user=user).delete()
    if not deleted:
        raise StateRefused(
            _("%(name)s尚未绑定身份验证器，无需重置。") % {"name": user.full_name or user}
        )
    record(
        actor,
        "otp_reset",
        _("重置%(name)s（%(username)s）的身份验证器")
        % {"name": user.full_name or user.get_username(), "username": user.get_username()},
        data={"username": user.get_username(), "ip": client_ip(request)},
    )
