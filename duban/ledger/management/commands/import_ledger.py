"""Import an office's existing Excel ledger, all or nothing:

    manage.py import_ledger 2025台账.xlsx --dry-run        # check only, write nothing
    manage.py import_ledger 2025台账.xlsx --year 2025
    manage.py import_ledger 台账.xlsx --supervisor sun_duban

Prints the detected column mapping, then every row's problem by row number (and
exits with an error, having written nothing), or the items created: `imported N
items from FILE` (with --dry-run: `dry run: N items would be imported from FILE`).

The import acts as an office supervisor (`--supervisor USERNAME`); without it, as the
General Office's only active supervisor, if it has exactly one. The column mapping,
the reading of values and how historical rows become items are described in
duban/ledger/importing.py and duban/ledger/actions.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from duban.items.errors import ActionError
from duban.ledger.actions import ImportReport, import_ledger
from duban.ledger.importing import MAX_BYTES
from duban.organisation.models import Role, UnitKind, User


class Command(BaseCommand):
    help = "Import an Excel ledger (.xlsx); nothing is imported unless every row is valid."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the .xlsx file")
        parser.add_argument("--dry-run", action="store_true", help="check only, write nothing")
        parser.add_argument("--year", type=int, help="import every row into this year")
        parser.add_argument("--supervisor", help="the office supervisor to act as (username)")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(_("文件“%(path)s”不存在。") % {"path": path})
        if path.stat().st_size > MAX_BYTES:
            raise CommandError(_("文件超过10 MB，请拆分后再导入。"))
        supervisor = self._supervisor(options["supervisor"])
        try:
            report = import_ledger(
                supervisor,
                path.read_bytes(),
                filename=path.name,
                year=options["year"],
                dry_run=options["dry_run"],
            )
        except ActionError as error:
            raise CommandError(error.message) from None
        self._print_mapping(report)
        if not report.ok:
            for text in report.problem_texts():
                self.stdout.write(text)
            raise CommandError(
                _("发现%(count)d处问题，未导入任何事项。") % {"count": len(report.problems)}
            )
        for entry in report.created:
            self.stdout.write(
                _("第%(row)d行 → %(number)s %(title)s（%(status)s）")
                % {
                    "row": entry["row"],
                    "number": entry["number"],
                    "title": entry["title"],
                    "status": entry["status"],
                }
            )
        count = len(report.created)
        if report.dry_run:
            self.stdout.write(f"dry run: {count} items would be imported from {path}")
        else:
            self.stdout.write(f"imported {count} items from {path}")

    def _print_mapping(self, report: ImportReport) -> None:
        if not report.mapping:
            return
        self.stdout.write(_("表头在第%(row)s行，列映射：") % {"row": report.header_row})
        for line in report.mapping:
            if line["column"]:
                self.stdout.write(f"  {line['field']} ← {line['column']}“{line['header']}”")
        if report.unrecognised:
            self.stdout.write(
                _("  未识别、不导入的列：%(names)s") % {"names": "、".join(report.unrecognised)}
            )

    @staticmethod
    def _supervisor(username: str | None) -> User:
        supervisors = User.objects.filter(role=Role.OFFICE_SUPERVISOR, is_active=True)
        if username:
            found = supervisors.filter(username=username).first()
            if found is None:
                raise CommandError(_("“%(name)s”不是启用的督办员账号。") % {"name": username})
            return found
        general_office = list(supervisors.filter(unit__kind=UnitKind.GENERAL_OFFICE)[:2])
        if len(general_office) != 1:
            raise CommandError(_("请用 --supervisor 指定以哪位督办员的身份导入。"))
        return general_office[0]
