"""A new referral's follow-up is now three reactions in the event registry (decision 0021): each owed
IntakeFollowUp row becomes one core.PendingReaction per handler, keeping its attempts and error."""

from django.db import migrations

HANDLERS = ("crm.relationship", "crm.health", "comms.letters_owed")  # the after-commit handlers of a new referral


def forwards(apps, schema_editor):
    IntakeFollowUp = apps.get_model("referrals", "IntakeFollowUp")
    PendingReaction = apps.get_model("core", "PendingReaction")
    PendingReaction.objects.bulk_create(
        PendingReaction(
            kind="referral.received",
            handler=name,
            referral_id=row.referral_id,
            payload={},
            created_at=row.created_at,
            attempts=row.attempts,
            last_error=row.last_error,
            run_after=row.next_attempt_at,
        )  # fmt: skip
        for row in IntakeFollowUp.objects.order_by("created_at")
        for name in HANDLERS
    )


def backwards(apps, schema_editor):
    IntakeFollowUp = apps.get_model("referrals", "IntakeFollowUp")
    PendingReaction = apps.get_model("core", "PendingReaction")
    owed = PendingReaction.objects.filter(kind="referral.received", handler__in=HANDLERS)
    for row in owed.order_by("created_at"):
        IntakeFollowUp.objects.get_or_create(referral_id=row.referral_id, defaults={"created_at": row.created_at})
    owed.delete()


class Migration(migrations.Migration):
    dependencies = [
        ("referrals", "0010_safety_rules_no_number"),
        ("core", "0005_pending_reaction"),
    ]

    operations = [
        migrations.RunPython(forwards, backwards),
        migrations.DeleteModel(name="IntakeFollowUp"),
    ]
