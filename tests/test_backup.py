"""Backup and restore (issue 13): a backup restored into a fresh database has every
table's rows and the audit head it had; a non-empty target or a damaged file is
refused and nothing changes; the scheduled backup keeps the newest and reports."""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import subprocess
import sys
import uuid
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.conf import settings as django_settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import Client

from duban.audit.models import AuditEvent
from duban.backups.backup import table_counts
from duban.backups.models import BackupRun
from duban.items.models import Item, Notice
from duban.organisation.models import Role

from .conftest import Org, advance, establish, make_person

ROOT = Path(__file__).resolve().parent.parent
NOON = dt.datetime(2026, 12, 3, 4, 0, tzinfo=dt.UTC)


def some_history(org: Org, attachments: Path) -> None:
    with time_machine.travel(NOON, tick=False):
        for _ in range(3):
            advance(org, establish(org), "in_progress")
    (attachments / "2026" / "12").mkdir(parents=True, exist_ok=True)
    (attachments / "2026" / "12" / "a1.pdf").write_bytes(b"%PDF-1.4\n%%EOF\n")


def backup(output: Path) -> Path:
    out = StringIO()
    call_command("backup", "--output", str(output), stdout=out)
    last = out.getvalue().strip().splitlines()[-1]
    assert last.startswith("backup written: ")
    return Path(last.removeprefix("backup written: ").rsplit(" (", 1)[0])


def restore_elsewhere(folder: Path, database_url: str, attachments: Path) -> str:
    environment = {
        **os.environ,
        "DATABASE_URL": database_url,
        "ATTACHMENT_ROOT": str(attachments),
        "DEBUG": "1",
        "OTP_REQUIRED": "0",
    }
    done = subprocess.run(
        [sys.executable, "manage.py", "restore", str(folder)],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip().splitlines()[-1]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_backup_restored_into_a_fresh_database_matches(
    org: Org, tmp_path: Path, settings: Any
) -> None:
    settings.ATTACHMENT_ROOT = tmp_path / "attachments"
    some_history(org, settings.ATTACHMENT_ROOT)
    folder = backup(tmp_path / "backups")
    manifest = json.loads((folder / "manifest.json").read_text("utf-8"))
    counts = table_counts()
    assert manifest["tables"] == counts
    head = AuditEvent.objects.order_by("-sequence").first()
    assert manifest["audit_head"] == {"sequence": head.sequence, "hash": head.hash}
    items, events = Item.objects.count(), AuditEvent.objects.count()
    expected = f"restored: items {items}, events {events}, attachments 1; audit ok"
    restored_files = tmp_path / "restored-attachments"

    if connection.vendor == "postgresql":
        import psycopg

        name = f"duban_restore_{uuid.uuid4().hex[:8]}"
        database = django_settings.DATABASES["default"]
        admin = {
            "host": database["HOST"] or None,
            "port": database["PORT"] or None,
            "user": database["USER"] or None,
            "password": database["PASSWORD"] or None,
        }
        with psycopg.connect(dbname="postgres", autocommit=True, **admin) as server:
            server.execute(f'CREATE DATABASE "{name}"')
        try:
            port = database["PORT"] or 5432
            url = f"postgres://{database['USER']}@{database['HOST']}:{port}/{name}"
            assert restore_elsewhere(folder, url, restored_files) == expected
            with psycopg.connect(dbname=name, **admin) as fresh:
                tables = [
                    row[0]
                    for row in fresh.execute(
                        "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
                    )
                ]
                fresh_counts = {
                    table: fresh.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0]
                    for table in tables
                }
                fresh_head = fresh.execute(
                    "SELECT sequence, last_hash FROM audit_audithead"
                ).fetchone()
        finally:
            with psycopg.connect(dbname="postgres", autocommit=True, **admin) as server:
                server.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    else:
        target = tmp_path / "restored.sqlite3"
        assert restore_elsewhere(folder, f"sqlite:///{target}", restored_files) == expected
        with sqlite3.connect(target) as fresh:
            tables = [
                row[0]
                for row in fresh.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table' "
                    "AND name NOT LIKE 'sqlite_%'"
                )
            ]
            fresh_counts = {
                table: fresh.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0]
                for table in tables
            }
            fresh_head = fresh.execute("SELECT sequence, last_hash FROM audit_audithead").fetchone()
    assert fresh_counts == counts
    assert fresh_head == (head.sequence, head.hash)
    assert (restored_files / "2026" / "12" / "a1.pdf").read_bytes() == b"%PDF-1.4\n%%EOF\n"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_restore_refuses_a_database_with_data_and_a_damaged_file(
    org: Org, tmp_path: Path, settings: Any
) -> None:
    settings.ATTACHMENT_ROOT = tmp_path / "attachments"
    some_history(org, settings.ATTACHMENT_ROOT)
    folder = backup(tmp_path / "backups")
    before = table_counts()

    with pytest.raises(CommandError) as refused:
        call_command("restore", str(folder), stdout=StringIO())
    assert str(refused.value) == (
        "数据库中已有督办事项：恢复只写入空的数据库和附件目录；确需覆盖请加 --force"
    )
    # A changed byte in the attachments' archive: refused, even forced, before anything.
    archive = folder / "attachments.tar"
    data = bytearray(archive.read_bytes())
    data[600] ^= 0xFF
    archive.write_bytes(bytes(data))
    with pytest.raises(CommandError) as damaged:
        call_command("restore", str(folder), "--force", stdout=StringIO())
    assert str(damaged.value) == (
        "备份文件 attachments.tar 与 manifest 记录的大小或 SHA-256 不符，已被改动或损坏"
    )
    assert table_counts() == before
    assert (settings.ATTACHMENT_ROOT / "2026" / "12" / "a1.pdf").exists()
    with pytest.raises(CommandError, match=r"没有 manifest\.json"):
        call_command("restore", str(tmp_path), stdout=StringIO())


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_scheduled_backup_keeps_the_newest_and_reports(
    org: Org, tmp_path: Path, settings: Any, client: Client
) -> None:
    from duban.backups.tasks import scheduled_backup

    settings.ATTACHMENT_ROOT = tmp_path / "attachments"
    assert scheduled_backup.call() == {"skipped": "BACKUP_DIR is not set"}
    settings.BACKUP_DIR = str(tmp_path / "nightly")
    settings.BACKUP_KEEP = 2
    for day in range(3):
        with time_machine.travel(NOON + dt.timedelta(days=day), tick=False):
            assert scheduled_backup.call()["ok"] is True
    kept = sorted(path.name for path in Path(settings.BACKUP_DIR).iterdir())
    assert kept == ["duban-backup-20261204-120000", "duban-backup-20261205-120000"]
    assert BackupRun.objects.filter(ok=True).count() == 3

    security = make_person("security_admin", Role.SECURITY_ADMIN, None, "鲁安全")
    client.force_login(security)
    page = client.get("/accounts/locks/").content.decode()
    assert "最近一次定时备份" in page
    assert "2026-12-05 12:00" in page and "保留最近2份，删除1份旧备份" in page

    # A backup that cannot be written is recorded and the security admins told.
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("x")
    settings.BACKUP_DIR = str(blocked)
    with time_machine.travel(NOON + dt.timedelta(days=4), tick=False):
        result = scheduled_backup.call()
    assert result["ok"] is False
    failed = BackupRun.objects.order_by("-started_at").first()
    assert failed is not None and not failed.ok
    notice = Notice.objects.get(recipient=security, title="定时备份失败")
    assert failed.message in notice.body
    assert "失败" in client.get("/accounts/locks/").content.decode()
