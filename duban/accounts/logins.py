"""Every login, failed login and logout is audited (MLPS level 3: 安全审计), and a
person sees when and from where they last signed in (上次登录时间和地点).

The web login reports through django.contrib.auth's signals; the API's token
endpoint calls `record_api_login` when it issues a token (it does not open a
session, so `user_logged_in` is not sent for it). Failed logins of both come
through `user_login_failed`, which `authenticate` sends.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from duban import clock
from duban.audit.models import record

from .lockout import client_ip, locked_until
from .middleware import touch_session
from .models import AccountProfile


def connect() -> None:
    user_logged_in.connect(on_login, dispatch_uid="duban.accounts.on_login")
    user_login_failed.connect(on_login_failed, dispatch_uid="duban.accounts.on_login_failed")
    user_logged_out.connect(on_logout, dispatch_uid="duban.accounts.on_logout")


def remember_login(request: HttpRequest | None, user: Any) -> AccountProfile | None:
    """Store this login's time and place; returns the profile as it was before."""
    profile, _created = AccountProfile.objects.get_or_create(user=user)
    previous = AccountProfile(
        user=user, last_login_at=profile.last_login_at, last_login_ip=profile.last_login_ip
    )
    profile.last_login_at = clock.now()
    profile.last_login_ip = client_ip(request)
    profile.save(update_fields=["last_login_at", "last_login_ip"])
    return previous if previous.last_login_at is not None else None


def last_login_message(previous: AccountProfile | None) -> str:
    if previous is None or previous.last_login_at is None:
        return _("欢迎！这是您第一次登录督办系统。")
    return _("上次登录：%(time)s，%(ip)s") % {
        "time": timezone.localtime(previous.last_login_at).strftime("%Y-%m-%d %H:%M"),
        "ip": previous.last_login_ip or _("地址未知"),
    }


def on_login(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        touch_session(request.session)  # the idle time counts from here
    previous = remember_login(request, user)
    record(
        user,
        "login",
        _("登录成功"),
        data={
            "username": user.get_username(),
            "ip": client_ip(request),
            # "cas" for a sign-in through CAS single sign-on (duban.accounts.cas).
            "channel": getattr(request, "login_channel", "web"),
        },
    )
    if request is not None:
        messages.info(request, last_login_message(previous), fail_silently=True)


def record_api_login(request: HttpRequest, user: Any) -> None:
    remember_login(request, user)
    record(
        user,
        "login",
        _("通过接口登录成功"),
        data={"username": user.get_username(), "ip": client_ip(request), "channel": "api"},
    )


def on_login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    username = str(credentials.get("username") or "")[:150]
    # The backend marks a request it refused for a lock; without a request, ask.
    locked = getattr(request, "refused_as_locked", None)
    if locked is None:
        locked = locked_until(username) is not None
    record(
        None,
        "login_failed",
        _("登录失败（账号已锁定）：%(username)s") % {"username": username}
        if locked
        else _("登录失败（用户名或密码错误）：%(username)s") % {"username": username},
        data={
            "username": username,
            "ip": client_ip(request),
            "reason": "locked" if locked else "invalid_credentials",
            "channel": "api" if getattr(request, "path", "").startswith("/api/") else "web",
        },
    )


CAS_FAILURES = {
    "cas_unavailable": gettext_lazy("统一身份认证登录失败（认证服务无法访问）"),
    "invalid_ticket": gettext_lazy("统一身份认证登录失败（票据无效）"),
    "unknown_cas_user": gettext_lazy("统一身份认证登录失败（未登记的工号）：%(account)s"),
    "locked": gettext_lazy("统一身份认证登录失败（账号已锁定）：%(account)s"),
    "inactive": gettext_lazy("统一身份认证登录失败（账号已停用）：%(account)s"),
}


def record_cas_failure(
    request: HttpRequest | None, account: str, reason: str, *, person: Any = None
) -> None:
    """A CAS sign-in refused here (duban.accounts.cas), audited like a failed login."""
    summary = str(CAS_FAILURES[reason])
    if "%(account)s" in summary:
        summary = summary % {"account": account[:150]}
    record(
        None,
        "login_failed",
        summary,
        data={
            "username": person.get_username() if person is not None else "",
            "cas_user": account[:150],
            "ip": client_ip(request),
            "reason": reason,
            "channel": "cas",
        },
    )


def record_cas_logout(request: HttpRequest | None, user: Any) -> None:
    """A session ended by the CAS server's single logout."""
    record(
        user,
        "logout",
        _("退出登录（统一身份认证单点退出）"),
        data={"username": user.get_username(), "ip": client_ip(request), "channel": "cas"},
    )


def on_logout(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if user is None:
        return
    record(
        user,
        "logout",
        _("退出登录"),
        data={"username": user.get_username(), "ip": client_ip(request)},
    )
