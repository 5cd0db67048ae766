"""A clinician's safety review of an urgent referral, the referral's PHQ-9 item 9 asked on its own, and the
safety-critical screening rules switched back on (and kept on by a constraint) wherever they had been turned off."""

import django.core.validators
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

CRITICAL = ("suicidal-ideation", "recent-attempt", "phq9-item9")


def critical_rules_on(apps, schema_editor):
    Rule = apps.get_model("referrals", "ScreeningRule")
    Rule.objects.filter(key__in=CRITICAL).update(enabled=True, effect="urgent", category="safety")


class Migration(migrations.Migration):
    dependencies = [
        ("referrals", "0007_followup_retry_after"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="SafetyReview",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("owed_since", models.DateTimeField()),
                ("due_at", models.DateTimeField()),
                (
                    "rules",
                    models.JSONField(default=list, help_text="The keys of the urgent findings that made it owed."),
                ),
                (
                    "decision",
                    models.CharField(
                        blank=True,
                        choices=[
                            ("continue", "No immediate risk found: continue the usual intake"),
                            ("safety_plan", "Patient contacted: safety plan made or confirmed"),
                            ("referrer_manages", "Referrer contacted: they are managing the risk now"),
                            ("crisis", "Sent to crisis or emergency care"),
                            ("not_reached", "Patient not reached: crisis steps taken and follow-up set"),
                        ],
                        max_length=20,
                    ),
                ),
                ("note", models.TextField(blank=True)),
                ("decided_at", models.DateTimeField(blank=True, null=True)),
            ],
        ),
        migrations.AddField(
            model_name="referral",
            name="phq9_item9",
            field=models.PositiveSmallIntegerField(
                blank=True,
                help_text="Empty: not asked.",
                null=True,
                validators=[django.core.validators.MaxValueValidator(3)],
                verbose_name="PHQ-9 item 9",
            ),
        ),
        migrations.AlterField(
            model_name="referralevent",
            name="kind",
            field=models.CharField(
                choices=[
                    ("received", "Received"),
                    ("transition", "Status change"),
                    ("assigned", "Assigned"),
                    ("note", "Note"),
                    ("safety_review", "Safety review"),
                    ("phq9_item9", "PHQ-9 item 9 recorded"),
                ],
                max_length=20,
            ),
        ),
        migrations.AddConstraint(
            model_name="referral",
            constraint=models.CheckConstraint(
                condition=models.Q(("phq9_item9__isnull", True), ("phq9_item9__lte", 3), _connector="OR"),
                name="referral_phq9_item9_range",
            ),
        ),
        migrations.RunPython(critical_rules_on, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="screeningrule",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("key__in", ("suicidal-ideation", "recent-attempt", "phq9-item9")), _negated=True),
                    models.Q(("category", "safety"), ("effect", "urgent"), ("enabled", True)),
                    _connector="OR",
                ),
                name="screening_rule_safety_critical_on",
            ),
        ),
        migrations.AddField(
            model_name="safetyreview",
            name="decided_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="safetyreview",
            name="referral",
            field=models.OneToOneField(
                on_delete=django.db.models.deletion.CASCADE, related_name="safety_review", to="referrals.referral"
            ),
        ),
        migrations.AddIndex(
            model_name="safetyreview",
            index=models.Index(fields=["decided_at", "due_at"], name="safety_review_open"),
        ),
        migrations.AddConstraint(
            model_name="safetyreview",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(
                        ("decided_at__isnull", True), ("decided_by__isnull", True), ("decision", ""), ("note", "")
                    ),
                    models.Q(
                        ("decided_at__isnull", False),
                        ("decided_by__isnull", False),
                        models.Q(("decision", ""), _negated=True),
                        models.Q(("note", ""), _negated=True),
                    ),
                    _connector="OR",
                ),
                name="safety_review_decided_whole",
            ),
        ),
    ]
