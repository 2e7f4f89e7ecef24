"""Lockout after repeated failed logins (MLPS level 3: 登录失败处理).

After `ACCOUNT_LOCK_AFTER` (5) failed logins in a row for a username, the username is
locked for `ACCOUNT_LOCK_MINUTES` (30): every login is refused, the right password
included. The lock ends when it expires or when the security administrator unlocks
it (`actions.unlock_account`). A successful login resets the count.

`LockoutBackend` enforces it inside `django.contrib.auth.authenticate`, so the web
login, the admin login and the API's token endpoint are all covered.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from duban import clock
from duban.api.tokens import revoke_tokens
from duban.audit.models import record
from duban.organisation.models import User

from .models import LoginThrottle

USERNAME_MAX_LENGTH = 150


class AccountLocked(PermissionDenied):
    """Raised by the backend: `authenticate` stops at it and reports a failed login."""

    def __init__(self, locked_until: dt.datetime) -> None:
        super().__init__(locked_message(locked_until))
        self.locked_until = locked_until


def lock_after() -> int:
    return int(getattr(settings, "ACCOUNT_LOCK_AFTER", 5))


def lock_minutes() -> int:
    return int(getattr(settings, "ACCOUNT_LOCK_MINUTES", 30))


def _key(username: Any) -> str:
    return str(username or "")[:USERNAME_MAX_LENGTH]


def locked_until(username: Any) -> dt.datetime | None:
    """When the lock on `username` ends, or None if it is not locked now."""
    until = (
        LoginThrottle.objects.filter(username=_key(username), locked_until__gt=clock.now())
        .values_list("locked_until", flat=True)
        .first()
    )
    return until


def locked_message(until: dt.datetime) -> str:
    return _("账号已锁定：连续%(count)d次登录失败，请于%(until)s后再试，或联系安全管理员解锁。") % {
        "count": lock_after(),
        "until": timezone.localtime(until).strftime("%Y-%m-%d %H:%M"),
    }


def register_failure(username: Any, request: HttpRequest | None = None) -> dt.datetime | None:
    """Count one failed login; returns the lock's end if this failure locked the
    username. Two failures at once are both counted (the row is locked)."""
    now = clock.now()
    with transaction.atomic():
        throttle, _created = LoginThrottle.objects.select_for_update().get_or_create(
            username=_key(username)
        )
        if throttle.locked_until is not None and throttle.locked_until <= now:
            # The previous lock ran out: count afresh.
            throttle.failed_count = 0
            throttle.locked_until = None
        throttle.failed_count += 1
        throttle.last_failed_at = now
        newly_locked = None
        if throttle.failed_count >= lock_after() and throttle.locked_until is None:
            throttle.locked_until = newly_locked = now + dt.timedelta(minutes=lock_minutes())
        throttle.save()
        if newly_locked is not None:
            record(
                None,
                "account_locked",
                _("账号%(username)s连续%(count)d次登录失败，锁定至%(until)s")
                % {
                    "username": throttle.username,
                    "count": throttle.failed_count,
                    "until": timezone.localtime(newly_locked).strftime("%Y-%m-%d %H:%M"),
                },
                data={
                    "username": throttle.username,
                    "ip": client_ip(request),
                    "locked_until": newly_locked.isoformat(),
                },
            )
            person = User.objects.filter(username=throttle.username).first()
            if person is not None:
                revoke_tokens(person, _("账号被锁定"))
    return newly_locked


def register_success(username: Any) -> None:
    LoginThrottle.objects.filter(username=_key(username), failed_count__gt=0).update(
        failed_count=0, locked_until=None
    )


def client_ip(request: HttpRequest | None) -> str | None:
    """The client's address: REMOTE_ADDR, or with TRUST_X_FORWARDED_FOR behind a
    proxy, the address that proxy appended last to X-Forwarded-For."""
    if request is None:
        return None
    meta = getattr(request, "META", {})
    if getattr(settings, "TRUST_X_FORWARDED_FOR", False):
        forwarded = [part.strip() for part in meta.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        if forwarded and forwarded[-1]:
            return forwarded[-1]
    return meta.get("REMOTE_ADDR") or None


class PersonBackend(ModelBackend):
    """Django's model backend, loading a session's person with their unit: every
    page's header shows the unit (and the office's menu depends on its kind), which
    otherwise cost each page a query of its own."""

    def get_user(self, user_id: Any) -> Any:
        try:
            user = User.objects.select_related("unit").get(pk=user_id)
        except User.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None


class LockoutBackend(PersonBackend):
    """Django's model backend with the lockout around it."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> Any:
        if username is None:
            username = kwargs.get("username")
        if username is None or password is None:
            return None
        until = locked_until(username)
        if request is not None:
            request.refused_as_locked = until is not None  # type: ignore[attr-defined]
        if until is not None:
            # `authenticate` turns this into a failed login (user_login_failed).
            raise AccountLocked(until)
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            register_failure(username, request)
            return None
        register_success(username)
        return user
