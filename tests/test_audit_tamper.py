"""Issue 14, sections 1 and 7: the audit log cannot be cut short or wiped unnoticed.

The outside probe's two reproductions run here as written, on PostgreSQL:
- `TRUNCATE audit_auditevent; UPDATE audit_audithead SET sequence=0, ...` — refused;
- triggers off, the last 20 events deleted and the head moved back — `verify_audit`
  exits 1 naming what is missing (the signed head, and the external anchor).
And on both databases: the anchor file, the head's signature, a changed AUDIT_KEY.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import uuid
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from duban import clock
from duban.audit.anchor import database_label
from duban.audit.chain import key_id, sign
from duban.audit.models import AuditEvent, AuditHead, record

from .conftest import Org, advance, establish, make_person

ROOT = Path(__file__).resolve().parent.parent


def verify(*args: str) -> tuple[int, str]:
    out = StringIO()
    try:
        call_command("verify_audit", *args, stdout=out)
    except SystemExit as exit_:
        return int(exit_.code or 0), out.getvalue().strip()
    return 0, out.getvalue().strip()


def as_owner_with_triggers_off(*statements: str) -> None:
    """What the probe did as the role that owns the tables (a superuser here)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The test's open transaction has deferred checks pending; a session of
            # its own would not: settle them so TRUNCATE behaves as it would there.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET session_replication_role = replica")
        for statement in statements:
            cursor.execute(statement)
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = DEFAULT")


def checkpoint_time() -> str:
    from duban.audit.models import AuditCheckpoint

    return f"{AuditCheckpoint.objects.get().created_at:%Y-%m-%d %H:%M}"


