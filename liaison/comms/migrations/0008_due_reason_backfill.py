"""Letters owed before each kept its rule in words get it now (the owed-letters card shows it)."""

from django.db import migrations


def backfill(apps, schema_editor):
    from liaison.comms.protocol import reason

    Due = apps.get_model("comms", "DueCommunication")
    rows = Due.objects.filter(reason="", rule__isnull=False).select_related("rule")
    batch = []
    for due in rows.iterator(chunk_size=1000):
        due.reason = reason(due.rule)
        batch.append(due)
        if len(batch) == 1000:
            Due.objects.bulk_update(batch, ["reason"])
            batch = []
    Due.objects.bulk_update(batch, ["reason"])


class Migration(migrations.Migration):
    dependencies = [("comms", "0007_safety_letter_always_on")]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
