"""CAS single sign-on through a real CAS server (django-cas-server in its own process on
loopback, tests/cas_server.py): the CAS user is matched by 工号, refused with a Chinese
page when unknown, when the ticket fails or when the server is down; lockout, audit,
the previous-login notice, two-factor sign-in, LOCAL_LOGIN_ROLES and single logout."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.test import Client
from django_cas_ng.models import SessionTicket

from duban.accounts.lockout import register_failure
from duban.accounts.models import AccountProfile
from duban.api.models import ApiToken
from duban.audit.models import AuditEvent
from duban.organisation.models import Role, User
from tests.cas_server import CasServer, free_port, hidden_value, start_cas_server
from tests.conftest import PASSWORD, Org, make_person

CAS_PASSWORD = "Cas-Test-2026!"
# CAS user ids (工号) in the CAS server's user store.
LEAD_LIAISON = "20260001"
OFFICE_SUPERVISOR = "20260002"
UNKNOWN = "20269999"
OTHER_LIAISON = "20260004"


@pytest.fixture(scope="session")
def cas_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CasServer]:
    users = {
        number: CAS_PASSWORD for number in (LEAD_LIAISON, OFFICE_SUPERVISOR, UNKNOWN, OTHER_LIAISON)
    }
    with start_cas_server(tmp_path_factory.mktemp("cas-server"), users) as server:
        yield server


@pytest.fixture
def cas_on(settings: Any, cas_server: CasServer) -> CasServer:
    settings.CAS_SERVER_URL = cas_server.url
    return cas_server


@pytest.fixture
def staff_numbers(org: Org) -> Org:
    # Test set-up, not an action: the people as the directory sync leaves them.
    User.objects.filter(pk=org.lead_liaison.pk).update(staff_number=LEAD_LIAISON)
    User.objects.filter(pk=org.office_supervisor.pk).update(staff_number=OFFICE_SUPERVISOR)
    User.objects.filter(pk=org.other_unit_liaison.pk).update(staff_number=OTHER_LIAISON)
    return org


def cas_sign_in(client: Client, cas: CasServer, number: str, next_page: str = "/") -> Any:
    """The whole round: duban → CAS login → back to duban with a ticket."""
    start = client.get("/accounts/cas/login/", {"next": next_page})
    assert start.status_code == 302
    assert start["Location"].startswith(cas.url + "login?")
    service = parse_qs(urlsplit(start["Location"]).query)["service"][0]
    back = cas.ticket_for(number, CAS_PASSWORD, service)
    assert back.startswith("http://testserver/accounts/cas/login/")
    return client.get(back.removeprefix("http://testserver"))


def events(verb: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(verb=verb).order_by("sequence"))


def test_login_page_offers_cas_only_when_configured(
    client: Client, db: Any, settings: Any, cas_server: CasServer
) -> None:
    assert "统一身份认证登录" not in client.get("/login/").content.decode()
    assert client.get("/accounts/cas/login/").status_code == 404
    settings.CAS_SERVER_URL = cas_server.url
    page = client.get("/login/", {"next": "/items/"}).content.decode()
    assert "统一身份认证登录" in page
    assert 'href="/accounts/cas/login/?next=/items/"' in page
    assert 'name="password"' in page  # the local form stays


def test_cas_sign_in_lands_on_my_work_as_the_person_with_that_staff_number(
    client: Client, cas_on: CasServer, staff_numbers: Org
) -> None:
    answer = cas_sign_in(client, cas_on, LEAD_LIAISON)
    assert answer.status_code == 302
    assert answer["Location"] == "/"
    page = client.get("/")
    assert page.status_code == 200
    assert page.wsgi_request.user == staff_numbers.lead_liaison
    assert "我的工作" in page.content.decode()
    assert "欢迎！这是您第一次登录督办系统。" in page.content.decode()
    (login,) = events("login")
    assert login.actor == staff_numbers.lead_liaison
    assert login.data["channel"] == "cas"
    assert AccountProfile.objects.get(user=staff_numbers.lead_liaison).last_login_ip == "127.0.0.1"
    assert SessionTicket.objects.filter(session_key=client.session.session_key).count() == 1

    # The second time, the previous sign-in is shown, as for a password.
    client.post("/logout/")
    cas_sign_in(client, cas_on, LEAD_LIAISON)
    assert "上次登录：" in client.get("/").content.decode()


def test_next_page_is_kept_through_the_round(
    client: Client, cas_on: CasServer, staff_numbers: Org
) -> None:
    answer = cas_sign_in(client, cas_on, LEAD_LIAISON, next_page="/items/")
    assert answer["Location"] == "/items/"
    answer = cas_sign_in(Client(), cas_on, LEAD_LIAISON, next_page="https://evil.example/")
    assert answer["Location"] == "/"


def test_unknown_cas_user_is_refused_and_not_created(
    client: Client, cas_on: CasServer, staff_numbers: Org
) -> None:
    people = User.objects.count()
    answer = cas_sign_in(client, cas_on, UNKNOWN)
    assert answer.status_code == 403
    text = answer.content.decode()
    assert f"统一身份认证账号“{UNKNOWN}”未在督办系统中登记" in text
    assert User.objects.count() == people
    assert "_auth_user_id" not in client.session
    (failure,) = events("login_failed")
    assert failure.data["reason"] == "unknown_cas_user"
    assert failure.data["cas_user"] == UNKNOWN
    assert events("login") == []


def test_a_ticket_that_fails_validation_is_refused(
    client: Client, cas_on: CasServer, staff_numbers: Org
) -> None:
    answer = client.get("/accounts/cas/login/", {"next": "/", "ticket": "ST-not-a-real-ticket"})
    assert answer.status_code == 403
    assert "统一身份认证票据无效或已过期，请重新登录。" in answer.content.decode()
    # A real ticket, used a second time, fails too (the CAS server says so).
    start = client.get("/accounts/cas/login/", {"next": "/"})
    service = parse_qs(urlsplit(start["Location"]).query)["service"][0]
    back = cas_on.ticket_for(LEAD_LIAISON, CAS_PASSWORD, service).removeprefix("http://testserver")
    assert client.get(back).status_code == 302
    other = Client()
    answer = other.get(back)
    assert answer.status_code == 403
    assert "票据无效" in answer.content.decode()
    assert "_auth_user_id" not in other.session
    assert [event.data["reason"] for event in events("login_failed")] == [
        "invalid_ticket",
        "invalid_ticket",
    ]


def test_a_cas_server_that_is_down_is_refused_and_local_login_still_works(
    client: Client, settings: Any, staff_numbers: Org
) -> None:
    settings.CAS_SERVER_URL = f"http://127.0.0.1:{free_port()}/cas/"
    for query in ({"next": "/"}, {"next": "/", "ticket": "ST-anything"}):
        answer = client.get("/accounts/cas/login/", query)
        assert answer.status_code == 503
        assert "统一身份认证服务暂时无法访问，请稍后再试。" in answer.content.decode()
        assert "_auth_user_id" not in client.session
    answer = client.post("/login/", {"username": "lead_liaison", "password": PASSWORD})
    assert answer.status_code == 302
    assert client.get("/").wsgi_request.user == staff_numbers.lead_liaison


def test_a_locked_account_stays_locked_through_cas(
    client: Client, cas_on: CasServer, staff_numbers: Org
) -> None:
    for _attempt in range(5):
        register_failure("lead_liaison")
    answer = cas_sign_in(client, cas_on, LEAD_LIAISON)
    assert answer.status_code == 403
    assert "账号已锁定：连续5次登录失败" in answer.content.decode()
    assert "_auth_user_id" not in client.session
    assert events("login_failed")[-1].data["reason"] == "locked"


def test_a_deactivated_person_cannot_sign_in_through_cas(
    client: Client, cas_on: CasServer, staff_numbers: Org
) -> None:
    User.objects.filter(pk=staff_numbers.lead_liaison.pk).update(is_active=False)
    answer = cas_sign_in(client, cas_on, LEAD_LIAISON)
    assert answer.status_code == 403
    assert "账号已停用" in answer.content.decode()
    assert "_auth_user_id" not in client.session


def test_two_factor_roles_still_enter_their_code_after_cas(
    client: Client, cas_on: CasServer, staff_numbers: Org, settings: Any
) -> None:
    settings.OTP_REQUIRED = True
    cas_sign_in(client, cas_on, OFFICE_SUPERVISOR)
    answer = client.get("/items/")
    assert answer.status_code == 302
    assert answer["Location"].startswith("/accounts/two-factor/setup/")
    # A liaison's role needs no second factor.
    liaison = Client()
    cas_sign_in(liaison, cas_on, LEAD_LIAISON)
    assert liaison.get("/items/").status_code == 200


def test_cas_satisfies_otp_when_told_so(
    client: Client, cas_on: CasServer, staff_numbers: Org, settings: Any
) -> None:
    settings.OTP_REQUIRED = True
    settings.CAS_SATISFIES_OTP = True
    cas_sign_in(client, cas_on, OFFICE_SUPERVISOR)
    assert client.get("/items/").status_code == 200
    # A password sign-in of the same person still needs the code.
    local = Client()
    local.post("/login/", {"username": "office_supervisor", "password": PASSWORD})
    assert local.get("/items/").status_code == 302


def test_local_login_roles_limit_the_password_form(
    client: Client, cas_on: CasServer, staff_numbers: Org, settings: Any
) -> None:
    settings.LOCAL_LOGIN_ROLES = ["system_admin", "security_admin", "audit_admin"]
    page = client.get("/login/").content.decode()
    assert "仅限以下角色使用：系统管理员、安全管理员、审计管理员。" in page
    answer = client.post("/login/", {"username": "lead_liaison", "password": PASSWORD})
    assert answer.status_code == 200
    assert "您的账号须通过统一身份认证登录，不能使用账号密码登录。" in answer.content.decode()
    assert "_auth_user_id" not in client.session
    assert events("login_failed")[-1].data["reason"] == "local_login_not_allowed"
    # The API's token endpoint says the same and issues nothing.
    answer = client.post(
        "/api/v1/auth/token",
        {"username": "lead_liaison", "password": PASSWORD},
        content_type="application/json",
    )
    assert answer.status_code == 403
    assert answer.json()["code"] == "local_login_not_allowed"
    assert answer.json()["message"] == "您的账号须通过统一身份认证登录，不能使用账号密码登录。"
    assert ApiToken.objects.count() == 0
    # The administrators keep the form; the others come through CAS.
    admin = Client()
    assert (
        admin.post("/login/", {"username": "system_admin", "password": PASSWORD}).status_code == 302
    )
    cas_sign_in(client, cas_on, LEAD_LIAISON)
    assert client.get("/").wsgi_request.user == staff_numbers.lead_liaison


def test_without_cas_local_login_roles_change_nothing(
    client: Client, staff_numbers: Org, settings: Any
) -> None:
    settings.LOCAL_LOGIN_ROLES = ["system_admin"]
    answer = client.post("/login/", {"username": "lead_liaison", "password": PASSWORD})
    assert answer.status_code == 302


def test_signing_out_signs_out_of_cas_too(
    client: Client, cas_on: CasServer, staff_numbers: Org
) -> None:
    cas_sign_in(client, cas_on, LEAD_LIAISON)
    answer = client.post("/logout/")
    assert answer.status_code == 302
    assert answer["Location"].startswith(cas_on.url + "logout?")
    assert "http%3A%2F%2Ftestserver%2Flogin%2F" in answer["Location"]
    assert SessionTicket.objects.count() == 0
    assert "_auth_user_id" not in client.session
    (logout,) = events("logout")
    assert logout.actor == staff_numbers.lead_liaison
    # A password session signs out here only.
    local = Client()
    local.post("/login/", {"username": "other_unit_liaison", "password": PASSWORD})
    assert local.post("/logout/")["Location"] == "/login/"


def test_cas_sets_form_action_in_the_content_security_policy(
    client: Client, cas_on: CasServer, db: Any
) -> None:
    policy = client.get("/login/")["Content-Security-Policy"]
    origin = cas_on.url.removesuffix("/cas/")
    assert f"form-action 'self' {origin};" in policy


def test_a_stray_post_is_refused(client: Client, cas_on: CasServer, db: Any) -> None:
    answer = client.post("/accounts/cas/login/", {"something": "else"})
    assert answer.status_code == 400


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_single_logout_from_the_cas_server_ends_the_session(
    live_server: Any, cas_server: CasServer, settings: Any, tmp_path: Path
) -> None:
    """Over HTTP end to end: a session opened through CAS, then the CAS logout; the CAS
    server posts its logout request to duban, which ends the session."""
    settings.CAS_SERVER_URL = cas_server.url
    person = make_person("cas_person", Role.LIAISON, None, "单点退出")
    User.objects.filter(pk=person.pk).update(staff_number=LEAD_LIAISON)
    browser = requests.Session()
    # duban → CAS login form (followed by requests) → post the form → back to duban.
    form = browser.get(f"{live_server.url}/accounts/cas/login/?next=/", timeout=10)
    assert form.url.startswith(cas_server.url + "login")
    fields = {name: hidden_value(form.text, name) for name in ("lt", "csrfmiddlewaretoken")}
    fields["service"] = parse_qs(urlsplit(form.url).query)["service"][0]
    landed = browser.post(
        form.url,
        data={"username": LEAD_LIAISON, "password": CAS_PASSWORD, **fields},
        headers={"Referer": form.url},
        timeout=10,
    )
    assert landed.url == f"{live_server.url}/"
    assert "我的工作" in landed.text
    assert SessionTicket.objects.count() == 1
    browser.get(cas_server.url + "logout", timeout=10)
    assert SessionTicket.objects.count() == 0
    after = browser.get(f"{live_server.url}/", allow_redirects=False, timeout=10)
    assert after.status_code == 302
    assert after.headers["Location"].startswith("/login/")
    logout = AuditEvent.objects.filter(verb="logout").get()
    assert logout.actor_id == person.pk
    assert logout.data["channel"] == "cas"


def test_tickets_count_against_the_sign_in_throttle(
    client: Client, cas_on: CasServer, staff_numbers: Org, settings: Any
) -> None:
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "sign_in_address": "2/m"}
    for _attempt in range(2):
        answer = client.get("/accounts/cas/login/", {"ticket": "ST-guess"})
        assert answer.status_code == 403
    answer = client.get("/accounts/cas/login/", {"ticket": "ST-guess"})
    assert answer.status_code == 429
    assert "请求过于频繁" in answer.content.decode()
    assert len(events("login_failed")) == 2
    # Going to the CAS server (no ticket) is not a sign-in attempt.
    assert client.get("/accounts/cas/login/").status_code == 302
