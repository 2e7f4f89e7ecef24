"""The demo university (`manage.py demo`) and the start command (`manage.py serve`).

Loading the demo takes a second or two, so this module loads it once (`demo_run`),
inside a transaction that is rolled back when the module ends; each test runs in a
savepoint of its own within it, so what a test changes is undone after it.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.db.models import F
from django.test import override_settings

from duban import clock
from duban.audit.models import AuditEvent
from duban.items.models import (
    SOURCE_BODIES,
    Confidentiality,
    DeadlineRule,
    Feedback,
    FeedbackKind,
    FeedbackStatus,
    Item,
    ItemChange,
    Milestone,
    Notice,
    SourceKind,
    WorkPlan,
)
from duban.items.states import ACTIVE_STATUSES, Status
from duban.organisation import demo
from duban.organisation.management.commands import serve
from duban.organisation.models import Role, Unit, UnitKind, User
from duban.workcalendar import calendar

pytestmark = pytest.mark.django_db

DOCS_LOGINS = Path(__file__).resolve().parent.parent / "docs" / "demo-logins.md"
FAST_HASHER = ["django.contrib.auth.hashers.MD5PasswordHasher"]


class DemoRun:
    def __init__(self, output: str, seconds: float) -> None:
        self.output = output
        self.seconds = seconds


@pytest.fixture(scope="module")
def demo_run(django_db_setup: Any, django_db_blocker: Any) -> Iterator[DemoRun]:
    """Load the demo once for the module; roll it back when the module is done."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            out = StringIO()
            started = time.monotonic()
            with override_settings(PASSWORD_HASHERS=FAST_HASHER):
                call_command("demo", stdout=out)
            yield DemoRun(out.getvalue(), time.monotonic() - started)
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


def counts() -> dict[str, int]:
    """How many rows the demo touches, to assert that nothing changed."""
    return {
        "units": Unit.objects.count(),
        "people": User.objects.count(),
        "items": Item.objects.count(),
        "events": AuditEvent.objects.count(),
        "notices": Notice.objects.count(),
        "feedback": Feedback.objects.count(),
        "plans": WorkPlan.objects.count(),
        "changes": ItemChange.objects.count(),
    }


def run_serve(*args: str) -> list[str]:
    out = StringIO()
    call_command("serve", *args, stdout=out)
    return out.getvalue().splitlines()


# ----------------------------------------------------------------------------- organisation


def test_demo_reports_what_it_loaded_and_the_password(demo_run: DemoRun) -> None:
    assert "单位 20 个" in demo_run.output
    assert f"督办事项 {Item.objects.count()} 项" in demo_run.output
    assert demo.DEMO_PASSWORD in demo_run.output
    # The whole story goes through the real actions in a few seconds.
    assert demo_run.seconds < 30


def test_demo_units_each_have_their_own_head_and_liaison(demo_run: DemoRun) -> None:
    units = list(Unit.objects.select_related("head", "liaison", "leader_in_charge"))
    assert len(units) >= 18
    for unit in units:
        assert unit.head is not None and unit.liaison is not None, unit.name
        assert unit.head.unit_id == unit.pk and unit.head.role == Role.UNIT_HEAD, unit.name
        assert unit.liaison.unit_id == unit.pk and unit.liaison.role == Role.LIAISON, unit.name
        assert unit.head.title and unit.head.full_name, unit.name
        assert unit.leader_in_charge is not None, unit.name
        assert unit.leader_in_charge.role == Role.SCHOOL_LEADER, unit.name
    # Art.20: exactly one liaison per unit.
    assert User.objects.filter(role=Role.LIAISON).count() == len(units)
    kinds = {unit.kind for unit in units}
    assert kinds == set(UnitKind.values)
    assert Unit.objects.get(code=demo.GENERAL_OFFICE_CODE).kind == UnitKind.GENERAL_OFFICE
    assert Unit.objects.filter(kind=UnitKind.SCHOOL).count() >= 6


def test_demo_has_six_school_leaders_each_in_charge_of_units(demo_run: DemoRun) -> None:
    leaders = User.objects.filter(role=Role.SCHOOL_LEADER)
    assert leaders.count() == 6
    for leader in leaders:
        assert leader.unit_id is None
        assert leader.title and leader.portfolio, leader.username
        assert leader.units_in_charge.exists(), leader.username
    assert {leader.title for leader in leaders} >= {"党委书记", "校长", "副校长"}


