"""Decision 0045: a letter owed "at once" counts on time when delivered within the grace (liaison.comms.on_time).
The stored days' on-time counts and the snapshots of the letters-on-time page were worked out by the old rule:
the days are rebuilt (the nightly job's set-based rebuild) and the snapshots dropped, so the worker (or the page's
first visit) works them out afresh. By hand, the same: `liaison rebuild_letter_days && liaison sla_snapshot`."""

from django.db import migrations


def recount(apps, schema_editor):
    from liaison.comms.letter_days import rebuild_letter_days

    rebuild_letter_days()
    apps.get_model("comms", "SlaSnapshot").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("comms", "0014_sla_snapshot")]

    operations = [migrations.RunPython(recount, migrations.RunPython.noop)]
