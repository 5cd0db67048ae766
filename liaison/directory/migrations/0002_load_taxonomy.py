import csv
from pathlib import Path

from django.db import migrations

DATA = Path(__file__).resolve().parent.parent / "data" / "nucc_taxonomy.csv"


def load(apps, schema_editor):
    Taxonomy = apps.get_model("directory", "Taxonomy")
    with DATA.open(newline="", encoding="utf-8") as f:
        rows = [Taxonomy(**row) for row in csv.DictReader(f)]
    Taxonomy.objects.bulk_create(rows, batch_size=500, ignore_conflicts=True)


class Migration(migrations.Migration):
    dependencies = [("directory", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
