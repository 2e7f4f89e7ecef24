"""The audit head may move forward by several events at once, along an unbroken chain
(the ledger import, the sweep: a batch's events appended together).

Before, the PostgreSQL trigger let the head move one event at a time, so a batch of N
events updated the one head row N times in its transaction, and PostgreSQL's cost of
each update of a row already updated in the same transaction grows with their number
(10,000 ledger rows: 55,000 updates, about 2 ms each by the end). Now the head moves
once per batch, and the trigger checks more than it did: the head goes forward only,
to the hash of the event it names, and every event it passes over is there and links
to the one before it (the first to the old head's hash) — a gap or a broken link is
refused as before. It still cannot be moved back or deleted (0004).
"""

from django.db import migrations

FORWARD_ALONG_THE_CHAIN = """
CREATE OR REPLACE FUNCTION duban_audit_head_forward_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'the audit chain head cannot be deleted';
    END IF;
    IF NEW.sequence <= OLD.sequence
        OR NEW.last_hash IS DISTINCT FROM
            (SELECT hash FROM audit_auditevent WHERE sequence = NEW.sequence)
        OR (SELECT count(*) FROM audit_auditevent AS event
             WHERE event.sequence > OLD.sequence AND event.sequence <= NEW.sequence
               AND event.previous_hash = COALESCE(
                   (SELECT before.hash FROM audit_auditevent AS before
                     WHERE before.sequence = event.sequence - 1
                       AND before.sequence > OLD.sequence),
                   OLD.last_hash)
           ) <> NEW.sequence - OLD.sequence THEN
        RAISE EXCEPTION 'the audit chain head only moves forward to the newest event '
            '(from % to % refused)', OLD.sequence, NEW.sequence;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
"""

ONE_AT_A_TIME = """
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
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD_ALONG_THE_CHAIN, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(ONE_AT_A_TIME, params=None)


class Migration(migrations.Migration):
    dependencies = [("audit", "0006_verifications")]

    operations = [migrations.RunPython(forward, backward)]
