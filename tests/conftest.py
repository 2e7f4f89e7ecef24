"""Personas and item builders shared by every test (STYLE.md, "Our conventions").

The organisation: the General Office with `office_supervisor`; the lead unit 教务处
with `lead_liaison` and `lead_head`; the cooperating unit 人事处 with
`cooperating_liaison` and `cooperating_head`; an unrelated unit 财务处 with
`other_unit_liaison`; `leader_in_charge`, the school leader over 教务处; and a
`system_admin`. Items are built through the real actions.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

import pytest

from duban import clock
from duban.items import actions
from duban.items.models import Item
from duban.items.states import Status
from duban.organisation.models import Role, Unit, UnitKind, User

PASSWORD = "Duban-Test-2026!"


@dataclass
class Org:
    office: Unit
    lead_unit: Unit
    cooperating_unit: Unit
    other_unit: Unit
    office_supervisor: User
    lead_liaison: User
    lead_head: User
    cooperating_liaison: User
    cooperating_head: User
    other_unit_liaison: User
    leader_in_charge: User
    system_admin: User


def make_person(username: str, role: str, unit: Unit | None, full_name: str) -> User:
    return User.objects.create_user(
        username=username, password=PASSWORD, role=role, unit=unit, full_name=full_name
    )


def make_unit(
    code: str,
    name: str,
    kind: str,
    leader: User | None,
    head_name: str,
    liaison_name: str,
    prefix: str,
) -> tuple[Unit, User, User]:
    unit = Unit.objects.create(code=code, name=name, kind=kind, leader_in_charge=leader)
    head = make_person(f"{prefix}_head", Role.UNIT_HEAD, unit, head_name)
    liaison = make_person(f"{prefix}_liaison", Role.LIAISON, unit, liaison_name)
    unit.head = head
    unit.liaison = liaison
    unit.save()
    return unit, head, liaison


@pytest.fixture(autouse=True)
def official_calendar(request: pytest.FixtureRequest, django_db_blocker: Any) -> None:
    """The migrations seed 2004–2026; a transactional test's flush empties the tables,
    so put the official calendar back for whichever test comes next."""
    uses_db = request.node.get_closest_marker("django_db") or {
        "db",
        "transactional_db",
        "live_server",
    } & set(request.fixturenames)
    if not uses_db:
        return
    from django.apps import apps

    from duban.workcalendar.models import CalendarYear

    with django_db_blocker.unblock():
        if not CalendarYear.objects.filter(year=2026).exists():
            seed = importlib.import_module(
                "duban.workcalendar.migrations.0002_seed_chinese_calendar"
            ).seed
            seed(apps, None)


@pytest.fixture(autouse=True)
def audit_anchor_in_tmp(settings: Any, tmp_path_factory: pytest.TempPathFactory) -> None:
    # Never the development server's var/audit-anchor.json: it anchors another database.
    settings.AUDIT_ANCHOR_FILE = tmp_path_factory.mktemp("anchor") / "audit-anchor.json"


def _flush_past_the_audit_triggers() -> None:
    """A transactional test ends by emptying every table with TRUNCATE, which the audit
    log's triggers refuse (migration audit 0004). The test database's superuser empties
    them with triggers off for that statement only; every test still runs with them on."""
    from django.db.backends.postgresql.operations import DatabaseOperations

    original = DatabaseOperations.sql_flush

    def sql_flush(self: Any, style: Any, tables: Any, **options: Any) -> list[str]:
        statements = original(self, style, tables, **options)
        if not statements or not any(name.startswith("audit_") for name in tables):
            return statements
        return [
            "SET session_replication_role = replica",
            *statements,
            "SET session_replication_role = DEFAULT",
        ]

    DatabaseOperations.sql_flush = sql_flush  # type: ignore[method-assign]


_flush_past_the_audit_triggers()


@pytest.fixture(autouse=True)
def fresh_throttle_counts() -> None:
    """Each test starts with no requests counted (duban.accounts.throttle): the cache
    outlives a test, and tests sign the same people in within the same minute."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def fast_password_hashing(settings: Any) -> None:
    # The real hasher is deliberately slow; tests create dozens of people.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def org(db: Any) -> Org:
    leader = make_person("leader_in_charge", Role.SCHOOL_LEADER, None, "王校长")
    office, _office_head, _office_liaison = make_unit(
        "0100", "党政办公室", UnitKind.GENERAL_OFFICE, leader, "赵主任", "钱联络", "office"
    )
    supervisor = make_person("office_supervisor", Role.OFFICE_SUPERVISOR, office, "孙督办")
    lead_unit, lead_head, lead_liaison = make_unit(
        "0200", "教务处", UnitKind.DEPARTMENT, leader, "李处长", "周联络", "lead"
    )
    cooperating_unit, cooperating_head, cooperating_liaison = make_unit(
        "0300", "人事处", UnitKind.DEPARTMENT, leader, "吴处长", "郑联络", "cooperating"
    )
    other_unit, _other_head, other_liaison = make_unit(
        "0400", "财务处", UnitKind.DEPARTMENT, leader, "冯处长", "陈联络", "other_unit"
    )
    admin = make_person("system_admin", Role.SYSTEM_ADMIN, None, "系统管理员")
    return Org(
        office=office,
        lead_unit=lead_unit,
        cooperating_unit=cooperating_unit,
        other_unit=other_unit,
        office_supervisor=supervisor,
        lead_liaison=lead_liaison,
        lead_head=lead_head,
        cooperating_liaison=cooperating_liaison,
        cooperating_head=cooperating_head,
        other_unit_liaison=other_liaison,
        leader_in_charge=leader,
        system_admin=admin,
    )


