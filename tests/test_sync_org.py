"""`manage.py sync_org` from a spreadsheet: adds and updates units and people, deactivates
who left, reports units without a head or liaison and items whose contact left, all or
nothing, audited; every problem of a bad file listed with its row."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from openpyxl import Workbook, load_workbook

from duban import clock
from duban.audit.models import AuditEvent
from duban.items import actions
from duban.items.errors import PermissionRefused
from duban.items.models import Notice
from duban.organisation.directory import PEOPLE_COLUMNS, UNIT_COLUMNS, read_workbook
from duban.organisation.models import Role, Unit, UnitKind, User
from duban.organisation.sync import sync_directory
from tests.conftest import PASSWORD, Org, make_person

UNITS = [
    ["0100", "党政办公室", "党政办公室", "10001"],
    ["0200", "教务处", "职能部门", "10001"],
    ["0300", "计算机学院", "学院", "10002"],
]
PEOPLE = [
    ["10001", "王校长", "", "校长", "校领导", "13900000001", "", "是"],
    ["10002", "李副校长", "", "副校长", "校领导", "", "", "是"],
    ["20001", "孙督办", "0100", "科员", "督办员", "", "sun@example.edu.cn", "是"],
    ["20002", "赵主任", "0100", "主任", "单位负责人", "", "", "是"],
    ["20003", "钱联络", "0100", "科员", "联络员", "", "", "是"],
    ["20004", "李处长", "0200", "处长", "单位负责人", "", "", "是"],
    ["20005", "周联络", "0200", "科员", "联络员", "13900000005", "", "是"],
    ["20006", "吴院长", "0300", "院长", "单位负责人", "", "", "是"],
    ["20007", "郑联络", "0300", "秘书", "联络员", "", "", "是"],
    ["20008", "冯老师", "0300", "讲师", "单位成员", "", "", "是"],
]


def workbook(
    path: Path,
    units: list[list[str]] = UNITS,
    people: list[list[str]] = PEOPLE,
    unit_header: tuple[str, ...] = UNIT_COLUMNS,
    people_header: tuple[str, ...] = PEOPLE_COLUMNS,
) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "单位"
    sheet.append(list(unit_header))
    for row in units:
        sheet.append(row)
    sheet = book.create_sheet("人员")
    sheet.append(list(people_header))
    for row in people:
        sheet.append(row)
    book.save(path)
    return path


def changed(people: list[list[str]], number: str, **values: str) -> list[list[str]]:
    columns = {"title": 3, "active": 7}
    rows = [list(row) for row in people]
    for row in rows:
        if row[0] == number:
            for key, value in values.items():
                row[columns[key]] = value
    return rows


def sync(*args: str) -> list[str]:
    out = io.StringIO()
    call_command("sync_org", *args, stdout=out)
    return out.getvalue().splitlines()


def state() -> list[tuple[Any, ...]]:
    units = list(
        Unit.objects.order_by("code").values_list(
            "code", "name", "kind", "head_id", "liaison_id", "leader_in_charge_id", "is_active"
        )
    )
    people = list(
        User.objects.order_by("username").values_list(
            "username", "staff_number", "full_name", "unit_id", "title", "role", "is_active"
        )
    )
    return units + people


def test_first_sync_adds_everything_and_a_second_changes_nothing(db: Any, tmp_path: Path) -> None:
    source = workbook(tmp_path / "人员名单.xlsx")
    assert sync(str(source))[-1] == "units +3 ~0 -0; people +10 ~0 -0"
    office = Unit.objects.get(code="0100")
    assert office.kind == UnitKind.GENERAL_OFFICE
    assert office.head.staff_number == "20002"
    assert office.liaison.staff_number == "20003"
    assert office.leader_in_charge.staff_number == "10001"
    assert Unit.objects.get(code="0300").leader_in_charge.full_name == "李副校长"
    supervisor = User.objects.get(staff_number="20001")
    assert supervisor.username == "20001"
    assert supervisor.role == Role.OFFICE_SUPERVISOR
    assert supervisor.unit == office
    assert supervisor.email == "sun@example.edu.cn"
    assert not supervisor.has_usable_password()  # they sign in through CAS
    assert User.objects.get(staff_number="10001").unit is None
    assert sync(str(source))[-1] == "units +0 ~0 -0; people +0 ~0 -0"
    assert AuditEvent.objects.filter(verb="sync_org").count() == 2


def test_done_when_changed_title_new_person_and_one_who_left(db: Any, tmp_path: Path) -> None:
    """The issue's "Done when": the same spreadsheet with a changed title, a new person
    and one 在职=否 (the liaison of 教务处, who has an item to look after)."""
    assert sync(str(workbook(tmp_path / "a.xlsx")))[-1] == "units +3 ~0 -0; people +10 ~0 -0"
    liaison = User.objects.get(staff_number="20005")
    liaison.set_password(PASSWORD)  # test set-up: an emergency local password
    liaison.save()
    assert Client().login(username="20005", password=PASSWORD)
    item = actions.establish_item(
        User.objects.get(staff_number="20001"),
        actions.EstablishInput(
            title="修订本科生培养方案",
            content="完成2027版本科生培养方案修订。",
            basis="校长办公会纪要〔2026〕第12期",
            source_kind="meeting",
            source_body="president_meeting",
            lead_unit=Unit.objects.get(code="0200"),
            minutes_issued_on=clock.today(),
        ),
    )
    people = changed(PEOPLE, "20008", title="副教授")
    people = changed(people, "20005", active="否")
    people.append(["20009", "陈老师", "0300", "讲师", "单位成员", "", "", "是"])
    second = workbook(tmp_path / "b.xlsx", people=people)

    before = state()
    dry = sync(str(second), "--dry-run")
    assert dry[-1] == "units +0 ~1 -0; people +1 ~1 -1"
    assert state() == before
    assert AuditEvent.objects.filter(verb="sync_org").count() == 1

    out = sync(str(second))
    assert out[-1] == "units +0 ~1 -0; people +1 ~1 -1"
    assert "单位缺少联络员：0200 教务处" in out
    assert f"事项联系人已离职：{item.ledger_number}" in out
    assert "停用人员 20005 周联络（在职：是 → 否）" in out
    assert "修改人员 20008 冯老师（职务：讲师 → 副教授）" in out
    assert User.objects.get(staff_number="20008").title == "副教授"
    assert User.objects.get(staff_number="20009").unit.code == "0300"
    left = User.objects.get(staff_number="20005")
    assert left.is_active is False
    assert Unit.objects.get(code="0200").liaison is None
    # The person who left can no longer sign in.
    assert not Client().login(username="20005", password=PASSWORD)
    answer = Client().post("/login/", {"username": "20005", "password": PASSWORD})
    assert answer.status_code == 200
    assert "_auth_user_id" not in Client().session
    event = AuditEvent.objects.filter(verb="sync_org").order_by("-sequence").first()
    assert event is not None
    assert event.actor is None
    assert event.data["counts"] == {
        "units_added": 0,
        "units_changed": 1,
        "units_deactivated": 0,
        "people_added": 1,
        "people_changed": 1,
        "people_deactivated": 1,
    }
    assert event.summary == "同步单位和人员（b.xlsx）：units +0 ~1 -0; people +1 ~1 -1"
    # Nobody is ever deleted.
    assert User.objects.count() == 11


def test_deactivate_missing_people_and_units(db: Any, tmp_path: Path) -> None:
    sync(str(workbook(tmp_path / "a.xlsx")))
    admin = make_person("system_admin", Role.SYSTEM_ADMIN, None, "系统管理员")
    User.objects.filter(pk=admin.pk).update(staff_number="90001")
    local = make_person("local_only", Role.UNIT_MEMBER, None, "无工号")
    people = [row for row in PEOPLE if row[0] not in ("20008", "20006", "20007")]
    smaller = workbook(tmp_path / "b.xlsx", units=UNITS[:2], people=people)
    # Without the option, people and units the source no longer lists stay.
    assert sync(str(smaller))[-1] == "units +0 ~0 -0; people +0 ~0 -0"
    out = sync(str(smaller), "--deactivate-missing")
    assert out[-1] == "units +0 ~0 -1; people +0 ~0 -3"
    assert (
        "停用单位 0300 计算机学院（启用：是 → 否；第一责任人：20006 → —；联络员：20007 → —）" in out
    )
    assert not User.objects.get(staff_number="20008").is_active
    assert not Unit.objects.get(code="0300").is_active
    # The administrators and the people without a 工号 are never touched.
    assert User.objects.get(pk=admin.pk).is_active
    assert User.objects.get(pk=local.pk).is_active


def test_bad_file_lists_every_problem_with_its_row_and_changes_nothing(
    db: Any, tmp_path: Path
) -> None:
    sync(str(workbook(tmp_path / "a.xlsx")))
    before = state()
    events = AuditEvent.objects.count()
    people = [list(row) for row in PEOPLE]
    people[3][0] = "20001"  # row 5: the same 工号 as row 4
    people[7][2] = "0999"  # row 9: a unit that does not exist
    people[9][4] = "联络员"  # row 11: a second liaison of 0300 (row 10)
    bad = workbook(tmp_path / "bad.xlsx", people=people)
    err = io.StringIO()
    with pytest.raises(CommandError, match="发现4个问题，未做任何修改。"):
        call_command("sync_org", str(bad), stdout=io.StringIO(), stderr=err)
    problems = err.getvalue().splitlines()
    assert "人员 第5行：工号“20001”重复（另见人员 第4行）。" in problems
    assert "人员 第9行：单位代码“0999”不存在。" in problems
    assert "人员 第10行：单位0300有2名联络员（郑联络、冯老师），每个单位只能有一名。" in problems
    assert "人员 第11行：单位0300有2名联络员（郑联络、冯老师），每个单位只能有一名。" in problems
    assert state() == before
    assert AuditEvent.objects.count() == events


def test_a_missing_column_is_named(db: Any, tmp_path: Path) -> None:
    header = tuple(column for column in PEOPLE_COLUMNS if column != "在职")
    bad = workbook(tmp_path / "bad.xlsx", people=[row[:7] for row in PEOPLE], people_header=header)
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("sync_org", str(bad), stdout=io.StringIO(), stderr=err)
    assert err.getvalue().splitlines() == ["人员 第1行：缺少列：在职。"]
    assert Unit.objects.count() == 0
    assert User.objects.count() == 0


def test_bad_values_are_named_with_their_rows(db: Any, tmp_path: Path) -> None:
    units = [*UNITS, ["0400", "外国语学院", "学部", "10003"]]
    people = [*PEOPLE, ["20010", "", "0300", "", "院长助理", "", "", "不详"]]
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command(
            "sync_org",
            str(workbook(tmp_path / "bad.xlsx", units=units, people=people)),
            stdout=io.StringIO(),
            stderr=err,
        )
    problems = err.getvalue().splitlines()
    kinds = "党政办公室、纪委办公室/监察处、保密办公室、职能部门、学院"
    assert f"单位 第5行：单位类别“学部”无效，应为：{kinds}。" in problems
    assert "人员 第12行：缺少姓名。" in problems
    assert (
        "人员 第12行：角色“院长助理”无效，应为：校领导、督办员、单位负责人、联络员、单位成员。"
        in problems
    )
    assert "人员 第12行：在职“不详”无效，应为“是”或“否”。" in problems
    assert User.objects.count() == 0


def test_not_a_spreadsheet(db: Any, tmp_path: Path) -> None:
    path = tmp_path / "名单.xlsx"
    path.write_text("工号,姓名")
    with pytest.raises(CommandError, match="不是Excel"):
        call_command("sync_org", str(path), stdout=io.StringIO())


def test_template_has_the_headers_and_an_example_row(db: Any, tmp_path: Path) -> None:
    path = tmp_path / "模板.xlsx"
    out = sync("--template", str(path))
    assert out == [f"已生成模板：{path}"]
    book = load_workbook(path)
    assert [cell.value for cell in book["单位"][1]] == list(UNIT_COLUMNS)
    assert [cell.value for cell in book["人员"][1]] == list(PEOPLE_COLUMNS)
    directory = read_workbook(path.read_bytes(), path.name)
    assert directory.problems == []
    assert [unit.code for unit in directory.units] == ["0200"]
    assert [person.staff_number for person in directory.people] == ["20001"]


def test_the_security_administrator_hears_of_new_supervisors(db: Any, tmp_path: Path) -> None:
    security = make_person("security_admin", Role.SECURITY_ADMIN, None, "安全管理员")
    sync(str(workbook(tmp_path / "a.xlsx")))
    (notice,) = Notice.objects.filter(recipient=security)
    assert notice.title == "人员同步：1人成为督办员"
    assert "孙督办（20001，党政办公室）" in notice.body
    assert sync(str(workbook(tmp_path / "a.xlsx")))[-1] == "units +0 ~0 -0; people +0 ~0 -0"
    assert Notice.objects.filter(recipient=security).count() == 1


def test_only_the_system_administrator_may_sync(org: Org, tmp_path: Path) -> None:
    source = workbook(tmp_path / "a.xlsx")
    directory = read_workbook(source.read_bytes(), "a.xlsx")
    for person in (org.office_supervisor, org.lead_liaison):
        with pytest.raises(PermissionRefused, match="只有系统管理员可以同步单位和人员。"):
            sync_directory(person, directory, source="a.xlsx")
    assert not User.objects.filter(staff_number="20001").exists()
    report = sync_directory(org.system_admin, directory, source="a.xlsx")
    assert report.synced
    assert AuditEvent.objects.get(verb="sync_org").actor == org.system_admin


def test_two_units_trading_names_change_nothing(db: Any, tmp_path: Path) -> None:
    sync(str(workbook(tmp_path / "a.xlsx")))
    before = state()
    units = [list(row) for row in UNITS]
    units[1][1], units[2][1] = units[2][1], units[1][1]
    err = io.StringIO()
    with pytest.raises(CommandError, match="发现1个问题，未做任何修改。"):
        call_command(
            "sync_org",
            str(workbook(tmp_path / "b.xlsx", units=units)),
            stdout=io.StringIO(),
            stderr=err,
        )
    assert err.getvalue().startswith("同步未完成，数据与现有记录冲突：")
    assert state() == before
