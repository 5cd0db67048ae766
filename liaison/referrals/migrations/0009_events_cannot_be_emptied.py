"""The referral history cannot be emptied either: DELETE refused on SQLite, TRUNCATE on PostgreSQL (decision 0017)."""

from django.db import migrations

from liaison.core.append_only import refuse_emptying


class Migration(migrations.Migration):
    dependencies = [("referrals", "0008_safety_review_item9")]

    operations = [refuse_emptying("referrals_referralevent")]