def refused(statement: str) -> str:
    """Run `statement` as it is (triggers on); return the database's refusal."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # as in a session of its own
    with pytest.raises(DatabaseError) as caught, transaction.atomic(), connection.cursor() as c:
        c.execute(statement)
    return str(caught.value)


@pytest.fixture
def history(org: Org) -> list[AuditEvent]:
    for _n in range(5):
        advance(org, establish(org), "completed")
    events = list(AuditEvent.objects.order_by("sequence"))
    assert len(events) > 25
    return events


def requires_postgres() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the triggers and roles are PostgreSQL's")


# ----------------------------------------------------------------------------- the probe's two


def test_truncating_the_events_and_resetting_the_head_is_refused(
    history: list[AuditEvent],
) -> None:
    requires_postgres()
    message = refused("TRUNCATE audit_auditevent")
    assert "the audit log cannot be truncated" in message
    message = refused("UPDATE audit_audithead SET sequence=0, last_hash=repeat('0',64)")
    assert "only moves forward" in message
    assert refused("TRUNCATE audit_audithead")
    assert "cannot be deleted" in refused("DELETE FROM audit_audithead")
    assert AuditEvent.objects.count() == len(history)
    assert verify() == (0, f"ok {len(history)}")


def test_truncation_with_triggers_off_is_caught_by_the_signed_head(
    history: list[AuditEvent],
) -> None:
    """Even done by the owner with triggers off, the head cannot be forged: `ok 0` no more."""
    requires_postgres()
    as_owner_with_triggers_off(
        "TRUNCATE audit_auditevent",
        "UPDATE audit_audithead SET sequence=0, last_hash=repeat('0',64)",
    )
    code, message = verify()
    assert code == 1
    assert message == (
        "broken after event #0: the chain head (#0) was set by hand, its signature does not "
        "match; events after it were probably removed"
    )


def test_deleting_the_last_20_events_and_moving_the_head_back_is_caught(
    history: list[AuditEvent],
) -> None:
    kept = history[-21]
    as_owner_with_triggers_off(
        f"DELETE FROM audit_auditevent WHERE sequence > {kept.sequence}",
        f"UPDATE audit_audithead SET sequence={kept.sequence}, last_hash='{kept.hash}'",
    )
    assert AuditEvent.objects.count() == len(history) - 20
    code, message = verify()
    assert code == 1
    assert message == (
        f"broken after event #{kept.sequence}: the chain head (#{kept.sequence}) was set by "
        "hand, its signature does not match; events after it were probably removed"
    )


def test_the_anchor_catches_a_head_restored_from_an_old_copy(
    history: list[AuditEvent], settings: Any
) -> None:
    """Someone who saved the head row earlier and puts it back after deleting the newest
    events beats the signature; the anchor written since then does not match."""
    kept = history[-21]
    # The head as it was when event `kept` was the newest, signature included.
    from duban.audit.chain import head_signature

    saved = (kept.sequence, kept.hash, head_signature(kept.sequence, kept.hash))
    code, _message = verify("--write-anchor", str(settings.AUDIT_ANCHOR_FILE))
    assert code == 0
    as_owner_with_triggers_off(
        f"DELETE FROM audit_auditevent WHERE sequence > {kept.sequence}",
        f"UPDATE audit_audithead SET sequence={saved[0]}, last_hash='{saved[1]}', "
        f"signature='{saved[2]}'",
    )
    # The checkpoint the first verification left in the database names the cut...
    code, message = verify("--no-anchor")
    assert code == 1
    assert message == (
        f"broken: event #{history[-1].sequence} of the checkpoint "
        f"#{history[-1].sequence} of {checkpoint_time()} is missing from the chain"
    )
    # ...but whoever deletes events can delete checkpoints: the chain alone looks fine.
    as_owner_with_triggers_off("DELETE FROM audit_auditcheckpoint")
    assert verify("--no-anchor") == (0, f"ok {kept.sequence}")
    code, message = verify()  # the configured anchor file is used by default
    assert code == 1
    assert message.startswith(f"broken: the chain ends at event #{kept.sequence} but the anchor")
    assert message.endswith(f"records #{history[-1].sequence}: 20 events are missing")


# ----------------------------------------------------------------------------- the anchor


def test_an_anchor_is_written_signed_and_verified(
    history: list[AuditEvent], tmp_path: Path
) -> None:
    anchor = tmp_path / "anchor.json"
    code, message = verify("--write-anchor", str(anchor))
    assert code == 0
    assert message.splitlines() == [
        f"anchor written to {anchor}: #{history[-1].sequence} {history[-1].hash}",
        f"ok {len(history)}",
    ]
    written = json.loads(anchor.read_text("utf-8"))
    assert list(written["anchors"]) == [database_label()]
    assert written["anchors"][database_label()]["sequence"] == history[-1].sequence
    assert written["anchors"][database_label()]["hash"] == history[-1].hash
    # Later events are fine: the chain still holds the anchored one.
    record(None, "test", "之后的事件")
    assert verify("--anchor", str(anchor)) == (0, f"ok {len(history) + 1}")


def test_an_edited_anchor_is_refused(history: list[AuditEvent], tmp_path: Path) -> None:
    anchor = tmp_path / "anchor.json"
    verify("--write-anchor", str(anchor))
    written = json.loads(anchor.read_text("utf-8"))
    written["sequence"] = 3
    anchor.write_text(json.dumps(written), "utf-8")
    code, message = verify("--anchor", str(anchor))
    assert code == 1
    assert message == (
        f"the anchor file {anchor} is not signed with this AUDIT_KEY: it was edited, or "
        "the key differs from the one that wrote it"
    )


def another_databases_anchor(path: Path, sequence: int) -> dict[str, Any]:
    """The file as another database's nightly task (same key) would have written it."""
    entry = {"sequence": sequence, "hash": "b" * 64, "written_at": "2026-01-01T00:00:00+08:00"}
    payload: dict[str, Any] = {"anchors": {"postgresql:elsewhere": entry}, "key_id": key_id()}
    payload["signature"] = sign(payload)
    path.write_text(json.dumps(payload), "utf-8")
    return entry


