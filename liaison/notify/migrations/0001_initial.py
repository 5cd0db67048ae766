
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('care', '0006_outcome_count'),
        ('referrals', '0013_referrer_recent_includes_status'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='Notice',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('safety_alert', 'A safety alert'), ('urgent_referral', 'An urgent referral'), ('referrer_message', 'A message from a referrer'), ('letter_due_soon', 'A letter about to go overdue'), ('digest', 'The daily digest'), ('questionnaire_link', "The patient's questionnaire link"), ('questionnaire_reminder', 'The reminder of the questionnaire link')], max_length=30)),
                ('key', models.CharField(help_text='What it is about, once per person, e.g. alert:12, digest:2026-11-30', max_length=80)),
                ('channel', models.CharField(choices=[('email', 'Email'), ('sms', 'Text message')], default='email', max_length=10)),
                ('address', models.CharField(blank=True, max_length=254)),
                ('path', models.CharField(blank=True, help_text='The page the message links to.', max_length=200)),
                ('payload', models.JSONField(blank=True, default=dict, help_text="A digest's counts.")),
                ('secret', models.TextField(blank=True, help_text="The questionnaire link's token, encrypted, while a message needs it.")),
                ('status', models.CharField(choices=[('queued', 'Waiting to be sent'), ('sending', 'Being sent'), ('sent', 'Sent'), ('failed', 'Failed'), ('cancelled', 'Not needed any more')], default='queued', max_length=10)),
                ('phase', models.CharField(blank=True, choices=[('', 'Not started'), ('connect', 'Connecting'), ('commit', 'Handing over')], default='', max_length=10)),
                ('attempts', models.PositiveSmallIntegerField(default=0)),
                ('next_attempt_at', models.DateTimeField()),
                ('leased_by', models.CharField(blank=True, max_length=100)),
                ('lease_until', models.DateTimeField(blank=True, null=True)),
                ('last_error', models.CharField(blank=True, max_length=500)),
                ('created_at', models.DateTimeField()),
                ('sent_at', models.DateTimeField(blank=True, null=True)),
                ('confirmed', models.BooleanField(default=True, help_text='False: the worker stopped after handing it over.')),
                ('link', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='care.questionnairelink')),
                ('recipient', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('referral', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='referrals.referral')),
            ],
            options={
                'ordering': ['-created_at', '-id'],
                'indexes': [models.Index(condition=models.Q(('status', 'queued')), fields=['next_attempt_at', 'id'], name='notice_due'), models.Index(fields=['referral', 'kind'], name='notice_referral_kind')],
                'constraints': [models.UniqueConstraint(condition=models.Q(('recipient__isnull', False)), fields=('recipient', 'key'), name='notice_once_per_person'), models.UniqueConstraint(condition=models.Q(('recipient__isnull', True)), fields=('key',), name='notice_once_to_patient'), models.CheckConstraint(condition=models.Q(('status__in', ['queued', 'sending', 'sent', 'failed', 'cancelled'])), name='notice_status_known')],
            },
        ),
        migrations.CreateModel(
            name='Preference',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('safety_alert', models.BooleanField(default=True, editable=False, verbose_name='safety alerts')),
                ('urgent_referral', models.BooleanField(default=True, verbose_name='urgent referrals')),
                ('referrer_message', models.BooleanField(default=True, verbose_name='messages from referrers')),
                ('letter_due_soon', models.BooleanField(default=True, verbose_name='letters about to go overdue')),
                ('digest', models.BooleanField(default=True, verbose_name='the daily digest')),
                ('updated_at', models.DateTimeField(auto_now=True)),
                ('user', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='notify_preference', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'constraints': [models.CheckConstraint(condition=models.Q(('safety_alert', True)), name='notify_safety_alerts_always_on')],
            },
        ),
    ]
