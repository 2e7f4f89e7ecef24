"""Write a scale dataset for the benchmark (benchmarks/pages.py):

    manage.py seed_scale --items 100000 --events 1000000 [--seed 1]

On the configured database: the demo university (loaded first when the database is
empty), more units up to 100 with about 3,000 people, the items over three years with
what hangs off them, and a valid audit chain (`verify_audit` says ok). Prints its
progress, then `seeded N items and M events in S s`. Refuses a database that holds
anything but the demo and earlier scale data. See duban/organisation/scale.py.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from duban.organisation.scale import RefusedDatabase, seed

MAX_ITEMS = 1_000_000
MAX_EVENTS = 10_000_000


class Command(BaseCommand):
    help = "Write a scale dataset (items, events) for benchmarks/pages.py."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--items", type=int, required=True, help="items to add")
        parser.add_argument("--events", type=int, default=None, help="audit events (10 per item)")
        parser.add_argument("--seed", type=int, default=1, help="the random generator's seed")

    def handle(self, *args: Any, **options: Any) -> None:
        items: int = options["items"]
        events: int = options["events"] if options["events"] is not None else items * 10
        if not 1 <= items <= MAX_ITEMS:
            raise CommandError(f"--items must be between 1 and {MAX_ITEMS}")
        if not 0 <= events <= MAX_EVENTS:
            raise CommandError(f"--events must be between 0 and {MAX_EVENTS}")
        started = time.monotonic()
        try:
            counts = seed(items=items, events=events, seed=options["seed"], write=self.stdout.write)
        except RefusedDatabase as error:
            raise CommandError(str(error)) from None
        seconds = time.monotonic() - started
        self.stdout.write(
            f"seeded {items} items and {events} events in {seconds:.0f} s "
            f"(now {counts['units']} units, {counts['people']} people, "
            f"{counts['items']} items, {counts['events']} events)"
        )