def test_one_file_anchors_each_database_on_its_own(
    history: list[AuditEvent], settings: Any
) -> None:
    """A checkout serving several databases keeps one anchor per database: another
    database's longer chain is not taken for this one's cut, and writing this database's
    head keeps the other's."""
    path = settings.AUDIT_ANCHOR_FILE
    other = another_databases_anchor(path, history[-1].sequence + 1000)
    assert verify() == (0, f"ok {len(history)}")  # not "1000 events are missing"
    code, message = verify("--anchor", str(path))  # named by hand, it must hold this one
    assert code == 1
    assert message == (
        f"the anchor file {path} holds no anchor of this database ({database_label()}); "
        "it anchors postgresql:elsewhere"
    )
    code, _message = verify("--write-anchor", str(path))
    assert code == 0
    written = json.loads(path.read_text("utf-8"))
    assert written["anchors"]["postgresql:elsewhere"] == other
    assert written["anchors"][database_label()]["sequence"] == history[-1].sequence
    # This database's entry is the one compared: one ahead of the chain is named.
    written.pop("signature")
    written["anchors"][database_label()]["sequence"] += 7
    written["signature"] = sign(written)
    path.write_text(json.dumps(written), "utf-8")
    code, message = verify()
    assert code == 1
    assert message.endswith(f"records #{history[-1].sequence + 7}: 7 events are missing")


def test_an_anchor_file_of_the_earlier_format_still_anchors(
    history: list[AuditEvent], tmp_path: Path
) -> None:
    """A file written before anchors were kept per database (one head, no database) is
    compared with whichever database reads it, and the next write converts it."""
    anchor = tmp_path / "anchor.json"
    payload: dict[str, Any] = {
        "sequence": history[-1].sequence + 5,
        "hash": history[-1].hash,
        "written_at": "2026-01-01T00:00:00+08:00",
        "key_id": key_id(),
    }
    payload["signature"] = sign(payload)
    anchor.write_text(json.dumps(payload), "utf-8")
    code, message = verify("--anchor", str(anchor))
    assert code == 1
    assert message.endswith("5 events are missing")
    assert verify("--no-anchor", "--write-anchor", str(anchor))[0] == 0
    assert list(json.loads(anchor.read_text("utf-8"))["anchors"]) == [database_label()]
    assert verify("--anchor", str(anchor)) == (0, f"ok {len(history)}")


def test_a_rewritten_anchored_event_is_named(history: list[AuditEvent], tmp_path: Path) -> None:
    anchor = tmp_path / "anchor.json"
    verify("--write-anchor", str(anchor))
    target = history[-1]
    as_owner_with_triggers_off(
        f"UPDATE audit_auditevent SET hash = repeat('a', 64) WHERE id = {target.pk}"
    )
    code, message = verify("--anchor", str(anchor))
    assert code == 1
    assert message.startswith(f"broken at event #{target.sequence}")


def test_a_missing_anchor_file_named_on_the_command_line_fails(
    history: list[AuditEvent], tmp_path: Path
) -> None:
    code, message = verify("--anchor", str(tmp_path / "nowhere.json"))
    assert code == 1
    assert message == f"broken: the anchor file {tmp_path / 'nowhere.json'} does not exist"


def test_the_nightly_task_writes_the_anchor_only_for_an_intact_chain(
    history: list[AuditEvent], settings: Any
) -> None:
    from duban.audit.tasks import write_anchor
    from duban.items.models import Notice
    from duban.organisation.models import Role

    make_person("security_admin", Role.SECURITY_ADMIN, None, "鲁安全")
    make_person("audit_admin", Role.AUDIT_ADMIN, None, "齐审计")
    first = write_anchor.call()
    last = history[-1].sequence
    assert first == {"intact": True, "sequence": last, "read": len(history), "full": True}
    as_owner_with_triggers_off(
        f"UPDATE audit_auditevent SET summary = '篡改' WHERE id = {history[3].pk}"
    )
    # The next night reads only what came after the checkpoint; a week on, everything.
    with time_machine.travel(clock.now() + dt.timedelta(days=1), tick=False):
        assert write_anchor.call()["read"] == 0
    before = settings.AUDIT_ANCHOR_FILE.read_text("utf-8")
    with time_machine.travel(clock.now() + dt.timedelta(days=7), tick=False):
        result = write_anchor.call()
    assert result["intact"] is False
    assert "content was altered" in str(result["message"])
    assert settings.AUDIT_ANCHOR_FILE.read_text("utf-8") == before  # the evidence is kept
    alerted = Notice.objects.filter(title="审计日志核验未通过")
    assert {notice.recipient.role for notice in alerted} == {"security_admin", "audit_admin"}
    assert "content was altered" in alerted[0].body


