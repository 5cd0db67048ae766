"""The safety letter to the referrer is owed under every shared-care model: switched back on where it was off,
and kept on by a constraint (decision 0018)."""

from django.db import migrations, models


def safety_on(apps, schema_editor):
    apps.get_model("comms", "ProtocolRule").objects.filter(trigger="safety").update(active=True)


class Migration(migrations.Migration):
    dependencies = [
        ("comms", "0006_holidays_reason_cadence"),
    ]

    operations = [
        migrations.RunPython(safety_on, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="protocolrule",
            constraint=models.CheckConstraint(
                condition=models.Q(models.Q(("trigger", "safety"), _negated=True), ("active", True), _connector="OR"),
                name="protocol_rule_safety_on",
            ),
        ),
    ]
