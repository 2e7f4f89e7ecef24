"""Read the year's 党政工作要点 into proposed annual items (duban.intake).

    manage.py intake_plan FILE [--year 2027] [--body 党政工作要点] [--dry-run]

Each numbered task becomes an annual item due 31 December (R-D4); the year is read
from the title unless given. Output as intake_minutes.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from duban.intake.models import DocumentKind

from ._intake import add_common, run


class Command(BaseCommand):
    help = "Read the year's work plan into proposed annual items (--dry-run prints them only)."

    def add_arguments(self, parser: CommandParser) -> None:
        add_common(parser)
        parser.add_argument("--year", type=int)
        parser.add_argument("--body", default="党政工作要点", help="党政工作要点 or 重大规划")

    def handle(self, *args: Any, **options: Any) -> None:
        year = options["year"]
        if year is not None and not 2000 <= year <= 2100:
            raise CommandError("年度无效")
        run(
            self,
            kind=DocumentKind.WORK_PLAN,
            path=options["file"],
            body=options["body"],
            year=year,
            dry_run=options["dry_run"],
            username=options["user"],
        )
