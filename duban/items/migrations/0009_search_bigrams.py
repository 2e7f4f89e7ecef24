"""A bigram index for searching items (PostgreSQL only; see duban/items/search.py).

Chinese has no spaces between words, so full-text search by words does not apply and
trigram indexes cannot serve the common two-character searches (专项, 整改). Every
two-character slice of an item's number, title and content goes into a tsvector, and
a GIN index on that expression finds the items holding all the slices of a keyword;
the ordinary ILIKE then checks the exact match on those few rows.
"""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION duban_bigrams(body text) RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(array_to_tsvector(array_agg(DISTINCT substr(lower(body), i, 2))), ''::tsvector)
    FROM generate_series(1, greatest(char_length(body) - 1, 0)) AS i
$$;
CREATE INDEX item_search_bigrams ON items_item
    USING gin (duban_bigrams(ledger_number || ' ' || title || ' ' || content));
"""
REVERSE = """
DROP INDEX IF EXISTS item_search_bigrams;
DROP FUNCTION IF EXISTS duban_bigrams(text);
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTION)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(REVERSE)


class Migration(migrations.Migration):
    dependencies = [("items", "0008_ledger_indexes")]

    operations = [migrations.RunPython(forward, backward)]
