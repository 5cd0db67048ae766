"""Stored outcomes (decision 0024): the table, filled from the scores and sessions already recorded."""

import django.db.models.deletion
from django.db import migrations, models


def fill(apps, schema_editor):
    """The nightly reconcile, run once. An empty database (a new install, the tests) has nothing to fill."""
    Session, Assessment = apps.get_model("care", "Session"), apps.get_model("care", "Assessment")
    alias = schema_editor.connection.alias
    if not Session.objects.using(alias).exists() and not Assessment.objects.using(alias).exists():
        return
    from liaison.care.stored_outcomes import reconcile_outcomes

    reconcile_outcomes(using=alias)


class Migration(migrations.Migration):

    dependencies = [
        ('care', '0002_incomplete_scores_referral_alerts'),
        ('directory', '0003_shared_care_agreement'),
        ('referrals', '0011_followups_become_pending_reactions'),
    ]

    operations = [
        migrations.CreateModel(
            name='ReferralOutcome',
            fields=[
                ('referral', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='care_outcome', serialize=False, to='referrals.referral')),
                ('source_type', models.CharField(max_length=20)),
                ('treated_on', models.DateField(blank=True, help_text='The first acute or maintenance session.', null=True)),
                ('baseline_total', models.PositiveSmallIntegerField(blank=True, null=True)),
                ('baseline_on', models.DateField(blank=True, null=True)),
                ('baseline_kind', models.CharField(blank=True, help_text="Its session's kind; empty outside one.", max_length=12)),
                ('current_total', models.PositiveSmallIntegerField(blank=True, null=True)),
                ('current_on', models.DateField(blank=True, null=True)),
                ('scores', models.PositiveIntegerField(default=0, help_text='Complete PHQ-9s.')),
                ('response', models.CharField(blank=True, max_length=12, null=True)),
                ('remission', models.BooleanField(blank=True, null=True)),
                ('referrer', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='directory.referrer')),
            ],
            options={
                'constraints': [models.CheckConstraint(condition=models.Q(('response__isnull', True), ('response__in', ('response', 'partial', 'non_response')), _connector='OR'), name='care_outcome_response_known'), models.CheckConstraint(condition=models.Q(('current_total__isnull', True), ('baseline_total__isnull', False), _connector='OR'), name='care_outcome_current_after_baseline')],
            },
        ),
        migrations.RunPython(fill, migrations.RunPython.noop, elidable=True),
    ]
