"""The demo organisation is the directory data in duban/organisation/demo_org/, loaded by
`sync_org`'s own reader and sync: the same units and people as before it was data.

tests/data/demo_org.json holds the facts that the demo's hand-written organisation
(demo.py before issue 10) produced, captured from main; the demo must still produce
exactly them. The one new fact, each person's 工号, is not part of it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.hashers import check_password

from duban.organisation import demo
from duban.organisation.models import Unit, User

FACTS = Path(__file__).resolve().parent / "data" / "demo_org.json"


def username(user: User | None) -> str | None:
    return None if user is None else user.username


def organisation_facts() -> dict[str, list[dict[str, Any]]]:
    """Every unit and person in the database, in the order they were created."""
    units = [
        {
            "code": unit.code,
            "name": unit.name,
            "kind": unit.kind,
            "leader_in_charge": username(unit.leader_in_charge),
            "head": username(unit.head),
            "liaison": username(unit.liaison),
            "aliases": unit.aliases,
            "is_active": unit.is_active,
        }
        for unit in Unit.objects.select_related("head", "liaison", "leader_in_charge").order_by(
            "pk"
        )
    ]
    people = [
        {
            "username": user.username,
            "full_name": user.full_name,
            "title": user.title,
            "unit": user.unit.code if user.unit else None,
            "role": user.role,
            "phone": user.phone,
            "email": user.email,
            "portfolio": user.portfolio,
            "is_active": user.is_active,
            "is_staff": user.is_staff,
            "is_superuser": user.is_superuser,
            "signs_in_with_the_demo_password": check_password(demo.DEMO_PASSWORD, user.password),
        }
        for user in User.objects.select_related("unit").order_by("pk")
    ]
    return {"units": units, "people": people}


@pytest.mark.django_db
def test_the_demo_organisation_is_the_same_as_before_it_became_data() -> None:
    demo.load(items=False)
    assert organisation_facts() == json.loads(FACTS.read_text(encoding="utf-8"))
