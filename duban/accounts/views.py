"""The account pages: change password, the two-factor steps, and the security
administrator's pages (locked accounts, authenticator resets).

Views only read and call `actions`; refusals come back as a Chinese message.
"""

from __future__ import annotations

from typing import cast
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from duban import clock
from duban.api.tokens import live_tokens, revoke_own_token
from duban.backups.models import BackupRun
from duban.items.errors import ActionError
from duban.organisation.models import Role, User

from . import actions, cas, two_factor
from .forms import CodeForm, LoginForm
from .models import LoginThrottle
from .roles import role_required

PAGE_SIZE = 50


def _next_url(request: HttpRequest) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse(settings.LOGIN_REDIRECT_URL)


def _with_next(url_name: str, request: HttpRequest) -> str:
    return f"{reverse(url_name)}?{urlencode({'next': _next_url(request)})}"


# ----------------------------------------------------------------------------- sign-in


class SignInView(auth_views.LoginView):
    """The login page: the local form, and 统一身份认证登录 when CAS is on."""

    template_name = "web/login.html"
    redirect_authenticated_user = True
    authentication_form = LoginForm

    def get_context_data(self, **kwargs: object) -> dict[str, object]:
        context = super().get_context_data(**kwargs)
        context["cas_enabled"] = cas.enabled()
        context["local_login_roles"] = local_login_role_labels()
        return context


def local_login_role_labels() -> list[str]:
    """The roles that may use the local form while CAS is on ([] for everyone)."""
    if not cas.enabled():
        return []
    roles = set(getattr(settings, "LOCAL_LOGIN_ROLES", ()))
    return [str(label) for value, label in Role.choices if value in roles]


