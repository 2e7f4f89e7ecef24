"""The bigram function's cost, as the planner should weigh it (PostgreSQL only).

`duban_bigrams` slices a whole item's text; declared at the default cost (100) the
planner took it for a cheap filter and, for a reader who sees a few percent of the
items, walked the ledger's order index testing every item it passed, its own or not
(a liaison's keyword search read 12,000 items for a page of 20 at 100,000 items,
60 ms). At 1,000 it looks up the keyword's items and the reader's in their indexes
and sorts the few that are both (9 ms); the office, who sees nearly every item, still
walks the order index and stops after 20. See docs/performance.md.
"""

from django.db import migrations


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER FUNCTION duban_bigrams(text) COST 1000")


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER FUNCTION duban_bigrams(text) COST 100")


class Migration(migrations.Migration):
    dependencies = [("items", "0015_item_unit_ids")]

    operations = [migrations.RunPython(forward, backward)]
