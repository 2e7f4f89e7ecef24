"""The one visibility rule (R-C5): may this person see this item?

Everything that shows items gets its rows from `Item.objects.visible_to(user)`, which
filters with `visible_items_filter` (compiled once per person: `visible_condition`);
`policy.check` asks `is_visible_to` before any action, so a person who may not see an
item cannot act on it either.

Who sees what:
- ordinary items: the supervising office's supervisors, every school leader, and the
  people of the lead and cooperating units;
- sensitive items (R-C1): the item's own supervisor, the heads and liaisons of the lead
  and cooperating units, and the leaders named on the item (named leaders and the
  leader whose decision established it);
- discipline items (R-C2): the staff of 纪委办公室/监察处 and the lead unit's head and
  liaison;
- classified items (R-C3), a registration only: the staff of 保密办公室 and the lead
  unit's head and liaison;
- a recusal (R-C4) of the person, or of the person's unit, hides the item whatever the
  role.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import connection
from django.db.models import BooleanField, Field, ForeignObject, Lookup, Q
from django.db.models.lookups import In

from duban.compiled import NOTHING, Precompiled, compiled_once
from duban.organisation.models import Role

from .models import Confidentiality, Item, Recusal

UNIT_PEOPLE = (Role.UNIT_HEAD, Role.LIAISON, Role.UNIT_MEMBER)


@Field.register_lookup
class AnyOf(Lookup):
    """`field__any_of=subquery`: IN, written on PostgreSQL as `= ANY(ARRAY(subquery))`.
    The subquery then runs once, first, and its ids become an index condition — so an
    OR of such conditions is a BitmapOr of index scans that reads only the rows asked
    for, where `IN (subquery)` would test every row of the table against a hashed set.

    `field__any_of=values` (a list, set or tuple): IN, written on PostgreSQL as `=
    ANY(%s)` with the values as one array. The sweep asks which of its 15,000 items'
    steps were sent: as `IN (15,000 values)` PostgreSQL parsed and planned a 60 KB
    statement (240 ms), as one array 58 ms."""

    lookup_name = "any_of"

    def get_prep_lookup(self) -> Any:
        if isinstance(self.rhs, list | set | tuple | frozenset):
            field = self.lhs.output_field
            return [field.get_prep_value(value) for value in self.rhs]
        return super().get_prep_lookup()

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        if isinstance(self.rhs, list):  # values, prepared by get_prep_lookup
            if connection.vendor != "postgresql":
                return compiler.compile(In(self.lhs, self.rhs))
            lhs, lhs_params = self.process_lhs(compiler, connection)
            field = self.lhs.output_field
            values = [
                field.get_db_prep_value(value, connection, prepared=True) for value in self.rhs
            ]
            return f"{lhs} = ANY(%s)", [*lhs_params, values]
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        params = [*lhs_params, *rhs_params]
        if connection.vendor == "postgresql":
            return f"{lhs} = ANY(ARRAY{rhs})", params
        return f"{lhs} IN {rhs}", params


@ForeignObject.register_lookup
class InUnits(Lookup):
    """`lead_unit_id__in_units=units`, on the lead unit of an item: the item is led or
    cooperated on by one of `units` (a unit's id, or a subquery of unit ids).

    On PostgreSQL a test of the item's `unit_ids`, its lead and cooperating units kept
    by triggers (migration items 0015), through a GIN index: `@> ARRAY[u]` or `&&
    ARRAY(subquery)`. Each row found is tested against its own two or three units. It
    replaced `id = ANY(ARRAY(the unit's cooperation rows))`, which PostgreSQL searched
    element by element for every row found: the cost grew with the square of a unit's
    cooperations. Elsewhere the lead unit or the cooperation rows, as subqueries."""

    lookup_name = "in_units"
    prepare_rhs = False

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        table = compiler.quote_name_unless_alias(self.lhs.alias)  # the item's row
        one_unit = self.rhs_is_direct_value()
        if connection.vendor == "postgresql":
            if one_unit:
                return f"{table}.unit_ids @> ARRAY[{rhs}]::bigint[]", [*rhs_params]
            return f"{table}.unit_ids && ARRAY{rhs}::bigint[]", [*rhs_params]
        units = f"({rhs})" if one_unit else rhs
        cooperation = Item.cooperating_units.through._meta.db_table
        # Names from the models, values as parameters.
        sql = f"(SELECT item_id FROM {cooperation} WHERE unit_id IN {units})"  # noqa: S608
        return f"({lhs} IN {units} OR {table}.id IN {sql})", [
            *lhs_params,
            *rhs_params,
            *rhs_params,
        ]


ForeignObject.register_lookup(AnyOf)


def _units_in_contact(user: Any) -> Any:
    """The ids of the units the person is the head or the liaison of (a subquery)."""
    from duban.organisation.models import Unit

    # Unordered: the ids are a set (the units' default order would sort them each time).
    return Unit.objects.filter(_in_contact(user)).order_by().values("pk")


def _in_contact(user: Any) -> Q:
    """A unit the person is the head or the liaison of."""
    return Q(head_id=user.pk) | Q(liaison_id=user.pk)


def visible_items_filter(user: Any, prefix: str = "") -> Q:
    """R-C5 as one condition on the item row. Every part is a column of the row compared
    with a constant or an uncorrelated subquery (`id IN (SELECT ...)`), never a join or
    a correlated EXISTS: the database computes each subquery once (a hashed set) and
    then tests each row cheaply, or walks an index — which keeps the ledger fast at
    100,000 items (docs/performance.md).

    `prefix` applies the rule to the item of another row: `visible_items_filter(user,
    "item__")` on notices tests each notice's own item (a join), instead of asking for
    every visible item first."""

    def on(**lookups: Any) -> Q:
        return Q(**{f"{prefix}{name}": value for name, value in lookups.items()})

    nothing = on(pk__in=[])
    # Not Q(): an empty Q vanishes when combined with |, taking "everything" with it.
    everything = on(pk__isnull=False)
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return nothing

    contacts = _units_in_contact(user)
    lead_contact = on(lead_unit_id__any_of=contacts)
    unit_people = nothing
    if user.role in UNIT_PEOPLE and user.unit_id:
        unit_people = on(lead_unit_id__in_units=user.unit_id)
    office = nothing
    if user.role == Role.OFFICE_SUPERVISOR and user.unit_id:
        office = on(supervising_office_id=user.unit_id)
    leader = user.role == Role.SCHOOL_LEADER
    named_leader = on(deciding_leader_id=user.pk) | on(
        pk__any_of=Item.named_leaders.through.objects.filter(user_id=user.pk).values("item_id")
    )

    ordinary = on(confidentiality=Confidentiality.ORDINARY) & (
        office | unit_people | (everything if leader else nothing)
    )
    sensitive = on(confidentiality=Confidentiality.SENSITIVE) & (
        on(supervisor_id=user.pk)
        | on(lead_unit_id__in_units=contacts)
        | (named_leader if leader else nothing)
    )
    restricted = on(
        confidentiality__in=(Confidentiality.DISCIPLINE, Confidentiality.CLASSIFIED)
    ) & (office | lead_contact)

    recusals = (
        Recusal.objects.filter(
            Q(person_id=user.pk) | (Q(unit_id=user.unit_id) if user.unit_id else Q(pk__in=[]))
        )
        .order_by()
        .values("item_id")
    )
    return (ordinary | sensitive | restricted) & ~on(pk__any_of=recusals)


def count_gate(user: Any) -> Q:
    """For counting rows already limited to what `user` may see: a condition every such
    row meets, which PostgreSQL answers from one index. For a unit's person: the item
    concerns the person's unit or a unit they are the head or liaison of (`unit_ids`,
    by its GIN index), or they are its supervisor — implied by the rule (an ordinary
    item of the unit, a sensitive one of a unit in contact or supervised, a restricted
    one led by a unit in contact), so it changes no count. The count then reads the
    unit's items from that index (a liaison's ledger count 5.7 → 1.9 ms at 100,000
    items) instead of OR-ing each branch's index scans, where PostgreSQL also read
    every sensitive item to AND them with the branch's units. Only for counting: the
    planner takes the gate and the rule for independent, expects a few dozen rows, and
    would sort them all for a first page it otherwise reads in the ledger's order.
    Nothing (an empty Q) for others and on SQLite."""
    if not (
        connection.vendor == "postgresql"
        and getattr(user, "is_authenticated", False)
        and user.role in UNIT_PEOPLE
        and user.unit_id
    ):
        return Q()
    return Q(Precompiled(("gate", *person_key(user)), lambda: _unit_gate(user), BooleanField()))


def _unit_gate(user: Any) -> Q:
    from duban.organisation.models import Unit

    units = Unit.objects.filter(Q(pk=user.unit_id) | _in_contact(user)).order_by().values("pk")
    return Q(lead_unit_id__in_units=units) | Q(supervisor_id=user.pk)


# The rule's SQL depends only on the values of `person_key` (everything else it reads
# is a subquery run each time), so a changed role, unit or state is a new entry of
# `compiled_once`.
_SENTINEL = -7_301_930_451  # stands for the item's id while compiling


def person_key(user: Any) -> tuple[Any, ...]:
    """What the rule's SQL depends on, of the person."""
    return (user.pk, user.is_active, user.role, user.unit_id)


