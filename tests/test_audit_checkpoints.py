"""Audit verification that scales: signed checkpoints (`verify_audit` reads only the
events after the newest one; `--full` reads every event)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from duban.audit.models import AuditCheckpoint, AuditEvent, record
from duban.audit.verification import verify_chain

from .conftest import Org


def run(*args: str) -> tuple[int, str, str]:
    out, err = StringIO(), StringIO()
    try:
        call_command("verify_audit", "--no-anchor", *args, stdout=out, stderr=err)
    except SystemExit as exit_:
        return int(exit_.code or 0), out.getvalue().strip(), err.getvalue().strip()
    return 0, out.getvalue().strip(), err.getvalue().strip()


def events(count: int) -> None:
    for number in range(count):
        record(None, "test", f"事件{number}")


def by_hand(sql: str) -> None:
    """As someone with database access would, triggers off."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = replica")
        cursor.execute(sql)
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = DEFAULT")


def test_after_a_checkpoint_only_the_new_events_are_read(org: Org) -> None:
    events(5)
    total = AuditEvent.objects.count()
    assert run() == (0, f"ok {total}", "")  # no checkpoint yet: every event, then one
    checkpoint = AuditCheckpoint.objects.get()
    assert (checkpoint.sequence, checkpoint.full) == (total, True)

    events(3)
    code, out, err = run()
    assert (code, out) == (0, f"ok {total + 3}")
    assert err == f"checked 3 events after checkpoint #{total}"
    assert verify_chain(full=False).read == 0  # the run above left a checkpoint at the head
    assert AuditCheckpoint.objects.order_by("-sequence").first().sequence == total + 3
    # --full reads everything again.
    assert verify_chain(full=True).read == total + 3
    assert run("--full") == (0, f"ok {total + 3}", "")


def test_a_tampered_old_event_is_caught_by_full(org: Org) -> None:
    events(6)
    total = AuditEvent.objects.count()
    assert run()[0] == 0
    events(2)
    old = AuditEvent.objects.order_by("sequence")[2]
    by_hand(f"UPDATE audit_auditevent SET summary = '改过' WHERE id = {old.pk}")

    code, out, err = run()  # reads the two new events only
    assert (code, out, err) == (0, f"ok {total + 2}", f"checked 2 events after checkpoint #{total}")
    code, out, _err = run("--full")
    assert code == 1
    assert out == f"broken at event #{old.sequence} (id {old.pk}, test): its content was altered"


def test_a_rewritten_checkpointed_event_is_named(org: Org) -> None:
    events(4)
    assert run()[0] == 0
    checkpoint = AuditCheckpoint.objects.get()
    by_hand(
        f"UPDATE audit_auditevent SET hash = '{'0' * 64}' WHERE sequence = {checkpoint.sequence}"
    )
    code, out, _err = run()
    assert code == 1
    assert out == (
        f"broken at event #{checkpoint.sequence}: it differs from the checkpoint "
        f"#{checkpoint.sequence} of {checkpoint.created_at:%Y-%m-%d %H:%M}"
    )


def test_missing_events_before_the_checkpoint_are_named(org: Org) -> None:
    events(4)
    assert run()[0] == 0
    checkpoint = AuditCheckpoint.objects.get()
    by_hand("DELETE FROM audit_auditevent WHERE sequence = 2")
    code, out, _err = run()
    assert code == 1
    assert out.startswith(f"broken before the checkpoint #{checkpoint.sequence}")
    assert "1 events are missing" in out


@pytest.mark.parametrize("signature", ["", "f" * 64])
def test_a_checkpoint_without_a_valid_signature_is_ignored(org: Org, signature: str) -> None:
    events(4)
    total = AuditEvent.objects.count()
    head = AuditEvent.objects.get(sequence=total)
    AuditCheckpoint.objects.create(
        sequence=total, hash=head.hash, signature=signature, created_at=head.created_at
    )
    verdict = verify_chain(full=False)
    assert (verdict.intact, verdict.since, verdict.read) == (True, 0, total)
