"""Run one reminder sweep (R-U3, R-F2, R-F3) as of a moment, by hand.

    manage.py sweep                              # as of now
    manage.py sweep --at 2026-10-14T09:00        # as of that moment (local time)

Prints one line per notice queued (ledger number, step, recipients) and last
`sent N`. Run again at the same moment it prints `sent 0`: each step is sent once.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _

from duban import clock
from duban.items.sweep import run_sweep


def parse_moment(text: str) -> dt.datetime:
    """An ISO 8601 date and time; without an offset it is local time (Asia/Shanghai)."""
    try:
        moment = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise CommandError(
            _("时间“%(text)s”无效，应为 ISO 8601 格式，例如 2026-10-14T09:00。") % {"text": text}
        ) from None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


class Command(BaseCommand):
    help = "Run one reminder sweep as of a moment (default: now)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--at", help="ISO 8601 date and time, e.g. 2026-10-14T09:00 (default: now)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        at = parse_moment(options["at"]) if options["at"] is not None else clock.now()
        result = run_sweep(at)
        for notice in result.notices:
            self.stdout.write(notice.line())
        self.stdout.write(f"sent {result.sent}")
