"""The leased queue (duban.leasing) that the notice outbox and the webhook deliveries
share: claims, leases that expire, the retry rule and the order of work.

Outbox deliveries serve as the rows; the send is a stand-in that records what it was
given, so these tests see the queue alone. The clock is moved, never slept on.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from duban import clock, leasing
from duban.hooks.models import DeliveryStatus as HookDeliveryStatus
from duban.items.models import Notice
from duban.notify.models import Delivery, DeliveryStatus

from .conftest import Org

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
START = dt.datetime(2026, 9, 14, 9, 0, tzinfo=SHANGHAI)


@pytest.fixture
def traveller() -> Iterator[Any]:
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def queued(org: Org, *, due_in: dt.timedelta = dt.timedelta(0), **fields: Any) -> Delivery:
    notice = Notice.objects.create(recipient=org.lead_liaison, title="标题", created_at=START)
    return Delivery.objects.create(
        notice=notice,
        channel="email",
        address="lead@example.edu.cn",
        next_attempt_at=START + due_in,
        created_at=START,
        **fields,
    )


def pending() -> Any:
    return Delivery.objects.filter(status=DeliveryStatus.PENDING)


def sender(sent: list[int]) -> Callable[[leasing.Claim, leasing.Report], None]:
    """A send that always succeeds and notes the order it was called in."""

    def send(claim: leasing.Claim, report: leasing.Report) -> None:
        sent.append(claim.pk)
        claim.sent(report)

    return send


def state(delivery: Delivery) -> tuple[str, int, dt.datetime | None, dt.datetime]:
    delivery.refresh_from_db()
    return (delivery.status, delivery.attempts, delivery.claimed_until, delivery.next_attempt_at)


def test_both_queues_use_the_statuses_the_leased_queue_writes() -> None:
    for status in (DeliveryStatus, HookDeliveryStatus):
        assert (status.SENT.value, status.FAILED.value) == (leasing.SENT, leasing.FAILED)


def test_a_dead_workers_lease_holds_until_it_expires(org: Org, traveller: Any) -> None:
    delivery = queued(org)
    dead = leasing.claim(pending(), delivery.pk)  # claimed, then the worker died
    assert dead is not None
    assert dead.lease == START + dt.timedelta(minutes=5)

    traveller.move_to(dead.lease)
    sent: list[int] = []
    assert leasing.send_due(pending(), sender(sent)).as_dict() == {
        "sent": 0,
        "retrying": 0,
        "failed": 0,
    }
    assert state(delivery) == ("pending", 0, dead.lease, START)

    traveller.move_to(dead.lease + dt.timedelta(microseconds=1))
    assert leasing.send_due(pending(), sender(sent)).sent == 1
    assert leasing.send_due(pending(), sender(sent)).sent == 0  # exactly once
    assert sent == [delivery.pk]
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.claimed_until) == ("sent", 1, None)
    assert delivery.sent_at == dead.lease + dt.timedelta(microseconds=1)


def test_a_worker_that_outlived_its_lease_records_nothing(org: Org, traveller: Any) -> None:
    delivery = queued(org)
    slow = leasing.claim(pending(), delivery.pk)
    assert slow is not None
    traveller.shift(leasing.LEASE + dt.timedelta(seconds=1))
    other = leasing.claim(pending(), delivery.pk)
    assert other is not None

    report = leasing.Report()
    assert slow.attempt_failed(report, 1, 6, last_error="late") is leasing.Outcome.LEASE_EXPIRED
    assert slow.sent(report) is leasing.Outcome.LEASE_EXPIRED
    assert state(delivery) == ("pending", 0, other.lease, START)
    assert delivery.last_error == ""

    assert other.sent(report) is leasing.Outcome.SENT
    assert state(delivery) == ("sent", 1, None, START)


def test_failed_attempts_back_off_then_the_last_one_fails(org: Org, traveller: Any) -> None:
    assert [leasing.backoff(n) for n in range(1, 6)] == [
        dt.timedelta(minutes=minutes) for minutes in (1, 2, 4, 8, 16)
    ]
    delivery = queued(org)
    report = leasing.Report()
    for attempts, outcome, waited in [
        (1, leasing.Outcome.RETRYING, dt.timedelta(minutes=1)),
        (2, leasing.Outcome.RETRYING, dt.timedelta(minutes=2)),
    ]:
        claim = leasing.claim(pending(), delivery.pk)
        assert claim is not None
        assert claim.attempt_failed(report, attempts, 3, last_error="down") is outcome
        assert state(delivery) == ("pending", attempts, None, clock.now() + waited)
        traveller.move_to(delivery.next_attempt_at)

    claim = leasing.claim(pending(), delivery.pk)
    assert claim is not None
    assert claim.attempt_failed(report, 3, 3, last_error="down") is leasing.Outcome.FAILED
    assert state(delivery) == ("failed", 3, None, START + dt.timedelta(minutes=3))
    assert report.as_dict() == {"sent": 0, "retrying": 2, "failed": 1}
    assert leasing.claim(pending(), delivery.pk) is None  # a failed row is done


def test_a_postponed_row_waits_without_counting_an_attempt(org: Org, traveller: Any) -> None:
    delivery = queued(org)
    claim = leasing.claim(pending(), delivery.pk)
    assert claim is not None
    report = leasing.Report()
    wait = dt.timedelta(minutes=1)
    assert claim.postpone(report, wait, last_error="busy") is leasing.Outcome.RETRYING
    assert state(delivery) == ("pending", 0, None, START + wait)
    assert report.as_dict() == {"sent": 0, "retrying": 1, "failed": 0}


def test_due_rows_are_sent_oldest_first_in_batches(
    org: Org, traveller: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(leasing, "BATCH", 2)
    later = queued(org, due_in=-dt.timedelta(minutes=1))
    first = queued(org, due_in=-dt.timedelta(minutes=3))
    tied_a = queued(org, due_in=-dt.timedelta(minutes=2))
    tied_b = queued(org, due_in=-dt.timedelta(minutes=2))
    now = queued(org)
    queued(org, due_in=dt.timedelta(seconds=1))  # not yet due
    queued(org, status=DeliveryStatus.FAILED)  # done
    sent: list[int] = []
    report = leasing.send_due(pending(), sender(sent))
    assert sent == [first.pk, tied_a.pk, tied_b.pk, later.pk, now.pk]
    assert report.as_dict() == {"sent": 5, "retrying": 0, "failed": 0}
