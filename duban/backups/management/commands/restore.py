"""`python manage.py restore DIR [--force]`: restore a backup into an empty database and
attachment root, check it against its manifest, verify the audit chain. The last line
is exactly `restored: items N, events M, attachments K; audit ok`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from duban.backups.backup import BackupError, restore_backup


class Command(BaseCommand):
    help = "从备份恢复数据库与附件，并核验审计日志"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("folder", type=Path, help="a backup's directory")
        parser.add_argument(
            "--force", action="store_true", help="overwrite a database that holds data"
        )

    def handle(self, *args: Any, folder: Path, force: bool = False, **options: Any) -> None:
        try:
            restored = restore_backup(folder, force=force, progress=self.stdout.write)
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(restored.line())
