"""The visibility rule compiled once per person (R-C5): `visible_condition` and the header's
unread count answer exactly what the rule built afresh answers, wherever the rule
stands in a query, and follow a change of role, unit or recusal at once."""

from __future__ import annotations

from typing import Any

import pytest

from duban.attachments.models import Attachment
from duban.clock import now
from duban.items.models import Item, Notice, Recusal
from duban.items.visibility import visible_condition, visible_items_filter
from duban.notify.inbox import inbox, unread_count
from duban.notify.outbox import notify
from duban.organisation.models import Role, Unit, UnitKind, User

from .conftest import Org, establish


def afresh(person: Any) -> set[int]:
    return set(Item.objects.filter(visible_items_filter(person)).values_list("pk", flat=True))


def compiled(person: Any) -> set[int]:
    return set(Item.objects.filter(visible_condition(person)).values_list("pk", flat=True))


@pytest.fixture
def items(org: Org) -> list[Item]:
    made = [
        establish(org),
        establish(org, confidentiality="sensitive"),
        establish(org, lead_unit=org.other_unit),
        establish(org, lead_unit=org.other_unit, confidentiality="sensitive"),
    ]
    made[1].named_leaders.add(org.leader_in_charge)
    return made


def people(org: Org) -> list[User]:
    return list(User.objects.order_by("pk"))


def test_the_compiled_rule_answers_as_the_rule_built_afresh(org: Org, items: list[Item]) -> None:
    everyone = people(org)
    assert len(everyone) > 8
    seen = set()
    for person in everyone:
        assert compiled(person) == afresh(person), person.username
        # Asked again: from the compiled entry now.
        assert compiled(person) == afresh(person), person.username
        seen |= compiled(person)
    assert seen == {item.pk for item in items}
    assert compiled(org.other_unit_liaison) != compiled(org.lead_liaison)


def test_the_compiled_rule_inside_a_subquery_and_a_union(org: Org, items: list[Item]) -> None:
    """As a subquery Django renames the inner query's tables (U0, ...): the compiled
    condition follows the alias it is given."""
    for person in people(org):
        inner = Item.objects.visible_to(person).values("pk")
        outer = set(Item.objects.filter(pk__in=inner).values_list("pk", flat=True))
        assert outer == afresh(person), person.username
        both = (
            Item.objects.visible_to(person)
            .order_by()
            .values_list("pk", flat=True)
            .union(Item.objects.filter(pk=items[0].pk).order_by().values_list("pk", flat=True))
        )
        assert set(both) == afresh(person) | {items[0].pk}
    assert Attachment.objects.visible_to(org.lead_liaison).count() == 0


def test_a_change_of_role_unit_or_recusal_is_seen_at_once(org: Org, items: list[Item]) -> None:
    person = org.other_unit_liaison
    before = compiled(person)
    assert items[0].pk not in before and items[2].pk in before
    person.unit = org.lead_unit
    person.save()
    after = compiled(person)
    assert items[0].pk in after and items[2].pk not in after
    assert after == afresh(person)
    # A recusal is a row the compiled SQL reads, not part of it.
    Recusal.objects.create(
        item=items[0],
        person=person,
        reason="亲属关系",
        declared_by=org.office_supervisor,
        created_at=now(),
    )
    assert items[0].pk not in compiled(person)
    person.role = Role.UNIT_MEMBER
    person.save()
    assert compiled(person) == afresh(person)
    person.is_active = False
    person.save()
    assert compiled(person) == set() == afresh(person)


def test_the_unread_count_is_the_inboxs_unread_notices(org: Org, items: list[Item]) -> None:
    reader = org.other_unit_liaison
    base = unread_count(reader)
    assert base == inbox(reader).filter(read_at__isnull=True).count()
    # Written before a change (notify writes none for an item its reader may not see).
    Notice.objects.create(recipient=reader, item=items[0], title="别的单位的事项", created_at=now())
    notify([reader], items[2], "本单位事项的通知")
    notify([reader], None, "系统通知")
    assert unread_count(reader) == base + 2
    assert unread_count(reader) == inbox(reader).filter(read_at__isnull=True).count()
    Notice.objects.filter(recipient=reader, item=items[2]).update(read_at=items[2].created_at)
    assert unread_count(reader) == base + 1
    reader.unit = org.lead_unit  # the first notice's item is now the reader's unit's
    reader.save()
    assert unread_count(reader) == base + 2
    Recusal.objects.create(
        item=items[0],
        unit=org.lead_unit,
        reason="回避",
        declared_by=org.office_supervisor,
        created_at=now(),
    )
    assert unread_count(reader) == base + 1
    assert unread_count(reader) == inbox(reader).filter(read_at__isnull=True).count()


