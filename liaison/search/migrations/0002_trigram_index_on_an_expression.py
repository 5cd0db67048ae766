# The trigram index on lower(word) rather than word: PostgreSQL then reads the vocabulary's one-slip spellings and
# prefixes through its b-tree (the unique index), and the trigram index only for pg_trgm's own condition. Over the
# bare column it took the trigram index for the spellings' list too, 1.2 s at 1M referrals (decision 0036).

from django.db import migrations


def expression_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS search_word_trgm")
        schema_editor.execute("CREATE INDEX search_word_trgm ON search_searchword USING gin (lower(word) gin_trgm_ops)")


def column_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS search_word_trgm")
        schema_editor.execute("CREATE INDEX search_word_trgm ON search_searchword USING gin (word gin_trgm_ops)")


class Migration(migrations.Migration):

    dependencies = [("search", "0001_initial")]

    operations = [migrations.RunPython(expression_index, column_index, elidable=False)]
