"""`manage.py sync_org` from a spreadsheet: adds and updates units and people, deactivates
who left, reports units without a head or liaison and items whose contact left, all or
nothing, audited; every problem of a bad file listed with its row."""

from __future__ import annotations

import csv
import io
from dataclasses import asdict
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
from duban.organisation.directory import (
    PEOPLE_COLUMNS,
    PEOPLE_TEMPLATE_COLUMNS,
    UNIT_COLUMNS,
    Directory,
    read_folder,
    read_workbook,
)
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
    assert [cell.value for cell in book["人员"][1]] == list(PEOPLE_TEMPLATE_COLUMNS)
    assert PEOPLE_TEMPLATE_COLUMNS[:2] == ("工号", "账号")
    directory = read_workbook(path.read_bytes(), path.name)
    assert directory.problems == []
    assert [unit.code for unit in directory.units] == ["0200"]
    assert [(p.staff_number, p.username) for p in directory.people] == [("20001", "zhangsan")]


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


# ----------------------------------------------------------------------------- 账号


def with_accounts(people: list[list[str]], accounts: dict[str, str]) -> list[list[str]]:
    """The rows with a 账号 column after 工号: `accounts` by 工号, empty for the rest."""
    return [[row[0], accounts.get(row[0], ""), *row[1:]] for row in people]


ACCOUNT_HEADER = ("工号", "账号", *PEOPLE_COLUMNS[1:])


def test_the_optional_account_column_names_the_username(db: Any, tmp_path: Path) -> None:
    people = with_accounts(PEOPLE, {"10001": "wang.xz", "20001": "sun@dzb"})
    source = workbook(tmp_path / "a.xlsx", people=people, people_header=ACCOUNT_HEADER)
    assert sync(str(source))[-1] == "units +3 ~0 -0; people +10 ~0 -0"
    assert User.objects.get(staff_number="10001").username == "wang.xz"
    assert User.objects.get(staff_number="20001").username == "sun@dzb"
    # An empty 账号: the 工号, as without the column.
    assert User.objects.get(staff_number="20002").username == "20002"
    assert Unit.objects.get(code="0100").leader_in_charge.username == "wang.xz"
    assert sync(str(source))[-1] == "units +0 ~0 -0; people +0 ~0 -0"

    # A 账号 given later renames; a sheet without the column renames nobody back.
    renamed = with_accounts(PEOPLE, {"10001": "wang.xz", "20001": "sun@dzb", "20005": "zhoulian"})
    out = sync(str(workbook(tmp_path / "b.xlsx", people=renamed, people_header=ACCOUNT_HEADER)))
    assert "修改人员 20005 周联络（账号：20005 → zhoulian）" in out
    assert out[-1] == "units +0 ~0 -0; people +0 ~1 -0"
    assert sync(str(workbook(tmp_path / "c.xlsx")))[-1] == "units +0 ~0 -0; people +0 ~0 -0"
    assert User.objects.get(staff_number="20005").username == "zhoulian"
    assert User.objects.get(staff_number="10001").username == "wang.xz"


def test_bad_accounts_are_named_with_their_rows_and_change_nothing(db: Any, tmp_path: Path) -> None:
    make_person("sysadmin", Role.SYSTEM_ADMIN, None, "系统管理员")
    sync(str(workbook(tmp_path / "a.xlsx")))
    before = state()
    events = AuditEvent.objects.count()
    people = with_accounts(
        [*PEOPLE, ["20009", "陈老师", "0300", "讲师", "单位成员", "", "", "是"]],
        {
            "20001": "孙 督办",  # row 4: a space
            "20004": "li",  # rows 7 and 8: the same 账号
            "20005": "li",
            "20006": "sysadmin",  # row 9: the administrator's account
            "20007": "20008",  # row 10: the username of the person with 工号 20008
            "20008": "x" * 151,  # row 11: too long
            "20009": "张三",  # row 12: not a letter people can type everywhere
        },
    )
    bad = workbook(tmp_path / "bad.xlsx", people=people, people_header=ACCOUNT_HEADER)
    err = io.StringIO()
    with pytest.raises(CommandError, match="发现6个问题，未做任何修改。"):
        call_command("sync_org", str(bad), stdout=io.StringIO(), stderr=err)
    rule = "只能由英文字母、数字和 _ . @ + - 组成，不超过150个字符。"
    assert err.getvalue().splitlines() == [
        f"人员 第4行：账号“孙 督办”无效：{rule}",
        f"人员 第11行：账号“{'x' * 40}”无效：{rule}",
        f"人员 第12行：账号“张三”无效：{rule}",
        "人员 第8行：账号“li”重复（另见人员 第7行）。",
        "人员 第9行：账号“sysadmin”已被其他账号使用；如是同一人，请先在该账号上填写工号。",
        "人员 第10行：账号“20008”已被工号20008的人员使用。",
    ]
    assert state() == before
    assert AuditEvent.objects.count() == events


