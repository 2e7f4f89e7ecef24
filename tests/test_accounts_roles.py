"""The three administrators kept apart (三员分立, MLPS level 3): each role × each
administrative page → allowed or refused; a refused change changes nothing.

- system_admin: Django's admin (units, people, calendar); not the audit log;
- security_admin: locked accounts and authenticator resets; not people, not the log;
- audit_admin: the audit log and its export; not people, not locks.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib import admin
from django.test import Client

from duban.audit.models import AuditEvent
from duban.organisation.models import Role, Unit, User
from tests.conftest import Org, make_person

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def password_sign_in_only(settings: Any) -> None:
    # Two-factor sign-in has its own tests (test_accounts_two_factor.py).
    settings.OTP_REQUIRED = False


ROLES = ["system_admin", "security_admin", "audit_admin", "office_supervisor", "liaison"]

# page -> the one role allowed
PAGES = {
    "/admin/": "system_admin",
    "/admin/organisation/unit/": "system_admin",
    "/admin/organisation/user/": "system_admin",
    "/admin/workcalendar/calendaryear/": "system_admin",
    "/admin/workcalendar/calendarday/": "system_admin",
    "/audit/": "audit_admin",
    "/audit/export/": "audit_admin",
    "/accounts/locks/": "security_admin",
    "/accounts/two-factor/": "security_admin",
}


@pytest.fixture
def people(org: Org) -> dict[str, User]:
    """One person per role, every one of them staff and superuser: the role decides."""
    people = {
        "system_admin": org.system_admin,
        "security_admin": make_person("security_admin", Role.SECURITY_ADMIN, None, "鲁安全"),
        "audit_admin": make_person("audit_admin", Role.AUDIT_ADMIN, None, "马审计"),
        "office_supervisor": org.office_supervisor,
        "liaison": org.lead_liaison,
    }
    for person in people.values():
        person.is_staff = True
        person.is_superuser = True
        person.save()
    return people


def refused(response: Any, url: str) -> bool:
    if url.startswith("/admin/"):
        # The admin sends a person without permission to its own login page.
        return response.status_code == 302 and response["Location"].startswith("/admin/login/")
    return response.status_code == 403


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("url", list(PAGES))
def test_each_role_reaches_exactly_its_own_pages(
    client: Client, people: dict[str, User], role: str, url: str
) -> None:
    client.force_login(people[role])
    response = client.get(url)
    if PAGES[url] == role:
        assert response.status_code == 200, response
    else:
        assert refused(response, url), (response.status_code, response.get("Location"))


@pytest.mark.parametrize("role", [role for role in ROLES if role != "system_admin"])
def test_only_the_system_admin_changes_units_and_people(
    client: Client, org: Org, people: dict[str, User], role: str
) -> None:
    client.force_login(people[role])
    before = (list(Unit.objects.values()), list(User.objects.values()))

    added = client.post(
        "/admin/organisation/unit/add/",
        {"code": "0900", "name": "研究生院", "kind": "department", "is_active": "on"},
    )
    changed = client.post(
        f"/admin/organisation/user/{org.lead_liaison.pk}/change/",
        {"username": "lead_liaison", "role": "system_admin", "full_name": "改名"},
    )

    assert refused(added, "/admin/") and refused(changed, "/admin/")
    assert (list(Unit.objects.values()), list(User.objects.values())) == before


def test_the_audit_log_is_not_in_the_admin_at_all() -> None:
    assert not admin.site.is_registered(AuditEvent)


def test_the_system_admin_cannot_read_the_audit_log(
    client: Client, people: dict[str, User]
) -> None:
    client.force_login(people["system_admin"])
    assert client.get("/audit/").status_code == 403
    assert client.get("/admin/audit/auditevent/").status_code == 404


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_nobody_edits_the_audit_log_through_its_pages(
    client: Client, people: dict[str, User], method: str
) -> None:
    client.force_login(people["audit_admin"])
    before = list(AuditEvent.objects.values())
    for url in ("/audit/", "/audit/export/"):
        assert getattr(client, method)(url).status_code == 405
    assert list(AuditEvent.objects.values()) == before


def test_the_header_links_each_administrator_to_their_pages(
    client: Client, people: dict[str, User]
) -> None:
    links = {
        "system_admin": 'href="/admin/"',
        "security_admin": 'href="/accounts/locks/"',
        "audit_admin": 'href="/audit/"',
    }
    for role, person in people.items():
        client.force_login(person)
        page = client.get("/inbox/").content.decode()
        for owner, link in links.items():
            assert (link in page) == (owner == role), (role, link)
