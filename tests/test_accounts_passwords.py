"""Passwords (MLPS level 3): complexity, no reuse of the last five, the change page."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from duban.accounts import actions
from duban.accounts.models import PasswordHistory
from duban.audit.models import AuditEvent
from duban.organisation.demo import DEMO_PASSWORD
from duban.organisation.models import User
from tests.conftest import PASSWORD, Org

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def password_sign_in_only(settings: Any) -> None:
    # Two-factor sign-in has its own tests (test_accounts_two_factor.py).
    settings.OTP_REQUIRED = False


COMPLEXITY = "密码至少10个字符，且包含大写字母、小写字母、数字、符号中的至少3类。"
REUSED = "新密码不能与最近5次使用过的密码相同。"


@pytest.fixture(autouse=True)
def frozen_clock() -> Iterator[Any]:
    with time_machine.travel(dt.datetime(2026, 9, 28, 2, 0, tzinfo=dt.UTC), tick=False) as moved:
        yield moved


def refusals(password: str, user: Any = None) -> list[str]:
    try:
        validate_password(password, user)
    except ValidationError as error:
        return list(error.messages)
    return []


# ----------------------------------------------------------------------------- complexity


@pytest.mark.parametrize("password", [DEMO_PASSWORD, PASSWORD, "Abcdefgh12", "abcdefgh1!"])
def test_strong_passwords_pass_every_validator(password: str) -> None:
    # The published demo password must stay valid: 10 characters, 4 kinds.
    newcomer = User(username="newcomer", full_name="新同事")
    assert refusals(password, newcomer) == []


@pytest.mark.parametrize(
    "password",
    [
        "Ab1!xyz",  # 7 characters, 4 kinds
        "Abcd1!xyz",  # 9 characters
        "abcdefghijkl",  # one kind
        "abcdefgh1234",  # two kinds
        "ABCDEFGH!!!!",  # two kinds
        "密码密码密码密码密码1A",  # Chinese characters are not a kind of their own
    ],
)
def test_weak_passwords_are_refused_in_chinese(org: Org, password: str) -> None:
    assert COMPLEXITY in refusals(password, org.lead_liaison)


# ----------------------------------------------------------------------------- history


def change(user: User, password: str) -> None:
    validate_password(password, user)
    actions.change_password(user, password)
    user.refresh_from_db()


def test_the_last_five_passwords_cannot_be_reused(org: Org) -> None:
    user = org.lead_liaison
    used = [f"Rotation-{n}-2026" for n in range(1, 6)]
    for password in used:
        change(user, password)

    # The current one and the four before it are refused; the one before those is free.
    for password in used:
        assert REUSED in refusals(password, user)
    assert refusals(PASSWORD, user) == []
    assert PasswordHistory.objects.filter(user=user).count() == 5
    change(user, PASSWORD)
    assert authenticate(username=user.username, password=PASSWORD) == user


def test_the_current_password_counts_even_without_a_history(org: Org) -> None:
    # Accounts created with a ready hash (the demo's) have no history rows yet.
    user = org.lead_liaison
    PasswordHistory.objects.filter(user=user).delete()
    assert REUSED in refusals(PASSWORD, user)


def test_setting_a_password_records_only_its_hash(org: Org) -> None:
    user = org.lead_liaison
    change(user, "Brand-New-Secret-1")
    newest = PasswordHistory.objects.filter(user=user).first()
    assert newest is not None
    assert newest.password_hash == user.password
    assert "Brand-New-Secret-1" not in newest.password_hash


# ----------------------------------------------------------------------------- the page


@pytest.fixture
def signed_in(client: Client, org: Org) -> Client:
    client.force_login(org.lead_liaison)
    return client


def post_change(client: Client, old: str, new: str, again: str | None = None) -> Any:
    return client.post(
        reverse("password-change"),
        {"old_password": old, "new_password1": new, "new_password2": again or new},
    )


def test_the_header_links_to_the_change_page_and_it_is_in_chinese(signed_in: Client) -> None:
    page = signed_in.get(reverse("password-change")).content.decode()
    assert f'href="{reverse("password-change")}"' in page
    assert "<h1>修改密码</h1>" in page
    assert "不能与最近5次使用过的密码相同" in page


def test_changing_the_password_keeps_the_session_and_is_audited(
    signed_in: Client, org: Org
) -> None:
    response = post_change(signed_in, PASSWORD, "Another-Secret-7")

    assert response.status_code == 302
    assert response["Location"] == reverse("my-work")
    page = signed_in.get(reverse("my-work"))
    assert page.status_code == 200
    assert "密码已修改。" in page.content.decode()
    assert authenticate(username="lead_liaison", password="Another-Secret-7") == org.lead_liaison
    event = AuditEvent.objects.get(verb="password_changed")
    assert event.actor == org.lead_liaison
    assert event.data["username"] == "lead_liaison"


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("wrong-old-password", "Another-Secret-7", "你的旧密码不正确"),
        (PASSWORD, "abcdefghijk", COMPLEXITY),
        (PASSWORD, PASSWORD, REUSED),
    ],
)
def test_a_refused_change_says_why_and_changes_nothing(
    signed_in: Client, org: Org, old: str, new: str, message: str
) -> None:
    before = (
        User.objects.get(pk=org.lead_liaison.pk).password,
        PasswordHistory.objects.count(),
        AuditEvent.objects.count(),
    )

    response = post_change(signed_in, old, new)

    assert response.status_code == 200
    assert message in response.content.decode()
    after = (
        User.objects.get(pk=org.lead_liaison.pk).password,
        PasswordHistory.objects.count(),
        AuditEvent.objects.count(),
    )
    assert after == before


def test_anonymous_visitors_are_sent_to_login(client: Client) -> None:
    response = client.get(reverse("password-change"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_passwords_are_hashed_with_argon2id_and_older_hashes_upgrade_at_sign_in(
    org: Org, settings: Any
) -> None:
    """Production hashes with Argon2id; a PBKDF2 hash from an earlier version still signs
    in, and is replaced by an Argon2id hash at that sign-in."""
    from django.contrib.auth.hashers import make_password

    from duban import settings as production

    settings.PASSWORD_HASHERS = production.PASSWORD_HASHERS
    person = org.lead_liaison
    person.set_password(PASSWORD)
    person.save(update_fields=["password"])
    assert person.password.startswith("argon2$argon2id$")

    older = make_password(PASSWORD, hasher="pbkdf2_sha256")
    User.objects.filter(pk=person.pk).update(password=older)
    assert authenticate(username=person.username, password="Wrong-pass-1") is None
    assert User.objects.get(pk=person.pk).password == older  # a failed try changes nothing
    assert authenticate(username=person.username, password=PASSWORD) is not None
    assert User.objects.get(pk=person.pk).password.startswith("argon2$argon2id$")