def test_demo_has_supervisors_in_each_supervising_office_and_three_admins(
    demo_run: DemoRun,
) -> None:
    def supervisors(kind: str) -> int:
        return User.objects.filter(role=Role.OFFICE_SUPERVISOR, unit__kind=kind).count()

    assert 2 <= supervisors(UnitKind.GENERAL_OFFICE) <= 3
    assert supervisors(UnitKind.DISCIPLINE_OFFICE) == 1
    assert supervisors(UnitKind.SECRECY_OFFICE) == 1
    for role in (Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN):
        admin = User.objects.get(role=role)
        assert admin.unit_id is None
        # Only the system administrator opens Django's admin for now.
        assert (admin.is_staff, admin.is_superuser) == (
            role == Role.SYSTEM_ADMIN,
            role == Role.SYSTEM_ADMIN,
        )


def test_every_demo_login_signs_in_with_the_demo_password(demo_run: DemoRun) -> None:
    usernames = demo.demo_usernames()
    assert len(usernames) == len(set(usernames)) == User.objects.count()
    assert all(username.isascii() for username in usernames)
    full_names = list(User.objects.values_list("full_name", flat=True))
    assert len(full_names) == len(set(full_names))
    for username in ("office1", "jwc_liaison", "jwc_head", "leader_wang", "sysadmin"):
        assert authenticate(username=username, password=demo.DEMO_PASSWORD) is not None
    assert authenticate(username="office1", password="wrong-password") is None


def test_the_demo_chain_begins_with_its_directory_sync_and_verifies(demo_run: DemoRun) -> None:
    # The organisation is the demo's directory (duban/organisation/demo_org) synced
    # before the story's first morning, as a university's would be (tests/test_demo_org.py).
    first, second = AuditEvent.objects.order_by("sequence")[:2]
    assert first.verb == "sync_org" and first.actor is None
    assert first.created_at < second.created_at
    assert AuditEvent.objects.filter(verb="sync_org").count() == 1
    out = StringIO()
    call_command("verify_audit", "--no-anchor", stdout=out)
    assert out.getvalue().strip() == f"ok {AuditEvent.objects.count()}"


# ----------------------------------------------------------------------------- items


def test_demo_items_reach_every_status_source_and_meeting_body(demo_run: DemoRun) -> None:
    items = list(Item.objects.all())
    assert len(items) >= 35
    statuses = {item.status for item in items}
    assert statuses >= {
        Status.ESTABLISHED,
        Status.ASSIGNED,
        Status.RETURNED,
        Status.IN_PROGRESS,
        Status.SUBMITTED,
        Status.COMPLETED,
    }
    assert {item.source_kind for item in items} == set(SourceKind.values)
    meeting_bodies = {item.source_body for item in items if item.source_kind == SourceKind.MEETING}
    assert meeting_bodies == set(SOURCE_BODIES[SourceKind.MEETING])
    assert all(
        "纪要〔" in item.basis and item.minutes_issued_on is not None
        for item in items
        if item.source_kind == SourceKind.MEETING
    )
    # R-S2: every `other` item rests on a school leader's dated decision.
    for item in items:
        if item.source_kind == SourceKind.OTHER:
            assert item.deciding_leader is not None and item.decided_on is not None
            assert item.deciding_leader.role == Role.SCHOOL_LEADER
            assert item.decided_on <= item.established_at.date()
    assert any(item.urgent for item in items)
    assert any(item.cooperating_units.exists() for item in items)


def test_demo_items_of_restricted_kinds_have_their_own_supervising_office(
    demo_run: DemoRun,
) -> None:
    confidentiality = set(Item.objects.values_list("confidentiality", flat=True))
    assert confidentiality == set(Confidentiality.values)
    assert Item.objects.filter(confidentiality=Confidentiality.ORDINARY).count() > (
        Item.objects.count() // 2
    )
    assert Item.objects.filter(confidentiality=Confidentiality.SENSITIVE).count() >= 2
    discipline = Item.objects.get(confidentiality=Confidentiality.DISCIPLINE)
    assert discipline.supervising_office.kind == UnitKind.DISCIPLINE_OFFICE
    assert discipline.supervisor is not None
    assert discipline.supervisor.unit_id == discipline.supervising_office_id
    assert discipline.created_by == discipline.supervisor
    classified = Item.objects.get(confidentiality=Confidentiality.CLASSIFIED)
    assert classified.supervising_office.kind == UnitKind.SECRECY_OFFICE
    assert (
        classified.content == "涉密内容，按规定线下报送。"
    )  # R-C3: no classified content in the system


