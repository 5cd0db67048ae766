"""The audit trail becomes a hash chain and cannot be emptied (decision 0017).

Rows already there are chained here, oldest first, under the key of the SECRET_KEY in force now; the
head row records where the chain ends. DELETE is refused on SQLite, TRUNCATE on PostgreSQL.
"""

import django.utils.timezone
from django.db import migrations, models

from liaison.core import chain
from liaison.core.append_only import guards_lifted, refuse_emptying

CHUNK = 5000


def chain_existing_rows(apps, schema_editor):
    AuditEvent = apps.get_model("core", "AuditEvent")
    AuditChainHead = apps.get_model("core", "AuditChainHead")
    db = schema_editor.connection.alias
    seq, previous, last_id = 0, chain.GENESIS, 0
    with guards_lifted(schema_editor.connection, "core_auditevent"):
        while True:
            rows = list(AuditEvent.objects.using(db).filter(id__gt=last_id).order_by("id")[:CHUNK])
            if not rows:
                break
            updates = []
            for row in rows:
                seq += 1
                row.seq = seq
                previous = chain.row_hash(previous, {name: getattr(row, name) for name in chain.FIELDS})
                updates.append((seq, previous, row.id))
                last_id = row.id
            # executemany, not bulk_update: its CASE over every id of the chunk grows with the square of the chunk.
            with schema_editor.connection.cursor() as cursor:
                cursor.executemany('UPDATE "core_auditevent" SET "seq" = %s, "hash" = %s WHERE "id" = %s', updates)
    AuditChainHead.objects.using(db).create(pk=1, seq=seq, hash=previous)


def unchain(apps, schema_editor):
    apps.get_model("core", "AuditChainHead").objects.using(schema_editor.connection.alias).all().delete()


class Migration(migrations.Migration):
    dependencies = [("core", "0002_audit_append_only")]

    operations = [
        migrations.CreateModel(
            name="AuditChainHead",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("seq", models.BigIntegerField(default=0)),
                ("hash", models.CharField(default=chain.GENESIS, max_length=64)),
            ],
            options={"verbose_name": "audit chain head"},
        ),
        # Both nullable and without a default: SQLite adds them in place, keeping the table's triggers.
        migrations.AddField(
            model_name="auditevent",
            name="hash",
            field=models.CharField(editable=False, max_length=64, null=True),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="seq",
            field=models.BigIntegerField(editable=False, null=True),
        ),
        # The time is set before the insert, so that the hash can cover it: a change in Python only.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="auditevent",
                    name="at",
                    field=models.DateTimeField(db_index=True, default=django.utils.timezone.now, editable=False),
                ),
            ],
        ),
        migrations.RunPython(chain_existing_rows, unchain),
        # Partial, so SQLite creates an index rather than rebuilding the table.
        migrations.AddConstraint(
            model_name="auditevent",
            constraint=models.UniqueConstraint(
                condition=models.Q(("seq__isnull", False)), fields=("seq",), name="audit_seq_unique"
            ),
        ),
        refuse_emptying("core_auditevent"),
    ]
