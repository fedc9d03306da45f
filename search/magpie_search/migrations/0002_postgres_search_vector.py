"""PostgreSQL only: a generated ``tsvector`` of the document text with a GIN index, and a
pattern index for SKU prefixes. SQLite matches with ``LIKE`` and needs neither."""

from django.db import migrations

TABLE = "magpie_search_productdocument"

FORWARD = [
    f"ALTER TABLE {TABLE} ADD COLUMN search_vector tsvector "
    "GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, text)) STORED",
    f"CREATE INDEX magpie_search_vector_gin ON {TABLE} USING gin (search_vector)",
    f"CREATE INDEX magpie_search_sku_prefix ON {TABLE} (sku varchar_pattern_ops)",
]
BACKWARD = [
    "DROP INDEX IF EXISTS magpie_search_sku_prefix",
    "DROP INDEX IF EXISTS magpie_search_vector_gin",
    f"ALTER TABLE {TABLE} DROP COLUMN IF EXISTS search_vector",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("magpie_search", "0001_initial")]

    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD))]
