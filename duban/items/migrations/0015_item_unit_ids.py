"""Each item's units, lead and cooperating, as one indexed array (PostgreSQL only).

Visibility (R-C5) lets a unit's people see the items their unit leads or cooperates
on. Written as `lead_unit_id = u OR id = ANY(ARRAY(the unit's cooperation rows))`, the
array was both the index condition and, for every row found, searched again element
by element: a unit cooperating on 1,200 items cost 1,200 × 600 comparisons, growing
with the square of the data. `unit_ids` holds the lead unit and the cooperating units
of each item, kept by triggers whatever writes them (the actions, the import, bulk
inserts, COPY), and is searched through a GIN index: `unit_ids @> ARRAY[u]` or `&&`
the units someone is the head or liaison of (duban/items/visibility.py, `in_units`).
SQLite keeps the subqueries.

The covering indexes that hold every column the rule reads (items 0012, 0014: counting
a year's figures or what a person may see reads no item row) get `unit_ids` too.
Django does not know the column, so they are rebuilt here from their own definitions
with it added; a migration that changes one of them must add it again
(tests/test_query_plans.py fails otherwise).
"""

import re

from django.db import migrations

COVERING = ("item_visibility", "item_year_figures", "item_established", "item_completed")

FORWARD = """
ALTER TABLE items_item ADD COLUMN unit_ids bigint[] NOT NULL DEFAULT '{}';

CREATE FUNCTION items_item_units(item bigint, lead bigint) RETURNS bigint[]
LANGUAGE sql STABLE AS $$
    SELECT ARRAY(
        SELECT lead WHERE lead IS NOT NULL
        UNION
        SELECT cooperation.unit_id FROM items_item_cooperating_units cooperation
        WHERE cooperation.item_id = item
        ORDER BY 1
    )
$$;

CREATE FUNCTION items_item_units_of_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.unit_ids := items_item_units(NEW.id, NEW.lead_unit_id);
    RETURN NEW;
END
$$;

CREATE TRIGGER items_item_units BEFORE INSERT OR UPDATE OF id, lead_unit_id ON items_item
FOR EACH ROW EXECUTE FUNCTION items_item_units_of_row();

CREATE FUNCTION items_item_units_after_cooperation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE items_item SET unit_ids = items_item_units(id, lead_unit_id)
    WHERE id IN (SELECT item_id FROM changed);
    RETURN NULL;
END
$$;

CREATE TRIGGER items_item_units_added AFTER INSERT ON items_item_cooperating_units
REFERENCING NEW TABLE AS changed
FOR EACH STATEMENT EXECUTE FUNCTION items_item_units_after_cooperation();

CREATE TRIGGER items_item_units_removed AFTER DELETE ON items_item_cooperating_units
REFERENCING OLD TABLE AS changed
FOR EACH STATEMENT EXECUTE FUNCTION items_item_units_after_cooperation();

CREATE TRIGGER items_item_units_moved_from AFTER UPDATE ON items_item_cooperating_units
REFERENCING OLD TABLE AS changed
FOR EACH STATEMENT EXECUTE FUNCTION items_item_units_after_cooperation();

CREATE TRIGGER items_item_units_moved_to AFTER UPDATE ON items_item_cooperating_units
REFERENCING NEW TABLE AS changed
FOR EACH STATEMENT EXECUTE FUNCTION items_item_units_after_cooperation();

UPDATE items_item SET unit_ids = items_item_units(id, lead_unit_id);

CREATE INDEX item_unit_ids ON items_item USING gin (unit_ids);
"""

BACKWARD = """
DROP TRIGGER IF EXISTS items_item_units_added ON items_item_cooperating_units;
DROP TRIGGER IF EXISTS items_item_units_removed ON items_item_cooperating_units;
DROP TRIGGER IF EXISTS items_item_units_moved_from ON items_item_cooperating_units;
DROP TRIGGER IF EXISTS items_item_units_moved_to ON items_item_cooperating_units;
DROP TRIGGER IF EXISTS items_item_units ON items_item;
DROP FUNCTION IF EXISTS items_item_units_after_cooperation();
DROP FUNCTION IF EXISTS items_item_units_of_row();
DROP FUNCTION IF EXISTS items_item_units(bigint, bigint);
ALTER TABLE items_item DROP COLUMN IF EXISTS unit_ids;
"""


def rebuild_covering(schema_editor, change):
    with schema_editor.connection.cursor() as cursor:
        for name in COVERING:
            cursor.execute("SELECT pg_get_indexdef(%s::regclass)", [name])
            (definition,) = cursor.fetchone()
            schema_editor.execute(f"DROP INDEX {name}")
            schema_editor.execute(re.sub(r"INCLUDE \(([^)]*)\)", change, definition))


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)
        rebuild_covering(schema_editor, lambda match: f"INCLUDE ({match[1]}, unit_ids)")


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        rebuild_covering(
            schema_editor, lambda match: f"INCLUDE ({match[1].replace(', unit_ids', '')})"
        )
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("items", "0014_year_figures_with_lights")]

    operations = [migrations.RunPython(forward, backward)]
