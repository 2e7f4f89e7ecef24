"""The audit log is append-only and hash-chained; verify_audit catches tampering."""

from __future__ import annotations

import itertools
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from duban.audit.models import AuditEvent, record

from .conftest import Org, advance, establish


def verify() -> tuple[int, str]:
    out = StringIO()
    try:
        call_command("verify_audit", stdout=out)
    except SystemExit as exit_:
        return int(exit_.code or 0), out.getvalue().strip()
    return 0, out.getvalue().strip()


def raw(sql: str, params: list[object]) -> None:
    """Change the table by hand, as someone with database access would."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # A superuser can switch triggers off for the session; the chain still tells.
            cursor.execute("SET session_replication_role = replica")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = DEFAULT")


@pytest.fixture
def history(org: Org) -> list[AuditEvent]:
    advance(org, establish(org), "completed")
    return list(AuditEvent.objects.order_by("sequence"))


def test_an_intact_chain_verifies(history: list[AuditEvent]) -> None:
    assert [event.sequence for event in history] == list(range(1, len(history) + 1))
    assert verify() == (0, f"ok {len(history)}")


def test_each_event_links_to_the_one_before(history: list[AuditEvent]) -> None:
    assert history[0].previous_hash == "0" * 64
    for before, after in itertools.pairwise(history):
        assert after.previous_hash == before.hash


def test_an_altered_row_is_caught(history: list[AuditEvent]) -> None:
    target = history[2]
    raw("UPDATE audit_auditevent SET summary = %s WHERE id = %s", ["篡改", target.pk])
    code, message = verify()
    assert code == 1
    assert message == (
        f"broken at event #3 (id {target.pk}, {target.verb}): its content was altered"
    )


def test_a_removed_row_is_caught(history: list[AuditEvent]) -> None:
    target = history[1]
    raw("DELETE FROM audit_auditevent WHERE id = %s", [target.pk])
    code, message = verify()
    assert code == 1
    assert message.startswith(f"broken at event #3 (id {history[2].pk}")
    assert "removed or inserted" in message


def test_removing_the_newest_rows_is_caught(history: list[AuditEvent]) -> None:
    raw("DELETE FROM audit_auditevent WHERE id = %s", [history[-1].pk])
    code, message = verify()
    assert code == 1
    assert message.startswith(f"broken after event #{len(history) - 1}")


def test_an_inserted_row_is_caught(history: list[AuditEvent]) -> None:
    # Shift the tail up by one and forge an event in the gap, with a made-up hash.
    raw(
        "UPDATE audit_auditevent SET sequence = sequence + 1000 WHERE sequence >= %s",
        [3],
    )
    raw(
        "UPDATE audit_auditevent SET sequence = sequence - 999 WHERE sequence >= %s",
        [1000],
    )
    raw(
        "INSERT INTO audit_auditevent (sequence, created_at, verb, summary, data,"
        " previous_hash, hash) VALUES (%s, %s, %s, %s, %s, %s, %s)",
        [3, history[2].created_at, "forged", "伪造", "{}", history[1].hash, "f" * 64],
    )
    code, message = verify()
    assert code == 1
    assert message.startswith("broken at event #3 (id ")
    assert "forged" in message


def test_the_app_cannot_edit_or_delete_an_event(history: list[AuditEvent]) -> None:
    event = history[0]
    event.summary = "改写"
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    assert verify()[0] == 0


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's")
def test_r_postgres_trigger_refuses_update_and_delete(history: list[AuditEvent]) -> None:
    for statement in (
        "UPDATE audit_auditevent SET summary = 'x' WHERE id = %s",
        "DELETE FROM audit_auditevent WHERE id = %s",
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(statement, [history[0].pk])
    assert AuditEvent.objects.get(pk=history[0].pk).summary == history[0].summary
    assert verify() == (0, f"ok {len(history)}")


def test_events_without_an_item_join_the_chain(org: Org) -> None:
    record(org.system_admin, "login", "登录成功")
    record(None, "login_failed", "登录失败")
    assert verify() == (0, "ok 2")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's")
def test_r_postgres_head_moves_forward_only_along_an_unbroken_chain(org: Org) -> None:
    """A batch moves the head once, past all its events (audit migration 0007); a move
    past a missing event or a broken link is refused like a move back."""
    from duban.audit.chain import event_hash
    from duban.audit.models import AuditHead, Entry, record_many

    events = record_many([Entry(org.system_admin, "login", f"第{n}次") for n in range(5)])
    head = AuditHead.objects.get()
    assert (head.sequence, head.last_hash) == (events[-1].sequence, events[-1].hash)
    assert verify() == (0, "ok 5")

    def move(sequence: int, last_hash: str) -> None:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "UPDATE audit_audithead SET sequence = %s, last_hash = %s",
                [sequence, last_hash],
            )

    # An event whose link does not point at the one before it, then one after it.
    forged = []
    previous = "f" * 64
    for sequence in (6, 7):
        event = AuditEvent(
            sequence=sequence,
            created_at=events[-1].created_at,
            verb="forged",
            summary="伪造",
            data={},
            previous_hash=previous,
        )
        event.hash = previous = event_hash(
            {
                "sequence": sequence,
                "created_at": event.created_at,
                "actor_id": None,
                "verb": "forged",
                "summary": "伪造",
                "item_id": None,
                "unit_id": None,
                "data": {},
                "previous_hash": event.previous_hash,
            }
        )
        forged.append(event)
    AuditEvent.objects.bulk_create(forged)
    for sequence, last_hash in ((7, forged[1].hash), (9, "0" * 64), (4, events[3].hash)):
        with pytest.raises(DatabaseError, match="only moves forward"):
            move(sequence, last_hash)
    head.refresh_from_db()
    assert head.sequence == 5