class SignOutView(auth_views.LogoutView):
    """Signing out; a person who came through CAS is signed out of CAS too."""

    def post(self, request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        through_cas = cas.enabled() and cas.signed_in_through_cas(request)
        if through_cas:
            cas.forget_session(request)
        response = super().post(request, *args, **kwargs)
        if through_cas:
            return redirect(cas.logout_url(request))
        return response


def _cas_refused(request: HttpRequest, refusal: cas.CasRefusal) -> HttpResponse:
    return render(
        request,
        "accounts/cas_refused.html",
        {
            "message": refusal.message,
            "cas_logout_url": cas.logout_url(request) if refusal.status != 503 else "",
        },
        status=refusal.status,
    )


@csrf_exempt  # the CAS server's single-logout request carries no CSRF token
@require_http_methods(["GET", "HEAD", "POST"])
def cas_login(request: HttpRequest) -> HttpResponse:
    """/cas/login/: off to the CAS server, back with a ticket, or (POST from the CAS
    server) its single-logout request."""
    if not cas.enabled():
        raise Http404
    if request.method == "POST":
        if not request.POST.get("logoutRequest"):
            return HttpResponseBadRequest(_("无效的请求。"))
        cas.end_sessions(request)
        return HttpResponse(status=200)
    next_page = _next_url(request)
    ticket = request.GET.get("ticket", "").strip()
    try:
        if not ticket:
            if request.user.is_authenticated:
                return redirect(next_page)
            return redirect(cas.login_url(request, next_page))
        cas.sign_in_with_ticket(request, ticket[:256], next_page)
    except cas.CasRefusal as refusal:
        return _cas_refused(request, refusal)
    return redirect(next_page)


# ----------------------------------------------------------------------------- password


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's page, saving through `actions.change_password` (audited, history)."""

    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("my-work")

    def form_valid(self, form: Form) -> HttpResponse:
        user = cast(User, self.request.user)
        actions.change_password(user, form.cleaned_data["new_password1"], self.request)
        # Keep this session signed in (Django signs out the others).
        update_session_auth_hash(self.request, user)
        messages.success(self.request, _("密码已修改。"))
        return redirect(self.get_success_url())


# ----------------------------------------------------------------------------- two-factor


def _step_up(request: HttpRequest, device: TOTPDevice) -> None:
    # A new session key once the person is fully signed in (no fixation across steps).
    request.session.cycle_key()
    otp_login(request, device)


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def otp_setup(request: HttpRequest) -> HttpResponse:
    user = cast(User, request.user)
    if not two_factor.is_required_for(user):
        return redirect(_next_url(request))
    if two_factor.confirmed_device(user) is not None:
        return redirect(_with_next("otp-verify", request))
    device = actions.start_totp_setup(user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.confirm_totp_device(user, device, form.cleaned_data["code"], request)
        except ActionError as refusal:
            form.add_error("code", refusal.message)
        else:
            _step_up(request, device)
            messages.success(request, _("身份验证器已绑定，以后每次登录都需输入其验证码。"))
            return redirect(_next_url(request))
    return render(
        request,
        "accounts/otp_setup.html",
        {
            "form": form,
            "qr_svg": two_factor.qr_svg(device.config_url),
            "secret": two_factor.secret(device),
            "next": _next_url(request),
        },
    )


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def otp_verify(request: HttpRequest) -> HttpResponse:
    user = cast(User, request.user)
    if not two_factor.is_required_for(user) or user.is_verified():  # type: ignore[attr-defined]
        return redirect(_next_url(request))
    if two_factor.confirmed_device(user) is None:
        return redirect(_with_next("otp-setup", request))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = actions.verify_totp(user, form.cleaned_data["code"], request)
        except ActionError as refusal:
            form.add_error("code", refusal.message)
        else:
            _step_up(request, device)
            return redirect(_next_url(request))
    return render(request, "accounts/otp_verify.html", {"form": form, "next": _next_url(request)})


# ----------------------------------------------------------------------------- security admin


@require_http_methods(["GET", "HEAD", "POST"])
@role_required(Role.SECURITY_ADMIN)
def account_locks(request: HttpRequest) -> HttpResponse:
    """Locked accounts, each with an unlock button."""
    if request.method == "POST":
        username = request.POST.get("username", "")[:150]
        try:
            actions.unlock_account(request.user, username, request)
        except ActionError as refusal:
            messages.error(request, refusal.message)
        else:
            messages.success(request, _("已解锁账号%(username)s。") % {"username": username})
        return redirect("account-locks")
    locks = LoginThrottle.objects.filter(locked_until__gt=clock.now()).order_by("locked_until")
    page = Paginator(locks, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    people = {
        person.username: person
        for person in User.objects.filter(username__in=[row.username for row in rows])
    }
    for row in rows:
        row.person = people.get(row.username)
    return render(
        request,
        "accounts/locks.html",
        {
            "page_obj": page,
            "locks": rows,
            "lock_minutes": settings.ACCOUNT_LOCK_MINUTES,
            "lock_after": settings.ACCOUNT_LOCK_AFTER,
            "last_backup": BackupRun.objects.order_by("-started_at", "-id").first(),
            "backup_dir": settings.BACKUP_DIR,
        },
    )


@require_safe
@role_required(Role.SECURITY_ADMIN)
def two_factor_devices(request: HttpRequest) -> HttpResponse:
    """Who must use two-factor sign-in, and whether they have set it up."""
    people = (
        User.objects.filter(role__in=settings.OTP_REQUIRED_ROLES)
        .select_related("unit")
        .annotate(has_device=Exists(TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)))
        .order_by("role", "username")
    )
    page = Paginator(people, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "accounts/two_factor.html", {"page_obj": page, "people": page})


@require_POST
@role_required(Role.SECURITY_ADMIN)
def reset_two_factor(request: HttpRequest, user_id: int) -> HttpResponse:
    person = get_object_or_404(User, pk=user_id)
    try:
        actions.reset_two_factor(request.user, person, request)
    except ActionError as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(
            request,
            _("已重置%(name)s的身份验证器，其下次登录时需重新绑定。")
            % {"name": person.full_name or person.username},
        )
    return redirect("two-factor-devices")


# ----------------------------------------------------------------------------- own API tokens


@require_safe
@login_required
def api_tokens(request: HttpRequest) -> HttpResponse:
    """The person's own live API tokens (never the tokens themselves)."""
    return render(request, "accounts/tokens.html", {"tokens": live_tokens(request.user)})


@require_POST
@login_required
def revoke_api_token(request: HttpRequest, token_id: int) -> HttpResponse:
    revoke_own_token(request.user, token_id)  # 404 for anyone else's
    messages.success(request, _("令牌已作废。"))
    return redirect("api-tokens")
