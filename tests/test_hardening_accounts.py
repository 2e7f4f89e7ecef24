"""Issue 14, sections 2 and 3: every administrator change is in the audit chain with
its old and new values, where the audit administrator sees it; API tokens end with
the person's access (password, lock, deactivation, role), and a person lists and
revokes their own tokens.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from duban.accounts.lockout import lock_after
from duban.api.models import ApiToken
from duban.api.tokens import issue_token
from duban.audit.models import AuditEvent
from duban.items.models import Notice
from duban.organisation.models import Role, Unit, UnitKind, User
from duban.workcalendar.models import CalendarDay

from .conftest import PASSWORD, Org, make_person

NEW_PASSWORD = "Another-Pass-2026!"


@pytest.fixture
def admin_client(org: Org) -> Client:
    # The admin's person form always posts date_joined; keep it as stored.
    User.objects.update(date_joined=dt.datetime(2026, 1, 1, tzinfo=ZoneInfo("Asia/Shanghai")))
    admin = org.system_admin
    admin.is_staff = True
    admin.is_superuser = True
    admin.save()
    client = Client()
    client.force_login(admin)
    return client


@pytest.fixture
def auditor(db: Any) -> Client:
    client = Client()
    client.force_login(make_person("auditadmin", Role.AUDIT_ADMIN, None, "马审计"))
    return client


@pytest.fixture
def security_admin(db: Any) -> User:
    return make_person("secadmin", Role.SECURITY_ADMIN, None, "鲁安全")


def person_form(person: User, **overrides: Any) -> dict[str, Any]:
    data = {
        "username": person.username,
        "full_name": person.full_name,
        "role": person.role,
        "unit": person.unit_id or "",
        "title": person.title,
        "portfolio": person.portfolio,
        "phone": person.phone,
        "is_active": "on" if person.is_active else "",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value != ""}


def api_status(token: str) -> int:
    return Client(headers={"Authorization": f"Bearer {token}"}).get("/api/v1/me").status_code


def audit_page(auditor: Client, **query: str) -> str:
    response = auditor.get(reverse("audit-log"), query)
    assert response.status_code == 200
    return response.content.decode()


# ----------------------------------------------------------------------------- section 2


def test_a_role_change_in_the_admin_is_audited_with_old_and_new_values(
    admin_client: Client, auditor: Client, security_admin: User, org: Org
) -> None:
    """The probe's case: a liaison made a supervisor of 纪委办公室 in /admin/."""
    discipline = Unit.objects.create(
        code="0500", name="纪委办公室/监察处", kind=UnitKind.DISCIPLINE_OFFICE
    )
    person = org.lead_liaison
    token = issue_token(person)[0]
    assert api_status(token) == 200

    response = admin_client.post(
        f"/admin/organisation/user/{person.pk}/change/",
        person_form(person, role=Role.OFFICE_SUPERVISOR, unit=discipline.pk),
    )
    assert response.status_code == 302, response.content.decode()[:3000]

    event = AuditEvent.objects.get(verb="admin_change")
    assert event.actor == org.system_admin
    assert event.data["model"] == "organisation.user"
    assert event.data["object_id"] == person.pk
    assert event.data["changes"] == {
        "role": {"old": "联络员", "new": "督办员"},
        "unit": {"old": "教务处", "new": "纪委办公室/监察处"},
    }
    assert event.summary == (
        "修改人员“周联络”：角色：联络员→督办员；所在单位：教务处→纪委办公室/监察处"
    )
    page = audit_page(auditor, verb="admin_change")
    assert "系统管理：修改" in page
    assert "角色：联络员→督办员" in page
    # The person's tokens ended with the role, and the security administrator is told.
    assert api_status(token) == 401
    assert not ApiToken.objects.filter(user=person).exists()
    assert AuditEvent.objects.filter(verb="revoke_api_tokens").count() == 1
    notice = Notice.objects.get(recipient=security_admin)
    assert notice.title == "人员权限变更：周联络成为纪委办公室/监察处督办员"


