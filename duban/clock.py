"""The system's clock.

Everything that dates a record asks `now()` or `today()` here. Tests move the
clock with time_machine; the demo loader backdates its story with `frozen_at`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
from collections.abc import Iterator

from django.utils import timezone

_override = threading.local()


def now() -> dt.datetime:
    fixed: dt.datetime | None = getattr(_override, "moment", None)
    return fixed if fixed is not None else timezone.now()


def today() -> dt.date:
    return timezone.localdate(now())


@contextlib.contextmanager
def frozen_at(moment: dt.datetime) -> Iterator[None]:
    """Run the block as if it were `moment` (used to load a dated demo story)."""
    previous = getattr(_override, "moment", None)
    _override.moment = moment
    try:
        yield
    finally:
        _override.moment = previous
