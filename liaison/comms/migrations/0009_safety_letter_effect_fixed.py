"""The safety letter's rule is put back to its seeded effect wherever an administrator had changed it (letter
type, owner, deadline, on), and kept so by a constraint: only its wording is the practice's (decision 0021)."""

from django.db import migrations, models

SEEDED = {
    "letter_type": "safety_alert",
    "owner_role": "clinician",
    "deadline_kind": "immediate",
    "deadline_hours": 0,
    "every_n_sessions": None,
    "business_hours": False,
    "active": True,
}


def safety_rule_back(apps, schema_editor):
    apps.get_model("comms", "ProtocolRule").objects.filter(trigger="safety").update(**SEEDED)


class Migration(migrations.Migration):
    dependencies = [
        ("comms", "0008_due_reason_backfill"),
    ]

    operations = [
        migrations.RunPython(safety_rule_back, migrations.RunPython.noop),
        migrations.RemoveConstraint(
            model_name="protocolrule",
            name="protocol_rule_safety_on",
        ),
        migrations.AddConstraint(
            model_name="protocolrule",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("trigger", "safety"), _negated=True),
                    models.Q(
                        ("active", True),
                        ("business_hours", False),
                        ("deadline_hours", 0),
                        ("deadline_kind", "immediate"),
                        ("every_n_sessions__isnull", True),
                        ("letter_type", "safety_alert"),
                        ("owner_role", "clinician"),
                    ),
                    _connector="OR",
                ),
                name="protocol_rule_safety_fixed",
            ),
        ),
    ]
