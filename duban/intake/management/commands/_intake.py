"""What intake_minutes and intake_plan share: read the file, print one line per
proposal, store the drafts unless --dry-run.

    N<TAB>lead unit<TAB>cooperating units (、-joined, or -)<TAB>deadline<TAB>basis<TAB>title
    ...
    proposals N

basis is `given` (the decision names its deadline, R-D1), `R-D2` (the 10th working day
after the minutes were issued) or `R-D4` (an annual item: 31 December). A unit not
recognised prints as `-`.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from duban.intake import actions
from duban.intake.parsing import NothingFound
from duban.items.errors import ActionError
from duban.organisation.models import Unit, User


def parse_day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CommandError(_("日期“%(text)s”无效，应为 YYYY-MM-DD") % {"text": text}) from None


def run(
    command: BaseCommand,
    *,
    kind: str,
    path: str,
    body: str | None,
    issued_on: dt.date | None = None,
    year: int | None = None,
    dry_run: bool,
    username: str | None,
) -> None:
    file = Path(path)
    try:
        content = file.read_bytes()
    except OSError as error:
        message = _("无法读取文件“%(path)s”：%(error)s") % {"path": path, "error": error}
        raise CommandError(message) from None
    actor = None
    if username:
        actor = User.objects.filter(username=username).select_related("unit").first()
        if actor is None:
            raise CommandError(_("用户“%(name)s”不存在。") % {"name": username})
    try:
        source_body = actions.body_from_label(kind, body)
        result = actions.read(
            kind=kind,
            content=content,
            filename=file.name,
            source_body=source_body,
            issued_on=issued_on,
            year=year,
        )
        if not dry_run:
            if actor is not None:
                actions.require_intake(actor)
            document = actions.store(actor, result)
    except NothingFound as error:
        lines = [error.message, *(f"{s.number}\t{s.kind}\t{s.text}" for s in error.structure)]
        raise CommandError("\n".join(lines)) from None
    except ActionError as error:
        raise CommandError(error.message) from None
    names = {unit.pk: unit.name for unit in Unit.objects.only("pk", "name")}
    for found in result.parsed.proposals:
        lead = names.get(found.lead_unit_id, "-") if found.lead_unit_id else "-"
        cooperating = "、".join(names[pk] for pk in found.cooperating_unit_ids) or "-"
        deadline = found.deadline.isoformat() if found.deadline else "-"
        command.stdout.write(
            f"{found.position}\t{lead}\t{cooperating}\t{deadline}\t{found.deadline_basis}\t{found.title}"
        )
    if not dry_run:
        command.stdout.write(f"draft {document.pk}: /intake/{document.pk}/")
    command.stdout.write(f"proposals {len(result.parsed.proposals)}")


def add_common(parser: Any) -> None:
    parser.add_argument("file", metavar="FILE", help=".docx, text-layer .pdf or UTF-8 .txt")
    parser.add_argument("--dry-run", action="store_true", help="print the proposals, store nothing")
    parser.add_argument(
        "--user",
        metavar="USERNAME",
        help="the office supervisor the drafts are read for (default: none named)",
    )
