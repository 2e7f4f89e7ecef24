"""The ledger's order over the active items only (a partial index).

The red, yellow and overdue filters (and the active states' filter) keep only active
items; walking the ledger's order for a unit's first 20 red items read 12,000 rows at
100,000 items (9 ms), most of them closed. Over the active third of the items the walk
is a third as long (4 ms).
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("items", "0019_visible_by_id"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="item",
            index=models.Index(
                condition=models.Q(
                    status__in=("established", "assigned", "returned", "in_progress", "submitted")
                ),
                fields=["-year", "source_kind", "-serial"],
                name="item_ledger_order_active",
            ),
        ),
    ]
