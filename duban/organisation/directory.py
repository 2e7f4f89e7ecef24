"""Reading the people directory: the university's units and people, from an .xlsx
export of its HR/teacher directory, the same two tables as CSV files, or an LDAP
directory. Nothing here writes: `duban.organisation.sync` compares what is read with
the database and applies it.

The spreadsheet (`write_template` writes an empty one with an example row):
- sheet 单位: 单位代码, 单位名称, 单位类别 (党政办公室, 纪委办公室/监察处, 保密办公室,
  职能部门, 学院), 分管校领导工号;
- sheet 人员: 工号, 姓名, 单位代码, 职务, 角色 (校领导, 督办员, 单位负责人, 联络员,
  单位成员), 手机, 邮箱, 在职 (是/否), and optionally 账号: the username the person
  signs in with (letters, digits and _ . @ + -). Without the column, or with the cell
  empty, a new person's username is their 工号 and an existing person's stays as it is.
The header is the sheet's first row; columns may come in any order. Every problem is
named with its sheet and row (for LDAP, with the entry's DN).

CSV: a folder holding 单位.csv and 人员.csv, the two sheets with the same columns
(UTF-8, or GB18030 as Excel saves "CSV (逗号分隔)" on a Chinese Windows). The demo
university is one (duban/organisation/demo_org/, `manage.py demo`).

LDAP (`ldap://host:port/` or `ldaps://`): units are the entries under
`LDAP_UNIT_BASE` matching `LDAP_UNIT_FILTER`, people those under `LDAP_PEOPLE_BASE`
matching `LDAP_PEOPLE_FILTER`; the attribute that holds each column is configured by
`LDAP_UNIT_ATTRIBUTES` / `LDAP_PEOPLE_ATTRIBUTES` (settings.py, docs/deployment.md;
`username`, the 账号, is read from no attribute unless one is set). The values are the
same as in the spreadsheet.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

from .models import Role, UnitKind

UNIT_SHEET = "单位"
PEOPLE_SHEET = "人员"
UNIT_COLUMNS = ("单位代码", "单位名称", "单位类别", "分管校领导工号")
PEOPLE_COLUMNS = ("工号", "姓名", "单位代码", "职务", "角色", "手机", "邮箱", "在职")
# Columns a sheet may leave out (read as empty).
PEOPLE_OPTIONAL_COLUMNS = ("账号",)
# The template's columns, in its order.
PEOPLE_TEMPLATE_COLUMNS = ("工号", "账号", *PEOPLE_COLUMNS[1:])
# The keys of the columns (and of the LDAP attribute settings).
UNIT_KEYS = dict(zip(UNIT_COLUMNS, ("code", "name", "kind", "leader"), strict=True))
PEOPLE_KEYS = dict(
    zip(
        (*PEOPLE_COLUMNS, *PEOPLE_OPTIONAL_COLUMNS),
        (
            "staff_number",
            "full_name",
            "unit",
            "title",
            "role",
            "phone",
            "email",
            "active",
            "username",
        ),
        strict=True,
    )
)
# What a 账号 may hold: what people type at the sign-in form, in any keyboard layout.
USERNAME_PATTERN = re.compile(r"[A-Za-z0-9_.@+-]+")
USERNAME_MAX_LENGTH = 150  # User.username
ROLE_NAMES = {
    "校领导": Role.SCHOOL_LEADER,
    "督办员": Role.OFFICE_SUPERVISOR,
    "单位负责人": Role.UNIT_HEAD,
    "联络员": Role.LIAISON,
    "单位成员": Role.UNIT_MEMBER,
}
KIND_NAMES = {
    "党政办公室": UnitKind.GENERAL_OFFICE,
    "纪委办公室/监察处": UnitKind.DISCIPLINE_OFFICE,
    "保密办公室": UnitKind.SECRECY_OFFICE,
    "职能部门": UnitKind.DEPARTMENT,
    "学院": UnitKind.SCHOOL,
}
ACTIVE_NAMES = {"是": True, "否": False}
MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 50_000


class DirectoryError(Exception):
    """The source cannot be read at all (not an .xlsx, LDAP unreachable, …)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class Problem:
    where: str  # "人员 第5行", "LDAP uid=…", or "" for the whole source
    text: str

    def __str__(self) -> str:
        return f"{self.where}：{self.text}" if self.where else self.text


