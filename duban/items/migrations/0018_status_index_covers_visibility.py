"""The status index covers the visibility rule (PostgreSQL: with `unit_ids`).

The light, overdue and status filters of the ledger and the API are ranges of status
and deadline (duban.items.lights.light_filter). Counted for the office or a leader,
who see most items, they read every matching item row to test the visibility rule:
the office's red-light count read 6,000 pages of the items table for its 10,001 rows
(18 ms at 100,000 items). With the rule's columns in the status index the count is an
index-only scan (3 ms). The yellow and green filters also ask the light itself, whose
other columns (the kind of item; when assigned, signed, last reported) the index
holds too. The ledger's sort by status keeps the index's name and key; the plain
(status, deadline) index, a prefix of it, goes.

Django does not know `unit_ids` (items 0015), so on PostgreSQL the index is rebuilt
with it (duban.items.covering).
"""

from django.conf import settings
from django.db import migrations, models

from duban.items.covering import add_unit_ids

INDEX = "item_sort_status"


def rebuild_with_unit_ids(apps, schema_editor):
    add_unit_ids(schema_editor, INDEX)


class Migration(migrations.Migration):
    dependencies = [
        ("items", "0017_notice_inbox_order"),
        ("organisation", "0004_directory_sync"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(model_name="item", name="items_item_status_c116b8_idx"),
        migrations.RemoveIndex(model_name="item", name=INDEX),
        migrations.AddIndex(
            model_name="item",
            index=models.Index(
                fields=["status", "deadline", "id"],
                include=(
                    "confidentiality",
                    "supervising_office",
                    "lead_unit",
                    "supervisor",
                    "deciding_leader",
                    "source_kind",
                    "assigned_at",
                    "signed_at",
                    "last_feedback_at",
                ),
                name=INDEX,
            ),
        ),
        # Backwards, the index is dropped by the AddIndex's reversal, whatever it holds.
        migrations.RunPython(rebuild_with_unit_ids, migrations.RunPython.noop),
    ]
