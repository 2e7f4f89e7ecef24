"""Statistics of the searched texts (PostgreSQL only; see duban/items/search.py).

A keyword search tests `UPPER(column) LIKE '%keyword%'` on the rows the bigram index
found. Without statistics of those expressions the planner took such a test to keep
one row in two hundred, so for a common keyword (专项, in a third of the items at
100,000) it expected a dozen rows, read all 33,000 and sorted them for the first page:
100 ms. With them it knows the keyword is common and reads the ledger's first page in
its order, stopping after 20 rows: 5 ms. The next ANALYZE (autovacuum's, or
`manage.py dbshell` and ANALYZE items_item after a large import) computes them.
"""

from django.db import migrations

FORWARD = """
CREATE STATISTICS item_search_title ON (UPPER(title::text)) FROM items_item;
CREATE STATISTICS item_search_content ON (UPPER(content)) FROM items_item;
CREATE STATISTICS item_search_number ON (UPPER(ledger_number::text)) FROM items_item;
"""
BACKWARD = """
DROP STATISTICS IF EXISTS item_search_title;
DROP STATISTICS IF EXISTS item_search_content;
DROP STATISTICS IF EXISTS item_search_number;
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("items", "0012_figure_indexes")]

    operations = [migrations.RunPython(forward, backward)]
