"""`manage.py sync_org ldap://…` against a real slapd (tests/ldap_server.py): the same
facts as the spreadsheet, read through the LDAP_* attribute settings."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from duban.organisation.models import Unit, User
from tests.cas_server import free_port
from tests.conftest import PASSWORD
from tests.ldap_server import SUFFIX, LdapServer, slapd_installed, start_slapd
from tests.test_sync_org import PEOPLE, UNITS

pytestmark = pytest.mark.skipif(
    not slapd_installed(),
    reason="Debian's slapd is not installed (make system-deps installs slapd and ldap-utils)",
)


@pytest.fixture
def slapd(tmp_path: Path, settings: Any) -> Iterator[LdapServer]:
    with start_slapd(tmp_path / "slapd", free_port()) as server:
        settings.LDAP_UNIT_BASE = f"ou=units,{SUFFIX}"
        settings.LDAP_PEOPLE_BASE = f"ou=people,{SUFFIX}"
        # The deployment's own attribute names: here the 分管校领导 in `street` and
        # 在职 in `businessCategory`.
        settings.LDAP_UNIT_ATTRIBUTES = {**settings.LDAP_UNIT_ATTRIBUTES, "leader": "street"}
        settings.LDAP_PEOPLE_ATTRIBUTES = {
            **settings.LDAP_PEOPLE_ATTRIBUTES,
            "active": "businessCategory",
        }
        yield server


def add_unit(connection: Any, code: str, name: str, kind: str, leader: str) -> None:
    attributes = {"ou": code, "description": name, "businessCategory": kind}
    if leader:
        attributes["street"] = leader
    assert connection.add(f"ou={code},ou=units,{SUFFIX}", ["organizationalUnit"], attributes)


def add_person(connection: Any, row: list[str], uid: str = "") -> None:
    """An inetOrgPerson named by its uid: `uid`, or the 工号."""
    number, name, unit, title, role, phone, email, active = row
    attributes = {
        "cn": name,
        "sn": name[0],
        "employeeNumber": number,
        "employeeType": role,
        "businessCategory": active,
    }
    for key, value in (
        ("departmentNumber", unit),
        ("title", title),
        ("mobile", phone),
        ("mail", email),
    ):
        if value:
            attributes[key] = value
    assert connection.add(f"uid={uid or number},ou=people,{SUFFIX}", ["inetOrgPerson"], attributes)


def sync(*args: str) -> list[str]:
    out = io.StringIO()
    call_command("sync_org", *args, stdout=out)
    return out.getvalue().splitlines()


def test_done_when_from_the_test_slapd(db: Any, slapd: LdapServer) -> None:
    import ldap3

    connection = slapd.connect()
    for unit in UNITS:
        add_unit(connection, *unit)
    for row in PEOPLE:
        add_person(connection, row)
    assert sync(slapd.url)[-1] == "units +3 ~0 -0; people +10 ~0 -0"
    assert Unit.objects.get(code="0200").liaison.full_name == "周联络"
    assert Unit.objects.get(code="0300").leader_in_charge.staff_number == "10002"
    assert User.objects.get(staff_number="20005").phone == "13900000005"
    liaison = User.objects.get(staff_number="20005")
    liaison.set_password(PASSWORD)  # test set-up: an emergency local password
    liaison.save()

    # A changed title, a new person and one who left.
    people = f"ou=people,{SUFFIX}"
    connection.modify(f"uid=20008,{people}", {"title": [(ldap3.MODIFY_REPLACE, ["副教授"])]})
    connection.modify(f"uid=20005,{people}", {"businessCategory": [(ldap3.MODIFY_REPLACE, ["否"])]})
    add_person(connection, ["20009", "陈老师", "0300", "讲师", "单位成员", "", "", "是"])
    connection.unbind()
    assert sync(slapd.url, "--dry-run")[-1] == "units +0 ~1 -0; people +1 ~1 -1"
    assert User.objects.get(staff_number="20005").is_active
    out = sync(slapd.url)
    assert out[-1] == "units +0 ~1 -0; people +1 ~1 -1"
    assert "单位缺少联络员：0200 教务处" in out
    assert User.objects.get(staff_number="20008").title == "副教授"
    assert not User.objects.get(staff_number="20005").is_active
    assert not Client().login(username="20005", password=PASSWORD)


def test_the_username_from_the_attribute_the_settings_name(
    db: Any, slapd: LdapServer, settings: Any
) -> None:
    settings.LDAP_PEOPLE_ATTRIBUTES = {**settings.LDAP_PEOPLE_ATTRIBUTES, "username": "uid"}
    connection = slapd.connect()
    for unit in UNITS:
        add_unit(connection, *unit)
    for row in PEOPLE:
        add_person(connection, row)
    # Accounts that are not the 工号: the entry's uid.
    add_person(connection, ["20009", "陈老师", "0300", "讲师", "单位成员", "", "", "是"], "chen.ls")
    add_person(connection, ["20010", "褚老师", "0300", "讲师", "单位成员", "", "", "是"], "张三")
    connection.unbind()
    err = io.StringIO()
    with pytest.raises(CommandError, match="发现1个问题"):
        call_command("sync_org", slapd.url, stdout=io.StringIO(), stderr=err)
    rule = "只能由英文字母、数字和 _ . @ + - 组成，不超过150个字符。"
    assert err.getvalue().splitlines() == [
        f"LDAP uid=张三,ou=people,{SUFFIX}：账号“张三”无效：{rule}"
    ]
    connection = slapd.connect()
    assert connection.delete(f"uid=张三,ou=people,{SUFFIX}")
    connection.unbind()
    assert sync(slapd.url)[-1] == "units +3 ~0 -0; people +11 ~0 -0"
    assert User.objects.get(staff_number="20009").username == "chen.ls"
    assert User.objects.get(staff_number="20005").username == "20005"


def test_ldap_problems_name_the_entry(db: Any, slapd: LdapServer) -> None:
    connection = slapd.connect()
    for unit in UNITS:
        add_unit(connection, *unit)
    for row in PEOPLE:
        add_person(connection, row)
    add_person(connection, ["20010", "褚联络", "0200", "科员", "联络员", "", "", "是"])
    connection.unbind()
    err = io.StringIO()
    with pytest.raises(CommandError, match="未做任何修改"):
        call_command("sync_org", slapd.url, stdout=io.StringIO(), stderr=err)
    problem = "单位0200有2名联络员（周联络、褚联络），每个单位只能有一名。"
    assert f"LDAP uid=20010,ou=people,{SUFFIX}：{problem}" in err.getvalue().splitlines()
    assert User.objects.count() == 0


def test_ldap_needs_its_bases(db: Any, settings: Any) -> None:
    settings.LDAP_UNIT_BASE = ""
    with pytest.raises(CommandError, match="请先设置LDAP_UNIT_BASE和LDAP_PEOPLE_BASE"):
        call_command("sync_org", "ldap://127.0.0.1:389/", stdout=io.StringIO())


def test_an_ldap_server_that_is_down(db: Any, settings: Any) -> None:
    settings.LDAP_UNIT_BASE = f"ou=units,{SUFFIX}"
    settings.LDAP_PEOPLE_BASE = f"ou=people,{SUFFIX}"
    url = f"ldap://127.0.0.1:{free_port()}/"
    with pytest.raises(CommandError, match="无法连接LDAP目录"):
        call_command("sync_org", url, stdout=io.StringIO())
