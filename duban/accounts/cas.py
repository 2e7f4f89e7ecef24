"""CAS single sign-on (统一身份认证), on when `CAS_SERVER_URL` is set.

The flow, with django-cas-ng's client (python-cas) speaking the protocol:
1. The login page's 统一身份认证登录 leads to `/cas/login/`, which checks that the CAS
   server answers and sends the browser there with `service` = this URL.
2. The CAS server sends the browser back with a ticket; `sign_in_with_ticket`
   validates it with the server, finds the person whose 工号 (`User.staff_number`)
   is the CAS user id, and signs them in through Django's `login`. So the sign-in is
   audited, the previous-login notice shown and the idle timer started exactly as for
   a password (duban.accounts.logins), and a locked account stays locked
   (duban.accounts.lockout).
3. CAS sign-in is the first factor only: the roles of `OTP_REQUIRED_ROLES` still
   enter their TOTP code (duban.accounts.middleware) unless `CAS_SATISFIES_OTP`.
4. Single logout: signing out here signs out of CAS too (`logout_url`), and the CAS
   server's logout request (a POST of `logoutRequest` to the service URL) ends the
   session its ticket opened (`end_sessions`).

An unknown CAS user, a ticket that fails validation and a CAS server that does not
answer are each refused with a Chinese page (`CasRefusal`); nobody is ever created.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.contrib.auth import login
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from django_cas_ng.models import SESSION_KEY_MAXLENGTH, SessionTicket
from django_cas_ng.utils import get_cas_client, get_user_from_session

from duban.organisation.models import User

from . import logins
from .lockout import PersonBackend, locked_message, locked_until, register_success

# Set in the session of a person who signed in through CAS.
SESSION_FLAG = "_signed_in_through_cas"
BACKEND = "duban.accounts.cas.CasBackend"


def enabled() -> bool:
    return bool(getattr(settings, "CAS_SERVER_URL", ""))


def server_origin() -> str:
    """scheme://host[:port] of the CAS server ('' when CAS is off), for the CSP."""
    if not enabled():
        return ""
    parts = urlsplit(settings.CAS_SERVER_URL)
    return f"{parts.scheme}://{parts.netloc}"


class TimeoutSession(requests.Session):
    """The HTTP session python-cas validates tickets with: never waits past
    CAS_TIMEOUT for a server that does not answer."""

    def request(self, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("timeout", getattr(settings, "CAS_TIMEOUT", 5))
        return super().request(*args, **kwargs)


def http_session() -> requests.Session:
    return TimeoutSession()


class CasBackend(PersonBackend):
    """Loads the person of a session opened through CAS (Django keeps the backend's
    path in the session). It authenticates nothing itself: the ticket is validated
    by `sign_in_with_ticket`, which needs to tell each kind of refusal apart."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> Any:
        return None


class CasRefusal(Exception):
    """A CAS sign-in that did not happen, with the Chinese page's message."""

    def __init__(self, message: str, *, status: int = 403) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def unavailable() -> CasRefusal:
    return CasRefusal(
        _(
            "统一身份认证服务暂时无法访问，请稍后再试。"
            "管理员及允许使用账号密码登录的人员可在登录页用账号密码登录。"
        ),
        status=503,
    )


def service_url(request: HttpRequest, next_page: str) -> str:
    """This site's /cas/login/ with the page to go to afterwards."""
    from django_cas_ng.utils import get_service_url

    return get_service_url(request, next_page)


def login_url(request: HttpRequest, next_page: str) -> str:
    """The CAS server's login page for this site; raises CasRefusal if the server
    does not answer (the browser would otherwise show its own error page)."""
    try:
        http_session().get(settings.CAS_SERVER_URL + "login", allow_redirects=False)
    except requests.RequestException:
        raise unavailable() from None
    client = get_cas_client(service_url=service_url(request, next_page), request=request)
    return str(client.get_login_url())


def sign_in_with_ticket(request: HttpRequest, ticket: str, next_page: str) -> User:
    """Validate `ticket` with the CAS server and sign its person in."""
    client = get_cas_client(service_url=service_url(request, next_page), request=request)
    try:
        cas_user, _attributes, _pgtiou = client.verify_ticket(ticket)
    except requests.RequestException:
        logins.record_cas_failure(request, "", "cas_unavailable")
        raise unavailable() from None
    if not cas_user:
        logins.record_cas_failure(request, "", "invalid_ticket")
        raise CasRefusal(_("统一身份认证票据无效或已过期，请重新登录。"))
    staff_number = str(cas_user).strip()
    person = User.objects.filter(staff_number=staff_number).first() if staff_number else None
    if person is None:
        logins.record_cas_failure(request, staff_number, "unknown_cas_user")
        raise CasRefusal(
            _(
                "统一身份认证账号“%(account)s”未在督办系统中登记（按工号匹配），无法登录。"
                "请联系系统管理员核对您的工号。"
            )
            % {"account": staff_number}
        )
    until = locked_until(person.username)
    if until is not None:
        logins.record_cas_failure(request, staff_number, "locked", person=person)
        raise CasRefusal(locked_message(until))
    if not person.is_active:
        logins.record_cas_failure(request, staff_number, "inactive", person=person)
        raise CasRefusal(_("您在督办系统中的账号已停用，无法登录。如有疑问请联系系统管理员。"))
    register_success(person.username)
    request.login_channel = "cas"  # type: ignore[attr-defined]  # for the audit event
    login(request, person, backend=BACKEND)
    request.session[SESSION_FLAG] = True
    if not request.session.session_key:
        request.session.save()
    session_key = str(request.session.session_key)[:SESSION_KEY_MAXLENGTH]
    SessionTicket.objects.update_or_create(session_key=session_key, defaults={"ticket": ticket})
    return person


def signed_in_through_cas(request: HttpRequest) -> bool:
    session = getattr(request, "session", None)
    return bool(session is not None and session.get(SESSION_FLAG))


def forget_session(request: HttpRequest) -> None:
    """Before a sign-out here: the session's ticket is no longer needed."""
    session_key = getattr(request.session, "session_key", None)
    if session_key:
        SessionTicket.objects.filter(session_key=session_key[:SESSION_KEY_MAXLENGTH]).delete()


def logout_url(request: HttpRequest) -> str:
    """The CAS server's logout, coming back to this site's login page."""
    client = get_cas_client(request=request)
    return str(client.get_logout_url(request.build_absolute_uri(reverse("login"))))


def end_sessions(request: HttpRequest) -> int:
    """The CAS server's single-logout request: end each session its tickets opened.
    Returns how many sessions ended."""
    client = get_cas_client(request=request)
    store = import_module(settings.SESSION_ENGINE).SessionStore
    ended = 0
    for slo in client.get_saml_slos(request.POST.get("logoutRequest", "")) or []:
        ticket = (slo.text or "").strip()
        if not ticket:
            continue
        for row in SessionTicket.objects.filter(ticket=ticket):
            session = store(session_key=row.session_key)
            person = get_user_from_session(session)
            if getattr(person, "is_authenticated", False):
                logins.record_cas_logout(request, person)
            session.delete(row.session_key)
            row.delete()
            ended += 1
    return ended
