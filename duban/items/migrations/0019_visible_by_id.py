"""The visibility rule's columns by item id (PostgreSQL: with `unit_ids`).

The figures of events (urges, extension requests, feedback, spot checks: duban.reports
.figures) ask the rule of the items their rows point to, by id: the year's 5,000 urges
read 5,000 item rows at 100,000 items (19 ms for the office's assessment). From this
index the lookups are index-only (9 ms); the header's unread count, which joins a
person's notices to their items, reads it too.
"""

from django.conf import settings
from django.db import migrations, models

from duban.items.covering import add_unit_ids

INDEX = "item_visible_by_id"


def rebuild_with_unit_ids(apps, schema_editor):
    add_unit_ids(schema_editor, INDEX)


class Migration(migrations.Migration):
    dependencies = [
        ("items", "0018_status_index_covers_visibility"),
        ("organisation", "0004_directory_sync"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name="item",
            index=models.Index(
                fields=["id"],
                include=(
                    "confidentiality",
                    "supervising_office",
                    "lead_unit",
                    "supervisor",
                    "deciding_leader",
                ),
                name=INDEX,
            ),
        ),
        # Backwards, the index is dropped by the AddIndex's reversal, whatever it holds.
        migrations.RunPython(rebuild_with_unit_ids, migrations.RunPython.noop),
    ]