# ----------------------------------------------------------------------------- CSV


def csv_folder(
    folder: Path,
    units: list[list[str]] = UNITS,
    people: list[list[str]] = PEOPLE,
    people_header: tuple[str, ...] = PEOPLE_COLUMNS,
    encoding: str = "utf-8",
) -> Path:
    folder.mkdir()
    for name, header, rows in (("单位", UNIT_COLUMNS, units), ("人员", people_header, people)):
        with (folder / f"{name}.csv").open("w", encoding=encoding, newline="") as file:
            writer = csv.writer(file)
            writer.writerow(header)
            writer.writerows(rows)
    return folder


def test_a_folder_of_csv_files_syncs_like_the_spreadsheet(db: Any, tmp_path: Path) -> None:
    # As Excel saves "CSV (逗号分隔)" on a Chinese Windows: GB18030.
    folder = csv_folder(tmp_path / "人员名单", encoding="gb18030")
    from_csv, _content = read_folder(folder)
    from_xlsx = read_workbook(workbook(tmp_path / "a.xlsx").read_bytes(), "a.xlsx")

    def facts(directory: Directory) -> list[dict[str, Any]]:
        records = [*directory.units, *directory.people]
        return [{k: v for k, v in asdict(r).items() if k != "where"} for r in records]

    assert len(facts(from_csv)) == len(UNITS) + len(PEOPLE)
    assert facts(from_csv) == facts(from_xlsx)
    assert from_csv.people[2].where == "人员.csv 第4行"

    out = sync(str(folder))
    assert out[-1] == "units +3 ~0 -0; people +10 ~0 -0"
    assert Unit.objects.get(code="0200").liaison.full_name == "周联络"
    event = AuditEvent.objects.get(verb="sync_org")
    assert event.summary == "同步单位和人员（人员名单）：units +3 ~0 -0; people +10 ~0 -0"
    assert len(event.data["sha256"]) == 64
    assert sync(str(folder))[-1] == "units +0 ~0 -0; people +0 ~0 -0"


def test_csv_problems_name_the_file_and_row(db: Any, tmp_path: Path) -> None:
    people = with_accounts(PEOPLE, {"20004": "li", "20005": "li"})
    folder = csv_folder(tmp_path / "名单", people=people, people_header=ACCOUNT_HEADER)
    err = io.StringIO()
    with pytest.raises(CommandError, match="发现1个问题"):
        call_command("sync_org", str(folder), stdout=io.StringIO(), stderr=err)
    assert err.getvalue().splitlines() == ["人员.csv 第8行：账号“li”重复（另见人员.csv 第7行）。"]
    (folder / "单位.csv").unlink()
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("sync_org", str(folder), stdout=io.StringIO(), stderr=err)
    assert err.getvalue().splitlines() == ["缺少文件“单位.csv”。"]
    (folder / "单位.csv").write_bytes(b"\x00\xff\x00binary")
    with pytest.raises(CommandError, match="不是UTF-8或GB18030编码的文本"):
        call_command("sync_org", str(folder), stdout=io.StringIO())
    assert User.objects.count() == 0


def test_a_source_that_does_not_exist(db: Any, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="不存在"):
        call_command("sync_org", str(tmp_path / "无此文件.xlsx"), stdout=io.StringIO())
