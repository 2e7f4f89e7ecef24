"""Statistics of the items' states and deadlines together (PostgreSQL only).

An item's state and its deadline go together: active items have this year's and next
year's deadlines, closed ones older ones. From the two columns' own statistics the
planner multiplied their shares as if they were independent and expected about 500 of
the 6,000 items at work with a deadline after the next three working days (the yellow
light's candidates at 100,000 items); it read them row by row from the table and, for
a unit's liaison, through the states' index instead of the unit's. With their most
common pairs (an MCV list, at the default statistics target: ANALYZE takes no longer)
its estimate is 3,000, and a yellow-light page went from 30–40 to 19–25 ms at 100,000
items. See docs/performance.md.
"""

from django.db import migrations

NAME = "item_status_deadline"


def statistics(name: str, table: str) -> str:
    """The statement that keeps the pairs' statistics of `table` (names, not input)."""
    return f"CREATE STATISTICS IF NOT EXISTS {name} (mcv) ON status, deadline FROM {table}"


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(statistics(NAME, "items_item"))
        # Gathered now where there are items; an empty table's are gathered by
        # autovacuum once it fills (analyzed empty, it would look empty to the planner
        # until then).
        with schema_editor.connection.cursor() as cursor:
            cursor.execute("SELECT EXISTS (SELECT 1 FROM items_item)")
            if cursor.fetchone()[0]:
                cursor.execute("ANALYZE items_item")


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP STATISTICS IF EXISTS {NAME}")


class Migration(migrations.Migration):
    dependencies = [("items", "0020_ledger_order_active")]

    operations = [migrations.RunPython(forward, backward)]
