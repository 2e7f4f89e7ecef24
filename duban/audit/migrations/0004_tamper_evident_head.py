"""Make the audit log hard to cut short (issue 14):

- the head is signed with the audit key (AuditHead.signature), and each event carries
  the fingerprint of the key that signed it (AuditEvent.key_id);
- on PostgreSQL, TRUNCATE of the events or the head is refused, and the head may only
  move forward one event at a time, to the hash of that event; it cannot be deleted.

A role that owns these tables can still switch the triggers off: production runs with an
application role that does not own them (`manage.py audit_grants`, docs/deployment.md),
and `verify_audit` compares the chain with the signed anchor file kept off the database.
"""

from django.db import migrations, models

TRIGGER_SQL = """
CREATE OR REPLACE FUNCTION duban_audit_refuse_truncate() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the audit log cannot be truncated: TRUNCATE refused on %', TG_TABLE_NAME;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_auditevent_no_truncate
    BEFORE TRUNCATE ON audit_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION duban_audit_refuse_truncate();
CREATE TRIGGER audit_audithead_no_truncate
    BEFORE TRUNCATE ON audit_audithead
    FOR EACH STATEMENT EXECUTE FUNCTION duban_audit_refuse_truncate();

CREATE OR REPLACE FUNCTION duban_audit_head_forward_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'the audit chain head cannot be deleted';
    END IF;
    IF NEW.sequence <> OLD.sequence + 1 OR NEW.last_hash IS DISTINCT FROM
            (SELECT hash FROM audit_auditevent WHERE sequence = NEW.sequence) THEN
        RAISE EXCEPTION 'the audit chain head only moves forward to the newest event '
            '(from % to % refused)', OLD.sequence, NEW.sequence;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_audithead_forward_only
    BEFORE UPDATE OR DELETE ON audit_audithead
    FOR EACH ROW EXECUTE FUNCTION duban_audit_head_forward_only();
"""

DROP_TRIGGER_SQL = """
DROP TRIGGER IF EXISTS audit_audithead_forward_only ON audit_audithead;
DROP TRIGGER IF EXISTS audit_audithead_no_truncate ON audit_audithead;
DROP TRIGGER IF EXISTS audit_auditevent_no_truncate ON audit_auditevent;
DROP FUNCTION IF EXISTS duban_audit_head_forward_only();
DROP FUNCTION IF EXISTS duban_audit_refuse_truncate();
"""


def sign_head(apps, schema_editor):
    from duban.audit.chain import head_signature

    AuditHead = apps.get_model("audit", "AuditHead")
    for head in AuditHead.objects.all():
        head.signature = head_signature(head.sequence, head.last_hash)
        head.save(update_fields=["signature"])


def add_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(TRIGGER_SQL, params=None)


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_TRIGGER_SQL, params=None)


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_hash_chain")]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="key_id",
            field=models.CharField(blank=True, default="", db_default="", max_length=16, verbose_name="密钥标识"),
        ),
        migrations.AddField(
            model_name="audithead",
            name="signature",
            field=models.CharField(blank=True, default="", db_default="", max_length=64),
        ),
        migrations.RunPython(sign_head, migrations.RunPython.noop),
        migrations.RunPython(add_triggers, drop_triggers),
    ]
