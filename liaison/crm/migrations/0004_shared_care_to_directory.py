"""The agreed shared-care model moves from the relationship to the directory record, the one field the
communication protocol reads (decision 0014): a clinician's own agreement onto the referrer, a practice's onto
the practice and onto its clinicians who have none of their own. A model that changes is recorded as a change
at this moment, so no letter becomes owed for what happened before."""

from django.db import migrations
from django.utils import timezone


def move(apps, schema_editor):
    Relationship = apps.get_model("crm", "Relationship")
    Referrer = apps.get_model("directory", "Referrer")
    Practice = apps.get_model("directory", "Practice")
    Change = apps.get_model("directory", "SharedCareChange")
    now = timezone.now()

    def apply(referrer, model, own):
        if model != referrer.shared_care_model:
            Change.objects.create(
                referrer=referrer, previous=referrer.shared_care_model, model=model, at=now, by_label="migration"
            )
            referrer.shared_care_changed_at = now
        referrer.shared_care_model, referrer.shared_care_own = model, own
        referrer.save(update_fields=["shared_care_model", "shared_care_own", "shared_care_changed_at"])

    agreed = Relationship.objects.exclude(shared_care_model="")
    for rel in agreed.filter(practice__isnull=False):
        Practice.objects.filter(pk=rel.practice_id).update(shared_care_model=rel.shared_care_model)
    for rel in agreed.filter(referrer__isnull=False).select_related("referrer"):
        apply(rel.referrer, rel.shared_care_model, True)
    # A model set on the referrer before (not the default) was someone's choice for that clinician: it is theirs.
    Referrer.objects.filter(shared_care_own=False).exclude(shared_care_model="consultation").update(
        shared_care_own=True
    )
    practices = dict(Practice.objects.exclude(shared_care_model="").values_list("pk", "shared_care_model"))
    for referrer in Referrer.objects.filter(shared_care_own=False, practice_id__in=list(practices)):
        apply(referrer, practices[referrer.practice_id], False)


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0003_referrer_distance"),
        ("directory", "0003_shared_care_agreement"),
    ]

    operations = [
        migrations.RunPython(move, migrations.RunPython.noop),
        migrations.RemoveField(model_name="relationship", name="shared_care_model"),
    ]