def visible_condition(user: Any) -> Precompiled:
    """`Item.objects.filter(visible_condition(user))`: the rule as a WHERE condition on the
    query's item row, `visible_items_filter(user)` compiled once per person (`Precompiled`)."""
    authenticated = user is not None and getattr(user, "is_authenticated", False)
    key = ("visible", *person_key(user)) if authenticated else ("visible", "nobody")
    return Precompiled(key, lambda: visible_items_filter(user), BooleanField())


def is_visible_to(user: Any, item: Item) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False

    def compile_sql() -> tuple[str, tuple[Any, ...], int]:
        query = Item.objects.visible_to(user).filter(pk=_SENTINEL).values("pk")[:1]
        sql, params = query.query.sql_with_params()
        [index] = [position for position, value in enumerate(params) if value == _SENTINEL]
        return sql, tuple(params), index

    entry = compiled_once(("one", connection.vendor, *person_key(user)), compile_sql)
    if entry is NOTHING:  # the rule lets this person see nothing at all
        return False
    sql, params, index = entry
    values = list(params)
    values[index] = item.pk
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        return cursor.fetchone() is not None


def visible_pairs(pairs: Iterable[tuple[Any, int]]) -> set[tuple[int, int]]:
    """Which (person, item id) pairs the rule lets see: one query per distinct person,
    however many items (the sweep asks for thousands of pairs at once)."""
    items_of: dict[int, set[int]] = {}
    people: dict[int, Any] = {}
    for person, item_id in pairs:
        people[person.pk] = person
        items_of.setdefault(person.pk, set()).add(item_id)
    allowed: set[tuple[int, int]] = set()
    for person_id, item_ids in items_of.items():
        visible = Item.objects.visible_to(people[person_id]).filter(pk__in=item_ids)
        allowed.update((person_id, item_id) for item_id in visible.values_list("pk", flat=True))
    return allowed


def is_recused(user: Any, item: Item) -> bool:
    return (
        Recusal.objects.filter(item=item)
        .filter(Q(person_id=user.pk) | (Q(unit_id=user.unit_id) if user.unit_id else Q(pk__in=[])))
        .exists()
    )


def note_read(user: Any, item: Item, via: str) -> None:
    """Reading a restricted item (sensitive, discipline, classified) is audited."""
    if item.confidentiality == Confidentiality.ORDINARY:
        return
    from duban.audit.models import record

    record(
        user,
        "read_restricted",
        f"查阅{Confidentiality(item.confidentiality).label}事项{item.ledger_number}（{via}）",
        item=item,
        data={"via": via},
    )
