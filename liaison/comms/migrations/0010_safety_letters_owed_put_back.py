"""Safety letters already owed while the safety rule had been changed are put back as the rule makes them: the
safety alert letter, owned by a clinician, due at once (the moment the alert was raised) (decision 0021)."""

from django.db import migrations
from django.db.models import F, Q

PENDING = ("owed", "drafted")


def safety_letters_back(apps, schema_editor):
    Due = apps.get_model("comms", "DueCommunication")
    safety = Q(rule__trigger="safety") | Q(key__startswith="alert:")
    Due.objects.filter(safety, status="owed").exclude(letter_type="safety_alert").update(
        letter_type="safety_alert", owner_role="clinician"
    )
    Due.objects.filter(safety, status__in=PENDING).exclude(due_at=F("triggered_at")).update(due_at=F("triggered_at"))


class Migration(migrations.Migration):
    dependencies = [
        ("comms", "0009_safety_letter_effect_fixed"),
    ]

    operations = [
        migrations.RunPython(safety_letters_back, migrations.RunPython.noop),
    ]
