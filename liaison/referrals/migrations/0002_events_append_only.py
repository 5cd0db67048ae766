from django.db import migrations

from liaison.core.append_only import append_only


class Migration(migrations.Migration):
    dependencies = [("referrals", "0001_initial")]
    operations = [append_only("referrals_referralevent")]
