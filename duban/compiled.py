"""SQL compiled by the ORM once per process, then written from memory.

Building and compiling a large expression with the ORM (the visibility rule, the
warning lights) costs more Python time than the database spends running it: a ledger
page built and compiled the lights and the rule for every query, on every request.
Their SQL depends only on a few values (the person's id, role, unit and state; the
dates the lights compare with) and on the table alias the query gives the item row,
so it is compiled once for each such key and reused; everything else they read is a
subquery the database runs each time (recusals, cooperating units, milestones), so a
change is seen by the next query.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Expression, Field, QuerySet
from django.db.models.query import FlatValuesListIterable

_COMPILED: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
_COMPILED_SIZE = 4096
_LOCK = threading.Lock()  # a threaded server's requests share the entries
NOTHING = "nothing"  # what was compiled matches no row (EmptyResultSet)


def compiled_once(key: tuple[Any, ...], compile_sql: Callable[[], Any]) -> Any:
    """`compile_sql()`'s answer for `key`, compiled once per process (an LRU of
    `_COMPILED_SIZE` entries). If `compile_sql` raises EmptyResultSet, `NOTHING` is kept
    and returned."""
    with _LOCK:
        entry = _COMPILED.get(key)
        if entry is not None:
            _COMPILED.move_to_end(key)
            return entry
    try:
        entry = compile_sql()
    except EmptyResultSet:
        entry = NOTHING
    with _LOCK:
        _COMPILED[key] = entry
        if len(_COMPILED) > _COMPILED_SIZE:
            _COMPILED.popitem(last=False)
    return entry


class Precompiled(Expression):
    """An expression on the query's own row, built by `build()` and compiled once per
    `key`, database and alias of the row's table. `build()` must give an expression
    whose SQL depends on nothing but `key` (constants and columns of the row, and
    subqueries over other tables). It is resolved against the query being compiled, so
    its column and subquery names are that query's."""

    def __init__(self, key: tuple[Hashable, ...], build: Callable[[], Any], output_field: Field):
        super().__init__(output_field=output_field)
        self.key = key
        self.build = build
        self.alias: str | None = None

    def resolve_expression(self, query: Any = None, *args: Any, **kwargs: Any) -> Precompiled:
        if self.alias is not None:  # resolved already (a subquery is resolved again)
            return self
        clone = self.copy()
        clone.alias = query.get_initial_alias()
        return clone

    def relabeled_clone(self, change_map: Mapping[str, str]) -> Precompiled:
        clone = self.copy()
        if self.alias is not None:
            clone.alias = change_map.get(self.alias, self.alias)
        return clone

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        def compile_sql() -> tuple[str, tuple[Any, ...]]:
            expression = self.build().resolve_expression(compiler.query, allow_joins=False)
            sql, params = compiler.compile(expression)
            return sql, tuple(params)

        key = ("expression", connection.vendor, self.alias, *self.key)
        entry = compiled_once(key, compile_sql)
        if entry is NOTHING:
            raise EmptyResultSet
        sql, params = entry
        return sql, list(params)


def compiled_rows(key: tuple[Hashable, ...], build: Callable[[], QuerySet[Any, Any]]) -> list[Any]:
    """The rows of the `values_list` query `build()` gives, as the ORM would return them
    (tuples; one value per row if it is `flat`), its SQL compiled once per process for
    `key`, which must determine that SQL and its parameters. Each call runs the query:
    the rows are the database's at that moment.

    For the small lookups every page makes (the calendar's days, the ledger's years):
    the ORM spent several times as long building and compiling their SQL as the
    database spent answering it.
    """

    def compile_sql() -> tuple[str, tuple[Any, ...], tuple[Any, ...], bool]:
        queryset = build()
        compiler = queryset.query.get_compiler(connection=connection)
        sql, params = compiler.as_sql()
        columns = [selected[0] for selected in compiler.select[: compiler.col_count]]
        converters = tuple(
            (position, tuple(functions), expression)
            for position, (functions, expression) in compiler.get_converters(columns).items()
        )
        flat = queryset._iterable_class is FlatValuesListIterable
        return sql, tuple(params), converters, flat

    entry = compiled_once(("rows", connection.vendor, *key), compile_sql)
    if entry is NOTHING:
        return []
    sql, params, converters, flat = entry
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if converters:
        rows = [_converted(row, converters) for row in rows]
    return [row[0] for row in rows] if flat else [tuple(row) for row in rows]


def _converted(row: Any, converters: tuple[Any, ...]) -> list[Any]:
    values = list(row)
    for position, functions, expression in converters:
        value = values[position]
        for function in functions:
            value = function(value, expression, connection)
        values[position] = value
    return values
