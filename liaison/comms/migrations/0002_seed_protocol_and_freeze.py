"""The protocol of PRODUCT §3 for each shared-care model, and the database's refusal to change a signed letter."""

from django.db import migrations

H, NOW, MONTHLY = "hours", "immediate", "monthly"
C, K = "coordinator", "clinician"

# trigger: letter, owner, deadline kind, hours, business hours
BASE = {
    "received": ("acknowledgment", C, H, 24, False),
    "info_missing": ("info_request", C, NOW, 0, False),
    "evaluated": ("evaluation_summary", K, H, 48, False),
    "acute_sessions": ("treatment_update", K, H, 48, False),
    "acute_complete": ("outcome_summary", K, H, 24 * 7, False),
    "maintenance_month": ("progress_update", K, MONTHLY, 0, False),
    "safety": ("safety_alert", K, NOW, 0, False),
    "first_referral": ("first_referral_thanks", C, H, 48, False),
}
# How the shared-care model changes it: which letters are owed, and updates after how many sessions.
MODELS = {
    "consultation": {"off": {"acute_sessions", "maintenance_month"}, "every": 3},
    "collaborative": {"off": set(), "every": 2},  # 3 until 0006: one update only in a six-session series
    "integrated": {"off": set(), "every": 2},
}

FROZEN = "a signed letter cannot be changed"


def seed(apps, schema_editor):
    Rule = apps.get_model("comms", "ProtocolRule")
    for model, how in MODELS.items():
        for trigger, (letter, owner, kind, hours, business) in BASE.items():
            Rule.objects.get_or_create(
                trigger=trigger,
                shared_care_model=model,
                defaults={
                    "letter_type": letter,
                    "owner_role": owner,
                    "deadline_kind": kind,
                    "deadline_hours": hours,
                    "business_hours": business,
                    "every_n_sessions": how["every"] if trigger == "acute_sessions" else None,
                    "active": trigger not in how["off"],
                },
            )


def freeze(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute(
            "CREATE TRIGGER comms_letter_frozen BEFORE UPDATE ON comms_letter WHEN OLD.status = 'signed' "
            f"BEGIN SELECT RAISE(ABORT, '{FROZEN}'); END;"
        )
    elif vendor == "postgresql":
        schema_editor.execute(
            "CREATE OR REPLACE FUNCTION comms_letter_frozen() RETURNS trigger AS $$ BEGIN "
            f"IF OLD.status = 'signed' THEN RAISE EXCEPTION '{FROZEN}'; END IF; RETURN NEW; END; $$ LANGUAGE plpgsql;"
        )
        schema_editor.execute(
            "CREATE TRIGGER comms_letter_frozen BEFORE UPDATE ON comms_letter "
            "FOR EACH ROW EXECUTE FUNCTION comms_letter_frozen();"
        )


def unfreeze(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute("DROP TRIGGER IF EXISTS comms_letter_frozen;")
    elif vendor == "postgresql":
        schema_editor.execute("DROP TRIGGER IF EXISTS comms_letter_frozen ON comms_letter;")
        schema_editor.execute("DROP FUNCTION IF EXISTS comms_letter_frozen();")


class Migration(migrations.Migration):
    dependencies = [("comms", "0001_initial")]

    operations = [
        migrations.RunPython(seed, migrations.RunPython.noop),
        migrations.RunPython(freeze, unfreeze),
    ]
