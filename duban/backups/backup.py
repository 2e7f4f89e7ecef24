"""One self-describing backup, and restoring it (MLPS level 3: backups with restore
drills).

A backup is a directory `duban-backup-YYYYmmdd-HHMMSS` holding:
- `database.dump` (PostgreSQL, `pg_dump --format=custom`) or `database.sqlite3`
  (SQLite, its online backup API): a consistent copy taken while the system runs;
- `attachments.tar`: every file under ATTACHMENT_ROOT;
- `manifest.json`: the size and SHA-256 of both, the database vendor, each app's
  newest migration, the row count of every table and the audit chain's head.

`restore` refuses a database or attachment root that holds anything unless forced,
checks every file against the manifest before touching anything, restores, then
verifies the audit chain in full and compares the head and every table's row count
with the manifest.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from duban import clock

FORMAT = 1
MANIFEST = "manifest.json"
ATTACHMENTS = "attachments.tar"
DATABASE_FILES = {"postgresql": "database.dump", "sqlite": "database.sqlite3"}
PREFIX = "duban-backup-"


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why, in Chinese."""


@dataclass(frozen=True)
class Restored:
    items: int
    events: int
    attachments: int

    def line(self) -> str:
        return (
            f"restored: items {self.items}, events {self.events}, "
            f"attachments {self.attachments}; audit ok"
        )


# ----------------------------------------------------------------------------- helpers


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()


def table_counts() -> dict[str, int]:
    """Every table's row count (one statement per table; a backup's few seconds)."""
    counts = {}
    with connection.cursor() as cursor:
        for table in sorted(connection.introspection.table_names(cursor)):
            cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608
            counts[table] = int(cursor.fetchone()[0])
    return counts


def audit_head() -> dict[str, Any]:
    from duban.audit.models import AuditHead

    head = AuditHead.objects.filter(pk=1).values("sequence", "last_hash").first()
    return (
        {"sequence": head["sequence"], "hash": head["last_hash"]}
        if head
        else {
            "sequence": 0,
            "hash": "",
        }
    )


def attachment_files(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob("*") if path.is_file()) if root.exists() else []


def _pg_environment() -> tuple[list[str], dict[str, str]]:
    """pg_dump/pg_restore connection arguments; the password only in the environment."""
    database = settings.DATABASES["default"]
    arguments = []
    if database.get("HOST"):
        arguments += ["--host", str(database["HOST"])]
    if database.get("PORT"):
        arguments += ["--port", str(database["PORT"])]
    if database.get("USER"):
        arguments += ["--username", str(database["USER"])]
    environment = dict(os.environ)
    if database.get("PASSWORD"):
        environment["PGPASSWORD"] = str(database["PASSWORD"])
    return [*arguments, "--dbname", str(database["NAME"])], environment


def _run(command: list[str], environment: dict[str, str]) -> None:
    done = subprocess.run(command, env=environment, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise BackupError(
            _("%(program)s 失败：%(error)s")
            % {"program": command[0], "error": done.stderr.strip()[-500:]}
        )


# ----------------------------------------------------------------------------- backup

Facts = tuple[dict[str, int], dict[str, Any], dict[str, str]]


def _dump_postgresql(target: Path) -> Facts:
    """pg_dump reads the snapshot a connection of its own exported, so the counts, the
    head and the dump are one moment of the database while the system writes on."""
    import psycopg

    arguments, environment = _pg_environment()
    database = settings.DATABASES["default"]
    with psycopg.connect(
        dbname=database["NAME"],
        user=database.get("USER") or None,
        password=database.get("PASSWORD") or None,
        host=database.get("HOST") or None,
        port=database.get("PORT") or None,
    ) as own:
        own.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        snapshot = own.execute("SELECT pg_export_snapshot()").fetchone()[0]  # type: ignore[index]
        tables = [
            row[0]
            for row in own.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
                "ORDER BY tablename"
            )
        ]
        counts = {
            table: int(own.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0])  # type: ignore[index]  # noqa: S608
            for table in tables
        }
        dump = ["pg_dump", "--format=custom", "--snapshot", snapshot, "--file", str(target)]
        _run([*dump, *arguments], environment)
        rows = own.execute("SELECT sequence, last_hash FROM audit_audithead WHERE id = 1")
        schema_rows = own.execute("SELECT app, name FROM django_migrations").fetchall()
        return counts, _head(rows.fetchone()), _newest(schema_rows)


