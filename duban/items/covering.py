"""The covering indexes' `unit_ids` (PostgreSQL).

Django does not know the item's `unit_ids` column (items migration 0015: kept by
triggers, searched through a GIN index), so an index declared in `Item.Meta` cannot
include it. A migration that adds a covering index of the visibility rule's columns
rebuilds it here from its own definition with `unit_ids` added, so that the rule for
a unit's people is answered from the index too. A later migration that changes such
an index must call this again (tests/test_query_plans.py checks the definitions).
"""

from __future__ import annotations

import re
from typing import Any


def add_unit_ids(schema_editor: Any, *names: str) -> None:
    """Rebuild each index of `names` with `unit_ids` among its included columns."""
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in names:
        with schema_editor.connection.cursor() as cursor:
            cursor.execute("SELECT pg_get_indexdef(%s::regclass)", [name])
            (definition,) = cursor.fetchone()
        if "unit_ids" in definition:
            continue
        schema_editor.execute(f"DROP INDEX {name}")
        with_units = re.sub(
            r"INCLUDE \(([^)]*)\)", lambda match: f"INCLUDE ({match[1]}, unit_ids)", definition
        )
        schema_editor.execute(with_units)