def test_compiled_entries_are_bounded_and_nothing_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    from collections import OrderedDict

    from django.core.exceptions import EmptyResultSet

    from duban import compiled as module

    monkeypatch.setattr(module, "_COMPILED", OrderedDict())
    monkeypatch.setattr(module, "_COMPILED_SIZE", 3)
    calls: list[int] = []

    def compile_sql(n: int) -> tuple[str, tuple[int, ...]]:
        calls.append(n)
        return f"sql {n}", (n,)

    for n in (1, 2, 3, 1, 4):  # 1 is used again, so 2 is the least recent
        assert module.compiled_once(("k", n), lambda n=n: compile_sql(n)) == (f"sql {n}", (n,))
    assert calls == [1, 2, 3, 4]
    assert list(module._COMPILED) == [("k", 3), ("k", 1), ("k", 4)]

    def nothing() -> None:
        raise EmptyResultSet

    assert module.compiled_once(("empty",), nothing) is module.NOTHING
    assert module.compiled_once(("empty",), lambda: pytest.fail("compiled twice")) is module.NOTHING


def test_any_of_a_list_of_values_is_in_on_every_database(org: Org, items: list[Item]) -> None:
    # `field__any_of=values`: one array on PostgreSQL (`= ANY(%s)`), IN elsewhere; the
    # same rows as `__in`, for ids, a set, text values, one value and none.
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    wanted = [items[0].pk, items[2].pk, 10**9]
    for values in (wanted, set(wanted), tuple(wanted), [items[1].pk], []):
        found = set(Item.objects.filter(pk__any_of=values).values_list("pk", flat=True))
        assert found == set(Item.objects.filter(pk__in=values).values_list("pk", flat=True))
    numbers = [items[0].ledger_number, "no-such-number"]
    assert list(Item.objects.filter(ledger_number__any_of=numbers)) == [items[0]]
    with CaptureQueriesContext(connection) as captured:
        list(Item.objects.filter(pk__any_of=wanted))
    sql = captured.captured_queries[0]["sql"]
    if connection.vendor == "postgresql":
        assert "= ANY(" in sql and " IN (" not in sql
    else:
        assert " IN (" in sql


def test_the_count_gate_changes_no_count(org: Org, items: list[Item]) -> None:
    """`count_gate` (what counting the ledger's rows adds on PostgreSQL) holds for every
    item a person may see, whatever makes it visible to them: an ordinary item of
    their unit, led or cooperated on; a sensitive one of a unit they are the head or
    liaison of, or that they supervise; a discipline one their unit leads; and not for
    a recused unit's. So every count is the same with it as without."""
    from django.db import connection
    from django.db.models import Q

    from duban.items import actions
    from duban.items.visibility import count_gate

    from .conftest import make_person, meeting_input

    member = make_person("lead_member", Role.UNIT_MEMBER, org.lead_unit, "承办单位干事")
    # The other unit's liaison is also the cooperating unit's: two units in contact.
    org.cooperating_unit.liaison = org.other_unit_liaison
    org.cooperating_unit.save()
    discipline_office = Unit.objects.create(
        code="0150", name="纪委办公室/监察处", kind=UnitKind.DISCIPLINE_OFFICE
    )
    discipline_supervisor = make_person(
        "discipline_supervisor", Role.OFFICE_SUPERVISOR, discipline_office, "纪委督办员"
    )
    discipline = actions.establish_item(
        discipline_supervisor,
        meeting_input(org, confidentiality="discipline", cooperating_units=[]),
    )
    sensitive_elsewhere = establish(
        org, lead_unit=org.other_unit, cooperating_units=[], confidentiality="sensitive"
    )
    # A unit's person who supervises a sensitive item of a unit they have no part in.
    Item.objects.filter(pk=sensitive_elsewhere.pk).update(supervisor=member)
    recused = establish(org)
    actions.declare_recusal(
        org.office_supervisor, recused, unit=org.cooperating_unit, reason="本单位为利害关系方"
    )
    for person in people(org):
        visible = Item.objects.visible_to(person)
        gated = visible.filter(count_gate(person))
        assert set(gated.values_list("pk", flat=True)) == compiled(person), person.username
        assert gated.count() == visible.count()
        unit_person = person.role in (Role.UNIT_HEAD, Role.LIAISON, Role.UNIT_MEMBER)
        applies = connection.vendor == "postgresql" and unit_person and person.unit_id
        assert (count_gate(person) != Q()) == bool(applies), person.username
    # Each way in is among the rows above.
    assert sensitive_elsewhere.pk in compiled(member)
    assert discipline.pk in compiled(org.lead_liaison) - compiled(member)
    assert items[3].pk in compiled(org.other_unit_liaison)  # sensitive, a unit in contact
    assert items[1].pk in compiled(org.other_unit_liaison)  # cooperated on by that unit
    assert recused.pk in compiled(org.lead_liaison) - compiled(org.cooperating_liaison)