def test_creating_a_person_in_the_admin_is_audited(
    admin_client: Client, auditor: Client, org: Org
) -> None:
    response = admin_client.post(
        "/admin/organisation/user/add/",
        {
            "username": "new_member",
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
            "usable_password": "true",
            "full_name": "钱新人",
            "role": Role.UNIT_MEMBER,
            "unit": org.lead_unit.pk,
            "title": "科员",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    event = AuditEvent.objects.get(verb="admin_create")
    assert event.data["changes"]["role"] == {"old": "", "new": "单位成员"}
    assert event.data["changes"]["unit"] == {"old": "", "new": "教务处"}
    assert "password1" not in event.data["changes"]
    assert NEW_PASSWORD not in event.summary
    assert "新增人员“钱新人”" in audit_page(auditor, verb="admin_create")


def test_a_unit_change_in_the_admin_is_audited(
    admin_client: Client, auditor: Client, org: Org
) -> None:
    unit = org.other_unit
    response = admin_client.post(
        f"/admin/organisation/unit/{unit.pk}/change/",
        {
            "code": unit.code,
            "name": "计划财务处",
            "kind": unit.kind,
            "head": unit.head_id,
            "liaison": unit.liaison_id,
            "leader_in_charge": unit.leader_in_charge_id,
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    event = AuditEvent.objects.get(verb="admin_change")
    assert event.data["model"] == "organisation.unit"
    assert event.data["changes"] == {
        "name": {"old": "财务处", "new": "计划财务处"},
        "is_active": {"old": "是", "new": "否"},
    }
    assert "单位名称：财务处→计划财务处" in audit_page(auditor, verb="admin_change")


def test_setting_a_password_in_the_admin_is_audited_and_ends_tokens(
    admin_client: Client, auditor: Client, org: Org
) -> None:
    person = org.lead_head
    token = issue_token(person)[0]
    response = admin_client.post(
        f"/admin/organisation/user/{person.pk}/password/",
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"},
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    person.refresh_from_db()
    assert person.check_password(NEW_PASSWORD)
    event = AuditEvent.objects.get(verb="admin_set_password")
    assert event.actor == org.system_admin
    assert event.data["username"] == "lead_head"
    assert NEW_PASSWORD not in str(event.data) and NEW_PASSWORD not in event.summary
    assert api_status(token) == 401
    page = audit_page(auditor, verb="admin_set_password")
    assert "重设李处长（lead_head）的登录密码" in page


def test_a_calendar_day_changed_in_the_admin_is_audited(
    admin_client: Client, auditor: Client, org: Org
) -> None:
    day = CalendarDay.objects.get(day="2026-10-01")
    assert day.kind == "holiday"
    response = admin_client.post(
        f"/admin/workcalendar/calendarday/{day.pk}/change/",
        {"kind": "workday", "note": "临时调整"},
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    event = AuditEvent.objects.get(verb="admin_change")
    assert event.data["model"] == "workcalendar.calendarday"
    assert event.data["changes"]["kind"] == {"old": "休息日", "new": "工作日"}
    assert "休息日→工作日" in audit_page(auditor, verb="admin_change")


def test_a_calendar_year_loaded_in_the_admin_is_audited(
    admin_client: Client, auditor: Client, org: Org
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    content = "2027-01-01 holiday 元旦\n".encode()
    response = admin_client.post(
        "/admin/workcalendar/calendaryear/import/",
        {"year": "2027", "file": SimpleUploadedFile("2027.txt", content, "text/plain")},
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    event = AuditEvent.objects.get(verb="admin_load_calendar")
    assert event.data == {"year": 2027, "days": 365}
    assert "导入2027年日历（365天）" in audit_page(auditor, verb="admin_load_calendar")


def test_unlocking_and_resetting_two_factor_are_on_the_audit_page(
    auditor: Client, security_admin: User, org: Org
) -> None:
    from duban.accounts import actions
    from duban.accounts.lockout import register_failure

    for _attempt in range(lock_after()):
        register_failure("lead_liaison")
    actions.unlock_account(security_admin, "lead_liaison")
    TOTPDevice.objects.create(user=org.office_supervisor, name="phone", confirmed=True)
    actions.reset_two_factor(security_admin, org.office_supervisor)
    page = audit_page(auditor)
    assert "账号解锁" in page and "解锁账号lead_liaison" in page
    assert "重置身份验证器" in page and "重置孙督办（office_supervisor）的身份验证器" in page


# ----------------------------------------------------------------------------- section 3


def test_a_token_ends_when_its_owner_changes_the_password(org: Org) -> None:
    person = org.lead_liaison
    token = issue_token(person)[0]
    assert api_status(token) == 200
    client = Client()
    client.force_login(person)
    response = client.post(
        reverse("password-change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert api_status(token) == 401
    assert not ApiToken.objects.filter(user=person).exists()


def test_a_token_ends_the_moment_its_owner_is_locked(org: Org) -> None:
    from duban.accounts.lockout import register_failure

    person = org.lead_liaison
    token = issue_token(person)[0]
    for attempt in range(lock_after()):
        assert api_status(token) == 200, attempt
        register_failure(person.username)
    assert api_status(token) == 401
    event = AuditEvent.objects.get(verb="revoke_api_tokens")
    assert event.data["reason"] == "账号被锁定"


def test_a_token_ends_when_its_owner_is_deactivated_in_the_admin(
    admin_client: Client, org: Org
) -> None:
    person = org.cooperating_liaison
    token = issue_token(person)[0]
    response = admin_client.post(
        f"/admin/organisation/user/{person.pk}/change/", person_form(person, is_active="")
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert api_status(token) == 401


def test_a_token_ends_with_a_role_changed_anywhere(org: Org) -> None:
    """Whatever path changes the role (a command, the shell), the token no longer works."""
    person = org.lead_liaison
    token = issue_token(person)[0]
    User.objects.filter(pk=person.pk).update(role=Role.UNIT_MEMBER)
    assert api_status(token) == 401


def test_a_person_lists_and_revokes_their_own_tokens(org: Org) -> None:
    person = org.lead_liaison
    kept, kept_row = issue_token(person)
    ended, ended_row = issue_token(person)
    _other, other_row = issue_token(org.lead_head)
    client = Client()
    client.force_login(person)
    page = client.get(reverse("api-tokens"))
    assert page.status_code == 200
    text = page.content.decode()
    assert text.count(reverse("api-token-revoke", args=[kept_row.pk])) == 1
    assert reverse("api-token-revoke", args=[ended_row.pk]) in text
    assert reverse("api-token-revoke", args=[other_row.pk]) not in text
    assert kept not in text and ended not in text  # never the token itself

    response = client.post(reverse("api-token-revoke", args=[ended_row.pk]))
    assert response.status_code == 302
    assert api_status(ended) == 401
    assert api_status(kept) == 200
    assert AuditEvent.objects.filter(verb="revoke_api_token", actor=person).count() == 1

    # Another person's token is not found, and stays.
    events = AuditEvent.objects.count()
    response = client.post(reverse("api-token-revoke", args=[other_row.pk]))
    assert response.status_code == 404
    assert ApiToken.objects.filter(pk=other_row.pk).exists()
    assert AuditEvent.objects.count() == events