def meeting_input(org: Org, **overrides: Any) -> actions.EstablishInput:
    """A meeting item whose deadline is counted from its minutes (R-D2)."""
    values: dict[str, Any] = {
        "title": "修订本科生培养方案",
        "content": "按校长办公会决定，完成2027版本科生培养方案修订。",
        "basis": "校长办公会纪要〔2026〕第12期",
        "source_kind": "meeting",
        "source_body": "president_meeting",
        "lead_unit": org.lead_unit,
        "cooperating_units": [org.cooperating_unit],
        "minutes_issued_on": clock.today(),
    }
    values.update(overrides)
    return actions.EstablishInput(**values)


def establish(org: Org, **overrides: Any) -> Item:
    return actions.establish_item(org.office_supervisor, meeting_input(org, **overrides))


# The shortest path of actions that brings a new item to each status.
def advance(org: Org, item: Item, status: str) -> Item:
    """Drive `item` through the real actions until it reaches `status`."""
    steps: dict[str, list[Any]] = {
        Status.ESTABLISHED: [],
        Status.ASSIGNED: [lambda i: actions.assign_item(org.office_supervisor, i)],
        Status.RETURNED: [
            lambda i: actions.assign_item(org.office_supervisor, i),
            lambda i: actions.return_item(org.lead_liaison, i, "不属于本单位职责"),
        ],
        Status.IN_PROGRESS: [
            lambda i: actions.assign_item(org.office_supervisor, i),
            lambda i: actions.sign_for_item(org.lead_liaison, i),
        ],
        Status.SUBMITTED: [
            lambda i: actions.assign_item(org.office_supervisor, i),
            lambda i: actions.sign_for_item(org.lead_liaison, i),
            lambda i: actions.draft_completion_report(org.lead_liaison, i, "已完成全部工作"),
            lambda i: actions.confirm_report(org.lead_head, i),
        ],
        Status.COMPLETED: [
            lambda i: actions.assign_item(org.office_supervisor, i),
            lambda i: actions.sign_for_item(org.lead_liaison, i),
            lambda i: actions.draft_completion_report(org.lead_liaison, i, "已完成全部工作"),
            lambda i: actions.confirm_report(org.lead_head, i),
            lambda i: actions.review_report(org.office_supervisor, i, accept=True),
        ],
    }
    for step in steps[status]:
        step(item)
    item.refresh_from_db()
    assert item.status == status
    return item


@pytest.fixture
def item(org: Org) -> Item:
    return establish(org)
