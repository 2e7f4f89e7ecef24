"""The administrators manage units and people in the admin pages."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from duban.organisation.models import Role, Unit, User

from .conftest import PASSWORD, Org


@pytest.fixture
def admin_client(org: Org) -> Client:
    admin = org.system_admin
    admin.is_staff = True
    admin.is_superuser = True
    admin.save()
    client = Client()
    client.force_login(admin)
    return client


def unit_form(org: Org, **overrides: Any) -> dict[str, Any]:
    data = {
        "code": "0900",
        "name": "研究生院",
        "kind": "department",
        "head": "",
        "liaison": "",
        "leader_in_charge": org.leader_in_charge.pk,
        "is_active": "on",
    }
    data.update(overrides)
    return data


def test_admin_lists_units_and_people(admin_client: Client, org: Org) -> None:
    units = admin_client.get("/admin/organisation/unit/")
    assert units.status_code == 200
    assert "教务处" in units.content.decode()
    people = admin_client.get("/admin/organisation/user/")
    assert people.status_code == 200
    assert "周联络" in people.content.decode()


def test_admin_creates_a_unit(admin_client: Client, org: Org) -> None:
    response = admin_client.post("/admin/organisation/unit/add/", unit_form(org))
    assert response.status_code == 302
    unit = Unit.objects.get(code="0900")
    assert unit.name == "研究生院"
    assert unit.leader_in_charge == org.leader_in_charge


def test_liaison_must_belong_to_the_unit(admin_client: Client, org: Org) -> None:
    before = list(Unit.objects.values().order_by("pk"))
    response = admin_client.post(
        f"/admin/organisation/unit/{org.lead_unit.pk}/change/",
        unit_form(
            org,
            code=org.lead_unit.code,
            name=org.lead_unit.name,
            head=org.lead_head.pk,
            liaison=org.other_unit_liaison.pk,
        ),
    )
    assert response.status_code == 200
    assert "该人员不属于本单位" in response.content.decode()
    assert list(Unit.objects.values().order_by("pk")) == before


def test_leader_in_charge_must_be_a_school_leader(admin_client: Client, org: Org) -> None:
    response = admin_client.post(
        "/admin/organisation/unit/add/", unit_form(org, leader_in_charge=org.lead_head.pk)
    )
    assert response.status_code == 200
    assert "分管校领导必须是校领导角色" in response.content.decode()
    assert not Unit.objects.filter(code="0900").exists()


def test_a_special_office_exists_once(admin_client: Client, org: Org) -> None:
    response = admin_client.post(
        "/admin/organisation/unit/add/", unit_form(org, kind="general_office")
    )
    assert response.status_code == 200
    assert not Unit.objects.filter(code="0900").exists()


def test_unit_people_cannot_use_the_admin(org: Org) -> None:
    client = Client()
    assert client.login(username=org.lead_liaison.username, password=PASSWORD)
    response = client.get("/admin/organisation/unit/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_person_roles_are_the_documented_ones() -> None:
    assert set(Role.values) == {
        "office_supervisor",
        "unit_head",
        "liaison",
        "unit_member",
        "school_leader",
        "system_admin",
        "security_admin",
        "audit_admin",
    }
    assert User._meta.get_field("role").choices is not None


def test_the_system_admin_cannot_grant_an_administrator_role(
    admin_client: Client, org: Org
) -> None:
    """三员分立: no administrator role is given through the admin pages."""
    person = org.lead_liaison
    response = admin_client.post(
        f"/admin/organisation/user/{person.pk}/change/",
        {
            "username": person.username,
            "full_name": person.full_name,
            "role": "audit_admin",
            "unit": org.lead_unit.pk,
            "is_active": "on",
            "date_joined_0": "2026-01-01",
            "date_joined_1": "00:00:00",
        },
    )
    assert response.status_code == 200
    person.refresh_from_db()
    assert person.role == "liaison"
    page = admin_client.get(f"/admin/organisation/user/{person.pk}/change/").content.decode()
    assert 'value="audit_admin"' not in page
    assert 'value="system_admin"' not in page


def test_administrator_accounts_are_read_only_in_the_admin(admin_client: Client, org: Org) -> None:
    page = admin_client.get(f"/admin/organisation/user/{org.system_admin.pk}/change/")
    assert page.status_code == 200
    assert 'name="role"' not in page.content.decode()
