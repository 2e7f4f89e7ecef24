"""seed_scale (the benchmark's dataset): bulk-written, yet a valid audit chain, the
demo's organisation grown to 100 units, every state and light; refused on real data."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from duban.audit.models import AuditEvent, AuditHead
from duban.items.lights import annotate_lights
from duban.items.models import Feedback, Item, Notice
from duban.items.states import Status
from duban.organisation.models import Unit, UnitKind, User


def seed(items: int, events: int, seed: int = 1) -> str:
    out = StringIO()
    call_command(
        "seed_scale",
        "--items",
        str(items),
        "--events",
        str(events),
        "--seed",
        str(seed),
        stdout=out,
    )
    return out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_seed_scale_writes_a_valid_chain_and_a_varied_ledger() -> None:
    printed = seed(600, 3000)
    assert "items: 600/600" in printed and "audit events: 3000/3000" in printed
    assert printed.strip().splitlines()[-1].startswith("seeded 600 items and 3000 events in ")
    assert Unit.objects.count() == 100
    assert 2500 <= User.objects.count() <= 3500
    assert Item.objects.count() == 600
    # The seeded events follow the one of the demo's directory sync (`sync_org`).
    assert AuditEvent.objects.filter(verb="sync_org").count() == 1
    assert AuditEvent.objects.count() == 3001
    head = AuditHead.objects.get()
    assert head.sequence == 3001
    out = StringIO()
    call_command("verify_audit", "--no-anchor", stdout=out)
    assert out.getvalue().strip() == "ok 3001"
    statuses = set(Item.objects.values_list("status", flat=True))
    assert {Status.IN_PROGRESS, Status.COMPLETED, Status.ARCHIVED, Status.ASSIGNED} <= statuses
    lights = set(annotate_lights(Item.objects.all()).values_list("light", flat=True))
    assert {"red", "green"} <= lights
    assert Feedback.objects.exists() and Notice.objects.filter(read_at=None).exists()
    # A second run adds to the first, and the chain still verifies.
    seed(100, 500, seed=2)
    out = StringIO()
    call_command("verify_audit", "--no-anchor", stdout=out)
    assert out.getvalue().strip() == "ok 3501"
    assert Item.objects.count() == 700


@pytest.mark.django_db
def test_seed_scale_refuses_a_database_with_real_units() -> None:
    Unit.objects.create(code="9001", name="某大学教务处", kind=UnitKind.DEPARTMENT)
    with pytest.raises(CommandError, match="real units"):
        seed(10, 10)
    assert not Item.objects.exists() and not AuditEvent.objects.exists()
    assert Unit.objects.count() == 1
