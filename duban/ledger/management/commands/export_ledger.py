"""Export a year's ledger to .xlsx, as the system (not as a person):

    manage.py export_ledger --year 2026 --output 台账2026.xlsx
    manage.py export_ledger --year 2026 --output all.xlsx --include-restricted

Prints `exported N items to FILE`.

Which items: every item of the year supervised through this system — ordinary and
sensitive items (R-C1) of the General Office — but not discipline (R-C2) or
classified (R-C3) items, which belong to 纪委办公室/监察处 and 保密办公室; add
`--include-restricted` to export those too (classified items as their registration
only). A command runs with the server's own rights, so no person's visibility applies
(R-C5 is about people); the export is audited like the page's (`export_ledger`, with
no actor and `via: command`). For the page's limit and this command's use for large
exports, see duban/ledger/views.py.

The file is written beside FILE under a temporary name and moved into place at the
end, so a failed export never leaves half a ledger.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from duban.items.lights import annotate_lights
from duban.items.models import Confidentiality, Item
from duban.ledger.actions import record_export
from duban.ledger.export import ledger_title, write_ledger

RESTRICTED = (Confidentiality.DISCIPLINE, Confidentiality.CLASSIFIED)


class Command(BaseCommand):
    help = "Export a year's ledger (督办工作台账) to an .xlsx file."
    # A data job, not a start of the site: Django's system checks would load every
    # URL and API module first (two seconds of a year's export), for nothing it uses.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--year", type=int, required=True, help="the ledger's year")
        parser.add_argument("--output", required=True, help="the .xlsx file to write")
        parser.add_argument(
            "--include-restricted",
            action="store_true",
            help="also export discipline and classified items",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        year: int = options["year"]
        if not 2000 <= year <= 2100:
            raise CommandError(_("年度“%(year)s”无效。") % {"year": year})
        output = Path(options["output"])
        if output.is_dir() or not output.parent.is_dir():
            raise CommandError(_("无法写入“%(path)s”。") % {"path": output})
        include_restricted: bool = options["include_restricted"]
        items = Item.objects.filter(year=year)
        if not include_restricted:
            items = items.exclude(confidentiality__in=RESTRICTED)
        description = (
            _("系统导出：%(year)d年度全部事项") % {"year": year}
            if include_restricted
            else _("系统导出：%(year)d年度事项（不含执纪审查和涉密事项）") % {"year": year}
        )
        handle, temporary = tempfile.mkstemp(prefix=".export-", suffix=".xlsx", dir=output.parent)
        os.close(handle)
        try:
            result = write_ledger(
                annotate_lights(items), temporary, title=ledger_title(year), filters=description
            )
            os.replace(temporary, output)
        finally:
            if os.path.exists(temporary):
                os.unlink(temporary)
        record_export(
            None,
            filters={"year": str(year), "include_restricted": str(include_restricted).lower()},
            description=description,
            result=result,
            via="command",
        )
        self.stdout.write(f"exported {result.count} items to {output}")
