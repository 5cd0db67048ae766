"""Extended statistics on (status, is_open): PostgreSQL otherwise multiplies their selectivities as if
independent and, for "acute and overdue", picks a bitmap scan of every match instead of walking the
status index in order up to the page (62 ms to 1.3 ms at a million referrals; docs/benchmarks.md)."""

from django.db import migrations


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "CREATE STATISTICS IF NOT EXISTS referral_status_open (dependencies, mcv) "
            "ON status, is_open FROM referrals_referral"
        )
        schema_editor.execute("ANALYZE referrals_referral")  # the planner uses new statistics after ANALYZE


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP STATISTICS IF EXISTS referral_status_open")


class Migration(migrations.Migration):
    dependencies = [("referrals", "0004_seed_screening")]
    operations = [migrations.RunPython(create, drop)]