# ----------------------------------------------------------------------------- the key


def test_a_changed_audit_key_is_named_as_such(history: list[AuditEvent], settings: Any) -> None:
    settings.AUDIT_KEY = "another-key-0123456789abcdef0123456789"
    code, message = verify("--no-anchor")
    assert code == 1
    first = history[0]
    assert message.startswith(
        f"broken at event #{first.sequence} (id {first.pk}, {first.verb}): the key differs "
        f"from the one that signed event #{first.sequence}"
    )
    assert "content was altered" not in message


def test_altered_content_is_still_called_altered(history: list[AuditEvent]) -> None:
    target = history[5]
    as_owner_with_triggers_off(
        f"UPDATE audit_auditevent SET summary = '篡改' WHERE id = {target.pk}"
    )
    code, message = verify()
    assert code == 1
    assert message.endswith("its content was altered")


# ----------------------------------------------------------------------------- the app's role


# serialized_rollback: its flush leaves the tables as a serialized-rollback test after it
# expects them (no content types recreated under other ids).
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_application_role_that_does_not_own_the_tables_can_only_append(org: Org) -> None:
    requires_postgres()
    import psycopg

    advance(org, establish(org), "assigned")
    role = f"duban_app_{uuid.uuid4().hex[:8]}"
    database = connection.settings_dict["NAME"]
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {role} LOGIN")
    try:
        out = StringIO()
        call_command("audit_grants", "--app-role", role, "--apply", stdout=out)
        assert out.getvalue().strip() == (
            f"granted: {role} may append to the audit log, not change it"
        )
        host = connection.settings_dict["HOST"] or "127.0.0.1"
        port = connection.settings_dict["PORT"] or 5432
        with psycopg.connect(
            host=host, port=port, user=role, dbname=database, autocommit=True
        ) as app:
            for statement, expected in [
                ("UPDATE audit_auditevent SET summary = 'x'", "permission denied"),
                ("DELETE FROM audit_auditevent", "permission denied"),
                ("TRUNCATE audit_auditevent", "permission denied"),
                ("DELETE FROM audit_audithead", "permission denied"),
                ("ALTER TABLE audit_auditevent DISABLE TRIGGER ALL", "must be owner"),
                ("SET session_replication_role = replica", "permission denied"),
            ]:
                with pytest.raises(psycopg.Error) as caught:
                    app.execute(statement)
                assert expected in str(caught.value), statement
            # Reading and the rest of the schema are as usual.
            assert app.execute("SELECT count(*) FROM items_item").fetchone() == (1,)
        # The application itself runs as that role: an action appends to the chain.
        url = f"postgres://{role}@{host}:{port}/{database}"
        env = {**os.environ, "DEBUG": "1", "DATABASE_URL": url}
        script = (
            "from duban.audit.models import record; record(None, 'probe', '以应用角色写入'); "
            "from django.core.management import call_command; "
            "call_command('verify_audit', '--no-anchor')"
        )
        result = subprocess.run(
            [sys.executable, "manage.py", "shell", "-c", script],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        count = AuditEvent.objects.count()
        assert result.stdout.strip().splitlines()[-1] == f"ok {count}"
        assert AuditHead.objects.get().sequence == count
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"REASSIGN OWNED BY {role} TO CURRENT_USER")
            cursor.execute(f"DROP OWNED BY {role}")
            cursor.execute(f"DROP ROLE {role}")
