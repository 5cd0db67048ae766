"""A PHQ-9 may be incomplete (no total, answered items kept), and a safety alert may come from the referral itself."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("care", "0001_initial"),
        ("referrals", "0008_safety_review_item9"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="assessment",
            name="care_assessment_total_range",
        ),
        migrations.AlterField(
            model_name="assessment",
            name="total",
            field=models.PositiveSmallIntegerField(
                blank=True, help_text="Empty: an incomplete questionnaire.", null=True
            ),
        ),
        migrations.AlterField(
            model_name="safetyalert",
            name="kind",
            field=models.CharField(
                choices=[
                    ("item9", "PHQ-9 item 9 answered above 0"),
                    ("referral", "Suicide risk reported with the referral"),
                    ("blood_pressure", "Blood pressure above the threshold"),
                ],
                max_length=16,
            ),
        ),
        migrations.AddConstraint(
            model_name="assessment",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("total__isnull", True),
                    models.Q(("instrument", "phq9"), ("total__lte", 27)),
                    models.Q(("instrument", "gad7"), ("total__lte", 21)),
                    _connector="OR",
                ),
                name="care_assessment_total_range",
            ),
        ),
    ]