def test_r_d2_demo_meeting_deadlines_are_ten_workdays_after_the_minutes(
    demo_run: DemoRun,
) -> None:
    ten_workday_items = Item.objects.filter(deadline_rule=DeadlineRule.TEN_WORKDAYS)
    assert ten_workday_items.count() >= 10
    for item in ten_workday_items:
        assert item.minutes_issued_on is not None
        expected = calendar.add_workdays(item.minutes_issued_on, 10).day
        assert item.original_deadline == expected, item.title
    assert any(item.deadline == item.original_deadline for item in ten_workday_items)
    # R-D1, R-D3, R-D4, R-D5 appear too.
    rules = set(Item.objects.values_list("deadline_rule", flat=True))
    assert rules == set(DeadlineRule.values)


def test_demo_has_overdue_and_nearly_due_items(demo_run: DemoRun) -> None:
    today = clock.today()
    overdue = Item.objects.filter(status=Status.IN_PROGRESS, deadline__lt=today)
    assert overdue.count() >= 1
    # An overdue item from the oldest minutes: established weeks ago, deadline long past.
    assert overdue.filter(deadline=calendar.subtract_workdays(today, 32).day).exists()
    within_three = calendar.add_workdays(today, 3).day
    nearly_due = Item.objects.filter(
        status__in=ACTIVE_STATUSES, deadline__gte=today, deadline__lte=within_three
    )
    assert nearly_due.count() >= 1


def test_every_demo_item_has_a_dated_timeline(demo_run: DemoRun) -> None:
    now = clock.now()
    for item in Item.objects.prefetch_related("events"):
        events = list(item.events.all())
        assert events, item.title
        assert events[0].verb == "establish"
        assert events[0].created_at == item.established_at
        times = [event.created_at for event in events]
        assert times == sorted(times) and times[-1] < now, item.title
    # The story is told in time order, as it would have happened.
    all_times = list(AuditEvent.objects.order_by("id").values_list("created_at", flat=True))
    assert all_times == sorted(all_times)
    # Ledger numbers are given in the order items were established (R-S5).
    for kind in SourceKind.values:
        serials = list(
            Item.objects.filter(source_kind=kind)
            .order_by("established_at")
            .values_list("year", "serial")
        )
        assert serials == sorted(serials), kind


def test_demo_story_has_plans_feedback_changes_returns_and_reviews(demo_run: DemoRun) -> None:
    assert WorkPlan.objects.count() >= 10
    assert Milestone.objects.count() >= 20
    for milestone in Milestone.objects.select_related("plan__item"):
        assert milestone.due_on <= milestone.plan.item.deadline
        assert calendar.is_workday(milestone.due_on).is_workday
    kinds = set(Feedback.objects.values_list("kind", flat=True))
    assert kinds == set(FeedbackKind.values)
    statuses = set(Feedback.objects.values_list("status", flat=True))
    assert statuses >= {
        FeedbackStatus.DECLINED,
        FeedbackStatus.SUBMITTED,
        FeedbackStatus.ACCEPTED,
        FeedbackStatus.RETURNED,
    }
    assert Feedback.objects.filter(
        kind=FeedbackKind.COMPLETION, contributions__isnull=False
    ).exists()
    changed_fields = set(ItemChange.objects.values_list("field", flat=True))
    assert changed_fields >= {"title", "content", "deadline", "lead_unit"}
    assert ItemChange.objects.filter(authorised_by__role=Role.SCHOOL_LEADER).exists()
    assert Item.objects.exclude(deadline=F("original_deadline")).exists()
    verbs = set(AuditEvent.objects.values_list("verb", flat=True))
    assert verbs >= {"return", "reassign", "decline_report", "return_report", "accept_report"}
    # Whoever acted on an item has read its notices; the rest wait in inboxes.
    assert Notice.objects.filter(read_at__isnull=False).exists()
    assert Notice.objects.filter(read_at__isnull=True).exists()


# ----------------------------------------------------------------------------- idempotence


