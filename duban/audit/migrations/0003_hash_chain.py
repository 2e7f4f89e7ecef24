"""Chain the audit events (sequence, previous_hash, hash) and make the table
append-only on PostgreSQL with a trigger."""

from django.db import migrations, models

GENESIS = "0" * 64

TRIGGER_SQL = """
CREATE OR REPLACE FUNCTION duban_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit events are append-only: % refused on audit_auditevent', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_auditevent_append_only
    BEFORE UPDATE OR DELETE ON audit_auditevent
    FOR EACH ROW EXECUTE FUNCTION duban_audit_append_only();
"""

DROP_TRIGGER_SQL = """
DROP TRIGGER IF EXISTS audit_auditevent_append_only ON audit_auditevent;
DROP FUNCTION IF EXISTS duban_audit_append_only();
"""


def chain_existing_events(apps, schema_editor):
    from duban.audit.chain import event_hash

    AuditEvent = apps.get_model("audit", "AuditEvent")
    AuditHead = apps.get_model("audit", "AuditHead")
    previous = GENESIS
    sequence = 0
    for event in AuditEvent.objects.order_by("created_at", "id"):
        sequence += 1
        event.sequence = sequence
        event.previous_hash = previous
        event.hash = event_hash(
            {
                "sequence": sequence,
                "created_at": event.created_at,
                "actor_id": event.actor_id,
                "verb": event.verb,
                "summary": event.summary,
                "item_id": event.item_id,
                "unit_id": event.unit_id,
                "data": event.data,
                "previous_hash": previous,
            }
        )
        event.save(update_fields=["sequence", "previous_hash", "hash"])
        previous = event.hash
    AuditHead.objects.update_or_create(pk=1, defaults={"sequence": sequence, "last_hash": previous})


def add_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(TRIGGER_SQL, params=None)


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_TRIGGER_SQL, params=None)


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_initial")]

    operations = [
        migrations.CreateModel(
            name="AuditHead",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("sequence", models.PositiveBigIntegerField(default=0)),
                ("last_hash", models.CharField(default=GENESIS, max_length=64)),
            ],
        ),
        migrations.AddField(
            model_name="auditevent",
            name="sequence",
            field=models.PositiveBigIntegerField(null=True, verbose_name="序号"),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="previous_hash",
            field=models.CharField(default="", max_length=64, verbose_name="前一事件摘要"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="auditevent",
            name="hash",
            field=models.CharField(default="", max_length=64, verbose_name="摘要"),
            preserve_default=False,
        ),
        migrations.RunPython(chain_existing_events, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="auditevent",
            name="sequence",
            field=models.PositiveBigIntegerField(unique=True, verbose_name="序号"),
        ),
        migrations.RunPython(add_trigger, drop_trigger),
    ]
