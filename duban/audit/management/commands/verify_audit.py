"""`python manage.py verify_audit`: check the audit log's hash chain.

Prints `ok N` and exits 0 when the chain is intact, its head carries the audit key's
signature, and it still holds the anchor (`--anchor FILE`, or settings.AUDIT_ANCHOR_FILE
when that file exists); otherwise names what is broken or missing and exits 1.

It reads only the events after the newest signed checkpoint, saying how many on stderr
(`checked M events after checkpoint #S`), and writes a new checkpoint when the chain
holds; `--full` reads every event (run it weekly: an event altered before the newest
checkpoint is found only so).
`--write-anchor FILE` then writes the current head as a new signed anchor (the nightly
task does this to AUDIT_ANCHOR_FILE); keep a copy of it off this machine.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from duban.audit.anchor import write_anchor
from duban.audit.verification import verify_chain, write_checkpoint


class Command(BaseCommand):
    help = "核验审计日志的哈希链是否完整"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--anchor", type=Path, help="compare with this anchor file (default: AUDIT_ANCHOR_FILE)"
        )
        parser.add_argument(
            "--no-anchor", action="store_true", help="do not compare with any anchor file"
        )
        parser.add_argument(
            "--full",
            action="store_true",
            help="read every event, not only those after the checkpoint",
        )
        parser.add_argument(
            "--write-anchor",
            type=Path,
            metavar="FILE",
            help="after an intact check, write the head",
        )

    def handle(
        self,
        *args: Any,
        anchor: Path | None = None,
        no_anchor: bool = False,
        full: bool = False,
        write_anchor: Path | None = None,
        **options: Any,
    ) -> None:
        path = anchor
        if path is None and not no_anchor and settings.AUDIT_ANCHOR_FILE.exists():
            path = settings.AUDIT_ANCHOR_FILE
        if path is not None and not path.exists():
            self.stdout.write(f"broken: the anchor file {path} does not exist")
            sys.exit(1)
        # The configured file may not hold this database yet; a file named here must.
        verdict = verify_chain(path, full=full, anchor_required=anchor is not None)
        if verdict.since:  # on stderr: stdout stays the verdict alone
            self.stderr.write(f"checked {verdict.read} events after checkpoint #{verdict.since}")
        if not verdict.intact:
            self.stdout.write(verdict.message)
            sys.exit(1)
        write_checkpoint(verdict, full=full or not verdict.since)
        if write_anchor is not None:
            written = write_anchor_file(write_anchor)  # the option shadows the function
            self.stdout.write(
                f"anchor written to {write_anchor}: #{written.sequence} {written.hash}"
            )
        self.stdout.write(verdict.message)


write_anchor_file = write_anchor