def test_running_demo_again_changes_nothing(demo_run: DemoRun) -> None:
    before = counts()
    out = StringIO()
    call_command("demo", stdout=out)
    assert out.getvalue().strip() == "演示数据已存在，未作更改"
    assert counts() == before


def test_demo_refuses_a_database_with_other_units(demo_run: DemoRun) -> None:
    # Without the demo's General Office, the units here are someone else's.
    Unit.objects.filter(code=demo.GENERAL_OFFICE_CODE).update(code="9901")
    before = counts()
    with pytest.raises(CommandError, match="数据库中已有单位数据"):
        call_command("demo", stdout=StringIO())
    assert counts() == before


def test_demo_logins_doc_matches_the_demo(demo_run: DemoRun) -> None:
    # Regenerate with: python manage.py demo --logins-markdown > docs/demo-logins.md
    assert DOCS_LOGINS.read_text(encoding="utf-8") == demo.logins_markdown()
    out = StringIO()
    call_command("demo", "--logins-markdown", stdout=out)
    assert out.getvalue() == demo.logins_markdown()


# ----------------------------------------------------------------------------- serve


def test_serve_check_prints_the_address_and_every_demo_login(
    demo_run: DemoRun, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PORT", raising=False)
    lines = run_serve("--check")
    assert "http://127.0.0.1:8000" in lines
    printed = {line.split()[0] for line in lines if line.strip()}
    assert set(demo.demo_usernames()) <= printed
    row = next(line for line in lines if line.startswith("jwc_liaison "))
    assert row.split() == ["jwc_liaison", "联络员", "周敏", "教务处"]
    assert any(demo.DEMO_PASSWORD in line for line in lines)


def test_serve_takes_the_port_from_the_environment(
    demo_run: DemoRun, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PORT", "8123")
    lines = run_serve("--check")
    assert "http://127.0.0.1:8123" in lines
    assert "http://127.0.0.1:8000" not in lines


@pytest.mark.parametrize("port", ["abc", "0", "70000", "-1", "８０"])
def test_serve_refuses_a_bad_port(
    demo_run: DemoRun, monkeypatch: pytest.MonkeyPatch, port: str
) -> None:
    monkeypatch.setenv("PORT", port)
    with pytest.raises(CommandError, match="PORT"):
        run_serve("--check")


def test_serve_runs_the_development_server_without_the_reloader(
    demo_run: DemoRun, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[tuple[Any, ...], dict[str, Any]]] = []
    monkeypatch.setattr(serve, "call_command", lambda *a, **k: calls.append((a, k)))
    monkeypatch.setenv("PORT", "8124")
    run_serve()
    assert calls == [(("runserver", "127.0.0.1:8124"), {"use_reloader": False})]
    calls.clear()
    run_serve("--check")
    assert calls == []


def test_serve_says_when_the_demo_is_not_loaded(
    demo_run: DemoRun, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PORT", raising=False)
    Unit.objects.filter(code=demo.GENERAL_OFFICE_CODE).update(code="9901")
    lines = run_serve("--check")
    assert "http://127.0.0.1:8000" in lines
    assert "尚未载入演示数据：请先运行 python manage.py demo" in lines
    assert not any(line.startswith("office1 ") for line in lines)


# ----------------------------------------------------------------------------- issue 3 stories


def test_demo_has_the_extension_stories(demo_run: DemoRun) -> None:
    from duban.items.models import ExtensionApprover, ExtensionRequest, ExtensionStatus

    pending = ExtensionRequest.objects.get(status=ExtensionStatus.PENDING)
    # A long extension (R-E3) waits on the desk of the lead unit's leader in charge.
    assert pending.approver_kind == ExtensionApprover.LEADER
    assert pending.approver == pending.item.lead_unit.leader_in_charge
    approved = ExtensionRequest.objects.get(status=ExtensionStatus.APPROVED)
    assert approved.item.deadline == approved.requested_deadline
    assert approved.item.original_deadline == approved.current_deadline
    # One item's last day to ask for an extension (R-E2) was the working day before today.
    late = Item.objects.get(title="学生宿舍消防设施检修")
    yesterday = calendar.subtract_workdays(clock.today(), 1).day
    assert calendar.subtract_workdays(late.deadline, 5).day == yesterday


def test_demo_people_can_be_reached_by_email_and_sms(demo_run: DemoRun) -> None:
    assert not User.objects.filter(email="").exists()
    assert not User.objects.filter(phone="").exists()
