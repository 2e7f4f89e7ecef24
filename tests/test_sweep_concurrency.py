"""Two sweeps at once (R-U3 "each step is sent once, whatever the number of workers").

Two threads, each with its own database connection, run `run_sweep` at the same
moment. Both have selected the same steps before either claims one (a barrier holds
them), so every claim is a real race; the claim locks the batch's items, so one
sends and the other, once the first commits, finds the steps sent and sends nothing.
PostgreSQL only: SQLite has a single writer, so there is no race to win there.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection

from duban.items import sweep
from duban.items.models import Notice, Urge
from duban.items.sweep import SweepResult, run_sweep
from duban.workcalendar.calendar import load_year, year_status
from tests.conftest import Org, advance, establish

SHANGHAI = ZoneInfo("Asia/Shanghai")
ITEMS = 12

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite has a single writer: concurrent sweeps cannot race there",
)


def official_2026_calendar() -> None:
    """The calendar the migrations seed; an earlier transactional test may have emptied
    the tables (they are flushed after each), so it is loaded again when missing."""
    if year_status(2026) == "official":
        return
    import chinese_calendar

    days = [dt.date(2026, 1, 1) + dt.timedelta(days=n) for n in range(365)]
    lines = [
        f"{day.isoformat()} {'workday' if chinese_calendar.is_workday(day) else 'holiday'}"
        for day in days
        if chinese_calendar.is_workday(day) != (day.weekday() < 5)
    ]
    load_year(2026, lines, source="chinese-calendar")


@pytest.mark.django_db(transaction=True)
def test_r_u3_two_workers_at_once_send_each_step_once(org: Org, monkeypatch: Any) -> None:
    official_2026_calendar()
    with time_machine.travel(dt.datetime(2026, 9, 1, 10, 0, tzinfo=SHANGHAI), tick=False):
        items = [
            advance(org, establish(org, minutes_deadline=dt.date(2026, 9, 29)), "in_progress")
            for _ in range(ITEMS)
        ]
    # 10-14 is the 7th working day overdue: one step to three people for each item.
    at = dt.datetime(2026, 10, 14, 9, 0, tzinfo=SHANGHAI)
    notices_before = Notice.objects.count()

    both_selected = threading.Barrier(2, timeout=30)
    claimed_once = threading.local()
    claim = sweep._claim_and_send

    outcomes: list[bool] = []

    def claim_after_both_selected(steps: Any, moment: dt.datetime, seeing: Any) -> Any:
        if not getattr(claimed_once, "waited", False):
            claimed_once.waited = True
            both_selected.wait()
        notices = claim(steps, moment, seeing)
        claimed = {(notice.item_id, notice.step) for notice in notices}
        outcomes.extend((step.item.pk, step.key) in claimed for step in steps)
        return notices

    monkeypatch.setattr(sweep, "_claim_and_send", claim_after_both_selected)
    results: list[SweepResult] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            results.append(run_sweep(at))
        except BaseException as error:  # reported below, in the test's thread
            errors.append(error)
            both_selected.abort()
        finally:
            connection.close()

    with time_machine.travel(at, tick=False):
        threads = [threading.Thread(target=worker) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

    assert errors == []
    assert len(results) == 2
    # Both selected every step before claiming: each step was raced for, and lost once.
    assert Counter(outcomes) == {True: ITEMS, False: ITEMS}
    sent = [notice for result in results for notice in result.notices]
    # Between them the two workers sent every step, and none twice.
    assert len(sent) == ITEMS
    assert Counter((notice.item_id, notice.step) for notice in sent) == {
        (item.pk, "overdue-7"): 1 for item in items
    }
    urges = Urge.objects.filter(item__in=items)
    assert urges.count() == ITEMS
    assert set(urges.values_list("step", flat=True)) == {"overdue-7"}
    # Each notice written once: three people per step.
    new_notices = Notice.objects.count() - notices_before
    assert new_notices == 3 * ITEMS
    pairs = Notice.objects.filter(item__in=items).values_list("item_id", "recipient_id")
    overdue_pairs = Counter(pairs.filter(title__startswith="督办事项已超期"))
    assert len(overdue_pairs) == 3 * ITEMS
    assert set(overdue_pairs.values()) == {1}
    # And a third run, later the same day, has nothing left to send.
    with time_machine.travel(at + dt.timedelta(hours=2), tick=False):
        assert run_sweep(at + dt.timedelta(hours=2)).sent == 0
