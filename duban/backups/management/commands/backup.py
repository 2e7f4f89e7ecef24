"""`python manage.py backup --output DIR`: one self-describing backup (the database,
the attachments and a manifest) in a new directory under DIR; the last line names it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from duban.backups.backup import BackupError, backup_size, write_backup


class Command(BaseCommand):
    help = "备份数据库与附件（含校验清单）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", type=Path, required=True, help="the backups' directory")

    def handle(self, *args: Any, output: Path, **options: Any) -> None:
        try:
            folder = write_backup(output, progress=self.stdout.write)
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"backup written: {folder} ({backup_size(folder)} bytes)")
