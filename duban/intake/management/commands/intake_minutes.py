"""Read a 会议纪要 into proposed meeting items (duban.intake).

    manage.py intake_minutes FILE --body 校长办公会 --issued 2026-11-20 [--dry-run]

Prints one tab-separated line per decision, then `proposals N` (see _intake.py);
without --dry-run the proposals are kept as drafts for the office to confirm at
/intake/<id>/. Nothing is established here.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from duban.intake.models import DocumentKind

from ._intake import add_common, parse_day, run


class Command(BaseCommand):
    help = "Read meeting minutes into proposed items (drafts; --dry-run prints them only)."

    def add_arguments(self, parser: CommandParser) -> None:
        add_common(parser)
        parser.add_argument("--body", required=True, help="党委常委会, 校长办公会 or 书记办公会")
        parser.add_argument("--issued", required=True, metavar="YYYY-MM-DD")

    def handle(self, *args: Any, **options: Any) -> None:
        run(
            self,
            kind=DocumentKind.MINUTES,
            path=options["file"],
            body=options["body"],
            issued_on=parse_day(options["issued"]),
            dry_run=options["dry_run"],
            username=options["user"],
        )