def _head(row: Any) -> dict[str, Any]:
    return {"sequence": row[0], "hash": row[1]} if row else {"sequence": 0, "hash": ""}


def _newest(rows: Any) -> dict[str, str]:
    newest: dict[str, str] = {}
    for app, name in rows:
        if name > newest.get(app, ""):
            newest[app] = name
    return dict(sorted(newest.items()))


def _copy_sqlite(target: Path) -> Facts:
    """SQLite's online backup API copies a consistent database; the facts are read from
    the copy itself."""
    connection.ensure_connection()
    copy = sqlite3.connect(target)
    try:
        connection.connection.backup(copy)
        tables = [
            row[0]
            for row in copy.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        counts = {
            table: int(copy.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0])  # noqa: S608
            for table in sorted(tables)
        }
        row = copy.execute(
            "SELECT sequence, last_hash FROM audit_audithead WHERE id = 1"
        ).fetchone()
        head = {"sequence": row[0], "hash": row[1]} if row else {"sequence": 0, "hash": ""}
        schema: dict[str, str] = {}
        for app, name in copy.execute("SELECT app, name FROM django_migrations"):
            if name > schema.get(app, ""):
                schema[app] = name
    finally:
        copy.close()
    return counts, head, dict(sorted(schema.items()))


def write_backup(output: Path, progress: Any = None) -> Path:
    """Write one backup under `output`; returns its directory."""
    say = progress or (lambda text: None)
    vendor = connection.vendor
    if vendor not in DATABASE_FILES:
        raise BackupError(_("不支持备份此类数据库：%(vendor)s") % {"vendor": vendor})
    stamp = timezone.localtime(clock.now()).strftime("%Y%m%d-%H%M%S")
    folder = output / f"{PREFIX}{stamp}"
    folder.mkdir(parents=True, exist_ok=False)
    try:
        database_file = folder / DATABASE_FILES[vendor]
        say(_("正在备份数据库……"))
        if vendor == "postgresql":
            counts, head, schema = _dump_postgresql(database_file)
        else:
            counts, head, schema = _copy_sqlite(database_file)
        say(_("正在备份附件……"))
        root = Path(settings.ATTACHMENT_ROOT)
        files = attachment_files(root)
        with tarfile.open(folder / ATTACHMENTS, "w") as archive:
            for path in files:
                archive.add(path, arcname=str(path.relative_to(root)))
        manifest = {
            "format": FORMAT,
            "created_at": clock.now().isoformat(),
            "vendor": vendor,
            "schema": schema,
            "audit_head": head,
            "tables": counts,
            "counts": {
                "items": counts.get("items_item", 0),
                "events": counts.get("audit_auditevent", 0),
                "attachments": len(files),
            },
            "files": {
                name: {"size": (folder / name).stat().st_size, "sha256": sha256_of(folder / name)}
                for name in (database_file.name, ATTACHMENTS)
            },
        }
        (folder / MANIFEST).write_text(
            json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8"
        )
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return folder


def backup_size(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.iterdir() if path.is_file())


# ----------------------------------------------------------------------------- restore


def read_manifest(folder: Path) -> dict[str, Any]:
    """The manifest, after checking every file it names (size, then SHA-256)."""
    path = folder / MANIFEST
    if not path.is_file():
        raise BackupError(
            _("%(folder)s 中没有 manifest.json，不是本系统的备份") % {"folder": folder}
        )
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        files = manifest["files"]
    except (ValueError, KeyError, TypeError) as error:
        raise BackupError(_("manifest.json 无法读取：%(error)s") % {"error": error}) from error
    if manifest.get("format") != FORMAT:
        raise BackupError(
            _("备份格式版本不受支持：%(format)s") % {"format": manifest.get("format")}
        )
    for name, expected in sorted(files.items()):
        file = folder / name
        if not file.is_file():
            raise BackupError(_("备份文件缺失：%(name)s") % {"name": name})
        if file.stat().st_size != expected["size"] or sha256_of(file) != expected["sha256"]:
            raise BackupError(
                _("备份文件 %(name)s 与 manifest 记录的大小或 SHA-256 不符，已被改动或损坏")
                % {"name": name}
            )
    return dict(manifest)