@dataclass
class UnitRecord:
    where: str
    code: str
    name: str
    kind: str
    leader: str  # the leader in charge's 工号, or ""


@dataclass
class PersonRecord:
    where: str
    staff_number: str
    full_name: str
    unit: str  # 单位代码, or "" (school leaders)
    title: str
    role: str
    phone: str
    email: str
    active: bool
    username: str = ""  # 账号: "" for the 工号 (a new person) or as it is (an existing one)


@dataclass
class Directory:
    units: list[UnitRecord] = field(default_factory=list)
    people: list[PersonRecord] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    # A missing sheet or column: the rows are not compared with anything.
    incomplete: bool = False


def text_of(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(str(value).split())


# ----------------------------------------------------------------------------- records


def unit_record(where: str, values: dict[str, str], problems: list[Problem]) -> UnitRecord | None:
    code, name = values.get("code", ""), values.get("name", "")
    kind_text = values.get("kind", "")
    ok = True
    for key, column in (("code", "单位代码"), ("name", "单位名称"), ("kind", "单位类别")):
        if not values.get(key):
            problems.append(Problem(where, _("缺少%(column)s。") % {"column": column}))
            ok = False
    if len(code) > 20 or len(name) > 100:
        problems.append(Problem(where, _("单位代码不超过20字、单位名称不超过100字。")))
        ok = False
    kind = KIND_NAMES.get(kind_text)
    if kind_text and kind is None:
        problems.append(
            Problem(
                where,
                _("单位类别“%(value)s”无效，应为：%(names)s。")
                % {"value": kind_text, "names": "、".join(KIND_NAMES)},
            )
        )
        ok = False
    if not ok:
        return None
    return UnitRecord(where, code, name, str(kind), values.get("leader", ""))


def person_record(
    where: str, values: dict[str, str], problems: list[Problem]
) -> PersonRecord | None:
    ok = True
    for key, column in (("staff_number", "工号"), ("full_name", "姓名"), ("role", "角色")):
        if not values.get(key):
            problems.append(Problem(where, _("缺少%(column)s。") % {"column": column}))
            ok = False
    role_text = values.get("role", "")
    role = ROLE_NAMES.get(role_text)
    if role_text and role is None:
        problems.append(
            Problem(
                where,
                _("角色“%(value)s”无效，应为：%(names)s。")
                % {"value": role_text, "names": "、".join(ROLE_NAMES)},
            )
        )
        ok = False
    active_text = values.get("active", "") or "是"
    if active_text not in ACTIVE_NAMES:
        problems.append(
            Problem(where, _("在职“%(value)s”无效，应为“是”或“否”。") % {"value": active_text})
        )
        ok = False
    if role is not None and role != Role.SCHOOL_LEADER and not values.get("unit"):
        problems.append(Problem(where, _("缺少单位代码（只有校领导可以不属于单位）。")))
        ok = False
    limits = {"staff_number": 32, "full_name": 50, "title": 100, "phone": 20, "email": 254}
    for key, limit in limits.items():
        if len(values.get(key, "")) > limit:
            problems.append(Problem(where, _("“%(value)s”过长。") % {"value": values[key][:40]}))
            ok = False
    username = values.get("username", "")
    if username and (
        len(username) > USERNAME_MAX_LENGTH or not USERNAME_PATTERN.fullmatch(username)
    ):
        problems.append(
            Problem(
                where,
                _(
                    "账号“%(value)s”无效：只能由英文字母、数字和 _ . @ + - 组成，"
                    "不超过%(limit)d个字符。"
                )
                % {"value": username[:40], "limit": USERNAME_MAX_LENGTH},
            )
        )
        ok = False
    if not ok or role is None:
        return None
    return PersonRecord(
        where=where,
        staff_number=values["staff_number"],
        full_name=values["full_name"],
        unit=values.get("unit", ""),
        title=values.get("title", ""),
        role=str(role),
        phone=values.get("phone", ""),
        email=values.get("email", ""),
        active=ACTIVE_NAMES[active_text],
        username=username,
    )


# ----------------------------------------------------------------------------- tables


@dataclass(frozen=True)
class Table:
    """One of the two tables: a sheet of the .xlsx, a file of the CSV folder."""

    name: str  # the sheet's name, the CSV file's stem
    columns: tuple[str, ...]  # required
    optional: tuple[str, ...]
    keys: dict[str, str]
    make: Callable[[str, dict[str, str], list[Problem]], Any]  # a record, or None
    attribute: str  # where its records go in a Directory


TABLES = (
    Table(UNIT_SHEET, UNIT_COLUMNS, (), UNIT_KEYS, unit_record, "units"),
    Table(
        PEOPLE_SHEET, PEOPLE_COLUMNS, PEOPLE_OPTIONAL_COLUMNS, PEOPLE_KEYS, person_record, "people"
    ),
)


def _read_table(
    directory: Directory, label: str, table: Table, rows: Iterable[Sequence[Any]]
) -> None:
    """The records of one table, whose first row is the header, into `directory`;
    problems are named with `label` (the sheet's or the file's name) and the row."""
    records: list[Any] = getattr(directory, table.attribute)
    rows = iter(rows)
    header = [text_of(value) for value in next(rows, ())]
    missing = [column for column in table.columns if column not in header]
    if missing:
        directory.problems.append(
            Problem(
                _("%(sheet)s 第1行") % {"sheet": label},
                _("缺少列：%(columns)s。") % {"columns": "、".join(missing)},
            )
        )
        directory.incomplete = True
        return
    positions = {
        table.keys[column]: header.index(column)
        for column in (*table.columns, *table.optional)
        if column in header
    }
    for number, cells in enumerate(rows, start=2):
        if number > MAX_ROWS:
            directory.problems.append(Problem("", _("行数超过%(count)d行。") % {"count": MAX_ROWS}))
            break
        values = {
            key: text_of(cells[index]) if index < len(cells) else ""
            for key, index in positions.items()
        }
        if not any(values.values()):
            continue
        where = _("%(sheet)s 第%(row)d行") % {"sheet": label, "row": number}
        record = table.make(where, values, directory.problems)
        if record is not None:
            records.append(record)


def _missing_table(directory: Directory, text: str) -> None:
    directory.problems.append(Problem("", text))
    directory.incomplete = True


# ----------------------------------------------------------------------------- spreadsheet


def read_workbook(content: bytes, name: str) -> Directory:
    """The two sheets of an .xlsx; raises DirectoryError if it is not one."""
    from openpyxl import load_workbook

    from duban.ledger.importing import ImportFileError, check_xlsx

    if len(content) > MAX_BYTES:
        raise DirectoryError(_("文件“%(name)s”超过10 MB。") % {"name": name})
    try:
        check_xlsx(content, name)
    except ImportFileError as error:
        raise DirectoryError(error.message) from None
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a damaged file
        raise DirectoryError(_("无法读取该Excel文件：%(error)s") % {"error": error}) from None
    directory = Directory()
    try:
        sheets = {sheet.title.strip(): sheet for sheet in workbook.worksheets}
        for table in TABLES:
            sheet = sheets.get(table.name)
            if sheet is None:
                _missing_table(directory, _("缺少工作表“%(sheet)s”。") % {"sheet": table.name})
                continue
            _read_table(directory, table.name, table, sheet.iter_rows(values_only=True))
    finally:
        workbook.close()
    return directory


def write_template(path: Path | str) -> None:
    """An empty directory spreadsheet: the headers and one filled example row each."""
    from openpyxl import Workbook

    workbook = Workbook()
    units = workbook.active
    assert units is not None
    units.title = UNIT_SHEET
    units.append(list(UNIT_COLUMNS))
    units.append(["0200", "教务处", "职能部门", "10001"])
    people = workbook.create_sheet(PEOPLE_SHEET)
    people.append(list(PEOPLE_TEMPLATE_COLUMNS))
    people.append(
        ["20001", "zhangsan", "张三", "0200", "副处长", "联络员", "13800000000", "", "是"]
    )
    for sheet in (units, people):
        for column in ("A", "B", "C", "D", "E", "F", "G", "H", "I"):
            sheet.column_dimensions[column].width = 16
    workbook.save(path)


# ----------------------------------------------------------------------------- CSV


def read_folder(folder: Path) -> tuple[Directory, bytes]:
    """单位.csv and 人员.csv in `folder`, and their bytes (for the audit's digest);
    raises DirectoryError for a file that is too large or not text."""
    directory = Directory()
    contents: list[bytes] = []
    for table in TABLES:
        filename = f"{table.name}.csv"
        path = folder / filename
        if not path.is_file():
            _missing_table(directory, _("缺少文件“%(name)s”。") % {"name": filename})
            continue
        content = path.read_bytes()
        if len(content) > MAX_BYTES:
            raise DirectoryError(_("文件“%(name)s”超过10 MB。") % {"name": filename})
        contents.append(content)
        _read_table(directory, filename, table, csv.reader(io.StringIO(_decode(content, filename))))
    return directory, b"\0".join(contents)


def _decode(content: bytes, name: str) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\0" not in text:
            return text
    raise DirectoryError(_("文件“%(name)s”不是UTF-8或GB18030编码的文本。") % {"name": name})


# ----------------------------------------------------------------------------- LDAP


def is_ldap_url(source: str) -> bool:
    return source.lower().startswith(("ldap://", "ldaps://"))


def read_ldap(url: str) -> Directory:
    """Units and people from an LDAP directory (see the module docstring)."""
    import ldap3
    from ldap3.core.exceptions import LDAPException

    parts = urlsplit(url)
    if not parts.hostname:
        raise DirectoryError(_("LDAP地址“%(url)s”无效。") % {"url": url})
    if not settings.LDAP_UNIT_BASE or not settings.LDAP_PEOPLE_BASE:
        raise DirectoryError(
            _("请先设置LDAP_UNIT_BASE和LDAP_PEOPLE_BASE（单位和人员所在的目录位置）。")
        )
    server = ldap3.Server(
        parts.hostname,
        port=parts.port,
        use_ssl=parts.scheme.lower() == "ldaps",
        connect_timeout=settings.LDAP_TIMEOUT,
    )
    directory = Directory()
    try:
        connection = ldap3.Connection(
            server,
            user=settings.LDAP_BIND_DN or None,
            password=settings.LDAP_BIND_PASSWORD or None,
            auto_bind=True,
            receive_timeout=settings.LDAP_TIMEOUT,
            read_only=True,
        )
    except LDAPException as error:
        raise DirectoryError(
            _("无法连接LDAP目录“%(url)s”：%(error)s") % {"url": url, "error": error}
        ) from None
    try:
        for base, search_filter, attributes, make, target in (
            (
                settings.LDAP_UNIT_BASE,
                settings.LDAP_UNIT_FILTER,
                settings.LDAP_UNIT_ATTRIBUTES,
                unit_record,
                directory.units,
            ),
            (
                settings.LDAP_PEOPLE_BASE,
                settings.LDAP_PEOPLE_FILTER,
                settings.LDAP_PEOPLE_ATTRIBUTES,
                person_record,
                directory.people,
            ),
        ):
            wanted = sorted({name for name in attributes.values() if name})
            entries = connection.extend.standard.paged_search(
                base, search_filter, attributes=wanted, paged_size=500, generator=False
            )
            for entry in sorted(
                (
                    entry
                    for entry in entries
                    # The base itself (an organizationalUnit too) is not one of them.
                    if entry.get("type") == "searchResEntry"
                    and str(entry["dn"]).lower() != base.lower()
                ),
                key=lambda entry: str(entry["dn"]),
            ):
                values = {
                    key: _ldap_text(entry["attributes"].get(attributes.get(key, "")))
                    for key in attributes
                }
                record = make(f"LDAP {entry['dn']}", values, directory.problems)
                if record is not None:
                    target.append(record)  # type: ignore[arg-type]
    except LDAPException as error:
        raise DirectoryError(
            _("读取LDAP目录“%(url)s”失败：%(error)s") % {"url": url, "error": error}
        ) from None
    finally:
        connection.unbind()
    return directory


def _ldap_text(value: Any) -> str:
    if isinstance(value, list):
        value = value[0] if value else ""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return text_of(value)


# ----------------------------------------------------------------------------- any source


@dataclass
class Source:
    """What `read_source` read: the directory, the name the audit and the report give
    the source, and the bytes read (None for LDAP), whose digest the audit keeps."""

    directory: Directory
    name: str
    content: bytes | None


def read_source(source: str) -> Source:
    """An ldap:// URL, a folder of CSV files or an .xlsx file, as `sync_org SOURCE` takes
    it; raises DirectoryError for a source that cannot be read at all."""
    if is_ldap_url(source):
        return Source(read_ldap(source), source, None)
    path = Path(source)
    if path.is_dir():
        directory, content = read_folder(path)
        return Source(directory, path.name, content)
    if not path.is_file():
        raise DirectoryError(_("文件“%(path)s”不存在。") % {"path": source})
    content = path.read_bytes()
    return Source(read_workbook(content, path.name), path.name, content)
