"""The safety-critical screening rules (item 9, current ideation, a recent attempt) are put back to their seeded
effect, number included, and kept so by a constraint: only their words are the practice's (decision 0021)."""

from django.db import migrations, models

CRITICAL = ("suicidal-ideation", "recent-attempt", "phq9-item9")


def critical_rules_back(apps, schema_editor):
    Rule = apps.get_model("referrals", "ScreeningRule")
    Rule.objects.filter(key__in=CRITICAL).update(enabled=True, effect="urgent", category="safety", number=None)


class Migration(migrations.Migration):
    dependencies = [
        ("referrals", "0009_events_cannot_be_emptied"),
    ]

    operations = [
        migrations.RunPython(critical_rules_back, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="screeningrule",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("key__in", ("suicidal-ideation", "recent-attempt", "phq9-item9")), _negated=True),
                    ("number__isnull", True),
                    _connector="OR",
                ),
                name="screening_rule_safety_critical_no_number",
            ),
        ),
    ]