def holds_anything() -> str:
    """What the database or attachment root holds, in words, or ""."""
    tables = set(connection.introspection.table_names())
    for table, label in (
        ("items_item", _("督办事项")),
        ("audit_auditevent", _("审计事件")),
        ("organisation_user", _("用户")),
    ):
        if table in tables:
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT 1 FROM {connection.ops.quote_name(table)} LIMIT 1")  # noqa: S608
                if cursor.fetchone():
                    return _("数据库中已有%(what)s") % {"what": label}
    if attachment_files(Path(settings.ATTACHMENT_ROOT)):
        return _("附件目录 %(root)s 中已有文件") % {"root": settings.ATTACHMENT_ROOT}
    return ""


def restore_backup(folder: Path, *, force: bool = False, progress: Any = None) -> Restored:
    say = progress or (lambda text: None)
    manifest = read_manifest(folder)
    vendor = connection.vendor
    if manifest["vendor"] != vendor:
        raise BackupError(
            _("备份来自 %(from)s 数据库，不能恢复到 %(to)s 数据库")
            % {"from": manifest["vendor"], "to": vendor}
        )
    occupied = holds_anything()
    if occupied and not force:
        raise BackupError(
            _("%(what)s：恢复只写入空的数据库和附件目录；确需覆盖请加 --force") % {"what": occupied}
        )
    database_file = folder / DATABASE_FILES[vendor]
    say(_("正在恢复数据库……"))
    if vendor == "postgresql":
        arguments, environment = _pg_environment()
        connection.close()
        _run(
            [
                "pg_restore",
                "--clean",
                "--if-exists",
                "--no-owner",
                "--no-acl",  # the grants name roles of the source server: audit_grants again
                "--single-transaction",
                "--exit-on-error",
                *arguments,
                str(database_file),
            ],
            environment,
        )
    else:
        connection.ensure_connection()
        source = sqlite3.connect(database_file)
        try:
            source.backup(connection.connection)
        finally:
            source.close()
        connection.close()
    say(_("正在恢复附件……"))
    root = Path(settings.ATTACHMENT_ROOT)
    if force and root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True, exist_ok=True)
    with tarfile.open(folder / ATTACHMENTS) as archive:
        archive.extractall(root, filter="data")
    say(_("正在核验审计日志与各表行数……"))
    return _check_restored(manifest, root)


def _check_restored(manifest: dict[str, Any], root: Path) -> Restored:
    from duban.audit.verification import verify_chain

    verdict = verify_chain(None, full=True)
    if not verdict.intact:
        raise BackupError(
            _("恢复后的审计日志核验未通过：%(message)s") % {"message": verdict.message}
        )
    head = audit_head()
    if head != manifest["audit_head"]:
        raise BackupError(
            _("恢复后的审计链头（#%(now)s）与备份时（#%(then)s）不符")
            % {"now": head["sequence"], "then": manifest["audit_head"]["sequence"]}
        )
    counts = table_counts()
    differing = sorted(
        table for table, count in manifest["tables"].items() if counts.get(table) != count
    )
    if differing:
        raise BackupError(
            _("恢复后各表行数与备份不符：%(tables)s") % {"tables": "、".join(differing)}
        )
    files = attachment_files(root)
    if len(files) != manifest["counts"]["attachments"]:
        raise BackupError(_("恢复后的附件数与备份不符"))
    return Restored(counts.get("items_item", 0), counts.get("audit_auditevent", 0), len(files))


# ----------------------------------------------------------------------------- retention


def backups_in(folder: Path) -> list[Path]:
    """This system's backups in `folder` (with a readable manifest), newest first."""
    found = []
    for path in folder.glob(f"{PREFIX}*"):
        if (path / MANIFEST).is_file():
            found.append(path)
    return sorted(found, key=lambda path: path.name, reverse=True)


def prune(folder: Path, keep: int) -> list[Path]:
    """Delete all but the `keep` newest backups; returns those deleted."""
    old = backups_in(folder)[max(keep, 1) :]
    for path in old:
        shutil.rmtree(path)
    return old


def stamp_of(folder: Path) -> dt.datetime | None:
    try:
        return dt.datetime.strptime(folder.name.removeprefix(PREFIX), "%Y%m%d-%H%M%S")
    except ValueError:
        return None
