"""The demo organisation is the directory data in duban/organisation/demo_org/, loaded by
`sync_org`'s own reader and sync: the same units and people as before it was data.

tests/data/demo_org.json holds the facts that the demo's hand-written organisation
(demo.py before issue 10) produced, captured from main; the demo must still produce
exactly them. The one new fact, each person's 工号, is not part of it.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.hashers import check_password
from django.core.management import call_command

from duban.audit.models import AuditEvent
from duban.organisation import demo
from duban.organisation.directory import read_source
from duban.organisation.models import Role, Unit, User

FACTS = Path(__file__).resolve().parent / "data" / "demo_org.json"


def username(user: User | None) -> str | None:
    return None if user is None else user.username


def organisation_facts() -> dict[str, list[dict[str, Any]]]:
    """Every unit and person in the database, in the order they were created."""
    units = [
        {
            "code": unit.code,
            "name": unit.name,
            "kind": unit.kind,
            "leader_in_charge": username(unit.leader_in_charge),
            "head": username(unit.head),
            "liaison": username(unit.liaison),
            "aliases": unit.aliases,
            "is_active": unit.is_active,
        }
        for unit in Unit.objects.select_related("head", "liaison", "leader_in_charge").order_by(
            "pk"
        )
    ]
    people = [
        {
            "username": user.username,
            "full_name": user.full_name,
            "title": user.title,
            "unit": user.unit.code if user.unit else None,
            "role": user.role,
            "phone": user.phone,
            "email": user.email,
            "portfolio": user.portfolio,
            "is_active": user.is_active,
            "is_staff": user.is_staff,
            "is_superuser": user.is_superuser,
            "signs_in_with_the_demo_password": check_password(demo.DEMO_PASSWORD, user.password),
        }
        for user in User.objects.select_related("unit").order_by("pk")
    ]
    return {"units": units, "people": people}


@pytest.mark.django_db
def test_the_demo_organisation_is_the_same_as_before_it_became_data() -> None:
    demo.load(items=False)
    assert organisation_facts() == json.loads(FACTS.read_text(encoding="utf-8"))


def sync(*args: str) -> list[str]:
    out = io.StringIO()
    call_command("sync_org", *args, stdout=out)
    return out.getvalue().splitlines()


@pytest.mark.django_db
def test_the_demo_directory_is_what_sync_org_reads_from_a_university() -> None:
    source = read_source(str(demo.DIRECTORY))
    assert source.directory.problems == []
    assert (len(source.directory.units), len(source.directory.people)) == (20, 55)
    # Every person keeps the username the README and the tests know, in the 账号 column.
    assert {person.username for person in source.directory.people} == set(demo.demo_usernames()) - {
        admin.username for admin in demo.ADMINISTRATORS
    }
    # The command a university runs reads it the same way.
    assert sync(str(demo.DIRECTORY), "--dry-run")[-1] == "units +20 ~0 -0; people +55 ~0 -0"
    assert not Unit.objects.exists() and not User.objects.exists()


@pytest.mark.django_db
def test_the_demo_organisation_is_one_directory_sync() -> None:
    demo.load(items=False)
    (event,) = AuditEvent.objects.all()
    assert event.verb == "sync_org"
    assert event.actor is None
    assert event.summary == "同步单位和人员（demo_org）：units +20 ~0 -0; people +55 ~0 -0"
    assert event.data["counts"]["people_added"] == 55
    # The people in the directory have their 工号 (CAS finds them by it); the three
    # administrators, whom no directory lists, have none.
    assert User.objects.filter(staff_number="").count() == 3
    assert set(User.objects.filter(staff_number="").values_list("role", flat=True)) == {
        Role.SYSTEM_ADMIN,
        Role.SECURITY_ADMIN,
        Role.AUDIT_ADMIN,
    }
    assert User.objects.get(username="jwc_liaison").staff_number == "20013"
    # Synced again, as a university's directory each term: nothing to change.
    assert sync(str(demo.DIRECTORY))[-1] == "units +0 ~0 -0; people +0 ~0 -0"
    assert User.objects.get(username="leader_zhang").portfolio == demo.PORTFOLIOS["leader_zhang"]
    out = io.StringIO()
    call_command("verify_audit", "--no-anchor", stdout=out)
    assert out.getvalue().strip() == "ok 2"  # the demo's sync and this one


@pytest.mark.django_db
def test_a_demo_directory_with_a_problem_loads_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "demo_org"
    folder.mkdir()
    (folder / "单位.csv").write_bytes((demo.DIRECTORY / "单位.csv").read_bytes())
    people = (demo.DIRECTORY / "人员.csv").read_text(encoding="utf-8")
    (folder / "人员.csv").write_text(people.replace(",office2,", ",office1,"), encoding="utf-8")
    monkeypatch.setattr(demo, "DIRECTORY", folder)
    problem = "人员.csv 第11行：账号“office1”重复（另见人员.csv 第10行）。"
    with pytest.raises(RuntimeError, match=re.escape(problem)):
        demo.load(items=False)
    assert not Unit.objects.exists() and not User.objects.exists()
    assert not AuditEvent.objects.exists()
