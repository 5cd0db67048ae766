from decimal import Decimal

from django.db import migrations


def seed(apps, schema_editor):
    from liaison.referrals.screening_defaults import DOSES, RULES

    ScreeningRule = apps.get_model("referrals", "ScreeningRule")
    AdequateDose = apps.get_model("referrals", "AdequateDose")
    for order, (key, category, effect, title, message, number) in enumerate(RULES):
        ScreeningRule.objects.get_or_create(
            key=key,
            defaults=dict(category=category, effect=effect, title=title, message=message, number=number, order=order),
        )
    for drug, dose, aka in DOSES:
        AdequateDose.objects.get_or_create(drug=drug, defaults=dict(min_daily_mg=Decimal(dose), also_known_as=aka))


class Migration(migrations.Migration):
    dependencies = [("referrals", "0003_intake")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
