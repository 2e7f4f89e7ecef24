"""Two-factor sign-in (TOTP, django-otp) for administrators and office supervisors.

The suite runs with OTP_REQUIRED=0 (Makefile); these tests turn it on.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from io import StringIO
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from duban.accounts import two_factor
from duban.api.models import ApiToken
from duban.audit.models import AuditEvent
from duban.organisation.models import Role, User
from tests.conftest import PASSWORD, Org, make_person

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 9, 28, 2, 0, tzinfo=dt.UTC)
SETUP = reverse("otp-setup")
VERIFY = reverse("otp-verify")


@pytest.fixture(autouse=True)
def required(settings: Any) -> None:
    settings.OTP_REQUIRED = True


@pytest.fixture(autouse=True)
def frozen_clock() -> Iterator[Any]:
    with time_machine.travel(START, tick=False) as moved:
        yield moved


@pytest.fixture
def security_admin(org: Org) -> User:
    return make_person("security_admin", Role.SECURITY_ADMIN, None, "鲁安全")


def code_of(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return str(totp.token()).zfill(device.digits)


def wrong_code(device: TOTPDevice) -> str:
    return f"{(int(code_of(device)) + 1) % 1_000_000:06d}"


def login(client: Client, username: str = "office_supervisor") -> Any:
    return client.post(reverse("login"), {"username": username, "password": PASSWORD})


def with_device(user: User) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="手机", confirmed=True)


# ----------------------------------------------------------------------------- who is asked


@pytest.mark.parametrize(
    "role",
    ["office_supervisor", "system_admin", "security_admin", "audit_admin"],
)
def test_administrators_and_supervisors_must_use_it(role: str) -> None:
    assert two_factor.is_required_for(User(role=role))


@pytest.mark.parametrize("role", ["liaison", "unit_head", "unit_member", "school_leader"])
def test_other_roles_are_not_asked(client: Client, org: Org, role: str) -> None:
    assert not two_factor.is_required_for(User(role=role))
    login(client, "lead_liaison")
    assert client.get(reverse("my-work")).status_code == 200


def test_with_the_setting_off_nobody_is_asked(client: Client, org: Org, settings: Any) -> None:
    settings.OTP_REQUIRED = False
    login(client)
    assert client.get(reverse("my-work")).status_code == 200


# ----------------------------------------------------------------------------- setup


def test_first_login_leads_to_the_setup_page_and_nowhere_else(client: Client, org: Org) -> None:
    response = login(client)
    assert response["Location"] == reverse("my-work")

    for url in (reverse("my-work"), reverse("ledger"), reverse("inbox"), "/admin/"):
        refused = client.get(url)
        assert refused.status_code == 302
        assert refused["Location"].startswith(SETUP)
    assert client.get(reverse("ledger"))["Location"] == f"{SETUP}?next=%2Fitems%2F"
    # A post is not carried over (no next), and changes nothing.
    assert client.post(reverse("item-new"), {})["Location"] == SETUP


def test_the_setup_page_shows_a_qr_code_and_the_secret(client: Client, org: Org) -> None:
    login(client)
    page = client.get(SETUP).content.decode()

    device = TOTPDevice.objects.get(user=org.office_supervisor)
    assert not device.confirmed
    assert "<h1>绑定身份验证器</h1>" in page
    assert '<svg width="' in page and 'class="segno"' in page
    assert two_factor.secret(device) in page
    assert "otpauth://totp/" in device.config_url and "office_supervisor" in device.config_url
    # Opening the page again keeps the same secret (the app may already hold it).
    client.get(SETUP)
    assert TOTPDevice.objects.filter(user=org.office_supervisor).count() == 1


def test_a_wrong_code_does_not_confirm_the_device(client: Client, org: Org) -> None:
    login(client)
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=org.office_supervisor)

    response = client.post(SETUP, {"code": wrong_code(device)})

    assert response.status_code == 200
    assert "验证码错误或已过期，请重新输入。" in response.content.decode()
    device.refresh_from_db()
    assert not device.confirmed
    assert client.get(reverse("my-work")).status_code == 302
    assert AuditEvent.objects.filter(verb="otp_failed", actor=org.office_supervisor).count() == 1


def test_the_right_code_confirms_the_device_and_opens_the_pages(client: Client, org: Org) -> None:
    login(client)
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=org.office_supervisor)

    response = client.post(SETUP, {"code": code_of(device), "next": "/items/"})

    assert response.status_code == 302
    assert response["Location"] == "/items/"
    device.refresh_from_db()
    assert device.confirmed
    assert client.get(reverse("ledger")).status_code == 200
    event = AuditEvent.objects.get(verb="otp_device_confirmed")
    assert event.actor == org.office_supervisor


def test_next_never_leads_off_the_site(client: Client, org: Org) -> None:
    login(client)
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=org.office_supervisor)
    response = client.post(SETUP, {"code": code_of(device), "next": "https://evil.example/"})
    assert response["Location"] == reverse("my-work")


# ----------------------------------------------------------------------------- verify


def test_later_logins_ask_for_the_code(client: Client, org: Org, frozen_clock: Any) -> None:
    device = with_device(org.office_supervisor)
    login(client)

    assert client.get(reverse("inbox"))["Location"] == f"{VERIFY}?next=%2Finbox%2F"
    page = client.get(VERIFY).content.decode()
    assert "<h1>输入动态验证码</h1>" in page

    refused = client.post(VERIFY, {"code": wrong_code(device)})
    assert "验证码错误或已过期" in refused.content.decode()
    assert client.get(reverse("inbox")).status_code == 302

    frozen_clock.shift(dt.timedelta(seconds=30))  # past the throttle's wait
    accepted = client.post(VERIFY, {"code": code_of(device), "next": "/inbox/"})
    assert accepted["Location"] == "/inbox/"
    assert client.get(reverse("inbox")).status_code == 200
    assert AuditEvent.objects.filter(verb="otp_verified").count() == 1


def test_a_code_cannot_be_used_twice(client: Client, org: Org) -> None:
    device = with_device(org.office_supervisor)
    code = code_of(device)
    login(client)
    assert client.post(VERIFY, {"code": code}).status_code == 302

    other = Client()
    login(other)
    replay = other.post(VERIFY, {"code": code})
    assert replay.status_code == 200
    assert other.get(reverse("my-work")).status_code == 302


def test_quick_retries_are_throttled(client: Client, org: Org) -> None:
    device = with_device(org.office_supervisor)
    login(client)
    client.post(VERIFY, {"code": wrong_code(device)})

    response = client.post(VERIFY, {"code": code_of(device)})

    assert "验证码错误次数过多，请1秒后再试。" in response.content.decode()
    assert client.get(reverse("my-work")).status_code == 302


def test_logout_is_open_before_the_second_step(client: Client, org: Org) -> None:
    with_device(org.office_supervisor)
    login(client)
    response = client.post(reverse("logout"))
    assert response["Location"] == reverse("login")
    assert "_auth_user_id" not in client.session


def test_the_second_step_starts_a_new_session_key(client: Client, org: Org) -> None:
    device = with_device(org.office_supervisor)
    login(client)
    before = client.session.session_key
    client.post(VERIFY, {"code": code_of(device)})
    assert client.session.session_key != before


# ----------------------------------------------------------------------------- API


def token(client: Client, username: str, otp: str | None = None) -> Any:
    body: dict[str, Any] = {"username": username, "password": PASSWORD}
    if otp is not None:
        body["otp"] = otp
    return client.post("/api/v1/auth/token", body, content_type="application/json")


def test_api_tokens_of_supervisors_need_a_set_up_authenticator(client: Client, org: Org) -> None:
    response = token(client, "office_supervisor", "123456")
    assert response.status_code == 401
    assert response.json() == {
        "code": "otp_setup_required",
        "message": "您的账号须使用动态验证码登录，请先在网页端登录并绑定身份验证器。",
    }
    assert not ApiToken.objects.exists()


def test_api_tokens_of_supervisors_need_the_code(client: Client, org: Org) -> None:
    device = with_device(org.office_supervisor)

    missing = token(client, "office_supervisor")
    wrong = token(client, "office_supervisor", wrong_code(device))

    assert missing.status_code == 401
    assert missing.json()["code"] == "otp_required"
    assert missing.json()["errors"] == {"otp": "此项为必填项。"}
    assert wrong.status_code == 401
    assert wrong.json()["code"] == "invalid_otp"
    assert not ApiToken.objects.exists()


def test_api_token_with_the_right_code(client: Client, org: Org) -> None:
    device = with_device(org.office_supervisor)
    response = token(client, "office_supervisor", code_of(device))
    assert response.status_code == 200
    assert ApiToken.objects.filter(user=org.office_supervisor).count() == 1


def test_api_tokens_of_liaisons_need_no_code(client: Client, org: Org) -> None:
    assert token(client, "lead_liaison").status_code == 200


def test_the_openapi_document_describes_the_otp_field(client: Client) -> None:
    document = client.get("/api/v1/openapi.json").json()
    token_in = document["components"]["schemas"]["TokenIn"]
    assert "otp" in token_in["properties"]
    assert "otp" not in token_in.get("required", [])


# ----------------------------------------------------------------------------- reset


def test_the_security_admin_resets_a_lost_authenticator(
    client: Client, org: Org, security_admin: User
) -> None:
    with_device(org.office_supervisor)
    with_device(security_admin)
    admin = Client()
    login(admin, "security_admin")
    admin.post(VERIFY, {"code": code_of(TOTPDevice.objects.get(user=security_admin))})

    page = admin.get(reverse("two-factor-devices")).content.decode()
    assert "<h1>身份验证器</h1>" in page and "孙督办" in page and "已绑定" in page
    response = admin.post(reverse("two-factor-reset", args=[org.office_supervisor.pk]))

    assert response["Location"] == reverse("two-factor-devices")
    assert not TOTPDevice.objects.filter(user=org.office_supervisor).exists()
    event = AuditEvent.objects.get(verb="otp_reset")
    assert event.actor == security_admin
    assert event.summary == "重置孙督办（office_supervisor）的身份验证器"
    # The supervisor sets up a new one at the next sign-in.
    login(client)
    assert client.get(reverse("my-work"))["Location"].startswith(SETUP)


def test_resetting_someone_without_an_authenticator_is_refused(
    client: Client, org: Org, security_admin: User, settings: Any
) -> None:
    settings.OTP_REQUIRED = False
    client.force_login(security_admin)
    before = AuditEvent.objects.count()

    client.post(reverse("two-factor-reset", args=[org.office_supervisor.pk]))

    assert (
        "孙督办尚未绑定身份验证器，无需重置。"
        in client.get(reverse("two-factor-devices")).content.decode()
    )
    assert AuditEvent.objects.count() == before


@pytest.mark.parametrize("role", ["system_admin", "audit_admin", "office_supervisor", "liaison"])
def test_nobody_else_can_reset(client: Client, org: Org, role: str, settings: Any) -> None:
    settings.OTP_REQUIRED = False
    with_device(org.office_supervisor)
    client.force_login(make_person(f"someone_{role}", role, None, "某人"))

    response = client.post(reverse("two-factor-reset", args=[org.office_supervisor.pk]))

    assert response.status_code == 403
    assert TOTPDevice.objects.filter(user=org.office_supervisor).count() == 1
    assert not AuditEvent.objects.filter(verb="otp_reset").exists()


def test_the_authenticator_secrets_are_not_in_the_admin() -> None:
    from django.contrib import admin

    assert not admin.site.is_registered(TOTPDevice)


# ----------------------------------------------------------------------------- demo command


def test_otp_secret_prints_the_current_code_for_a_demo_tester(org: Org, settings: Any) -> None:
    settings.DEBUG = True
    device = with_device(org.office_supervisor)
    out = StringIO()
    call_command("otp_secret", "office_supervisor", stdout=out)
    assert out.getvalue().strip() == code_of(device)


def test_otp_secret_is_refused_outside_debug(org: Org, settings: Any) -> None:
    settings.DEBUG = False
    with_device(org.office_supervisor)
    with pytest.raises(CommandError, match="只能在 DEBUG 模式下使用"):
        call_command("otp_secret", "office_supervisor", stdout=StringIO())


def test_otp_secret_explains_a_missing_authenticator(org: Org, settings: Any) -> None:
    settings.DEBUG = True
    with pytest.raises(CommandError, match="还没有身份验证器"):
        call_command("otp_secret", "office_supervisor", stdout=StringIO())
