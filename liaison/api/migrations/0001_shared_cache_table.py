"""The table behind the shared cache when no Redis is configured (settings.CACHES): rate-limit counts that every
web process sees. `createcachetable` makes only what is missing, so this is safe to run again, and does nothing
when the cache is Redis. The API's per-token limit is the first user, hence this app."""

from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor):
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = []

    operations = [migrations.RunPython(create_cache_table, migrations.RunPython.noop)]
